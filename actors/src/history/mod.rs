//! The History actor: the service's execution history (SSISDB's executions, messages,
//! executable statistics and data-flow rows) in an SQLite database beside the event log
//! ([`db`]), with the catalog's statuses, message types and logging levels ([`model`]). It
//! hears of runs through run notices (every Package actor tells the run observers in the
//! directory when its run begins and ends), reads each live run's event stream from the
//! offset it stored — so nothing is stored twice or lost across restarts and kills — and, when
//! it starts, completes the executions that ended while it was down from their outcome
//! (`outcome.json`) or their stream. It owns `[history]` (default logging level, retention by
//! age and count). The API reads through [`HistoryClient::db`]. It must not know about HTTP or
//! configuration files, and never blocks in a handler.

pub mod db;
pub mod model;
pub mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use actix::prelude::*;
use chrono::Utc;
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use ssisd_engine::run_protocol::{
    process_start_time, stream::Record, OutcomeRecord, RunState, OUTCOME_FILE, STATE_FILE,
};

pub use db::{Ending, HistoryDb, HistoryError, Live, NewExecution};
pub use model::{ExecutionQuery, LoggingLevel, Status};

use crate::child::{
    register, ActorType, ChildEnv, ChildSpec, Phase, ServicePlan, Settings, SettingsContext,
    SettingsError,
};
use crate::directory::Directory;
use crate::package::{RunNotice, RunObserver};
use crate::supervision::{ExitWatch, RestartType, StopChild};

/// The history must always be there.
pub const RESTART: RestartType = RestartType::Permanent;
pub const KEY: &str = "history";
/// The database below the data directory.
pub const FILE: &str = "history.db";
/// How often live runs' streams are read.
const READ_EVERY: Duration = Duration::from_millis(500);
/// How often retention runs.
const RETAIN_EVERY: Duration = Duration::from_secs(600);
/// Most bytes of one stream read at a time.
const READ_CHUNK: u64 = 4 << 20;

/// `[history]`: the History actor's own settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistorySettings {
    /// What runs record unless they ask otherwise: `none`, `basic`, `performance`, `verbose`.
    pub logging_level: LoggingLevel,
    /// Executions started longer ago are removed (0: no age limit). The catalog's
    /// RETENTION_WINDOW, 365 days by default.
    pub retention_days: u32,
    /// Most executions kept; the oldest ended ones are removed first.
    pub max_executions: u64,
}

impl Default for HistorySettings {
    fn default() -> Self {
        HistorySettings {
            logging_level: LoggingLevel::Basic,
            retention_days: 365,
            max_executions: 100_000,
        }
    }
}

impl Settings for HistorySettings {
    fn check(&mut self, section: &str, _: &SettingsContext) -> Result<(), SettingsError> {
        if self.max_executions == 0 {
            return Err(SettingsError::new(
                format!("{section}.max_executions"),
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

impl ActorType for History {
    const SECTION: Option<&'static str> = Some("history");
    type Settings = HistorySettings;

    /// One history, in the Record phase: up before runs start and stopped after everything
    /// that could still report to it.
    fn children(settings: &HistorySettings, plan: &ServicePlan) -> Vec<ChildSpec> {
        let path = plan.data_file(FILE);
        let settings = settings.clone();
        vec![ChildSpec {
            key: KEY.into(),
            phase: Phase::Record,
            restart: RESTART,
            fingerprint: format!("{}|{settings:?}", path.display()),
            folder: None,
            start: Box::new(move |watch: ExitWatch, env: &ChildEnv| {
                let counts = env.metrics.get::<writer::Counts>();
                let addr = History::new(path.clone(), settings.clone(), watch, counts).start();
                env.directory
                    .add_run_observer(KEY, RunObserver(addr.clone().recipient()));
                register(env, KEY, addr)
            }),
        }]
    }
}

pub struct History {
    path: PathBuf,
    settings: HistorySettings,
    db: Option<HistoryDb>,
    live: HashMap<String, Live>,
    reading: bool,
    watch: ExitWatch,
    /// What the writer commits (the service's metrics).
    counts: writer::Counts,
}

impl History {
    pub fn new(
        path: PathBuf,
        settings: HistorySettings,
        watch: ExitWatch,
        counts: writer::Counts,
    ) -> Self {
        History {
            path,
            settings,
            db: None,
            live: HashMap::new(),
            reading: false,
            watch,
            counts,
        }
    }

    fn retain(&self) {
        let Some(db) = self.db.clone() else { return };
        let days = self.settings.retention_days;
        let keep = self.settings.max_executions;
        let older = (days > 0).then(|| Utc::now() - chrono::Duration::days(i64::from(days)));
        let removing = db.retain(older, keep);
        actix::spawn(async move {
            if let Err(e) = removing.await {
                tracing::error!(error = %e, "execution history retention failed");
            }
        });
    }

    /// Reads every live run's stream on from where it stopped.
    fn read_live(&mut self, ctx: &mut Context<Self>) {
        if self.reading || self.live.is_empty() {
            return;
        }
        let Some(db) = self.db.clone() else { return };
        self.reading = true;
        // Every live run's new records are queued at once, so they share a transaction.
        let reads = self.live.values().cloned().map(|l| follow(db.clone(), l));
        let reads = join_all(reads);
        ctx.spawn(
            async move {
                reads
                    .await
                    .into_iter()
                    .filter_map(Result::ok)
                    .collect::<Vec<_>>()
            }
            .into_actor(self)
            .map(|read, act, _| {
                act.reading = false;
                for l in read {
                    if let Some(entry) = act.live.get_mut(&l.execution_id) {
                        if l.offset > entry.offset {
                            *entry = l;
                        }
                    }
                }
            }),
        );
    }
}

/// Reads `live`'s stream on from its offset to the last complete line and stores the records;
/// answers the state reached once it is durable.
async fn follow(db: HistoryDb, live: Live) -> Result<Live, HistoryError> {
    let mut current = live;
    loop {
        let path = current.events.clone();
        let offset = current.offset;
        let (bytes, records) = tokio::task::spawn_blocking(move || {
            let (bytes, complete) = read_complete_lines(&path, offset);
            let records: Vec<Record> = complete
                .split(|b| *b == b'\n')
                .filter_map(Record::parse)
                .collect();
            (bytes, records)
        })
        .await
        .unwrap_or_default();
        if bytes == 0 {
            return Ok(current);
        }
        current = db.ingest(&current, records, offset + bytes).await?;
        // Another reader may have stored these lines first: read on from where it stopped.
        let whole = current.offset == offset + bytes;
        if whole && bytes < READ_CHUNK / 2 {
            return Ok(current);
        }
    }
}

/// The complete lines of `path` from `offset` (at most [`READ_CHUNK`] bytes, more for a line
/// longer than that): how many bytes they take and the bytes.
fn read_complete_lines(path: &Path, offset: u64) -> (u64, Vec<u8>) {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return (0, Vec::new());
    };
    if f.seek(SeekFrom::Start(offset)).is_err() {
        return (0, Vec::new());
    }
    let mut bytes = Vec::new();
    if Read::by_ref(&mut f)
        .take(READ_CHUNK)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return (0, Vec::new());
    }
    match bytes.iter().rposition(|b| *b == b'\n') {
        Some(last) => {
            bytes.truncate(last + 1);
            (bytes.len() as u64, bytes)
        }
        None => (0, Vec::new()),
    }
}

/// The status of a run whose stream said `run_result` and that no service saw end.
fn status_of_stream(run_result: Option<&str>) -> Status {
    match run_result {
        Some("success") | Some("completion") => Status::Succeeded,
        Some("failure") => Status::Failed,
        Some("canceled") => Status::Canceled,
        _ => Status::EndedUnexpectedly,
    }
}

/// An execution still open when the history starts, with what its run left.
struct Open {
    live: Live,
    outcome: Option<OutcomeRecord>,
    alive: bool,
}

/// The open executions and what their runs left. Blocking.
fn open_executions(db: &HistoryDb) -> Result<Vec<Open>, HistoryError> {
    Ok(db
        .open_executions()?
        .into_iter()
        .map(|live| {
            let outcome = live
                .events
                .parent()
                .and_then(|d| std::fs::read(d.join(OUTCOME_FILE)).ok())
                .and_then(|b| OutcomeRecord::from_json(&b));
            // A run on a cluster engine has no process here: the Supervisor re-adopts it from
            // its handle and its Package actor reports its end.
            let on_engine = live
                .events
                .parent()
                .and_then(|d| std::fs::read(d.join(STATE_FILE)).ok())
                .and_then(|b| RunState::from_json(&b))
                .is_some_and(|s| s.external_id.is_some());
            let alive = on_engine
                || live.pid.is_some_and(|pid| {
                    live.process_start != 0
                        && process_start_time(pid as i32) == Some(live.process_start)
                });
            Open {
                live,
                outcome,
                alive,
            }
        })
        .collect())
}

/// At start: completes the executions that ended while the history was down, from their
/// outcome marker or their stream; returns those still running.
async fn reconcile(db: &HistoryDb, open: Vec<Open>) -> Result<Vec<Live>, HistoryError> {
    let mut still = Vec::new();
    let mut ended = Vec::new();
    for o in open {
        if o.outcome.is_none() && o.alive {
            still.push(o.live);
        } else {
            ended.push(complete(db.clone(), o));
        }
    }
    for done in join_all(ended).await {
        done?;
    }
    Ok(still)
}

/// Reads the rest of an ended run's stream and records its ending.
async fn complete(db: HistoryDb, o: Open) -> Result<(), HistoryError> {
    let id = o.live.execution_id.clone();
    let read = follow(db.clone(), o.live).await?;
    let ending = match o.outcome {
        Some(o) => Ending {
            status: Status::of_outcome(&o.outcome),
            end_time: o.ended_at.unwrap_or_else(Utc::now),
            exit_code: o.exit_code.map(i64::from),
            exit: o.exit,
        },
        None => Ending {
            status: status_of_stream(read.run_result.as_deref()),
            end_time: Utc::now(),
            exit_code: None,
            exit: Some("ended while the service was down".into()),
        },
    };
    db.end(&id, &ending).await?;
    Ok(())
}

impl Actor for History {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let path = self.path.clone();
        let counts = self.counts.clone();
        // Notices wait until the database is open and reconciled.
        ctx.wait(
            async move {
                let opened = tokio::task::spawn_blocking(move || {
                    let db = HistoryDb::open_counted(&path, counts)?;
                    let open = open_executions(&db)?;
                    Ok::<_, HistoryError>((db, open))
                })
                .await
                .map_err(|e| HistoryError {
                    path: PathBuf::new(),
                    message: e.to_string(),
                })
                .and_then(|r| r);
                let (db, open) = opened?;
                let live = reconcile(&db, open).await?;
                Ok::<_, HistoryError>((db, live))
            }
            .into_actor(self)
            .map(|opened, act, ctx| match opened {
                Ok((db, live)) => {
                    act.db = Some(db);
                    act.live = live
                        .into_iter()
                        .map(|l| (l.execution_id.clone(), l))
                        .collect();
                    act.retain();
                    ctx.run_interval(READ_EVERY, |act, ctx| act.read_live(ctx));
                    ctx.run_interval(RETAIN_EVERY, |act, _| act.retain());
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot open the execution history");
                    act.watch.failed(e.to_string());
                    ctx.stop();
                }
            }),
        );
    }
}

impl Handler<RunNotice> for History {
    type Result = ResponseActFuture<Self, Result<(), String>>;

    /// Answered once the notice is durable.
    fn handle(&mut self, notice: RunNotice, _: &mut Context<Self>) -> Self::Result {
        let db = self.db.clone();
        let default_level = self.settings.logging_level;
        let live = match &notice {
            RunNotice::Ended(e) => self.live.remove(&e.execution_id),
            RunNotice::Began(_) => None,
        };
        Box::pin(
            async move {
                let db = db.ok_or_else(|| "the execution history is not open".to_string())?;
                match notice {
                    RunNotice::Began(b) => {
                        let level = b
                            .logging_level
                            .as_deref()
                            .and_then(LoggingLevel::parse)
                            .unwrap_or(default_level);
                        let live = db
                            .begin(NewExecution {
                                execution_id: b.execution_id,
                                package: b.package,
                                started_by: b.how,
                                caller: b.user,
                                pid: b.pid.map(i64::from),
                                process_start: b.process_start,
                                start_time: b.started_at,
                                logging_level: level,
                                sets: b.sets,
                                events: b.events,
                            })
                            .await;
                        live.map(Some).map_err(|e| e.to_string())
                    }
                    RunNotice::Ended(e) => {
                        if let Some(l) = live {
                            follow(db.clone(), l).await.map_err(|e| e.to_string())?;
                        }
                        db.end(
                            &e.execution_id,
                            &Ending {
                                status: Status::of_outcome(&e.outcome),
                                end_time: e.ended_at,
                                exit_code: e.exit_code.map(i64::from),
                                exit: Some(e.exit),
                            },
                        )
                        .await
                        .map_err(|e| e.to_string())?;
                        Ok(None)
                    }
                }
            }
            .into_actor(self)
            .map(|result, act, _| {
                let began = result?;
                if let Some(l) = began {
                    act.live.insert(l.execution_id.clone(), l);
                }
                Ok(())
            }),
        )
    }
}

/// The open database, for queries.
#[derive(Message)]
#[rtype(result = "Option<HistoryDb>")]
pub struct GetDb;

impl Handler<GetDb> for History {
    type Result = Option<HistoryDb>;

    fn handle(&mut self, _: GetDb, _: &mut Context<Self>) -> Option<HistoryDb> {
        self.db.clone()
    }
}

impl Handler<StopChild> for History {
    type Result = ResponseActFuture<Self, ()>;

    /// Stores what the live streams hold now, then stops.
    fn handle(&mut self, _: StopChild, _: &mut Context<Self>) -> Self::Result {
        self.watch.requested();
        let db = self.db.take();
        let lives: Vec<Live> = self.live.drain().map(|(_, l)| l).collect();
        Box::pin(
            async move {
                if let Some(db) = db {
                    join_all(lives.into_iter().map(|l| follow(db.clone(), l))).await;
                    db.checkpoint().await;
                }
            }
            .into_actor(self)
            .map(|_, _, ctx| ctx.stop()),
        )
    }
}

/// Reads the history through whichever History actor is current.
#[derive(Clone)]
pub struct HistoryClient {
    directory: Directory,
}

impl HistoryClient {
    pub fn new(directory: Directory) -> Self {
        HistoryClient { directory }
    }

    /// The open database, if the history runs.
    pub async fn db(&self) -> Option<HistoryDb> {
        let addr = self.directory.lookup::<History>(KEY)?;
        addr.send(GetDb).await.ok().flatten()
    }
}
