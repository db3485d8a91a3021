//! What upstream declares about the order of the rows reaching an input: following the path
//! back through synchronous components to the asynchronous output that made the buffers, that
//! output's IsSorted and its columns' sortKeyPosition (signed: negative = descending) and
//! comparisonFlags. Merge and Merge Join read it to know their keys; it must not check the
//! rows themselves (the components do while rows flow).

use ssisd_engine::model::OutputColumn;

use crate::collation::KeyColumn;
use crate::component::ComponentSpec;
use crate::metadata::PortRef;

/// Why an input's rows are not known to be sorted. The text starts with "its input" (or "the
/// sort key"); the caller names the component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotSortedError {
    #[error("its input \"{input}\" is not attached, so its order is unknown")]
    NotAttached { input: String },
    /// The feeding output is not marked IsSorted.
    #[error("its input \"{input}\" must be sorted, and the output \"{output}\" of \"{component}\" that feeds it is not marked IsSorted; sort the rows with a Sort transformation (or sort them at the source and set IsSorted and the columns' SortKeyPosition)")]
    NotMarked {
        input: String,
        output: String,
        component: String,
    },
    /// IsSorted without any SortKeyPosition.
    #[error("its input \"{input}\" must be sorted, and the output \"{output}\" of \"{component}\" is marked IsSorted without any column with a SortKeyPosition")]
    NoKeys {
        input: String,
        output: String,
        component: String,
    },
    /// SortKeyPositions with a gap or repeat; names the first column out of place.
    #[error("its input \"{input}\" is fed by \"{component}\", whose SortKeyPositions are not 1, 2, … (column \"{column}\" has {position})")]
    Positions {
        input: String,
        component: String,
        column: String,
        position: i32,
    },
    /// A key column missing from the input's buffer.
    #[error("the sort key \"{column}\" of \"{component}\" is not in the buffer of its input \"{input}\"")]
    KeyNotInBuffer {
        column: String,
        component: String,
        input: String,
    },
}

/// One key of a sorted input.
#[derive(Debug, Clone, PartialEq)]
pub struct SortedKey {
    pub lineage: i64,
    pub name: String,
    /// sortKeyPosition (1, 2, …; negative descending).
    pub position: i32,
    pub key: KeyColumn,
}

/// The asynchronous output whose buffers reach input `input` of the component.
fn origin(spec: &ComponentSpec<'_>, input: usize) -> Option<PortRef> {
    let meta = spec.flow;
    let mut input_id = spec.component.inputs.get(input)?.id.number;
    for _ in 0..=meta.flow.components.len() {
        let path = meta.path_to(input_id)?;
        let out = meta.output(path.start.number)?;
        let o = &meta.flow.components[out.component].outputs[out.index];
        if !o.is_synchronous() {
            return Some(out);
        }
        input_id = o.synchronous_input.number;
    }
    None
}

/// The sort keys of input `input`, in key order; an error says why the input is not sorted.
pub fn sorted_keys(
    spec: &ComponentSpec<'_>,
    input: usize,
) -> Result<Vec<SortedKey>, NotSortedError> {
    let name = &spec.component.inputs[input].name;
    let Some(out) = origin(spec, input) else {
        return Err(NotSortedError::NotAttached {
            input: name.clone(),
        });
    };
    let c = &spec.flow.flow.components[out.component];
    let o = &c.outputs[out.index];
    if !o.is_sorted {
        return Err(NotSortedError::NotMarked {
            input: name.clone(),
            output: o.name.clone(),
            component: c.name.clone(),
        });
    }
    let mut cols: Vec<&OutputColumn> = o
        .columns
        .iter()
        .filter(|col| col.sort_key_position != 0)
        .collect();
    cols.sort_by_key(|col| col.sort_key_position.abs());
    if cols.is_empty() {
        return Err(NotSortedError::NoKeys {
            input: name.clone(),
            output: o.name.clone(),
            component: c.name.clone(),
        });
    }
    let layout = &spec.input_layouts[input];
    let mut keys = Vec::new();
    for (i, col) in cols.iter().enumerate() {
        if col.sort_key_position.unsigned_abs() as usize != i + 1 {
            return Err(NotSortedError::Positions {
                input: name.clone(),
                component: c.name.clone(),
                column: col.name.clone(),
                position: col.sort_key_position,
            });
        }
        let Some(index) = layout.index_of(col.lineage_id) else {
            return Err(NotSortedError::KeyNotInBuffer {
                column: col.name.clone(),
                component: c.name.clone(),
                input: name.clone(),
            });
        };
        keys.push(SortedKey {
            lineage: col.lineage_id,
            name: col.name.clone(),
            position: col.sort_key_position,
            key: KeyColumn {
                column: index,
                data_type: layout.columns[index].data_type,
                descending: col.sort_key_position < 0,
                flags: col.comparison_flags,
            },
        });
    }
    Ok(keys)
}
