//! Running the child package as its own `dtexec` (`ExecuteOutOfProcess`): the `dtexec` next
//! to the current executable, started in its own process group and registered with the run's
//! process registry (so cancellation, and the run's end, reach it), with the bindings as
//! `/Par` and `/Set` arguments and the nesting depth in the environment. It owns the command
//! line and the reading of dtexec's exit code; process lifetime is `run::process`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::depth::DEPTH_ENV;
use crate::run::process::{run_child, ChildSpec};
use crate::run::tasks::{TaskContext, TaskOutcome};

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

/// Runs `args` with the `dtexec` beside us and judges its exit code.
pub fn run(ctx: &TaskContext<'_>, args: Vec<String>, child_depth: usize) -> TaskOutcome {
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
        .env_remove("SSISD_EVENT_STREAM");
    let spec = ChildSpec {
        command,
        stdin: None,
        capture_stdout: true,
        capture_stderr: true,
        timeout: None,
        terminate_after_timeout: false,
        grace: ctx.run_options().kill_grace,
    };
    let out = match run_child(spec, ctx.cancel_token(), ctx.processes()) {
        Ok(o) => o,
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
            let errors = descriptions(&out.stdout, 5);
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
