//! Row Sampling: sends exactly SamplingValue rows drawn uniformly from its input (all of them
//! when there are fewer) to the output whose Selected property is true, and every other row to
//! the other output; both outputs are asynchronous, each output column carrying the input
//! column named by InputColumnLineageID. The draw is a reservoir sample (Algorithm R): rows that
//! cannot be in the sample leave on the unselected output as they come and only the sample is
//! held, in input order at the end. SamplingSeed fixes the draw (0: seeded from the clock; see
//! [`crate::components::seeded_rng`]). It must not change values.

use std::sync::Arc;

use rand_pcg::rand_core::Rng;

use crate::buffer::gather::Gather;
use crate::buffer::{Buffer, Layout};
use crate::codes;
use crate::component::{Component, ComponentSpec, Emitter};
use crate::components::transforms::percentage_sampling::sampling_outputs;
use crate::components::{lineage_ref, prop, prop_int, seeded_rng};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Row Sampling",
    class_ids: &[
        "{19FBD9D1-7707-49F8-8EB2-BD7C6DA183C2}",
        "DTSTransform.RowSampling",
        "Microsoft.RowSampling",
    ],
    create,
};

/// One sampled row: its number in the input, and where it is in the gather.
#[derive(Clone, Copy)]
struct Slot {
    seq: u64,
    source: usize,
    row: usize,
}

struct RowSampling {
    name: String,
    task_path: String,
    size: usize,
    rng: rand_pcg::Pcg64Mcg,
    selected: usize,
    unselected: usize,
    /// Per output, the input buffer column of each output column.
    columns: [Vec<usize>; 2],
    input_layout: Arc<Layout>,
    seen: u64,
    slots: Vec<Slot>,
    gather: Gather,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let (selected, unselected) = sampling_outputs(spec)?;
    let size = match prop_int(&c.properties, "SamplingValue") {
        Some(v) if v > 0 => v as usize,
        _ => {
            return Err(spec
                .error(format!(
                    "its SamplingValue \"{}\" is not a number of rows above 0",
                    prop(&c.properties, "SamplingValue").unwrap_or("")
                ))
                .into())
        }
    };
    let layout = spec.input_layouts.first().cloned().unwrap_or_default();
    let mut columns = [Vec::new(), Vec::new()];
    for (k, oi) in [selected, unselected].into_iter().enumerate() {
        for col in &c.outputs[oi].columns {
            let text = prop(&col.properties, "InputColumnLineageID").unwrap_or("");
            match lineage_ref(spec.flow, text).and_then(|l| layout.index_of(l)) {
                Some(i) => columns[k].push(i),
                None => problems.push(spec.error(format!(
                    "the output column \"{}\" of \"{}\" does not name the input column it carries (InputColumnLineageID \"{text}\")",
                    col.name, c.outputs[oi].name
                ))),
            }
        }
    }
    problems.into_result()?;
    Ok(Box::new(RowSampling {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        size,
        rng: seeded_rng(&c.properties),
        selected,
        unselected,
        columns,
        input_layout: layout,
        seen: 0,
        slots: Vec::new(),
        gather: Gather::new(),
    }))
}

impl RowSampling {
    fn error(&self, e: String) -> PipelineError {
        PipelineError::new(
            codes::PROCESS_INPUT_FAILED,
            self.name.clone(),
            format!("{}: component \"{}\": {e}", self.task_path, self.name),
        )
    }

    /// Keeps only the sample in memory once the buffers it points into pile up.
    fn compact(&mut self) -> Result<(), PipelineError> {
        let limit = 8 + 2 * self.slots.len().div_ceil(1024);
        if self.gather.sources() <= limit {
            return Ok(());
        }
        for s in &self.slots {
            self.gather.pick(s.source, s.row);
        }
        let all: Vec<usize> = (0..self.input_layout.len()).collect();
        let b = self
            .gather
            .build(self.input_layout.clone(), &all)
            .map_err(|e| self.error(e.to_string()))?;
        self.gather.clear_sources();
        let src = self.gather.add_source(b);
        for (i, s) in self.slots.iter_mut().enumerate() {
            s.source = src;
            s.row = i;
        }
        Ok(())
    }
}

impl Component for RowSampling {
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
        let b = Buffer::new(buffer.layout().clone(), buffer.columns().to_vec(), n);
        let src = self.gather.add_source(b);
        for r in 0..n {
            let seq = self.seen;
            self.seen += 1;
            let slot = Slot {
                seq,
                source: src,
                row: r,
            };
            if self.slots.len() < self.size {
                self.slots.push(slot);
                continue;
            }
            // Row `seq` enters the sample with probability size / (seq + 1).
            let j = ((self.rng.next_u64() as u128 * (seq as u128 + 1)) >> 64) as usize;
            if j < self.size {
                let out_slot = std::mem::replace(&mut self.slots[j], slot);
                self.gather.pick(out_slot.source, out_slot.row);
            } else {
                self.gather.pick(src, r);
            }
        }
        if !self.gather.is_empty() {
            let layout = out.layout(self.unselected);
            let b = self
                .gather
                .build(layout, &self.columns[1])
                .map_err(|e| self.error(e.to_string()))?;
            if out.attached(self.unselected) {
                out.send(self.unselected, b)?;
            }
        }
        self.compact()
    }

    fn end_of_input(&mut self, _input: usize, out: &mut dyn Emitter) -> Result<(), PipelineError> {
        let mut slots = std::mem::take(&mut self.slots);
        slots.sort_by_key(|s| s.seq);
        let per = out.rows_per_buffer(self.selected).max(1);
        let layout = out.layout(self.selected);
        for chunk in slots.chunks(per) {
            for s in chunk {
                self.gather.pick(s.source, s.row);
            }
            let b = self
                .gather
                .build(layout.clone(), &self.columns[0])
                .map_err(|e| self.error(e.to_string()))?;
            out.send(self.selected, b)?;
        }
        self.gather.clear_sources();
        Ok(())
    }

    fn abort(&mut self) {
        self.slots.clear();
    }
}

#[cfg(test)]
mod tests {
    use crate::components::transforms::percentage_sampling::tests::flow;

    fn ids(text: &str) -> Vec<u32> {
        text.lines()
            .skip(1)
            .filter_map(|l| l.parse().ok())
            .collect()
    }

    #[test]
    fn exactly_the_sample_size_in_input_order_and_the_rest_elsewhere() {
        let f = flow("Microsoft.RowSampling", "80", "42", 5000, false);
        let sel = ids(&f.run_ok("Selected"));
        let mut other = ids(&f.output("Other").unwrap_or_default());
        assert_eq!(sel.len(), 80);
        assert!(sel.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(other.len(), 4920);
        other.extend(&sel);
        other.sort();
        assert_eq!(other, (0..5000).collect::<Vec<u32>>());
        // Spread over the input, not the first rows.
        assert!(sel.iter().any(|&i| i > 2500));
        let g = flow("Microsoft.RowSampling", "80", "42", 5000, false);
        assert_eq!(ids(&g.run_ok("Selected")), sel);
    }

    #[test]
    fn fewer_rows_than_the_sample_all_go_to_the_sample() {
        let f = flow("Microsoft.RowSampling", "10", "1", 4, false);
        assert_eq!(f.run_ok("Selected"), "id\n0\n1\n2\n3\n");
        assert_eq!(f.output("Other").as_deref(), Some("id\n"));
        let f = flow("Microsoft.RowSampling", "0", "1", 4, false);
        assert!(f
            .validation()
            .contains("its SamplingValue \"0\" is not a number of rows above 0"));
    }
}
