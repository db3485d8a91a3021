//! What a running task may use: its identity, the variables in its scope (read, write, Object
//! variables), expressions compiled in its scope, connection managers, the event methods
//! (error, warning, information, progress), the cancel token, the child-process registry and
//! the run's options and sink. It owns that API surface; it must not run tasks.

use std::sync::Arc;

use super::super::cancel::CancelToken;
use super::super::connections::{self, ConnectionInfo};
use super::super::events::{codes, EventBody, EventSink, Level};
use super::super::handlers::EventArgs;
use super::super::node::Node;
use super::super::object_value::ObjectValue;
use super::super::process::ProcessRegistry;
use super::super::runtime::Runtime;
use super::super::variables::{InvalidExpression, SlotInfo, VariableError};
use super::super::RunOptions;
use ssisd_engine::expr::{EvalError, Expression};
use ssisd_engine::model::{Executable, Package};
use ssisd_engine::types::Value;

/// Why [`TaskContext::connection`] has no connection manager to give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    /// No manager of that name or id; `project` is the package's project, if any.
    #[error(
        "the connection \"{key}\" is not found: {} a connection manager of that name or id",
        holders(.project)
    )]
    NotFound {
        key: String,
        project: Option<String>,
    },
    /// Its property expressions (the connection string's) do not evaluate.
    #[error("{0}")]
    Expression(String),
}

/// Who was searched for a missing connection manager: the package, and its project if any.
fn holders(project: &Option<String>) -> String {
    match project {
        Some(p) => format!("neither the package nor its project \"{p}\" has"),
        None => "the package has no".to_string(),
    }
}

/// A variable as [`TaskContext::visible_variables`] lists it.
#[derive(Debug, Clone)]
pub struct VisibleVariable {
    pub slot: usize,
    pub info: SlotInfo,
    pub value: Value,
}

pub struct TaskContext<'a> {
    pub(crate) rt: &'a Runtime<'a>,
    pub(crate) node: &'a Node<'a>,
    pub(crate) exe: &'a Executable,
}

impl<'a> TaskContext<'a> {
    /// The task's executable as loaded (name, path, raw properties, object data).
    pub fn executable(&self) -> &'a Executable {
        self.exe
    }

    pub fn name(&self) -> &str {
        &self.exe.name
    }

    pub fn path(&self) -> &str {
        &self.exe.path
    }

    pub fn package(&self) -> &Package {
        self.rt.package
    }

    /// The options of the run (package file, /M, kill grace, cancel token).
    pub fn run_options(&self) -> &RunOptions {
        self.rt.options
    }

    /// The run's event sink.
    pub fn sink(&self) -> Arc<dyn EventSink + 'a> {
        self.rt.sink.clone()
    }

    /// Passes on an error, warning or information a child package raised and its handlers
    /// let propagate (`source` and `path` already placed under the task): it counts here, as
    /// if this task raised it, and fires this task's handlers and its containers'.
    pub fn relay(&self, level: Level, code: u32, source: &str, path: &str, description: &str) {
        self.rt
            .relay(self.node, level, code, source, path, description);
    }

    pub fn cancel_token(&self) -> &CancelToken {
        &self.rt.options.cancel
    }

    pub fn is_cancelled(&self) -> bool {
        self.rt.cancelled()
    }

    pub fn processes(&self) -> &ProcessRegistry {
        &self.rt.processes
    }

    /// The run's process registry, for children that outlive a borrow of the context (a
    /// Script Component's host lives on the data flow's threads).
    pub fn processes_shared(&self) -> Arc<ProcessRegistry> {
        self.rt.processes.clone()
    }

    /// The run's in-memory caches of Cache connection managers (filled by one data flow,
    /// read by later ones).
    pub fn data_flow_caches(&self) -> Arc<ssisd_pipeline::cache::CacheStore> {
        self.rt.caches.clone()
    }

    /// Reads a variable (`User::X`, `X`, `$Package::P`, `System::…`) in the task's scope.
    pub fn variable(&self, name: &str) -> Result<Value, VariableError> {
        let slot = self.rt.vars.resolve_text(self.node.frame, name)?;
        Ok(self.rt.vars.get(slot))
    }

    /// Finds a variable (`User::X`, `X`, `$Package::P`) in the task's scope: its handle for
    /// [`TaskContext::visible_variables`].
    pub fn variable_slot(&self, name: &str) -> Result<usize, VariableError> {
        self.rt.vars.resolve_text(self.node.frame, name)
    }

    /// Every variable the task can see, an inner one hiding an outer one of the same
    /// qualified name, with its facts and current value (for a task that hands them to
    /// another process).
    pub fn visible_variables(&self) -> Vec<VisibleVariable> {
        let vars = &self.rt.vars;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut at = Some(self.node.frame);
        while let Some(frame) = at.and_then(|f| vars.frame(f)) {
            for &slot in &frame.slots {
                let Some(info) = vars.info(slot) else {
                    continue;
                };
                if seen.insert(info.qualified_name()) {
                    out.push(VisibleVariable {
                        slot,
                        info: SlotInfo::clone(&info),
                        value: vars.get(slot),
                    });
                }
            }
            at = frame.parent;
        }
        out
    }

    /// Writes a variable (converted to its type; read-only variables refuse).
    pub fn set_variable(&self, name: &str, value: Value) -> Result<(), VariableError> {
        let slot = self.rt.vars.resolve_text(self.node.frame, name)?;
        self.rt.assign(self.node, slot, value)
    }

    /// The object (result set, list) held by an Object variable.
    pub fn object_variable(&self, name: &str) -> Result<Option<Arc<ObjectValue>>, VariableError> {
        let slot = self.rt.vars.resolve_text(self.node.frame, name)?;
        Ok(self.rt.vars.object(slot))
    }

    /// Stores a result set or list in an Object variable.
    pub fn set_object_variable(
        &self,
        name: &str,
        object: ObjectValue,
    ) -> Result<(), VariableError> {
        let slot = self.rt.vars.resolve_text(self.node.frame, name)?;
        self.rt.assign_object(self.node, slot, object)
    }

    /// Reports the task's execution value (rows affected, exit code, …), which the task host
    /// writes to the task's `ExecValueVariable` after the task ends.
    pub fn set_execution_value(&self, value: Value) {
        self.node.set_execution_value(value);
    }

    /// Compiles an expression in the task's scope.
    pub fn compile(&self, text: &str) -> Result<Expression, InvalidExpression> {
        self.rt
            .vars
            .compile(self.node.frame, text)
            .map_err(|source| InvalidExpression {
                text: text.to_string(),
                source,
            })
    }

    /// Evaluates a compiled expression with the current values.
    pub fn evaluate(&self, e: &Expression) -> Result<Value, EvalError> {
        e.evaluate(&self.rt.vars)
    }

    /// Writes the variable an `@[X] = …` expression assigns (by handle).
    pub fn assign_target(&self, e: &Expression, value: Value) -> Result<(), VariableError> {
        match e.assignment_target() {
            Some((target, _)) => self.rt.assign(self.node, target.0, value),
            None => Ok(()),
        }
    }

    /// A connection manager by name, DTSID or refId, with its effective connection string.
    pub fn connection(&self, key: &str) -> Result<ConnectionInfo, ConnectionError> {
        match connections::find(self.rt.package, &self.rt.vars, key) {
            Some(r) => r.map_err(ConnectionError::Expression),
            None => Err(ConnectionError::NotFound {
                key: key.to_string(),
                project: self.rt.package.project.as_ref().map(|p| p.name.clone()),
            }),
        }
    }

    /// Raises an error (counts towards MaximumErrorCount, fires OnError).
    pub fn error(&self, code: u32, description: &str) {
        self.rt.raise(self.node, Level::Error, code, description);
    }

    /// [`TaskContext::error`] with the generic task-failure code.
    pub fn fail(&self, description: &str) -> super::TaskOutcome {
        self.error(codes::TASK_FAILED, description);
        super::TaskOutcome::Failure
    }

    pub fn warning(&self, code: u32, description: &str) {
        self.rt.raise(self.node, Level::Warning, code, description);
    }

    pub fn information(&self, code: u32, description: &str) {
        self.rt
            .raise(self.node, Level::Information, code, description);
    }

    /// Emits an event of the run as it is (data-flow progress records).
    pub fn emit(&self, body: EventBody) {
        self.rt.emit(body);
    }

    /// Reports progress (percent 0–100) and fires OnProgress.
    pub fn progress(&self, description: &str, percent: i32) {
        self.rt.emit(EventBody::Progress {
            source: self.exe.name.clone(),
            path: self.exe.path.clone(),
            description: description.to_string(),
            percent,
        });
        self.rt.fire(
            self.node,
            "OnProgress",
            &EventArgs {
                progress: Some((description.to_string(), percent)),
                ..Default::default()
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_manager_names_where_it_was_looked_for() {
        let e = |project: Option<&str>| {
            ConnectionError::NotFound {
                key: "CM".into(),
                project: project.map(str::to_string),
            }
            .to_string()
        };
        assert_eq!(
            e(None),
            "the connection \"CM\" is not found: the package has no a connection manager of that \
             name or id"
        );
        assert_eq!(
            e(Some("Sales")),
            "the connection \"CM\" is not found: neither the package nor its project \"Sales\" \
             has a connection manager of that name or id"
        );
    }
}
