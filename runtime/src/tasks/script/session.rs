//! One run of a script in the host: builds the [`Request`] from the task's scope (every visible
//! variable, typed, with the access the ReadOnlyVariables/ReadWriteVariables lists give it,
//! and the package's connection managers), starts the host through `crate::child_host`
//! (own process group, the run's cancellation, bounded output), and turns each frame into the
//! run's terms as it arrives: events raised by the task (sub-component in front of the text),
//! variable writes applied at once, message boxes and `Dts.Log` entries logged, and the end —
//! the script's result, its exception with the stack trace, or the host's own failure. It owns
//! that translation; it does not choose the assembly.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use super::mono::Mono;
use super::project::ScriptProject;
use super::protocol::{
    type_code, Access, ConnectionEntry, HostFrame, Request, VariableEntry, WireValue, CHANNEL_ENV,
};
use crate::child_host::{self, Framing, HostedChild};
use crate::events::{codes, EventBody, Level, RunEvent};
use crate::tasks::{TaskContext, TaskOutcome};
use crate::variables::VariableError;
use ssisd_pipeline::script::values;

/// How the script ended, as the frames said.
#[derive(Debug, Default)]
struct Ending {
    finished: Option<(i32, WireValue)>,
    exception: bool,
    host_error: bool,
}

/// The access a lock asks for, in SSIS's words.
fn access(write: &bool) -> &'static str {
    if *write {
        "read/write"
    } else {
        "read"
    }
}

/// A variable the script lists (ReadOnlyVariables, ReadWriteVariables) is not in scope;
/// the text is SSIS's, with the lookup's reason after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Failed to lock variable \"{name}\" for {} access with error 0xC0010001 \"The variable \
     cannot be found. This occurs when an attempt is made to retrieve a variable from the \
     Variables collection on a container during execution of the package, and the variable \
     is not there. The variable name may have changed or the variable is not being \
     created.\" ({source})",
    access(.write)
)]
pub struct VariableLockError {
    pub name: String,
    /// Listed in ReadWriteVariables (else ReadOnlyVariables).
    pub write: bool,
    #[source]
    pub source: VariableError,
}

/// The request for `project`, or the SSIS error for a listed variable that is not in scope.
pub fn request(
    ctx: &TaskContext<'_>,
    project: &ScriptProject,
    assembly: &Path,
) -> Result<Request, VariableLockError> {
    let mut access = std::collections::HashMap::new();
    for (names, a) in [
        (&project.read_only, Access::ReadOnly),
        (&project.read_write, Access::ReadWrite),
    ] {
        for n in names {
            let slot = ctx.variable_slot(n).map_err(|source| VariableLockError {
                name: n.clone(),
                write: a == Access::ReadWrite,
                source,
            })?;
            access.insert(slot, a);
        }
    }
    let variables = ctx
        .visible_variables()
        .into_iter()
        .map(|v| {
            let declared = values::type_code_of(&v.info.ty);
            VariableEntry {
                qualified_name: v.info.qualified_name(),
                namespace: v.info.namespace.clone(),
                name: v.info.name.clone(),
                access: access.get(&v.slot).copied().unwrap_or(Access::NotListed),
                variable_read_only: v.info.read_only,
                description: v.info.description.clone(),
                id: v.info.dtsid.clone(),
                type_code: declared,
                value: if declared == type_code::OBJECT
                    && v.value == ssisd_engine::types::Value::Object
                {
                    WireValue::Object
                } else {
                    values::to_wire(&v.value)
                },
            }
        })
        .collect();
    let connections = ctx
        .package()
        .connections
        .iter()
        .filter_map(|cm| match ctx.connection(&cm.dtsid) {
            Ok(c) => Some(c),
            Err(e) => {
                ctx.warning(
                    codes::TASK_WARNING,
                    &format!(
                        "The connection manager \"{}\" is not available to the script: {e}.",
                        cm.name
                    ),
                );
                None
            }
        })
        .map(|c| {
            let file = matches!(
                c.creation_name.to_ascii_uppercase().as_str(),
                "FILE" | "FLATFILE" | "MULTIFILE" | "MULTIFLATFILE"
            );
            ConnectionEntry {
                file_path: if file { c.file_path() } else { String::new() },
                name: c.name,
                id: c.dtsid,
                creation_name: c.creation_name,
                connection_string: c.connection_string,
                description: c.manager.description.clone(),
            }
        })
        .collect();
    let (entry_class, entry_method) = project.entry();
    Ok(Request {
        assembly_path: assembly.display().to_string(),
        task_name: ctx.name().to_string(),
        entry_class,
        entry_method,
        project_name: project.name.clone(),
        variables,
        connections,
    })
}

/// `description` with the script's sub-component in front, as SSIS shows it after the source.
fn with_sub(sub: &str, description: &str) -> String {
    if sub.trim().is_empty() {
        description.to_string()
    } else {
        format!("{sub}: {description}")
    }
}

/// Applies one frame to the run.
fn apply(ctx: &TaskContext<'_>, frame: HostFrame, ending: &Mutex<Ending>) {
    let code = |c: i32| c as u32;
    match frame {
        HostFrame::Information {
            code: c,
            sub_component,
            description,
        } => ctx.information(code(c), &with_sub(&sub_component, &description)),
        HostFrame::Warning {
            code: c,
            sub_component,
            description,
        } => ctx.warning(code(c), &with_sub(&sub_component, &description)),
        HostFrame::Error {
            code: c,
            sub_component,
            description,
        } => ctx.error(code(c), &with_sub(&sub_component, &description)),
        HostFrame::Progress {
            description,
            percent,
            sub_component,
        } => ctx.progress(&with_sub(&sub_component, &description), percent),
        HostFrame::Custom {
            event_name,
            text,
            sub_component,
        } => ctx.information(
            0,
            &with_sub(
                &sub_component,
                &format!("custom event {event_name}: {text}"),
            ),
        ),
        HostFrame::Log {
            message, data_code, ..
        } => {
            // Dts.Log writes a log entry without raising an event: no handler runs.
            ctx.sink().emit(&RunEvent::now(EventBody::Message {
                level: Level::Information,
                code: data_code as u32,
                source: ctx.name().to_string(),
                path: ctx.path().to_string(),
                description: format!("ScriptTaskLogEntry: {message}"),
                propagate: false,
            }))
        }
        HostFrame::VariableSet { name, value } => match values::from_wire(&value) {
            Ok(Some(v)) => {
                if let Err(e) = ctx.set_variable(&name, v) {
                    ctx.error(
                        codes::TASK_FAILED,
                        &format!("The script's write to \"{name}\" was refused: {e}."),
                    );
                }
            }
            Ok(None) => ctx.warning(
                codes::TASK_WARNING,
                &format!(
                    "The script stored {} in the Object variable \"{name}\"; objects other than \
                     plain values do not leave the script's process, so the variable keeps its \
                     previous value.",
                    match &value {
                        WireValue::ObjectOf(t) => format!("a {t}"),
                        _ => "an object".to_string(),
                    }
                ),
            ),
            Err(e) => ctx.error(
                codes::TASK_FAILED,
                &format!("The script's write to \"{name}\" cannot be read: {e}."),
            ),
        },
        HostFrame::MessageBox {
            text,
            caption,
            answer,
        } => ctx.information(
            0,
            &format!(
                "MessageBox{}: {text} (answered {answer}: the run is unattended)",
                if caption.is_empty() {
                    String::new()
                } else {
                    format!(" \"{caption}\"")
                }
            ),
        ),
        HostFrame::Finished {
            task_result,
            execution_value,
        } => {
            if let Ok(mut g) = ending.lock() {
                g.finished = Some((task_result, execution_value));
            }
        }
        HostFrame::Exception { text, .. } => {
            if let Ok(mut g) = ending.lock() {
                g.exception = true;
            }
            ctx.error(
                codes::TASK_FAILED,
                &format!("The script threw an exception: {text}"),
            );
        }
        HostFrame::HostError { text } => {
            if let Ok(mut g) = ending.lock() {
                g.host_error = true;
            }
            ctx.error(
                codes::TASK_FAILED,
                &format!("The script could not be run: {text}"),
            );
        }
    }
}

/// Runs `request` in the host in `host_dir` and judges the end.
pub fn run(ctx: &TaskContext<'_>, mono: &Mono, host_dir: &Path, request: &Request) -> TaskOutcome {
    let mut command = Command::new(&mono.mono);
    // The script works in the run's directory, as it would under dtexec on Windows.
    command.arg(host_dir.join(super::host_build::HOST_EXE));
    let child = HostedChild {
        command,
        channel_env: CHANNEL_ENV,
        channel_value: |fd| fd.to_string(),
        framing: Framing::LengthPrefixed,
        frame_limit: child_host::DEFAULT_FRAME_LIMIT,
        stdin: crate::process::ChildInput::Bytes(request.encode()),
        output_limit: child_host::DEFAULT_OUTPUT_LIMIT,
        grace: ctx.run_options().kill_grace,
    };
    let ending = Mutex::new(Ending::default());
    let bad_frame = Mutex::new(None);
    let hosted =
        child_host::run(
            child,
            ctx.cancel_token(),
            ctx.processes(),
            &|bytes| match HostFrame::decode(bytes) {
                Ok(f) => apply(ctx, f, &ending),
                Err(e) => {
                    if let Ok(mut g) = bad_frame.lock() {
                        g.get_or_insert(e.to_string());
                    }
                }
            },
        );
    let out = match hosted {
        Ok(o) => o,
        Err(e) => {
            return ctx.fail(&format!(
                "Mono ({}) could not be started: {e}.",
                mono.mono.display()
            ))
        }
    };
    if out.process.cancelled || ctx.is_cancelled() {
        return TaskOutcome::Canceled;
    }
    let ending = ending.into_inner().unwrap_or_default();
    if let Some(problem) = out
        .channel_error
        .or_else(|| bad_frame.into_inner().ok().flatten())
    {
        return ctx.fail(&format!(
            "The script host's report cannot be trusted: {problem}."
        ));
    }
    if ending.exception || ending.host_error {
        return TaskOutcome::Failure;
    }
    match ending.finished {
        Some((result, execution_value)) => {
            if let Ok(Some(v)) = values::from_wire(&execution_value) {
                if v != ssisd_engine::types::Value::Empty {
                    ctx.set_execution_value(v);
                }
            }
            match result {
                0 | 2 => TaskOutcome::Success,
                3 => TaskOutcome::Canceled,
                _ => ctx.fail("The script returned a failure result."),
            }
        }
        None => {
            let stderr = String::from_utf8_lossy(&out.process.stderr)
                .trim()
                .to_string();
            let how = match (out.process.code, out.process.signal) {
                (Some(c), _) => format!("exit code {c}"),
                (None, Some(s)) => format!("signal {s}"),
                _ => "no exit status".to_string(),
            };
            ctx.fail(&format!(
                "The script's process ended ({how}) before the script finished{}",
                if stderr.is_empty() {
                    ".".to_string()
                } else {
                    format!(": {stderr}")
                }
            ))
        }
    }
}
