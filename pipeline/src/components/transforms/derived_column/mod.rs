//! Derived Column: computes expressions for every row, either into new columns of its
//! synchronous output (add) or over input columns marked read-write (replace). Each expression
//! is compiled once against the input's columns (the stored `Expression`, whose `#lineage` and
//! `#{refId}` references resolve without ambiguity) and evaluated over whole buffers; the
//! result converts to the column's declared type. An evaluation or conversion failure, or a
//! string longer than its column, follows that column's error or truncation disposition. It
//! must not look beyond its input buffer.

use std::sync::Arc;

use ssisd_engine::model::Dispositions;
use ssisd_engine::types::{convert, truncate_chars, DataType, Value};

use crate::buffer::values::ColumnBuilder;
use crate::buffer::{Buffer, Layout};
use crate::codes;
use crate::component::{
    failure, handling, Component, ComponentSpec, FailureKind, Handling, PrepareContext, Routing,
    RowError, RunContext,
};
use crate::components::prop;
use crate::error::{PipelineError, Problems};
use crate::expression::{BufferExpression, CompileFailure, Variables};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Derived Column",
    class_ids: &[
        "{2932025B-AB99-40F6-B5B8-783A73F80E24}",
        "{49928E82-9C4E-49F0-AABE-3812B82707EC}",
        "DTSTransform.DerivedColumn",
        "Microsoft.DerivedColumn",
    ],
    create,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A new column (appended in this order).
    Add,
    /// An input column replaced in place (its buffer index).
    Replace(usize),
}

struct Derivation {
    target: Target,
    ty: DataType,
    lineage: i64,
    identification: String,
    dispositions: Dispositions,
    text: String,
    expr: Option<BufferExpression>,
}

struct DerivedColumn {
    name: String,
    task_path: String,
    layout: Arc<Layout>,
    derivations: Vec<Derivation>,
}

/// Compiles an expression for validation: errors are problems; expressions that read variables
/// are compiled again when the component is prepared.
pub(crate) fn check_expression(
    spec: &ComponentSpec<'_>,
    layout: &Layout,
    text: &str,
    what: &str,
    problems: &mut Problems,
) -> Option<BufferExpression> {
    match BufferExpression::compile(text, layout, Variables::Unknown) {
        Ok(e) => Some(e),
        Err(CompileFailure::NeedsVariables) => None,
        Err(CompileFailure::Invalid(e)) => {
            problems.push(spec.error(format!(
                "the expression of {what} is not valid: {e} (expression: {text})"
            )));
            None
        }
    }
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let layout = spec.input_layouts.first().cloned().unwrap_or_default();
    let mut derivations = Vec::new();
    if let Some(input) = c.inputs.first() {
        for col in &input.columns {
            if col.usage != ssisd_engine::model::UsageType::ReadWrite {
                continue;
            }
            let Some(text) = prop(&col.properties, "Expression") else {
                continue;
            };
            let Some(idx) = layout.index_of(col.lineage.number) else {
                continue;
            };
            let lc = &layout.columns[idx];
            let what = format!("the replaced column \"{}\"", lc.name);
            let expr = check_expression(spec, &layout, text, &what, &mut problems);
            derivations.push(Derivation {
                target: Target::Replace(idx),
                ty: lc.data_type,
                lineage: lc.lineage,
                identification: format!("{}.Inputs[{}].Columns[{}]", c.name, input.name, lc.name),
                dispositions: col.dispositions.clone(),
                text: text.to_string(),
                expr,
            });
        }
    }
    for o in c
        .outputs
        .iter()
        .filter(|o| o.is_synchronous() && !o.is_error_output)
    {
        for col in &o.columns {
            let Some(text) = prop(&col.properties, "Expression") else {
                problems.push(spec.error(format!(
                    "the output column \"{}\" has no Expression",
                    col.name
                )));
                continue;
            };
            let Some(ty) = col.data_type else {
                problems.push(spec.error(format!(
                    "the output column \"{}\" has the unknown data type \"{}\"",
                    col.name, col.type_name
                )));
                continue;
            };
            let what = format!("the column \"{}\"", col.name);
            let expr = check_expression(spec, &layout, text, &what, &mut problems);
            derivations.push(Derivation {
                target: Target::Add,
                ty,
                lineage: col.lineage_id,
                identification: crate::metadata::identification(c, o, col),
                dispositions: col.dispositions.clone(),
                text: text.to_string(),
                expr,
            });
        }
    }
    problems.into_result()?;
    Ok(Box::new(DerivedColumn {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        layout,
        derivations,
    }))
}

/// Why a value does not fit its column: the kind, the reason, and for a truncation the value
/// cut to fit (what Ignore Failure keeps).
pub(crate) type Misfit = (FailureKind, String, Option<Value>);

/// Converts an expression result to the column type.
pub(crate) fn fit(value: Value, ty: &DataType) -> Result<Value, Misfit> {
    if value.is_null() {
        return Ok(Value::Null(*ty));
    }
    if let (Some(s), DataType::Str { len, .. } | DataType::WStr { len }) = (value.as_str(), ty) {
        if *len > 0 && s.len() > *len as usize && s.chars().count() > *len as usize {
            let mut cut = s.to_string();
            truncate_chars(&mut cut, *len);
            return Err((
                FailureKind::Truncation,
                format!("the value is longer than the column's {len} characters"),
                Some(Value::WStr(cut)),
            ));
        }
    }
    // Already the column's kind: only the variant (DT_STR / DT_WSTR) or the scale changes.
    match (value, ty) {
        (Value::WStr(s) | Value::Str(s), DataType::Str { .. }) => Ok(Value::Str(s)),
        (Value::WStr(s) | Value::Str(s), DataType::WStr { .. }) => Ok(Value::WStr(s)),
        (
            Value::Numeric(d) | Value::Decimal(d) | Value::Cy(d),
            DataType::Numeric { precision, scale },
        ) if d.scale() <= *scale && d.rescale(*scale).is_some_and(|r| r.fits(*precision)) => {
            Ok(Value::Numeric(d.rescale(*scale).unwrap_or(d)))
        }
        (v, _) if &v.data_type() == ty => Ok(v),
        (v, _) => convert(&v, ty).map_err(|e| (FailureKind::Error, e.to_string(), None)),
    }
}

impl Component for DerivedColumn {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        for d in &mut self.derivations {
            if d.expr.is_some() {
                continue;
            }
            match BufferExpression::compile(&d.text, &self.layout, Variables::Host(ctx.host)) {
                Ok(e) => d.expr = Some(e),
                Err(CompileFailure::Invalid(e)) => {
                    return Err(ctx.error(
                        codes::INDIVIDUAL_VALIDATION_FAILED,
                        format!(
                            "the expression of \"{}\" is not valid: {e} (expression: {})",
                            d.identification, d.text
                        ),
                    ))
                }
                Err(CompileFailure::NeedsVariables) => {}
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
        let n = buffer.rows();
        let mut errors: Vec<RowError> = Vec::new();
        let mut added = Vec::new();
        let mut replaced = Vec::new();
        for d in &self.derivations {
            let Some(expr) = &d.expr else { continue };
            let mut b = ColumnBuilder::new(&d.ty, n);
            let mut fail: Option<PipelineError> = None;
            expr.evaluate_each(buffer, |row, result| {
                if fail.is_some() {
                    return;
                }
                let outcome = match result {
                    Ok(v) => fit(v, &d.ty),
                    Err(e) => Err((FailureKind::Error, e.to_string(), None)),
                };
                match outcome {
                    Ok(v) => b.append_value(&v),
                    Err((kind, detail, cut)) => match handling(&d.dispositions, kind) {
                        Handling::Ignore => {
                            match cut.and_then(|c| c.as_str().map(str::to_string)) {
                                Some(s) => b.append_str(&s),
                                None => b.append_null(),
                            }
                        }
                        Handling::Redirect => {
                            b.append_null();
                            errors.push(RowError {
                                row,
                                code: codes::EXPRESSION_CANNOT_CONVERT,
                                column: d.lineage,
                            });
                        }
                        Handling::Fail => {
                            b.append_null();
                            fail = Some(failure(
                                &self.task_path,
                                &self.name,
                                &d.identification,
                                ctx.rows_before + row as u64 + 1,
                                codes::EXPRESSION_CANNOT_CONVERT,
                                kind,
                                &format!("{detail} (expression: {})", d.text),
                            ));
                        }
                    },
                }
            });
            if let Some(e) = fail {
                return Err(e);
            }
            match d.target {
                Target::Add => added.push(b.finish()),
                Target::Replace(idx) => replaced.push((idx, b.finish())),
            }
        }
        for (idx, a) in replaced {
            buffer.replace(idx, a);
        }
        if !added.is_empty() {
            let extra: Vec<_> = self
                .derivations
                .iter()
                .filter(|d| d.target == Target::Add)
                .map(|d| crate::buffer::LayoutColumn::new(d.lineage, &d.identification, d.ty))
                .collect();
            let layout = Arc::new(buffer.layout().extended(extra));
            buffer.append(layout, added);
        }
        Ok(Routing {
            per_row: None,
            errors,
        })
    }
}
