//! Running the child package as its own `dtexec` (`ExecuteOutOfProcess`): the `dtexec` next
//! to the current executable, hosted by `crate::child_host` (own process group, the run's
//! cancellation, bounded output), with the bindings as `/Par` and `/Set` arguments and the
//! nesting depth in the environment. The child writes its event stream to the host's channel
//! (`SSISD_EVENT_STREAM=fd:<n>`, one record per line); each record is parsed and handed to the
//! [`ChildSink`], so the child's events reach the parent's console and stream under the task's
//! path and its errors count here as they do in process. It owns the command line, the meaning
//! of the records and the reading of dtexec's exit code.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::depth::DEPTH_ENV;
use super::sink::ChildSink;
use crate::child_host::{self, Framing, HostedChild};
use crate::event_stream::{self, parse_record};
use crate::events::EventSink;
use crate::tasks::{TaskContext, TaskOutcome};
use ssisd_engine::protection::{PackagePassword, PASSWORD_VARIABLE};

/// The `dtexec` beside the running executable.
pub fn dtexec_path() -> Result<PathBuf, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("the running executable cannot be located: {e}"))?;
    let dir = exe
        .parent()
        .ok_or_else(|| "the running executable has no directory".to_string())?;
    let dtexec = dir.join("dtexec");
    if dtexec.is_file() {
        Ok(dtexec)
    } else {
        Err(format!("there is no dtexec in {}", dir.display()))
    }
}

/// dtexec's arguments for `file` with the parameter and property bindings.
pub fn arguments(
    file: &Path,
    parameters: &[(String, String)],
    sets: &[(String, String)],
) -> Vec<String> {
    let mut args = vec!["/F".to_string(), file.display().to_string()];
    for (name, value) in parameters {
        args.push("/Par".into());
        args.push(format!("$Package::{name};{value}"));
    }
    for (path, value) in sets {
        args.push("/Set".into());
        args.push(format!("{path};{value}"));
    }
    args
}

/// The `Description:` lines of dtexec's console output (its errors), at most `limit`.
fn descriptions(stdout: &[u8], limit: usize) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Description:"))
        .map(str::trim)
        .take(limit)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Runs `args` with the `dtexec` beside us, relaying its events, and judges its exit code.
/// The child's password goes in `SSIS_PACKAGE_DECRYPT` (never on the command line, where
/// every user could read it); a child without one does not inherit ours.
pub fn run(
    ctx: &TaskContext<'_>,
    args: Vec<String>,
    child_depth: usize,
    password: Option<&PackagePassword>,
) -> TaskOutcome {
    let program = match dtexec_path() {
        Ok(p) => p,
        Err(e) => {
            return ctx.fail(&format!(
                "The child package cannot run out of process: {e}."
            ))
        }
    };
    let mut command = Command::new(&program);
    command
        .args(&args)
        .env(DEPTH_ENV, child_depth.to_string())
        .env("SSISD_EVENT_STREAM_VARIABLES", "1");
    match password {
        Some(p) => command.env(PASSWORD_VARIABLE, p.as_str()),
        None => command.env_remove(PASSWORD_VARIABLE),
    };
    let child = HostedChild {
        command,
        channel_env: event_stream::ENV_VAR,
        channel_value: |fd| format!("fd:{fd}"),
        framing: Framing::Lines,
        frame_limit: child_host::DEFAULT_FRAME_LIMIT,
        stdin: None,
        output_limit: child_host::DEFAULT_OUTPUT_LIMIT,
        grace: ctx.run_options().kill_grace,
    };
    let sink = ChildSink::new(ctx);
    let started = child_host::run(child, ctx.cancel_token(), ctx.processes(), &|line| {
        if let Some(event) = std::str::from_utf8(line).ok().and_then(parse_record) {
            sink.emit(&event);
        }
    });
    let out = match started {
        Ok(o) => o.process,
        Err(e) => {
            return ctx.fail(&format!(
                "The child dtexec ({}) could not be started: {e}.",
                program.display()
            ))
        }
    };
    if out.cancelled || ctx.is_cancelled() {
        return TaskOutcome::Canceled;
    }
    match out.code {
        Some(0) => TaskOutcome::Success,
        code => {
            // Its errors came through the stream; the console text is the fallback.
            let errors = if sink.errors() == 0 {
                descriptions(&out.stdout, 5)
            } else {
                String::new()
            };
            let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
            let why = match code {
                Some(3) => "was cancelled".to_string(),
                Some(c) => format!("failed (dtexec exit code {c})"),
                None => format!("was ended by signal {}", out.signal.unwrap_or(0)),
            };
            ctx.fail(&format!(
                "The child package run out of process {why}{}{}",
                if errors.is_empty() {
                    String::new()
                } else {
                    format!(": {errors}")
                },
                if stderr.is_empty() {
                    String::new()
                } else {
                    format!(" ({stderr})")
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_become_par_and_set() {
        let args = arguments(
            Path::new("/p/child.dtsx"),
            &[("Target".into(), "/tmp/a;b".into())],
            &[(
                "\\Package.Variables[User::X].Properties[Value]".into(),
                "7".into(),
            )],
        );
        assert_eq!(
            args,
            vec![
                "/F",
                "/p/child.dtsx",
                "/Par",
                "$Package::Target;/tmp/a;b",
                "/Set",
                "\\Package.Variables[User::X].Properties[Value];7"
            ]
        );
    }

    #[test]
    fn error_descriptions_are_collected() {
        let out =
            b"Error: 2026\n   Code: 0x1\n   Description: it broke\nWarning\n   Description: two\n";
        assert_eq!(descriptions(out, 5), "it broke | two");
        assert_eq!(descriptions(out, 1), "it broke");
    }
}
