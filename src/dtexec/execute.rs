//! Executing a validated package for dtexec: the run itself on its own
//! thread (this thread turns the run's events into console blocks as they arrive; rows per
//! data-flow path and component times are `DataFlow` blocks, shown with `/Reporting D`), SIGTERM and
//! SIGINT turned into cancellation, the run's records added to the event stream (opened by
//! `run.rs` before loading), `/W[arnAsError]` passed on, the `/Sum` summary and the closing DTSER line. The
//! runtime is `ssisd_runtime`; this file must not decide anything about the package
//! itself.

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};

use chrono::{Local, NaiveDateTime};
use ssisd_engine::cli::{
    Console, DtexecOptions, ExecutionResult, ExitCode, Message, MessageKind, RunPhase,
};
use ssisd_engine::model::{ExecResult, Package};
use ssisd_engine::project::Project;
use ssisd_runtime::paths::map_path;
use ssisd_runtime::{
    cancel_on_signals, run_package, EventBody, EventSink, Level, RunEvent, RunOptions,
};

use super::stream::RunStream;

/// Folders where Execute Package looks for child packages (see [`package_path`]).
const PACKAGE_PATH_ENV: &str = "SSISD_PACKAGE_PATH";

/// Forwards events to the thread that owns the console.
struct Forward(Mutex<Sender<RunEvent>>);

impl EventSink for Forward {
    fn emit(&self, event: &RunEvent) {
        if let Ok(tx) = self.0.lock() {
            let _ = tx.send(event.clone());
        }
    }
}

fn console_message(event: &RunEvent) -> Option<Message> {
    let at = event.time.naive_local();
    let (kind, code, source, text, name) = match &event.body {
        EventBody::Message {
            level,
            code,
            source,
            description,
            ..
        } => {
            let kind = match level {
                Level::Error => MessageKind::Error,
                Level::Warning => MessageKind::Warning,
                Level::Information => MessageKind::Information,
            };
            (
                kind,
                *code,
                source.clone(),
                description.clone(),
                level.event_name(),
            )
        }
        EventBody::Progress {
            source,
            description,
            percent,
            ..
        } => (
            MessageKind::Progress,
            0,
            source.clone(),
            format!("{description}: {percent}% complete"),
            "OnProgress",
        ),
        EventBody::PipelineRows {
            source,
            path_id,
            path_name,
            component,
            input,
            rows,
            buffers,
            done,
            ..
        } => (
            MessageKind::DataFlow,
            0,
            source.clone(),
            format!(
                "Rows were provided to a data flow component as input. : path {path_id} \"{path_name}\" : component \"{component}\" : input \"{input}\" : {rows} rows in {buffers} buffers{}",
                if *done { " (total)" } else { "" }
            ),
            "OnPipelineRowsSent",
        ),
        EventBody::PipelineComponentTime {
            source,
            component,
            phase,
            millis,
            ..
        } => (
            MessageKind::DataFlow,
            0,
            source.clone(),
            format!("The component \"{component}\" spent {} milliseconds in {phase}.", millis.round() as u64),
            "PipelineComponentTime",
        ),
        EventBody::ExecutableStarted { name, .. } => (
            MessageKind::Verbose,
            0,
            name.clone(),
            "Started.".to_string(),
            "OnPreExecute",
        ),
        EventBody::ExecutableFinished { name, result, .. } => (
            MessageKind::Verbose,
            0,
            name.clone(),
            format!("Finished: {result:?}."),
            "OnPostExecute",
        ),
        _ => return None,
    };
    let mut m = Message::new(kind, at, code, source, text);
    m.event = Some(name.to_string());
    Some(m)
}

fn execution_result(r: ExecResult) -> ExecutionResult {
    match r {
        ExecResult::Success => ExecutionResult::Success,
        ExecResult::Failure => ExecutionResult::Failure,
        ExecResult::Completion => ExecutionResult::Completion,
        ExecResult::Canceled => ExecutionResult::Canceled,
    }
}

/// Where Execute Package looks for children kept elsewhere: `/PackagePath` folders, then those
/// of `SSISD_PACKAGE_PATH` (separated by `:`, as `PATH`); Windows paths mapped as package paths are.
fn package_path(options: &DtexecOptions) -> Vec<PathBuf> {
    let env = std::env::var(PACKAGE_PATH_ENV).unwrap_or_default();
    options
        .package_path
        .iter()
        .map(String::as_str)
        .chain(env.split(':'))
        .filter(|d| !d.trim().is_empty())
        .map(|d| PathBuf::from(map_path(d)))
        .collect()
}

/// Runs `package` and writes its events and closing lines to `console`.
pub fn execute<W: Write>(
    console: &mut Console<W>,
    run_stream: &RunStream,
    package: &Package,
    options: &DtexecOptions,
    file: &str,
    project: Option<Arc<Project>>,
    started: NaiveDateTime,
) -> anyhow::Result<ExitCode> {
    let now = || Local::now().naive_local();
    let run_options = RunOptions {
        max_concurrent: options.max_concurrent,
        package_file: Some(PathBuf::from(file)),
        package_resolver: Some(Arc::new(super::stored::MsdbResolver)),
        project,
        package_path: package_path(options),
        ..RunOptions::default()
    };
    // Without the handlers a signal would kill dtexec and orphan nothing (children die with
    // it), but the run would not end with exit code 3; failing to install them is not fatal.
    let _signals = cancel_on_signals(&run_options.cancel).ok();
    let stream = run_stream.sink();
    let (tx, rx) = mpsc::channel();
    let mut tally = super::summary::Tally::default();
    let outcome = std::thread::scope(|scope| -> anyhow::Result<_> {
        let stream = stream.clone();
        let runner = scope.spawn(move || {
            let forward: Arc<dyn EventSink> = Arc::new(Forward(Mutex::new(tx)));
            let sink: Arc<dyn EventSink> = match stream {
                Some(s) => {
                    let s: Arc<dyn EventSink> = s;
                    Arc::new(ssisd_runtime::events::FanOut(vec![forward, s]))
                }
                None => forward,
            };
            run_package(package, &run_options, sink)
        });
        for event in rx {
            tally.add(&event);
            if let Some(m) = console_message(&event) {
                console.message(&m)?;
            }
        }
        runner
            .join()
            .map_err(|_| anyhow::anyhow!("the package run stopped unexpectedly"))
    })?;
    run_stream.close();
    if options.sum {
        console.summary(&tally.finish(outcome.errors, outcome.warnings))?;
    }
    Ok(console.finish(
        RunPhase::Execution,
        execution_result(outcome.result),
        started,
        now(),
    )?)
}
