//! What the row readers of both drivers hand out: a result set's columns ([`ColumnInfo`]: name,
//! the database's own type, the DT_* type SSIS gives it) and its rows in batches of a bounded
//! number of rows ([`RowBatch`], column by column, every value already a [`Value`] of the
//! column's type or a typed NULL), so a data-flow source fills its buffers batch by batch and
//! never holds a whole result. It owns the batch shape only; reading is `tds/reader.rs` and
//! `odbc/reader.rs`.

use std::sync::Arc;

use ssisd_engine::types::{DataType, Value};

/// Rows per batch unless the caller asks otherwise (the ODBC Source's default `BatchSize`).
pub const DEFAULT_BATCH_ROWS: usize = 1000;

/// One column of a result set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    /// The type as the database or driver names it (`nvarchar(50)`, `SQL_WVARCHAR(50)`…),
    /// for messages and metadata checks.
    pub source_type: String,
    /// The SSIS type of the column (lengths 0 when the driver does not say).
    pub data_type: DataType,
    /// Whether the column may hold NULL, when the driver says.
    pub nullable: Option<bool>,
}

/// Some rows of a result set, column-major: `values[c][r]` is row `r` of column `c`.
#[derive(Debug, Clone, PartialEq)]
pub struct RowBatch {
    pub columns: Arc<[ColumnInfo]>,
    pub values: Vec<Vec<Value>>,
}

impl RowBatch {
    /// An empty batch for `columns`, with room for `rows` rows.
    pub fn with_capacity(columns: Arc<[ColumnInfo]>, rows: usize) -> RowBatch {
        let values = columns.iter().map(|_| Vec::with_capacity(rows)).collect();
        RowBatch { columns, values }
    }

    /// Rows in the batch.
    pub fn rows(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.rows() == 0
    }

    /// Row `r`, column by column.
    pub fn row(&self, r: usize) -> impl Iterator<Item = &Value> {
        self.values.iter().map(move |column| &column[r])
    }

    /// The rows, each as a vector (for callers that want rows, such as Execute SQL).
    pub fn into_rows(self) -> Vec<Vec<Value>> {
        let rows = self.rows();
        let mut columns: Vec<std::vec::IntoIter<Value>> =
            self.values.into_iter().map(Vec::into_iter).collect();
        (0..rows)
            .map(|_| columns.iter_mut().filter_map(Iterator::next).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_from_columns() {
        let columns: Arc<[ColumnInfo]> = Arc::from(vec![
            ColumnInfo {
                name: "a".into(),
                source_type: "int".into(),
                data_type: DataType::I4,
                nullable: Some(false),
            },
            ColumnInfo {
                name: "b".into(),
                source_type: "nvarchar(5)".into(),
                data_type: DataType::WStr { len: 5 },
                nullable: Some(true),
            },
        ]);
        let mut batch = RowBatch::with_capacity(columns, 2);
        batch.values[0].extend([Value::I4(1), Value::I4(2)]);
        batch.values[1].extend([
            Value::WStr("x".into()),
            Value::Null(DataType::WStr { len: 5 }),
        ]);
        assert_eq!(batch.rows(), 2);
        assert_eq!(batch.row(1).next(), Some(&Value::I4(2)));
        assert_eq!(
            batch.into_rows(),
            vec![
                vec![Value::I4(1), Value::WStr("x".into())],
                vec![Value::I4(2), Value::Null(DataType::WStr { len: 5 })]
            ]
        );
    }
}
