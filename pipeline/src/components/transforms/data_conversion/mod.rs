//! Data Conversion: each output column is a copy of an input column (`SourceInputColumnLineageID`)
//! converted to the output column's type; the input columns stay available. A value that does
//! not convert or does not fit follows the output column's dispositions, with Data Conversion's
//! status codes in ErrorCode. It must not change input columns.

use std::sync::Arc;

use ssisd_engine::model::Dispositions;
use ssisd_engine::types::DataType;

use crate::buffer::values::ColumnBuilder;
use crate::buffer::{Buffer, LayoutColumn};
use crate::codes;
use crate::component::{
    failure, handling, Component, ComponentSpec, FailureKind, Handling, Routing, RowError,
    RunContext,
};
use crate::components::{lineage_ref, prop};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

use super::derived_column::fit;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Data Conversion",
    class_ids: &[
        "{BD06A22E-BC69-4AF7-A69B-C44C2EF684BB}",
        "{62B1106C-7DB8-4EC8-ADD6-4C664DFFC54A}",
        "DTSTransform.DataConvert",
        "Microsoft.DataConvert",
    ],
    create,
};

struct Conversion {
    source: usize,
    ty: DataType,
    lineage: i64,
    identification: String,
    dispositions: Dispositions,
}

struct DataConversion {
    name: String,
    task_path: String,
    conversions: Vec<Conversion>,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let layout = spec.input_layouts.first().cloned().unwrap_or_default();
    let mut conversions = Vec::new();
    for o in c
        .outputs
        .iter()
        .filter(|o| o.is_synchronous() && !o.is_error_output)
    {
        for col in &o.columns {
            let source = prop(&col.properties, "SourceInputColumnLineageID")
                .and_then(|t| lineage_ref(spec.flow, t))
                .and_then(|l| layout.index_of(l));
            let Some(source) = source else {
                problems.push(spec.error(format!(
                    "the output column \"{}\" converts an input column that is not in its input (SourceInputColumnLineageID {:?})",
                    col.name,
                    prop(&col.properties, "SourceInputColumnLineageID").unwrap_or("")
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
            let from = layout.columns[source].data_type;
            if !ssisd_engine::types::can_cast(&from, &ty) {
                problems.push(spec.error(format!(
                    "the column \"{}\" cannot be converted from {} to {}",
                    layout.columns[source].name, from, ty
                )));
                continue;
            }
            conversions.push(Conversion {
                source,
                ty,
                lineage: col.lineage_id,
                identification: crate::metadata::identification(c, o, col),
                dispositions: col.dispositions.clone(),
            });
        }
    }
    problems.into_result()?;
    Ok(Box::new(DataConversion {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        conversions,
    }))
}

impl Component for DataConversion {
    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let n = buffer.rows();
        let mut errors = Vec::new();
        let mut arrays = Vec::with_capacity(self.conversions.len());
        for conv in &self.conversions {
            let mut b = ColumnBuilder::new(&conv.ty, n);
            for row in 0..n {
                match fit(buffer.value(conv.source, row), &conv.ty) {
                    Ok(v) => b.append_value(&v),
                    Err((kind, detail, cut)) => {
                        let status = match kind {
                            FailureKind::Truncation => codes::status::CONVERSION_TRUNCATED,
                            FailureKind::Error if detail.contains("overflow") => {
                                codes::status::CONVERSION_OVERFLOW
                            }
                            FailureKind::Error => codes::status::CONVERSION_CANT_CONVERT,
                        };
                        match handling(&conv.dispositions, kind) {
                            Handling::Ignore => match cut {
                                Some(v) => b.append_value(
                                    &fit(v, &conv.ty)
                                        .unwrap_or(ssisd_engine::types::Value::Null(conv.ty)),
                                ),
                                None => b.append_null(),
                            },
                            Handling::Redirect => {
                                b.append_null();
                                errors.push(RowError {
                                    row,
                                    code: status,
                                    column: conv.lineage,
                                });
                            }
                            Handling::Fail => {
                                return Err(failure(
                                    &self.task_path,
                                    &self.name,
                                    &conv.identification,
                                    ctx.rows_before + row as u64 + 1,
                                    status,
                                    kind,
                                    &format!(
                                        "converting the value {} failed: {detail}",
                                        buffer.value(conv.source, row).to_display_string()
                                    ),
                                ))
                            }
                        }
                    }
                }
            }
            arrays.push(b.finish());
        }
        if !arrays.is_empty() {
            let extra = self
                .conversions
                .iter()
                .map(|c| LayoutColumn::new(c.lineage, &c.identification, c.ty));
            let layout = Arc::new(buffer.layout().extended(extra));
            buffer.append(layout, arrays);
        }
        Ok(Routing {
            per_row: None,
            errors,
        })
    }
}
