//! The run's event stream as dtexec keeps it (`SSISD_EVENT_STREAM`): opened before the package
//! is loaded, so that whatever stops a run before it executes — a package that cannot be
//! fetched or loaded, `/Set` targets that do not exist, validation errors — reaches the reader
//! as the same `error` and `warning` records the console shows, followed by a closing
//! `run_end`. A package that runs then adds the runtime's own records (`run_start` …
//! `run_end`) to the same stream. It owns when records are written before the run; the record
//! shapes are `ssisd_runtime::event_stream`'s, the console is `Console`'s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ssisd_engine::model::ExecResult;
use ssisd_runtime::{EventBody, EventSink, EventStream, EventStreamTarget, Level, RunEvent};

/// Set to `1` to add `variable_changed` records to the event stream.
const STREAM_VARIABLES_ENV: &str = "SSISD_EVENT_STREAM_VARIABLES";

/// How long dtexec waits at its end for queued records to be written.
const CLOSE_LIMIT: Duration = Duration::from_secs(2);

/// The stream of one dtexec run, or nothing when no reader asked for one.
pub struct RunStream {
    stream: Option<Arc<EventStream>>,
    started: Instant,
    errors: u64,
    warnings: u64,
}

impl RunStream {
    /// Opens the stream `SSISD_EVENT_STREAM` names, if any.
    pub fn start() -> RunStream {
        let stream = EventStreamTarget::from_env().map(|t| {
            let vars = std::env::var(STREAM_VARIABLES_ENV).is_ok_and(|v| v.trim() == "1");
            Arc::new(EventStream::start(t, vars))
        });
        RunStream {
            stream,
            started: Instant::now(),
            errors: 0,
            warnings: 0,
        }
    }

    /// The sink the runtime writes to once the package runs.
    pub fn sink(&self) -> Option<Arc<EventStream>> {
        self.stream.clone()
    }

    /// An error, warning or information dtexec reports before the package runs; `path` is
    /// the package path it concerns (`\Package` when known), or empty.
    pub fn message(&mut self, level: Level, code: u32, source: &str, path: &str, text: &str) {
        match level {
            Level::Error => self.errors += 1,
            Level::Warning => self.warnings += 1,
            Level::Information => {}
        }
        if let Some(s) = &self.stream {
            s.emit(&RunEvent::now(EventBody::Message {
                level,
                code,
                source: source.to_string(),
                path: path.to_string(),
                description: text.to_string(),
                propagate: true,
            }));
        }
    }

    /// Closes a run that ends before its package executes: a `run_end` with `result` and the
    /// errors and warnings reported so far, then the stream's end.
    pub fn end_before_run(&self, result: ExecResult) {
        if let Some(s) = &self.stream {
            s.emit(&RunEvent::now(EventBody::RunFinished {
                result,
                duration: self.started.elapsed(),
                errors: self.errors,
                warnings: self.warnings,
            }));
        }
        self.close();
    }

    /// Waits a little for the queued records, then closes the stream.
    pub fn close(&self) {
        if let Some(s) = &self.stream {
            s.close(CLOSE_LIMIT);
        }
    }
}
