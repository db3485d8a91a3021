//! The Store actor: one per top-level folder of the configuration. It opens its folder's
//! [`PackageStore`] — a File System directory (off the actor's thread) or an msdb database
//! (async I/O) — serves package and folder operations as [`StoreOp`] messages whose futures run
//! concurrently, and probes its store's health.
//!
//! A store that cannot be used is an *outage*, not a crash, whatever its kind: a File System
//! root that is missing or is not the store any more (an unmounted file system, a directory
//! renamed away), an msdb server that cannot be reached. The actor stays alive, shows
//! `unavailable` with the reason, answers requests with it (503), probes again with capped
//! exponential back-off (200 ms to 1 s), and records one event when the outage starts (1014)
//! and one when the store is back (1015). A store that can be read but not written (a
//! read-only mount, an immutable directory) is `read-only` (1016): reads are served, writes
//! answer 503 with the reason, and the same probes notice when it is writable again. Outages
//! never use up the supervisor's restart intensity, which is for crashes (a panic in a
//! handler). It must not know about HTTP or configuration files.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use futures_util::future::BoxFuture;
use ssisd_stores::{
    FileSystemStore, FolderLocation, FolderSpec, MsdbStore, PackageStore, RootPolicy, StoreError,
};

use crate::child::{register, ActorType, ChildEnv, ChildSpec, Phase, ServicePlan};
use crate::directory::{Directory, FolderHealth};
use crate::event_log::{EventId, NewEvent};
use crate::supervision::{ExitWatch, RestartType, StopChild};

/// Stores must always be there: restarted whenever they end unexpectedly.
pub const RESTART: RestartType = RestartType::Permanent;

/// First probe after an outage starts; the delay doubles up to [`OUTAGE_RETRY_MAX`].
pub const OUTAGE_RETRY_INITIAL: Duration = Duration::from_millis(200);
/// Longest wait between two probes of a store that is not fully usable (keeps recovery under
/// two seconds).
pub const OUTAGE_RETRY_MAX: Duration = Duration::from_secs(1);
/// Longest interval between two health checks of a usable store (an idle outage is noticed
/// within it).
pub const HEALTH_CHECK_MAX: Duration = Duration::from_secs(1);

/// The delay before probe `attempt` (0-based) of an outage.
pub fn outage_retry_delay(attempt: u32) -> Duration {
    OUTAGE_RETRY_INITIAL
        .saturating_mul(1u32 << attempt.min(16))
        .min(OUTAGE_RETRY_MAX)
}

/// What is wrong with the store now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    /// Nothing can be served.
    Outage,
    /// Reads are served, writes are refused.
    ReadOnly,
}

/// A store that is not fully usable.
struct Degraded {
    trouble: Trouble,
    reason: String,
    since: Instant,
    attempts: u32,
}

/// What one open or probe found.
enum Probe {
    Opened(Arc<dyn PackageStore>),
    Usable,
    Trouble(Trouble, String),
}

pub struct StoreActor {
    spec: FolderSpec,
    store: Option<Arc<dyn PackageStore>>,
    watch: ExitWatch,
    env: ChildEnv,
    /// An open or a probe is in flight.
    probing: bool,
    degraded: Option<Degraded>,
    ever_usable: bool,
    next_probe: Option<SpawnHandle>,
}

impl StoreActor {
    pub fn new(spec: FolderSpec, watch: ExitWatch, env: ChildEnv) -> Self {
        StoreActor {
            spec,
            store: None,
            watch,
            env,
            probing: false,
            degraded: None,
            ever_usable: false,
            next_probe: None,
        }
    }

    /// Opens the store when it is not open, else checks it; then records what was found and
    /// schedules the next probe.
    fn probe(&mut self, ctx: &mut Context<Self>) {
        if self.probing {
            return;
        }
        self.probing = true;
        if let Some(h) = self.next_probe.take() {
            ctx.cancel_future(h);
        }
        let work: BoxFuture<'static, Probe> = match self.store.clone() {
            None => {
                let (spec, roots) = (self.spec.clone(), self.env.plan.known_store_roots.clone());
                Box::pin(async move {
                    match open_store(spec, roots).await {
                        Ok(store) => Probe::Opened(store),
                        Err(e) => trouble_of(e),
                    }
                })
            }
            Some(store) => Box::pin(async move {
                match store.check().await {
                    Ok(()) => Probe::Usable,
                    Err(e) => trouble_of(e),
                }
            }),
        };
        ctx.spawn(work.into_actor(self).map(|found, act, ctx| {
            act.probing = false;
            match found {
                Probe::Opened(store) => {
                    act.store = Some(store);
                    // Opened: check at once whether it can also be written.
                    act.probe(ctx);
                    return;
                }
                Probe::Usable => act.usable(),
                Probe::Trouble(trouble, reason) => act.trouble(trouble, reason),
            }
            act.schedule(ctx);
        }));
    }

    /// Plans the next probe: soon (with back-off) while degraded, at the health interval when
    /// usable.
    fn schedule(&mut self, ctx: &mut Context<Self>) {
        let delay = match &self.degraded {
            Some(d) => outage_retry_delay(d.attempts),
            None => {
                let every = self.env.plan.supervision.health_check_interval;
                if every == Duration::ZERO {
                    return;
                }
                every.min(HEALTH_CHECK_MAX)
            }
        };
        self.next_probe = Some(ctx.run_later(delay, |act, ctx| {
            act.next_probe = None;
            act.probe(ctx);
        }));
    }

    fn usable(&mut self) {
        self.env
            .directory
            .set_health(&self.spec.name, FolderHealth::Available);
        let event = match self.degraded.take() {
            Some(d) => NewEvent::new(
                EventId::FolderRecovered,
                format!(
                    "Top-level folder \"{}\" is available again ({}) after {:.1} s {}.",
                    self.spec.name,
                    self.spec.location_text(),
                    d.since.elapsed().as_secs_f64(),
                    match d.trouble {
                        Trouble::Outage => "unavailable",
                        Trouble::ReadOnly => "read-only",
                    }
                ),
            )
            .field("outage_ms", d.since.elapsed().as_millis() as u64)
            .field("attempts", d.attempts),
            None if !self.ever_usable => NewEvent::new(
                EventId::FolderStarted,
                format!(
                    "Top-level folder \"{}\" is available ({}).",
                    self.spec.name,
                    self.spec.location_text()
                ),
            ),
            None => return,
        };
        self.ever_usable = true;
        self.env.events.emit(
            event
                .field("folder", self.spec.name.clone())
                .field("kind", self.spec.kind()),
        );
    }

    /// The store cannot be used, or only read: show why, record the change once, and keep
    /// probing.
    fn trouble(&mut self, trouble: Trouble, reason: String) {
        if trouble == Trouble::Outage {
            self.store = None;
        }
        let health = match trouble {
            Trouble::Outage => FolderHealth::Unavailable(format!("unavailable: {reason}")),
            Trouble::ReadOnly => FolderHealth::ReadOnly(reason.clone()),
        };
        self.env.directory.set_health(&self.spec.name, health);
        match &mut self.degraded {
            Some(d) if d.trouble == trouble => {
                d.attempts += 1;
                d.reason = reason;
                return;
            }
            Some(d) => {
                d.trouble = trouble;
                d.reason = reason.clone();
                d.attempts = 0;
            }
            None => {
                self.degraded = Some(Degraded {
                    trouble,
                    reason: reason.clone(),
                    since: Instant::now(),
                    attempts: 0,
                });
            }
        }
        let (id, text) = match trouble {
            Trouble::Outage => (
                EventId::FolderUnavailable,
                format!(
                    "Top-level folder \"{}\" is unavailable: {reason}. Retrying in the background; the other folders keep working.",
                    self.spec.name
                ),
            ),
            Trouble::ReadOnly => (
                EventId::FolderReadOnly,
                format!(
                    "Top-level folder \"{}\" is read-only: {reason}. Packages can be listed and exported; changes are refused until it is writable again, which is checked in the background.",
                    self.spec.name
                ),
            ),
        };
        tracing::warn!(folder = %self.spec.name, "{text}");
        self.env.events.emit(
            NewEvent::new(id, text)
                .field("folder", self.spec.name.clone())
                .field("kind", self.spec.kind())
                .field("reason", reason),
        );
    }

    /// What requests are told while the store is not open.
    fn not_open_reason(&self) -> String {
        match &self.degraded {
            Some(d) => d.reason.clone(),
            None => "the store is not open yet; retry in a moment".into(),
        }
    }
}

/// Sorts a failed open or check into what it means for the folder.
fn trouble_of(e: StoreError) -> Probe {
    match e {
        StoreError::ReadOnly(why) => Probe::Trouble(Trouble::ReadOnly, why),
        StoreError::Unavailable(why) => Probe::Trouble(Trouble::Outage, why),
        other => Probe::Trouble(Trouble::Outage, other.to_string()),
    }
}

/// Opens the store a folder specification describes (file work on the blocking pool, msdb
/// work as async I/O).
async fn open_store(
    spec: FolderSpec,
    known_roots: Option<std::path::PathBuf>,
) -> Result<Arc<dyn PackageStore>, StoreError> {
    match spec.location {
        FolderLocation::FileSystem { store_path, create } => {
            tokio::task::spawn_blocking(move || {
                let policy = RootPolicy {
                    create,
                    known_roots,
                };
                FileSystemStore::open(store_path, &policy)
                    .map(|s| Arc::new(s) as Arc<dyn PackageStore>)
            })
            .await
            .unwrap_or_else(|e| Err(StoreError::Unavailable(e.to_string())))
        }
        FolderLocation::SqlServer(settings) => MsdbStore::open(settings)
            .await
            .map(|s| Arc::new(s) as Arc<dyn PackageStore>),
    }
}

impl Actor for StoreActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.probe(ctx);
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
                // A request that finds the store gone or read-only starts the outage now
                // rather than at the next health check.
                if result.as_ref().is_err_and(StoreError::is_outage) {
                    act.probe(ctx);
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

/// The directory key of the store of top-level folder `name`.
pub fn key(name: &str) -> String {
    format!("store:{name}")
}

/// The current store actor of top-level folder `name` (as the directory spells it).
pub fn address(directory: &Directory, name: &str) -> Option<Addr<StoreActor>> {
    directory.lookup(&key(name))
}

impl ActorType for StoreActor {
    /// Stores follow the `[[folder]]` list, which the directory and the API share: the plan's
    /// `folders`.
    const SECTION: Option<&'static str> = None;
    type Settings = ();

    /// One store per top-level folder.
    fn children(_: &(), plan: &ServicePlan) -> Vec<ChildSpec> {
        plan.folders
            .iter()
            .map(|spec| {
                let spec = spec.clone();
                let key = key(&spec.name);
                ChildSpec {
                    key: key.clone(),
                    phase: Phase::Serve,
                    restart: RESTART,
                    fingerprint: format!("{spec:?}"),
                    folder: Some(spec.name.clone()),
                    start: Box::new(move |watch: ExitWatch, env: &ChildEnv| {
                        register(
                            env,
                            &key,
                            StoreActor::new(spec.clone(), watch, env.clone()).start(),
                        )
                    }),
                }
            })
            .collect()
    }
}
