//! dtexec's command line and console output, for the `dtexec` binary and the service: parse
//! argv into [`DtexecOptions`], refuse what is not implemented yet, and write the console text
//! a run produces. It must not load or run packages, nor read files.
//!
//! A caller does, in this order:
//! 1. [`parse_dtexec_args`] — on error, [`Console::command_line_error`] and exit 6;
//! 2. if `help` is set, [`Console::help`] and exit 0;
//! 3. [`refuse_unimplemented`] — on error, as in 1;
//! 4. [`Console::banner`], each of `warnings` with [`Console::note`], [`Console::started`],
//!    then the run's events with [`Console::message`], and [`Console::finish`] for the exit code.

mod connection_option;
pub mod console;
mod console_log;
mod dtexec_options;
mod error;
pub mod exit_code;
mod option_table;
mod parameter_env;
mod parameter_option;
pub mod property_path;
mod quoting;
mod reporting;
mod support;
mod usage;

pub use connection_option::ConnectionOption;
pub use console::{Console, Message, MessageKind, ReportingLevel, RunPhase, RunSummary};
pub use console_log::{ConsoleColumns, ConsoleLogError, ConsoleLogFilter, ConsoleLogSpec};
pub use dtexec_options::{
    parse_dtexec_args, Checkpointing, DecryptPassword, DtexecOptions, HelpRequest, LoggerSpec,
    PackageSource, RestartMode, VerifyBuild,
};
pub use error::OptionError;
pub use exit_code::{ExecutionResult, ExitCode};
pub use option_table::{Arity, OptionName, OptionSpec, Support, OPTIONS};
pub use parameter_env::{decode_parameters, encode_parameters, PARAMETERS_ENV};
pub use parameter_option::{
    ParameterDataType, ParameterOption, ParameterOptionError, ParameterScope,
};
pub use property_path::{
    CollectionItem, CollectionKind, PathStep, PropertyForm, PropertyPath, PropertyPathError,
    SetOption, SetOptionError, VariableRef,
};
pub use reporting::{Reporting, ReportingError};
pub use support::{implemented_options, refuse_unimplemented};
pub use usage::{option_help, usage};

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// The caller's sequence from the module documentation, end to end.
    fn run(args: &[&str], result: ExecutionResult) -> (String, ExitCode) {
        let mut console = Console::new(Vec::new(), Reporting::default());
        let code = match parse_dtexec_args(args.iter().map(|s| s.to_string()))
            .and_then(|o| refuse_unimplemented(&o).map(|()| o))
        {
            Err(e) => console.command_line_error(&e).expect("write"),
            Ok(o) if o.help.is_some() => {
                console.help(o.help.as_ref().expect("help")).expect("write");
                ExitCode::Success
            }
            Ok(o) => {
                let mut console = Console::new(Vec::new(), o.reporting.clone());
                let t0 = NaiveDate::from_ymd_opt(2024, 1, 2)
                    .and_then(|d| d.and_hms_opt(14, 0, 0))
                    .expect("time");
                console.banner().expect("write");
                for w in &o.warnings {
                    console.note(w).expect("write");
                }
                console.started(t0).expect("write");
                let phase = if o.validate_only {
                    RunPhase::Validation
                } else {
                    RunPhase::Execution
                };
                let code = console
                    .finish(
                        phase,
                        result,
                        t0,
                        t0 + chrono::TimeDelta::milliseconds(1500),
                    )
                    .expect("write");
                let out = String::from_utf8(console.into_inner()).expect("utf-8");
                return (out, code);
            }
        };
        (
            String::from_utf8(console.into_inner()).expect("utf-8"),
            code,
        )
    }

    #[test]
    fn success_run() {
        let (out, code) = run(&["/F", "/pkgs/p.dtsx"], ExecutionResult::Success);
        assert_eq!(code, ExitCode::Success);
        assert!(out.starts_with("ssisd Execute Package Utility\nVersion "));
        assert!(out.ends_with(
            "Started:  2:00:00 PM\n\
             DTExec: The package execution returned DTSER_SUCCESS (0).\n\
             Started:  2:00:00 PM\n\
             Finished: 2:00:01 PM\n\
             Elapsed:  1.500 seconds\n"
        ));
    }

    #[test]
    fn cancelled_validation_with_x86_warning() {
        let (out, code) = run(&["-f", "p.dtsx", "-va", "-x86"], ExecutionResult::Canceled);
        assert_eq!(code, ExitCode::Cancelled);
        assert!(out.contains("Warning: Option /X86 is ignored"));
        assert!(out.contains("DTExec: The package validation returned DTSER_CANCELED (3).\n"));
    }

    #[test]
    fn bad_and_unsupported_command_lines_exit_six() {
        let (out, code) = run(&["/F"], ExecutionResult::Success);
        assert_eq!(code, ExitCode::BadCommandLine);
        assert_eq!(
            out,
            "Option \"/File\" requires an argument: a package file.\n"
        );
        let (out, code) = run(&["/ISServer", "\\p", "/Ser", "s"], ExecutionResult::Success);
        assert_eq!(code, ExitCode::BadCommandLine);
        assert_eq!(
            out,
            "Option \"/ISServer\" is not supported yet: load the package with /F[ile], /SQL, /DTS or /Proj[ect] and /Pack[age].\n"
        );
    }

    #[test]
    fn help_exits_zero() {
        let (out, code) = run(&["/?"], ExecutionResult::Failure);
        assert_eq!(code, ExitCode::Success);
        assert!(out.starts_with("Usage: dtexec"));
    }
}
