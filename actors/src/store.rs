//! The Store actor: one per top-level folder of the configuration. It opens its folder's
//! [`PackageStore`] (off the actor's thread), serves package and folder operations as
//! [`StoreOp`] messages whose futures run concurrently, and checks its store's health at a
//! fixed interval; when the store cannot be opened or stops being usable, the actor stops with
//! the reason and its supervisor restarts it (permanent child, with back-off and intensity).
//! It must not know about HTTP or configuration files.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use futures_util::future::BoxFuture;
use ssisd_stores::{FileSystemStore, FolderLocation, FolderSpec, PackageStore, StoreError};

use crate::directory::FolderHealth;
use crate::event_log::{EventId, NewEvent};
use crate::supervision::{ExitWatch, RestartType, StopChild};
use crate::supervisor::{ChildEnv, ChildSpec, ServicePlan};

/// Stores must always be there: restarted whenever they end unexpectedly.
pub const RESTART: RestartType = RestartType::Permanent;

pub struct StoreActor {
    spec: FolderSpec,
    store: Option<Arc<dyn PackageStore>>,
    watch: ExitWatch,
    env: ChildEnv,
    checking: bool,
}

impl StoreActor {
    pub fn new(spec: FolderSpec, watch: ExitWatch, env: ChildEnv) -> Self {
        StoreActor {
            spec,
            store: None,
            watch,
            env,
            checking: false,
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
                    if let Err(e) = result {
                        act.fail(ctx, e.to_string());
                    }
                }),
        );
    }
}

/// Opens the store a folder specification describes. Blocking.
fn open_store(spec: &FolderSpec) -> Result<Arc<dyn PackageStore>, StoreError> {
    match &spec.location {
        FolderLocation::FileSystem { store_path } => {
            Ok(Arc::new(FileSystemStore::open(store_path, true)?))
        }
        FolderLocation::SqlServer { server } => Err(StoreError::Unavailable(format!(
            "MSDB folders (SQL Server \"{server}\") are not supported by this version yet"
        ))),
    }
}

impl Actor for StoreActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let spec = self.spec.clone();
        ctx.wait(
            async move {
                tokio::task::spawn_blocking(move || open_store(&spec))
                    .await
                    .unwrap_or_else(|e| Err(StoreError::Unavailable(e.to_string())))
            }
            .into_actor(self)
            .map(|opened, act, ctx| match opened {
                Ok(store) => {
                    act.store = Some(store);
                    act.env
                        .directory
                        .set_health(&act.spec.name, FolderHealth::Available);
                    act.env.events.emit(
                        NewEvent::new(
                            EventId::FolderStarted,
                            format!(
                                "Top-level folder \"{}\" is available ({}).",
                                act.spec.name,
                                act.spec.location_text()
                            ),
                        )
                        .field("folder", act.spec.name.clone())
                        .field("kind", act.spec.kind()),
                    );
                    let every = act.env.plan.supervision.health_check_interval;
                    if every > Duration::ZERO {
                        ctx.run_interval(every, |act, ctx| act.health_tick(ctx));
                    }
                }
                Err(e) => act.fail(ctx, e.to_string()),
            }),
        );
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
    type Result = ResponseFuture<Result<R, StoreError>>;

    fn handle(&mut self, op: StoreOp<R>, _: &mut Context<Self>) -> Self::Result {
        match self.store.clone() {
            Some(store) => Box::pin((op.0)(store)),
            None => {
                Box::pin(async { Err(StoreError::Unavailable("the store is not open".into())) })
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

/// The stores' entry in the supervisor's child table: one per File System folder. MSDB folders
/// get theirs with the MSDB store; until then they show as unavailable.
pub fn children(plan: &ServicePlan) -> Vec<ChildSpec> {
    plan.folders
        .iter()
        .filter(|spec| matches!(spec.location, FolderLocation::FileSystem { .. }))
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
