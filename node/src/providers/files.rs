//! `providers.file` on the control nodes: the leader reads the file (or every configuration
//! file under the directory) on its own machine, and again when one changes (checked every
//! second: modification time, size and content). Every control node must hold the same
//! files, since any of them may lead. With `watch: false` the files are read until they load
//! once, then no more.

use std::sync::Arc;
use std::time::Duration;

use traefikee_proxy::config::FileProvider;

use super::{Backoff, News, Reporter};

const POLL_EVERY: Duration = Duration::from_secs(1);

/// Reads, and reads again on change, until something fails.
pub async fn session(file: &FileProvider, report: &Reporter, backoff: &mut Backoff) -> Result<(), String> {
    let mut last = None;
    loop {
        let f = file.clone();
        let read = tokio::task::spawn_blocking(move || traefikee_proxy::standalone::read_file_provider(&f))
            .await
            .map_err(|e| format!("reading the files: {e}"))?
            .map_err(|e| e.to_string())?;
        backoff.reset();
        report.send_if_new(&mut last, News::Config(Arc::new(read))).await;
        if file.watch == Some(false) {
            return std::future::pending().await;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
