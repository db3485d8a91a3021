//! The Execute Package task: runs a child package found by project reference (a sibling
//! `.dtsx` of the parent's file) or through a FILE connection, bound to the parent through
//! `ParameterAssignment`s and the child's parent-variable configurations — in process by
//! default (`run::run_package` with the parent's sink, child paths under the task's, and the
//! same cancel token), or as its own `dtexec` with `ExecuteOutOfProcess`. The child's failure
//! fails the task, its cancellation cancels it, and nesting deeper than
//! [`depth::MAX_DEPTH`] is refused. This file owns the order of those steps; each is its own
//! file.

mod child;
mod config;
mod depth;
mod out_of_process;
mod sink;

use std::sync::Arc;

use self::config::ExecutePackageConfig;
use super::{Task, TaskContext, TaskOutcome};
use crate::model::{ExecResult, RawXml};
use crate::run::properties::PropertyOverrides;
use crate::run::{run_package, RunOptions};

pub use child::ChildError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutePackage {
    pub config: ExecutePackageConfig,
}

impl ExecutePackage {
    pub fn from_config(od: Option<&RawXml>, o: &PropertyOverrides) -> Result<Self, String> {
        Ok(ExecutePackage {
            config: ExecutePackageConfig::parse(od, o)?,
        })
    }

    fn in_process(
        &self,
        ctx: &TaskContext<'_>,
        file: &std::path::Path,
        depth: usize,
        chain: Vec<std::path::PathBuf>,
    ) -> TaskOutcome {
        let prepared = match child::prepare(file, &self.config, ctx) {
            Ok(p) => p,
            Err(e) => return ctx.fail(&format!("{e}.")),
        };
        for w in &prepared.warnings {
            ctx.warning(crate::run::events::codes::TASK_WARNING, w);
        }
        let options = RunOptions {
            max_concurrent: ctx.run_options().max_concurrent,
            package_file: Some(file.to_path_buf()),
            kill_grace: ctx.run_options().kill_grace,
            cancel: ctx.cancel_token().clone(),
        };
        let _registered = depth::Registration::new(&options, depth, chain);
        let sink = Arc::new(sink::ChildSink {
            parent: ctx.sink(),
            prefix: ctx.path().to_string(),
        });
        let outcome = run_package(&prepared.package, &options, sink);
        match outcome.result {
            ExecResult::Success | ExecResult::Completion => TaskOutcome::Success,
            ExecResult::Canceled => TaskOutcome::Canceled,
            ExecResult::Failure => ctx.fail(&format!(
                "The child package \"{}\" failed ({} error{}).",
                file.display(),
                outcome.errors,
                if outcome.errors == 1 { "" } else { "s" }
            )),
        }
    }

    fn out_of_process(
        &self,
        ctx: &TaskContext<'_>,
        file: &std::path::Path,
        depth: usize,
    ) -> TaskOutcome {
        // The child is loaded here only to learn its parent-variable configurations.
        let sets = match crate::load::load_package_file(file) {
            Ok(p) => {
                let (values, warnings) = child::parent_variable_values(&p, ctx);
                for w in &warnings {
                    ctx.warning(crate::run::events::codes::TASK_WARNING, w);
                }
                values
            }
            Err(e) => {
                let err = ChildError::Load {
                    path: file.to_path_buf(),
                    source: e,
                };
                return ctx.fail(&format!("{err}."));
            }
        };
        let parameters = match child::parameter_values(&self.config, ctx) {
            Ok(p) => p,
            Err(e) => return ctx.fail(&format!("{e}.")),
        };
        out_of_process::run(
            ctx,
            out_of_process::arguments(file, &parameters, &sets),
            depth,
        )
    }
}

impl Task for ExecutePackage {
    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        let file = match child::resolve(&self.config, ctx) {
            Ok(f) => f,
            Err(e) => return ctx.fail(&format!("{e}.")),
        };
        let (parent_depth, mut chain) = depth::current(ctx.run_options());
        let depth = parent_depth + 1;
        if let Some(msg) = depth::refusal(depth, &chain, &file) {
            return ctx.fail(&msg);
        }
        if ctx.is_cancelled() {
            return TaskOutcome::Canceled;
        }
        if self.config.execute_out_of_process {
            return self.out_of_process(ctx, &file, depth);
        }
        chain.push(file.clone());
        self.in_process(ctx, &file, depth, chain)
    }
}
