//! Running a data flow: configure and validate every component through the registry, prepare
//! them (pre-execute), run the execution trees on threads, then post-execute — or abort every
//! component when anything fails or the run is cancelled, so no partial output is left looking
//! complete.
//!
//! Threads: every producer (a source, or a component with asynchronous outputs) has its own
//! thread; an execution tree gets its own thread too while EngineThreads allows (the cap counts
//! producers first, which need a thread each or the flow would deadlock, as SSIS also lets
//! itself exceed EngineThreads), otherwise its components run inline on the producer's thread.
//! Buffers cross threads through bounded channels, each holding a reservation against the
//! data flow's memory budget, so a fast source waits for slow consumers (back-pressure). The
//! starting thread only watches: it relays events to the host, reports rows per path about
//! once a second, and turns a host cancel into a stop that every thread checks between
//! buffers and while waiting. `tree.rs` runs the synchronous part of a tree, `emitter.rs`
//! sends a producer's buffers. It must not hold component logic.

mod emitter;
mod tree;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};
use ssisd_engine::model::DataFlow;

use crate::buffer::sizing::BufferSizing;
use crate::buffer::Buffer;
use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext};
use crate::error::{PipelineError, Problems};
use crate::graph::{self, Plan, Role};
use crate::host::{Host, PipelineEvent};
use crate::memory::{MemoryBudget, DEFAULT_BUDGET};
use crate::metadata::{FlowMetadata, PortRef};
use crate::registry;

use emitter::{ProducerEmitter, Sink};
use tree::TreeRunner;

/// How a data flow runs (defaults: SSIS's, and a 256 MiB budget).
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    pub sizing: BufferSizing,
    /// EngineThreads (SSIS default 10).
    pub engine_threads: usize,
    /// The memory budget in bytes.
    pub memory_budget: usize,
    /// BufferTempStoragePath.
    pub temp_storage: String,
    /// Buffers a channel between threads holds at most.
    pub channel_buffers: usize,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            sizing: BufferSizing::default(),
            engine_threads: 10,
            memory_budget: DEFAULT_BUDGET,
            temp_storage: String::new(),
            channel_buffers: 4,
        }
    }
}

impl RunSettings {
    /// The settings a pipeline's own attributes give (the budget comes from elsewhere).
    pub fn from_flow(flow: &DataFlow) -> RunSettings {
        let s = &flow.settings;
        let d = RunSettings::default();
        RunSettings {
            sizing: BufferSizing {
                max_rows: s
                    .default_buffer_max_rows
                    .map(|v| v as usize)
                    .unwrap_or(d.sizing.max_rows),
                max_bytes: s
                    .default_buffer_size
                    .map(|v| v as usize)
                    .unwrap_or(d.sizing.max_bytes),
                auto_adjust: s.auto_adjust_buffer_size.unwrap_or(false),
            },
            engine_threads: s.engine_threads.map(|v| v as usize).unwrap_or(10).max(1),
            temp_storage: s.buffer_temp_storage_path.clone(),
            ..d
        }
    }
}

/// Rows that went down one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRows {
    pub path: String,
    pub rows: u64,
    pub buffers: u64,
}

/// What a successful run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub paths: Vec<PathRows>,
    /// Threads used.
    pub threads: usize,
    /// Peak bytes held by buffers between threads.
    pub peak_memory: usize,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Success(Summary),
    /// Validation or execution failed; every error, first the one that stopped the flow.
    Failed(Problems),
    /// The host cancelled the run; every component was aborted.
    Cancelled,
}

/// A message to a component with asynchronous outputs.
pub(crate) enum Msg {
    Buffer(usize, Buffer),
    End(usize),
}

/// State shared by the threads of one run.
pub(crate) struct Shared<'a> {
    pub flow: &'a DataFlow,
    pub meta: &'a FlowMetadata<'a>,
    pub plan: &'a Plan,
    pub task_path: &'a str,
    pub settings: &'a RunSettings,
    pub stop: AtomicBool,
    pub failure: Mutex<Vec<PipelineError>>,
    pub budget: Arc<MemoryBudget>,
    pub path_rows: Vec<AtomicU64>,
    pub path_buffers: Vec<AtomicU64>,
    pub component_nanos: Vec<AtomicU64>,
    pub events: Sender<PipelineEvent>,
}

impl Shared<'_> {
    /// Records a failure and stops the flow (the first failure is the one reported first).
    pub fn fail(&self, e: PipelineError) {
        if let Ok(mut f) = self.failure.lock() {
            f.push(e);
        }
        self.stop.store(true, Ordering::SeqCst);
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sends on a bounded channel, waiting while it is full; `false` when the flow stops.
    pub fn send<T>(&self, tx: &Sender<T>, mut msg: T) -> bool {
        loop {
            match tx.send_timeout(msg, Duration::from_millis(100)) {
                Ok(()) => return true,
                Err(crossbeam_channel::SendTimeoutError::Timeout(m)) => {
                    if self.stopping() {
                        return false;
                    }
                    msg = m;
                }
                Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => return false,
            }
        }
    }

    /// Receives, waiting; `None` when the channel closed or the flow stops.
    pub fn recv<T>(&self, rx: &Receiver<T>) -> Option<T> {
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(m) => return Some(m),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    if self.stopping() {
                        return None;
                    }
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    pub fn stopped_error(&self, component: &str) -> PipelineError {
        PipelineError::new(
            codes::THREAD_CANCELLED,
            component,
            format!(
                "{}: component \"{component}\" stopped because the data flow is stopping",
                self.task_path
            ),
        )
    }
}

/// Configures and validates every component of `flow` (no I/O): the shape of the graph, types,
/// columns and registry lookups. This is what /VALIDATE checks.
pub fn validate(flow: &DataFlow, task_path: &str) -> Problems {
    let meta = FlowMetadata::new(flow);
    match configure(flow, &meta, task_path) {
        Ok(_) => Problems::default(),
        Err(p) => p,
    }
}

type Configured<'a> = (Plan, Vec<Box<dyn Component>>);

fn configure<'a>(
    flow: &'a DataFlow,
    meta: &'a FlowMetadata<'a>,
    task_path: &str,
) -> Result<Configured<'a>, Problems> {
    let mut problems = Problems::default();
    // Unknown components are refused first, by name and class id, whatever the graph says.
    for c in &flow.components {
        if registry::lookup(c).is_none() {
            problems.push(registry::refusal(c, task_path));
        }
    }
    let plan = match graph::plan(flow, meta, task_path) {
        Ok(p) => p,
        Err(p) => {
            problems.0.extend(p.0);
            return Err(problems);
        }
    };
    let mut components = Vec::with_capacity(flow.components.len());
    for (i, c) in flow.components.iter().enumerate() {
        let Some(entry) = registry::lookup(c) else {
            continue;
        };
        let spec = ComponentSpec {
            component: c,
            index: i,
            flow: meta,
            input_layouts: plan.input_layouts[i].clone(),
            output_layouts: plan.output_layouts[i].clone(),
            attached_outputs: plan.output_paths[i].iter().map(Option::is_some).collect(),
            task_path,
        };
        match (entry.create)(&spec) {
            Ok(b) => components.push(b),
            Err(p) => problems.0.extend(p.0),
        }
    }
    if problems.is_empty() {
        Ok((plan, components))
    } else {
        Err(problems)
    }
}

/// Runs `flow` to the end.
pub fn run(flow: &DataFlow, host: &dyn Host, task_path: &str, settings: &RunSettings) -> Outcome {
    let meta = FlowMetadata::new(flow);
    let (plan, mut components) = match configure(flow, &meta, task_path) {
        Ok(x) => x,
        Err(p) => return Outcome::Failed(p),
    };
    let budget = MemoryBudget::new(settings.memory_budget, &settings.temp_storage);
    // Pre-execute, in order; on failure abort those already prepared.
    for &ci in &plan.order {
        let mut ctx = PrepareContext {
            host,
            task_path,
            component: &flow.components[ci],
            sizing: settings.sizing,
            budget: budget.clone(),
        };
        if let Err(e) = components[ci].pre_execute(&mut ctx) {
            for c in components.iter_mut() {
                c.abort();
            }
            return Outcome::Failed(e.into());
        }
    }
    let (events_tx, events_rx) = crossbeam_channel::unbounded();
    let shared = Shared {
        flow,
        meta: &meta,
        plan: &plan,
        task_path,
        settings,
        stop: AtomicBool::new(false),
        failure: Mutex::new(Vec::new()),
        budget: budget.clone(),
        path_rows: flow.paths.iter().map(|_| AtomicU64::new(0)).collect(),
        path_buffers: flow.paths.iter().map(|_| AtomicU64::new(0)).collect(),
        component_nanos: flow.components.iter().map(|_| AtomicU64::new(0)).collect(),
        events: events_tx,
    };
    let (threads, cancelled) = execute(&shared, &mut components, host, &events_rx);
    drop(shared.events.clone());
    // Relay what is left.
    while let Ok(e) = events_rx.try_recv() {
        host.event(e);
    }
    report_rows(&shared, host, true);
    let failures = std::mem::take(&mut *shared.failure.lock().unwrap_or_else(|p| p.into_inner()));
    if cancelled || !failures.is_empty() {
        for c in components.iter_mut() {
            c.abort();
        }
        if cancelled && failures.iter().all(|f| f.code == codes::THREAD_CANCELLED) {
            return Outcome::Cancelled;
        }
        return Outcome::Failed(Problems(
            failures
                .into_iter()
                .filter(|f| f.code != codes::THREAD_CANCELLED)
                .collect(),
        ));
    }
    for (ci, c) in flow.components.iter().enumerate() {
        let nanos = shared.component_nanos[ci].load(Ordering::Relaxed);
        let phase = if plan.roles[ci] == Role::Synchronous {
            "ProcessInput"
        } else {
            "PrimeOutput"
        };
        host.event(PipelineEvent::ComponentTime {
            component: c.name.clone(),
            component_id: c.id.number,
            phase,
            millis: nanos as f64 / 1e6,
        });
    }
    for &ci in &plan.order {
        let mut ctx = PrepareContext {
            host,
            task_path,
            component: &flow.components[ci],
            sizing: settings.sizing,
            budget: budget.clone(),
        };
        if let Err(e) = components[ci].post_execute(&mut ctx) {
            for c in components.iter_mut() {
                c.abort();
            }
            return Outcome::Failed(e.into());
        }
    }
    Outcome::Success(Summary {
        paths: flow
            .paths
            .iter()
            .enumerate()
            .map(|(i, p)| PathRows {
                path: p.name.clone(),
                rows: shared.path_rows[i].load(Ordering::Relaxed),
                buffers: shared.path_buffers[i].load(Ordering::Relaxed),
            })
            .collect(),
        threads,
        peak_memory: budget.peak(),
    })
}

fn report_rows(shared: &Shared<'_>, host: &dyn Host, done: bool) {
    for (i, p) in shared.flow.paths.iter().enumerate() {
        let rows = shared.path_rows[i].load(Ordering::Relaxed);
        let buffers = shared.path_buffers[i].load(Ordering::Relaxed);
        let (component, input) = match shared.meta.input(p.end.number) {
            Some(e) => {
                let c = &shared.flow.components[e.component];
                (c.name.clone(), c.inputs[e.index].name.clone())
            }
            None => (String::new(), String::new()),
        };
        host.event(PipelineEvent::RowsSent {
            path_id: p.id.number,
            path_name: p.name.clone(),
            component,
            input,
            rows,
            buffers,
            done,
        });
    }
}

/// Which trees get their own thread: producers first, then trees while EngineThreads allows.
fn thread_plan(plan: &Plan, engine_threads: usize) -> Vec<bool> {
    let producers = plan
        .roles
        .iter()
        .filter(|r| **r != Role::Synchronous)
        .count();
    let mut spare = engine_threads.saturating_sub(producers);
    plan.trees
        .iter()
        .map(|t| {
            if !t.components.is_empty() && spare > 0 {
                spare -= 1;
                true
            } else {
                false
            }
        })
        .collect()
}

/// Runs the threads; returns (threads used, cancelled).
fn execute(
    shared: &Shared<'_>,
    components: &mut [Box<dyn Component>],
    host: &dyn Host,
    events: &Receiver<PipelineEvent>,
) -> (usize, bool) {
    let plan = shared.plan;
    let own_thread = thread_plan(plan, shared.settings.engine_threads);
    // Move the components into per-thread groups.
    let mut slots: Vec<Option<Box<dyn Component>>> = components
        .iter_mut()
        .map(|c| Some(std::mem::replace(c, Box::new(Placeholder))))
        .collect();
    // Input channels of asynchronous components.
    let mut async_tx: HashMap<usize, Sender<Msg>> = HashMap::new();
    let mut async_rx: HashMap<usize, Receiver<Msg>> = HashMap::new();
    for (ci, role) in plan.roles.iter().enumerate() {
        if *role == Role::Asynchronous {
            let (tx, rx) = bounded(shared.settings.channel_buffers.max(1));
            async_tx.insert(ci, tx);
            async_rx.insert(ci, rx);
        }
    }
    // Trees: runners, and for threaded trees a channel from the producer.
    let mut tree_threads: Vec<(TreeRunner<'_>, Receiver<Buffer>)> = Vec::new();
    let mut sinks: HashMap<PortRef, Sink<'_>> = HashMap::new();
    for (ti, t) in plan.trees.iter().enumerate() {
        let members: Vec<(usize, Box<dyn Component>)> = t
            .components
            .iter()
            .filter_map(|&c| slots[c].take().map(|b| (c, b)))
            .collect();
        let runner = TreeRunner::new(shared, t.head, members, async_tx.clone());
        if own_thread[ti] {
            let (tx, rx) = bounded(shared.settings.channel_buffers.max(1));
            sinks.insert(t.head, Sink::Thread(tx));
            tree_threads.push((runner, rx));
        } else {
            sinks.insert(t.head, Sink::Inline(Box::new(runner)));
        }
    }
    drop(async_tx);
    let mut producers: Vec<(usize, Box<dyn Component>, ProducerEmitter<'_>)> = Vec::new();
    for (ci, role) in plan.roles.iter().enumerate() {
        if *role == Role::Synchronous {
            continue;
        }
        let Some(comp) = slots[ci].take() else {
            continue;
        };
        let outputs = shared.flow.components[ci]
            .outputs
            .iter()
            .enumerate()
            .map(|(oi, _)| {
                sinks
                    .remove(&PortRef {
                        component: ci,
                        index: oi,
                    })
                    .unwrap_or(Sink::None)
            })
            .collect();
        producers.push((ci, comp, ProducerEmitter::new(shared, ci, outputs)));
    }
    let threads = producers.len() + tree_threads.len();
    let mut cancelled = false;
    let mut returned: Vec<(usize, Box<dyn Component>)> = Vec::new();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (runner, rx) in tree_threads {
            handles.push(scope.spawn(move || tree::run_thread(runner, rx)));
        }
        for (ci, mut comp, mut emitter) in producers {
            let rx = async_rx.remove(&ci);
            handles.push(scope.spawn(move || {
                let name = &shared.flow.components[ci].name;
                let start = Instant::now();
                let result = match rx {
                    None => comp.produce(&mut emitter),
                    Some(rx) => emitter::run_async(shared, ci, comp.as_mut(), &mut emitter, &rx),
                };
                shared.component_nanos[ci]
                    .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
                if let Err(e) = result {
                    if e.code == codes::THREAD_CANCELLED && shared.stopping() {
                        // Stopped because of another failure or a cancel: nothing to add.
                    } else {
                        shared.fail(decorate(e, name, codes::PRIME_OUTPUT_FAILED));
                    }
                }
                let mut back = emitter.finish();
                back.push((ci, comp));
                back
            }));
        }
        let mut last_report = Instant::now();
        while handles.iter().any(|h| !h.is_finished()) {
            if let Ok(e) = events.recv_timeout(Duration::from_millis(50)) {
                host.event(e);
            }
            if !cancelled && host.is_cancelled() {
                cancelled = true;
                shared.stop.store(true, Ordering::SeqCst);
            }
            if last_report.elapsed() >= Duration::from_secs(1) {
                report_rows(shared, host, false);
                last_report = Instant::now();
            }
        }
        for h in handles {
            match h.join() {
                Ok(v) => returned.extend(v),
                Err(_) => shared.fail(PipelineError::pipeline(
                    codes::PROCESS_INPUT_FAILED,
                    format!("{}: a data flow thread panicked", shared.task_path),
                )),
            }
        }
    });
    for (ci, comp) in returned {
        components[ci] = comp;
    }
    (threads, cancelled)
}

/// Keeps a failure's own message; failures of the thread machinery get the phase's code.
fn decorate(e: PipelineError, component: &str, code: u32) -> PipelineError {
    if e.component.is_empty() {
        PipelineError::new(code, component, e.message)
    } else {
        e
    }
}

/// Stands in for a component while it is on a worker thread.
struct Placeholder;

impl Component for Placeholder {}
