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
mod parameter_option;
pub mod property_path;
mod quoting;
mod reporting;
mod support;
mod usage;

pub use connection_option::ConnectionOption;
pub use console::{Console, Message, MessageKind, ReportingLevel, RunPhase};
pub use console_log::{ConsoleColumns, ConsoleLogFilter, ConsoleLogSpec};
pub use dtexec_options::{
    parse_dtexec_args, Checkpointing, DecryptPassword, DtexecOptions, HelpRequest, LoggerSpec,
    PackageSource, RestartMode, VerifyBuild,
};
pub use error::OptionError;
pub use exit_code::{ExecutionResult, ExitCode};
pub use option_table::{Arity, OptionName, OptionSpec, Support, OPTIONS};
pub use parameter_option::{ParameterDataType, ParameterOption, ParameterScope};
pub use property_path::{
    CollectionItem, CollectionKind, PathStep, PropertyForm, PropertyPath, SetOption, VariableRef,
};
pub use reporting::Reporting;
pub use support::{implemented_options, refuse_unimplemented};
pub use usage::{option_help, usage};
