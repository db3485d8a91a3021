//! Pipeline buffers: columnar batches of rows as Apache Arrow arrays, with the [`Layout`] that
//! says which lineage id each column carries and its SSIS type. A buffer flows from the output
//! that made it through the synchronous components of its execution tree; they read columns by
//! index, replace a column in place (Derived Column "replace") or append the columns their
//! output adds, and the executor cuts it per output with Arrow's `filter` kernel. `types.rs`
//! maps SSIS types to Arrow storage, `values.rs` moves single values, `sizing.rs` sizes buffers,
//! `gather.rs` builds buffers from rows picked out of others, `redirected.rs` the error-output
//! columns of rows a source redirects.
//! It must not know components or threads.

pub mod gather;
pub mod redirected;
pub mod sizing;
pub mod types;
pub mod values;

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray};
use ssisd_engine::types::{DataType, Value};

use crate::memory::Reservation;

/// One column of a layout.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutColumn {
    /// The lineage number of the output column this buffer column holds.
    pub lineage: i64,
    pub name: String,
    pub data_type: DataType,
    /// The 2012+ refId of the output column, if the file has one.
    pub ref_id: Option<String>,
    /// The producing component's name (a `[Component].[Column]` qualifier).
    pub component: String,
    /// `Component.Outputs[Output].Columns[Column]`.
    pub identification: String,
}

impl LayoutColumn {
    /// A column known only by lineage, name and type (tests, generated layouts).
    pub fn new(lineage: i64, name: &str, data_type: DataType) -> LayoutColumn {
        LayoutColumn {
            lineage,
            name: name.to_string(),
            data_type,
            ref_id: None,
            component: String::new(),
            identification: name.to_string(),
        }
    }
}

/// The columns of a buffer, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    pub columns: Vec<LayoutColumn>,
}

impl Layout {
    pub fn new(columns: Vec<LayoutColumn>) -> Layout {
        Layout { columns }
    }

    /// The index of the column with lineage `lineage`.
    pub fn index_of(&self, lineage: i64) -> Option<usize> {
        self.columns.iter().position(|c| c.lineage == lineage)
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Estimated bytes of one row, for buffer sizing.
    pub fn row_width(&self) -> usize {
        self.columns
            .iter()
            .map(|c| types::estimated_width(&c.data_type))
            .sum::<usize>()
            .max(1)
    }

    /// This layout followed by `more`.
    pub fn extended(&self, more: impl IntoIterator<Item = LayoutColumn>) -> Layout {
        let mut columns = self.columns.clone();
        columns.extend(more);
        Layout { columns }
    }
}

/// A batch of rows.
#[derive(Debug, Clone)]
pub struct Buffer {
    layout: Arc<Layout>,
    columns: Vec<ArrayRef>,
    rows: usize,
    /// The memory this buffer holds against the data flow's budget, released when the buffer
    /// (and every copy of its reservation) is dropped.
    reservation: Option<Arc<Reservation>>,
}

impl Buffer {
    /// A buffer of `rows` rows. Every column must have `rows` values.
    pub fn new(layout: Arc<Layout>, columns: Vec<ArrayRef>, rows: usize) -> Buffer {
        debug_assert!(columns.iter().all(|c| c.len() == rows));
        Buffer {
            layout,
            columns,
            rows,
            reservation: None,
        }
    }

    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn columns(&self) -> &[ArrayRef] {
        &self.columns
    }

    pub fn column(&self, index: usize) -> &ArrayRef {
        &self.columns[index]
    }

    /// The value at (`column`, `row`) as an SSIS value.
    pub fn value(&self, column: usize, row: usize) -> Value {
        values::value_at(
            self.columns[column].as_ref(),
            &self.layout.columns[column].data_type,
            row,
        )
    }

    /// Replaces column `index` (same type, same row count): an in-place change.
    pub fn replace(&mut self, index: usize, array: ArrayRef) {
        debug_assert_eq!(array.len(), self.rows);
        self.columns[index] = array;
    }

    /// Appends columns and switches to the layout that includes them.
    pub fn append(&mut self, layout: Arc<Layout>, arrays: Vec<ArrayRef>) {
        debug_assert!(arrays.iter().all(|a| a.len() == self.rows));
        self.columns.extend(arrays);
        debug_assert_eq!(self.columns.len(), layout.len());
        self.layout = layout;
    }

    /// Relabels the buffer with another layout of the same columns (a path into an input).
    pub fn with_layout(mut self, layout: Arc<Layout>) -> Buffer {
        self.layout = layout;
        self
    }

    /// The rows where `mask` is true, as a new buffer (Arrow `filter`).
    pub fn filter(&self, mask: &BooleanArray) -> Buffer {
        let columns = self
            .columns
            .iter()
            .map(|c| arrow_select::filter::filter(c.as_ref(), mask).unwrap_or_else(|_| c.clone()))
            .collect();
        let rows = mask.true_count();
        Buffer {
            layout: self.layout.clone(),
            columns,
            rows,
            reservation: self.reservation.clone(),
        }
    }

    /// Bytes held by the arrays.
    pub fn memory_size(&self) -> usize {
        self.columns.iter().map(|c| c.get_array_memory_size()).sum()
    }

    /// Attaches the memory reservation that accounts for this buffer.
    pub fn set_reservation(&mut self, r: Arc<Reservation>) {
        self.reservation = Some(r);
    }

    /// Takes the columns out (for components that rebuild a buffer).
    pub fn into_columns(self) -> Vec<ArrayRef> {
        self.columns
    }
}
