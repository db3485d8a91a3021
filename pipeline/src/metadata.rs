//! Lookup tables over one pipeline model: every output column by lineage number and by 2012+
//! refId, every input and output by id, and the path at each end. Built once when a data flow
//! is configured; the graph, the components and expression scopes read it. It must not decide
//! what is valid (that is `graph.rs` and each component).

use std::collections::HashMap;

use ssisd_engine::model::{Component, DataFlow, DataFlowPath, Output, OutputColumn};
use ssisd_engine::types::DataType;

/// An output column as the rest of the pipeline sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub lineage: i64,
    pub name: String,
    pub data_type: Option<DataType>,
    /// Index of the producing component in `DataFlow::components`.
    pub component: usize,
    /// Index of the output in that component's outputs.
    pub output: usize,
    pub ref_id: Option<String>,
    /// `Component.Outputs[Output].Columns[Column]`, SSIS's identification string.
    pub identification: String,
}

/// Where an input or output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRef {
    pub component: usize,
    pub index: usize,
}

/// The lookup tables of one data flow.
#[derive(Debug, Clone)]
pub struct FlowMetadata<'a> {
    pub flow: &'a DataFlow,
    columns: HashMap<i64, ColumnInfo>,
    by_ref: HashMap<String, i64>,
    outputs: HashMap<i64, PortRef>,
    inputs: HashMap<i64, PortRef>,
}

/// SSIS's identification string of an output column.
pub fn identification(c: &Component, o: &Output, col: &OutputColumn) -> String {
    format!("{}.Outputs[{}].Columns[{}]", c.name, o.name, col.name)
}

impl<'a> FlowMetadata<'a> {
    pub fn new(flow: &'a DataFlow) -> FlowMetadata<'a> {
        let mut columns = HashMap::new();
        let mut by_ref = HashMap::new();
        let mut outputs = HashMap::new();
        let mut inputs = HashMap::new();
        for (ci, c) in flow.components.iter().enumerate() {
            for (oi, o) in c.outputs.iter().enumerate() {
                outputs.insert(
                    o.id.number,
                    PortRef {
                        component: ci,
                        index: oi,
                    },
                );
                for col in &o.columns {
                    if let Some(r) = &col.id.ref_id {
                        by_ref.insert(r.clone(), col.lineage_id);
                    }
                    columns.insert(
                        col.lineage_id,
                        ColumnInfo {
                            lineage: col.lineage_id,
                            name: col.name.clone(),
                            data_type: col.data_type,
                            component: ci,
                            output: oi,
                            ref_id: col.id.ref_id.clone(),
                            identification: identification(c, o, col),
                        },
                    );
                }
            }
            for (ii, i) in c.inputs.iter().enumerate() {
                inputs.insert(
                    i.id.number,
                    PortRef {
                        component: ci,
                        index: ii,
                    },
                );
            }
        }
        FlowMetadata {
            flow,
            columns,
            by_ref,
            outputs,
            inputs,
        }
    }

    /// The output column with lineage `lineage`.
    pub fn column(&self, lineage: i64) -> Option<&ColumnInfo> {
        self.columns.get(&lineage)
    }

    /// The lineage number of the column with a 2012+ refId.
    pub fn lineage_of_ref(&self, ref_id: &str) -> Option<i64> {
        self.by_ref.get(ref_id).copied()
    }

    pub fn output(&self, id: i64) -> Option<PortRef> {
        self.outputs.get(&id).copied()
    }

    pub fn input(&self, id: i64) -> Option<PortRef> {
        self.inputs.get(&id).copied()
    }

    /// The path that starts at output `id`.
    pub fn path_from(&self, output_id: i64) -> Option<&'a DataFlowPath> {
        self.flow.paths.iter().find(|p| p.start.number == output_id)
    }

    /// The path that ends at input `id`.
    pub fn path_to(&self, input_id: i64) -> Option<&'a DataFlowPath> {
        self.flow.paths.iter().find(|p| p.end.number == input_id)
    }
}
