//! The Expression task: evaluates its expression (usually `@[User::X] = …`) in the task's
//! scope and assigns the result. It owns that only.

use super::{attr, attributes, Reference, Task, TaskConfigError, TaskContext, TaskOutcome};
use crate::properties::PropertyOverrides;
use ssisd_engine::model::RawXml;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionTask {
    pub expression: String,
}

impl ExpressionTask {
    pub fn from_config(
        od: Option<&RawXml>,
        o: &PropertyOverrides,
    ) -> Result<Self, TaskConfigError> {
        let attrs = attributes(od, "ExpressionTask")?;
        let expression = o
            .text(&["Expression"])
            .or_else(|| attr(&attrs, "Expression").map(str::to_string))
            .unwrap_or_default();
        Ok(ExpressionTask { expression })
    }
}

impl Task for ExpressionTask {
    fn references(&self) -> Vec<Reference> {
        vec![Reference::Expression {
            property: "Expression",
            text: self.expression.clone(),
        }]
    }

    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        if self.expression.trim().is_empty() {
            return ctx.fail("The Expression task has no expression.");
        }
        let compiled = match ctx.compile(&self.expression) {
            Ok(c) => c,
            Err(e) => return ctx.fail(&e.to_string()),
        };
        let value = match ctx.evaluate(&compiled) {
            Ok(v) => v,
            Err(e) => {
                return ctx.fail(&format!(
                    "The expression \"{}\" failed: {e}",
                    self.expression
                ))
            }
        };
        match ctx.assign_target(&compiled, value) {
            Ok(()) => TaskOutcome::Success,
            Err(e) => ctx.fail(&e.to_string()),
        }
    }
}
