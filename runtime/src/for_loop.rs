//! The For Loop container: InitExpression once, then EvalExpression before each iteration
//! (it must be a Boolean; false ends the loop), the body, then AssignExpression. Each of the
//! three may be replaced by a property expression. The loop stops early when the run is
//! cancelled or the container reached its MaximumErrorCount. It owns the iteration only.

use super::events::{codes, Level};
use super::node::Node;
use super::properties::PropertyOverrides;
use super::runtime::Runtime;
use ssisd_engine::model::{ExecResult, Executable, ForLoop};
use ssisd_engine::types::Value;

impl Runtime<'_> {
    /// Evaluates `text` in `node`'s scope, assigning when it is `@var = …`. Errors are raised
    /// on `node`.
    pub fn evaluate_in(&self, node: &Node<'_>, what: &str, text: &str) -> Option<Value> {
        let fail = |msg: String| {
            self.raise(
                node,
                Level::Error,
                codes::FOR_LOOP_FAILED,
                &format!("The {what} \"{text}\" failed: {msg}"),
            );
            None
        };
        let compiled = match self.vars.compile(node.frame, text) {
            Ok(c) => c,
            Err(e) => return fail(format!("column {}: {}", e.column, e.message)),
        };
        let value = match compiled.evaluate(&self.vars) {
            Ok(v) => v,
            Err(e) => return fail(e.to_string()),
        };
        if let Some((target, _)) = compiled.assignment_target() {
            if let Err(e) = self.assign(node, target.0, value.clone()) {
                return fail(e.to_string());
            }
        }
        Some(value)
    }

    pub fn run_for_loop(
        &self,
        exe: &Executable,
        l: &ForLoop,
        node: &Node<'_>,
        o: &PropertyOverrides,
    ) -> ExecResult {
        let init = o
            .text(&["InitExpression"])
            .unwrap_or_else(|| l.init_expression.clone());
        let eval = o
            .text(&["EvalExpression"])
            .unwrap_or_else(|| l.eval_expression.clone());
        let assign = o
            .text(&["AssignExpression"])
            .unwrap_or_else(|| l.assign_expression.clone());
        if eval.trim().is_empty() {
            self.raise(
                node,
                Level::Error,
                codes::FOR_LOOP_FAILED,
                "The For Loop has no EvalExpression.",
            );
            return ExecResult::Failure;
        }
        if !init.trim().is_empty() && self.evaluate_in(node, "InitExpression", &init).is_none() {
            return ExecResult::Failure;
        }
        loop {
            if self.cancelled() {
                return ExecResult::Canceled;
            }
            match self.evaluate_in(node, "EvalExpression", &eval) {
                Some(Value::Bool(true)) => {}
                Some(Value::Bool(false)) => return ExecResult::Success,
                Some(_) => {
                    self.raise(
                        node,
                        Level::Error,
                        codes::FOR_LOOP_FAILED,
                        &format!("The EvalExpression \"{eval}\" does not evaluate to a Boolean."),
                    );
                    return ExecResult::Failure;
                }
                None => return ExecResult::Failure,
            }
            let r = self.run_children(&exe.executables, &exe.constraints, node);
            if r == ExecResult::Canceled {
                return r;
            }
            if node.reached_max_errors() || node.must_fail() {
                return ExecResult::Failure;
            }
            if !assign.trim().is_empty()
                && self
                    .evaluate_in(node, "AssignExpression", &assign)
                    .is_none()
            {
                return ExecResult::Failure;
            }
        }
    }
}
