//! Sort: a blocking component that reads every row of its input, then sends them sorted on the
//! input columns with a NewSortKeyPosition (1, 2, … in key order; negative = descending; their
//! NewComparisonFlags apply to strings, see `collation.rs`), optionally without the rows whose
//! keys repeat an earlier row's (EliminateDuplicates, first row kept). Its output carries the
//! columns named by the output columns' SortColumnId (the pass-through columns); it is
//! declared IsSorted with the keys' sortKeyPosition, which Merge and Merge Join downstream read.
//!
//! Memory: the rows it holds are reserved against the data flow's budget
//! ([`MemoryBudget::try_reserve_held`]) together with what sorting them costs — their
//! row-format keys, encoded once on arrival, and their place in the order; when the budget
//! refuses, the rows held so far are sorted and written to a spill file (a *run*, `spill.rs`)
//! in small batches, and memory is released. At the end the rows still held are sorted and,
//! if runs were written, become one more run and all runs are merged k ways (a heap of run
//! cursors over Arrow row-format keys), run order breaking ties so the sort is stable. A merge
//! holds one small batch per run, so the runs merged at once (the fan-in) are as many as fit
//! the held share of the budget; more runs are first merged group by group into longer runs.
//! Spill files are removed once merged, and in `abort`. It must not change values.

use std::sync::Arc;

use arrow_row::{OwnedRow, Rows};

use crate::buffer::gather::Gather;
use crate::buffer::{Buffer, Layout, LayoutColumn};
use crate::codes;
use crate::collation::{self, KeyColumn, KeyEncoder};
use crate::component::{Component, ComponentSpec, Emitter};
use crate::components::{lineage_ref, prop, prop_bool, prop_int};
use crate::error::{PipelineError, Problems};
use crate::host::Level;
use crate::memory::{MemoryBudget, Reservation};
use crate::registry::ComponentEntry;
use crate::spill::{SpillFile, SpillReader, SpillWriter};

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Sort",
    class_ids: &[
        "{F1CEE4CE-066D-4FBE-9DC4-CD97202F3450}",
        "{07127A7C-164B-422A-AD1F-24BE39B4DB38}",
        "DTSTransform.Sort",
        "Microsoft.Sort",
    ],
    create,
};

struct Sort {
    name: String,
    task_path: String,
    output: usize,
    /// Input buffer columns kept: the output's columns in output order, then key columns
    /// that are not passed through.
    hold: Vec<usize>,
    hold_layout: Arc<Layout>,
    /// Output columns (the first columns of the held layout).
    out_columns: Vec<usize>,
    /// Keys over the held layout.
    encoder: KeyEncoder,
    dedupe: bool,
    held: Vec<Held>,
    runs: Vec<SpillFile>,
    /// Rows per batch in the spill files (set at the first spill).
    batch_rows: usize,
    /// Merge passes before the final merge.
    passes: usize,
    rows_in: u64,
}

/// Rows held in memory: a buffer of the held layout, its key rows, and the reservation that
/// accounts for both and for their entries in the sort order.
struct Held {
    buffer: Buffer,
    keys: Rows,
    /// None for a buffer too large for the budget even alone (spilled at once).
    _reservation: Option<Reservation>,
}

/// Bytes a spill batch aims at: small, since a merge holds one batch (and its keys) per run.
const SPILL_BATCH_BYTES: usize = 256 * 1024;

/// Bytes a merge holds per run: the batch being read, its key rows, the previous batch still
/// referenced by the output being gathered, and the file's read buffer.
const MERGE_BYTES_PER_RUN: usize = 3 * SPILL_BATCH_BYTES + crate::spill::READ_BUFFER;

/// Bytes an entry of the sort order takes ((buffer, row) as two u32).
const ORDER_ENTRY_BYTES: usize = 8;

/// A key as configured on an input column.
struct KeySpec {
    position: i64,
    lineage: i64,
    flags: u32,
    name: String,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    if c.inputs.len() != 1 {
        return Err(spec.error("a Sort has exactly one input").into());
    }
    let Some(output) = spec.main_output() else {
        return Err(spec.error("it has no output").into());
    };
    let input_layout = spec.input_layouts[0].clone();
    let column_name = |lineage: i64| {
        input_layout
            .index_of(lineage)
            .map(|i| input_layout.columns[i].name.clone())
            .unwrap_or_else(|| lineage.to_string())
    };
    // Keys, from the input columns.
    let mut keys: Vec<KeySpec> = Vec::new();
    for col in &c.inputs[0].columns {
        let position = prop_int(&col.properties, "NewSortKeyPosition").unwrap_or(0);
        if position == 0 {
            continue;
        }
        keys.push(KeySpec {
            position,
            lineage: col.lineage.number,
            flags: prop_int(&col.properties, "NewComparisonFlags").unwrap_or(0) as u32,
            name: column_name(col.lineage.number),
        });
    }
    if keys.is_empty() {
        problems.push(spec.error(
            "it has no sort key: give at least one input column a NewSortKeyPosition (1 for the first key, 2 for the next, negative for descending)",
        ));
    }
    keys.sort_by_key(|k| k.position.abs());
    for (i, k) in keys.iter().enumerate() {
        if k.position.unsigned_abs() != i as u64 + 1 {
            let names: Vec<String> = keys
                .iter()
                .map(|k| format!("\"{}\" {}", k.name, k.position))
                .collect();
            problems.push(spec.error(format!(
                "its sort key positions must be 1, 2, … without gaps or repeats (by absolute value), and they are: {}",
                names.join(", ")
            )));
            break;
        }
    }
    // Output columns, from SortColumnId.
    let out_layout = spec.output_layouts[output].clone();
    let mut hold: Vec<usize> = Vec::new();
    for col in &c.outputs[output].columns {
        let text = prop(&col.properties, "SortColumnId").unwrap_or("");
        match lineage_ref(spec.flow, text).and_then(|l| input_layout.index_of(l)) {
            Some(i) => hold.push(i),
            None => problems.push(spec.error(format!(
                "the output column \"{}\" does not name an input column it carries (SortColumnId \"{text}\"); map it to a column of the input",
                col.name
            ))),
        }
    }
    problems.into_result()?;
    let mut problems = Problems::default();
    let mut hold_columns: Vec<LayoutColumn> = out_layout.columns.clone();
    let mut key_columns = Vec::new();
    for k in &keys {
        let Some(input_index) = input_layout.index_of(k.lineage) else {
            problems.push(spec.error(format!(
                "the sort key \"{}\" is not a column of the input",
                k.name
            )));
            continue;
        };
        let held_index = match hold.iter().position(|&h| h == input_index) {
            Some(p) => p,
            None => {
                hold.push(input_index);
                hold_columns.push(input_layout.columns[input_index].clone());
                hold.len() - 1
            }
        };
        let data_type = input_layout.columns[input_index].data_type;
        if !collation::comparable(&data_type) {
            problems.push(spec.error(format!(
                "the column \"{}\" ({data_type}) cannot be a sort key: long text and image values cannot be compared",
                k.name
            )));
            continue;
        }
        if let Err(e) = collation::check_flags(&data_type, k.flags) {
            problems.push(spec.error(format!(
                "the sort key \"{}\" has NewComparisonFlags {}: {e}",
                k.name, k.flags
            )));
            continue;
        }
        key_columns.push(KeyColumn {
            column: held_index,
            data_type,
            descending: k.position < 0,
            flags: k.flags,
        });
        // The output declares the key positions it sorts on; a contradiction is refused.
        if let Some(oc) = c.outputs[output]
            .columns
            .iter()
            .zip(&hold)
            .find_map(|(oc, &h)| {
                (h == input_index
                    && oc.sort_key_position != 0
                    && oc.sort_key_position as i64 != k.position)
                    .then_some(oc)
            })
        {
            problems.push(spec.error(format!(
                "the output column \"{}\" declares sortKeyPosition {} but its input column is sort key {}",
                oc.name, oc.sort_key_position, k.position
            )));
        }
    }
    problems.into_result()?;
    let encoder = KeyEncoder::new(key_columns).map_err(|e| spec.error(e.to_string()))?;
    Ok(Box::new(Sort {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        output,
        out_columns: (0..out_layout.len()).collect(),
        hold,
        hold_layout: Arc::new(Layout::new(hold_columns)),
        encoder,
        dedupe: prop_bool(&c.properties, "EliminateDuplicates").unwrap_or(false),
        held: Vec::new(),
        runs: Vec::new(),
        batch_rows: 0,
        passes: 0,
        rows_in: 0,
    }))
}

/// The (buffer, row) pairs of rows whose keys are `keys` (one entry per buffer), in key order —
/// equal keys in buffer and row order, so the sort is stable — without the rows that repeat
/// an earlier row's key when `dedupe`. Sorts in place (no scratch memory beyond the order).
fn order(keys: &[&Rows], dedupe: bool) -> Vec<(u32, u32)> {
    let mut idx: Vec<(u32, u32)> = keys
        .iter()
        .enumerate()
        .flat_map(|(bi, k)| (0..k.num_rows() as u32).map(move |r| (bi as u32, r)))
        .collect();
    let key = |e: &(u32, u32)| keys[e.0 as usize].row(e.1 as usize);
    idx.sort_unstable_by(|a, b| key(a).cmp(&key(b)).then(a.cmp(b)));
    if dedupe {
        idx.dedup_by(|cur, prev| key(cur) == key(prev));
    }
    idx
}

impl Sort {
    fn error(&self, message: impl std::fmt::Display) -> PipelineError {
        PipelineError::new(
            codes::PROCESS_INPUT_FAILED,
            self.name.clone(),
            format!("{}: component \"{}\": {message}", self.task_path, self.name),
        )
    }

    /// Sorts the rows held and writes them as a run, in batches of about
    /// [`SPILL_BATCH_BYTES`]; releases their memory.
    fn spill_held(&mut self, budget: &MemoryBudget) -> Result<(), PipelineError> {
        let held = std::mem::take(&mut self.held);
        if held.is_empty() {
            return Ok(());
        }
        if self.batch_rows == 0 {
            let rows: usize = held.iter().map(|h| h.buffer.rows()).sum();
            let bytes: usize = held.iter().map(|h| h.buffer.memory_size()).sum();
            self.batch_rows = (SPILL_BATCH_BYTES * rows / bytes.max(1)).clamp(64, 16 * 1024);
        }
        let keys: Vec<&Rows> = held.iter().map(|h| &h.keys).collect();
        let idx = order(&keys, self.dedupe);
        let mut writer = SpillWriter::create(budget, self.hold_layout.clone(), &self.name)
            .map_err(|e| self.error(e))?;
        let mut g = Gather::new();
        for h in &held {
            g.add_source(h.buffer.clone());
        }
        let all: Vec<usize> = (0..self.hold_layout.len()).collect();
        for chunk in idx.chunks(self.batch_rows) {
            for &(s, r) in chunk {
                g.pick(s as usize, r as usize);
            }
            let b = g
                .build(self.hold_layout.clone(), &all)
                .map_err(|e| self.error(e))?;
            writer.write(&b).map_err(|e| self.error(e))?;
        }
        drop(idx);
        drop(g);
        drop(held);
        self.runs.push(writer.finish().map_err(|e| self.error(e))?);
        Ok(())
    }

    /// Sends the rows held, sorted (no runs were written).
    fn emit_held(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let held = std::mem::take(&mut self.held);
        let keys: Vec<&Rows> = held.iter().map(|h| &h.keys).collect();
        let idx = order(&keys, self.dedupe);
        let layout = out.layout(self.output);
        let per = out.rows_per_buffer(self.output).max(1);
        let mut g = Gather::new();
        for h in &held {
            g.add_source(h.buffer.clone());
        }
        for chunk in idx.chunks(per) {
            for &(s, r) in chunk {
                g.pick(s as usize, r as usize);
            }
            let b = g
                .build(layout.clone(), &self.out_columns)
                .map_err(|e| self.error(e))?;
            out.send(self.output, b)?;
        }
        Ok(())
    }

    /// How many runs one merge reads at once: as many as the held share of the budget holds.
    fn fan_in(budget: &MemoryBudget) -> usize {
        (budget.limit() / 4 * crate::memory::HELD_SHARE / MERGE_BYTES_PER_RUN).max(2)
    }

    /// Merges runs group by group into longer runs until one merge can read them all.
    fn merge_passes(&mut self, budget: &MemoryBudget) -> Result<(), PipelineError> {
        let fan_in = Self::fan_in(budget);
        let all: Vec<usize> = (0..self.hold_layout.len()).collect();
        while self.runs.len() > fan_in {
            self.passes += 1;
            let mut runs = std::mem::take(&mut self.runs).into_iter().peekable();
            while runs.peek().is_some() {
                let group: Vec<SpillFile> = runs.by_ref().take(fan_in).collect();
                if group.len() == 1 {
                    self.runs.extend(group);
                    continue;
                }
                let mut writer = SpillWriter::create(budget, self.hold_layout.clone(), &self.name)
                    .map_err(|e| self.error(e))?;
                self.merge(
                    &group,
                    self.batch_rows.max(1),
                    self.hold_layout.clone(),
                    &all,
                    &mut |b| writer.write(&b).map_err(|e| self.error(e)),
                )?;
                self.runs.push(writer.finish().map_err(|e| self.error(e))?);
            }
        }
        Ok(())
    }

    /// Merges `runs` (in run order: equal keys keep it) into buffers of `per` rows of `layout`
    /// (`columns` of the held layout), handed to `emit`.
    fn merge(
        &self,
        runs: &[SpillFile],
        per: usize,
        layout: Arc<Layout>,
        columns: &[usize],
        emit: &mut dyn FnMut(Buffer) -> Result<(), PipelineError>,
    ) -> Result<(), PipelineError> {
        let mut g = Gather::new();
        let mut cursors: Vec<Cursor> = Vec::with_capacity(runs.len());
        for run in runs {
            let reader = run.reader().map_err(|e| self.error(e))?;
            if let Some(c) =
                Cursor::open(reader, &self.encoder, &mut g).map_err(|e| self.error(e))?
            {
                cursors.push(c);
            }
        }
        let mut heap: Vec<usize> = (0..cursors.len()).collect();
        let less = |cursors: &[Cursor], a: usize, b: usize| {
            let (x, y) = (&cursors[a], &cursors[b]);
            match x.rows.row(x.pos).cmp(&y.rows.row(y.pos)) {
                std::cmp::Ordering::Equal => a < b,
                o => o == std::cmp::Ordering::Less,
            }
        };
        for i in (0..heap.len() / 2).rev() {
            sift_down(&mut heap, i, &cursors, &less);
        }
        let mut last: Option<OwnedRow> = None;
        while let Some(&top) = heap.first() {
            let c = &cursors[top];
            let row = c.rows.row(c.pos);
            let duplicate = self.dedupe && last.as_ref().is_some_and(|l| l.row() == row);
            if !duplicate {
                if self.dedupe {
                    last = Some(row.owned());
                }
                g.pick(c.source, c.pos);
            }
            let alive = cursors[top]
                .advance(&self.encoder, &mut g)
                .map_err(|e| self.error(e))?;
            if !alive {
                let end = heap.len() - 1;
                heap.swap(0, end);
                heap.pop();
            }
            sift_down(&mut heap, 0, &cursors, &less);
            if g.len() >= per {
                let b = g
                    .build(layout.clone(), columns)
                    .map_err(|e| self.error(e))?;
                emit(b)?;
                g.clear_sources();
                for &h in &heap {
                    cursors[h].source = g.add_source(cursors[h].buffer.clone());
                }
            }
        }
        if !g.is_empty() {
            let b = g.build(layout, columns).map_err(|e| self.error(e))?;
            emit(b)?;
        }
        Ok(())
    }
}

/// Restores the heap order below `i`.
fn sift_down(
    heap: &mut [usize],
    mut i: usize,
    cursors: &[Cursor],
    less: &impl Fn(&[Cursor], usize, usize) -> bool,
) {
    loop {
        let l = 2 * i + 1;
        let r = l + 1;
        let mut m = i;
        if l < heap.len() && less(cursors, heap[l], heap[m]) {
            m = l;
        }
        if r < heap.len() && less(cursors, heap[r], heap[m]) {
            m = r;
        }
        if m == i {
            return;
        }
        heap.swap(i, m);
        i = m;
    }
}

/// The read position in one run.
struct Cursor {
    reader: SpillReader,
    buffer: Buffer,
    rows: Rows,
    pos: usize,
    /// The buffer's source number in the output gather.
    source: usize,
}

impl Cursor {
    fn open(
        mut reader: SpillReader,
        encoder: &KeyEncoder,
        g: &mut Gather,
    ) -> Result<Option<Cursor>, String> {
        loop {
            match reader.next_buffer().map_err(|e| e.to_string())? {
                None => return Ok(None),
                Some(b) if b.rows() == 0 => continue,
                Some(b) => {
                    let rows = encoder.rows(b.columns()).map_err(|e| e.to_string())?;
                    let source = g.add_source(b.clone());
                    return Ok(Some(Cursor {
                        reader,
                        buffer: b,
                        rows,
                        pos: 0,
                        source,
                    }));
                }
            }
        }
    }

    /// Moves to the next row; false at the end of the run.
    fn advance(&mut self, encoder: &KeyEncoder, g: &mut Gather) -> Result<bool, String> {
        self.pos += 1;
        while self.pos >= self.buffer.rows() {
            match self.reader.next_buffer().map_err(|e| e.to_string())? {
                None => return Ok(false),
                Some(b) => {
                    self.rows = encoder.rows(b.columns()).map_err(|e| e.to_string())?;
                    self.source = g.add_source(b.clone());
                    self.buffer = b;
                    self.pos = 0;
                }
            }
        }
        Ok(true)
    }
}

impl Component for Sort {
    fn receive(
        &mut self,
        _input: usize,
        buffer: Buffer,
        out: &mut dyn Emitter,
    ) -> Result<(), PipelineError> {
        let n = buffer.rows();
        if n == 0 {
            return Ok(());
        }
        self.rows_in += n as u64;
        // Keep only the columns needed; the upstream reservation goes with the buffer.
        let columns = self
            .hold
            .iter()
            .map(|&i| buffer.column(i).clone())
            .collect();
        drop(buffer);
        let b = Buffer::new(self.hold_layout.clone(), columns, n);
        let keys = self.encoder.rows(b.columns()).map_err(|e| self.error(e))?;
        let bytes = b.memory_size() + keys.size() + n * ORDER_ENTRY_BYTES;
        let budget = out.context().budget.clone();
        loop {
            if let Some(r) = budget.try_reserve_held(bytes) {
                self.held.push(Held {
                    buffer: b,
                    keys,
                    _reservation: Some(r),
                });
                return Ok(());
            }
            if self.held.is_empty() {
                // Even alone it does not fit: it is a run of its own.
                self.held.push(Held {
                    buffer: b,
                    keys,
                    _reservation: None,
                });
                return self.spill_held(&budget);
            }
            self.spill_held(&budget)?;
        }
    }

    fn end_of_input(&mut self, _input: usize, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        if self.runs.is_empty() {
            return self.emit_held(out);
        }
        let budget = out.context().budget.clone();
        self.spill_held(&budget)?;
        let bytes: u64 = self.runs.iter().map(SpillFile::bytes).sum();
        let written = self.runs.len();
        self.merge_passes(&budget)?;
        out.context().message(
            Level::Information,
            codes::ROWS_SPILLED,
            format!(
                "\"{}\" sorted {} rows in {} runs spilled to disk ({:.1} MB; {} merge passes before the last); the memory budget is {} MB.",
                self.name,
                self.rows_in,
                written,
                bytes as f64 / 1e6,
                self.passes,
                budget.limit() / (1024 * 1024)
            ),
        );
        let runs = std::mem::take(&mut self.runs);
        let layout = out.layout(self.output);
        let per = out.rows_per_buffer(self.output).max(1);
        let output = self.output;
        self.merge(&runs, per, layout, &self.out_columns, &mut |b| {
            out.send(output, b)
        })
    }

    fn abort(&mut self) {
        self.held.clear();
        self.runs.clear();
    }
}

#[cfg(test)]
mod tests;
