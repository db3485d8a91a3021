//! A database component's connection: which connection manager its slot names, which driver
//! runs it (ssisd-sql's `route`: SQL Server's providers through TDS, MSDASQL / ODBC managers /
//! System.Data.Odbc through the ODBC driver manager, anything else refused with the override
//! that works), and opening it. ODBC connections are blocking and live on the component's own
//! threads (pre-execute on the task's thread, rows on the component's). A SQL Server
//! connection gets a small current-thread tokio runtime of its own, driven with `block_on`
//! from those same threads — never from an executor another task shares. Every message names
//! the connection manager and the server or ODBC target (no password). It must not run
//! statements.

use std::time::Duration;

use ssisd_sql::odbc::OdbcConnection;
use ssisd_sql::tds::TdsClient;
use ssisd_sql::{route, ConnectError, Route, RouteError};

use crate::codes;
use crate::component::PrepareContext;
use crate::error::PipelineError;
use crate::host::ConnectionSpec;

/// How long a login may take unless the connection string says otherwise.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The connection manager of a component's slot and the driver that runs it.
#[derive(Debug, Clone)]
pub struct Target {
    pub manager: String,
    pub route: Route,
}

impl Target {
    /// The manager in `slot` (the first slot when the package names another), routed.
    pub fn resolve(ctx: &PrepareContext<'_>, slot: &str) -> Result<Target, PipelineError> {
        let named = ctx
            .component
            .connections
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(slot));
        let spec = ctx.connection(if named { slot } else { "" })?;
        Target::from_spec(&spec)
            .map_err(|e| ctx.error(codes::INDIVIDUAL_VALIDATION_FAILED, e.to_string()))
    }

    /// Routes a connection manager.
    fn from_spec(spec: &ConnectionSpec) -> Result<Target, RouteError> {
        let route = route(&spec.name, &spec.creation_name, &spec.connection_string)?;
        Ok(Target {
            manager: spec.name.clone(),
            route,
        })
    }

    /// `connection manager "Sales" (ODBC driver "PostgreSQL Unicode", server 127.0.0.1:5432,
    /// database "dw")`.
    pub fn describe(&self) -> String {
        format!(
            "connection manager \"{}\" ({})",
            self.manager,
            self.route.describe()
        )
    }

    /// Whether identifiers are quoted with brackets (SQL Server over TDS).
    pub fn is_tds(&self) -> bool {
        matches!(self.route, Route::Tds(_))
    }
}

/// A SQL Server connection with the runtime that drives it.
pub struct TdsSession {
    pub runtime: tokio::runtime::Runtime,
    pub client: TdsClient,
}

impl TdsSession {
    /// Runs `f` on the session's runtime (from a plain thread).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

/// An open connection.
pub enum Session {
    Odbc(OdbcConnection),
    Tds(Box<TdsSession>),
}

/// A connection that cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The driver or server refused (ssisd-sql says why and what to do).
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("cannot start the SQL Server client's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// The runtime a SQL Server connection is driven by.
fn tds_runtime() -> Result<tokio::runtime::Runtime, OpenError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(OpenError::Runtime)
}

/// Opens `target` (blocking; call from a component's thread, never from an async task).
pub fn open(target: &Target) -> Result<Session, OpenError> {
    match &target.route {
        Route::Odbc(t) => Ok(Session::Odbc(ssisd_sql::odbc::connect(
            t,
            Some(LOGIN_TIMEOUT),
        )?)),
        Route::Tds(settings) => {
            let runtime = tds_runtime()?;
            let client = runtime.block_on(ssisd_sql::tds::connect(settings))?;
            Ok(Session::Tds(Box::new(TdsSession { runtime, client })))
        }
    }
}

/// The error of a connection that could not be opened.
pub fn connect_error(
    ctx: &PrepareContext<'_>,
    target: &Target,
    e: &dyn std::fmt::Display,
) -> PipelineError {
    ctx.error(
        codes::CANNOT_ACQUIRE_CONNECTION,
        format!(
            "cannot connect through {}: {e} ({})",
            target.describe(),
            codes::hex(codes::CANNOT_ACQUIRE_CONNECTION)
        ),
    )
}
