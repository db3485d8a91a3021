//! The Execute Process task: runs `Executable` with `Arguments` (split as Windows splits them,
//! never through a shell) in `WorkingDirectory`, feeding `StandardInputVariable` and filling
//! `StandardOutputVariable`/`StandardErrorVariable`; compares the exit code with
//! `SuccessValue` when `FailTaskIfReturnCodeIsNotSuccessValue`; honours `TimeOut` (seconds)
//! and `TerminateProcessAfterTimeOut`; the exit code is the task's execution value.
//! `WindowStyle` has no meaning here and is ignored.
//! Windows paths are mapped (drive dropped, `\` → `/`). The child lives in its own process
//! group (`process.rs`). It owns the task's configuration and judgement of the result.

use std::process::Command;
use std::time::Duration;

use super::command_line::split_arguments;
use super::{attr, attributes, flag, Reference, Task, TaskConfigError, TaskContext, TaskOutcome};
use crate::events::codes;
use crate::paths::map_path;
use crate::process::{run_child, ChildSpec};
use crate::properties::PropertyOverrides;
use ssisd_engine::model::RawXml;
use ssisd_engine::types::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteProcess {
    pub executable: String,
    pub arguments: String,
    pub working_directory: String,
    pub fail_on_exit_code: bool,
    pub success_value: i64,
    /// Seconds; 0 means no limit.
    pub timeout: u64,
    pub terminate_after_timeout: bool,
    pub stdin_variable: String,
    pub stdout_variable: String,
    pub stderr_variable: String,
}

impl ExecuteProcess {
    pub fn from_config(
        od: Option<&RawXml>,
        o: &PropertyOverrides,
    ) -> Result<Self, TaskConfigError> {
        let a = attributes(od, "ExecuteProcessData")?;
        let text = |prop: &[&str], name: &str| {
            o.text(prop)
                .or_else(|| attr(&a, name).map(str::to_string))
                .unwrap_or_default()
        };
        let number = |prop: &[&str], name: &str, default: i64| -> Result<i64, TaskConfigError> {
            if let Some(n) = o.int(prop) {
                return Ok(n);
            }
            match attr(&a, name).map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => s.parse().map_err(|_| TaskConfigError::NotANumber {
                    property: name.to_string(),
                    text: s.to_string(),
                }),
                None => Ok(default),
            }
        };
        let boolean = |prop: &[&str], name: &str, default: bool| {
            o.bool(prop)
                .or_else(|| flag(attr(&a, name)))
                .unwrap_or(default)
        };
        Ok(ExecuteProcess {
            executable: text(&["Executable"], "Executable"),
            arguments: text(&["Arguments"], "Arguments"),
            working_directory: text(&["WorkingDirectory"], "WorkingDirectory"),
            fail_on_exit_code: boolean(
                &["FailTaskIfReturnCodeIsNotSuccessValue"],
                "FailTaskIfReturnCodeIsNotSuccessValue",
                true,
            ),
            success_value: number(&["SuccessValue"], "SuccessValue", 0)?,
            timeout: number(&["TimeOut", "Timeout"], "TimeOut", 0)?.max(0) as u64,
            terminate_after_timeout: boolean(
                &["TerminateProcessAfterTimeOut", "TerminateAfterTimeout"],
                "TerminateAfterTimeout",
                true,
            ),
            stdin_variable: text(&["StandardInputVariable"], "StandardInputVariable"),
            stdout_variable: text(&["StandardOutputVariable"], "StandardOutputVariable"),
            stderr_variable: text(&["StandardErrorVariable"], "StandardErrorVariable"),
        })
    }

    fn describe(&self) -> String {
        format!(
            "In Executing \"{}\" \"{}\" at \"{}\"",
            self.executable, self.arguments, self.working_directory
        )
    }
}

impl Task for ExecuteProcess {
    fn references(&self) -> Vec<Reference> {
        vec![
            Reference::optional_variable("StandardInputVariable", &self.stdin_variable),
            Reference::optional_variable("StandardOutputVariable", &self.stdout_variable),
            Reference::optional_variable("StandardErrorVariable", &self.stderr_variable),
        ]
    }

    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        if self.executable.trim().is_empty() {
            return ctx.fail("The Execute Process task has no Executable.");
        }
        let program = map_path(&self.executable);
        let mut command = Command::new(&program);
        command.args(split_arguments(&self.arguments));
        if !self.working_directory.trim().is_empty() {
            command.current_dir(map_path(&self.working_directory));
        }
        let stdin = if self.stdin_variable.trim().is_empty() {
            None
        } else {
            match ctx.variable(&self.stdin_variable) {
                Ok(v) => Some(v.to_display_string().into_bytes()),
                Err(e) => return ctx.fail(&format!("StandardInputVariable: {e}")),
            }
        };
        let spec = ChildSpec {
            command,
            stdin: stdin.into(),
            capture_stdout: !self.stdout_variable.trim().is_empty(),
            capture_stderr: !self.stderr_variable.trim().is_empty(),
            timeout: (self.timeout > 0).then(|| Duration::from_secs(self.timeout)),
            terminate_after_timeout: self.terminate_after_timeout,
            grace: ctx.run_options().kill_grace,
            // The whole output goes to the variables, as SSIS does.
            output_limit: None,
        };
        let out = match run_child(spec, ctx.cancel_token(), ctx.processes()) {
            Ok(o) => o,
            Err(e) => {
                return ctx.fail(&format!(
                    "{}, the process could not be started: {e}.",
                    self.describe()
                ))
            }
        };
        if out.cancelled {
            return TaskOutcome::Canceled;
        }
        for (var, bytes) in [
            (&self.stdout_variable, &out.stdout),
            (&self.stderr_variable, &out.stderr),
        ] {
            if var.trim().is_empty() {
                continue;
            }
            let text = String::from_utf8_lossy(bytes).into_owned();
            if let Err(e) = ctx.set_variable(var, Value::WStr(text)) {
                return ctx.fail(&format!("{}: {e}.", self.describe()));
            }
        }
        if out.timed_out {
            ctx.error(
                codes::PROCESS_TIMEOUT,
                &format!(
                    "{}, the process ran longer than its TimeOut of {} seconds{}.",
                    self.describe(),
                    self.timeout,
                    if self.terminate_after_timeout {
                        " and was terminated"
                    } else {
                        ""
                    }
                ),
            );
            return TaskOutcome::Failure;
        }
        let code = match (out.code, out.signal) {
            (Some(c), _) => i64::from(c),
            (None, Some(sig)) => {
                ctx.error(
                    codes::PROCESS_EXIT_CODE,
                    &format!(
                        "{}, the process was ended by signal {sig}.",
                        self.describe()
                    ),
                );
                return TaskOutcome::Failure;
            }
            (None, None) => -1,
        };
        // The exit code is the task's execution value (for its ExecValueVariable).
        ctx.set_execution_value(Value::I4(i32::try_from(code).unwrap_or(-1)));
        if self.fail_on_exit_code && code != self.success_value {
            ctx.error(
                codes::PROCESS_EXIT_CODE,
                &format!(
                    "{}, The process exit code was \"{code}\" while the expected was \"{}\".",
                    self.describe(),
                    self.success_value
                ),
            );
            return TaskOutcome::Failure;
        }
        TaskOutcome::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let od = RawXml(
            "<ExecuteProcessData Executable=\"C:\\bin\\tool\" Arguments=\"-x\" \
             SuccessValue=\"2\" TimeOut=\"5\" FailTaskIfReturnCodeIsNotSuccessValue=\"False\" />"
                .into(),
        );
        let o = PropertyOverrides(vec![("Arguments".into(), Value::WStr("-y".into()))]);
        let t = ExecuteProcess::from_config(Some(&od), &o).expect("config");
        assert_eq!(t.executable, "C:\\bin\\tool");
        assert_eq!(t.arguments, "-y");
        assert_eq!(t.success_value, 2);
        assert_eq!(t.timeout, 5);
        assert!(!t.fail_on_exit_code);
        assert!(t.terminate_after_timeout);
        let bad = RawXml("<ExecuteProcessData TimeOut=\"soon\" />".into());
        assert!(ExecuteProcess::from_config(Some(&bad), &PropertyOverrides::default()).is_err());
    }
}
