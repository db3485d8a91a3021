//! The Recordset Destination: keeps the rows of its selected input columns in memory and, when
//! the data flow has succeeded, hands them to the Object variable named by VariableName as a
//! recordset — the columns' names (the input columns' names) and SSIS types, and the rows — that
//! a Foreach ADO enumerator then walks. A variable that is not an Object variable is refused
//! before rows flow (0xC020929C). As SSIS's ADO recordset, the rows are held in memory whole
//! (outside the data flow's buffer budget). It must not write the variable before the data flow
//! succeeds.

use ssisd_engine::types::{DataType, Value};

use crate::buffer::Buffer;
use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext, Routing, RunContext};
use crate::components::prop;
use crate::error::{PipelineError, Problems};
use crate::host::{Recordset, RecordsetColumn};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Recordset Destination",
    class_ids: &[
        "{C457FD7E-CE98-4C4B-AEFE-F3AE0044F181}",
        "{167AF7E9-BA81-425F-B73D-E30C2DCC0F09}",
        "DTSAdapter.RecordsetDestination",
        "Microsoft.RecordsetDestination",
    ],
    create,
};

struct RecordsetDestination {
    name: String,
    variable: String,
    columns: Vec<RecordsetColumn>,
    buffer_index: Vec<usize>,
    rows: Vec<Vec<Value>>,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let variable = prop(&c.properties, "VariableName")
        .unwrap_or("")
        .trim()
        .to_string();
    let mut problems = Problems::default();
    if variable.is_empty() {
        problems.push(spec.error(
            "its VariableName is empty; name the Object variable that receives the recordset",
        ));
    }
    let Some(input) = c.inputs.first() else {
        return Err(spec.error("it has no input").into());
    };
    let layout = spec.input_layouts.first().cloned().unwrap_or_default();
    let mut columns = Vec::new();
    let mut buffer_index = Vec::new();
    for col in &input.columns {
        let Some(idx) = layout.index_of(col.lineage.number) else {
            continue;
        };
        let lc = &layout.columns[idx];
        let name = if col.name.trim().is_empty() {
            lc.name.clone()
        } else {
            col.name.clone()
        };
        columns.push(RecordsetColumn {
            name,
            data_type: lc.data_type,
        });
        buffer_index.push(idx);
    }
    if columns.is_empty() {
        problems.push(
            spec.error("it selects no input columns; select the columns the recordset is to hold"),
        );
    }
    problems.into_result()?;
    Ok(Box::new(RecordsetDestination {
        name: c.name.clone(),
        variable,
        columns,
        buffer_index,
        rows: Vec::new(),
    }))
}

impl Component for RecordsetDestination {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let v = ctx.host.variable(&self.variable).map_err(|e| {
            ctx.error(
                codes::RECORDSET_VARIABLE_NOT_OBJECT,
                format!("its variable \"{}\": {e}", self.variable),
            )
        })?;
        if v.data_type() != DataType::Object {
            return Err(ctx.error(
                codes::RECORDSET_VARIABLE_NOT_OBJECT,
                format!(
                    "its variable \"{}\" is {}; the Recordset Destination needs an Object variable",
                    self.variable,
                    v.data_type().static_name()
                ),
            ));
        }
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        _ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        self.rows.reserve(buffer.rows());
        for row in 0..buffer.rows() {
            self.rows.push(
                self.buffer_index
                    .iter()
                    .map(|&c| buffer.value(c, row))
                    .collect(),
            );
        }
        Ok(Routing::all())
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let rows = std::mem::take(&mut self.rows);
        let count = rows.len();
        let recordset = Recordset {
            columns: self.columns.clone(),
            rows,
        };
        ctx.host
            .set_recordset(&self.variable, recordset)
            .map_err(|e| {
                ctx.error(
                    codes::RECORDSET_VARIABLE_NOT_OBJECT,
                    format!(
                        "could not store the recordset in \"{}\": {e}",
                        self.variable
                    ),
                )
            })?;
        ctx.information(
            codes::ROWS_WRITTEN,
            format!("\"{}\" wrote {count} rows.", self.name),
        );
        Ok(())
    }
}
