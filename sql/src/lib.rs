//! SQL connectivity for everything in ssisd that talks to a database — the msdb store, the
//! Execute SQL task, the data-flow components — one layer below the stores and the runtime.
//!
//! - [`connection_string`]: OLE DB, ADO.NET and ODBC connection strings, each read and written
//!   by its own specification's quoting rules, passwords redacted for messages.
//! - [`provider`]: which driver runs a connection manager — SQL Server's providers through TDS,
//!   ODBC ones (MSDASQL, ODBC managers, System.Data.Odbc) through unixODBC, others refused
//!   with the override that works.
//! - [`server_name`] and [`browser`]: `.`, `(local)`, `HOST\INSTANCE` through the SQL Server
//!   Browser, `HOST,PORT`, `tcp:`.
//! - [`tds`]: SQL Server settings (login, encryption and certificate trust), connecting, and
//!   reading result sets; [`odbc`]: the ODBC environment, connecting, reading, and a session
//!   for async callers.
//! - [`type_map`]: SQL Server, TDS and ODBC column types → DT_*; [`batch`]: the row batches
//!   both readers produce; [`error`]: what fails and how it is worded; [`secret`]: passwords.
//!
//! Nothing here knows packages, tasks or stores; callers add the names of their connection
//! managers and components to the errors.

pub mod batch;
pub mod browser;
pub mod connection_string;
pub mod error;
pub mod odbc;
pub mod provider;
pub mod secret;
pub mod server_name;
pub mod tds;
pub mod type_map;

pub use batch::{ColumnInfo, RowBatch, DEFAULT_BATCH_ROWS};
pub use connection_string::{ConnectionString, ConnectionStringError, Syntax};
pub use error::{ConnectError, QueryError};
pub use provider::{route, OdbcTarget, Route, RouteError};
pub use secret::{PasswordError, PasswordSource, Secret};
