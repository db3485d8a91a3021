//! The Foreach ADO enumerator: walks the rows of the result set held in an Object variable
//! (`FEEADO VarName=… EnumType=…`): the rows of the first table, or of every table. Each row
//! is one item; its columns are the values the mappings pick by index (0 the first column). It
//! owns the reading only; filling the variable is the job of the Execute SQL task (a full result
//! set) or the Recordset Destination.

use super::super::object_value::ObjectValue;
use super::super::properties::PropertyOverrides;
use super::super::variables::Variables;
use super::{attribute, EnumeratorError};
use ssisd_engine::model::RawXml;
use ssisd_engine::types::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoEnumerator {
    pub variable: String,
    /// `EnumerateRowsInFirstTable` (default), `EnumerateAllRows`, `EnumerateTables`.
    pub mode: String,
}

impl AdoEnumerator {
    pub fn from_config(cfg: Option<&RawXml>, o: &PropertyOverrides) -> AdoEnumerator {
        AdoEnumerator {
            variable: o
                .text(&["DataObjectVariable", "VarName"])
                .or_else(|| attribute(cfg, "VarName"))
                .unwrap_or_default(),
            mode: o
                .text(&["Type", "EnumType"])
                .or_else(|| attribute(cfg, "EnumType"))
                .unwrap_or_else(|| "EnumerateRowsInFirstTable".into()),
        }
    }

    pub fn rows(&self, vars: &Variables, frame: usize) -> Result<Vec<Vec<Value>>, EnumeratorError> {
        if self.variable.trim().is_empty() {
            return Err(EnumeratorError::AdoUnnamed);
        }
        let slot = vars.resolve_text(frame, &self.variable)?;
        let Some(obj) = vars.object(slot) else {
            return Err(EnumeratorError::NoResultSet(self.variable.clone()));
        };
        let first_only = self.mode.eq_ignore_ascii_case("EnumerateRowsInFirstTable");
        Ok(match (&*obj, first_only) {
            (ObjectValue::ResultSets(sets), true) => {
                sets.first().map(|s| s.rows.clone()).unwrap_or_default()
            }
            (other, _) => other.rows(),
        })
    }
}
