//! One dtexec run from argv to exit code: a bad command line exits 6, `/?` prints help, the
//! `/F` package is loaded (missing file 4, unloadable 5), validated with the command line's
//! overrides, and reported. With `/Va[lidate]` a valid package exits 0 and an invalid one 1.
//! Without it a valid package runs (`execute.rs`): exit 0 on success, 1 on failure, 3 when
//! cancelled by SIGTERM or SIGINT.

use std::io::Write;
use std::path::Path;

use chrono::{Local, NaiveDateTime};
use ssisd_engine::cli::{
    parse_dtexec_args, refuse_unimplemented, Console, ExecutionResult, ExitCode, Message,
    MessageKind, PackageSource, Reporting, RunPhase,
};
use ssisd_engine::validate::{codes, validate};
use ssisd_engine::{load_package_file, LoadError};

use super::execute::execute;
use super::report::write_report;

fn now() -> NaiveDateTime {
    Local::now().naive_local()
}

/// Runs dtexec with `args` (without the program name), writing the console text to `out`.
pub fn run<W: Write>(args: Vec<String>, out: W) -> anyhow::Result<ExitCode> {
    let options = match parse_dtexec_args(args).and_then(|o| refuse_unimplemented(&o).map(|()| o)) {
        Ok(o) => o,
        Err(e) => return Ok(Console::new(out, Reporting::default()).command_line_error(&e)?),
    };
    if let Some(help) = &options.help {
        let mut console = Console::new(out, Reporting::default());
        console.help(help)?;
        return Ok(ExitCode::Success);
    }
    let mut console = Console::new(out, options.reporting.clone());
    let started = now();
    console.banner()?;
    for w in &options.warnings {
        console.note(w)?;
    }
    console.started(started)?;
    let Some(PackageSource::File(file)) = &options.source else {
        // refuse_unimplemented lets only /F through; anything else is a bug worth a clear exit.
        let e = Message::new(
            MessageKind::Error,
            now(),
            codes::LOAD_FAILED,
            "dtexec",
            "Only packages from files (/F[ile]) can be loaded.",
        );
        console.message(&e)?;
        console.timing(started, now())?;
        return Ok(ExitCode::CouldNotLoad);
    };
    let mut package = match load_package_file(Path::new(file)) {
        Ok(p) => p,
        Err(err) => {
            let missing = matches!(&err, LoadError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::NotFound);
            let (code, exit, text) = if missing {
                (
                    codes::PACKAGE_NOT_FOUND,
                    ExitCode::PackageNotFound,
                    format!("The package file \"{file}\" was not found."),
                )
            } else {
                (
                    codes::LOAD_FAILED,
                    ExitCode::CouldNotLoad,
                    format!("Could not load package \"{file}\": {err}"),
                )
            };
            console.message(&Message::new(MessageKind::Error, now(), code, file, text))?;
            console.timing(started, now())?;
            return Ok(exit);
        }
    };
    let report = validate(&mut package, &options);
    write_report(&mut console, &report, now())?;
    if options.validate_only {
        let result = if report.is_valid() {
            ExecutionResult::Success
        } else {
            ExecutionResult::Failure
        };
        return Ok(console.finish(RunPhase::Validation, result, started, now())?);
    }
    if !report.is_valid() {
        return Ok(console.finish(
            RunPhase::Execution,
            ExecutionResult::Failure,
            started,
            now(),
        )?);
    }
    execute(&mut console, &package, &options, file, started)
}
