//! What upstream declares about the order of the rows reaching an input: following the path
//! back through synchronous components to the asynchronous output that made the buffers, that
//! output's IsSorted and its columns' sortKeyPosition (signed: negative = descending) and
//! comparisonFlags. Merge and Merge Join read it to know their keys; it must not check the
//! rows themselves (the components do while rows flow).

use ssisd_engine::model::OutputColumn;

use crate::collation::KeyColumn;
use crate::component::ComponentSpec;
use crate::metadata::PortRef;

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
pub fn sorted_keys(spec: &ComponentSpec<'_>, input: usize) -> Result<Vec<SortedKey>, String> {
    let name = &spec.component.inputs[input].name;
    let Some(out) = origin(spec, input) else {
        return Err(format!(
            "its input \"{name}\" is not attached, so its order is unknown"
        ));
    };
    let c = &spec.flow.flow.components[out.component];
    let o = &c.outputs[out.index];
    if !o.is_sorted {
        return Err(format!(
            "its input \"{name}\" must be sorted, and the output \"{}\" of \"{}\" that feeds it is not marked IsSorted; sort the rows with a Sort transformation (or sort them at the source and set IsSorted and the columns' SortKeyPosition)",
            o.name, c.name
        ));
    }
    let mut cols: Vec<&OutputColumn> = o
        .columns
        .iter()
        .filter(|col| col.sort_key_position != 0)
        .collect();
    cols.sort_by_key(|col| col.sort_key_position.abs());
    if cols.is_empty() {
        return Err(format!(
            "its input \"{name}\" must be sorted, and the output \"{}\" of \"{}\" is marked IsSorted without any column with a SortKeyPosition",
            o.name, c.name
        ));
    }
    let layout = &spec.input_layouts[input];
    let mut keys = Vec::new();
    for (i, col) in cols.iter().enumerate() {
        if col.sort_key_position.unsigned_abs() as usize != i + 1 {
            return Err(format!(
                "its input \"{name}\" is fed by \"{}\", whose SortKeyPositions are not 1, 2, … (column \"{}\" has {})",
                c.name, col.name, col.sort_key_position
            ));
        }
        let Some(index) = layout.index_of(col.lineage_id) else {
            return Err(format!(
                "the sort key \"{}\" of \"{}\" is not in the buffer of its input \"{name}\"",
                col.name, c.name
            ));
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
