//! Standard output goes through one writer (`traefikee_client::output::print`): a reader that
//! goes away (`traefikeectl completion bash | head -1`) ends the command quietly, where
//! `println!` panicked with "failed printing to stdout".

mod common;

use std::process::{Command, Stdio};

use common::CTL;

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    for args in [&["completion", "bash"][..], &["--help"][..]] {
        let mut child = Command::new(CTL)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start traefikeectl");
        // Closed before the command writes anything: its first write fails with EPIPE.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("traefikeectl ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.status.code().is_some(), "{args:?} died of a signal: {:?}", out.status);
    }
}
