//! Aggregate: a blocking component that groups the rows of its input and sends one row per
//! group. Each output (one or more, each with its own grouping) has columns with an
//! AggregationType — 0 group by, 1 count (non-NULL values), 2 count all (rows), 3 count
//! distinct (distinct non-NULL values), 4 sum, 5 average, 6 minimum, 7 maximum — over the input
//! column named by AggregationColumnId; group-by and count-distinct string columns honour
//! AggregationComparisonFlags (`collation.rs`), and a group shows the first value it saw. Sum
//! and average take numbers; minimum and maximum numbers, dates and times, as SSIS allows.
//! Sums are exact (128-bit integers and decimals, f64 for floats); results convert to the
//! output column's type, and one that does not fit fails the component (0xC0209011) naming the
//! column. Without a group-by column an output has one row, as in SQL.
//!
//! Memory: group state is reserved against the data flow's budget in steps; when the budget
//! refuses, groups already held keep aggregating in memory while rows of new groups are written
//! to hash partitions on disk (`spill.rs`); at the end the groups in memory are sent, then each
//! partition is aggregated the same way (partitioning again with another hash if it still does
//! not fit). Partition files are removed once read, and in `abort`. Output rows come in no
//! particular order, as in SSIS. It must not change input rows.

mod accumulate;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use ssisd_engine::types::{DataType, Value};

use crate::buffer::values::ColumnBuilder;
use crate::buffer::{Buffer, Layout, LayoutColumn};
use crate::codes;
use crate::collation::{self, KeyColumn, KeyEncoder};
use crate::component::{Component, ComponentSpec, Emitter};
use crate::components::{lineage_ref, prop, prop_int};
use crate::error::{PipelineError, Problems};
use crate::host::Level;
use crate::memory::{MemoryBudget, Reservation};
use crate::registry::ComponentEntry;
use crate::spill::{SpillFile, SpillWriter};

use accumulate::{Acc, Kind};

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Aggregate",
    class_ids: &[
        "{9ABE8DF3-0052-42DB-8B18-2089E1D1D1B7}",
        "{5B201335-B360-485C-BB93-75C34E09B3D3}",
        "DTSTransform.Aggregate",
        "Microsoft.Aggregate",
    ],
    create,
};

/// Partitions a spilling grouping writes.
const PARTITIONS: usize = 8;
/// Levels of re-partitioning before a partition is aggregated in memory whatever the budget.
const MAX_DEPTH: u32 = 4;
/// Bytes reserved at a time for group state.
const STEP: usize = 1 << 20;

/// One output column.
#[derive(Debug, Clone)]
struct OutColumn {
    kind: Kind,
    input_type: DataType,
    ty: DataType,
    identification: String,
}

/// How one output groups.
struct Grouping {
    output: usize,
    columns: Vec<OutColumn>,
    /// Input buffer columns this output reads, in projected order.
    project: Vec<usize>,
    projected: Arc<Layout>,
    /// Group-by columns over the projected buffer.
    keys: Vec<KeyColumn>,
    /// Per output column, the projected input column it reads as a key (with the comparison
    /// flags of a count distinct).
    sources: Vec<Option<KeyColumn>>,
}

struct Aggregate {
    name: String,
    task_path: String,
    groupings: Vec<Grouping>,
    states: Vec<State>,
}

fn kind_of(code: i64) -> Option<Kind> {
    Some(match code {
        0 => Kind::GroupBy,
        1 => Kind::Count,
        2 => Kind::CountAll,
        3 => Kind::CountDistinct,
        4 => Kind::Sum,
        5 => Kind::Average,
        6 => Kind::Minimum,
        7 => Kind::Maximum,
        _ => return None,
    })
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    if c.inputs.len() != 1 {
        return Err(spec.error("an Aggregate has exactly one input").into());
    }
    let layout = spec.input_layouts[0].clone();
    let mut groupings = Vec::new();
    for (oi, o) in c.outputs.iter().enumerate() {
        if o.is_error_output {
            continue;
        }
        let mut project: Vec<usize> = Vec::new();
        let mut columns = Vec::new();
        let mut keys = Vec::new();
        let mut sources = Vec::new();
        for col in &o.columns {
            let ident = crate::metadata::identification(c, o, col);
            let Some(kind) = prop_int(&col.properties, "AggregationType").and_then(kind_of) else {
                problems.push(spec.error(format!(
                    "the output column \"{}\" has no valid AggregationType (0 group by, 1 count, 2 count all, 3 count distinct, 4 sum, 5 average, 6 minimum, 7 maximum)",
                    col.name
                )));
                continue;
            };
            let Some(ty) = col.data_type else {
                problems.push(spec.error(format!(
                    "the output column \"{}\" has an unknown data type",
                    col.name
                )));
                continue;
            };
            let source = prop(&col.properties, "AggregationColumnId")
                .and_then(|t| lineage_ref(spec.flow, t))
                .and_then(|l| layout.index_of(l));
            let (input, input_type) = match (kind, source) {
                (Kind::CountAll, _) => (None, DataType::Null),
                (_, Some(i)) => {
                    let p = match project.iter().position(|&x| x == i) {
                        Some(p) => p,
                        None => {
                            project.push(i);
                            project.len() - 1
                        }
                    };
                    (Some(p), layout.columns[i].data_type)
                }
                (_, None) => {
                    problems.push(spec.error(format!(
                        "the output column \"{}\" does not name the input column it aggregates (AggregationColumnId \"{}\")",
                        col.name,
                        prop(&col.properties, "AggregationColumnId").unwrap_or("")
                    )));
                    continue;
                }
            };
            let flags = prop_int(&col.properties, "AggregationComparisonFlags").unwrap_or(0) as u32;
            let what = || format!("the output column \"{}\" ({})", col.name, kind.name());
            let ok = match kind {
                Kind::Sum | Kind::Average if !input_type.is_numeric() => Err(format!(
                    "{} needs a numeric input column, and \"{}\" is {input_type}",
                    what(),
                    layout.columns[source.unwrap_or(0)].name
                )),
                Kind::Minimum | Kind::Maximum if !accumulate::orderable(&input_type) => {
                    Err(format!(
                        "{} needs a numeric, date or time input column, and \"{}\" is {input_type}",
                        what(),
                        layout.columns[source.unwrap_or(0)].name
                    ))
                }
                Kind::GroupBy | Kind::CountDistinct if !collation::comparable(&input_type) => Err(
                    format!("{}: values of type {input_type} cannot be compared", what()),
                ),
                Kind::GroupBy | Kind::CountDistinct => collation::check_flags(&input_type, flags)
                    .map_err(|e| format!("{}: AggregationComparisonFlags {flags}: {e}", what())),
                _ if flags != 0 => Err(format!(
                    "{}: AggregationComparisonFlags apply only to group by and count distinct",
                    what()
                )),
                _ => Ok(()),
            };
            if let Err(e) = ok {
                problems.push(spec.error(e));
                continue;
            }
            let key = input.map(|p| KeyColumn {
                column: p,
                data_type: input_type,
                descending: false,
                flags,
            });
            if kind == Kind::GroupBy {
                keys.extend(key.clone());
            }
            sources.push(key);
            columns.push(OutColumn {
                kind,
                input_type,
                ty,
                identification: ident,
            });
        }
        let projected = Arc::new(Layout::new(
            project
                .iter()
                .map(|&i| layout.columns[i].clone())
                .collect::<Vec<LayoutColumn>>(),
        ));
        groupings.push(Grouping {
            output: oi,
            columns,
            project,
            projected,
            keys,
            sources,
        });
    }
    if groupings.is_empty() {
        problems.push(spec.error("it has no output"));
    }
    problems.into_result()?;
    let states = groupings
        .iter()
        .map(|g| State::new(g, 0))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| spec.error(e))?;
    Ok(Box::new(Aggregate {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        groupings,
        states,
    }))
}

/// The groups of one output (at one partitioning depth).
struct State {
    depth: u32,
    encoder: Option<KeyEncoder>,
    index: HashMap<Box<[u8]>, u32>,
    /// Per group-by column, the first value of each group.
    reps: Vec<Vec<Value>>,
    accs: Vec<Acc>,
    groups: usize,
    /// Estimated bytes of the state, and what is reserved for it.
    estimated: usize,
    reserved: Vec<Reservation>,
    /// Rows of groups not held, by partition (once the budget refused).
    partitions: Option<Vec<SpillWriter>>,
    spilled_rows: u64,
}

impl State {
    fn new(g: &Grouping, depth: u32) -> Result<State, String> {
        let encoder = if g.keys.is_empty() {
            None
        } else {
            Some(KeyEncoder::new(g.keys.clone()).map_err(|e| e.to_string())?)
        };
        let accs = g
            .columns
            .iter()
            .zip(&g.sources)
            .filter(|(c, _)| c.kind != Kind::GroupBy)
            .map(|(c, d)| Acc::new(c.kind, &c.input_type, d.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        Ok(State {
            depth,
            encoder,
            index: HashMap::new(),
            reps: vec![Vec::new(); g.keys.len()],
            accs,
            groups: 0,
            estimated: 0,
            reserved: Vec::new(),
            partitions: None,
            spilled_rows: 0,
        })
    }

    fn partition_of(&self, key: &[u8]) -> usize {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.depth.hash(&mut h);
        key.hash(&mut h);
        (h.finish() % PARTITIONS as u64) as usize
    }

    /// Adds the rows of a projected buffer.
    fn add(
        &mut self,
        g: &Grouping,
        b: &Buffer,
        budget: &Arc<MemoryBudget>,
        what: &str,
    ) -> Result<(), String> {
        let n = b.rows();
        let mut group_of: Vec<u32> = Vec::with_capacity(n);
        let mut spill_rows: Vec<Vec<u32>> = Vec::new();
        match &self.encoder {
            None => {
                if self.groups == 0 {
                    self.new_group(g, b, 0);
                }
                group_of.resize(n, 0);
            }
            Some(enc) => {
                let rows = enc.rows(b.columns()).map_err(|e| e.to_string())?;
                for r in 0..n {
                    let key = rows.row(r);
                    if let Some(&gi) = self.index.get(key.as_ref()) {
                        group_of.push(gi);
                        continue;
                    }
                    if self.partitions.is_none() && self.estimated > self.reserved.len() * STEP {
                        match budget.try_reserve_held(STEP) {
                            Some(res) => self.reserved.push(res),
                            None if self.depth < MAX_DEPTH => {
                                let mut parts = Vec::with_capacity(PARTITIONS);
                                for _ in 0..PARTITIONS {
                                    parts.push(
                                        SpillWriter::create(budget, g.projected.clone(), what)
                                            .map_err(|e| e.to_string())?,
                                    );
                                }
                                self.partitions = Some(parts);
                            }
                            None => {}
                        }
                    }
                    if self.partitions.is_some() {
                        if spill_rows.is_empty() {
                            spill_rows = vec![Vec::new(); PARTITIONS];
                        }
                        spill_rows[self.partition_of(key.as_ref())].push(r as u32);
                        group_of.push(u32::MAX);
                        continue;
                    }
                    let gi = self.new_group(g, b, r);
                    self.index.insert(key.as_ref().into(), gi);
                    self.estimated += key.as_ref().len() + 48;
                    group_of.push(gi);
                }
            }
        }
        for acc in &mut self.accs {
            self.estimated += acc
                .add(b, &group_of, self.groups)
                .map_err(|e| e.to_string())?;
        }
        if let Some(parts) = &mut self.partitions {
            for (p, rows) in spill_rows.into_iter().enumerate() {
                if rows.is_empty() {
                    continue;
                }
                self.spilled_rows += rows.len() as u64;
                let idx = arrow_array::UInt32Array::from(rows);
                let cols = b
                    .columns()
                    .iter()
                    .map(|c| arrow_select::take::take(c.as_ref(), &idx, None))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                parts[p]
                    .write(&Buffer::new(g.projected.clone(), cols, idx.len()))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    fn new_group(&mut self, g: &Grouping, b: &Buffer, row: usize) -> u32 {
        for (k, key) in g.keys.iter().enumerate() {
            self.reps[k].push(b.value(key.column, row));
        }
        self.groups += 1;
        self.estimated += 16 * g.columns.len();
        (self.groups - 1) as u32
    }

    /// The finished groups as output buffers, and the partitions left to aggregate.
    fn finish(
        mut self,
        g: &Grouping,
        layout: &Arc<Layout>,
        per: usize,
    ) -> Result<(Vec<Buffer>, Vec<SpillFile>), (String, String)> {
        if self.encoder.is_none() && self.groups == 0 {
            // No rows and no grouping: one row, as SQL gives.
            self.groups = 1;
            for acc in &mut self.accs {
                acc.grow(1);
            }
        }
        let mut out = Vec::new();
        let mut start = 0;
        while start < self.groups {
            let end = (start + per.max(1)).min(self.groups);
            let mut arrays = Vec::with_capacity(g.columns.len());
            let (mut k, mut a) = (0, 0);
            for col in &g.columns {
                let mut builder = ColumnBuilder::new(&col.ty, end - start);
                for gi in start..end {
                    let v = if col.kind == Kind::GroupBy {
                        self.reps[k][gi].clone()
                    } else {
                        self.accs[a].result(gi, &col.ty)
                    };
                    let v = crate::components::transforms::derived_column::fit(v, &col.ty)
                        .map_err(|(_, detail, _)| (col.identification.clone(), detail))?;
                    builder.append_value(&v);
                }
                if col.kind == Kind::GroupBy {
                    k += 1;
                } else {
                    a += 1;
                }
                arrays.push(builder.finish());
            }
            out.push(Buffer::new(layout.clone(), arrays, end - start));
            start = end;
        }
        let files = match self.partitions.take() {
            None => Vec::new(),
            Some(parts) => parts
                .into_iter()
                .map(SpillWriter::finish)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| (String::new(), e.to_string()))?,
        };
        Ok((out, files))
    }
}

impl Aggregate {
    fn error(&self, code: u32, message: impl std::fmt::Display) -> PipelineError {
        PipelineError::new(
            code,
            self.name.clone(),
            format!("{}: component \"{}\": {message}", self.task_path, self.name),
        )
    }

    /// Sends the groups of `state` and aggregates its partitions.
    fn drain(
        &self,
        gi: usize,
        state: State,
        out: &mut dyn Emitter,
        budget: &Arc<MemoryBudget>,
    ) -> Result<(), PipelineError> {
        let g = &self.groupings[gi];
        let layout = out.layout(g.output);
        let per = out.rows_per_buffer(g.output);
        let depth = state.depth;
        let spilled = state.spilled_rows;
        let (buffers, files) = state.finish(g, &layout, per).map_err(|(col, e)| {
            if col.is_empty() {
                self.error(codes::PROCESS_INPUT_FAILED, e)
            } else {
                self.error(
                    codes::ARITHMETIC_OVERFLOW,
                    format!("the result for the column \"{col}\" does not fit it: {e}; give the output column a wider type"),
                )
            }
        })?;
        for b in buffers {
            out.send(g.output, b)?;
        }
        if !files.is_empty() {
            let bytes: u64 = files.iter().map(SpillFile::bytes).sum();
            out.context().message(
                Level::Information,
                codes::ROWS_SPILLED,
                format!(
                    "\"{}\" spilled {spilled} rows of groups that did not fit the memory budget to {} partitions on disk ({:.1} MB).",
                    self.name,
                    files.len(),
                    bytes as f64 / 1e6
                ),
            );
        }
        for f in files {
            let mut st =
                State::new(g, depth + 1).map_err(|e| self.error(codes::PROCESS_INPUT_FAILED, e))?;
            let mut reader = f
                .reader()
                .map_err(|e| self.error(codes::PROCESS_INPUT_FAILED, e))?;
            while let Some(b) = reader
                .next_buffer()
                .map_err(|e| self.error(codes::PROCESS_INPUT_FAILED, e))?
            {
                if out.stopping() {
                    return Err(self.error(codes::THREAD_CANCELLED, "stopped"));
                }
                st.add(g, &b, budget, &self.name)
                    .map_err(|e| self.error(codes::PROCESS_INPUT_FAILED, e))?;
            }
            drop(reader);
            drop(f);
            self.drain(gi, st, out, budget)?;
        }
        Ok(())
    }
}

impl Component for Aggregate {
    fn receive(
        &mut self,
        _input: usize,
        buffer: Buffer,
        out: &mut dyn Emitter,
    ) -> Result<(), PipelineError> {
        if buffer.rows() == 0 {
            return Ok(());
        }
        let budget = out.context().budget.clone();
        for (gi, g) in self.groupings.iter().enumerate() {
            let cols = g
                .project
                .iter()
                .map(|&i| buffer.column(i).clone())
                .collect();
            let b = Buffer::new(g.projected.clone(), cols, buffer.rows());
            self.states[gi]
                .add(g, &b, &budget, &self.name)
                .map_err(|e| {
                    PipelineError::new(
                        codes::PROCESS_INPUT_FAILED,
                        self.name.clone(),
                        format!("{}: component \"{}\": {e}", self.task_path, self.name),
                    )
                })?;
        }
        Ok(())
    }

    fn end_of_input(&mut self, _input: usize, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let budget = out.context().budget.clone();
        let states: Vec<State> = self
            .groupings
            .iter()
            .map(|g| State::new(g, 0))
            .collect::<Result<_, _>>()
            .map_err(|e| self.error(codes::PROCESS_INPUT_FAILED, e))?;
        let states = std::mem::replace(&mut self.states, states);
        for (gi, st) in states.into_iter().enumerate() {
            self.drain(gi, st, out, &budget)?;
        }
        Ok(())
    }

    fn abort(&mut self) {
        // Dropping the states removes their partition files and releases their memory.
        self.states.clear();
    }
}

#[cfg(test)]
mod tests;
