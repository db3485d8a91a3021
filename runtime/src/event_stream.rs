//! The machine-readable event stream: every [`RunEvent`] as one JSON object per line
//! (`"schema": 1`, documented in `docs/event-stream.md`) to a file or an inherited file
//! descriptor named by `SSISD_EVENT_STREAM` (`<path>` or `fd:<n>`, made close-on-exec so the
//! run's own child processes do not inherit it). Records go through a bounded queue to a
//! dedicated writer thread: the run never blocks on the reader, a full queue drops records
//! (counted, reported in `run_end`), and a missing or closed reader is not an error. It owns
//! the JSON shape both ways ([`record`], and [`parse_record`] for a parent relaying a child
//! dtexec's stream) and the writer; it must not decide what is emitted.
// Unsafe code: a stream descriptor handed over by number by the parent is checked with fcntl
// and taken with File::from_raw_fd, which have no safe interface.
#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value as Json};

use super::events::{EventBody, EventSink, Level, RunEvent};
use ssisd_engine::model::ExecResult;

/// The environment variable naming the stream's target.
pub const ENV_VAR: &str = "SSISD_EVENT_STREAM";
/// The version of the record shapes.
pub const SCHEMA: u32 = 1;
/// Records that may wait for the writer before new ones are dropped.
pub const QUEUE_CAPACITY: usize = 8192;

/// Where the stream goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Path(String),
    Fd(i32),
}

impl Target {
    /// Reads `fd:<n>` or a path; an empty text is no target.
    pub fn parse(text: &str) -> Option<Target> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        match t.strip_prefix("fd:").map(|n| n.parse::<i32>()) {
            Some(Ok(n)) if n >= 0 => Some(Target::Fd(n)),
            _ => Some(Target::Path(t.to_string())),
        }
    }

    /// The target named by `SSISD_EVENT_STREAM`, if any.
    pub fn from_env() -> Option<Target> {
        std::env::var(ENV_VAR).ok().and_then(|v| Target::parse(&v))
    }
}

enum Msg {
    Line(String),
    Close(mpsc::Sender<()>),
}

/// The sink that writes the stream. Dropping it flushes what is queued (waiting at most two
/// seconds for the writer).
pub struct EventStream {
    tx: Mutex<Option<SyncSender<Msg>>>,
    seq: AtomicU64,
    dropped: Arc<AtomicU64>,
    variable_changes: bool,
}

impl EventStream {
    /// Starts the writer thread for `target`. The target is opened by that thread, so a FIFO
    /// without a reader cannot stall the run. `variable_changes` adds `variable_changed`
    /// records.
    pub fn start(target: Target, variable_changes: bool) -> EventStream {
        if let Target::Fd(fd) = target {
            // Before the run starts any process: an inherited stream descriptor would keep
            // the reader waiting for the end of the grandchildren too.
            // SAFETY: fcntl on a descriptor number only changes its flags (or fails).
            unsafe {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
        let (tx, rx) = mpsc::sync_channel(QUEUE_CAPACITY);
        let dropped = Arc::new(AtomicU64::new(0));
        let spawned = std::thread::Builder::new()
            .name("ssisd-event-stream".into())
            .spawn(move || writer(target, rx));
        EventStream {
            tx: Mutex::new(spawned.ok().map(|_| tx)),
            seq: AtomicU64::new(0),
            dropped,
            variable_changes,
        }
    }

    /// Records dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn send(&self, line: String) {
        let guard = match self.tx.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let Some(tx) = guard.as_ref() else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        match tx.try_send(Msg::Line(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Waits (at most `limit`) for the queued records to be written, then stops the writer.
    pub fn close(&self, limit: Duration) {
        let tx = match self.tx.lock() {
            Ok(mut g) => g.take(),
            Err(p) => p.into_inner().take(),
        };
        if let Some(tx) = tx {
            let (done_tx, done_rx) = mpsc::channel();
            let deadline = std::time::Instant::now() + limit;
            let mut msg = Msg::Close(done_tx);
            loop {
                match tx.try_send(msg) {
                    Ok(()) => break,
                    Err(TrySendError::Full(m)) if std::time::Instant::now() < deadline => {
                        msg = m;
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(_) => return,
                }
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let _ = done_rx.recv_timeout(left);
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.close(Duration::from_secs(2));
    }
}

impl EventSink for EventStream {
    fn emit(&self, event: &RunEvent) {
        if matches!(event.body, EventBody::VariableChanged { .. }) && !self.variable_changes {
            return;
        }
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let mut record = record(event, seq);
        if let (EventBody::RunFinished { .. }, Json::Object(m)) = (&event.body, &mut record) {
            m.insert("dropped".into(), json!(self.dropped()));
        }
        self.send(record.to_string());
    }
}

fn open(target: &Target) -> Option<File> {
    match target {
        Target::Path(p) => OpenOptions::new().create(true).append(true).open(p).ok(),
        Target::Fd(fd) => {
            // SAFETY: fcntl only inspects the descriptor; we take ownership of it only when
            // it is open, and nothing else in the process uses a descriptor handed to us
            // for the stream.
            let open = unsafe { libc::fcntl(*fd, libc::F_GETFD) } != -1;
            if !open {
                return None;
            }
            use std::os::fd::FromRawFd;
            // SAFETY: see above; the descriptor is open and ours from now on.
            Some(unsafe { File::from_raw_fd(*fd) })
        }
    }
}

fn writer(target: Target, rx: Receiver<Msg>) {
    let mut out = open(&target);
    for msg in rx {
        match msg {
            Msg::Line(mut line) => {
                if let Some(f) = out.as_mut() {
                    line.push('\n');
                    if f.write_all(line.as_bytes()).is_err() {
                        // The reader went away: keep draining, stop writing.
                        out = None;
                    }
                }
            }
            Msg::Close(done) => {
                if let Some(f) = out.as_mut() {
                    let _ = f.flush();
                }
                let _ = done.send(());
                return;
            }
        }
    }
}

fn result_name(r: ExecResult) -> &'static str {
    match r {
        ExecResult::Success => "success",
        ExecResult::Failure => "failure",
        ExecResult::Completion => "completion",
        ExecResult::Canceled => "canceled",
    }
}

fn millis(d: Duration) -> f64 {
    (d.as_micros() as f64) / 1000.0
}

/// The JSON record of one event.
pub fn record(event: &RunEvent, seq: u64) -> Json {
    let mut m = Map::new();
    m.insert("schema".into(), json!(SCHEMA));
    m.insert("seq".into(), json!(seq));
    m.insert("time".into(), json!(event.time.to_rfc3339()));
    let fields = match &event.body {
        EventBody::RunStarted {
            package,
            package_id,
            execution_id,
            file,
            max_concurrent,
        } => json!({"event": "run_start", "package": package, "package_id": package_id,
                    "execution_id": execution_id, "file": file, "pid": std::process::id(),
                    "max_concurrent": max_concurrent}),
        EventBody::RunFinished {
            result,
            duration,
            errors,
            warnings,
        } => json!({"event": "run_end", "result": result_name(*result),
                    "duration_ms": millis(*duration), "errors": errors, "warnings": warnings}),
        EventBody::ExecutableStarted {
            path,
            name,
            id,
            kind,
        } => json!({"event": "executable_start", "path": path, "name": name, "id": id,
                    "kind": kind}),
        EventBody::ExecutableFinished {
            path,
            name,
            id,
            result,
            duration,
        } => json!({"event": "executable_end", "path": path, "name": name, "id": id,
                    "result": result_name(*result), "duration_ms": millis(*duration)}),
        EventBody::Message {
            level,
            code,
            source,
            path,
            description,
            propagate,
        } => {
            let name = match level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Information => "information",
            };
            let mut r = json!({"event": name, "code": format!("0x{code:08X}"), "source": source,
                               "path": path, "description": description});
            // Written only when a handler stopped the event: absent means true.
            if let (false, Json::Object(m)) = (*propagate, &mut r) {
                m.insert("propagate".into(), json!(false));
            }
            r
        }
        EventBody::Progress {
            source,
            path,
            description,
            percent,
        } => json!({"event": "progress", "source": source, "path": path,
                    "description": description, "percent": percent}),
        EventBody::VariableChanged {
            variable,
            value,
            path,
        } => json!({"event": "variable_changed", "variable": variable, "value": value,
                    "path": path}),
        EventBody::PipelineRows {
            source,
            path,
            path_id,
            path_name,
            component,
            input,
            rows,
            buffers,
            done,
        } => json!({"event": "pipeline_rows", "source": source, "path": path,
                    "path_id": path_id, "path_name": path_name, "component": component,
                    "input": input, "rows": rows, "buffers": buffers, "final": done}),
        EventBody::PipelineComponentTime {
            source,
            path,
            component,
            phase,
            millis,
        } => json!({"event": "pipeline_component_time", "source": source, "path": path,
                    "component": component, "phase": phase, "duration_ms": millis}),
    };
    if let Json::Object(f) = fields {
        m.extend(f);
    }
    Json::Object(m)
}

fn result_of(name: &str) -> Option<ExecResult> {
    Some(match name {
        "success" => ExecResult::Success,
        "failure" => ExecResult::Failure,
        "completion" => ExecResult::Completion,
        "canceled" => ExecResult::Canceled,
        _ => return None,
    })
}

/// The `kind` names of `executable_start` as the static strings events carry.
fn kind_of(name: &str) -> &'static str {
    match name {
        "Package" => "Package",
        "Sequence" => "Sequence",
        "ForLoop" => "ForLoop",
        "ForEachLoop" => "ForEachLoop",
        "EventHandler" => "EventHandler",
        _ => "Task",
    }
}

/// One line of a stream read back as an event: `None` for a record of another schema, of an
/// unknown kind, missing a field, or with a `duration_ms` no duration can hold (negative,
/// huge, not finite); readers ignore what they do not know.
pub fn parse_record(line: &str) -> Option<RunEvent> {
    let v: Json = serde_json::from_str(line.trim()).ok()?;
    if v.get("schema")?.as_u64()? != u64::from(SCHEMA) {
        return None;
    }
    let text = |k: &str| v.get(k).and_then(Json::as_str).map(str::to_string);
    let number = |k: &str| v.get(k).and_then(Json::as_u64);
    let duration = || {
        v.get("duration_ms")
            .and_then(Json::as_f64)
            .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
    };
    let time = chrono::DateTime::parse_from_rfc3339(&text("time")?)
        .ok()?
        .with_timezone(&chrono::Local);
    let body = match v.get("event")?.as_str()? {
        "run_start" => EventBody::RunStarted {
            package: text("package")?,
            package_id: text("package_id")?,
            execution_id: text("execution_id")?,
            file: text("file"),
            max_concurrent: usize::try_from(number("max_concurrent")?).ok()?,
        },
        "run_end" => EventBody::RunFinished {
            result: result_of(&text("result")?)?,
            duration: duration()?,
            errors: number("errors")?,
            warnings: number("warnings")?,
        },
        "executable_start" => EventBody::ExecutableStarted {
            path: text("path")?,
            name: text("name")?,
            id: text("id")?,
            kind: kind_of(&text("kind")?),
        },
        "executable_end" => EventBody::ExecutableFinished {
            path: text("path")?,
            name: text("name")?,
            id: text("id")?,
            result: result_of(&text("result")?)?,
            duration: duration()?,
        },
        kind @ ("error" | "warning" | "information") => EventBody::Message {
            level: match kind {
                "error" => Level::Error,
                "warning" => Level::Warning,
                _ => Level::Information,
            },
            code: u32::from_str_radix(text("code")?.trim_start_matches("0x"), 16).ok()?,
            source: text("source")?,
            path: text("path")?,
            description: text("description")?,
            // Optional: only `false` stops it.
            propagate: v.get("propagate").and_then(Json::as_bool).unwrap_or(true),
        },
        "progress" => EventBody::Progress {
            source: text("source")?,
            path: text("path")?,
            description: text("description")?,
            percent: i32::try_from(v.get("percent")?.as_i64()?).ok()?,
        },
        "variable_changed" => EventBody::VariableChanged {
            variable: text("variable")?,
            value: text("value")?,
            path: text("path")?,
        },
        "pipeline_rows" => EventBody::PipelineRows {
            source: text("source")?,
            path: text("path")?,
            path_id: v.get("path_id")?.as_i64()?,
            path_name: text("path_name")?,
            component: text("component")?,
            input: text("input")?,
            rows: number("rows")?,
            buffers: number("buffers")?,
            done: v.get("final")?.as_bool()?,
        },
        "pipeline_component_time" => EventBody::PipelineComponentTime {
            source: text("source")?,
            path: text("path")?,
            component: text("component")?,
            phase: text("phase")?,
            millis: v
                .get("duration_ms")?
                .as_f64()
                .filter(|m| m.is_finite() && *m >= 0.0)?,
        },
        _ => return None,
    };
    Some(RunEvent { time, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_as_the_events_they_came_from() {
        let events = [
            EventBody::ExecutableStarted {
                path: "\\Package\\T".into(),
                name: "T".into(),
                id: "{1}".into(),
                kind: "ForEachLoop",
            },
            EventBody::ExecutableFinished {
                path: "\\Package\\T".into(),
                name: "T".into(),
                id: "{1}".into(),
                result: ExecResult::Canceled,
                duration: Duration::from_micros(1500),
            },
            EventBody::Message {
                level: Level::Warning,
                code: 0x8001_9040,
                source: "T".into(),
                path: "\\Package\\T".into(),
                description: "careful \"now\"".into(),
                propagate: true,
            },
            EventBody::Message {
                level: Level::Error,
                code: 0xC002_9151,
                source: "T".into(),
                path: "\\Package\\T".into(),
                description: "stopped".into(),
                propagate: false,
            },
            EventBody::Progress {
                source: "T".into(),
                path: "\\Package\\T".into(),
                description: "half".into(),
                percent: 50,
            },
            EventBody::VariableChanged {
                variable: "\\Package.Variables[User::X]".into(),
                value: "2".into(),
                path: "\\Package\\T".into(),
            },
            EventBody::PipelineRows {
                source: "Load".into(),
                path: "\\Package\\Load".into(),
                path_id: 42,
                path_name: "Flat File Source Output".into(),
                component: "Split".into(),
                input: "Conditional Split Input".into(),
                rows: 10_000,
                buffers: 2,
                done: true,
            },
            EventBody::PipelineComponentTime {
                source: "Load".into(),
                path: "\\Package\\Load".into(),
                component: "Split".into(),
                phase: "ProcessInput".into(),
                millis: 12.5,
            },
            EventBody::RunFinished {
                result: ExecResult::Failure,
                duration: Duration::from_millis(12),
                errors: 1,
                warnings: 0,
            },
        ];
        for body in events {
            let event = RunEvent::now(body);
            let line = record(&event, 7).to_string();
            let back = parse_record(&line).expect("parses");
            assert_eq!(back.body, event.body, "{line}");
            assert_eq!(back.time, event.time);
        }
        assert!(parse_record("{\"schema\":2,\"event\":\"error\"}").is_none());
        for ms in ["-1", "1e300", "-1e300"] {
            let line = format!(
                "{{\"schema\":1,\"event\":\"executable_end\",\"time\":\"2026-01-01T00:00:00Z\",\
                 \"path\":\"p\",\"name\":\"n\",\"id\":\"i\",\"result\":\"success\",\
                 \"duration_ms\":{ms}}}"
            );
            assert!(parse_record(&line).is_none(), "{line}");
        }
        assert!(parse_record("not json").is_none());
        assert!(parse_record(
            "{\"schema\":1,\"event\":\"future\",\"time\":\"2026-01-01T00:00:00Z\"}"
        )
        .is_none());
    }

    #[test]
    fn targets() {
        assert_eq!(Target::parse("fd:3"), Some(Target::Fd(3)));
        assert_eq!(Target::parse("/tmp/x"), Some(Target::Path("/tmp/x".into())));
        assert_eq!(Target::parse(" "), None);
        assert_eq!(Target::parse("fd:x"), Some(Target::Path("fd:x".into())));
    }

    #[test]
    fn writes_lines_and_survives_a_missing_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.jsonl");
        let s = EventStream::start(Target::Path(path.display().to_string()), false);
        s.emit(&RunEvent::now(EventBody::Progress {
            source: "T".into(),
            path: "\\Package\\T".into(),
            description: "half".into(),
            percent: 50,
        }));
        s.close(Duration::from_secs(5));
        let text = std::fs::read_to_string(&path).expect("read");
        let v: Json = serde_json::from_str(text.trim()).expect("json");
        assert_eq!(v["schema"], 1);
        assert_eq!(v["event"], "progress");
        assert_eq!(v["percent"], 50);
        let bad = EventStream::start(Target::Path("/nonexistent/dir/x".into()), false);
        bad.emit(&RunEvent::now(EventBody::Progress {
            source: "T".into(),
            path: "p".into(),
            description: String::new(),
            percent: 0,
        }));
        bad.close(Duration::from_secs(5));
    }
}
