//! Merge Join: joins two inputs sorted on their join keys — the first NumKeyColumns sort keys
//! of each input, which must match in type, direction and comparison flags — as an inner
//! (JoinType 2), left outer (1) or full outer (0) join, streaming: rows leave as soon as the
//! keys seen on both sides decide them, and only the rows of the side that is ahead wait for
//! the other. Rows with equal keys on both sides give every pairing (left order, then right
//! order). NULL keys join each other when TreatNullsAsEqual is true (the default) and nothing
//! otherwise. Each output column copies the input column named by its InputColumnID; the
//! columns of the side without a match are NULL. An input that is not declared sorted is
//! refused at validation, and keys found out of order while rows flow fail the component
//! (0xC02020AF) naming input, row and key columns. It must not reorder rows.

use std::collections::VecDeque;
use std::sync::Arc;

use arrow_array::Array;
use arrow_row::{OwnedRow, Rows};

use crate::buffer::gather::Gather;
use crate::buffer::types::arrow_type;
use crate::buffer::{Buffer, Layout};
use crate::codes;
use crate::collation::KeyEncoder;
use crate::component::{Component, ComponentSpec, Emitter};
use crate::components::sorted::sorted_keys;
use crate::components::{prop, prop_bool, prop_int};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Merge Join",
    class_ids: &[
        "{A18A4D58-7C7A-4448-8B98-AE2CEFE81B4C}",
        "{14D43A4F-D7BD-489D-829E-6DE35750CFE4}",
        "DTSTransform.MergeJoin",
        "Microsoft.MergeJoin",
    ],
    create,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JoinType {
    Full,
    Left,
    Inner,
}

/// A queued buffer of one side.
struct Queued {
    buffer: Buffer,
    rows: Rows,
    /// Rows whose join key has a NULL.
    has_null: Vec<bool>,
    /// Its source number in the side's gather.
    source: usize,
}

/// One input.
struct Side {
    input_name: String,
    encoder: KeyEncoder,
    key_names: Vec<String>,
    layout: Arc<Layout>,
    queue: VecDeque<Queued>,
    /// Row position in the front buffer.
    pos: usize,
    ended: bool,
    last: Option<OwnedRow>,
    rows_seen: u64,
    gather: Gather,
}

impl Side {
    fn current(&self) -> Option<(usize, usize)> {
        self.queue.front().map(|_| (0, self.pos))
    }

    fn advance(&mut self) {
        self.pos += 1;
        while let Some(f) = self.queue.front() {
            if self.pos < f.buffer.rows() {
                break;
            }
            self.queue.pop_front();
            self.pos = 0;
        }
    }

    fn row_at(&self, at: (usize, usize)) -> arrow_row::Row<'_> {
        self.queue[at.0].rows.row(at.1)
    }

    fn next_at(&self, at: (usize, usize)) -> Option<(usize, usize)> {
        let (mut b, mut r) = (at.0, at.1 + 1);
        while b < self.queue.len() && r >= self.queue[b].buffer.rows() {
            b += 1;
            r = 0;
        }
        (b < self.queue.len()).then_some((b, r))
    }

    /// The rows from the current one with the current key, if the group is complete (a row
    /// with another key follows, or the input ended).
    fn group(&self) -> Option<Vec<(usize, usize)>> {
        let start = self.current()?;
        let key = self.row_at(start);
        let mut rows = vec![start];
        let mut at = start;
        loop {
            match self.next_at(at) {
                Some(n) if self.row_at(n) == key => {
                    rows.push(n);
                    at = n;
                }
                Some(_) => return Some(rows),
                None => return self.ended.then_some(rows),
            }
        }
    }

    fn pick(&mut self, at: (usize, usize)) {
        let s = self.queue[at.0].source;
        self.gather.pick(s, at.1);
    }
}

struct MergeJoin {
    name: String,
    task_path: String,
    join: JoinType,
    nulls_equal: bool,
    output: usize,
    sides: [Side; 2],
    /// Per output column: (side, buffer column).
    columns: Vec<(usize, usize)>,
}

/// The input column an InputColumnID names: `(input, buffer column)`.
fn input_column(spec: &ComponentSpec<'_>, text: &str) -> Option<(usize, usize)> {
    let t = text.trim();
    let by_ref = t.strip_prefix("#{").and_then(|r| r.strip_suffix('}'));
    let number: Option<i64> = t.trim_start_matches('#').parse().ok();
    for (ii, input) in spec.component.inputs.iter().enumerate() {
        for col in &input.columns {
            let hit = match by_ref {
                Some(r) => col.id.ref_id.as_deref() == Some(r),
                None => Some(col.id.number) == number,
            };
            if hit {
                return spec.input_layouts[ii]
                    .index_of(col.lineage.number)
                    .map(|i| (ii, i));
            }
        }
    }
    None
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    if c.inputs.len() != 2 {
        return Err(spec
            .error("a Merge Join has two inputs (Merge Join Left Input and Merge Join Right Input)")
            .into());
    }
    let Some(output) = spec.main_output() else {
        return Err(spec.error("it has no output").into());
    };
    let join = match prop_int(&c.properties, "JoinType").unwrap_or(2) {
        0 => JoinType::Full,
        1 => JoinType::Left,
        2 => JoinType::Inner,
        other => {
            return Err(spec
                .error(format!("its JoinType is {other}; use 0 (full outer join), 1 (left outer join) or 2 (inner join)"))
                .into())
        }
    };
    let nulls_equal = prop_bool(&c.properties, "TreatNullsAsEqual").unwrap_or(true);
    let mut keys = Vec::new();
    for i in 0..2 {
        match sorted_keys(spec, i) {
            Ok(k) => keys.push(k),
            Err(e) => problems.push(PipelineError::new(
                codes::INPUT_MUST_BE_SORTED,
                c.name.clone(),
                format!("{}: component \"{}\": {e}", spec.task_path, c.name),
            )),
        }
    }
    problems.into_result()?;
    let mut problems = Problems::default();
    let available = keys[0].len().min(keys[1].len());
    let n = prop_int(&c.properties, "NumKeyColumns").unwrap_or(available as i64);
    if n < 1 || n as usize > available {
        return Err(spec
            .error(format!(
                "its NumKeyColumns is {n}, and its inputs are sorted on {} and {} columns; it must be between 1 and {available}",
                keys[0].len(),
                keys[1].len()
            ))
            .into());
    }
    let n = n as usize;
    for (k, (l, r)) in keys[0].iter().zip(&keys[1]).take(n).enumerate() {
        if arrow_type(&l.key.data_type) != arrow_type(&r.key.data_type)
            || l.key.descending != r.key.descending
            || l.key.flags != r.key.flags
        {
            problems.push(spec.error(format!(
                "join key {} does not match: left \"{}\" is {} {}{}, right \"{}\" is {} {}{}; both inputs must be sorted on keys of the same type, direction and comparison flags",
                k + 1,
                l.name, l.key.data_type, if l.key.descending { "descending" } else { "ascending" },
                if l.key.flags != 0 { format!(" (flags 0x{:X})", l.key.flags) } else { String::new() },
                r.name, r.key.data_type, if r.key.descending { "descending" } else { "ascending" },
                if r.key.flags != 0 { format!(" (flags 0x{:X})", r.key.flags) } else { String::new() },
            )));
        }
    }
    let mut columns = Vec::new();
    for col in &c.outputs[output].columns {
        let text = prop(&col.properties, "InputColumnID").unwrap_or("");
        match input_column(spec, text) {
            Some(x) => columns.push(x),
            None => problems.push(spec.error(format!(
                "the output column \"{}\" does not name an input column (InputColumnID \"{text}\"); map it to a column of the left or right input",
                col.name
            ))),
        }
    }
    problems.into_result()?;
    let mut sides = Vec::new();
    for (i, k) in keys.into_iter().enumerate() {
        let encoder = KeyEncoder::new(k[..n].iter().map(|s| s.key.clone()).collect())
            .map_err(|e| spec.error(e.to_string()))?;
        sides.push(Side {
            input_name: c.inputs[i].name.clone(),
            encoder,
            key_names: k[..n].iter().map(|s| s.name.clone()).collect(),
            layout: spec.input_layouts[i].clone(),
            queue: VecDeque::new(),
            pos: 0,
            ended: false,
            last: None,
            rows_seen: 0,
            gather: Gather::new(),
        });
    }
    let right = sides.pop().ok_or_else(|| spec.error("no right input"))?;
    let left = sides.pop().ok_or_else(|| spec.error("no left input"))?;
    Ok(Box::new(MergeJoin {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        join,
        nulls_equal,
        output,
        sides: [left, right],
        columns,
    }))
}

impl MergeJoin {
    fn error(&self, code: u32, message: impl std::fmt::Display) -> PipelineError {
        PipelineError::new(
            code,
            self.name.clone(),
            format!("{}: component \"{}\": {message}", self.task_path, self.name),
        )
    }

    /// Emits a left row with no match (left and full joins).
    fn unmatched(&mut self, side: usize, at: (usize, usize)) {
        let keep = match (self.join, side) {
            (JoinType::Inner, _) => false,
            (JoinType::Left, s) => s == 0,
            (JoinType::Full, _) => true,
        };
        if keep {
            self.sides[side].pick(at);
            let other = 1 - side;
            let layout = self.sides[other].layout.clone();
            self.sides[other].gather.pick_null(&layout);
        }
    }

    /// Joins as far as the queued rows decide.
    fn step(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        loop {
            self.flush(out, false)?;
            let l = self.sides[0].current();
            let r = self.sides[1].current();
            let (l, r) = match (l, r) {
                (None, None) => return Ok(()),
                (Some(l), None) => {
                    if !self.sides[1].ended {
                        return Ok(());
                    }
                    self.unmatched(0, l);
                    self.sides[0].advance();
                    continue;
                }
                (None, Some(r)) => {
                    if !self.sides[0].ended {
                        return Ok(());
                    }
                    self.unmatched(1, r);
                    self.sides[1].advance();
                    continue;
                }
                (Some(l), Some(r)) => (l, r),
            };
            if !self.nulls_equal {
                if self.sides[0].queue[0].has_null[l.1] {
                    self.unmatched(0, l);
                    self.sides[0].advance();
                    continue;
                }
                if self.sides[1].queue[0].has_null[r.1] {
                    self.unmatched(1, r);
                    self.sides[1].advance();
                    continue;
                }
            }
            match self.sides[0].row_at(l).cmp(&self.sides[1].row_at(r)) {
                std::cmp::Ordering::Less => {
                    self.unmatched(0, l);
                    self.sides[0].advance();
                }
                std::cmp::Ordering::Greater => {
                    self.unmatched(1, r);
                    self.sides[1].advance();
                }
                std::cmp::Ordering::Equal => {
                    let (Some(lg), Some(rg)) = (self.sides[0].group(), self.sides[1].group())
                    else {
                        return Ok(());
                    };
                    for &a in &lg {
                        for &b in &rg {
                            self.sides[0].pick(a);
                            self.sides[1].pick(b);
                        }
                        self.flush(out, false)?;
                    }
                    for _ in 0..lg.len() {
                        self.sides[0].advance();
                    }
                    for _ in 0..rg.len() {
                        self.sides[1].advance();
                    }
                }
            }
        }
    }

    /// Sends the picked rows when a buffer is full (or `all`), then renumbers the sources.
    fn flush(&mut self, out: &mut dyn Emitter, all: bool) -> Result<(), PipelineError> {
        let n = self.sides[0].gather.len();
        if n == 0 || (!all && n < out.rows_per_buffer(self.output).max(1)) {
            return Ok(());
        }
        let mut parts = Vec::new();
        for s in 0..2 {
            let cols: Vec<usize> = self
                .columns
                .iter()
                .filter(|(side, _)| *side == s)
                .map(|(_, c)| *c)
                .collect();
            let arrays = self.sides[s]
                .gather
                .take_columns(&cols)
                .map_err(|e| self.error(codes::PROCESS_INPUT_FAILED, e))?;
            parts.push(arrays.into_iter());
        }
        let arrays = self
            .columns
            .iter()
            .map(|(s, _)| parts[*s].next())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                self.error(codes::PROCESS_INPUT_FAILED, "an output column is missing")
            })?;
        let layout = out.layout(self.output);
        out.send(self.output, Buffer::new(layout, arrays, n))?;
        for side in &mut self.sides {
            side.gather.clear_sources();
            for q in side.queue.iter_mut() {
                q.source = side.gather.add_source(q.buffer.clone());
            }
        }
        Ok(())
    }
}

impl Component for MergeJoin {
    fn receive(
        &mut self,
        input: usize,
        buffer: Buffer,
        out: &mut dyn Emitter,
    ) -> Result<(), PipelineError> {
        let n = buffer.rows();
        if n == 0 || input > 1 {
            return Ok(());
        }
        // The upstream reservation is dropped: rows waiting here for the other side must not
        // hold memory that the other side's producer needs to proceed.
        let buffer = Buffer::new(buffer.layout().clone(), buffer.columns().to_vec(), n);
        let side = &mut self.sides[input];
        let rows = side.encoder.rows(buffer.columns()).map_err(|e| {
            PipelineError::new(
                codes::PROCESS_INPUT_FAILED,
                self.name.clone(),
                e.to_string(),
            )
        })?;
        // The rows must come in key order.
        for i in 0..n {
            let before = if i == 0 {
                side.last.as_ref().map(|l| l.row())
            } else {
                Some(rows.row(i - 1))
            };
            if before.is_some_and(|b| rows.row(i) < b) {
                let (name, seen, keys) = (
                    side.input_name.clone(),
                    side.rows_seen,
                    side.key_names.join("\", \""),
                );
                return Err(self.error(
                    codes::INPUT_MUST_BE_SORTED,
                    format!(
                        "its input \"{name}\" is not sorted on \"{keys}\": row {} comes before row {} in key order; sort the input (a Sort transformation) or correct its SortKeyPosition",
                        seen + i as u64 + 1,
                        seen + i as u64
                    ),
                ));
            }
        }
        side.last = Some(rows.row(n - 1).owned());
        side.rows_seen += n as u64;
        let has_null = (0..n)
            .map(|r| {
                side.encoder
                    .keys()
                    .iter()
                    .any(|k| buffer.column(k.column).is_null(r))
            })
            .collect();
        let source = side.gather.add_source(buffer.clone());
        side.queue.push_back(Queued {
            buffer,
            rows,
            has_null,
            source,
        });
        self.step(out)
    }

    fn end_of_input(&mut self, input: usize, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        if let Some(s) = self.sides.get_mut(input) {
            s.ended = true;
        }
        self.step(out)?;
        if self.sides.iter().all(|s| s.ended) {
            self.flush(out, true)?;
        }
        Ok(())
    }

    fn abort(&mut self) {
        for s in &mut self.sides {
            s.queue.clear();
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
