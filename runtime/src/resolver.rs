//! The hook through which a run reaches child packages stored outside the file system: an
//! Execute Package task whose child lives in SQL Server (msdb) names an OLE DB connection
//! manager and a package path (`\Folder\Package`); the run asks the [`PackageResolver`] that
//! its host (the `dtexec` binary) gave in `RunOptions` to fetch it into a local file, which is
//! then loaded and run like any other child. It owns the request shape only; the engine must
//! not open any store itself, so without a resolver such children are refused.

use std::path::PathBuf;

use super::CancelToken;

/// A child package stored in SQL Server, as the Execute Package task describes it.
#[derive(Debug, Clone)]
pub struct StoredPackageRequest {
    /// The OLE DB connection manager's name.
    pub connection: String,
    /// Its effective connection string (server, login; `/Conn` and `/Set` applied).
    pub connection_string: String,
    /// The package path from the msdb root, e.g. `\MiddleOffice\LoadOrders`.
    pub package_path: String,
    /// The run's cancellation: a fetch gives up as soon as it trips.
    pub cancel: CancelToken,
}

/// Why a stored package could not be fetched for a run.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The store could not be reached or read, or has no such package: its own words.
    #[error(transparent)]
    Store(Box<dyn std::error::Error + Send + Sync>),
    #[error(
        "the package was fetched but cannot be kept in a private directory under {dir}: {source}"
    )]
    Keep {
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

/// Fetches stored child packages for a run. Called from the run's threads; an implementation
/// may block (it runs outside any async runtime) but should give up in bounded time.
pub trait PackageResolver: Send + Sync {
    /// Fetches the package and returns a local file holding it, kept at least until the run
    /// ends. The error says what failed and what to do.
    fn fetch_msdb(&self, request: &StoredPackageRequest) -> Result<PathBuf, ResolveError>;
}

impl std::fmt::Debug for dyn PackageResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PackageResolver")
    }
}
