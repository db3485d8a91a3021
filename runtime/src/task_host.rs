//! The task host: takes a MaxConcurrentExecutables slot, builds the task from its kind,
//! object data and property values, runs it with a [`TaskContext`], and turns its outcome
//! into an execution result. A task inside an event handler runs on the slot of the task
//! whose event started the handler (that task is still running, waiting for its handler):
//! waiting for a second slot there could wait forever. It owns that wrapping only; tasks
//! live in `tasks/`.

use super::events::{codes, Level};
use super::node::Node;
use super::properties::PropertyOverrides;
use super::runtime::Runtime;
use super::tasks::{self, TaskContext, TaskOutcome};
use ssisd_engine::model::{ExecResult, Executable, TaskKind};

impl Runtime<'_> {
    pub fn run_task(
        &self,
        exe: &Executable,
        kind: &TaskKind,
        node: &Node<'_>,
        o: &PropertyOverrides,
    ) -> ExecResult {
        let _slot = if node.chain_holds_slot() {
            None
        } else {
            match self.limiter.acquire(&self.options.cancel) {
                Some(s) => {
                    node.set_holds_slot(true);
                    Some(s)
                }
                None => return ExecResult::Canceled,
            }
        };
        let mut task = match tasks::create(kind, exe.object_data.as_ref(), o) {
            Ok(t) => t,
            Err(e) => {
                let code = if tasks::registry::lookup(kind).is_some() {
                    codes::TASK_FAILED
                } else {
                    codes::TASK_NOT_SUPPORTED
                };
                self.raise(node, Level::Error, code, &e.to_string());
                return ExecResult::Failure;
            }
        };
        let ctx = TaskContext {
            rt: self,
            node,
            exe,
        };
        match task.execute(&ctx) {
            TaskOutcome::Success => ExecResult::Success,
            TaskOutcome::Failure => ExecResult::Failure,
            TaskOutcome::Canceled => ExecResult::Canceled,
        }
    }
}
