//! Conditional Split: sends each row to the first output, in EvaluationOrder, whose condition
//! is true, otherwise to the default output; a row never goes to two outputs. Conditions are
//! compiled once per component and must be DT_BOOL. A condition that is NULL is an error
//! (0xC020902B) handled by that output's error disposition — Ignore Failure counts it as
//! false, Redirect Row sends the row to the error output — as is a condition that fails to
//! evaluate. It must not change rows.

use std::sync::Arc;

use ssisd_engine::model::Dispositions;
use ssisd_engine::types::{DataType, Value};

use crate::buffer::{Buffer, Layout};
use crate::codes;
use crate::component::{
    failure, handling, Component, ComponentSpec, FailureKind, Handling, PrepareContext, Routing,
    RowError, RunContext,
};
use crate::components::{prop, prop_bool, prop_int};
use crate::error::{PipelineError, Problems};
use crate::expression::{BufferExpression, CompileFailure, Variables};
use crate::registry::ComponentEntry;

use super::derived_column::check_expression;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Conditional Split",
    class_ids: &[
        "{3AE878C6-0D6C-4F48-8128-40E00E9C1B7D}",
        "{7F88F654-4E20-4D14-84F4-AF9C925D3087}",
        "DTSTransform.ConditionalSplit",
        "Microsoft.ConditionalSplit",
    ],
    create,
};

struct Condition {
    output: u16,
    name: String,
    text: String,
    dispositions: Dispositions,
    expr: Option<BufferExpression>,
}

struct ConditionalSplit {
    name: String,
    task_path: String,
    layout: Arc<Layout>,
    conditions: Vec<Condition>,
    default: u16,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let layout = spec.input_layouts.first().cloned().unwrap_or_default();
    let mut conditions: Vec<(i64, Condition)> = Vec::new();
    let mut default = None;
    for (oi, o) in c.outputs.iter().enumerate() {
        if o.is_error_output {
            continue;
        }
        if prop_bool(&o.properties, "IsDefaultOut").unwrap_or(false) {
            default = Some(oi as u16);
            continue;
        }
        let Some(text) = prop(&o.properties, "Expression") else {
            problems.push(spec.error(format!(
                "the output \"{}\" has no condition (Expression)",
                o.name
            )));
            continue;
        };
        let what = format!("the output \"{}\"", o.name);
        let expr = check_expression(spec, &layout, text, &what, &mut problems);
        if let Some(e) = &expr {
            if e.result_type() != &DataType::Bool {
                problems.push(spec.error(format!(
                    "the condition of the output \"{}\" is {}, not a Boolean (DT_BOOL) (expression: {text})",
                    o.name,
                    e.result_type()
                )));
            }
        }
        conditions.push((
            prop_int(&o.properties, "EvaluationOrder").unwrap_or(oi as i64),
            Condition {
                output: oi as u16,
                name: format!("{}.Outputs[{}]", c.name, o.name),
                text: text.to_string(),
                dispositions: o.dispositions.clone(),
                expr,
            },
        ));
    }
    let Some(default) = default else {
        problems.push(spec.error("it has no default output (an output with IsDefaultOut set)"));
        return Err(problems);
    };
    problems.into_result()?;
    conditions.sort_by_key(|(order, _)| *order);
    Ok(Box::new(ConditionalSplit {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        layout,
        conditions: conditions.into_iter().map(|(_, c)| c).collect(),
        default,
    }))
}

impl Component for ConditionalSplit {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        for c in &mut self.conditions {
            if c.expr.is_none() {
                match BufferExpression::compile(&c.text, &self.layout, Variables::Host(ctx.host)) {
                    Ok(e) => c.expr = Some(e),
                    Err(CompileFailure::Invalid(e)) => {
                        return Err(ctx.error(
                            codes::INDIVIDUAL_VALIDATION_FAILED,
                            format!(
                                "the condition of \"{}\" is not valid: {e} (expression: {})",
                                c.name, c.text
                            ),
                        ))
                    }
                    Err(CompileFailure::NeedsVariables) => {}
                }
            }
        }
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        const UNSET: u16 = u16::MAX - 1;
        let n = buffer.rows();
        let mut route = vec![UNSET; n];
        let mut errors = Vec::new();
        for c in &self.conditions {
            let Some(expr) = &c.expr else { continue };
            let mut fail = None;
            expr.evaluate_each(buffer, |row, result| {
                if route[row] != UNSET || fail.is_some() {
                    return;
                }
                let (code, detail) = match result {
                    Ok(Value::Bool(true)) => {
                        route[row] = c.output;
                        return;
                    }
                    Ok(Value::Bool(false)) => return,
                    Ok(_) => (
                        codes::SPLIT_EXPRESSION_NULL,
                        "the condition evaluated to NULL".to_string(),
                    ),
                    Err(e) => (
                        codes::EXPRESSION_FAILED,
                        format!("the condition failed: {e}"),
                    ),
                };
                match handling(&c.dispositions, FailureKind::Error) {
                    Handling::Ignore => {}
                    Handling::Redirect => {
                        route[row] = Routing::DROP;
                        errors.push(RowError {
                            row,
                            code,
                            column: 0,
                        });
                    }
                    Handling::Fail => {
                        fail = Some(failure(
                            &self.task_path,
                            &self.name,
                            &c.name,
                            ctx.rows_before + row as u64 + 1,
                            code,
                            FailureKind::Error,
                            &format!("{detail} (expression: {})", c.text),
                        ));
                    }
                }
            });
            if let Some(e) = fail {
                return Err(e);
            }
        }
        for r in &mut route {
            if *r == UNSET {
                *r = self.default;
            }
        }
        Ok(Routing {
            per_row: Some(route),
            errors,
        })
    }
}
