//! How a producer's buffers leave it: each output has a sink — nothing (no path), its tree run
//! inline on this thread, or a bounded channel to the tree's own thread (each buffer holding a
//! memory reservation). Also the loop of a component with asynchronous outputs, fed by its
//! input channel. It must not decide where rows go beyond the output they were sent to.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use super::tree::TreeRunner;
use super::{Msg, Shared};
use crate::buffer::{Buffer, Layout};
use crate::component::{Component, Emitter, RunContext};
use crate::error::PipelineError;
use crate::metadata::PortRef;

pub(crate) enum Sink<'s> {
    None,
    Inline(Box<TreeRunner<'s>>),
    Thread(Sender<Buffer>),
}

pub(crate) struct ProducerEmitter<'s> {
    shared: &'s Shared<'s>,
    component: usize,
    outputs: Vec<Sink<'s>>,
    rows: Vec<u64>,
}

impl<'s> ProducerEmitter<'s> {
    pub fn new(shared: &'s Shared<'s>, component: usize, outputs: Vec<Sink<'s>>) -> Self {
        let rows = vec![0; outputs.len()];
        ProducerEmitter {
            shared,
            component,
            outputs,
            rows,
        }
    }

    /// Ends every output and hands back the components of inline trees.
    pub fn finish(self) -> Vec<(usize, Box<dyn Component>)> {
        let mut back = Vec::new();
        for s in self.outputs {
            match s {
                Sink::Inline(r) => back.extend(r.finish()),
                Sink::Thread(tx) => drop(tx),
                Sink::None => {}
            }
        }
        back
    }
}

impl Emitter for ProducerEmitter<'_> {
    fn layout(&self, output: usize) -> Arc<Layout> {
        self.shared.plan.output_layouts[self.component][output].clone()
    }

    fn rows_per_buffer(&self, output: usize) -> usize {
        self.shared
            .settings
            .sizing
            .rows_for(self.layout(output).row_width())
    }

    fn attached(&self, output: usize) -> bool {
        self.shared.plan.output_paths[self.component]
            .get(output)
            .is_some_and(Option::is_some)
    }

    fn send(&mut self, output: usize, buffer: Buffer) -> Result<(), PipelineError> {
        let shared = self.shared;
        let name = &shared.flow.components[self.component].name;
        if shared.stopping() {
            return Err(shared.stopped_error(name));
        }
        if let Some(r) = self.rows.get_mut(output) {
            *r += buffer.rows() as u64;
        }
        match self.outputs.get_mut(output) {
            None | Some(Sink::None) => Ok(()),
            Some(Sink::Inline(runner)) => runner.deliver(
                PortRef {
                    component: self.component,
                    index: output,
                },
                buffer,
            ),
            Some(Sink::Thread(tx)) => {
                let mut buffer = buffer;
                let r = shared.budget.reserve(buffer.memory_size(), &shared.stop);
                buffer.set_reservation(Arc::new(r));
                if shared.send(tx, buffer) {
                    Ok(())
                } else {
                    Err(shared.stopped_error(name))
                }
            }
        }
    }

    fn stopping(&self) -> bool {
        self.shared.stopping()
    }

    fn context(&self) -> RunContext<'_> {
        RunContext {
            task_path: self.shared.task_path,
            component: &self.shared.flow.components[self.component].name,
            rows_before: self.rows.iter().sum(),
            budget: &self.shared.budget,
            stop: &self.shared.stop,
            events: &self.shared.events,
        }
    }
}

/// Feeds a component with asynchronous outputs from its input channel until every attached
/// input has ended.
pub(crate) fn run_async(
    shared: &Shared<'_>,
    component: usize,
    comp: &mut dyn Component,
    emitter: &mut ProducerEmitter<'_>,
    rx: &Receiver<Msg>,
) -> Result<(), PipelineError> {
    let name = &shared.flow.components[component].name;
    let mut open: Vec<bool> = shared.plan.input_paths[component]
        .iter()
        .map(Option::is_some)
        .collect();
    while open.iter().any(|o| *o) {
        match shared.recv(rx) {
            Some(Msg::Buffer(i, b)) => comp.receive(i, b, emitter)?,
            Some(Msg::End(i)) => {
                if open.get(i).copied().unwrap_or(false) {
                    open[i] = false;
                    comp.end_of_input(i, emitter)?;
                }
            }
            None => return Err(shared.stopped_error(name)),
        }
    }
    Ok(())
}
