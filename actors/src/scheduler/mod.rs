//! The Scheduler actor: runs stored packages on schedules, as SQL Server Agent's jobs do. It
//! owns `[scheduler]` and the `[[schedule]]` list ([`definition`]), keeps the schedules made
//! through the API and every schedule's last due time in SQLite ([`db`]), and computes due
//! times in each schedule's time zone ([`timing`]). One timer is armed for the earliest due
//! time of all schedules, so an idle scheduler does no work between fires. A due schedule
//! whose runs are at `max_active` is skipped (event 1061 and a canceled execution in the
//! history), as Agent skips a job that is still running; runs missed while the service was down
//! follow `catch_up`; a run that fails or cannot start is retried `retry_attempts` times. Runs
//! start through the supervisor like API runs, started by `schedule:<name>`; the scheduler
//! hears of their ends as a run observer. It must not know about HTTP or configuration files,
//! and never blocks in a handler (the database is used off the actor's thread).

pub mod db;
pub mod definition;
mod metrics;
pub mod timing;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use actix::prelude::*;
use chrono::{DateTime, Utc};
use serde::Serialize;
use ssisd_stores::{strip_dtsx, ItemName, StorePath};

pub use db::{ScheduleDb, ScheduleDbError, ScheduleState, StoredSchedule};
pub use definition::{CatchUp, DefinitionError, Schedule, ScheduleDef, SchedulerSettings};

use crate::child::{register, ActorType, ChildEnv, ChildSpec, Phase, ServicePlan};
use crate::event_log::{EventId, NewEvent};
use crate::history::{Ending, HistoryClient, LoggingLevel, NewExecution, Status};
use crate::package::{RunNotice, RunObserver, RunSpec, StartRun};
use crate::store::StoreOp;
use crate::supervision::{ExitWatch, RestartType, StopChild};
use metrics::{Outcome, ScheduleMetrics};

/// Restarted when it ends unexpectedly.
pub const RESTART: RestartType = RestartType::Permanent;
pub const KEY: &str = "scheduler";
/// The database below the data directory.
pub const FILE: &str = "schedules.db";
/// A due time missed by less than this (a reload's swap, a busy moment) still fires, whatever
/// `catch_up` says.
const GRACE: chrono::Duration = chrono::Duration::seconds(5);
/// How often runs that ended unheard are forgotten.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// How long a run waits for its folder's store to finish opening.
const STORE_PATIENCE: Duration = Duration::from_secs(15);
/// What a configured schedule's runs belong to.
pub const CONFIG_OWNER: &str = "scheduler";

/// `schedule:<name>`: how the history and the run list name a schedule's runs.
pub fn started_by(name: &str) -> String {
    format!("schedule:{name}")
}

impl ActorType for Scheduler {
    const SECTION: Option<&'static str> = Some("scheduler");
    const ALSO: &'static [&'static str] = &["schedule"];
    type Settings = SchedulerSettings;

    /// One scheduler, serving: a changed `[scheduler]` or `[[schedule]]` restarts it, and it
    /// reads its database again (API schedules and last due times are kept).
    fn children(settings: &SchedulerSettings, plan: &ServicePlan) -> Vec<ChildSpec> {
        let path = plan.data_file(FILE);
        let settings = settings.clone();
        vec![ChildSpec {
            key: KEY.into(),
            phase: Phase::Serve,
            restart: RESTART,
            fingerprint: format!("{}|{settings:?}", path.display()),
            folder: None,
            start: Box::new(move |watch: ExitWatch, env: &ChildEnv| {
                let addr =
                    Scheduler::new(path.clone(), settings.clone(), watch, env.clone()).start();
                env.directory
                    .add_run_observer(KEY, RunObserver(addr.clone().recipient()));
                register(env, KEY, addr)
            }),
        }]
    }
}

/// Where a schedule was defined.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Configuration,
    Api {
        owner: String,
        created: DateTime<Utc>,
        modified: DateTime<Utc>,
    },
}

struct Entry {
    schedule: Schedule,
    source: Source,
    next: Option<DateTime<Utc>>,
    state: ScheduleState,
    /// Execution ids of its runs going now.
    active: HashSet<String>,
    /// Starts asked of the supervisor and not answered yet.
    starting: u32,
    retries_left: u32,
    /// Missed runs still to make up (`catch_up = "all"`).
    pending: u32,
}

impl Entry {
    fn busy(&self) -> bool {
        self.active.len() as u64 + u64::from(self.starting)
            >= u64::from(self.schedule.def.max_active)
    }

    fn owner(&self) -> String {
        match &self.source {
            Source::Configuration => CONFIG_OWNER.to_string(),
            Source::Api { owner, .. } => owner.clone(),
        }
    }
}

/// A schedule as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleView {
    #[serde(flatten)]
    pub def: ScheduleDef,
    /// `configuration` or `api`.
    pub source: &'static str,
    pub owner: String,
    /// The zone its times are in (its own or `scheduler.time_zone`).
    pub effective_time_zone: String,
    pub next_run: Option<DateTime<Utc>>,
    pub last_run: Option<DateTime<Utc>>,
    pub last_execution: Option<String>,
    pub active: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<DateTime<Utc>>,
}

/// Why a schedule's stored package cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PackagePathError {
    /// The path (as given) starts with none of the top-level folders (listed).
    #[error("\"{path}\" does not start with a top-level folder; they are: {}", .tops.join(", "))]
    NoTopFolder { path: String, tops: Vec<String> },
    /// The path (as given) ends at a folder.
    #[error("\"{0}\" names a folder, not a package")]
    NotAPackage(String),
    #[error("the top-level folder \"{top}\" of {path} is not running")]
    NotRunning { top: String, path: String },
    /// A folder or package name the store refuses.
    #[error(transparent)]
    Name(ssisd_stores::StoreError),
    /// The store of the top-level folder (named) ended before it answered.
    #[error("the store of \"{0}\" stopped while answering")]
    StoreStopped(String),
    /// The store's answer, for the path as given.
    #[error("{path}: {source}")]
    Store {
        path: String,
        #[source]
        source: ssisd_stores::StoreError,
    },
}

/// Why a schedule request was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleRefused {
    #[error("{0}")]
    Invalid(#[from] DefinitionError),
    #[error(
        "a schedule named \"{0}\" exists already ({1}); choose another name, or change it with PUT"
    )]
    Duplicate(String, &'static str),
    #[error("there is no schedule \"{0}\"")]
    NotFound(String),
    #[error("schedule \"{0}\" is defined in the configuration file; change it there and reload (SIGHUP)")]
    FromConfiguration(String),
    #[error("schedule \"{name}\" has {active} runs going, its max_active; wait for one to end")]
    Busy { name: String, active: usize },
    #[error("the scheduler is not ready: {0}")]
    Unavailable(String),
    #[error("the run could not start: {0}")]
    StartFailed(String),
}

pub struct Scheduler {
    path: PathBuf,
    settings: SchedulerSettings,
    watch: ExitWatch,
    env: ChildEnv,
    db: Option<ScheduleDb>,
    entries: BTreeMap<String, Entry>,
    /// Every enabled schedule's next due time.
    queue: BTreeSet<(DateTime<Utc>, String)>,
    timer: Option<(DateTime<Utc>, SpawnHandle)>,
    /// Execution id → schedule.
    runs: HashMap<String, String>,
    /// Runs the last sweep found gone.
    unheard: HashSet<String>,
}

/// Why a start was asked.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Why {
    Due,
    Retry,
    CatchUp,
    Manual,
}

impl Why {
    fn as_str(self) -> &'static str {
        match self {
            Why::Due => "due",
            Why::Retry => "retry",
            Why::CatchUp => "catch-up",
            Why::Manual => "run now",
        }
    }
}

impl Scheduler {
    pub fn new(
        path: PathBuf,
        settings: SchedulerSettings,
        watch: ExitWatch,
        env: ChildEnv,
    ) -> Self {
        Scheduler {
            path,
            settings,
            watch,
            env,
            db: None,
            entries: BTreeMap::new(),
            queue: BTreeSet::new(),
            timer: None,
            runs: HashMap::new(),
            unheard: HashSet::new(),
        }
    }

    /// Adds a checked schedule and queues its next due time after `now`.
    fn insert(&mut self, schedule: Schedule, source: Source, state: ScheduleState) {
        let name = schedule.def.name.clone();
        self.remove_entry(&name);
        let mut entry = Entry {
            retries_left: 0,
            schedule,
            source,
            next: None,
            state,
            active: HashSet::new(),
            starting: 0,
            pending: 0,
        };
        // Runs of this schedule going now (a reload restarted the scheduler under them).
        let how = started_by(&name);
        for run in self.env.directory.runs() {
            if run.how == how {
                entry.active.insert(run.id.clone());
                self.runs.insert(run.id, name.clone());
            }
        }
        self.entries.insert(name.clone(), entry);
        self.requeue(&name, Utc::now());
    }

    fn remove_entry(&mut self, name: &str) -> Option<Entry> {
        let entry = self.entries.remove(name)?;
        if let Some(n) = entry.next {
            self.queue.remove(&(n, name.to_string()));
        }
        Some(entry)
    }

    /// Computes the next due time after `after` and queues it.
    fn requeue(&mut self, name: &str, after: DateTime<Utc>) {
        let Some(entry) = self.entries.get_mut(name) else {
            return;
        };
        if let Some(n) = entry.next.take() {
            self.queue.remove(&(n, name.to_string()));
        }
        if entry.schedule.def.enabled {
            entry.next = entry.schedule.timing.next_after(after, entry.schedule.zone);
            if let Some(n) = entry.next {
                self.queue.insert((n, name.to_string()));
            }
        }
    }

    /// Arms the one timer for the earliest due time.
    fn arm(&mut self, ctx: &mut Context<Self>) {
        let first = self.queue.first().map(|(t, _)| *t);
        if let (Some((armed, _)), Some(f)) = (&self.timer, first) {
            if *armed == f {
                return;
            }
        }
        if let Some((_, handle)) = self.timer.take() {
            ctx.cancel_future(handle);
        }
        if !self.settings.enabled {
            return;
        }
        if let Some(f) = first {
            let wait = (f - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            let handle = ctx.run_later(wait, |act, ctx| {
                act.timer = None;
                act.tick(ctx);
            });
            self.timer = Some((f, handle));
        }
    }

    /// Fires every schedule due by now.
    fn tick(&mut self, ctx: &mut Context<Self>) {
        let now = Utc::now();
        let mut fired = Vec::new();
        while let Some((due, name)) = self.queue.first().cloned() {
            if due > now + chrono::Duration::milliseconds(2) {
                break;
            }
            self.queue.pop_first();
            let stale = self.entries.get(&name).map(|e| e.next) != Some(Some(due));
            if stale {
                continue;
            }
            fired.push((name.clone(), due));
            // As Agent: the next due time is computed from now, so overrun ones are skipped.
            self.requeue(&name, now.max(due));
        }
        for (name, due) in fired {
            self.on_due(&name, due, ctx);
        }
        self.arm(ctx);
    }

    /// A due time arrived: start a run, or skip it when the schedule is at `max_active`.
    fn on_due(&mut self, name: &str, due: DateTime<Utc>, ctx: &mut Context<Self>) {
        let Some(entry) = self.entries.get_mut(name) else {
            return;
        };
        entry.state.last_due = Some(due);
        if entry.busy() {
            let active = entry.active.len();
            let def = entry.schedule.def.clone();
            let owner = entry.owner();
            self.save_state(name);
            self.skipped(&def, &owner, due, active);
            return;
        }
        entry.retries_left = entry.schedule.def.retry_attempts;
        self.save_state(name);
        // How late the timer acted on the due time (the run starts after its package is read).
        let late = (Utc::now() - due).num_milliseconds();
        let start = self.launch(name.to_string(), Why::Due, Some((due, late)));
        ctx.spawn(start.map(|_, _, _| ()));
    }

    /// Records a skip: event 1061 and a canceled execution in the history.
    fn skipped(&self, def: &ScheduleDef, owner: &str, due: DateTime<Utc>, active: usize) {
        let reason = format!(
            "Schedule {} came due at {} and was skipped: {active} of its runs are still going (max_active {}).",
            def.name,
            due.to_rfc3339(),
            def.max_active
        );
        self.env
            .metrics
            .get::<ScheduleMetrics>()
            .count(Outcome::Skipped, 1);
        self.env.events.emit(
            NewEvent::new(EventId::ScheduleSkipped, reason.clone())
                .field("schedule", def.name.clone())
                .field("package", def.package.clone())
                .field("due", due.to_rfc3339()),
        );
        let history = HistoryClient::new(self.env.directory.clone());
        let (name, package, owner) = (def.name.clone(), def.package.clone(), owner.to_string());
        actix::spawn(async move {
            let Some(db) = history.db().await else { return };
            // The history's writer thread does the writes; these only await their commits.
            let id = uuid::Uuid::new_v4().to_string().to_uppercase();
            let now = Utc::now();
            let begun = db
                .begin(NewExecution {
                    execution_id: id.clone(),
                    package,
                    started_by: started_by(&name),
                    caller: owner,
                    pid: None,
                    process_start: 0,
                    start_time: now,
                    logging_level: LoggingLevel::None,
                    sets: Vec::new(),
                    events: PathBuf::new(),
                })
                .await;
            if let Err(e) = begun {
                tracing::error!(error = %e, "cannot record a skipped schedule in the history");
                return;
            }
            let ending = Ending {
                status: Status::Canceled,
                end_time: now,
                exit_code: None,
                exit: Some(reason),
            };
            if let Err(e) = db.end(&id, &ending).await {
                tracing::error!(error = %e, "cannot record a skipped schedule in the history");
            }
        });
    }

    /// Saves one schedule's state, off the actor's thread.
    fn save_state(&self, name: &str) {
        let (Some(db), Some(entry)) = (self.db.clone(), self.entries.get(name)) else {
            return;
        };
        let states = vec![(name.to_string(), entry.state.clone())];
        actix::spawn(async move {
            let _ = tokio::task::spawn_blocking(move || {
                if let Err(e) = db.save_states(&states) {
                    tracing::error!(error = %e, "cannot record a schedule's state");
                }
            })
            .await;
        });
    }

    /// Starts a run of schedule `name`: reads the package from its store and asks the
    /// supervisor. Resolves to the execution id.
    fn launch(
        &mut self,
        name: String,
        why: Why,
        due: Option<(DateTime<Utc>, i64)>,
    ) -> ResponseActFuture<Self, Result<String, ScheduleRefused>> {
        let Some(entry) = self.entries.get_mut(&name) else {
            return Box::pin(fut::ready(Err(ScheduleRefused::NotFound(name))));
        };
        entry.starting += 1;
        let def = entry.schedule.def.clone();
        let user = entry.owner();
        let directory = self.env.directory.clone();
        let supervisor = self.env.supervisor.clone();
        Box::pin(
            async move {
                let (label, bytes) = read_package(&directory, &def.package)
                    .await
                    .map_err(|e| e.to_string())?;
                let spec = RunSpec {
                    id: String::new(),
                    package: label,
                    bytes,
                    project: None,
                    sets: def.set.clone(),
                    parameters: Vec::new(),
                    reporting: None,
                    user,
                    how: started_by(&def.name),
                    logging_level: def.logging_level.clone(),
                    executor: def.executor.clone(),
                };
                supervisor
                    .send(StartRun(spec))
                    .await
                    .map_err(|_| "the supervisor did not answer".to_string())?
                    .map_err(|e| e.to_string())
            }
            .into_actor(self)
            .map(move |result, act, ctx| {
                let Some(entry) = act.entries.get_mut(&name) else {
                    return result.map_err(ScheduleRefused::StartFailed);
                };
                entry.starting = entry.starting.saturating_sub(1);
                let def = entry.schedule.def.clone();
                match result {
                    Ok(id) => {
                        entry.active.insert(id.clone());
                        entry.state.last_run = Some(Utc::now());
                        entry.state.last_execution = Some(id.clone());
                        act.runs.insert(id.clone(), name.clone());
                        act.save_state(&name);
                        act.env
                            .metrics
                            .get::<ScheduleMetrics>()
                            .count(Outcome::Fired, 1);
                        let mut event = NewEvent::new(
                            EventId::ScheduleFired,
                            format!(
                                "Schedule {} started {} ({}); execution {id}.",
                                def.name,
                                def.package,
                                why.as_str()
                            ),
                        )
                        .field("schedule", def.name.clone())
                        .field("package", def.package.clone())
                        .field("execution_id", id.clone())
                        .field("reason", why.as_str());
                        if let Some((due, late)) = due {
                            event = event.field("due", due.to_rfc3339()).field("late_ms", late);
                        }
                        act.env.events.emit(event);
                        Ok(id)
                    }
                    Err(why_not) => {
                        let retry = why != Why::Manual && act.retry(&name, ctx);
                        act.env
                            .metrics
                            .get::<ScheduleMetrics>()
                            .count(Outcome::Failed, 1);
                        act.env.events.emit(
                            NewEvent::new(
                                EventId::ScheduleFailed,
                                format!(
                                    "Schedule {} could not start {}: {why_not}{}",
                                    def.name,
                                    def.package,
                                    retry_note(retry, &def)
                                ),
                            )
                            .field("schedule", def.name.clone())
                            .field("package", def.package.clone())
                            .field("retrying", retry),
                        );
                        Err(ScheduleRefused::StartFailed(why_not))
                    }
                }
            }),
        )
    }

    /// Arranges the next attempt if retries remain; says whether it did.
    fn retry(&mut self, name: &str, ctx: &mut Context<Self>) -> bool {
        let Some(entry) = self.entries.get_mut(name) else {
            return false;
        };
        if entry.retries_left == 0 {
            return false;
        }
        entry.retries_left -= 1;
        let wait = Duration::from_secs(entry.schedule.def.retry_interval);
        let name = name.to_string();
        ctx.run_later(wait, move |act, ctx| {
            if act.entries.contains_key(&name) {
                let start = act.launch(name, Why::Retry, None);
                ctx.spawn(start.map(|_, _, _| ()));
            }
        });
        true
    }

    /// Starts a made-up run if one is pending and the schedule has room.
    fn catch_up_next(&mut self, name: &str, ctx: &mut Context<Self>) {
        let Some(entry) = self.entries.get_mut(name) else {
            return;
        };
        if entry.pending == 0 || entry.busy() {
            return;
        }
        entry.pending -= 1;
        entry.retries_left = entry.schedule.def.retry_attempts;
        let start = self.launch(name.to_string(), Why::CatchUp, None);
        ctx.spawn(start.map(|_, _, _| ()));
    }

    /// At start: for each schedule, the due times missed since its last one.
    fn catch_up(&mut self, ctx: &mut Context<Self>) {
        let now = Utc::now();
        let names: Vec<String> = self.entries.keys().cloned().collect();
        let mut baseline = Vec::new();
        for name in names {
            let Some(entry) = self.entries.get_mut(&name) else {
                continue;
            };
            let def = &entry.schedule.def;
            let Some(last) = entry
                .state
                .last_due
                .filter(|_| def.enabled && self.settings.enabled)
            else {
                // First seen, or not firing: due times count from now on (a disabled spell is
                // not a missed one).
                entry.state.last_due = Some(now);
                baseline.push(name.clone());
                continue;
            };
            let cap = self.settings.max_catch_up as usize;
            let missed = entry
                .schedule
                .timing
                .due_between(last, now, entry.schedule.zone, cap + 1);
            if missed.is_empty() {
                continue;
            }
            let recent = missed.iter().filter(|t| now - **t <= GRACE).count();
            let older = missed.len() - recent;
            let runs = match def.catch_up {
                CatchUp::None => recent.min(1),
                CatchUp::Last => 1,
                CatchUp::All => missed.len().min(cap),
            } as u32;
            entry.state.last_due = missed.last().copied();
            entry.pending = runs;
            if older > 0 {
                let policy = match def.catch_up {
                    CatchUp::None => "none",
                    CatchUp::Last => "last",
                    CatchUp::All => "all",
                };
                self.env
                    .metrics
                    .get::<ScheduleMetrics>()
                    .count(Outcome::Missed, missed.len() as u64);
                self.env.events.emit(
                    NewEvent::new(
                        EventId::ScheduleMissed,
                        format!(
                            "Schedule {name} missed {}{} due time(s) while the service was down, the last at {}; catch_up = {policy} makes up {runs}.",
                            missed.len(),
                            if missed.len() > cap { "+" } else { "" },
                            missed[missed.len() - 1].to_rfc3339(),
                        ),
                    )
                    .field("schedule", name.clone())
                    .field("missed", missed.len() as u64)
                    .field("runs", u64::from(runs)),
                );
            }
            self.save_state(&name);
            self.catch_up_next(&name, ctx);
        }
        if let Some(db) = self.db.clone() {
            let states: Vec<(String, ScheduleState)> = baseline
                .iter()
                .filter_map(|n| self.entries.get(n).map(|e| (n.clone(), e.state.clone())))
                .collect();
            actix::spawn(async move {
                let _ = tokio::task::spawn_blocking(move || db.save_states(&states)).await;
            });
        }
    }

    /// Forgets runs that are no longer running but whose end was not heard (a run that ended
    /// before its start was answered): a schedule must not stay "busy" for ever. A run is
    /// forgotten when two sweeps in a row miss it, long after its end notice would have come.
    fn sweep(&mut self) {
        let gone: HashSet<String> = self
            .runs
            .keys()
            .filter(|id| self.env.directory.run(id).is_none())
            .cloned()
            .collect();
        let forget: Vec<String> = gone.intersection(&self.unheard).cloned().collect();
        self.unheard = gone;
        for id in forget {
            if let Some(name) = self.runs.remove(&id) {
                if let Some(e) = self.entries.get_mut(&name) {
                    e.active.remove(&id);
                }
            }
        }
    }

    fn view(&self, name: &str) -> Option<ScheduleView> {
        let e = self.entries.get(name)?;
        let (created, modified) = match &e.source {
            Source::Api {
                created, modified, ..
            } => (Some(*created), Some(*modified)),
            Source::Configuration => (None, None),
        };
        Some(ScheduleView {
            def: e.schedule.def.clone(),
            source: match e.source {
                Source::Configuration => "configuration",
                Source::Api { .. } => "api",
            },
            owner: e.owner(),
            effective_time_zone: e.schedule.zone.name().to_string(),
            next_run: if self.settings.enabled { e.next } else { None },
            last_run: e.state.last_run,
            last_execution: e.state.last_execution.clone(),
            active: e.active.len(),
            created,
            modified,
        })
    }

    fn changed(&self, what: &str, name: &str, by: &str) {
        self.env.events.emit(
            NewEvent::new(
                EventId::ScheduleChanged,
                format!("Schedule {name} was {what} by {by}."),
            )
            .field("schedule", name.to_string())
            .field("change", what.to_string())
            .field("user", by.to_string()),
        );
    }
}

fn retry_note(retry: bool, def: &ScheduleDef) -> String {
    if retry {
        format!("; retrying in {} s.", def.retry_interval)
    } else {
        ".".to_string()
    }
}

/// Reads the stored package `path` (`File System/ETL/Load`, `\File System\ETL\Load`): its
/// label as runs show it and its bytes.
pub async fn read_package(
    directory: &crate::Directory,
    path: &str,
) -> Result<(String, Vec<u8>), PackagePathError> {
    let (top, folders, name) = split_package(directory, path)?;
    let store =
        crate::store::address(directory, &top).ok_or_else(|| PackagePathError::NotRunning {
            top: top.clone(),
            path: path.to_string(),
        })?;
    let folder = StorePath::from_segments(&folders).map_err(PackagePathError::Name)?;
    let item = ItemName::new(strip_dtsx(&name)).map_err(PackagePathError::Name)?;
    let label = if folder.is_root() {
        format!("\\{top}\\{item}")
    } else {
        format!("\\{top}{folder}\\{item}")
    };
    // A store still opening (the service just started) is waited for, briefly.
    let deadline = tokio::time::Instant::now() + STORE_PATIENCE;
    loop {
        let (f, i) = (folder.clone(), item.clone());
        let answer = store
            .send(StoreOp::new(move |s| {
                Box::pin(async move { s.get_package(&f, &i).await })
            }))
            .await
            .map_err(|_| PackagePathError::StoreStopped(top.clone()))?;
        let starting = directory
            .folder(&top)
            .is_some_and(|f| f.health == crate::FolderHealth::Starting);
        match answer {
            Ok(bytes) => return Ok((label, bytes.to_vec())),
            Err(ssisd_stores::StoreError::Unavailable(_))
                if starting && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(source) => {
                return Err(PackagePathError::Store {
                    path: path.to_string(),
                    source,
                })
            }
        }
    }
}

/// Splits a package path into its top-level folder (the longest one it starts with, a name
/// holding a backslash kept whole), the folders inside it and the package's name.
pub fn split_package(
    directory: &crate::Directory,
    path: &str,
) -> Result<(String, Vec<String>, String), PackagePathError> {
    let text = path.trim().trim_start_matches(['\\', '/']);
    let mut tops: Vec<String> = directory.folders().into_iter().map(|f| f.name).collect();
    tops.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let top = tops
        .iter()
        .find(|t| {
            text.len() > t.len()
                && text[..t.len()].eq_ignore_ascii_case(t)
                && matches!(text.as_bytes()[t.len()], b'/' | b'\\')
        })
        .ok_or_else(|| PackagePathError::NoTopFolder {
            path: path.to_string(),
            tops: tops.clone(),
        })?;
    let rest: Vec<String> = text[top.len()..]
        .split(['/', '\\'])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let Some((name, folders)) = rest.split_last() else {
        return Err(PackagePathError::NotAPackage(path.to_string()));
    };
    Ok((top.clone(), folders.to_vec(), name.clone()))
}

impl Actor for Scheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let path = self.path.clone();
        ctx.wait(
            async move {
                tokio::task::spawn_blocking(move || {
                    let db = ScheduleDb::open(&path)?;
                    let (api, bad) = db.api_schedules()?;
                    let states = db.states()?;
                    Ok::<_, ScheduleDbError>((db, api, bad, states))
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
            }
            .into_actor(self)
            .map(|opened, act, ctx| match opened {
                Ok((db, api, bad, mut states)) => {
                    act.db = Some(db);
                    for why in bad {
                        tracing::error!("a stored schedule cannot be read and is ignored: {why}");
                    }
                    let zone = act.settings.time_zone.clone();
                    for def in act.settings.schedule.clone() {
                        match def.check(&zone) {
                            Ok(s) => {
                                let state = states.remove(&def.name).unwrap_or_default();
                                act.insert(s, Source::Configuration, state);
                            }
                            Err(e) => tracing::error!("{e}"),
                        }
                    }
                    for stored in api {
                        let name = stored.def.name.clone();
                        if act.entries.contains_key(&name) {
                            act.env.events.emit(
                                NewEvent::new(
                                    EventId::ScheduleFailed,
                                    format!("Schedule {name} made through the API is shadowed by a [[schedule]] of the same name in the configuration; it stays stored but does not run. Rename one of them."),
                                )
                                .field("schedule", name),
                            );
                            continue;
                        }
                        match stored.def.check(&zone) {
                            Ok(s) => {
                                let state = states.remove(&name).unwrap_or_default();
                                act.insert(
                                    s,
                                    Source::Api {
                                        owner: stored.owner,
                                        created: stored.created,
                                        modified: stored.modified,
                                    },
                                    state,
                                );
                            }
                            Err(e) => tracing::error!("a stored schedule no longer checks: {e}"),
                        }
                    }
                    act.catch_up(ctx);
                    act.arm(ctx);
                    ctx.run_interval(SWEEP_EVERY, |act, _| act.sweep());
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot open the schedule database");
                    act.watch.failed(e);
                    ctx.stop();
                }
            }),
        );
    }
}

impl Handler<RunNotice> for Scheduler {
    type Result = Result<(), String>;

    fn handle(&mut self, notice: RunNotice, ctx: &mut Context<Self>) -> Self::Result {
        let RunNotice::Ended(ended) = notice else {
            return Ok(());
        };
        let Some(name) = self.runs.remove(&ended.execution_id) else {
            return Ok(());
        };
        let Some(entry) = self.entries.get_mut(&name) else {
            return Ok(());
        };
        entry.active.remove(&ended.execution_id);
        let failed = matches!(ended.outcome.as_str(), "failed" | "lost");
        if failed {
            let def = entry.schedule.def.clone();
            let retry = self.retry(&name, ctx);
            self.env
                .metrics
                .get::<ScheduleMetrics>()
                .count(Outcome::Failed, 1);
            self.env.events.emit(
                NewEvent::new(
                    EventId::ScheduleFailed,
                    format!(
                        "Schedule {name}'s run {} of {} ended {}{}",
                        ended.execution_id,
                        def.package,
                        ended.outcome,
                        retry_note(retry, &def)
                    ),
                )
                .field("schedule", name.clone())
                .field("package", def.package.clone())
                .field("execution_id", ended.execution_id.clone())
                .field("retrying", retry),
            );
        }
        self.catch_up_next(&name, ctx);
        Ok(())
    }
}

/// Every schedule, by name.
#[derive(Message)]
#[rtype(result = "Vec<ScheduleView>")]
pub struct ListSchedules;

impl Handler<ListSchedules> for Scheduler {
    type Result = MessageResult<ListSchedules>;

    fn handle(&mut self, _: ListSchedules, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.entries.keys().filter_map(|n| self.view(n)).collect())
    }
}

/// What a definition would do, without storing it: the zone its times are in and its next
/// due times from now (at most `count`), or why the scheduler would refuse it.
#[derive(Message)]
#[rtype(result = "Result<SchedulePreview, ScheduleRefused>")]
pub struct PreviewSchedule {
    pub def: ScheduleDef,
    pub count: usize,
}

/// The answer to [`PreviewSchedule`].
#[derive(Debug, Clone, Serialize)]
pub struct SchedulePreview {
    pub effective_time_zone: String,
    pub next_runs: Vec<DateTime<Utc>>,
}

impl Handler<PreviewSchedule> for Scheduler {
    type Result = MessageResult<PreviewSchedule>;

    fn handle(&mut self, m: PreviewSchedule, _: &mut Context<Self>) -> Self::Result {
        let schedule = match m.def.check(&self.settings.time_zone) {
            Ok(s) => s,
            Err(e) => return MessageResult(Err(ScheduleRefused::Invalid(e))),
        };
        let mut next_runs = Vec::new();
        let mut after = Utc::now();
        while next_runs.len() < m.count {
            match schedule.timing.next_after(after, schedule.zone) {
                Some(t) => {
                    next_runs.push(t);
                    after = t;
                }
                None => break,
            }
        }
        MessageResult(Ok(SchedulePreview {
            effective_time_zone: schedule.zone.name().to_string(),
            next_runs,
        }))
    }
}

/// One schedule.
#[derive(Message)]
#[rtype(result = "Option<ScheduleView>")]
pub struct GetSchedule(pub String);

impl Handler<GetSchedule> for Scheduler {
    type Result = Option<ScheduleView>;

    fn handle(&mut self, m: GetSchedule, _: &mut Context<Self>) -> Self::Result {
        self.view(&m.0)
    }
}

/// Creates (`replace: false`) or replaces an API schedule; answered once it is stored.
#[derive(Message)]
#[rtype(result = "Result<ScheduleView, ScheduleRefused>")]
pub struct PutSchedule {
    pub def: ScheduleDef,
    pub user: String,
    pub replace: bool,
}

impl Handler<PutSchedule> for Scheduler {
    type Result = ResponseActFuture<Self, Result<ScheduleView, ScheduleRefused>>;

    fn handle(&mut self, m: PutSchedule, _: &mut Context<Self>) -> Self::Result {
        let refuse = |e| -> Self::Result { Box::pin(fut::ready(Err(e))) };
        let schedule = match m.def.check(&self.settings.time_zone) {
            Ok(s) => s,
            Err(e) => return refuse(ScheduleRefused::Invalid(e)),
        };
        let name = m.def.name.clone();
        let existing = self.entries.get(&name).map(|e| e.source.clone());
        let (owner, created) = match (existing, m.replace) {
            (Some(Source::Configuration), false) => {
                return refuse(ScheduleRefused::Duplicate(
                    name,
                    "in the configuration file",
                ))
            }
            (Some(Source::Configuration), true) => {
                return refuse(ScheduleRefused::FromConfiguration(name))
            }
            (Some(Source::Api { .. }), false) => {
                return refuse(ScheduleRefused::Duplicate(name, "made through the API"))
            }
            (Some(Source::Api { owner, created, .. }), true) => (owner, created),
            (None, true) => return refuse(ScheduleRefused::NotFound(name)),
            (None, false) => (m.user.clone(), Utc::now()),
        };
        let Some(db) = self.db.clone() else {
            return refuse(ScheduleRefused::Unavailable(
                "its database is not open".into(),
            ));
        };
        let stored = StoredSchedule {
            def: m.def.clone(),
            owner: owner.clone(),
            created,
            modified: Utc::now(),
        };
        let baseline = ScheduleState {
            last_due: Some(Utc::now()),
            ..Default::default()
        };
        Box::pin(
            async move {
                tokio::task::spawn_blocking(move || {
                    db.put(&stored)?;
                    Ok::<_, ScheduleDbError>(stored)
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
            }
            .into_actor(self)
            .map(move |stored, act, ctx| {
                let stored = stored.map_err(ScheduleRefused::Unavailable)?;
                // Due times count from now: what passed while it was disabled or different
                // is not missed.
                let state = act
                    .entries
                    .get(&name)
                    .map(|e| ScheduleState {
                        last_due: baseline.last_due,
                        ..e.state.clone()
                    })
                    .unwrap_or(baseline);
                let (active, runs): (HashSet<String>, u32) = act
                    .entries
                    .get(&name)
                    .map(|e| (e.active.clone(), e.starting))
                    .unwrap_or_default();
                act.insert(
                    schedule,
                    Source::Api {
                        owner: stored.owner,
                        created: stored.created,
                        modified: stored.modified,
                    },
                    state,
                );
                if let Some(e) = act.entries.get_mut(&name) {
                    e.active.extend(active);
                    e.starting = runs;
                }
                act.save_state(&name);
                act.arm(ctx);
                act.changed(
                    if m.replace { "changed" } else { "created" },
                    &name,
                    &m.user,
                );
                act.view(&name)
                    .ok_or_else(|| ScheduleRefused::NotFound(name.clone()))
            }),
        )
    }
}

/// Deletes an API schedule; answered once it is gone from the database.
#[derive(Message)]
#[rtype(result = "Result<(), ScheduleRefused>")]
pub struct RemoveSchedule {
    pub name: String,
    pub user: String,
}

impl Handler<RemoveSchedule> for Scheduler {
    type Result = ResponseActFuture<Self, Result<(), ScheduleRefused>>;

    fn handle(&mut self, m: RemoveSchedule, _: &mut Context<Self>) -> Self::Result {
        match self.entries.get(&m.name).map(|e| &e.source) {
            None => return Box::pin(fut::ready(Err(ScheduleRefused::NotFound(m.name)))),
            Some(Source::Configuration) => {
                return Box::pin(fut::ready(Err(ScheduleRefused::FromConfiguration(m.name))))
            }
            Some(Source::Api { .. }) => {}
        }
        let Some(db) = self.db.clone() else {
            return Box::pin(fut::ready(Err(ScheduleRefused::Unavailable(
                "its database is not open".into(),
            ))));
        };
        let name = m.name.clone();
        Box::pin(
            async move {
                tokio::task::spawn_blocking(move || db.remove(&name))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()))
            }
            .into_actor(self)
            .map(move |done, act, ctx| {
                done.map_err(ScheduleRefused::Unavailable)?;
                if let Some(e) = act.remove_entry(&m.name) {
                    for id in e.active {
                        act.runs.remove(&id);
                    }
                }
                act.arm(ctx);
                act.changed("deleted", &m.name, &m.user);
                Ok(())
            }),
        )
    }
}

/// Runs a schedule now (as `sp_start_job`): refused while it is at `max_active`; answered with
/// the execution id.
#[derive(Message)]
#[rtype(result = "Result<String, ScheduleRefused>")]
pub struct RunScheduleNow(pub String);

impl Handler<RunScheduleNow> for Scheduler {
    type Result = ResponseActFuture<Self, Result<String, ScheduleRefused>>;

    fn handle(&mut self, m: RunScheduleNow, _: &mut Context<Self>) -> Self::Result {
        match self.entries.get(&m.0) {
            None => Box::pin(fut::ready(Err(ScheduleRefused::NotFound(m.0)))),
            Some(e) if e.busy() => Box::pin(fut::ready(Err(ScheduleRefused::Busy {
                name: m.0.clone(),
                active: e.active.len() + e.starting as usize,
            }))),
            Some(_) => self.launch(m.0, Why::Manual, None),
        }
    }
}

impl Handler<StopChild> for Scheduler {
    type Result = ResponseActFuture<Self, ()>;

    /// Records every schedule's state, then stops.
    fn handle(&mut self, _: StopChild, ctx: &mut Context<Self>) -> Self::Result {
        self.watch.requested();
        if let Some((_, h)) = self.timer.take() {
            ctx.cancel_future(h);
        }
        let db = self.db.take();
        let states: Vec<(String, ScheduleState)> = self
            .entries
            .iter()
            .map(|(n, e)| (n.clone(), e.state.clone()))
            .collect();
        Box::pin(
            async move {
                if let Some(db) = db {
                    let _ = tokio::task::spawn_blocking(move || db.save_states(&states)).await;
                }
            }
            .into_actor(self)
            .map(|_, _, ctx| ctx.stop()),
        )
    }
}

/// Reaches whichever Scheduler actor is current.
#[derive(Clone)]
pub struct SchedulerClient {
    directory: crate::Directory,
}

impl SchedulerClient {
    pub fn new(directory: crate::Directory) -> Self {
        SchedulerClient { directory }
    }

    /// The running scheduler, if any.
    pub fn address(&self) -> Option<Addr<Scheduler>> {
        self.directory.lookup::<Scheduler>(KEY)
    }
}
