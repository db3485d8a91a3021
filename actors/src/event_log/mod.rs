//! The EventLog actor: owns the durable [`journal::Journal`] of service and package events and
//! answers appends, and [`EventLogClient`], the handle every other part uses to write events
//! without holding the actor's (restart-changing) address. Opening the database and closing it
//! run off the actor's thread. The id table lives in [`ids`].

pub mod event;
pub mod ids;
pub mod journal;
pub mod metrics;

use std::path::PathBuf;
use std::time::Duration;

use actix::prelude::*;

pub use event::{Event, EventQuery, NewEvent};
pub use ids::{EventId, Level};
pub use journal::{Journal, JournalError};
pub use metrics::EventMetrics;

use serde::{Deserialize, Serialize};

use crate::child::{
    register, ActorType, ChildEnv, ChildSpec, Phase, ServicePlan, Settings, SettingsContext,
    SettingsError,
};
use crate::directory::Directory;
use crate::supervision::{ExitWatch, RestartType, StopChild};

/// The event log's restart type: it must always be there.
pub const RESTART: RestartType = RestartType::Permanent;
const KEY: &str = "event-log";

pub struct EventLog {
    path: PathBuf,
    retention: u64,
    journal: Option<Journal>,
    watch: ExitWatch,
    metrics: EventMetrics,
}

impl EventLog {
    pub fn new(path: PathBuf, retention: u64, watch: ExitWatch, metrics: EventMetrics) -> Self {
        EventLog {
            path,
            retention,
            journal: None,
            watch,
            metrics,
        }
    }
}

impl Actor for EventLog {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let (path, retention) = (self.path.clone(), self.retention);
        // Messages wait until the database is open.
        ctx.wait(
            async move {
                tokio::task::spawn_blocking(move || Journal::open(&path, retention))
                    .await
                    .map_err(|e| JournalError::Database {
                        path: PathBuf::new(),
                        message: e.to_string(),
                    })
                    .and_then(|r| r)
            }
            .into_actor(self)
            .map(|opened, act, ctx| match opened {
                Ok(j) => act.journal = Some(j),
                Err(e) => {
                    tracing::error!(error = %e, "cannot open the event log");
                    act.watch.failed(e.to_string());
                    ctx.stop();
                }
            }),
        );
    }
}

/// Stores an event; answered once it is durable.
#[derive(Message)]
#[rtype(result = "Result<Event, JournalError>")]
pub struct Append(pub NewEvent);

impl Handler<Append> for EventLog {
    type Result = ResponseActFuture<Self, Result<Event, JournalError>>;

    fn handle(&mut self, msg: Append, _: &mut Context<Self>) -> Self::Result {
        let journal = self.journal.clone();
        Box::pin(
            async move {
                match journal {
                    Some(j) => j.append(msg.0).await,
                    None => Err(JournalError::Closed),
                }
            }
            .into_actor(self)
            .map(|result, act, ctx| {
                if let Ok(event) = &result {
                    act.metrics.stored(event.level);
                }
                if let Err(JournalError::Closed) = &result {
                    // The writer thread is gone: let the supervisor reopen the journal.
                    act.watch.failed("the event log writer stopped");
                    ctx.stop();
                }
                result
            }),
        )
    }
}

/// The open journal, for queries and live following.
#[derive(Message)]
#[rtype(result = "Option<Journal>")]
pub struct GetJournal;

impl Handler<GetJournal> for EventLog {
    type Result = Option<Journal>;

    fn handle(&mut self, _: GetJournal, _: &mut Context<Self>) -> Option<Journal> {
        self.journal.clone()
    }
}

impl Handler<StopChild> for EventLog {
    type Result = ResponseActFuture<Self, ()>;

    /// Drains: everything appended before is committed before the answer.
    fn handle(&mut self, _: StopChild, _: &mut Context<Self>) -> Self::Result {
        self.watch.requested();
        let journal = self.journal.take();
        Box::pin(
            async move {
                if let Some(j) = journal {
                    j.close().await;
                }
            }
            .into_actor(self)
            .map(|_, _, ctx| ctx.stop()),
        )
    }
}

/// The database file below the data directory.
pub const FILE: &str = "events.db";

/// `[event_log]`: the event log's own settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventLogSettings {
    /// Most events kept ("overwrite events as needed"); the oldest are removed first.
    pub retention: u64,
}

impl Default for EventLogSettings {
    fn default() -> Self {
        EventLogSettings { retention: 100_000 }
    }
}

impl Settings for EventLogSettings {
    fn check(&mut self, section: &str, _: &SettingsContext) -> Result<(), SettingsError> {
        if self.retention == 0 {
            return Err(SettingsError::new(
                format!("{section}.retention"),
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

impl ActorType for EventLog {
    const SECTION: Option<&'static str> = Some("event_log");
    type Settings = EventLogSettings;

    /// One event log, in the first phase so that every other child can write events from its
    /// first moment.
    fn children(settings: &EventLogSettings, plan: &ServicePlan) -> Vec<ChildSpec> {
        let path = plan.data_file(FILE);
        let retention = settings.retention;
        vec![ChildSpec {
            key: KEY.into(),
            phase: Phase::Journal,
            restart: RESTART,
            fingerprint: format!("{}|{retention}", path.display()),
            folder: None,
            start: Box::new(move |watch: ExitWatch, env: &ChildEnv| {
                register(
                    env,
                    KEY,
                    EventLog::new(path.clone(), retention, watch, env.metrics.get()).start(),
                )
            }),
        }]
    }
}

/// Writes events through whichever EventLog actor is current.
#[derive(Clone)]
pub struct EventLogClient {
    directory: Directory,
}

/// How long a writer waits for a restarting event log before giving up on an event.
const APPEND_PATIENCE: Duration = Duration::from_secs(5);

impl EventLogClient {
    pub fn new(directory: Directory) -> Self {
        EventLogClient { directory }
    }

    /// Stores an event, waiting (bounded) through an event-log restart. Resolves when durable.
    pub async fn append(&self, event: NewEvent) -> Result<Event, JournalError> {
        let deadline = tokio::time::Instant::now() + APPEND_PATIENCE;
        loop {
            if let Some(addr) = self.directory.lookup::<EventLog>(KEY) {
                match addr.send(Append(event.clone())).await {
                    Ok(Ok(stored)) => return Ok(stored),
                    Ok(Err(JournalError::Database { path, message })) => {
                        return Err(JournalError::Database { path, message })
                    }
                    Ok(Err(JournalError::Closed)) | Err(_) => {}
                }
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::error!(
                    event_id = event.event_id,
                    source = event.source,
                    "event log unavailable; event not stored: {}",
                    event.message
                );
                return Err(JournalError::Closed);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stores an event in the background; failures are reported through `tracing`.
    pub fn emit(&self, event: NewEvent) {
        let client = self.clone();
        actix::spawn(async move {
            let _ = client.append(event).await;
        });
    }

    /// The current journal (for queries and following), if the event log is up.
    pub async fn journal(&self) -> Option<Journal> {
        let addr = self.directory.lookup::<EventLog>(KEY)?;
        addr.send(GetJournal).await.ok().flatten()
    }
}
