//! The Supervisor: owns every child of the service — those the plan's actor table asks for
//! (the EventLog, one Store per top-level folder, the History, …), started phase by phase
//! ([`Phase`]) and stopped in reverse, and one Package actor per run. It applies OTP's `one_for_one` rules from [`crate::supervision`]: a child
//! that ends unexpectedly is restarted alone after a back-off, unless it exceeded its restart
//! intensity, in which case it is marked failed with an error event while the service keeps
//! running. It applies reloaded plans by starting, stopping or restarting only the children
//! whose definition changed, and runs the documented shutdown sequence. It must not know about
//! HTTP, configuration files or signals.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use serde::Serialize;

pub use crate::child::{ChildEnv, ChildSpec, Phase, ServicePlan, SupervisionSettings};
use crate::directory::{Directory, FolderHealth};
use crate::event_log::{EventId, EventLogClient, NewEvent};
use crate::executor::handles::{Handle, Handles};
use crate::executor::{self, Executors};
use crate::metrics::Metrics;
use crate::package::{self, PackageActor, PackageEnv, RunState, ShutdownRun, Start};
pub use crate::package::{RunRefused, StartRun};
use crate::supervision::{
    ChildExited, ExitReason, ExitWatch, RestartHistory, RestartType, StopChild,
};
use ssisd_engine::run_protocol::{OutcomeRecord, OUTCOME_FILE, STATE_FILE};

/// The run handles' database, below the data directory.
pub const HANDLES_FILE: &str = "executors.db";

/// How often the registration directory of hand-started runners is looked at.
const REGISTRATION_POLL: Duration = Duration::from_millis(250);

struct Child {
    spec: ChildSpec,
    generation: u64,
    running: Option<Recipient<StopChild>>,
    history: RestartHistory,
    failed: bool,
}

pub struct Supervisor {
    plan: Arc<ServicePlan>,
    directory: Directory,
    events: EventLogClient,
    children: Vec<Child>,
    next_generation: u64,
    shutting_down: bool,
    /// The Package actors (temporary children), by execution id.
    runs: HashMap<String, Addr<PackageActor>>,
    scanning: bool,
    metrics: Metrics,
    /// The configured executors (rebuilt on reload, unchanged ones kept).
    executors: Executors,
    /// Where run handles are kept.
    handles: Arc<Handles>,
}

impl Supervisor {
    pub fn new(plan: ServicePlan, directory: Directory, metrics: Metrics) -> Self {
        Supervisor {
            executors: Executors::build(&plan.runs, None),
            handles: Arc::new(Handles::new(&plan.data_file(HANDLES_FILE))),
            plan: Arc::new(plan),
            events: EventLogClient::new(directory.clone()),
            directory,
            children: Vec::new(),
            next_generation: 0,
            shutting_down: false,
            runs: HashMap::new(),
            scanning: false,
            metrics,
        }
    }

    fn env(&self, ctx: &Context<Self>) -> ChildEnv {
        ChildEnv {
            directory: self.directory.clone(),
            events: self.events.clone(),
            plan: self.plan.clone(),
            supervisor: ctx.address().recipient(),
            metrics: self.metrics.clone(),
        }
    }

    fn specs(plan: &ServicePlan) -> Vec<ChildSpec> {
        plan.children()
    }

    fn start_child(&mut self, index: usize, ctx: &mut Context<Self>) {
        self.next_generation += 1;
        let generation = self.next_generation;
        let env = self.env(ctx);
        let child = &mut self.children[index];
        child.generation = generation;
        let watch = ExitWatch::new(
            child.spec.key.clone(),
            generation,
            ctx.address().recipient(),
        );
        if let Some(folder) = &child.spec.folder {
            if !matches!(
                self.directory.folder(folder).map(|f| f.health),
                Some(FolderHealth::Restarting(_))
            ) {
                self.directory.set_health(folder, FolderHealth::Starting);
            }
        }
        child.running = Some((child.spec.start)(watch, &env));
    }

    fn restart_later(
        &mut self,
        key: String,
        generation: u64,
        delay: Duration,
        ctx: &mut Context<Self>,
    ) {
        ctx.run_later(delay, move |act, ctx| {
            if act.shutting_down {
                return;
            }
            if let Some(i) = act.children.iter().position(|c| c.spec.key == key) {
                let c = &act.children[i];
                if c.generation == generation && c.running.is_none() && !c.failed {
                    act.start_child(i, ctx);
                }
            }
        });
    }
}

impl Supervisor {
    /// Starts one Package actor (a temporary child) and registers it in the directory.
    fn start_run(&mut self, start: Start, ctx: &mut Context<Self>) -> String {
        self.next_generation += 1;
        let id = match &start {
            Start::Spawn(s) => s.id.clone(),
            Start::Adopt { state, .. } => state.execution_id.clone(),
        };
        let watch = ExitWatch::new(
            format!("run:{id}"),
            self.next_generation,
            ctx.address().recipient(),
        );
        let env = PackageEnv {
            directory: self.directory.clone(),
            events: self.events.clone(),
            settings: Arc::new(self.plan.runs.clone()),
            stop_on_shutdown: self.plan.stop_executing_packages_on_shutdown,
            metrics: self.metrics.get(),
            executors: self.executors.clone(),
            handles: self.handles.clone(),
        };
        let actor = PackageActor::new(start, watch, env);
        let view = actor.view();
        let addr = actor.start();
        self.directory.add_run(&id, view);
        self.directory.register(&package::key(&id), addr.clone());
        self.runs.insert(id.clone(), addr);
        id
    }

    /// At start: re-adopts the runs on engines from their persisted handles — a handle without
    /// an external id (the service stopped while submitting) is looked for by its labels —
    /// and forgets the handles of local runs whose outcome is recorded (local runs are adopted
    /// from their run directories).
    fn adopt_engine_runs(&mut self, ctx: &mut Context<Self>) {
        let handles = self.handles.clone();
        let executors = self.executors.clone();
        ctx.spawn(
            async move {
                tokio::task::spawn_blocking(move || engine_runs(&handles, &executors))
                    .await
                    .unwrap_or_default()
            }
            .into_actor(self)
            .map(|found, act, ctx| {
                for found in found {
                    match found {
                        EngineRun::Adopt(state) => {
                            if !act.runs.contains_key(&state.execution_id) {
                                act.start_run(
                                    Start::Adopt {
                                        state,
                                        announce: false,
                                    },
                                    ctx,
                                );
                            }
                        }
                        EngineRun::NeverSubmitted(state) => {
                            act.events.emit(
                                NewEvent::new(
                                    EventId::PackageFailed,
                                    format!(
                                        "Package \"{}\" failed (not started: the service stopped while submitting it to executor {}, which holds no job for it).",
                                        state.package,
                                        state.executor.as_deref().unwrap_or_default()
                                    ),
                                )
                                .field("execution_id", state.execution_id.clone())
                                .field("package", state.package.clone())
                                .field("user", state.user.clone())
                                .field("outcome", "failed"),
                            );
                        }
                    }
                }
            }),
        );
    }

    /// At start: adopts the runs still alive and records those that ended while the service
    /// was down.
    fn adopt_runs(&mut self, ctx: &mut Context<Self>) {
        self.adopt_engine_runs(ctx);
        let dir = self.plan.runs.dir.clone();
        ctx.spawn(
            async move {
                tokio::task::spawn_blocking(move || scan_runs(&dir))
                    .await
                    .unwrap_or_default()
            }
            .into_actor(self)
            .map(|found, act, ctx| {
                for (state, alive) in found {
                    if alive {
                        if !act.runs.contains_key(&state.execution_id) {
                            act.start_run(
                                Start::Adopt {
                                    state,
                                    announce: false,
                                },
                                ctx,
                            );
                        }
                    } else {
                        let events = act.events.clone();
                        actix::spawn(async move {
                            let marker = state
                                .events
                                .parent()
                                .map(|d| d.join(OUTCOME_FILE))
                                .unwrap_or_default();
                            let event = package::ended_while_down(&state);
                            let record = OutcomeRecord {
                                outcome: event
                                    .fields
                                    .get("outcome")
                                    .and_then(|o| o.as_str())
                                    .unwrap_or_default()
                                    .to_string(),
                                exit: None,
                                exit_code: None,
                                ended_at: None,
                            };
                            if events.append(event).await.is_ok() {
                                let _ = tokio::task::spawn_blocking(move || {
                                    package::write_atomic(&marker, &record.to_json())
                                })
                                .await;
                            }
                        });
                    }
                }
            }),
        );
    }

    /// Adopts hand-started runners that registered since the last look.
    fn scan_registrations(&mut self, ctx: &mut Context<Self>) {
        if self.scanning || self.shutting_down {
            return;
        }
        self.scanning = true;
        let dir = self.plan.runs.registration_dir.clone();
        let known: HashSet<String> = self.runs.keys().cloned().collect();
        ctx.spawn(
            async move {
                tokio::task::spawn_blocking(move || scan_registrations(&dir, &known))
                    .await
                    .unwrap_or_default()
            }
            .into_actor(self)
            .map(|found, act, ctx| {
                act.scanning = false;
                for state in found {
                    if !act.runs.contains_key(&state.execution_id)
                        && act.runs.len() < act.plan.runs.max_concurrent
                    {
                        act.start_run(
                            Start::Adopt {
                                state,
                                announce: true,
                            },
                            ctx,
                        );
                    }
                }
            }),
        );
    }
}

/// The run directories without a recorded outcome: each state, and whether its runner is the
/// same live process.
fn scan_runs(dir: &std::path::Path) -> Vec<(RunState, bool)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| !e.path().join(OUTCOME_FILE).exists())
        .filter_map(|e| RunState::from_json(&std::fs::read(e.path().join(STATE_FILE)).ok()?))
        // Runs on engines are found from their handles (`engine_runs`).
        .filter(|s| s.executor.is_none())
        .map(|s| {
            let alive = s.alive();
            (s, alive)
        })
        .collect()
}

/// What a persisted handle of a run on an engine became at start.
enum EngineRun {
    /// Follow it again (its external id known).
    Adopt(RunState),
    /// The service stopped while submitting it and the engine holds no job for it: it failed
    /// without starting (its handle is forgotten).
    NeverSubmitted(RunState),
}

/// Reads the handles (blocking): runs on engines to adopt, those never submitted, and the
/// handles of local runs already recorded dropped. A handle whose executor is no longer
/// configured is kept, untouched, for a configuration that names it again.
fn engine_runs(handles: &Handles, executors: &Executors) -> Vec<EngineRun> {
    let all = match handles.all() {
        Ok(all) => all,
        Err(why) => {
            tracing::error!(
                "the run handles cannot be read; runs on engines are not adopted: {why}"
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut listed: HashMap<String, Vec<executor::Owned>> = HashMap::new();
    for Handle {
        execution_id,
        executor: name,
        instance_id,
        external_id,
        mut state,
    } in all
    {
        let run_dir = state.events.parent().map(std::path::Path::to_path_buf);
        let recorded = run_dir
            .as_ref()
            .is_some_and(|d| d.join(OUTCOME_FILE).exists());
        let Some(entry) = executors.get(&name) else {
            tracing::error!(
                execution_id,
                "the run was handed to executor \"{name}\", which is no longer configured; add it back to follow the run"
            );
            continue;
        };
        if recorded
            || (entry.config.kind == executor::local::KIND.name
                && !run_dir
                    .as_ref()
                    .is_some_and(|d| d.join(STATE_FILE).exists()))
        {
            let _ = handles.remove(&execution_id);
            continue;
        }
        if entry.config.kind == executor::local::KIND.name {
            continue; // adopted from its run directory
        }
        if external_id.is_none() {
            let owned = listed.entry(name.clone()).or_insert_with(|| {
                entry.executor.list(&instance_id).unwrap_or_else(|why| {
                    tracing::error!(executor = name, "cannot list the engine's runs: {why}");
                    Vec::new()
                })
            });
            match owned.iter().find(|o| o.execution_id == execution_id) {
                Some(o) => {
                    state.external_id = Some(o.external_id.clone());
                    let _ = handles.record(&name, &instance_id, &state);
                }
                None => {
                    let _ = handles.remove(&execution_id);
                    if let Some(d) = &run_dir {
                        let record = OutcomeRecord {
                            outcome: "failed".into(),
                            exit: Some("not submitted".into()),
                            exit_code: None,
                            ended_at: Some(chrono::Utc::now()),
                        };
                        let _ = package::write_atomic(&d.join(OUTCOME_FILE), &record.to_json());
                    }
                    out.push(EngineRun::NeverSubmitted(state));
                    continue;
                }
            }
        }
        out.push(EngineRun::Adopt(state));
    }
    out
}

/// Registrations of live hand-started runners not yet followed; files of dead ones are removed.
fn scan_registrations(dir: &std::path::Path, known: &HashSet<String>) -> Vec<RunState> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let Some(state) = std::fs::read(&path)
            .ok()
            .and_then(|b| RunState::from_json(&b))
        else {
            continue;
        };
        if known.contains(&state.execution_id) {
            continue;
        }
        if !state.alive() {
            let _ = std::fs::remove_file(&path);
            continue;
        }
        if !registration_is_its_own(&path, &state) {
            continue;
        }
        found.push(state);
    }
    found
}

/// A registration is believed only when the process it names wrote it and its event stream is
/// that process's own file (or lies in the registration directory): otherwise one account
/// could announce another's process, or have the service stream a file it may not read.
fn registration_is_its_own(path: &std::path::Path, state: &RunState) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(process) = std::fs::metadata(format!("/proc/{}", state.pid)) else {
        return false;
    };
    let Ok(file) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if file.uid() != process.uid() {
        return false;
    }
    let in_dir = path
        .parent()
        .is_some_and(|d| state.events.parent() == Some(d));
    in_dir
        || std::fs::symlink_metadata(&state.events)
            .map(|m| m.is_file() && m.uid() == process.uid())
            .unwrap_or(false)
}

impl Actor for Supervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.directory.set_folders(&self.plan.folders);
        self.children = Self::specs(&self.plan)
            .into_iter()
            .map(|spec| Child {
                spec,
                generation: 0,
                running: None,
                history: RestartHistory::default(),
                failed: false,
            })
            .collect();
        // The journal phase first, then the "starting" event, then the later phases.
        let first_others = self
            .children
            .iter()
            .position(|c| c.spec.phase != Phase::Journal)
            .unwrap_or(self.children.len());
        for i in 0..first_others {
            self.start_child(i, ctx);
        }
        let events = self.events.clone();
        let stop_flag = self.plan.stop_executing_packages_on_shutdown;
        ctx.wait(
            async move {
                let _ = events
                    .append(
                        NewEvent::new(
                            EventId::ServiceStarting,
                            format!("Starting ssisd {}.", env!("CARGO_PKG_VERSION")),
                        )
                        .field("pid", std::process::id())
                        .field("stop_executing_packages_on_shutdown", stop_flag),
                    )
                    .await;
            }
            .into_actor(self)
            .map(move |_, act, ctx| {
                for i in first_others..act.children.len() {
                    act.start_child(i, ctx);
                }
                act.adopt_runs(ctx);
                ctx.run_interval(REGISTRATION_POLL, |act, ctx| act.scan_registrations(ctx));
            }),
        );
    }
}

impl Handler<ChildExited> for Supervisor {
    type Result = ();

    fn handle(&mut self, exit: ChildExited, ctx: &mut Context<Self>) {
        if let Some(id) = exit.key.strip_prefix("run:") {
            // A Package actor (temporary): its end is a result, never a restart.
            self.runs.remove(id);
            self.directory.remove_run(id);
            return;
        }
        let Some(index) = self
            .children
            .iter()
            .position(|c| c.spec.key == exit.key && c.generation == exit.generation)
        else {
            return; // a child removed by a reload, or an older generation
        };
        let intensity = self.plan.supervision.intensity;
        let backoff = self.plan.supervision.backoff;
        let child = &mut self.children[index];
        child.running = None;
        let abnormal = match &exit.reason {
            ExitReason::Requested => return,
            ExitReason::Normal => false,
            ExitReason::Failed(_) | ExitReason::Crashed => true,
        };
        let restart = match child.spec.restart {
            RestartType::Permanent => true,
            RestartType::Transient => abnormal,
            RestartType::Temporary => false,
        };
        if !restart || self.shutting_down {
            return;
        }
        let why = match &exit.reason {
            ExitReason::Failed(why) => why.clone(),
            ExitReason::Crashed => "it crashed (panic in a handler)".to_string(),
            ExitReason::Normal => "it ended".to_string(),
            ExitReason::Requested => unreachable!(),
        };
        let key = child.spec.key.clone();
        let folder = child.spec.folder.clone();
        match child.history.record(Instant::now(), intensity) {
            Some(n) => {
                let delay = backoff.delay(n);
                if let Some(f) = &folder {
                    self.directory
                        .set_health(f, FolderHealth::Restarting(why.clone()));
                }
                self.events.emit(
                    NewEvent::new(
                        EventId::ChildRestarting,
                        format!(
                            "{key} ended unexpectedly ({why}); restart {n} of at most {} within {} s, in {} ms.",
                            intensity.max_restarts,
                            intensity.period.as_secs_f64(),
                            delay.as_millis()
                        ),
                    )
                    .field("child", key.clone())
                    .field("restart", n)
                    .field("delay_ms", delay.as_millis() as u64),
                );
                let generation = child.generation;
                self.restart_later(key, generation, delay, ctx);
            }
            None => {
                child.failed = true;
                let text = format!(
                    "more than {} restarts within {} s; last error: {why}",
                    intensity.max_restarts,
                    intensity.period.as_secs_f64()
                );
                if let Some(f) = &folder {
                    self.directory
                        .set_health(f, FolderHealth::Failed(text.clone()));
                }
                self.events.emit(
                    NewEvent::new(
                        EventId::ChildFailed,
                        format!(
                            "{key} is marked failed: {text}. Fix the cause, then reload (SIGHUP)."
                        ),
                    )
                    .field("child", key),
                );
            }
        }
    }
}

/// What a reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReloadSummary {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
    pub retried: Vec<String>,
}

/// Applies a new plan: only children whose definition changed are stopped or started.
#[derive(Message)]
#[rtype(result = "ReloadSummary")]
pub struct Reload(pub ServicePlan);

impl Handler<Reload> for Supervisor {
    type Result = ResponseActFuture<Self, ReloadSummary>;

    fn handle(&mut self, Reload(plan): Reload, _: &mut Context<Self>) -> Self::Result {
        let mut summary = ReloadSummary::default();
        let new_specs = Self::specs(&plan);
        let mut to_stop = Vec::new();
        let mut kept = Vec::new();
        for child in std::mem::take(&mut self.children) {
            match new_specs.iter().find(|s| s.key == child.spec.key) {
                Some(s) if s.fingerprint == child.spec.fingerprint => kept.push(child),
                Some(_) => {
                    summary.changed.push(child.spec.key.clone());
                    to_stop.extend(child.running);
                }
                None => {
                    summary.removed.push(child.spec.key.clone());
                    to_stop.extend(child.running);
                }
            }
        }
        self.children = kept;
        for key in summary.removed.iter() {
            self.directory.unregister(key);
        }
        self.executors = Executors::build(&plan.runs, Some(&self.executors));
        self.plan = Arc::new(plan);
        Box::pin(
            async move {
                for child in to_stop {
                    let _ = child.send(StopChild).await;
                }
            }
            .into_actor(self)
            .map(move |_, act, ctx| {
                act.directory.set_folders(&act.plan.folders);
                let mut ordered = Vec::new();
                for spec in Self::specs(&act.plan) {
                    match act.children.iter().position(|c| c.spec.key == spec.key) {
                        Some(i) => ordered.push(act.children.swap_remove(i)),
                        None => {
                            if !summary.changed.contains(&spec.key) {
                                summary.added.push(spec.key.clone());
                            }
                            ordered.push(Child {
                                spec,
                                generation: 0,
                                running: None,
                                history: RestartHistory::default(),
                                failed: false,
                            });
                        }
                    }
                }
                act.children = ordered;
                for i in 0..act.children.len() {
                    let c = &mut act.children[i];
                    if c.failed {
                        c.failed = false;
                        c.history.clear();
                        summary.retried.push(c.spec.key.clone());
                    }
                    if c.running.is_none() {
                        act.start_child(i, ctx);
                    }
                }
                summary
            }),
        )
    }
}

/// The shutdown sequence: "stopping" event, stop broadcast to running packages (without waiting
/// for them to end), stores stopped, "stopped" event, event log drained and closed last.
/// Answers with the runners the caller must signal once it has exited
/// ([`crate::stop_broadcast::signal_after_exit`]): hundreds of runners cancelling at once would
/// otherwise compete with the service's last writes and its exit for the processors.
#[derive(Message)]
#[rtype(result = "RunnersToStop")]
pub struct Shutdown;

/// Runners to SIGTERM at exit (pids, or negative process-group ids).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunnersToStop(pub Vec<i32>);

impl RunnersToStop {
    /// Sends SIGTERM to every runner; does not wait for anything.
    pub fn signal(&self) {
        for t in &self.0 {
            package::send_signal(*t, libc::SIGTERM);
        }
    }
}

impl Handler<Shutdown> for Supervisor {
    type Result = ResponseActFuture<Self, RunnersToStop>;

    fn handle(&mut self, _: Shutdown, _: &mut Context<Self>) -> Self::Result {
        self.shutting_down = true;
        let events = self.events.clone();
        let stop_packages = self.plan.stop_executing_packages_on_shutdown;
        let runs: Vec<Addr<PackageActor>> = self.runs.drain().map(|(_, r)| r).collect();
        // Later phases stop first; the journal phase stops after the "stopped" event.
        let mut phases: Vec<(Phase, Vec<Recipient<StopChild>>)> = Vec::new();
        for child in self.children.iter_mut().rev() {
            if let Some(r) = child.running.take() {
                match phases.last_mut() {
                    Some((p, list)) if *p == child.spec.phase => list.push(r),
                    _ => phases.push((child.spec.phase, vec![r])),
                }
            }
        }
        phases.sort_by_key(|(p, _)| std::cmp::Reverse(*p));
        let (logs, others): (Vec<_>, Vec<_>) =
            phases.into_iter().partition(|(p, _)| *p == Phase::Journal);
        Box::pin(
            async move {
                let stopping = events.append(
                    NewEvent::new(
                        EventId::ServiceStopping,
                        format!(
                            "Stopping ssisd. Stop all running packages on exit: {stop_packages}."
                        ),
                    )
                    .field("stop_executing_packages_on_shutdown", stop_packages),
                );
                // Package actors receive their stop broadcast here: each records 336 and answers
                // with the runner to signal (none with the flag false), never waiting for the
                // run to end. The "stopping" event is queued first (joined futures are first
                // polled in order) and shares their commits instead of waiting for its own.
                let broadcast =
                    futures_util::future::join_all(runs.iter().map(|c| c.send(ShutdownRun)));
                let (_, answers) = futures_util::future::join(stopping, broadcast).await;
                let targets: Vec<i32> = answers
                    .into_iter()
                    .filter_map(|r| r.ok().flatten())
                    .collect();
                for (_, phase) in others {
                    futures_util::future::join_all(phase.iter().map(|c| c.send(StopChild))).await;
                }
                let _ = events
                    .append(NewEvent::new(
                        EventId::ServiceStopped,
                        format!(
                            "ssisd stopped. Server version {}.",
                            env!("CARGO_PKG_VERSION")
                        ),
                    ))
                    .await;
                for (_, phase) in logs {
                    for log in phase {
                        let _ = log.send(StopChild).await;
                    }
                }
                RunnersToStop(targets)
            }
            .into_actor(self),
        )
    }
}

impl Handler<StartRun> for Supervisor {
    type Result = Result<String, RunRefused>;

    fn handle(&mut self, StartRun(mut spec): StartRun, ctx: &mut Context<Self>) -> Self::Result {
        if self.shutting_down {
            return Err(RunRefused::ShuttingDown);
        }
        let max = self.plan.runs.max_concurrent;
        if self.runs.len() >= max {
            return Err(RunRefused::TooMany {
                running: self.runs.len(),
                max,
            });
        }
        let name = spec
            .executor
            .clone()
            .unwrap_or_else(|| self.plan.runs.default_executor(&spec.package));
        if self.executors.get(&name).is_none() {
            return Err(RunRefused::UnknownExecutor {
                name,
                known: self.executors.names().join(", "),
            });
        }
        spec.executor = Some(name);
        if spec.id.is_empty() {
            spec.id = uuid::Uuid::new_v4().to_string().to_uppercase();
        }
        Ok(self.start_run(Start::Spawn(spec), ctx))
    }
}

/// The plan the supervisor runs now.
#[derive(Message)]
#[rtype(result = "Arc<ServicePlan>")]
pub struct CurrentPlan;

impl Handler<CurrentPlan> for Supervisor {
    type Result = MessageResult<CurrentPlan>;

    fn handle(&mut self, _: CurrentPlan, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.plan.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::child::ActorEntry;
    use crate::event_log::{EventLog, EventQuery, Journal};
    use crate::package::RunSettings;
    use crate::store::{self, Crash, StoreActor};
    use crate::supervision::{Backoff, Intensity};
    use ssisd_stores::FolderLocation;
    use ssisd_stores::FolderSpec;
    use std::path::PathBuf;

    const TABLE: &[ActorEntry] = &[ActorEntry::of::<EventLog>(), ActorEntry::of::<StoreActor>()];

    fn plan(dir: &std::path::Path) -> ServicePlan {
        ServicePlan {
            data_dir: dir.to_path_buf(),
            actor_types: TABLE,
            sections: [(
                "event_log".to_string(),
                serde_json::json!({ "retention": 1000 }),
            )]
            .into_iter()
            .collect(),
            folders: vec![
                FolderSpec {
                    name: "File System".into(),
                    location: FolderLocation::FileSystem {
                        store_path: dir.join("Packages"),
                        create: Default::default(),
                    },
                },
                FolderSpec {
                    name: "MSDB".into(),
                    location: FolderLocation::SqlServer(ssisd_stores::SqlServerFolder::new(
                        "127.0.0.1,1",
                    )),
                },
            ],
            stop_executing_packages_on_shutdown: true,
            supervision: SupervisionSettings {
                intensity: Intensity {
                    max_restarts: 2,
                    period: Duration::from_secs(30),
                },
                backoff: Backoff {
                    initial: Duration::from_millis(10),
                    max: Duration::from_millis(40),
                },
                health_check_interval: Duration::ZERO,
            },
            known_store_roots: Some(dir.join("store-roots")),
            runs: RunSettings {
                dir: dir.join("runs"),
                runner: PathBuf::from("/bin/false"),
                stop_grace: Duration::from_secs(1),
                max_concurrent: 10,
                registration_dir: dir.join("registrations"),
                run_as: None,
                hidden_env: Vec::new(),
                executors: Vec::new(),
                folder_executors: Default::default(),
            },
        }
    }

    async fn wait_for(
        directory: &Directory,
        what: impl Fn(&FolderHealth) -> bool,
    ) -> Addr<StoreActor> {
        for _ in 0..500 {
            if let (Some(status), Some(addr)) = (
                directory.folder("File System"),
                store::address(directory, "File System"),
            ) {
                if what(&status.health) {
                    return addr;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "folder never reached the expected health: {:?}",
            directory.folders()
        );
    }

    #[actix_rt::test]
    async fn panicking_store_is_restarted_then_marked_failed_then_retried_on_reload() {
        let dir = tempfile::tempdir().unwrap();
        let directory = Directory::new();
        let sup = Supervisor::new(plan(dir.path()), directory.clone(), Metrics::new()).start();
        let first = wait_for(&directory, |h| *h == FolderHealth::Available).await;
        for _ in 0..500 {
            if matches!(
                directory.folder("MSDB").unwrap().health,
                FolderHealth::Unavailable(_)
            ) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let FolderHealth::Unavailable(why) = directory.folder("MSDB").unwrap().health else {
            panic!("MSDB on an unreachable server is unavailable");
        };
        assert!(
            why.starts_with("unavailable: ") && why.contains("127.0.0.1"),
            "{why}"
        );

        first.do_send(Crash);
        let second = wait_for(&directory, |h| *h == FolderHealth::Available).await;
        let second = if second == first {
            tokio::time::sleep(Duration::from_millis(100)).await;
            wait_for(&directory, |h| *h == FolderHealth::Available).await
        } else {
            second
        };
        assert_ne!(
            first, second,
            "a new actor serves the folder after the panic"
        );

        second.do_send(Crash);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let third = wait_for(&directory, |h| *h == FolderHealth::Available).await;
        third.do_send(Crash);
        wait_for(&directory, |h| matches!(h, FolderHealth::Failed(_))).await;

        let summary = sup.send(Reload(plan(dir.path()))).await.unwrap();
        assert_eq!(summary.retried, vec!["store:File System".to_string()]);
        wait_for(&directory, |h| *h == FolderHealth::Available).await;

        sup.send(Shutdown).await.unwrap();
        let journal = Journal::open(&dir.path().join("events.db"), 1000).unwrap();
        let events = journal
            .query_blocking(&EventQuery {
                limit: 100,
                oldest_first: true,
                ..Default::default()
            })
            .unwrap();
        let codes: Vec<u32> = events.iter().map(|e| e.event_id).collect();
        assert_eq!(codes.first(), Some(&256));
        assert!(
            codes.contains(&EventId::ChildRestarting.code()),
            "{codes:?}"
        );
        assert!(codes.contains(&EventId::ChildFailed.code()), "{codes:?}");
        assert!(
            codes.contains(&EventId::FolderUnavailable.code()),
            "{codes:?}"
        );
        assert_eq!(
            &codes[codes.len() - 4..],
            &[
                258,
                EventId::FolderStopped.code(),
                EventId::FolderStopped.code(),
                259
            ],
            "stopping, then each store stopped, then stopped"
        );
        let restarts = events
            .iter()
            .filter(|e| e.event_id == EventId::ChildRestarting.code())
            .count();
        assert_eq!(
            restarts, 2,
            "only the crashes restart: an outage is not a crash"
        );
        assert_eq!(
            codes
                .iter()
                .filter(|c| **c == EventId::FolderUnavailable.code())
                .count(),
            1,
            "one event when the outage starts, none per retry"
        );
    }
}
