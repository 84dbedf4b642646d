//! How both command-line tools fail: `error: ...`, an optional `hint: ...`, a distinct exit
//! code (see `ErrorCode::exit_code`), never a backtrace.

use traefikee_apiserver::{ApiError, ErrorCode};

use crate::output::escape_text;

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

    /// Refused or invalid input (exit 1).
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
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
