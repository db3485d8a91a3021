//! The actors of the ssisd service on the actix runtime: the [`supervisor::Supervisor`] and its
//! children — the [`event_log::EventLog`], one [`store::StoreActor`] per top-level folder and
//! one [`package::PackageActor`] per run —
//! with the OTP-style supervision rules they live by and the [`directory::Directory`] where
//! callers find them. Adding an actor type is one new file here plus one line in
//! [`supervisor::CHILD_TABLE`]. This crate must not know about HTTP, configuration files or
//! signals: the binary turns those into messages.

pub mod directory;
pub mod event_log;
pub mod package;
pub mod run_request;
pub mod store;
pub mod supervision;
pub mod supervisor;

pub use directory::{Directory, FolderHealth, FolderStatus};
pub use event_log::{Event, EventId, EventLogClient, EventQuery, Level, NewEvent};
pub use supervisor::{
    EventLogSettings, ReloadSummary, ServicePlan, Shutdown, SupervisionSettings, Supervisor,
};
