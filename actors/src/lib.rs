//! The actors of the ssisd service on the actix runtime: the [`supervisor::Supervisor`] and its
//! children — the [`event_log::EventLog`], the [`history::History`], the
//! [`scheduler::Scheduler`], one [`store::StoreActor`] per top-level folder and one [`package::PackageActor`] per run —
//! with the OTP-style supervision rules they live by, the contract every child meets
//! ([`child`]) and the [`directory::Directory`] where callers find them. Adding an actor type
//! is one new file here (the actor, its messages, its settings section, its
//! [`child::ActorType`]) plus one line in the binary's actor table. This crate must not know
//! about HTTP, configuration files or signals: the binary turns those into messages.

pub mod child;
pub mod directory;
pub mod event_log;
pub mod executor;
pub mod history;
pub mod metrics;
pub mod package;
pub mod run_metrics;
pub mod run_request;
pub mod scheduler;
mod sqlite;
pub mod stop_broadcast;
pub mod store;
pub mod stream_seen;
pub mod supervision;
pub mod supervisor;

pub use child::{
    ActorEntry, ActorType, ChildEnv, ChildSpec, Phase, ServicePlan, SupervisionSettings,
};
pub use directory::{Directory, FolderHealth, FolderStatus};
pub use event_log::EventLogSettings;
pub use event_log::{Event, EventId, EventLogClient, EventQuery, Level, NewEvent};
pub use metrics::{MetricSet, Metrics};
pub use supervisor::{ReloadSummary, Shutdown, Supervisor};
