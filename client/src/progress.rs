//! What a long command shows while it runs. The commands say what they do; the binary
//! decides how it looks: `traefikeectl` draws bars on a terminal, the daemon draws nothing.

/// Receives a command's progress. Every method is a no-op by default.
pub trait Progress {
    /// A step with no measurable length.
    fn step(&self, _message: &str) {}
    /// A step counted in items (`done` of `total`).
    fn count(&self, _message: &str, _done: u64, _total: u64) {}
    /// A step counted in bytes.
    fn bytes(&self, _message: &str, _done: u64, _total: u64) {}
    /// Removes whatever was drawn; called before the command prints its result or fails.
    fn clear(&self) {}
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Clears `progress` when dropped: whichever way a command ends, nothing stays drawn.
pub(crate) struct ClearOnDrop<'a>(pub &'a dyn Progress);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.clear();
    }
}
