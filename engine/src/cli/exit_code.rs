//! dtexec's exit codes ([`ExitCode`]) and the package execution results that the console's
//! closing line reports ([`ExecutionResult`], the DTSExecResult values). It owns the numbers, the
//! `DTSER_` names and the mapping from a result to an exit code; it must not print anything or
//! decide which result a run had.

use std::fmt;

/// The process exit code of dtexec. Code 2 is not used by dtexec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ExitCode {
    /// The package ran (or validated) successfully.
    Success = 0,
    /// The package failed.
    Failure = 1,
    /// The user cancelled the run.
    Cancelled = 3,
    /// The package could not be found.
    PackageNotFound = 4,
    /// The package was found but could not be loaded.
    CouldNotLoad = 5,
    /// Syntactic or semantic error in the command line (dtexec calls this an internal error).
    BadCommandLine = 6,
}

impl ExitCode {
    /// The numeric process exit code.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The `DTSER_` name of the execution result with the same number, for the codes that are
    /// execution results (0, 1 and 3). Codes 4, 5 and 6 are dtexec's own and have none.
    pub fn dtser_name(self) -> Option<&'static str> {
        match self {
            ExitCode::Success => Some("DTSER_SUCCESS"),
            ExitCode::Failure => Some("DTSER_FAILURE"),
            ExitCode::Cancelled => Some("DTSER_CANCELED"),
            ExitCode::PackageNotFound | ExitCode::CouldNotLoad | ExitCode::BadCommandLine => None,
        }
    }

    /// A short English description of the code.
    pub fn description(self) -> &'static str {
        match self {
            ExitCode::Success => "the package executed successfully",
            ExitCode::Failure => "the package failed",
            ExitCode::Cancelled => "the package was cancelled by the user",
            ExitCode::PackageNotFound => "the package could not be found",
            ExitCode::CouldNotLoad => "the package could not be loaded",
            ExitCode::BadCommandLine => "the command line is not valid",
        }
    }

    /// The exit code for a number, if dtexec uses that number.
    pub fn from_code(code: i32) -> Option<ExitCode> {
        Some(match code {
            0 => ExitCode::Success,
            1 => ExitCode::Failure,
            3 => ExitCode::Cancelled,
            4 => ExitCode::PackageNotFound,
            5 => ExitCode::CouldNotLoad,
            6 => ExitCode::BadCommandLine,
            _ => return None,
        })
    }
}

impl fmt::Display for ExitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.dtser_name() {
            Some(name) => write!(f, "{name} ({})", self.code()),
            None => write!(f, "{} ({})", self.description(), self.code()),
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        // All codes are between 0 and 6, so they fit in a u8.
        std::process::ExitCode::from(code.code() as u8)
    }
}

/// The result of executing or validating a package (SSIS's DTSExecResult).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionResult {
    /// DTSER_SUCCESS (0).
    Success,
    /// DTSER_FAILURE (1).
    Failure,
    /// DTSER_COMPLETION (2).
    Completion,
    /// DTSER_CANCELED (3).
    Canceled,
}

impl ExecutionResult {
    /// The `DTSER_` name as printed on the console.
    pub fn dtser_name(self) -> &'static str {
        match self {
            ExecutionResult::Success => "DTSER_SUCCESS",
            ExecutionResult::Failure => "DTSER_FAILURE",
            ExecutionResult::Completion => "DTSER_COMPLETION",
            ExecutionResult::Canceled => "DTSER_CANCELED",
        }
    }

    /// The numeric DTSExecResult value.
    pub fn value(self) -> i32 {
        match self {
            ExecutionResult::Success => 0,
            ExecutionResult::Failure => 1,
            ExecutionResult::Completion => 2,
            ExecutionResult::Canceled => 3,
        }
    }

    /// The exit code dtexec ends with for this result. dtexec documents no exit code 2, so
    /// DTSER_COMPLETION (the package ran to its end) maps to success.
    pub fn exit_code(self) -> ExitCode {
        match self {
            ExecutionResult::Success | ExecutionResult::Completion => ExitCode::Success,
            ExecutionResult::Failure => ExitCode::Failure,
            ExecutionResult::Canceled => ExitCode::Cancelled,
        }
    }
}

impl fmt::Display for ExecutionResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.dtser_name(), self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_reference() {
        assert_eq!(ExitCode::Success.code(), 0);
        assert_eq!(ExitCode::Failure.code(), 1);
        assert_eq!(ExitCode::Cancelled.code(), 3);
        assert_eq!(ExitCode::PackageNotFound.code(), 4);
        assert_eq!(ExitCode::CouldNotLoad.code(), 5);
        assert_eq!(ExitCode::BadCommandLine.code(), 6);
    }

    #[test]
    fn from_code_round_trips_and_rejects_two() {
        for c in [0, 1, 3, 4, 5, 6] {
            assert_eq!(ExitCode::from_code(c).map(ExitCode::code), Some(c));
        }
        assert_eq!(ExitCode::from_code(2), None);
        assert_eq!(ExitCode::from_code(-1), None);
    }

    #[test]
    fn dtser_names() {
        assert_eq!(ExitCode::Success.dtser_name(), Some("DTSER_SUCCESS"));
        assert_eq!(ExitCode::Failure.dtser_name(), Some("DTSER_FAILURE"));
        assert_eq!(ExitCode::Cancelled.dtser_name(), Some("DTSER_CANCELED"));
        assert_eq!(ExitCode::BadCommandLine.dtser_name(), None);
        assert_eq!(ExitCode::Failure.to_string(), "DTSER_FAILURE (1)");
        assert_eq!(
            ExitCode::CouldNotLoad.to_string(),
            "the package could not be loaded (5)"
        );
    }

    #[test]
    fn results_map_to_exit_codes() {
        assert_eq!(ExecutionResult::Success.exit_code(), ExitCode::Success);
        assert_eq!(ExecutionResult::Completion.exit_code(), ExitCode::Success);
        assert_eq!(ExecutionResult::Failure.exit_code(), ExitCode::Failure);
        assert_eq!(ExecutionResult::Canceled.exit_code(), ExitCode::Cancelled);
        assert_eq!(ExecutionResult::Canceled.to_string(), "DTSER_CANCELED (3)");
        assert_eq!(ExecutionResult::Completion.value(), 2);
    }

    #[test]
    fn converts_to_process_exit_code() {
        let _: std::process::ExitCode = ExitCode::BadCommandLine.into();
    }
}
