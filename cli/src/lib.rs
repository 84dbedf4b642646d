//! traefikeectl, and the output helpers both command-line tools share.

pub mod output;
