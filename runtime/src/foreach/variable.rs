//! The Foreach From Variable enumerator: walks the object held by a variable — a list, the
//! rows of a result set, or a plain value (one item). It owns the reading only.

use super::super::variables::{VariableError, Variables};
use ssisd_engine::types::Value;

/// The rows of the variable `name`, as seen from `frame`.
pub fn rows(vars: &Variables, frame: usize, name: &str) -> Result<Vec<Vec<Value>>, VariableError> {
    let slot = vars.resolve_text(frame, name)?;
    if let Some(obj) = vars.object(slot) {
        return Ok(obj.rows());
    }
    Ok(match vars.get(slot) {
        Value::Object | Value::Empty => Vec::new(),
        v if v.is_null() => Vec::new(),
        v => vec![vec![v]],
    })
}
