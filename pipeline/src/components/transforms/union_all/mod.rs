//! Union All: an asynchronous component that passes the rows of all its inputs to its one
//! output as they come (no order across inputs). Each input column names the output column it
//! feeds (`OutputColumnLineageID`); output columns an input does not feed are NULL for that
//! input's rows, and values convert to the output column's type when the types differ. It must
//! not hold rows.

use std::sync::Arc;

use arrow_array::{new_null_array, ArrayRef};
use ssisd_engine::types::DataType;

use crate::buffer::types::arrow_type;
use crate::buffer::values::ColumnBuilder;
use crate::buffer::Buffer;
use crate::component::{Component, ComponentSpec, Emitter};
use crate::components::{lineage_ref, prop};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Union All",
    class_ids: &[
        "{4D9F9B7C-84D9-4335-ADB0-2542A7E35422}",
        "{B594E9A8-4351-4939-891C-CFE1AB93E925}",
        "DTSTransform.UnionAll",
        "Microsoft.UnionAll",
    ],
    create,
};

struct UnionAll {
    output: usize,
    types: Vec<DataType>,
    /// Per input, per output column: the input buffer column that feeds it.
    feeds: Vec<Vec<Option<usize>>>,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let Some(output) = spec.main_output() else {
        return Err(spec.error("it has no output").into());
    };
    let out_cols = &c.outputs[output].columns;
    let types: Vec<DataType> = out_cols
        .iter()
        .map(|c| c.data_type.unwrap_or(DataType::Null))
        .collect();
    let mut problems = Problems::default();
    let mut feeds = Vec::new();
    for (ii, input) in c.inputs.iter().enumerate() {
        let layout = &spec.input_layouts[ii];
        let mut feed = vec![None; out_cols.len()];
        for col in &input.columns {
            let Some(target) = prop(&col.properties, "OutputColumnLineageID")
                .and_then(|t| lineage_ref(spec.flow, t))
            else {
                problems.push(spec.error(format!("an input column of \"{}\" does not name the output column it feeds (OutputColumnLineageID)", input.name)));
                continue;
            };
            let Some(oc) = out_cols.iter().position(|o| o.lineage_id == target) else {
                problems.push(spec.error(format!("an input column of \"{}\" feeds the output column {target}, which does not exist", input.name)));
                continue;
            };
            feed[oc] = layout.index_of(col.lineage.number);
        }
        feeds.push(feed);
    }
    problems.into_result()?;
    Ok(Box::new(UnionAll {
        output,
        types,
        feeds,
    }))
}

impl Component for UnionAll {
    fn receive(
        &mut self,
        input: usize,
        buffer: Buffer,
        out: &mut dyn Emitter,
    ) -> Result<(), PipelineError> {
        let n = buffer.rows();
        let layout = out.layout(self.output);
        let feed = &self.feeds[input];
        let columns: Vec<ArrayRef> = self
            .types
            .iter()
            .enumerate()
            .map(|(j, ty)| match feed[j] {
                Some(src) if buffer.layout().columns[src].data_type == *ty => {
                    buffer.column(src).clone()
                }
                Some(src) => {
                    let mut b = ColumnBuilder::new(ty, n);
                    for row in 0..n {
                        let v = ssisd_engine::types::convert(&buffer.value(src, row), ty)
                            .unwrap_or(ssisd_engine::types::Value::Null(*ty));
                        b.append_value(&v);
                    }
                    b.finish()
                }
                None => new_null_array(&arrow_type(ty), n),
            })
            .collect();
        out.send(self.output, Buffer::new(Arc::clone(&layout), columns, n))
    }
}
