//! Runs the synchronous part of one execution tree: a buffer arriving at the tree's head goes
//! down each path into the next component's input; a synchronous component processes it in
//! place and the buffer is cut per output (rows routed by the component, redirected rows to
//! the error output with ErrorCode and ErrorColumn); at an asynchronous input the buffer
//! crosses to that component's thread. It counts rows and buffers per path and time per
//! component. It must not decide routing (components do) nor own threads.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{new_null_array, ArrayRef, BooleanArray, Int32Array};
use crossbeam_channel::{Receiver, Sender};

use super::{Msg, Shared};
use crate::buffer::types::arrow_type;
use crate::buffer::Buffer;
use crate::codes;
use crate::component::{Component, RunContext};
use crate::error::PipelineError;
use crate::graph::Role;
use crate::metadata::PortRef;

pub(crate) struct TreeRunner<'s> {
    shared: &'s Shared<'s>,
    pub head: PortRef,
    members: Vec<(usize, Box<dyn Component>)>,
    position: HashMap<usize, usize>,
    async_tx: HashMap<usize, Sender<Msg>>,
    input_rows: HashMap<(usize, usize), u64>,
    leaves: Vec<PortRef>,
}

impl<'s> TreeRunner<'s> {
    pub fn new(
        shared: &'s Shared<'s>,
        head: PortRef,
        members: Vec<(usize, Box<dyn Component>)>,
        async_tx: HashMap<usize, Sender<Msg>>,
    ) -> TreeRunner<'s> {
        let position = members
            .iter()
            .enumerate()
            .map(|(i, (c, _))| (*c, i))
            .collect();
        // The asynchronous inputs this tree feeds.
        let mut leaves = Vec::new();
        let mut stack = vec![head];
        while let Some(out) = stack.pop() {
            let Some(pi) = shared.plan.output_paths[out.component][out.index] else {
                continue;
            };
            let Some(e) = shared.meta.input(shared.flow.paths[pi].end.number) else {
                continue;
            };
            match shared.plan.roles[e.component] {
                Role::Synchronous => {
                    for (oi, o) in shared.flow.components[e.component]
                        .outputs
                        .iter()
                        .enumerate()
                    {
                        if o.is_synchronous() {
                            stack.push(PortRef {
                                component: e.component,
                                index: oi,
                            });
                        }
                    }
                }
                _ => leaves.push(e),
            }
        }
        TreeRunner {
            shared,
            head,
            members,
            position,
            async_tx,
            input_rows: HashMap::new(),
            leaves,
        }
    }

    /// Sends `buffer`, which output `from` produced, down its path.
    pub fn deliver(&mut self, from: PortRef, buffer: Buffer) -> Result<(), PipelineError> {
        let shared = self.shared;
        if shared.stopping() {
            return Err(shared.stopped_error(&shared.flow.components[from.component].name));
        }
        let Some(pi) = shared.plan.output_paths[from.component][from.index] else {
            return Ok(());
        };
        if buffer.rows() == 0 {
            return Ok(());
        }
        shared.path_rows[pi].fetch_add(buffer.rows() as u64, Ordering::Relaxed);
        shared.path_buffers[pi].fetch_add(1, Ordering::Relaxed);
        let Some(e) = shared.meta.input(shared.flow.paths[pi].end.number) else {
            return Ok(());
        };
        let buffer = buffer.with_layout(shared.plan.input_layouts[e.component][e.index].clone());
        match shared.plan.roles[e.component] {
            Role::Synchronous => self.process(e, buffer),
            _ => {
                let Some(tx) = self.async_tx.get(&e.component) else {
                    return Ok(());
                };
                let mut buffer = buffer;
                let r = shared.budget.reserve(buffer.memory_size(), &shared.stop);
                buffer.set_reservation(Arc::new(r));
                if shared.send(tx, Msg::Buffer(e.index, buffer)) {
                    Ok(())
                } else {
                    Err(shared.stopped_error(&shared.flow.components[e.component].name))
                }
            }
        }
    }

    fn process(&mut self, target: PortRef, mut buffer: Buffer) -> Result<(), PipelineError> {
        let shared = self.shared;
        let c = target.component;
        let model = &shared.flow.components[c];
        let Some(&pos) = self.position.get(&c) else {
            return Ok(());
        };
        let rows_before = {
            let n = self.input_rows.entry((c, target.index)).or_insert(0);
            let before = *n;
            *n += buffer.rows() as u64;
            before
        };
        let in_len = shared.plan.input_layouts[c][target.index].len();
        let ctx = RunContext {
            task_path: shared.task_path,
            component: &model.name,
            rows_before,
            budget: &shared.budget,
            stop: &shared.stop,
            events: &shared.events,
        };
        let start = Instant::now();
        let routing = self.members[pos].1.process(target.index, &mut buffer, &ctx);
        let also = self.members[pos].1.also_routed();
        shared.component_nanos[c].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        let routing = routing.map_err(|e| {
            if e.component.is_empty() {
                PipelineError::new(codes::PROCESS_INPUT_FAILED, model.name.clone(), e.message)
            } else {
                e
            }
        })?;
        if model.outputs.is_empty() {
            return Ok(());
        }
        let n = buffer.rows();
        let mut is_error = Vec::new();
        if !routing.errors.is_empty() {
            is_error = vec![false; n];
            for e in &routing.errors {
                if e.row < n {
                    is_error[e.row] = true;
                }
            }
        }
        for (oi, o) in model.outputs.iter().enumerate() {
            if !o.is_synchronous() || shared.plan.output_paths[c][oi].is_none() {
                continue;
            }
            let layout = shared.plan.output_layouts[c][oi].clone();
            let from = PortRef {
                component: c,
                index: oi,
            };
            if o.is_error_output {
                if routing.errors.is_empty() {
                    continue;
                }
                let mask = BooleanArray::from(is_error.clone());
                let mut errors = routing.errors.clone();
                errors.sort_by_key(|e| e.row);
                errors.dedup_by_key(|e| e.row);
                let base: Vec<ArrayRef> = buffer.columns()[..in_len.min(buffer.columns().len())]
                    .iter()
                    .map(|a| {
                        arrow_select::filter::filter(a.as_ref(), &mask)
                            .unwrap_or_else(|_| a.clone())
                    })
                    .collect();
                let k = errors.len();
                let mut columns = base;
                for col in &o.columns {
                    let array: ArrayRef = match col.special_flags {
                        1 => Arc::new(Int32Array::from_iter_values(
                            errors.iter().map(|e| codes::signed(e.code)),
                        )),
                        2 => Arc::new(Int32Array::from_iter_values(
                            errors.iter().map(|e| e.column as i32),
                        )),
                        _ => new_null_array(
                            &arrow_type(
                                &col.data_type.unwrap_or(ssisd_engine::types::DataType::Null),
                            ),
                            k,
                        ),
                    };
                    columns.push(array);
                }
                if columns.len() != layout.len() {
                    continue;
                }
                self.deliver(from, Buffer::new(layout, columns, k))?;
            } else {
                let selected: Option<Vec<bool>> = match &routing.per_row {
                    None if is_error.is_empty() => None,
                    None => Some(is_error.iter().map(|e| !e).collect()),
                    Some(v) => Some(
                        (0..n)
                            .map(|r| {
                                let to = |v: &Vec<u16>| v.get(r).copied() == Some(oi as u16);
                                (to(v) || also.as_ref().is_some_and(to))
                                    && !is_error.get(r).copied().unwrap_or(false)
                            })
                            .collect(),
                    ),
                };
                let out = match selected {
                    None => buffer.clone(),
                    Some(sel) => {
                        if sel.iter().all(|s| *s) {
                            buffer.clone()
                        } else if !sel.iter().any(|s| *s) {
                            continue;
                        } else {
                            buffer.filter(&BooleanArray::from(sel))
                        }
                    }
                };
                if out.columns().len() != layout.len() {
                    return Err(PipelineError::new(
                        codes::PROCESS_INPUT_FAILED,
                        model.name.clone(),
                        format!(
                            "{}: component \"{}\" produced {} columns for the output \"{}\", which has {}",
                            shared.task_path,
                            model.name,
                            out.columns().len(),
                            o.name,
                            layout.len()
                        ),
                    ));
                }
                self.deliver(from, out.with_layout(layout))?;
            }
        }
        Ok(())
    }

    /// The tree's input ended: tell the asynchronous inputs it feeds, hand the components back.
    pub fn finish(self) -> Vec<(usize, Box<dyn Component>)> {
        for leaf in &self.leaves {
            if let Some(tx) = self.async_tx.get(&leaf.component) {
                self.shared.send(tx, Msg::End(leaf.index));
            }
        }
        self.members
    }
}

/// The body of a tree's own thread.
pub(crate) fn run_thread(
    mut runner: TreeRunner<'_>,
    rx: Receiver<Buffer>,
) -> Vec<(usize, Box<dyn Component>)> {
    let shared = runner.shared;
    while let Some(b) = shared.recv(&rx) {
        if let Err(e) = runner.deliver(runner.head, b) {
            if !(e.code == codes::THREAD_CANCELLED && shared.stopping()) {
                shared.fail(e);
            }
            break;
        }
    }
    runner.finish()
}
