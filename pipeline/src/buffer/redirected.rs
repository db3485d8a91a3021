//! The error-output columns of rows a source redirects: ErrorCode and ErrorColumn from each
//! redirection, and every other column the row's own value under that column's name, converted
//! to the error column's type (NULL where the row has no such column or the value does not
//! convert). Shared by the sources that read typed values (database sources, Excel); it must not
//! decide which rows are redirected nor send anything.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int32Array};
use ssisd_engine::types::{convert, DataType, Value};

use super::values::ColumnBuilder;
use crate::codes;

/// An error output's column: its special flags (1 ErrorCode, 2 ErrorColumn, 0 a data column),
/// type and name.
pub type ErrorColumn = (u32, DataType, String);

/// A redirected row: its index in the batch read, the SSIS code, the lineage of the column
/// that failed.
pub type Redirected = (usize, u32, i64);

/// The error output's arrays for `redirected`; `value(name, row)` is the row's value in its
/// column named `name`, if it has one.
pub fn redirected_arrays(
    columns: &[ErrorColumn],
    redirected: &[Redirected],
    mut value: impl FnMut(&str, usize) -> Option<Value>,
) -> Vec<ArrayRef> {
    let k = redirected.len();
    columns
        .iter()
        .map(|(flag, ty, name)| -> ArrayRef {
            match flag {
                1 => Arc::new(Int32Array::from_iter_values(
                    redirected.iter().map(|x| codes::signed(x.1)),
                )),
                2 => Arc::new(Int32Array::from_iter_values(
                    redirected.iter().map(|x| x.2 as i32),
                )),
                _ => {
                    let mut b = ColumnBuilder::new(ty, k);
                    for (r, _, _) in redirected {
                        match value(name, *r).map(|v| convert(&v, ty)) {
                            Some(Ok(v)) => b.append_value(&v),
                            _ => b.append_null(),
                        }
                    }
                    b.finish()
                }
            }
        })
        .collect()
}
