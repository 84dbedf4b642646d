//! How both command-line tools fail: `error: ...`, an optional `hint: ...`, a distinct exit
//! code, never a backtrace. The same failure exits with the same code from both binaries:
//!
//! | exit | failure                                                           | made by               |
//! |------|-------------------------------------------------------------------|-----------------------|
//! | 1    | refused: invalid input, a conflict with the cluster's state       | [`Failure::refused`]  |
//! | 3    | unavailable: no controller answers, no quorum                     | API `unavailable`     |
//! | 4    | unauthenticated or forbidden                                      | API errors            |
//! | 5    | not found                                                         | API `not_found`       |
//! | 70   | internal: a bug or an answer that makes no sense (EX_SOFTWARE)     | [`Failure::internal`] |
//! | 74   | this machine's files: state dir, profile, sockets, logs (EX_IOERR) | [`Failure::io`]       |
//!
//! An API error keeps the code of its kind (see `ErrorCode::exit_code`).

use traefikee_apiserver::{ApiError, ErrorCode};

use crate::output::escape_text;

/// Exit code of a failure of this machine's files (sysexits' EX_IOERR).
pub const EXIT_IO: u8 = 74;

#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
    pub code: u8,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure { message: message.into(), hint: None, code: code.exit_code() }
    }

    /// Refused or invalid input, or a conflict with the state of the cluster or of this
    /// machine (exit 1). Never for a fault of ours or of the machine.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// A fault of the program itself (exit 70).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// A file, directory, socket or process of this machine could not be used (exit 74):
    /// the disk, permissions, a damaged local file.
    pub fn io(message: impl Into<String>) -> Self {
        Failure { message: message.into(), hint: None, code: EXIT_IO }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prints the failure on stderr and returns the exit code. Messages often quote what a
    /// cluster said: control characters are escaped, line breaks kept.
    pub fn report(&self) -> std::process::ExitCode {
        eprintln!("error: {}", escape_text(&self.message));
        if let Some(hint) = &self.hint {
            eprintln!("hint: {}", escape_text(hint));
        }
        std::process::ExitCode::from(self.code)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure { code: e.code.exit_code(), message: e.message, hint: e.hint }
    }
}

pub type Outcome = Result<(), Failure>;
