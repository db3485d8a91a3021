//! A reference table: named, typed columns and their rows as one Arrow array per column.
//! [`TableBuilder`] gathers chunks (buffers, file batches, query results), reserving each
//! chunk's memory against the data flow's budget before keeping it and refusing with a clear
//! reason when the budget is spent, then concatenates them once. It must not index keys (that
//! is `index.rs`).

use std::sync::Arc;

use arrow_array::{new_empty_array, ArrayRef};

use crate::buffer::types::arrow_type;
use crate::memory::{MemoryBudget, Reservation};
use crate::raw_file::RawColumn;

/// Rows of reference data.
#[derive(Debug, Clone)]
pub struct ReferenceTable {
    pub columns: Vec<RawColumn>,
    pub arrays: Vec<ArrayRef>,
    pub rows: usize,
}

impl ReferenceTable {
    /// The position of the column named `name` (exact spelling first, then ignoring case).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| {
                self.columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(name))
            })
    }

    /// Bytes the arrays hold.
    pub fn memory_size(&self) -> usize {
        self.arrays.iter().map(|a| a.get_array_memory_size()).sum()
    }
}

/// Gathers the rows of a table.
pub struct TableBuilder {
    columns: Vec<RawColumn>,
    chunks: Vec<Vec<ArrayRef>>,
    rows: usize,
    reserved: Vec<Reservation>,
}

/// A column whose chunks cannot be concatenated into the table.
#[derive(Debug, thiserror::Error)]
#[error("the column \"{column}\" cannot be gathered: {source}")]
pub struct GatherError {
    pub column: String,
    pub source: arrow_schema::ArrowError,
}

/// The budget refused memory the table needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryRefused {
    /// Bytes held by the table when refused.
    pub held: usize,
    /// Bytes asked for.
    pub wanted: usize,
    /// The data flow's budget.
    pub limit: usize,
}

impl std::fmt::Display for MemoryRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
        write!(
            f,
            "the data flow's memory budget of {:.0} MiB is spent (the reference rows already hold {:.1} MiB and need {:.1} MiB more); raise the budget (SSISD_DATA_FLOW_MEMORY_MB) or cache fewer rows or columns",
            mib(self.limit),
            mib(self.held),
            mib(self.wanted)
        )
    }
}

impl std::error::Error for MemoryRefused {}

/// Reserves `bytes` against `budget` for something that already holds `held`.
pub fn reserve(
    budget: &Arc<MemoryBudget>,
    bytes: usize,
    held: usize,
) -> Result<Reservation, MemoryRefused> {
    budget.try_reserve(bytes).ok_or(MemoryRefused {
        held,
        wanted: bytes,
        limit: budget.limit(),
    })
}

impl TableBuilder {
    pub fn new(columns: Vec<RawColumn>) -> TableBuilder {
        TableBuilder {
            columns,
            chunks: Vec::new(),
            rows: 0,
            reserved: Vec::new(),
        }
    }

    pub fn columns(&self) -> &[RawColumn] {
        &self.columns
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Bytes reserved so far.
    pub fn reserved(&self) -> usize {
        self.reserved.iter().map(Reservation::bytes).sum()
    }

    /// Keeps a chunk (one array per column, equal lengths) after reserving its memory.
    pub fn push(
        &mut self,
        arrays: Vec<ArrayRef>,
        budget: &Arc<MemoryBudget>,
    ) -> Result<(), MemoryRefused> {
        let n = arrays.first().map(|a| a.len()).unwrap_or(0);
        if n == 0 {
            return Ok(());
        }
        let bytes: usize = arrays.iter().map(|a| a.get_array_memory_size()).sum();
        let r = reserve(budget, bytes, self.reserved())?;
        self.reserved.push(r);
        self.chunks.push(arrays);
        self.rows += n;
        Ok(())
    }

    /// Concatenates the chunks into a table; returns it with the reservations that account
    /// for it (keep them as long as the table is used in this data flow).
    pub fn finish(self) -> Result<(ReferenceTable, Vec<Reservation>), GatherError> {
        let mut arrays = Vec::with_capacity(self.columns.len());
        for (ci, col) in self.columns.iter().enumerate() {
            let parts: Vec<&dyn arrow_array::Array> =
                self.chunks.iter().map(|c| c[ci].as_ref()).collect();
            let a = match parts.len() {
                0 => new_empty_array(&arrow_type(&col.data_type)),
                1 => self.chunks[0][ci].clone(),
                _ => arrow_select::concat::concat(&parts).map_err(|source| GatherError {
                    column: col.name.clone(),
                    source,
                })?,
            };
            arrays.push(a);
        }
        Ok((
            ReferenceTable {
                columns: self.columns,
                arrays,
                rows: self.rows,
            },
            self.reserved,
        ))
    }
}
