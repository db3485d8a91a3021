//! Merge: interleaves two (or more) inputs sorted on the same keys into one output sorted on
//! them, streaming — a row leaves once every input that has not ended shows its next row, so
//! only the rows of the input that is ahead wait. Each input column names the output column it
//! feeds (OutputColumnLineageID, as Union All); equal keys keep input order (first input
//! first). The keys are the inputs' declared sort keys (IsSorted, SortKeyPosition), which must
//! feed the same output columns with the same direction and comparison flags; an input that is
//! not declared sorted is refused at validation and rows found out of order fail the component
//! (0xC02020AF). It must not change values.

use std::collections::VecDeque;

use arrow_array::{new_null_array, ArrayRef};
use arrow_row::{OwnedRow, Rows};
use ssisd_engine::types::DataType;

use crate::buffer::gather::Gather;
use crate::buffer::types::arrow_type;
use crate::buffer::values::ColumnBuilder;
use crate::buffer::Buffer;
use crate::codes;
use crate::collation::{KeyColumn, KeyEncoder};
use crate::component::{Component, ComponentSpec, Emitter};
use crate::components::sorted::sorted_keys;
use crate::components::{lineage_ref, prop};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Merge",
    // No package seen here uses Merge: its ProgID, and the moniker 2014+ derives from ProgIDs.
    class_ids: &["DTSTransform.Merge", "Microsoft.Merge"],
    create,
};

struct Queued {
    rows: Rows,
    len: usize,
    source: usize,
    buffer: Buffer,
}

struct Input {
    name: String,
    /// Per output column: the input buffer column that feeds it.
    feed: Vec<Option<usize>>,
    queue: VecDeque<Queued>,
    pos: usize,
    ended: bool,
    last: Option<OwnedRow>,
    rows_seen: u64,
}

struct Merge {
    name: String,
    task_path: String,
    output: usize,
    types: Vec<DataType>,
    key_names: Vec<String>,
    encoder: KeyEncoder,
    inputs: Vec<Input>,
    gather: Gather,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    if c.inputs.len() < 2 {
        return Err(spec.error("a Merge has two inputs").into());
    }
    let Some(output) = spec.main_output() else {
        return Err(spec.error("it has no output").into());
    };
    let out_cols = &c.outputs[output].columns;
    let types: Vec<DataType> = out_cols
        .iter()
        .map(|c| c.data_type.unwrap_or(DataType::Null))
        .collect();
    let mut inputs = Vec::new();
    let mut keys: Option<(Vec<KeyColumn>, Vec<String>)> = None;
    for (ii, input) in c.inputs.iter().enumerate() {
        let layout = &spec.input_layouts[ii];
        let mut feed = vec![None; out_cols.len()];
        for col in &input.columns {
            let text = prop(&col.properties, "OutputColumnLineageID").unwrap_or("");
            let target = lineage_ref(spec.flow, text)
                .and_then(|t| out_cols.iter().position(|o| o.lineage_id == t));
            match target {
                Some(oc) => feed[oc] = layout.index_of(col.lineage.number),
                None => problems.push(spec.error(format!(
                    "an input column of \"{}\" does not name the output column it feeds (OutputColumnLineageID \"{text}\")",
                    input.name
                ))),
            }
        }
        match sorted_keys(spec, ii) {
            Err(e) => problems.push(PipelineError::new(
                codes::INPUT_MUST_BE_SORTED,
                c.name.clone(),
                format!("{}: component \"{}\": {e}", spec.task_path, c.name),
            )),
            Ok(sk) => {
                // Keys as output columns.
                let mut mine = Vec::new();
                let mut names = Vec::new();
                for k in &sk {
                    match feed.iter().position(|f| *f == Some(k.key.column)) {
                        Some(oc) => {
                            mine.push(KeyColumn {
                                column: oc,
                                data_type: types[oc],
                                descending: k.key.descending,
                                flags: k.key.flags,
                            });
                            names.push(out_cols[oc].name.clone());
                        }
                        None => {
                            problems.push(spec.error(format!(
                                "the sort key \"{}\" of the input \"{}\" does not feed any output column; map it to one",
                                k.name, input.name
                            )));
                            break;
                        }
                    }
                }
                match &keys {
                    None => keys = Some((mine, names)),
                    Some((first, first_names)) if *first != mine => {
                        problems.push(spec.error(format!(
                            "its inputs are sorted differently: \"{}\" on \"{}\", \"{}\" on \"{}\" (as output columns, with direction and comparison flags); both must be sorted on the same columns",
                            c.inputs[0].name,
                            first_names.join("\", \""),
                            input.name,
                            names.join("\", \"")
                        )));
                    }
                    Some(_) => {}
                }
            }
        }
        inputs.push(Input {
            name: input.name.clone(),
            feed,
            queue: VecDeque::new(),
            pos: 0,
            ended: false,
            last: None,
            rows_seen: 0,
        });
    }
    problems.into_result()?;
    let (key_columns, key_names) = keys.unwrap_or_default();
    let encoder = KeyEncoder::new(key_columns).map_err(|e| spec.error(e.to_string()))?;
    Ok(Box::new(Merge {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        output,
        types,
        key_names,
        encoder,
        inputs,
        gather: Gather::new(),
    }))
}

impl Merge {
    fn error(&self, code: u32, message: impl std::fmt::Display) -> PipelineError {
        PipelineError::new(
            code,
            self.name.clone(),
            format!("{}: component \"{}\": {message}", self.task_path, self.name),
        )
    }

    /// The buffer of input `input` as output columns.
    fn as_output(&self, input: usize, buffer: &Buffer, out: &dyn Emitter) -> Buffer {
        let n = buffer.rows();
        let columns: Vec<ArrayRef> = self
            .types
            .iter()
            .enumerate()
            .map(|(j, ty)| match self.inputs[input].feed[j] {
                Some(src) if buffer.layout().columns[src].data_type == *ty => {
                    buffer.column(src).clone()
                }
                Some(src)
                    if arrow_type(&buffer.layout().columns[src].data_type) == arrow_type(ty) =>
                {
                    buffer.column(src).clone()
                }
                Some(src) => {
                    let mut b = ColumnBuilder::new(ty, n);
                    for row in 0..n {
                        let v = ssisd_engine::types::convert(&buffer.value(src, row), ty)
                            .unwrap_or(ssisd_engine::types::Value::Null(*ty));
                        b.append_value(&v);
                    }
                    b.finish()
                }
                None => new_null_array(&arrow_type(ty), n),
            })
            .collect();
        Buffer::new(out.layout(self.output), columns, n)
    }

    fn flush(&mut self, out: &mut dyn Emitter, all: bool) -> Result<(), PipelineError> {
        let n = self.gather.len();
        if n == 0 || (!all && n < out.rows_per_buffer(self.output).max(1)) {
            return Ok(());
        }
        let cols: Vec<usize> = (0..self.types.len()).collect();
        let b = self
            .gather
            .build(out.layout(self.output), &cols)
            .map_err(|e| self.error(codes::PROCESS_INPUT_FAILED, e))?;
        out.send(self.output, b)?;
        self.gather.clear_sources();
        for i in &mut self.inputs {
            for q in i.queue.iter_mut() {
                q.source = self.gather.add_source(q.buffer.clone());
            }
        }
        Ok(())
    }

    /// Emits rows while every open input shows its next row.
    fn step(&mut self, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        loop {
            let mut best: Option<usize> = None;
            for (i, input) in self.inputs.iter().enumerate() {
                match input.queue.front() {
                    None if !input.ended => return self.flush(out, false),
                    None => {}
                    Some(q) => {
                        let better = match best {
                            None => true,
                            Some(b) => {
                                let bq = &self.inputs[b].queue[0];
                                q.rows.row(input.pos) < bq.rows.row(self.inputs[b].pos)
                            }
                        };
                        if better {
                            best = Some(i);
                        }
                    }
                }
            }
            let Some(b) = best else {
                return self.flush(out, false);
            };
            let input = &mut self.inputs[b];
            let q = &input.queue[0];
            self.gather.pick(q.source, input.pos);
            input.pos += 1;
            if input.pos >= q.len {
                input.queue.pop_front();
                input.pos = 0;
            }
            self.flush(out, false)?;
        }
    }
}

impl Component for Merge {
    fn receive(
        &mut self,
        input: usize,
        buffer: Buffer,
        out: &mut dyn Emitter,
    ) -> Result<(), PipelineError> {
        let n = buffer.rows();
        if n == 0 || input >= self.inputs.len() {
            return Ok(());
        }
        // As output columns; the upstream reservation goes with the original buffer.
        let b = self.as_output(input, &buffer, out);
        drop(buffer);
        let rows = self
            .encoder
            .rows(b.columns())
            .map_err(|e| self.error(codes::PROCESS_INPUT_FAILED, e))?;
        let inp = &self.inputs[input];
        for i in 0..n {
            let before = if i == 0 {
                inp.last.as_ref().map(|l| l.row())
            } else {
                Some(rows.row(i - 1))
            };
            if before.is_some_and(|p| rows.row(i) < p) {
                return Err(self.error(
                    codes::INPUT_MUST_BE_SORTED,
                    format!(
                        "its input \"{}\" is not sorted on \"{}\": row {} comes before row {} in key order; sort the input (a Sort transformation) or correct its SortKeyPosition",
                        inp.name,
                        self.key_names.join("\", \""),
                        inp.rows_seen + i as u64 + 1,
                        inp.rows_seen + i as u64
                    ),
                ));
            }
        }
        let source = self.gather.add_source(b.clone());
        let inp = &mut self.inputs[input];
        inp.last = Some(rows.row(n - 1).owned());
        inp.rows_seen += n as u64;
        inp.queue.push_back(Queued {
            rows,
            len: n,
            source,
            buffer: b,
        });
        self.step(out)
    }

    fn end_of_input(&mut self, input: usize, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        if let Some(i) = self.inputs.get_mut(input) {
            i.ended = true;
        }
        self.step(out)?;
        if self.inputs.iter().all(|i| i.ended) {
            self.flush(out, true)?;
        }
        Ok(())
    }

    fn abort(&mut self) {
        for i in &mut self.inputs {
            i.queue.clear();
        }
    }
}

#[cfg(test)]
mod tests;
