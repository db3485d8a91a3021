//! The Package actor: one per run, a **temporary** child of the Supervisor (never restarted; its
//! end is the run's result). It never starts or signals a runner itself: it asks the run's
//! executor ([`crate::executor`]: `local` by default, or a cluster engine) to submit the run —
//! after waiting for a place when the executor has a capacity (shown as `queued`) and after
//! recording the run's handle, so that a restart finds it again — to tell how the run stands,
//! and to cancel it (TERM, then kill after the grace period), or it adopts a run that is
//! already going (after a service restart, or a `dtexec` started by hand that registered). It
//! follows the run's JSON-lines event file by polling off the actor's thread (records
//! de-duplicated by sequence number), keeps a bounded view of the run for the API, and records
//! the outcome (12288–12291, 336, lost), the executor's final word deciding. It must not know
//! about HTTP or configuration files, and must never block in a handler.
// Unsafe code: send_signal's kill(2), and the raw per-thread setresuid around it that signals a runner running as the runner account.
#![allow(unsafe_code)]

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::prelude::*;
use chrono::{DateTime, Utc};
use serde::Serialize;
use ssisd_engine::run_protocol::{self as protocol, Body, OutcomeRecord, Record, OUTCOME_FILE};
pub use ssisd_engine::run_protocol::{process_start_time, RunState};
use ssisd_stores::atomic_file::{write_atomically_with, WriteOptions};

use crate::directory::Directory;
use crate::event_log::{EventId, EventLogClient, NewEvent};
use crate::executor::handles::Handles;
use crate::executor::{
    self, Cancel, EngineOutcome, Entry, ExecutorError, Executors, Exit, Status, Submission,
};
use crate::run_metrics::{RowTotals, RunMetrics};
use crate::stream_seen::SeenRecords;
use crate::supervision::{ExitWatch, RestartType, StopChild};

/// Package actors are never restarted: a run that ended is a result.
pub const RESTART: RestartType = RestartType::Temporary;

/// How often a run's event file and process are looked at.
const POLL: Duration = Duration::from_millis(100);
/// Most bytes of the event file read per poll.
const READ_CHUNK: u64 = 1 << 20;
/// Most recent messages kept per run.
const RECENT: usize = 50;
/// Data-flow paths whose rows a run's view keeps.
pub const PATHS_KEPT: usize = 512;
/// Error descriptions kept for the "failed" event.
const ERRORS_KEPT: usize = 10;
/// The runner's stdout and stderr files are kept below this size; beyond it they are cut and
/// marked.
pub const OUTPUT_LIMIT: u64 = 8 << 20;
const TRUNCATED_MARK: &[u8] = b"\n[ssisd: output truncated here]\n";

/// File work of all runs goes through at most this many blocking-pool threads at once, so that
/// hundreds of runs do not grow the pool to hundreds of threads (which would also slow exit).
static BLOCKING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Runs `f` on the blocking pool within the [`BLOCKING`] limit.
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Option<R> {
    let _permit = BLOCKING.acquire().await.ok()?;
    tokio::task::spawn_blocking(f).await.ok()
}

/// Where runs live and how runners start (part of the service plan).
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    /// One directory per run below this one.
    pub dir: PathBuf,
    /// The runner program, called as `<runner> /F <file> [/Set <a;b>]… [/Reporting <x>]`
    /// (a package of a project: `/Project <file.ispac> /Package <name>` instead of `/F`).
    pub runner: PathBuf,
    /// Time between SIGTERM and SIGKILL when a run is stopped.
    pub stop_grace: Duration,
    /// Most runs at once; more are refused.
    pub max_concurrent: usize,
    /// Where hand-started runners register while the service is up.
    pub registration_dir: PathBuf,
    /// The account runners run as, `(uid, gid)`. The service holds these as its saved ids (set
    /// when it left root) and a runner takes them as all three of its ids before it starts, so
    /// it cannot reach the service's files. `None`: runners run as the service.
    pub run_as: Option<(u32, u32)>,
    /// Variables of the service's environment runners must not inherit (the msdb folders'
    /// password variables).
    pub hidden_env: Vec<String>,
    /// The configured executors (`[[executor]]`), checked; empty: the built-in `local` one.
    pub executors: Vec<executor::ExecutorConfig>,
    /// Each top-level folder's default executor, by folder name.
    pub folder_executors: std::collections::BTreeMap<String, String>,
}

impl RunSettings {
    /// The executor a run of `package` (`\Folder\…`) goes to when it names none: its
    /// top-level folder's, else `local`.
    pub fn default_executor(&self, package: &str) -> String {
        let top = package
            .trim_start_matches('\\')
            .split('\\')
            .next()
            .unwrap_or_default();
        self.folder_executors
            .iter()
            .find(|(folder, _)| folder.eq_ignore_ascii_case(top))
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| executor::DEFAULT.to_string())
    }
}

/// A run to start.
#[derive(Clone)]
pub struct RunSpec {
    pub id: String,
    /// What the run is called in events and listings (the stored package's path).
    pub package: String,
    /// The `.dtsx` bytes; empty for a package of a project.
    pub bytes: Vec<u8>,
    /// A package of a deployed project instead of `bytes`.
    pub project: Option<ProjectRun>,
    pub sets: Vec<String>,
    /// `/Par` arguments, given to the runner through `SSISD_PARAMETERS` (its environment is
    /// private to its account, where its command line is not): they may hold sensitive values.
    pub parameters: Vec<String>,
    pub reporting: Option<String>,
    pub user: String,
    /// How the run was started: `api`, `schedule:<name>`.
    pub how: String,
    /// The run's logging level for the execution history (`none`, `basic`, `performance`,
    /// `verbose`); `None`: the history's default.
    pub logging_level: Option<String>,
    /// The executor to run it on (`[[executor]]` name); `None`: `local`.
    pub executor: Option<String>,
}

impl RunSpec {
    /// The state record of this run held by an engine (no local process to watch): its event
    /// stream, the executor's name, and the engine's id for it once the engine gave one.
    pub fn engine_state(
        &self,
        events: PathBuf,
        executor: &str,
        external_id: Option<String>,
    ) -> RunState {
        RunState {
            execution_id: self.id.clone(),
            pid: 0,
            start_time: 0,
            package: self.package.clone(),
            user: self.user.clone(),
            source: "service".into(),
            started_at: Utc::now(),
            events,
            group: false,
            how: self.how.clone(),
            sets: self.sets.clone(),
            executor: Some(executor.to_string()),
            external_id,
        }
    }
}

impl std::fmt::Debug for RunSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunSpec")
            .field("id", &self.id)
            .field("package", &self.package)
            .field("bytes", &self.bytes.len())
            .field("project", &self.project.as_ref().map(|p| &p.package))
            .field("sets", &self.sets)
            .field("parameters", &self.parameters.len())
            .field("reporting", &self.reporting)
            .field("user", &self.user)
            .field("how", &self.how)
            .field("executor", &self.executor)
            .finish()
    }
}

/// A package of a deployed project: the project's `.ispac` bytes and the package's file name
/// in it; the runner is started with `/Project <run dir>/project.ispac /Package <file>`.
#[derive(Clone)]
pub struct ProjectRun {
    pub ispac: Vec<u8>,
    pub package: String,
}

/// The API's view of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    pub id: String,
    pub package: String,
    pub pid: Option<i32>,
    /// `queued` (waiting for a place on its executor, or on the engine), `starting`,
    /// `running`, `stopping`.
    pub state: &'static str,
    /// Why a queued run waits (the executor's capacity, or the engine's own reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued_reason: Option<String>,
    /// The executor the run is on (`local` unless it chose another).
    pub executor: String,
    /// The run's id on its executor's engine (a Slurm job id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub source: String,
    pub user: String,
    /// How the run was started: `api`, `schedule:<name>`, `dtexec`.
    pub how: String,
    pub started_at: DateTime<Utc>,
    /// Package paths of the executables running now.
    pub executing: Vec<String>,
    pub last_message: Option<String>,
    /// The run's errors so far — loading and validation errors included — the oldest
    /// dropped past the last few.
    pub errors: VecDeque<String>,
    pub run_dir: PathBuf,
    /// The event stream the runner writes.
    pub events: PathBuf,
    #[serde(skip)]
    pub recent: VecDeque<String>,
    /// Rows per data-flow path so far, from the stream's `pipeline_rows` records, in the order
    /// the paths first reported (at most [`PATHS_KEPT`]).
    #[serde(skip)]
    pub rows_per_path: Vec<PathRows>,
}

/// Rows that went down one data-flow path of a run so far (its latest `pipeline_rows` record).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathRows {
    /// The Data Flow task's package path and name.
    pub task_path: String,
    pub task_name: String,
    pub path_id: i64,
    pub path_name: String,
    /// The component and input at the end of the path.
    pub destination_component: String,
    pub input: String,
    pub rows: u64,
    pub buffers: u64,
    /// True once the data flow has ended and `rows` is its total.
    #[serde(rename = "final")]
    pub done: bool,
}

/// How the actor begins.
pub enum Start {
    /// Start a runner for this spec.
    Spawn(RunSpec),
    /// Follow a runner that is already alive; `announce` records 12288 (hand-started runner).
    Adopt { state: RunState, announce: bool },
}

/// What the actor needs from its supervisor.
pub struct PackageEnv {
    pub directory: Directory,
    pub events: EventLogClient,
    pub settings: Arc<RunSettings>,
    pub stop_on_shutdown: bool,
    pub metrics: RunMetrics,
    /// The configured executors (the run uses the one it names).
    pub executors: Executors,
    /// Where run handles are kept.
    pub handles: Arc<Handles>,
}

pub struct PackageActor {
    id: String,
    watch: ExitWatch,
    env: PackageEnv,
    start: Option<Start>,
    view: Arc<Mutex<RunView>>,
    /// The run's executor (`None`: it names one that is not configured).
    executor: Option<Arc<Entry>>,
    /// The run's place on its executor, while it holds one.
    place: Option<tokio::sync::OwnedSemaphorePermit>,
    /// When the executor's status is next worth asking.
    next_status: std::time::Instant,
    /// Since when the engine has held the run without starting it.
    queued_since: Option<std::time::Instant>,
    /// Sequence numbers of the stream's records taken so far.
    seen: SeenRecords,
    state: Option<RunState>,
    offset: u64,
    partial: Vec<u8>,
    end_result: Option<String>,
    errors: VecDeque<String>,
    stop_requested: bool,
    polling: bool,
    finished: bool,
    pending_exit: Option<Exit>,
    /// The run's logging level as asked.
    logging_level: Option<String>,
    /// The "began" notice in flight (the "ended" one waits for it).
    began_notice: Option<tokio::task::JoinHandle<()>>,
    /// The data flows' running row totals read so far.
    rows: RowTotals,
    /// The run waits for a place on its executor.
    waiting_for_place: bool,
}

/// A run began: told to every run observer (the execution history).
#[derive(Debug, Clone)]
pub struct RunBegan {
    pub execution_id: String,
    pub package: String,
    /// `api`, `schedule:<name>`, `dtexec`.
    pub how: String,
    pub user: String,
    pub pid: Option<i32>,
    /// The runner's process start time (0 when it did not start).
    pub process_start: u64,
    pub started_at: DateTime<Utc>,
    pub logging_level: Option<String>,
    /// `/Set` options, sensitive values masked.
    pub sets: Vec<String>,
    pub events: PathBuf,
}

/// A run ended: told to every run observer.
#[derive(Debug, Clone)]
pub struct RunEnded {
    pub execution_id: String,
    /// `succeeded`, `failed`, `cancelled`, `lost`.
    pub outcome: String,
    pub exit_code: Option<i32>,
    pub exit: String,
    pub ended_at: DateTime<Utc>,
}

/// What Package actors tell run observers; answered once the observer has recorded it.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<(), String>")]
pub enum RunNotice {
    Began(RunBegan),
    Ended(RunEnded),
}

/// A child that wants to hear of runs (registered in the directory under its key).
#[derive(Clone)]
pub struct RunObserver(pub Recipient<RunNotice>);

/// How long a notice waits for a restarting observer.
const NOTICE_PATIENCE: Duration = Duration::from_secs(5);

/// Tells every run observer, each through its current address, waiting (bounded) through a
/// restart; resolves once each has answered or the patience ran out.
pub async fn tell_observers(directory: &Directory, notice: RunNotice) {
    let keys: Vec<String> = directory.run_observers();
    futures_util::future::join_all(keys.into_iter().map(|key| {
        let notice = notice.clone();
        let directory = directory.clone();
        async move {
            let deadline = tokio::time::Instant::now() + NOTICE_PATIENCE;
            loop {
                if let Some(RunObserver(to)) = directory.run_observer(&key) {
                    match to.send(notice.clone()).await {
                        Ok(Ok(())) => return,
                        Ok(Err(why)) => {
                            tracing::error!(observer = key, "a run notice was not recorded: {why}");
                            return;
                        }
                        Err(_) => {}
                    }
                }
                if tokio::time::Instant::now() >= deadline {
                    tracing::error!(
                        observer = key,
                        "a run observer is unavailable; notice not recorded: {notice:?}"
                    );
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }))
    .await;
}

/// The directory key of run `id`'s actor.
pub fn key(id: &str) -> String {
    format!("run:{id}")
}

/// The actor of run `id`, while it runs.
pub fn actor(directory: &Directory, id: &str) -> Option<Addr<PackageActor>> {
    directory.lookup(&key(id))
}

/// Why a run was not started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunRefused {
    #[error("{running} packages are running, the most allowed (service.max_concurrent_packages = {max}); wait for one to finish or raise the limit")]
    TooMany { running: usize, max: usize },
    #[error("the service is stopping")]
    ShuttingDown,
    #[error("there is no executor named \"{name}\" (configured: {known}); name one of them, or add an [[executor]] entry")]
    UnknownExecutor { name: String, known: String },
}

/// Starts a run (sent to the supervisor): a Package actor that starts the runner. Answered at
/// once with the execution id (the runner starts in the background).
#[derive(Message)]
#[rtype(result = "Result<String, RunRefused>")]
pub struct StartRun(pub RunSpec);

/// Stops the run (API): SIGTERM now, SIGKILL after the grace period; answered at once.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StopRun;

impl PackageActor {
    pub fn new(start: Start, watch: ExitWatch, env: PackageEnv) -> Self {
        let logging_level = match &start {
            Start::Spawn(s) => s.logging_level.clone(),
            Start::Adopt { .. } => None,
        };
        let how = match &start {
            Start::Spawn(s) => s.how.clone(),
            Start::Adopt { state, .. } if !state.how.is_empty() => state.how.clone(),
            Start::Adopt { state, .. } => state.source.clone(),
        };
        let (id, package, user, source, started_at, pid) = match &start {
            Start::Spawn(s) => (
                s.id.clone(),
                s.package.clone(),
                s.user.clone(),
                "service".to_string(),
                Utc::now(),
                None,
            ),
            Start::Adopt { state, .. } => (
                state.execution_id.clone(),
                state.package.clone(),
                state.user.clone(),
                state.source.clone(),
                state.started_at,
                Some(state.pid),
            ),
        };
        let executor_name = match &start {
            Start::Spawn(s) => s.executor.clone(),
            Start::Adopt { state, .. } => state.executor.clone(),
        }
        .unwrap_or_else(|| executor::DEFAULT.to_string());
        let entry = env.executors.get(&executor_name);
        let external_id = match &start {
            Start::Adopt { state, .. } => state.external_id.clone(),
            Start::Spawn(_) => None,
        };
        let run_dir = match &start {
            Start::Adopt { state, .. } => state
                .events
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            Start::Spawn(_) => match &entry {
                Some(e) => e.executor.run_dir(&env.settings, &id),
                None => env.settings.dir.join(&id),
            },
        };
        let events = match &start {
            Start::Adopt { state, .. } => state.events.clone(),
            Start::Spawn(_) => run_dir.join(protocol::EVENTS_FILE),
        };
        let view = RunView {
            id: id.clone(),
            package,
            pid,
            state: "starting",
            queued_reason: None,
            executor: executor_name,
            external_id,
            source,
            user,
            how,
            started_at,
            executing: Vec::new(),
            last_message: None,
            errors: VecDeque::new(),
            run_dir,
            events,
            recent: VecDeque::new(),
            rows_per_path: Vec::new(),
        };
        PackageActor {
            id,
            watch,
            env,
            start: Some(start),
            view: Arc::new(Mutex::new(view)),
            executor: entry,
            place: None,
            next_status: std::time::Instant::now(),
            queued_since: None,
            seen: SeenRecords::default(),
            state: None,
            offset: 0,
            partial: Vec::new(),
            end_result: None,
            errors: VecDeque::new(),
            stop_requested: false,
            polling: false,
            finished: false,
            pending_exit: None,
            logging_level,
            began_notice: None,
            rows: RowTotals::default(),
            waiting_for_place: false,
        }
    }

    /// The "began" notice of this run, from its view (and state, once the runner started).
    fn began_notice(&self) -> RunBegan {
        let view = self.with_view(|v| v.clone());
        RunBegan {
            execution_id: view.id,
            package: view.package,
            how: self
                .state
                .as_ref()
                .map(|s| s.how.clone())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| {
                    if view.source == "service" {
                        "api".into()
                    } else {
                        view.source.clone()
                    }
                }),
            user: view.user,
            pid: view.pid,
            process_start: self.state.as_ref().map(|s| s.start_time).unwrap_or(0),
            started_at: view.started_at,
            logging_level: self.logging_level.clone(),
            sets: self
                .state
                .as_ref()
                .map(|s| s.sets.iter().map(|x| protocol::mask_set(x)).collect())
                .unwrap_or_default(),
            events: view.events,
        }
    }

    fn tell_began(&mut self) {
        let began = self.began_notice();
        self.env.metrics.started(&began.how);
        let notice = RunNotice::Began(began);
        let directory = self.env.directory.clone();
        self.began_notice = Some(actix::spawn(async move {
            tell_observers(&directory, notice).await
        }));
    }

    /// The shared view the directory keeps for the API.
    pub fn view(&self) -> Arc<Mutex<RunView>> {
        self.view.clone()
    }

    fn with_view<R>(&self, f: impl FnOnce(&mut RunView) -> R) -> R {
        f(&mut self.view.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Asks the executor to stop the run, off the actor's thread, in a task of its own (it
    /// completes even when the actor stops meanwhile).
    fn cancel(&self, how: Cancel) {
        let (Some(state), Some(entry)) = (self.state.clone(), self.executor.clone()) else {
            return;
        };
        actix::spawn(async move {
            let id = state.execution_id.clone();
            if let Some(Err(why)) = blocking(move || entry.executor.cancel(&state, how)).await {
                tracing::warn!(execution_id = id, "stopping the run: {why}");
            }
        });
    }

    fn began(&mut self, state: RunState, announce: bool, ctx: &mut Context<Self>) {
        self.with_view(|v| {
            v.pid = (state.pid > 0).then_some(state.pid);
            v.external_id = state.external_id.clone();
            v.state = if self.stop_requested {
                "stopping"
            } else {
                "running"
            };
        });
        if announce {
            self.env.events.emit(
                NewEvent::new(
                    EventId::PackageStarted,
                    format!(
                        "Package \"{}\" started (execution {}, pid {}, by {}).",
                        state.package, state.execution_id, state.pid, state.user
                    ),
                )
                .field("execution_id", state.execution_id.clone())
                .field("package", state.package.clone())
                .field("pid", state.pid)
                .field("user", state.user.clone())
                .field("source", state.source.clone()),
            );
        }
        self.state = Some(state);
        self.tell_began();
        if self.stop_requested {
            self.cancel(Cancel::Term);
            self.arm_kill(ctx);
        }
        ctx.run_interval(POLL, |act, ctx| act.poll(ctx));
    }

    fn arm_kill(&mut self, ctx: &mut Context<Self>) {
        ctx.run_later(self.env.settings.stop_grace, |act, _| {
            if !act.finished {
                act.cancel(Cancel::Kill);
            }
        });
    }

    fn poll(&mut self, ctx: &mut Context<Self>) {
        if self.polling || self.finished {
            return;
        }
        let Some(state) = self.state.clone() else {
            return;
        };
        let Some(entry) = self.executor.clone() else {
            return;
        };
        // The executor's word first, then the stream: what the runner wrote before it ended
        // is read before the end is decided.
        let now = std::time::Instant::now();
        let ask = now >= self.next_status;
        if ask {
            self.next_status = now + entry.executor.status_every();
        }
        let offset = self.offset;
        let run_dir = self.with_view(|v| v.run_dir.clone());
        self.polling = true;
        ctx.spawn(
            async move {
                blocking(move || {
                    let status = ask.then(|| entry.executor.status(&state));
                    if state.source == "service" {
                        bound_output(&run_dir.join("stdout.log"));
                        bound_output(&run_dir.join("stderr.log"));
                    }
                    // A run on an engine that ended: what its runner said on standard error
                    // (it may never have reached its event stream) comes back with it.
                    let said = (state.external_id.is_some()
                        && matches!(status, Some(Status::Ended(_))))
                    .then(|| stderr_tail(&run_dir.join("stderr.log")))
                    .flatten();
                    let read = read_from(&state.events, offset);
                    (status, said, read)
                })
                .await
                .unwrap_or((None, None, (offset, Vec::new())))
            }
            .into_actor(self)
            .map(move |(status, said, (next, bytes)), act, ctx| {
                act.polling = false;
                act.offset = next;
                act.take_bytes(&bytes);
                if let Some(said) = said {
                    if act.end_result.is_none() {
                        act.errors
                            .push_back(format!("the runner's standard error ends: {said}"));
                    }
                }
                let more = bytes.len() as u64 >= READ_CHUNK;
                let exit = match status {
                    Some(Status::Ended(exit)) => Some(exit),
                    Some(Status::Queued(reason)) => act.queued_on_engine(reason),
                    Some(Status::Running) => {
                        act.queued_since = None;
                        let stopping = act.stop_requested;
                        act.with_view(|v| {
                            v.queued_reason = None;
                            v.state = if stopping { "stopping" } else { "running" };
                        });
                        None
                    }
                    None => None,
                };
                let exit = exit.or(act.pending_exit.take());
                if let Some(exit) = exit {
                    if more {
                        // Read the rest of the file before deciding.
                        act.pending_exit = Some(exit);
                    } else {
                        act.finish(exit, ctx);
                    }
                }
            }),
        );
    }

    /// The engine holds the run without starting it: shown as queued with the engine's reason;
    /// past the executor's pending timeout the run is cancelled and ends as not started.
    fn queued_on_engine(&mut self, reason: String) -> Option<Exit> {
        let since = *self
            .queued_since
            .get_or_insert_with(std::time::Instant::now);
        let stopping = self.stop_requested;
        self.with_view(|v| {
            v.state = if stopping { "stopping" } else { "queued" };
            v.queued_reason = Some(format!("the engine holds it: {reason}"));
        });
        let limit = self.executor.as_ref()?.executor.pending_timeout()?;
        if since.elapsed() < limit {
            return None;
        }
        self.cancel(Cancel::Kill);
        let why = format!(
            "the engine did not start it within {} s ({reason}); it was cancelled there",
            limit.as_secs_f64()
        );
        self.errors.push_back(why.clone());
        Some(Exit::NotStarted(why))
    }

    /// Takes new bytes of the event file: complete lines are records, the rest waits.
    fn take_bytes(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        let Some(last) = self.partial.iter().rposition(|b| *b == b'\n') else {
            if self.partial.len() > READ_CHUNK as usize {
                self.partial.clear(); // a runaway line: drop it
            }
            return;
        };
        let complete: Vec<u8> = self.partial.drain(..=last).collect();
        for line in complete.split(|b| *b == b'\n') {
            if let Some(record) = Record::parse(line) {
                if self.seen.first_time(record.seq) {
                    self.take_record(record.body);
                }
            }
        }
    }

    fn take_record(&mut self, body: Body) {
        if let Body::PipelineRows {
            path,
            path_id,
            rows,
            ..
        } = &body
        {
            let added = self.rows.take(path, *path_id, *rows);
            self.env.metrics.rows.inc_by(added);
        }
        let errors = &mut self.errors;
        let end = &mut self.end_result;
        let mut view = self.view.lock().unwrap_or_else(|p| p.into_inner());
        let message = match body {
            Body::ExecutableStart { path, .. } => {
                if view.executing.len() < 256 {
                    view.executing.push(path);
                }
                None
            }
            Body::ExecutableEnd { path, .. } => {
                if let Some(i) = view.executing.iter().position(|p| *p == path) {
                    view.executing.remove(i);
                }
                None
            }
            Body::Error(m) => {
                let m = format!("{}: {}", m.source, m.description);
                if errors.len() == ERRORS_KEPT {
                    errors.pop_front();
                }
                errors.push_back(m.clone());
                if view.errors.len() == ERRORS_KEPT {
                    view.errors.pop_front();
                }
                view.errors.push_back(m.clone());
                Some(format!("error {m}"))
            }
            Body::Warning(m) => Some(format!("warning {}: {}", m.source, m.description)),
            Body::Information(m) => Some(format!("information {}: {}", m.source, m.description)),
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
            } => {
                let rows = PathRows {
                    task_path: path,
                    task_name: source,
                    path_id,
                    path_name,
                    destination_component: component,
                    input,
                    rows,
                    buffers,
                    done,
                };
                note_rows(&mut view.rows_per_path, rows);
                None
            }
            Body::RunEnd { result, .. } => {
                let result = protocol::stream::result_text(result);
                *end = Some(result.to_string());
                view.executing.clear();
                Some(format!("run ended: {result}"))
            }
            _ => None,
        };
        if let Some(m) = message {
            let m: String = m.chars().take(2000).collect();
            if view.recent.len() == RECENT {
                view.recent.pop_front();
            }
            view.recent.push_back(m.clone());
            view.last_message = Some(m);
        }
    }

    /// Records the outcome and ends the actor (its end is the run's result).
    fn finish(&mut self, exit: Exit, ctx: &mut Context<Self>) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.place = None;
        let outcome = outcome(self.end_result.as_deref(), &exit, self.stop_requested);
        let view = self.with_view(|v| v.clone());
        let took = (Utc::now() - view.started_at).num_milliseconds() as f64 / 1000.0;
        self.env.metrics.finished(outcome.as_str(), took);
        let errors: Vec<String> = self.errors.iter().cloned().collect();
        let (id, message) = match outcome {
            Outcome::Succeeded => (
                EventId::PackageSucceeded,
                format!("Package \"{}\" finished successfully.", view.package),
            ),
            Outcome::Cancelled => (
                EventId::PackageCancelled,
                format!("Package \"{}\" was cancelled.", view.package),
            ),
            Outcome::Failed => (
                EventId::PackageFailed,
                format!(
                    "Package \"{}\" failed ({}).{}",
                    view.package,
                    exit.describe(),
                    if errors.is_empty() {
                        String::new()
                    } else {
                        format!(" Errors: {}", errors.join(" | "))
                    }
                ),
            ),
            Outcome::Lost => (
                EventId::PackageLost,
                format!(
                    "Package \"{}\" was lost: its runner {} without finishing the run.",
                    view.package,
                    exit.describe()
                ),
            ),
        };
        let event = NewEvent::new(id, message)
            .field("execution_id", view.id.clone())
            .field("package", view.package.clone())
            .field("pid", view.pid.unwrap_or(0))
            .field("user", view.user.clone())
            .field("source", view.source.clone())
            .field("outcome", outcome.as_str())
            .field("exit", exit.describe())
            .field("executor", view.executor.clone())
            .field("errors", errors);
        let handles = self.env.handles.clone();
        let execution_id = view.id.clone();
        let events = self.env.events.clone();
        let own = view.source == "service";
        let marker = own.then(|| view.run_dir.join(OUTCOME_FILE));
        // The run's right to fetch its package ends with it (the run also leaves the
        // directory the API finds it in, below).
        let grant_dir = own.then(|| view.run_dir.clone());
        // A hand-started runner's registration and its stream file (when it is ours, in the
        // registration directory) are removed once the outcome is recorded.
        let registration = (!own).then(|| {
            let dir = &self.env.settings.registration_dir;
            let pid = view.pid.unwrap_or(0);
            (
                dir.join(format!("{pid}.json")),
                dir.join(format!("{pid}.events.jsonl")),
            )
        });
        self.env.directory.remove_run(&self.id);
        self.watch.normal();
        if self.began_notice.is_none() {
            // The runner never started: the run still gets its history.
            self.tell_began();
        }
        let began = self.began_notice.take();
        let directory = self.env.directory.clone();
        let ended = RunNotice::Ended(RunEnded {
            execution_id: view.id.clone(),
            outcome: outcome.as_str().to_string(),
            exit_code: exit.code(),
            exit: exit.describe(),
            ended_at: Utc::now(),
        });
        ctx.wait(
            async move {
                if let Some(b) = began {
                    let _ = b.await;
                }
                tell_observers(&directory, ended).await;
                let _ = events.append(event).await;
                let record = OutcomeRecord {
                    outcome: outcome.as_str().to_string(),
                    exit: Some(exit.describe()),
                    exit_code: exit.code(),
                    ended_at: Some(Utc::now()),
                };
                let _ = blocking(move || {
                    if let Some(m) = marker {
                        let _ = write_atomic(&m, &record.to_json());
                    }
                    if let Some(d) = grant_dir {
                        executor::fetch::revoke(&d);
                    }
                    if let Some((r, stream)) = registration {
                        let _ = std::fs::remove_file(r);
                        let _ = std::fs::remove_file(stream);
                    }
                    if own {
                        if let Err(why) = handles.remove(&execution_id) {
                            tracing::warn!(execution_id, "the run's handle stays: {why}");
                        }
                    }
                })
                .await;
            }
            .into_actor(self)
            .map(|_, _, ctx| ctx.stop()),
        );
    }
}

impl PackageActor {
    /// Starts a run: waits for a place on its executor when it has a capacity, records the
    /// run's handle, then submits.
    fn spawn(&mut self, spec: RunSpec, ctx: &mut Context<Self>) {
        let Some(entry) = self.executor.clone() else {
            let name = self.with_view(|v| v.executor.clone());
            let why = format!(
                "there is no executor named \"{name}\" (configured: {})",
                self.env.executors.names().join(", ")
            );
            self.errors.push_back(why.clone());
            self.finish(Exit::NotStarted(why), ctx);
            return;
        };
        let Some(slots) = entry.slots.clone() else {
            self.submit(spec, ctx);
            return;
        };
        match slots.clone().try_acquire_owned() {
            Ok(place) => {
                self.place = Some(place);
                self.submit(spec, ctx);
            }
            Err(_) => {
                self.waiting_for_place = true;
                let reason = format!(
                    "waiting for a place on executor \"{}\" ({} runs at most)",
                    entry.config.name,
                    entry.config.capacity.unwrap_or_default()
                );
                self.with_view(|v| {
                    v.state = "queued";
                    v.queued_reason = Some(reason);
                });
                ctx.spawn(
                    async move { slots.acquire_owned().await.ok() }
                        .into_actor(self)
                        .map(move |place, act, ctx| {
                            if act.finished {
                                return;
                            }
                            act.waiting_for_place = false;
                            act.place = place;
                            act.with_view(|v| {
                                v.state = "starting";
                                v.queued_reason = None;
                            });
                            act.submit(spec, ctx);
                        }),
                );
            }
        }
    }

    /// Records the handle (before anything reaches the executor), then submits.
    fn submit(&mut self, spec: RunSpec, ctx: &mut Context<Self>) {
        let Some(entry) = self.executor.clone() else {
            return;
        };
        let settings = self.env.settings.clone();
        let handles = self.env.handles.clone();
        let events = self.with_view(|v| v.events.clone());
        ctx.wait(
            async move {
                blocking(move || -> Result<RunState, ExecutorError> {
                    let instance = handles.instance_id().map_err(ExecutorError::Instance)?;
                    let name = entry.config.name.clone();
                    let before = spec.engine_state(events, &name, None);
                    handles
                        .record(&name, &instance, &before)
                        .map_err(ExecutorError::Handle)?;
                    let submitted = entry.executor.submit(&Submission {
                        spec: &spec,
                        settings: &settings,
                        instance: &instance,
                    });
                    match submitted {
                        Ok(mut state) => {
                            state.executor = Some(name.clone());
                            if let Err(e) = handles.record(&name, &instance, &state) {
                                tracing::error!(
                                    execution_id = spec.id,
                                    "the run's external id could not be kept: {e}"
                                );
                            }
                            Ok(state)
                        }
                        Err(why) => {
                            let _ = handles.remove(&spec.id);
                            Err(why)
                        }
                    }
                })
                .await
                .unwrap_or_else(|| Err(ExecutorError::PoolGone))
            }
            .into_actor(self)
            .map(|submitted, act, ctx| match submitted {
                Ok(state) => act.began(state, true, ctx),
                Err(why) => {
                    act.errors
                        .push_back(format!("the runner could not start: {why}"));
                    act.finish(Exit::NotStarted(why.to_string()), ctx);
                }
            }),
        );
    }
}

impl Actor for PackageActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        match self.start.take() {
            Some(Start::Adopt { state, announce }) => {
                if self.executor.is_none() {
                    let why = format!(
                        "its executor \"{}\" is no longer configured",
                        state.executor.as_deref().unwrap_or(executor::DEFAULT)
                    );
                    self.errors.push_back(why);
                    self.state = Some(state);
                    self.finish(Exit::Vanished, ctx);
                    return;
                }
                // An adopted run holds a place on its executor while one is free.
                self.place = self
                    .executor
                    .as_ref()
                    .and_then(|e| e.slots.clone())
                    .and_then(|slots| slots.try_acquire_owned().ok());
                self.began(state, announce, ctx)
            }
            Some(Start::Spawn(spec)) => self.spawn(spec, ctx),
            None => {}
        }
    }
}

impl Handler<StopRun> for PackageActor {
    type Result = ();

    fn handle(&mut self, _: StopRun, ctx: &mut Context<Self>) {
        if self.stop_requested || self.finished {
            return;
        }
        self.stop_requested = true;
        self.with_view(|v| v.state = "stopping");
        if self.waiting_for_place {
            // Never reached its executor: nothing to stop there.
            self.finish(Exit::NotStarted("stopped while queued".into()), ctx);
        } else if self.state.is_some() {
            self.cancel(Cancel::Term);
            self.arm_kill(ctx);
        }
    }
}

/// Shutdown (from the supervisor): records 336 when `stop_executing_packages_on_shutdown` is set
/// and answers with the signal target (`-pgid` or pid) the supervisor must send SIGTERM to as
/// its last act; without the flag the runner is left alone (`None`). Either way the actor stops
/// and the run stays on disk for the next start to adopt. Never waits for the run to end.
#[derive(Message)]
#[rtype(result = "Option<i32>")]
pub struct ShutdownRun;

impl PackageActor {
    /// Stops watching and leaves the directory; returns the signal target (see [`ShutdownRun`])
    /// and the future that records the stopping event when there is a target.
    fn leave(&mut self) -> (Option<i32>, impl std::future::Future<Output = ()> + 'static) {
        self.watch.requested();
        self.finished = true;
        self.env.directory.remove_run(&self.id);
        let view = self.with_view(|v| v.clone());
        let stopping = self
            .state
            .clone()
            .zip(self.executor.clone())
            .filter(|_| self.env.stop_on_shutdown);
        // A local runner is signalled by the supervisor as the service's last act; a run on an
        // engine is cancelled there now (the engine acknowledges; nothing waits for the run).
        let target = stopping
            .as_ref()
            .and_then(|(s, e)| e.executor.exit_signal_target(s));
        let on_engine = stopping.filter(|(s, _)| s.external_id.is_some() && target.is_none());
        let event = (target.is_some() || on_engine.is_some()).then(|| {
            NewEvent::new(
                EventId::StoppingPackage,
                format!(
                    "The service is stopping; stopping package \"{}\" (execution {}, {}).",
                    view.package,
                    view.id,
                    match &view.external_id {
                        Some(x) => format!("job {x} on executor {}", view.executor),
                        None => format!("pid {}", view.pid.unwrap_or(0)),
                    }
                ),
            )
            .field("execution_id", view.id.clone())
            .field("package", view.package.clone())
            .field("pid", view.pid.unwrap_or(0))
            .field("executor", view.executor.clone())
        });
        let events = self.env.events.clone();
        let logged = async move {
            if let Some((state, entry)) = on_engine {
                let _ = blocking(move || entry.executor.cancel(&state, Cancel::Term)).await;
            }
            if let Some(e) = event {
                let _ = events.append(e).await;
            }
        };
        (target, logged)
    }
}

impl Handler<ShutdownRun> for PackageActor {
    type Result = ResponseActFuture<Self, Option<i32>>;

    fn handle(&mut self, _: ShutdownRun, _: &mut Context<Self>) -> Self::Result {
        let (target, logged) = self.leave();
        Box::pin(logged.into_actor(self).map(move |_, _, ctx| {
            ctx.stop();
            target
        }))
    }
}

impl Handler<StopChild> for PackageActor {
    type Result = ResponseActFuture<Self, ()>;

    /// The generic stop: as [`ShutdownRun`], sending the signal itself.
    fn handle(&mut self, _: StopChild, _: &mut Context<Self>) -> Self::Result {
        let (target, logged) = self.leave();
        Box::pin(logged.into_actor(self).map(move |_, _, ctx| {
            if let Some(t) = target {
                send_signal(t, libc::SIGTERM);
            }
            ctx.stop()
        }))
    }
}

/// Sends `signal` to a pid (positive) or a process group (negative). A runner running as the
/// runner account may be signalled only by that account: when the service holds it as its
/// saved uid, this thread alone takes it as effective uid for the `kill` and gives it back.
pub fn send_signal(target: i32, signal: i32) {
    if (-1..=1).contains(&target) {
        return;
    }
    // SAFETY: kill(2) has no memory-safety preconditions.
    if unsafe { libc::kill(target, signal) } == 0 {
        return;
    }
    if std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) {
        kill_as_saved_user(target, signal);
    }
}

/// `kill` with this thread's effective uid set to the saved uid, when that differs. The raw
/// system call changes the calling thread only (glibc's `setresuid` would change every thread,
/// and the others must go on as the service); nothing else runs on this thread meanwhile.
fn kill_as_saved_user(target: i32, signal: i32) {
    const UNCHANGED: libc::c_long = u32::MAX as libc::c_long;
    let (mut real, mut effective, mut saved) = (0, 0, 0);
    // SAFETY: valid out-pointers.
    unsafe { libc::getresuid(&mut real, &mut effective, &mut saved) };
    if saved == effective {
        return;
    }
    // SAFETY: setting the effective uid to the saved one is always allowed; no memory involved.
    if unsafe {
        libc::syscall(
            libc::SYS_setresuid,
            UNCHANGED,
            saved as libc::c_long,
            UNCHANGED,
        )
    } != 0
    {
        return;
    }
    // SAFETY: as in send_signal.
    unsafe { libc::kill(target, signal) };
    // SAFETY: back to the previous effective uid (the real one), always allowed.
    let back = unsafe {
        libc::syscall(
            libc::SYS_setresuid,
            UNCHANGED,
            effective as libc::c_long,
            UNCHANGED,
        )
    };
    if back != 0 {
        // A service thread left as the runner account could create files the runners could
        // then change: better no service at all.
        eprintln!(
            "ssisd: cannot return to uid {effective} after signalling a runner: {}; aborting",
            std::io::Error::last_os_error()
        );
        std::process::abort();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Failed,
    Cancelled,
    Lost,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Lost => "lost",
        }
    }
}

/// The run's result: the runner's own `run_end` first, then its exit code (dtexec's codes),
/// then what the service did (a stopped run that died is cancelled; otherwise it is lost).
fn outcome(end: Option<&str>, exit: &Exit, stop_requested: bool) -> Outcome {
    // An engine that ended the run itself (time limit, node lost) has the last word.
    if let Exit::Engine { outcome, .. } = exit {
        return match outcome {
            EngineOutcome::Failed => Outcome::Failed,
            EngineOutcome::Cancelled => Outcome::Cancelled,
            EngineOutcome::Lost => Outcome::Lost,
        };
    }
    match end {
        Some("success") | Some("completion") => return Outcome::Succeeded,
        Some("failure") => return Outcome::Failed,
        Some("canceled") | Some("cancelled") => return Outcome::Cancelled,
        _ => {}
    }
    match exit {
        Exit::Code(0) => Outcome::Succeeded,
        Exit::Code(3) => Outcome::Cancelled,
        Exit::NotStarted(_) if stop_requested => Outcome::Cancelled,
        Exit::Code(_) | Exit::NotStarted(_) => Outcome::Failed,
        Exit::Signal(_) | Exit::Vanished if stop_requested => Outcome::Cancelled,
        Exit::Signal(_) | Exit::Vanished | Exit::Engine { .. } => Outcome::Lost,
    }
}

/// Puts a path's latest count in `paths`: replaces the path's earlier count (a data flow that
/// runs again, in a loop, starts again from zero), or adds it while fewer than [`PATHS_KEPT`]
/// are kept.
fn note_rows(paths: &mut Vec<PathRows>, rows: PathRows) {
    let kept = paths.len();
    match paths
        .iter_mut()
        .find(|p| p.task_path == rows.task_path && p.path_id == rows.path_id)
    {
        Some(p) => *p = rows,
        None if kept < PATHS_KEPT => paths.push(rows),
        None => {}
    }
}

/// The outcome of a run that ended while no service watched it, from its event file (for runs
/// found dead at start). Returns the event to record.
pub fn ended_while_down(state: &RunState) -> NewEvent {
    let (_, bytes) = read_tail(&state.events);
    let mut end = None;
    let mut errors = Vec::new();
    for line in bytes.split(|b| *b == b'\n') {
        match Record::parse(line).map(|r| r.body) {
            Some(Body::RunEnd { result, .. }) => {
                end = Some(protocol::stream::result_text(result).to_string())
            }
            Some(Body::Error(m)) => errors.push(format!("{}: {}", m.source, m.description)),
            _ => {}
        }
    }
    let outcome = outcome(end.as_deref(), &Exit::Vanished, false);
    let id = match outcome {
        Outcome::Succeeded => EventId::PackageSucceeded,
        Outcome::Failed => EventId::PackageFailed,
        Outcome::Cancelled => EventId::PackageCancelled,
        Outcome::Lost => EventId::PackageLost,
    };
    NewEvent::new(
        id,
        format!(
            "Package \"{}\" ended while the service was down: {}.",
            state.package,
            outcome.as_str()
        ),
    )
    .field("execution_id", state.execution_id.clone())
    .field("package", state.package.clone())
    .field("pid", state.pid)
    .field("user", state.user.clone())
    .field("source", state.source.clone())
    .field("outcome", outcome.as_str())
    .field("errors", errors)
}

/// The last part (at most [`READ_CHUNK`] bytes) of a file, from a line start.
fn read_tail(path: &Path) -> (u64, Vec<u8>) {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let from = len.saturating_sub(READ_CHUNK);
    let (next, mut bytes) = read_from(path, from);
    if from > 0 {
        if let Some(i) = bytes.iter().position(|b| *b == b'\n') {
            bytes.drain(..=i);
        }
    }
    (next, bytes)
}

/// Reads at most [`READ_CHUNK`] bytes of a run's file from `offset`; returns the new offset and
/// the bytes (none when the file is missing). Blocking: call it off the async threads. Also
/// used by the API to stream a run's event file.
pub fn read_from(path: &Path, offset: u64) -> (u64, Vec<u8>) {
    let Ok(mut f) = std::fs::File::open(path) else {
        return (offset, Vec::new());
    };
    if f.seek(SeekFrom::Start(offset)).is_err() {
        return (offset, Vec::new());
    }
    let mut bytes = Vec::new();
    let n = Read::by_ref(&mut f)
        .take(READ_CHUNK)
        .read_to_end(&mut bytes)
        .unwrap_or(0);
    (offset + n as u64, bytes)
}

/// The last lines (at most 1 KiB) of a runner's standard error, when it wrote any.
fn stderr_tail(path: &Path) -> Option<String> {
    const TAIL: u64 = 1024;
    let len = std::fs::metadata(path).ok()?.len();
    let (_, bytes) = read_from(path, len.saturating_sub(TAIL));
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim();
    (!text.is_empty()).then(|| text.lines().collect::<Vec<_>>().join(" | "))
}

/// Keeps a runner's output file below [`OUTPUT_LIMIT`]: cut and marked when it grows past it
/// (the runner appends, so it goes on writing after the mark).
fn bound_output(path: &Path) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.len() <= OUTPUT_LIMIT {
        return;
    }
    if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(path) {
        let keep = OUTPUT_LIMIT - TRUNCATED_MARK.len() as u64;
        if f.set_len(keep).is_ok() && f.seek(SeekFrom::Start(keep)).is_ok() {
            let _ = f.write_all(TRUNCATED_MARK);
        }
    }
}

/// Writes a run's file atomically and durably (the one atomic writer).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(
        path,
        bytes,
        WriteOptions {
            replace: true,
            ..WriteOptions::default()
        },
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(task: &str, path_id: i64, rows: u64, done: bool) -> PathRows {
        PathRows {
            task_path: task.into(),
            task_name: "Load".into(),
            path_id,
            path_name: format!("Path {path_id}"),
            destination_component: "Dest".into(),
            input: "In".into(),
            rows,
            buffers: 1,
            done,
        }
    }

    #[test]
    fn a_path_keeps_its_latest_count_and_the_list_stays_bounded() {
        let mut paths = Vec::new();
        note_rows(&mut paths, counted("\\Package\\Load", 1, 10, false));
        note_rows(&mut paths, counted("\\Package\\Load", 2, 5, false));
        note_rows(&mut paths, counted("\\Package\\Load", 1, 30, true));
        // The same path id in another task is another path.
        note_rows(&mut paths, counted("\\Package\\Other", 1, 7, true));
        let seen: Vec<(i64, u64, bool)> =
            paths.iter().map(|p| (p.path_id, p.rows, p.done)).collect();
        assert_eq!(seen, [(1, 30, true), (2, 5, false), (1, 7, true)]);
        for id in 10..(PATHS_KEPT as i64 + 20) {
            note_rows(&mut paths, counted("\\Package\\Load", id, 1, false));
        }
        assert_eq!(paths.len(), PATHS_KEPT);
        let v = serde_json::to_value(&paths[0]).unwrap();
        assert_eq!(v["final"], true);
        assert_eq!(v["destination_component"], "Dest");
    }

    #[test]
    fn the_run_end_record_decides_then_the_exit() {
        assert_eq!(
            outcome(Some("success"), &Exit::Signal(9), false),
            Outcome::Succeeded
        );
        assert_eq!(outcome(None, &Exit::Code(1), false), Outcome::Failed);
        assert_eq!(outcome(None, &Exit::Code(3), false), Outcome::Cancelled);
        assert_eq!(outcome(None, &Exit::Signal(9), false), Outcome::Lost);
        assert_eq!(outcome(None, &Exit::Signal(9), true), Outcome::Cancelled);
        assert_eq!(outcome(None, &Exit::Vanished, false), Outcome::Lost);
        let timeout = Exit::Engine {
            state: "TIMEOUT".into(),
            reason: "TimeLimit".into(),
            outcome: EngineOutcome::Failed,
        };
        assert_eq!(
            outcome(Some("canceled"), &timeout, false),
            Outcome::Failed,
            "the engine's final state has the last word"
        );
        assert_eq!(
            outcome(None, &Exit::NotStarted("stopped while queued".into()), true),
            Outcome::Cancelled
        );
    }
}
