//! The control-flow runtime (crate `ssisd-runtime`, above the package model of `ssisd-engine`): runs a loaded, validated package — containers (package,
//! Sequence, For Loop, Foreach Loop), precedence constraints, concurrency up to
//! MaxConcurrentExecutables, variables and property expressions, event handlers, tasks —
//! reporting everything as [`RunEvent`]s to an [`EventSink`] and honouring a
//! [`CancelToken`]. This file owns the public entry ([`run_package`], [`RunOptions`]); each
//! concern is its own file. The runtime must not print, parse command lines, or apply
//! `/Set`-style overrides (that is `ssisd_engine::validate`, done before the run).

mod assign;
pub mod cancel;
pub mod child_host;
pub mod connections;
pub mod constraints;
pub mod error;
pub mod event_stream;
pub mod events;
mod for_loop;
pub mod foreach;
mod handlers;
mod host;
pub mod limiter;
pub mod node;
pub mod object_value;
pub mod paths;
pub mod process;
pub mod properties;
pub mod resolver;
mod runtime;
mod scheduler;
pub mod setup;
mod task_host;
pub mod tasks;
pub mod validate;
pub mod variables;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ssisd_engine::project::Project;

pub use cancel::{cancel_on_signals, CancelToken};
pub use error::RunError;
pub use event_stream::{EventStream, Target as EventStreamTarget};
pub use events::{EventBody, EventSink, Level, RunEvent};
pub use object_value::{ObjectValue, ResultSet};
pub use resolver::{PackageResolver, ResolveError, StoredPackageRequest};
pub use runtime::{run_package, RunOutcome};

/// How to run a package.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `/M[axConcurrent]`; `None` uses the package's MaxConcurrentExecutables.
    pub max_concurrent: Option<i32>,
    /// The file the package came from (Execute Package resolves relative paths from it).
    pub package_file: Option<PathBuf>,
    /// Between SIGTERM and SIGKILL when stopping child processes.
    pub kill_grace: Duration,
    /// Trips the run's cancellation (signals, the service, a parent package).
    pub cancel: CancelToken,
    /// Fetches child packages stored in SQL Server for Execute Package tasks; without one
    /// such children are refused.
    pub package_resolver: Option<Arc<dyn PackageResolver>>,
    /// The project the package belongs to (`dtexec /Project`, a deployed project): Execute
    /// Package tasks with a project reference take their child from it.
    pub project: Option<Arc<Project>>,
    /// Folders where Execute Package looks, in order, for a child package file that is not
    /// where its reference says (`/PackagePath`, then `SSISD_PACKAGE_PATH`).
    pub package_path: Vec<PathBuf>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_concurrent: None,
            package_file: None,
            kill_grace: Duration::from_secs(5),
            cancel: CancelToken::new(),
            package_resolver: None,
            project: None,
            package_path: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
