//! What a run tells the outside world: [`RunEvent`] (run and executable start/end, errors,
//! warnings, information, progress, variable changes) and the [`EventSink`] trait that the
//! console, the event stream and tests implement. It owns the event shapes and the runtime's
//! event codes; it must not format them for any consumer nor run event handlers (that is
//! `handlers.rs`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Local};

use ssisd_engine::model::ExecResult;

/// The runtime's event codes, HRESULT-shaped like SSIS's (`0xC…` errors, `0x8…` warnings,
/// `0x4…` information), in ssisd's own range. `docs/event-stream.md` lists them.
pub mod codes {
    /// A task failed for a reason it describes.
    pub const TASK_FAILED: u32 = 0xC001_9040;
    /// A property expression could not be evaluated or applied.
    pub const PROPERTY_EXPRESSION_FAILED: u32 = 0xC001_9041;
    /// A precedence constraint's expression could not be evaluated.
    pub const CONSTRAINT_EXPRESSION_FAILED: u32 = 0xC001_9042;
    /// A For Loop expression could not be evaluated.
    pub const FOR_LOOP_FAILED: u32 = 0xC001_9043;
    /// A Foreach Loop enumerator could not enumerate.
    pub const ENUMERATOR_FAILED: u32 = 0xC001_9044;
    /// A variable could not be read or written.
    pub const VARIABLE_FAILED: u32 = 0xC001_9045;
    /// The task's kind cannot run.
    pub const TASK_NOT_SUPPORTED: u32 = 0xC001_9046;
    /// Execute Process: the exit code differs from SuccessValue.
    pub const PROCESS_EXIT_CODE: u32 = 0xC002_9151;
    /// Execute Process: the process ran past its TimeOut.
    pub const PROCESS_TIMEOUT: u32 = 0xC002_9152;
    /// The container failed because it reached MaximumErrorCount.
    pub const MAXIMUM_ERROR_COUNT: u32 = 0xC001_9047;
    /// The run was cancelled.
    pub const CANCELLED: u32 = 0xC001_9048;
    /// A warning from a task.
    pub const TASK_WARNING: u32 = 0x8001_9040;
    /// Information from a task.
    pub const TASK_INFORMATION: u32 = 0x4001_9040;
}

/// The severity of a message event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Information,
}

impl Level {
    /// The SSIS event name (`OnError`, `OnWarning`, `OnInformation`).
    pub fn event_name(self) -> &'static str {
        match self {
            Level::Error => "OnError",
            Level::Warning => "OnWarning",
            Level::Information => "OnInformation",
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    RunStarted {
        package: String,
        package_id: String,
        execution_id: String,
        file: Option<String>,
        max_concurrent: usize,
    },
    RunFinished {
        result: ExecResult,
        duration: Duration,
        errors: u64,
        warnings: u64,
    },
    ExecutableStarted {
        path: String,
        name: String,
        id: String,
        /// `Task`, `Sequence`, `ForLoop`, `ForEachLoop`, `EventHandler`.
        kind: &'static str,
    },
    ExecutableFinished {
        path: String,
        name: String,
        id: String,
        result: ExecResult,
        duration: Duration,
    },
    Message {
        level: Level,
        code: u32,
        /// The name of the executable that raised it.
        source: String,
        /// Its package path.
        path: String,
        description: String,
        /// False when an event handler of the run set `System::Propagate` to false for it:
        /// the event went no further up, so a parent package does not receive it (it does
        /// not count there nor fire the parent's handlers). The message is emitted once the
        /// handlers have run.
        propagate: bool,
    },
    Progress {
        source: String,
        path: String,
        description: String,
        percent: i32,
    },
    /// Rows that went down a data-flow path (SSIS's OnPipelineRowsSent): running totals about
    /// once a second while the data flow runs, then the final count (`done`).
    PipelineRows {
        /// The Data Flow task's name and path.
        source: String,
        path: String,
        /// The path's number and name in the pipeline.
        path_id: i64,
        path_name: String,
        /// The component and input at the end of the path.
        component: String,
        input: String,
        rows: u64,
        buffers: u64,
        done: bool,
    },
    /// Time a data-flow component spent working (SSIS's PipelineComponentTime), at the end.
    PipelineComponentTime {
        source: String,
        path: String,
        component: String,
        /// `PrimeOutput` or `ProcessInput`.
        phase: String,
        millis: f64,
    },
    VariableChanged {
        /// `\Package.Variables[User::X]`.
        variable: String,
        value: String,
        /// The executable that changed it.
        path: String,
    },
}

/// One event with its local time.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEvent {
    pub time: DateTime<Local>,
    pub body: EventBody,
}

impl RunEvent {
    pub fn now(body: EventBody) -> RunEvent {
        RunEvent {
            time: Local::now(),
            body,
        }
    }
}

/// Receives every event of a run, from any thread. Implementations must return quickly and
/// must not panic; they cannot fail the run.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: &RunEvent);
}

/// Sends each event to several sinks in order.
#[derive(Default, Clone)]
pub struct FanOut(pub Vec<Arc<dyn EventSink>>);

impl EventSink for FanOut {
    fn emit(&self, event: &RunEvent) {
        for s in &self.0 {
            s.emit(event);
        }
    }
}

/// Keeps every event in memory (tests, tools).
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<RunEvent>>);

impl Recorder {
    pub fn events(&self) -> Vec<RunEvent> {
        match self.0.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

impl EventSink for Recorder {
    fn emit(&self, event: &RunEvent) {
        if let Ok(mut g) = self.0.lock() {
            g.push(event.clone());
        }
    }
}

/// Drops everything.
pub struct Discard;

impl EventSink for Discard {
    fn emit(&self, _event: &RunEvent) {}
}
