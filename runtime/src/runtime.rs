//! The state one run shares across its threads — the package, the variable table, the event
//! sink, the cancel token, the concurrency limiter, the child-process registry, the data flows'
//! caches, the counters —
//! and the entry point [`run_package`] that builds it, runs the package as the outermost
//! container and ends with every child process gone. Executing one executable is `host.rs`,
//! ordering children is `scheduler.rs`, events are `handlers.rs`; this file must not
//! duplicate them. Nothing here holds a lock while user code (a task, a handler) runs.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::events::{codes, EventBody, EventSink, Level, RunEvent};
use super::limiter::{self, Limiter};
use super::node::Node;
use super::process::ProcessRegistry;
use super::setup::{self, RunIdentity};
use super::variables::{FrameMap, Variables};
use super::RunOptions;
use ssisd_engine::model::{ExecResult, Package};
use ssisd_engine::types::Value;

/// What a run ended with.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub result: ExecResult,
    pub errors: u64,
    pub warnings: u64,
    pub duration: Duration,
    pub execution_id: String,
}

pub struct Runtime<'p> {
    pub package: &'p Package,
    pub vars: Variables,
    pub frames: HashMap<String, usize>,
    pub sink: Arc<dyn EventSink + 'p>,
    pub options: &'p RunOptions,
    pub limiter: Limiter,
    pub processes: std::sync::Arc<ProcessRegistry>,
    pub identity: RunIdentity,
    pub package_failed: AtomicBool,
    /// The run's in-memory caches (Cache connection managers), shared by its data flows.
    pub caches: Arc<ssisd_pipeline::cache::CacheStore>,
    errors: AtomicU64,
    warnings: AtomicU64,
    handler_frames: Mutex<HandlerFrames>,
}

/// Which event-handler frames are in use: a handler's own frames (from the layout) serve one
/// run of it at a time; a run that starts while they are busy takes a free copy, or makes
/// one. Copies are kept for later runs, so there are never more than the most runs of one
/// handler at the same time.
#[derive(Default)]
struct HandlerFrames {
    busy: HashSet<usize>,
    free_copies: HashMap<usize, Vec<Arc<FrameMap>>>,
}

/// The frames one run of an event handler uses, given back when dropped.
pub struct HandlerLease<'r, 'p> {
    rt: &'r Runtime<'p>,
    base: usize,
    /// `None`: the handler's own frames.
    pub copy: Option<Arc<FrameMap>>,
}

impl HandlerLease<'_, '_> {
    /// The frame the handler itself runs in.
    pub fn frame(&self) -> usize {
        match &self.copy {
            Some(m) => m.get(&self.base).copied().unwrap_or(self.base),
            None => self.base,
        }
    }
}

impl Drop for HandlerLease<'_, '_> {
    fn drop(&mut self) {
        let mut g = self.rt.handler_frames();
        match self.copy.take() {
            Some(m) => g.free_copies.entry(self.base).or_default().push(m),
            None => {
                g.busy.remove(&self.base);
            }
        }
    }
}

impl<'p> Runtime<'p> {
    pub fn emit(&self, body: EventBody) {
        self.sink.emit(&RunEvent::now(body));
    }

    /// The frame of the executable or handler at `path` running under `parent` (the
    /// package's when unknown): inside a handler running on copied frames, the copy.
    pub fn frame_in(&self, parent: &Node<'_>, path: &str) -> usize {
        parent.map_frame(self.frames.get(path).copied().unwrap_or(0))
    }

    fn handler_frames(&self) -> MutexGuard<'_, HandlerFrames> {
        match self.handler_frames.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Frames for one run of the event handler whose frame is `base`: its own when no other
    /// run of it is using them, else a copy. Never waits.
    pub fn lease_handler_frames(&self, base: usize) -> HandlerLease<'_, 'p> {
        let reused = {
            let mut g = self.handler_frames();
            if g.busy.insert(base) {
                return HandlerLease {
                    rt: self,
                    base,
                    copy: None,
                };
            }
            g.free_copies.get_mut(&base).and_then(|v| v.pop())
        };
        let copy = reused.unwrap_or_else(|| Arc::new(self.vars.instantiate(base)));
        HandlerLease {
            rt: self,
            base,
            copy: Some(copy),
        }
    }

    /// Reports an error, warning or information raised by `node`: the error count (errors
    /// only), the OnError/OnWarning/OnInformation handlers from `node` up, then the event,
    /// marked with whether those handlers left `System::Propagate` true — in a child package
    /// that decides whether it goes on to the parent ([`Runtime::relay`]). `/WarnAsError`
    /// does not reach here: as in SSIS it concerns validation warnings only.
    pub fn raise(&self, node: &Node<'_>, level: Level, code: u32, description: &str) {
        match level {
            Level::Error => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                node.count_error();
            }
            Level::Warning => {
                self.warnings.fetch_add(1, Ordering::Relaxed);
            }
            Level::Information => {}
        }
        let args = super::handlers::EventArgs {
            code: Some(code as i32),
            description: Some(description.to_string()),
            ..Default::default()
        };
        let propagate = self.fire(node, level.event_name(), &args);
        self.emit(EventBody::Message {
            level,
            code,
            source: node.name.to_string(),
            path: node.path.to_string(),
            description: description.to_string(),
            propagate,
        });
    }

    /// Reports an error, warning or information a child package raised and let propagate
    /// (its own handlers left `System::Propagate` true), as the Execute Package task `node`
    /// passes it on: the counts — an error counts against MaximumErrorCount of the task and
    /// its containers, as if the task had raised it — the OnError/OnWarning/OnInformation
    /// handlers from the task up, with `System::SourceName` the child's executable, then the
    /// event (the child's source and path), marked as [`Runtime::raise`] marks it. A child's
    /// event its handlers stopped does not come here: it is only shown.
    pub fn relay(
        &self,
        node: &Node<'_>,
        level: Level,
        code: u32,
        source: &str,
        path: &str,
        description: &str,
    ) {
        // The child's executable, as a leaf under the task: its handlers are the task's.
        let origin = Node::new(Some(node), path, source, "", "", node.frame, &[], 0);
        self.raise(&origin, level, code, description);
    }

    /// Writes a system variable of `frame` (or an enclosing one) if it exists.
    pub fn set_system(&self, frame: usize, name: &str, value: Value) {
        if let Ok(slot) = self.vars.resolve(frame, Some("System"), name) {
            self.vars.set_system(slot, value);
        }
    }

    pub fn cancelled(&self) -> bool {
        self.options.cancel.is_cancelled()
    }
}

/// Runs `package` (already validated, overrides applied) to its end, reporting to `sink`.
pub fn run_package<'a>(
    package: &'a Package,
    options: &'a RunOptions,
    sink: Arc<dyn EventSink + 'a>,
) -> RunOutcome {
    let identity = RunIdentity::new();
    let layout = setup::layout(package, &identity);
    let capacity = limiter::effective(
        options.max_concurrent,
        package.properties.max_concurrent_executables,
    );
    let rt = Runtime {
        package,
        vars: layout.vars,
        frames: layout.frames,
        sink,
        options,
        limiter: Limiter::new(capacity),
        processes: std::sync::Arc::new(ProcessRegistry::default()),
        identity,
        package_failed: AtomicBool::new(false),
        caches: ssisd_pipeline::cache::CacheStore::new(),
        errors: AtomicU64::new(0),
        warnings: AtomicU64::new(0),
        handler_frames: Mutex::new(HandlerFrames::default()),
    };
    let started = Instant::now();
    rt.emit(EventBody::RunStarted {
        package: package.name().to_string(),
        package_id: package.properties.dtsid.clone(),
        execution_id: rt.identity.execution_id.clone(),
        file: options
            .package_file
            .as_ref()
            .map(|p| p.display().to_string()),
        max_concurrent: capacity,
    });
    let p = &package.properties;
    let root = Node::new(
        None,
        package.path(),
        &p.name,
        &p.dtsid,
        &p.description,
        0,
        &package.event_handlers,
        p.common.maximum_error_count,
    );
    for (path, msg) in &layout.warnings {
        rt.raise(
            &root,
            Level::Warning,
            codes::VARIABLE_FAILED,
            &format!("{path}: {msg}"),
        );
    }
    let result = if layout.errors.is_empty() {
        rt.execute_package(&root)
    } else {
        for (path, msg) in &layout.errors {
            rt.raise(
                &root,
                Level::Error,
                codes::VARIABLE_FAILED,
                &format!("{path}: {msg}"),
            );
        }
        ExecResult::Failure
    };
    // Whatever way the run ends, no child process outlives it.
    rt.processes.kill_all();
    let result = if rt.cancelled() {
        ExecResult::Canceled
    } else {
        result
    };
    let outcome = RunOutcome {
        result,
        errors: rt.errors.load(Ordering::Relaxed),
        warnings: rt.warnings.load(Ordering::Relaxed),
        duration: started.elapsed(),
        execution_id: rt.identity.execution_id.clone(),
    };
    rt.emit(EventBody::RunFinished {
        result,
        duration: outcome.duration,
        errors: outcome.errors,
        warnings: outcome.warnings,
    });
    outcome
}
