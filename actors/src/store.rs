//! The Store actor: one per top-level folder of the configuration. It opens its folder's
//! [`PackageStore`] — a File System directory (off the actor's thread) or an msdb database
//! (async I/O) — serves package and folder operations as [`StoreOp`] messages whose futures run
//! concurrently, and checks its store's health at a fixed interval.
//!
//! Two failure policies. A File System store that cannot be opened or stops being usable stops
//! the actor with the reason, and its supervisor restarts it (permanent child, with back-off and
//! intensity). An msdb store whose server cannot be reached is an *outage*, not a crash: the
//! actor stays alive, shows `unavailable` with the reason, answers requests with that reason,
//! retries with capped exponential back-off, and records one event when the outage starts
//! (1014) and one when the server is back (1015) — so an outage never uses up the restart
//! intensity. It must not know about HTTP or configuration files.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use futures_util::future::BoxFuture;
use ssisd_stores::{
    FileSystemStore, FolderLocation, FolderSpec, MsdbStore, PackageStore, StoreError,
};

use crate::directory::FolderHealth;
use crate::event_log::{EventId, NewEvent};
use crate::supervision::{ExitWatch, RestartType, StopChild};
use crate::supervisor::{ChildEnv, ChildSpec, ServicePlan};

/// Stores must always be there: restarted whenever they end unexpectedly.
pub const RESTART: RestartType = RestartType::Permanent;

/// First retry after an msdb outage starts; the delay doubles up to [`OUTAGE_RETRY_MAX`].
pub const OUTAGE_RETRY_INITIAL: Duration = Duration::from_millis(200);
/// Longest wait between two reconnection attempts (keeps recovery under two seconds).
pub const OUTAGE_RETRY_MAX: Duration = Duration::from_secs(1);
/// Longest interval between two health checks of an msdb store (an idle outage is noticed
/// within it).
pub const MSDB_HEALTH_CHECK_MAX: Duration = Duration::from_secs(1);

/// The delay before reconnection attempt `attempt` (0-based) of an outage.
pub fn outage_retry_delay(attempt: u32) -> Duration {
    OUTAGE_RETRY_INITIAL
        .saturating_mul(1u32 << attempt.min(16))
        .min(OUTAGE_RETRY_MAX)
}

/// An msdb server that cannot be reached now.
struct Outage {
    reason: String,
    since: Instant,
    attempts: u32,
}

pub struct StoreActor {
    spec: FolderSpec,
    store: Option<Arc<dyn PackageStore>>,
    watch: ExitWatch,
    env: ChildEnv,
    checking: bool,
    opening: bool,
    outage: Option<Outage>,
    ever_opened: bool,
}

impl StoreActor {
    pub fn new(spec: FolderSpec, watch: ExitWatch, env: ChildEnv) -> Self {
        StoreActor {
            spec,
            store: None,
            watch,
            env,
            checking: false,
            opening: false,
            outage: None,
            ever_opened: false,
        }
    }

    /// True for stores whose unavailability is an outage to ride out (msdb).
    fn rides_out_outages(&self) -> bool {
        matches!(self.spec.location, FolderLocation::SqlServer(_))
    }

    /// Opens the store; on success the folder is available, on failure either an outage
    /// (msdb) or a stop for the supervisor to restart (File System).
    fn open(&mut self, ctx: &mut Context<Self>) {
        if self.opening {
            return;
        }
        self.opening = true;
        let spec = self.spec.clone();
        ctx.spawn(async move { open_store(spec).await }.into_actor(self).map(
            |opened, act, ctx| {
                act.opening = false;
                match opened {
                    Ok(store) => act.opened(store, ctx),
                    Err(e) if act.rides_out_outages() => act.outage(reason_of(e), ctx),
                    Err(e) => act.fail(ctx, e.to_string()),
                }
            },
        ));
    }

    fn opened(&mut self, store: Arc<dyn PackageStore>, ctx: &mut Context<Self>) {
        self.store = Some(store);
        self.env
            .directory
            .set_health(&self.spec.name, FolderHealth::Available);
        let event = match self.outage.take() {
            Some(o) => NewEvent::new(
                EventId::FolderRecovered,
                format!(
                    "Top-level folder \"{}\" is available again ({}) after {:.1} s unavailable.",
                    self.spec.name,
                    self.spec.location_text(),
                    o.since.elapsed().as_secs_f64()
                ),
            )
            .field("outage_ms", o.since.elapsed().as_millis() as u64)
            .field("attempts", o.attempts),
            None => NewEvent::new(
                EventId::FolderStarted,
                format!(
                    "Top-level folder \"{}\" is available ({}).",
                    self.spec.name,
                    self.spec.location_text()
                ),
            ),
        };
        self.env.events.emit(
            event
                .field("folder", self.spec.name.clone())
                .field("kind", self.spec.kind()),
        );
        if !self.ever_opened {
            self.ever_opened = true;
            let mut every = self.env.plan.supervision.health_check_interval;
            if self.rides_out_outages() && every > Duration::ZERO {
                every = every.min(MSDB_HEALTH_CHECK_MAX);
            }
            if every > Duration::ZERO {
                ctx.run_interval(every, |act, ctx| act.health_tick(ctx));
            }
        }
    }

    /// The msdb server cannot be reached: show why, record the start of the outage once, and
    /// try again after a back-off.
    fn outage(&mut self, reason: String, ctx: &mut Context<Self>) {
        self.store = None;
        let detail = format!("unavailable: {reason}");
        self.env
            .directory
            .set_health(&self.spec.name, FolderHealth::Unavailable(detail));
        let attempts = match &mut self.outage {
            Some(o) => {
                o.attempts += 1;
                o.reason = reason;
                o.attempts
            }
            None => {
                tracing::warn!(folder = %self.spec.name, "store unavailable: {reason}");
                self.env.events.emit(
                    NewEvent::new(
                        EventId::FolderUnavailable,
                        format!(
                            "Top-level folder \"{}\" is unavailable: {reason}. Retrying in the background; the other folders keep working.",
                            self.spec.name
                        ),
                    )
                    .field("folder", self.spec.name.clone())
                    .field("kind", self.spec.kind())
                    .field("reason", reason.clone()),
                );
                self.outage = Some(Outage {
                    reason,
                    since: Instant::now(),
                    attempts: 0,
                });
                0
            }
        };
        ctx.run_later(outage_retry_delay(attempts), |act, ctx| act.open(ctx));
    }

    /// What requests are told while the store is not open.
    fn not_open_reason(&self) -> String {
        match &self.outage {
            Some(o) => o.reason.clone(),
            None => "the store is not open".into(),
        }
    }

    fn fail(&mut self, ctx: &mut Context<Self>, why: String) {
        tracing::warn!(folder = %self.spec.name, "store failed: {why}");
        self.watch.failed(why);
        ctx.stop();
    }

    fn health_tick(&mut self, ctx: &mut Context<Self>) {
        let Some(store) = self.store.clone() else {
            return;
        };
        if self.checking {
            return;
        }
        self.checking = true;
        ctx.spawn(
            async move { store.check().await }
                .into_actor(self)
                .map(|result, act, ctx| {
                    act.checking = false;
                    match result {
                        Ok(()) => {}
                        Err(e) if act.rides_out_outages() => {
                            if act.store.is_some() {
                                act.outage(reason_of(e), ctx);
                            }
                        }
                        Err(e) => act.fail(ctx, e.to_string()),
                    }
                }),
        );
    }
}

/// The reason an error gives, without the "store unavailable" prefix the status adds itself.
fn reason_of(e: StoreError) -> String {
    match e {
        StoreError::Unavailable(why) => why,
        other => other.to_string(),
    }
}

/// Opens the store a folder specification describes (file work on the blocking pool, msdb
/// work as async I/O).
async fn open_store(spec: FolderSpec) -> Result<Arc<dyn PackageStore>, StoreError> {
    match spec.location {
        FolderLocation::FileSystem { store_path } => tokio::task::spawn_blocking(move || {
            FileSystemStore::open(store_path, true).map(|s| Arc::new(s) as Arc<dyn PackageStore>)
        })
        .await
        .unwrap_or_else(|e| Err(StoreError::Unavailable(e.to_string()))),
        FolderLocation::SqlServer(settings) => MsdbStore::open(settings)
            .await
            .map(|s| Arc::new(s) as Arc<dyn PackageStore>),
    }
}

impl Actor for StoreActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.open(ctx);
    }
}

/// The work of a [`StoreOp`]: given the store, a future of the result.
type StoreWork<R> =
    Box<dyn FnOnce(Arc<dyn PackageStore>) -> BoxFuture<'static, Result<R, StoreError>> + Send>;

/// One operation on the folder's store, run concurrently with others.
pub struct StoreOp<R>(StoreWork<R>);

impl<R> StoreOp<R> {
    pub fn new<F>(f: F) -> Self
    where
        F: FnOnce(Arc<dyn PackageStore>) -> BoxFuture<'static, Result<R, StoreError>>
            + Send
            + 'static,
    {
        StoreOp(Box::new(f))
    }
}

impl<R: 'static> Message for StoreOp<R> {
    type Result = Result<R, StoreError>;
}

impl<R: Send + 'static> Handler<StoreOp<R>> for StoreActor {
    type Result = ResponseActFuture<Self, Result<R, StoreError>>;

    fn handle(&mut self, op: StoreOp<R>, _: &mut Context<Self>) -> Self::Result {
        match self.store.clone() {
            Some(store) => Box::pin((op.0)(store).into_actor(self).map(|result, act, ctx| {
                // A request that finds the server gone starts the outage now rather than at
                // the next health check.
                if let Err(StoreError::Unavailable(_)) = &result {
                    if act.rides_out_outages() {
                        act.health_tick(ctx);
                    }
                }
                result
            })),
            None => {
                let why = self.not_open_reason();
                Box::pin(actix::fut::ready(Err(StoreError::Unavailable(why))))
            }
        }
    }
}

impl Handler<StopChild> for StoreActor {
    type Result = ResponseActFuture<Self, ()>;

    /// Records the stop in the event log, then stops; answered once the event is stored.
    fn handle(&mut self, _: StopChild, _: &mut Context<Self>) -> Self::Result {
        self.watch.requested();
        let events = self.env.events.clone();
        let event = NewEvent::new(
            EventId::FolderStopped,
            format!("Top-level folder \"{}\" was stopped.", self.spec.name),
        )
        .field("folder", self.spec.name.clone());
        Box::pin(
            async move {
                let _ = events.append(event).await;
            }
            .into_actor(self)
            .map(|_, _, ctx| ctx.stop()),
        )
    }
}

/// Makes the actor panic inside a handler, to prove panics become restarts.
#[cfg(test)]
#[derive(Message)]
#[rtype(result = "()")]
pub struct Crash;

#[cfg(test)]
impl Handler<Crash> for StoreActor {
    type Result = ();

    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("store actor crash requested by a test");
    }
}

/// The stores' entry in the supervisor's child table: one per top-level folder, File System
/// and MSDB alike.
pub fn children(plan: &ServicePlan) -> Vec<ChildSpec> {
    plan.folders
        .iter()
        .map(|spec| {
            let spec = spec.clone();
            ChildSpec {
                key: format!("store:{}", spec.name),
                restart: RESTART,
                fingerprint: format!("{spec:?}"),
                folder: Some(spec.name.clone()),
                start: Box::new(move |watch: ExitWatch, env: &ChildEnv| {
                    let addr = StoreActor::new(spec.clone(), watch, env.clone()).start();
                    env.directory.set_store(&spec.name, Some(addr.clone()));
                    addr.recipient()
                }),
            }
        })
        .collect()
}
