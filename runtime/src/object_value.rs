//! The values an Object variable can hold at run time, beside the opaque `Value::Object` that
//! expressions see: a result set (rows × columns of `Value`, what the Execute SQL task's
//! "Full result set" and the Recordset Destination fill and the Foreach ADO enumerator walks), a list of values, or text.
//! It owns the shapes only; filling them is the producers' job.

use ssisd_engine::types::{DataType, Value};

/// A table of values: column names, their types when the producer knows them, and rows of the
/// same width.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultSet {
    pub columns: Vec<String>,
    /// The SSIS type of each column (a Recordset Destination's input columns), or empty when
    /// the producer does not say (an Execute SQL result set: its values carry their types).
    pub types: Vec<DataType>,
    pub rows: Vec<Vec<Value>>,
}

impl ResultSet {
    /// The value at `row`, `column`; `None` out of range.
    pub fn cell(&self, row: usize, column: usize) -> Option<&Value> {
        self.rows.get(row).and_then(|r| r.get(column))
    }
}

/// What an Object variable holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectValue {
    /// A single table (`ADO recordset`/`DataTable`).
    ResultSet(ResultSet),
    /// Several tables (`DataSet`); the ADO enumerator can walk the first or every one.
    ResultSets(Vec<ResultSet>),
    /// A list of values (Foreach From Variable walks it).
    List(Vec<Value>),
    /// Anything else, kept as text (e.g. a serialized object from the package file).
    Text(String),
}

impl ObjectValue {
    /// The rows a Foreach enumerator walks, each as a list of values.
    pub fn rows(&self) -> Vec<Vec<Value>> {
        match self {
            ObjectValue::ResultSet(r) => r.rows.clone(),
            ObjectValue::ResultSets(sets) => sets.iter().flat_map(|s| s.rows.clone()).collect(),
            ObjectValue::List(items) => items.iter().map(|v| vec![v.clone()]).collect(),
            ObjectValue::Text(t) => vec![vec![Value::WStr(t.clone())]],
        }
    }
}
