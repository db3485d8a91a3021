//! Running the child package as its own `dtexec` (`ExecuteOutOfProcess`): the `dtexec` next
//! to the current executable, hosted by `crate::child_host` (own process group, the run's
//! cancellation, bounded output), with the package as `/F` or `/Project` and `/Package`, the
//! bindings as `/Set` arguments, parameter values in `SSISD_PARAMETERS` (never on the command
//! line), the run's package path as `/PackagePath`, and the nesting depth in the environment. The child writes its event stream to the host's channel
//! (`SSISD_EVENT_STREAM=fd:<n>`, one record per line); each record is parsed and handed to the
//! [`ChildSink`], so the child's events reach the parent's console and stream under the task's
//! path and its errors count here as they do in process. It owns the command line, the meaning
//! of the records and the reading of dtexec's exit code.

use std::path::PathBuf;
use std::process::Command;

use super::depth::DEPTH_ENV;
use super::sink::ChildSink;
use crate::child_host::{self, Framing, HostedChild};
use crate::event_stream::{self, parse_record};
use crate::events::EventSink;
use crate::tasks::{TaskContext, TaskOutcome};
use ssisd_engine::cli::{encode_parameters, PARAMETERS_ENV};
use ssisd_engine::model::Package;
use ssisd_engine::project::Project;
use ssisd_engine::protection::{PackagePassword, PASSWORD_VARIABLE};

/// The `dtexec` beside the running executable.
fn dtexec_path() -> Result<PathBuf, String> {
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

/// Where the child dtexec takes its package from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `/F <file>`.
    File(PathBuf),
    /// `/Project <location> /Package <file>`, with the project parameter values the parent
    /// runs with that differ from the project's own.
    Project {
        project: PathBuf,
        package: String,
        parameters: Vec<(String, String)>,
    },
}

/// The child dtexec's command line, and the `/Par` arguments it gets through
/// [`PARAMETERS_ENV`] rather than on the command line, which every local user can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildCommand {
    pub args: Vec<String>,
    pub parameters: Vec<String>,
}

/// The `$Project::` values of `package` (a package of `project`, after its overrides) that
/// differ from the values the project itself gives.
pub fn project_values(package: &Package, project: &Project) -> Vec<(String, String)> {
    let Some(scope) = &package.project else {
        return Vec::new();
    };
    scope
        .parameters
        .iter()
        .filter(|p| {
            project
                .parameters()
                .iter()
                .find(|o| o.name == p.name)
                .is_none_or(|o| o.value != p.value)
        })
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect()
}

/// dtexec's command for the child `source` with the parameter and property bindings and the
/// run's package path.
pub fn command(
    source: &Source,
    parameters: &[(String, String)],
    sets: &[(String, String)],
    package_path: &[PathBuf],
) -> ChildCommand {
    let mut args = Vec::new();
    let mut values = Vec::new();
    match source {
        Source::File(file) => {
            args.push("/F".to_string());
            args.push(file.display().to_string());
        }
        Source::Project {
            project,
            package,
            parameters,
        } => {
            args.extend([
                "/Project".to_string(),
                project.display().to_string(),
                "/Package".to_string(),
                package.clone(),
            ]);
            for (name, value) in parameters {
                values.push(format!("$Project::{name};{value}"));
            }
        }
    }
    for (name, value) in parameters {
        values.push(format!("$Package::{name};{value}"));
    }
    for (path, value) in sets {
        args.push("/Set".into());
        args.push(format!("{path};{value}"));
    }
    for dir in package_path {
        args.push("/PackagePath".into());
        args.push(format!("\"{}\"", dir.display()));
    }
    ChildCommand {
        args,
        parameters: values,
    }
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

/// Runs `child` with the `dtexec` beside us, relaying its events, and judges its exit code.
/// The child's password goes in `SSIS_PACKAGE_DECRYPT` and its parameter values in
/// `SSISD_PARAMETERS` (never on the command line, where every user could read them); a child
/// without a password does not inherit ours.
pub fn run(
    ctx: &TaskContext<'_>,
    child: ChildCommand,
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
        .args(&child.args)
        .env(PARAMETERS_ENV, encode_parameters(&child.parameters))
        .env(DEPTH_ENV, child_depth.to_string())
        .env("SSISD_EVENT_STREAM_VARIABLES", "1");
    match password {
        Some(p) => command.env(PASSWORD_VARIABLE, p.as_str()),
        None => command.env_remove(PASSWORD_VARIABLE),
    };
    let hosted = HostedChild {
        command,
        channel_env: event_stream::ENV_VAR,
        channel_value: |fd| format!("fd:{fd}"),
        framing: Framing::Lines,
        frame_limit: child_host::DEFAULT_FRAME_LIMIT,
        stdin: crate::process::ChildInput::Null,
        output_limit: child_host::DEFAULT_OUTPUT_LIMIT,
        grace: ctx.run_options().kill_grace,
    };
    let sink = ChildSink::new(ctx);
    let started = child_host::run(hosted, ctx.cancel_token(), ctx.processes(), &|line| {
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
    fn bindings_become_parameters_and_set() {
        let c = command(
            &Source::File(PathBuf::from("/p/child.dtsx")),
            &[("Target".into(), "/tmp/a;b".into())],
            &[(
                "\\Package.Variables[User::X].Properties[Value]".into(),
                "7".into(),
            )],
            &[PathBuf::from("/srv/more children")],
        );
        assert_eq!(
            c.args,
            vec![
                "/F",
                "/p/child.dtsx",
                "/Set",
                "\\Package.Variables[User::X].Properties[Value];7",
                "/PackagePath",
                "\"/srv/more children\""
            ]
        );
        // Values go through the environment, not the command line.
        assert_eq!(c.parameters, vec!["$Package::Target;/tmp/a;b"]);
        let c = command(
            &Source::Project {
                project: PathBuf::from("/p/Sales.ispac"),
                package: "Load.dtsx".into(),
                parameters: vec![("Password".into(), "s3cret".into())],
            },
            &[],
            &[],
            &[],
        );
        assert_eq!(
            c.args,
            vec!["/Project", "/p/Sales.ispac", "/Package", "Load.dtsx"]
        );
        assert_eq!(c.parameters, vec!["$Project::Password;s3cret"]);
        assert!(!c.args.iter().any(|a| a.contains("s3cret")));
    }

    #[test]
    fn error_descriptions_are_collected() {
        let out =
            b"Error: 2026\n   Code: 0x1\n   Description: it broke\nWarning\n   Description: two\n";
        assert_eq!(descriptions(out, 5), "it broke | two");
        assert_eq!(descriptions(out, 1), "it broke");
    }
}
