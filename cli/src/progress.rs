//! How traefikeectl draws progress: indicatif on a terminal, nothing otherwise.

use std::cell::Cell;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use traefikee_client::progress::Progress;

/// A spinner showing `message` on a terminal; hidden otherwise.
pub fn spinner(message: &str) -> ProgressBar {
    on_terminal(|| ProgressBar::new_spinner().with_message(message.to_owned()), "{spinner} {msg}")
}

/// A spinner with a `[done/total]` count and a message on a terminal; hidden otherwise.
pub fn counter(total: u64) -> ProgressBar {
    on_terminal(|| ProgressBar::new(total), "{spinner} [{pos}/{len}] {msg}")
}

/// `make()`'s bar drawn with `template` and ticking when stderr is a terminal; hidden otherwise.
fn on_terminal(make: impl FnOnce() -> ProgressBar, template: &str) -> ProgressBar {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = make();
    bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Look {
    Spinner,
    Count,
    Bytes,
}

/// [`Progress`] drawn with indicatif, switching between a spinner and a bar as the command's
/// steps require.
pub struct Bar {
    bar: ProgressBar,
    look: Cell<Look>,
}

impl Bar {
    /// Drawn on stderr when it is a terminal; hidden otherwise.
    pub fn terminal() -> Bar {
        Bar { bar: spinner(""), look: Cell::new(Look::Spinner) }
    }

    fn show(&self, look: Look, message: &str) {
        if self.look.get() != look && !self.bar.is_hidden() {
            let template = match look {
                Look::Spinner => "{spinner} {msg}",
                Look::Count => "{spinner} {msg} {bar:30} {pos}/{len}",
                Look::Bytes => "{spinner} {msg} {bar:30} {bytes}/{total_bytes}",
            };
            self.bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
            self.look.set(look);
        }
        self.bar.set_message(message.to_owned());
    }
}

impl Progress for Bar {
    fn step(&self, message: &str) {
        self.show(Look::Spinner, message);
    }

    fn count(&self, message: &str, done: u64, total: u64) {
        self.show(Look::Count, message);
        self.bar.set_length(total);
        self.bar.set_position(done);
    }

    fn bytes(&self, message: &str, done: u64, total: u64) {
        self.show(Look::Bytes, message);
        self.bar.set_length(total);
        self.bar.set_position(done);
    }

    fn clear(&self) {
        self.bar.finish_and_clear();
    }
}
