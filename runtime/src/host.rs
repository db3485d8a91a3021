//! The executable host: what happens around every container and task when it runs — property
//! expressions applied first, Disable honoured, `System::ContainerStartTime` set, start/end
//! events and OnPreExecute/OnPostExecute/OnTaskFailed raised, a task's execution value (or
//! the forced one) written to its ExecValueVariable, MaximumErrorCount, FailParentOnFailure,
//! FailPackageOnFailure and ForceExecutionResult applied to the result.
//! The body is dispatched to the scheduler (Sequence, package), the loops or the task host;
//! this file must not know how any of them works inside.

use std::time::Instant;

use chrono::Local;

use super::events::{codes, EventBody, Level};
use super::handlers::EventArgs;
use super::node::Node;
use super::properties::{self, PropertyOverrides};
use super::runtime::Runtime;
use ssisd_engine::model::{ExecResult, Executable, ExecutableKind};
use ssisd_engine::types::Value;

fn result_code(r: ExecResult) -> i32 {
    match r {
        ExecResult::Success => 0,
        ExecResult::Failure => 1,
        ExecResult::Completion => 2,
        ExecResult::Canceled => 3,
    }
}

fn kind_name(k: &ExecutableKind) -> &'static str {
    match k {
        ExecutableKind::Sequence => "Sequence",
        ExecutableKind::ForLoop(_) => "ForLoop",
        ExecutableKind::ForEachLoop(_) => "ForEachLoop",
        ExecutableKind::Package => "Package",
        ExecutableKind::Task(_) => "Task",
    }
}

impl Runtime<'_> {
    /// Runs the package itself as the outermost container.
    pub fn execute_package(&self, root: &Node<'_>) -> ExecResult {
        let pkg = self.package;
        let mut props = pkg.properties.common.clone();
        match properties::evaluate(&self.vars, 0, &pkg.property_expressions) {
            Ok(o) => properties::apply_common(&mut props, &o),
            Err((path, msg)) => {
                self.raise(
                    root,
                    Level::Error,
                    codes::PROPERTY_EXPRESSION_FAILED,
                    &format!("{path}: {msg}"),
                );
                return ExecResult::Failure;
            }
        }
        self.emit(EventBody::ExecutableStarted {
            path: root.path.to_string(),
            name: root.name.to_string(),
            id: root.id.to_string(),
            kind: "Package",
        });
        let started = Instant::now();
        self.fire(root, "OnPreExecute", &EventArgs::default());
        let mut result = self.run_children(&pkg.executables, &pkg.constraints, root);
        if result != ExecResult::Canceled
            && (root.reached_max_errors()
                || root.must_fail()
                || self
                    .package_failed
                    .load(std::sync::atomic::Ordering::SeqCst))
        {
            result = ExecResult::Failure;
        }
        let result = force(props.force_execution_result, result);
        self.fire(
            root,
            "OnPostExecute",
            &EventArgs {
                task_result: Some(result_code(result)),
                ..Default::default()
            },
        );
        self.emit(EventBody::ExecutableFinished {
            path: root.path.to_string(),
            name: root.name.to_string(),
            id: root.id.to_string(),
            result,
            duration: started.elapsed(),
        });
        result
    }

    /// Runs one executable under `parent` and returns the result its constraints see.
    pub fn execute(&self, exe: &Executable, parent: &Node<'_>) -> ExecResult {
        if self.cancelled() {
            return ExecResult::Canceled;
        }
        let frame = self.frame_in(parent, &exe.path);
        let mut props = exe.properties.clone();
        let overrides = match properties::evaluate(&self.vars, frame, &exe.property_expressions) {
            Ok(o) => o,
            Err((path, msg)) => {
                let node = self.node_for(exe, parent, frame, &props);
                self.raise(
                    &node,
                    Level::Error,
                    codes::PROPERTY_EXPRESSION_FAILED,
                    &format!("{path}: {msg}"),
                );
                return ExecResult::Failure;
            }
        };
        properties::apply_common(&mut props, &overrides);
        if props.disabled {
            // A disabled executable counts as a success for its constraints.
            return ExecResult::Success;
        }
        let node = self.node_for(exe, parent, frame, &props);
        self.set_system(
            frame,
            "ContainerStartTime",
            Value::Date(Local::now().naive_local()),
        );
        self.emit(EventBody::ExecutableStarted {
            path: exe.path.clone(),
            name: exe.name.clone(),
            id: exe.dtsid.clone(),
            kind: kind_name(&exe.kind),
        });
        let started = Instant::now();
        self.fire(&node, "OnPreExecute", &EventArgs::default());
        let mut result = self.body(exe, &node, &overrides);
        if result != ExecResult::Canceled && matches!(exe.kind, ExecutableKind::Task(_)) {
            self.write_execution_value(&node, &props);
        }
        if result != ExecResult::Canceled && (node.reached_max_errors() || node.must_fail()) {
            result = ExecResult::Failure;
        }
        if result == ExecResult::Failure && matches!(exe.kind, ExecutableKind::Task(_)) {
            self.fire(
                &node,
                "OnTaskFailed",
                &EventArgs {
                    task_result: Some(1),
                    ..Default::default()
                },
            );
        }
        let result = force(props.force_execution_result, result);
        self.fire(
            &node,
            "OnPostExecute",
            &EventArgs {
                task_result: Some(result_code(result)),
                ..Default::default()
            },
        );
        self.emit(EventBody::ExecutableFinished {
            path: exe.path.clone(),
            name: exe.name.clone(),
            id: exe.dtsid.clone(),
            result,
            duration: started.elapsed(),
        });
        if result == ExecResult::Failure {
            if props.fail_package_on_failure {
                self.package_failed
                    .store(true, std::sync::atomic::Ordering::SeqCst);
            }
            if props.fail_parent_on_failure {
                parent.mark_fail_parent();
            }
        }
        result
    }

    /// Writes the task's execution value — the forced one with ForceExecutionValue, else the
    /// one the task reported — to its ExecValueVariable. Problems are errors of the task.
    fn write_execution_value(&self, node: &Node<'_>, props: &ssisd_engine::model::ExecProperties) {
        let target = props.exec_value_variable.trim();
        if target.is_empty() {
            return;
        }
        let value = if props.force_execution_value {
            match Value::from_variable_text(props.execution_value_type, &props.execution_value) {
                Ok(v) => v,
                Err(e) => {
                    self.raise(
                        node,
                        Level::Error,
                        codes::VARIABLE_FAILED,
                        &format!("the forced execution value cannot be used: {e}"),
                    );
                    return;
                }
            }
        } else {
            match node.execution_value() {
                Some(v) => v,
                // The task has no execution value: the variable keeps its value.
                None => return,
            }
        };
        let slot = if target.starts_with('{') {
            self.vars.resolve_id(node.frame, target)
        } else {
            self.vars.resolve_text(node.frame, target)
        };
        if let Err(e) = slot.and_then(|s| self.assign(node, s, value)) {
            self.raise(
                node,
                Level::Error,
                codes::VARIABLE_FAILED,
                &format!(
                    "the execution value cannot be written to ExecValueVariable \"{target}\": {e}"
                ),
            );
        }
    }

    fn node_for<'a>(
        &self,
        exe: &'a Executable,
        parent: &'a Node<'a>,
        frame: usize,
        props: &ssisd_engine::model::ExecProperties,
    ) -> Node<'a> {
        let mut n = Node::new(
            Some(parent),
            &exe.path,
            &exe.name,
            &exe.dtsid,
            &exe.description,
            frame,
            &exe.event_handlers,
            props.maximum_error_count,
        );
        n.disable_event_handlers = props.disable_event_handlers;
        n
    }

    fn body(&self, exe: &Executable, node: &Node<'_>, o: &PropertyOverrides) -> ExecResult {
        match &exe.kind {
            ExecutableKind::Sequence => self.run_children(&exe.executables, &exe.constraints, node),
            ExecutableKind::ForLoop(l) => self.run_for_loop(exe, l, node, o),
            ExecutableKind::ForEachLoop(l) => self.run_foreach(exe, l, node),
            ExecutableKind::Task(kind) => self.run_task(exe, kind, node, o),
            ExecutableKind::Package => {
                self.raise(
                    node,
                    Level::Error,
                    codes::TASK_NOT_SUPPORTED,
                    "packages nested inside a package are not supported",
                );
                ExecResult::Failure
            }
        }
    }
}

/// Applies ForceExecutionResult (-1 none, 0 success, 1 failure, 2 completion). A cancelled
/// executable stays cancelled.
pub fn force(forced: i32, result: ExecResult) -> ExecResult {
    if result == ExecResult::Canceled {
        return result;
    }
    match forced {
        0 => ExecResult::Success,
        1 => ExecResult::Failure,
        2 => ExecResult::Completion,
        _ => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forcing() {
        assert_eq!(force(-1, ExecResult::Failure), ExecResult::Failure);
        assert_eq!(force(0, ExecResult::Failure), ExecResult::Success);
        assert_eq!(force(1, ExecResult::Success), ExecResult::Failure);
        assert_eq!(force(0, ExecResult::Canceled), ExecResult::Canceled);
    }
}
