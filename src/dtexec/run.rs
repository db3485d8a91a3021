//! One dtexec run from argv to exit code: a bad command line exits 6, `/?` prints help, the
//! package is loaded — from a file (`/F`), a store (`/SQL`, `/DTS`) or a project (`/Project`
//! with `/Package`, the project applied to it) — (missing 4, unloadable 5), validated with the command line's
//! overrides, and reported. With `/Va[lidate]` a valid package exits 0 and an invalid one 1.
//! Without it a valid package runs (`execute.rs`): exit 0 on success, 1 on failure, 3 when
//! cancelled by SIGTERM or SIGINT. The event stream is opened before the package is loaded,
//! so every error printed here is in it too (`stream.rs`).

use std::io::Write;
use std::path::Path;

use chrono::{Local, NaiveDateTime};
use ssisd_engine::cli::{
    decode_parameters, parse_dtexec_args, refuse_unimplemented, Console, DecryptPassword,
    ExecutionResult, ExitCode, Message, MessageKind, PackageSource, Reporting, RunPhase,
    PARAMETERS_ENV,
};
use ssisd_engine::load::load_package_file_with;
use ssisd_engine::model::ExecResult;
use ssisd_engine::project::{Project, ProjectError};
use ssisd_engine::validate::codes;
use ssisd_engine::{LoadError, LoadOptions};

use ssisd::package_password::{self, Ask};
use ssisd_runtime::validate::validate;
use ssisd_runtime::Level;

use ssisd::package_source::{fetch_dts, fetch_sql_blocking, FetchError, SqlLogin};

use super::execute::execute;
use super::report::write_report;
use super::stream::RunStream;

fn now() -> NaiveDateTime {
    Local::now().naive_local()
}

/// Runs dtexec with `args` (without the program name), writing the console text to `out`.
pub fn run<W: Write>(args: Vec<String>, out: W) -> anyhow::Result<ExitCode> {
    // Copies of stored packages (the /SQL or /DTS package, msdb children) go when we do.
    let _copies = super::stored::Cleanup;
    let options = match parse_dtexec_args(args)
        .and_then(|o| refuse_unimplemented(&o).map(|()| o))
        .and_then(with_environment_parameters)
    {
        Ok(o) => o,
        Err(e) => {
            let mut stream = RunStream::start();
            stream.message(
                Level::Error,
                codes::COMMAND_LINE_INVALID,
                "dtexec",
                "",
                &e.to_string(),
            );
            stream.end_before_run(ExecResult::Failure);
            return Ok(Console::new(out, Reporting::default()).command_line_error(&e)?);
        }
    };
    if let Some(help) = &options.help {
        let mut console = Console::new(out, Reporting::default());
        console.help(help)?;
        return Ok(ExitCode::Success);
    }
    let mut console = Console::new(out, options.reporting.clone());
    let started = now();
    if !options.validate_only {
        // Before the stream opens: a hand-started run may be told where the service reads it.
        let sets: Vec<String> = options
            .sets
            .iter()
            .map(|s| {
                let sensitive = if s.sensitive { "$Sensitive::" } else { "" };
                ssisd_engine::run_protocol::mask_set(&format!("{sensitive}{};{}", s.path, s.value))
            })
            .collect();
        super::register::register(&source_name(&options.source), &sets);
    }
    let mut stream = RunStream::start();
    console.banner()?;
    for w in &options.warnings {
        console.note(w)?;
    }
    console.started(started)?;
    // /De[crypt]: the value, a prompt, or SSIS_PACKAGE_DECRYPT; never printed.
    let ask = match &options.decrypt {
        None => Ask::Environment,
        Some(DecryptPassword::Given(p)) => Ask::Given(p.clone()),
        Some(DecryptPassword::Prompt) => Ask::Prompt,
    };
    let load_options = package_password::resolve(&ask)
        .map(LoadOptions::with_password)
        .map_err(|e| e.to_string());
    let loaded = match (&options.source, load_options) {
        (_, Err(text)) => Err((false, LOAD_FAILED, "dtexec".to_string(), text)),
        (Some(PackageSource::File(file)), Ok(opts)) => load_package_file_with(Path::new(file), &opts)
            .map(|p| (p, file.clone(), None))
            .map_err(|err| {
                let missing = matches!(&err, LoadError::Io { source, .. }
                    if source.kind() == std::io::ErrorKind::NotFound);
                if missing {
                    (true, LOAD_FAILED, file.clone(), format!("The package file \"{file}\" was not found."))
                } else {
                    (false, load_code(&err), file.clone(), format!("Could not load package \"{file}\": {err}"))
                }
            }),
        (Some(PackageSource::Sql(path)), Ok(opts)) => {
            let login = SqlLogin {
                server: options.server.clone(),
                user: options.user.clone(),
                password: options.password.clone(),
            };
            stored_package(path, "SQL", fetch_sql_blocking(&login, None, path, || false), &opts)
        }
        (Some(PackageSource::Dts(path)), Ok(opts)) => {
            stored_package(path, "DTS", fetch_dts(options.server.as_deref(), path), &opts)
        }
        (Some(PackageSource::Project { project, package }), Ok(opts)) => {
            project_package(project, package, &opts)
        }
        _ => Err((false, LOAD_FAILED, "dtexec".to_string(), "Only packages from files (/F[ile]), msdb (/SQL), the service's store (/DTS) or a project (/Proj[ect] with /Pack[age]) can be loaded.".to_string())),
    };
    let (project, loaded) = match loaded {
        Ok((package, file, project)) => (project, Ok((package, file))),
        Err(e) => (None, Err(e)),
    };
    let (mut package, file) = match loaded {
        Ok(found) => found,
        Err((missing, load_code, source, text)) => {
            let (code, exit) = if missing {
                (codes::PACKAGE_NOT_FOUND, ExitCode::PackageNotFound)
            } else {
                (load_code, ExitCode::CouldNotLoad)
            };
            stream.message(Level::Error, code, &source, "", &text);
            stream.end_before_run(ExecResult::Failure);
            console.message(&Message::new(
                MessageKind::Error,
                now(),
                code,
                &source,
                text,
            ))?;
            console.timing(started, now())?;
            return Ok(exit);
        }
    };
    let file = &file;
    let report = validate(&mut package, &options);
    let package_path = package.path().to_string();
    write_report(&mut console, &mut stream, &report, &package_path, now())?;
    if options.validate_only {
        let (result, ended) = if report.is_valid() {
            (ExecutionResult::Success, ExecResult::Success)
        } else {
            (ExecutionResult::Failure, ExecResult::Failure)
        };
        stream.end_before_run(ended);
        return Ok(console.finish(RunPhase::Validation, result, started, now())?);
    }
    if !report.is_valid() {
        stream.end_before_run(ExecResult::Failure);
        return Ok(console.finish(
            RunPhase::Execution,
            ExecutionResult::Failure,
            started,
            now(),
        )?);
    }
    execute(
        &mut console,
        &stream,
        &package,
        &options,
        file,
        project,
        started,
    )
}

/// The parameters of `SSISD_PARAMETERS`, applied before the command line's own `/Par`.
fn with_environment_parameters(
    mut options: ssisd_engine::cli::DtexecOptions,
) -> Result<ssisd_engine::cli::DtexecOptions, ssisd_engine::cli::OptionError> {
    if options.help.is_some() {
        return Ok(options);
    }
    if let Ok(text) = std::env::var(PARAMETERS_ENV) {
        if !text.trim().is_empty() {
            let mut all = decode_parameters(&text)?;
            all.append(&mut options.parameters);
            options.parameters = all;
        }
    }
    Ok(options)
}

/// A package (with its project applied) loaded from the project at `location`, opened with
/// `opts` (its password: the project's). A missing project or package is "not found" (exit
/// 4), anything else "could not be loaded" (exit 5).
fn project_package(location: &str, name: &str, opts: &LoadOptions) -> Loaded {
    let source = format!("{location} {name}");
    let fail = |e: ProjectError| {
        let code = match &e {
            ProjectError::Load { source, .. } => load_code(source),
            _ => LOAD_FAILED,
        };
        let text = if e.is_not_found() {
            format!("The package \"{name}\" was not found: {e}.")
        } else {
            format!("Could not load package \"{name}\" of the project \"{location}\": {e}.")
        };
        (e.is_not_found(), code, source.clone(), text)
    };
    let project = Project::open(Path::new(location), opts).map_err(fail)?;
    let package = project.load_package(name).map_err(fail)?;
    let file = project
        .find_package(name)
        .map(|p| project.package_path(&p.file))
        .map_err(fail)?;
    Ok((
        package,
        file.display().to_string(),
        Some(std::sync::Arc::new(project)),
    ))
}

/// A loaded package, the file that stands for it, and its project; or why not.
type Loaded = Result<
    (
        ssisd_engine::model::Package,
        String,
        Option<std::sync::Arc<Project>>,
    ),
    LoadFailure,
>;

/// What a registration calls the package: its file, or where it is stored.
fn source_name(source: &Option<PackageSource>) -> String {
    match source {
        Some(PackageSource::File(f)) => f.clone(),
        Some(PackageSource::Sql(p)) => format!("SQL {p}"),
        Some(PackageSource::Dts(p)) => format!("DTS {p}"),
        Some(PackageSource::Project { project, package }) => format!("{project} {package}"),
        _ => "dtexec".to_string(),
    }
}

const LOAD_FAILED: u32 = codes::LOAD_FAILED;

/// The error code of a load failure: the SSIS code of a password problem (0xC0014037), the
/// generic load failure otherwise.
fn load_code(err: &LoadError) -> u32 {
    match err {
        LoadError::Protection(e) => e.code(),
        _ => LOAD_FAILED,
    }
}

/// A load failure: whether the package is missing, the error code, its source and the text.
type LoadFailure = (bool, u32, String, String);

/// Loads a package fetched from a store and keeps a copy in a private temporary file, which
/// the run uses as the package's file (child packages resolve beside it). The copy is the
/// stored bytes: a protected package stays protected on disk.
fn stored_package(
    path: &str,
    kind: &str,
    fetched: Result<Vec<u8>, FetchError>,
    opts: &LoadOptions,
) -> Loaded {
    let source = format!("{kind} {path}");
    let bytes = fetched.map_err(|e| {
        (
            e.not_found,
            LOAD_FAILED,
            source.clone(),
            format!("The package {source} could not be fetched: {}", e.message),
        )
    })?;
    let package = ssisd_engine::load::load_package_with(&bytes, opts).map_err(|e| {
        (
            false,
            load_code(&e),
            source.clone(),
            format!("Could not load package {source}: {e}"),
        )
    })?;
    let file = super::stored::keep_copy(path, &bytes).map_err(|e| {
        (
            false,
            LOAD_FAILED,
            source.clone(),
            format!(
                "cannot keep a copy of {source} in a private directory under {}: {e}",
                std::env::temp_dir().display()
            ),
        )
    })?;
    Ok((package, file.display().to_string(), None))
}
