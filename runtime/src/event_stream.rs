//! The machine-readable event stream: every [`RunEvent`] as one JSON object per line
//! (`"schema": 1`, documented in `docs/event-stream.md`) to a file or an inherited file
//! descriptor named by `SSISD_EVENT_STREAM` (`<path>` or `fd:<n>`, made close-on-exec so the
//! run's own child processes do not inherit it). Records go through a bounded queue to a
//! dedicated writer thread: the run never blocks on the reader, a full queue drops records
//! (counted, reported in `run_end`), and a missing or closed reader is not an error. It owns
//! the mapping between the runtime's events and the run protocol's typed records
//! (`ssisd_engine::run_protocol::stream`, the shapes' one home) both ways ([`record`], and
//! [`parse_record`] for a parent relaying a child dtexec's stream) and the writer; it must not
//! decide what is emitted.
// Unsafe code: a stream descriptor handed over by number by the parent is checked with fcntl
// and taken with File::from_raw_fd, which have no safe interface.
#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::events::{EventBody, EventSink, Level, RunEvent};
use ssisd_engine::run_protocol::stream::{duration_of, millis, Body, MessageRecord, Record};

/// The environment variable naming the stream's target.
pub const ENV_VAR: &str = ssisd_engine::run_protocol::STREAM_ENV;
/// The version of the record shapes.
pub const SCHEMA: u32 = ssisd_engine::run_protocol::SCHEMA;
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
        if let Body::RunEnd { dropped, .. } = &mut record.body {
            *dropped = self.dropped();
        }
        self.send(record.to_line());
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

/// The record of one event.
pub fn record(event: &RunEvent, seq: u64) -> Record {
    let body = match &event.body {
        EventBody::RunStarted {
            package,
            package_id,
            execution_id,
            file,
            max_concurrent,
        } => Body::RunStart {
            package: package.clone(),
            package_id: package_id.clone(),
            execution_id: execution_id.clone(),
            file: file.clone(),
            pid: std::process::id(),
            max_concurrent: *max_concurrent,
        },
        EventBody::RunFinished {
            result,
            duration,
            errors,
            warnings,
        } => Body::RunEnd {
            result: *result,
            duration_ms: millis(*duration),
            errors: *errors,
            warnings: *warnings,
            dropped: 0,
        },
        EventBody::ExecutableStarted {
            path,
            name,
            id,
            kind,
        } => Body::ExecutableStart {
            path: path.clone(),
            name: name.clone(),
            id: id.clone(),
            kind: kind.to_string(),
        },
        EventBody::ExecutableFinished {
            path,
            name,
            id,
            result,
            duration,
        } => Body::ExecutableEnd {
            path: path.clone(),
            name: name.clone(),
            id: id.clone(),
            result: *result,
            duration_ms: millis(*duration),
        },
        EventBody::Message {
            level,
            code,
            source,
            path,
            description,
            propagate,
        } => {
            let m = MessageRecord {
                code: *code,
                source: source.clone(),
                path: path.clone(),
                description: description.clone(),
                propagate: *propagate,
            };
            match level {
                Level::Error => Body::Error(m),
                Level::Warning => Body::Warning(m),
                Level::Information => Body::Information(m),
            }
        }
        EventBody::Progress {
            source,
            path,
            description,
            percent,
        } => Body::Progress {
            source: source.clone(),
            path: path.clone(),
            description: description.clone(),
            percent: *percent,
        },
        EventBody::VariableChanged {
            variable,
            value,
            path,
        } => Body::VariableChanged {
            variable: variable.clone(),
            value: value.clone(),
            path: path.clone(),
        },
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
        } => Body::PipelineRows {
            source: source.clone(),
            path: path.clone(),
            path_id: *path_id,
            path_name: path_name.clone(),
            component: component.clone(),
            input: input.clone(),
            rows: *rows,
            buffers: *buffers,
            done: *done,
        },
        EventBody::PipelineComponentTime {
            source,
            path,
            component,
            phase,
            millis,
        } => Body::PipelineComponentTime {
            source: source.clone(),
            path: path.clone(),
            component: component.clone(),
            phase: phase.clone(),
            duration_ms: *millis,
        },
    };
    Record {
        schema: SCHEMA,
        seq,
        time: event.time.fixed_offset(),
        body,
    }
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
    let r = Record::parse(line.as_bytes())?;
    let body = match r.body {
        Body::RunStart {
            package,
            package_id,
            execution_id,
            file,
            max_concurrent,
            ..
        } => EventBody::RunStarted {
            package,
            package_id,
            execution_id,
            file,
            max_concurrent,
        },
        Body::RunEnd {
            result,
            duration_ms,
            errors,
            warnings,
            ..
        } => EventBody::RunFinished {
            result,
            duration: duration_of(duration_ms)?,
            errors,
            warnings,
        },
        Body::ExecutableStart {
            path,
            name,
            id,
            kind,
        } => EventBody::ExecutableStarted {
            path,
            name,
            id,
            kind: kind_of(&kind),
        },
        Body::ExecutableEnd {
            path,
            name,
            id,
            result,
            duration_ms,
        } => EventBody::ExecutableFinished {
            path,
            name,
            id,
            result,
            duration: duration_of(duration_ms)?,
        },
        Body::Error(m) => message(Level::Error, m),
        Body::Warning(m) => message(Level::Warning, m),
        Body::Information(m) => message(Level::Information, m),
        Body::Progress {
            source,
            path,
            description,
            percent,
        } => EventBody::Progress {
            source,
            path,
            description,
            percent,
        },
        Body::VariableChanged {
            variable,
            value,
            path,
        } => EventBody::VariableChanged {
            variable,
            value,
            path,
        },
        Body::PipelineRows {
            source,
            path,
            path_id,
            path_name,
            component,
            input,
            rows,
            buffers,
            done,
        } => EventBody::PipelineRows {
            source,
            path,
            path_id,
            path_name,
            component,
            input,
            rows,
            buffers,
            done,
        },
        Body::PipelineComponentTime {
            source,
            path,
            component,
            phase,
            duration_ms,
        } => EventBody::PipelineComponentTime {
            source,
            path,
            component,
            phase,
            millis: Some(duration_ms).filter(|m| m.is_finite() && *m >= 0.0)?,
        },
    };
    Some(RunEvent {
        time: r.time.with_timezone(&chrono::Local),
        body,
    })
}

fn message(level: Level, m: MessageRecord) -> EventBody {
    EventBody::Message {
        level,
        code: m.code,
        source: m.source,
        path: m.path,
        description: m.description,
        propagate: m.propagate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use ssisd_engine::model::ExecResult;

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
            let line = record(&event, 7).to_line();
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
        let v: serde_json::Value = serde_json::from_str(text.trim()).expect("json");
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
