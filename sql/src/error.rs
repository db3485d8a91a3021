//! What can go wrong below a connection manager, as typed errors whose messages say what, where
//! and what to do: connecting ([`ConnectError`]: the server or ODBC target named, the reason
//! classified — unreachable, login refused, driver not installed with the Debian package that
//! brings it…), and reading or running statements ([`QueryError`]: the driver's message with
//! its SQLSTATE or SQL Server error number). Callers add the connection manager's and the
//! task's or component's names. This module only words and classifies; it must not retry.

use std::time::Duration;

use crate::browser::BrowserError;
use crate::secret::PasswordError;
use crate::server_name::ServerNameError;

/// Debian packages of the usual ODBC drivers, for messages about a missing driver.
pub const DEBIAN_DRIVER_PACKAGES: &str = "odbc-postgresql (\"PostgreSQL Unicode\"), libsqliteodbc (\"SQLite3\"), odbc-mariadb (\"MariaDB Unicode\"), or msodbcsql18 from Microsoft's package repository (\"ODBC Driver 18 for SQL Server\")";

/// Why a connection could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("SQL Server \"{server}\": {source}")]
    ServerName {
        server: String,
        source: ServerNameError,
    },
    #[error("SQL Server \"{server}\": {source}")]
    Browser {
        server: String,
        source: BrowserError,
    },
    #[error("SQL Server \"{server}\": no answer from {address} within {} ms", .wait.as_millis())]
    NoAnswer {
        server: String,
        address: String,
        wait: Duration,
    },
    #[error("SQL Server \"{server}\": cannot connect to {address}: {message}")]
    Unreachable {
        server: String,
        address: String,
        message: String,
    },
    #[error("SQL Server \"{server}\": {address} answers, but no login is given: give a SQL Server login (User ID and Password; Windows authentication is not available on Linux)")]
    NoLogin { server: String, address: String },
    #[error("SQL Server \"{server}\": {source}")]
    Password {
        server: String,
        source: PasswordError,
    },
    #[error(
        "SQL Server \"{server}\": {}",
        crate::tds::settings::INTEGRATED_SECURITY_REFUSED
    )]
    Integrated { server: String },
    #[error("SQL Server \"{server}\": login to {address} took more than {} ms", .wait.as_millis())]
    LoginTimeout {
        server: String,
        address: String,
        wait: Duration,
    },
    #[error("SQL Server \"{server}\": login to {address}{} refused: error {code}: {message}", database.as_deref().map(|d| format!(" (database \"{d}\")")).unwrap_or_default())]
    LoginRefused {
        server: String,
        address: String,
        database: Option<String>,
        code: u32,
        message: String,
    },
    #[error("SQL Server \"{server}\": cannot log in to {address}: {message}")]
    Login {
        server: String,
        address: String,
        message: String,
    },
    #[error("SQL Server \"{server}\": the server redirected the login more than once")]
    Redirects { server: String },
    #[error("the ODBC connection string names neither a Driver nor a DSN: give Driver={{…}} with the name of an installed driver (odbcinst -q -d lists them) or DSN=… of a data source in /etc/odbc.ini")]
    OdbcNoTarget,
    #[error("the ODBC driver \"{driver}\" is not installed ({}): install the package that brings it — on Debian {DEBIAN_DRIVER_PACKAGES} — or name an installed driver", known_drivers(.installed))]
    OdbcDriverNotInstalled {
        driver: String,
        installed: Vec<String>,
    },
    #[error("the ODBC data source \"{dsn}\" is not defined in /etc/odbc.ini or ~/.odbc.ini ({}): define it there, or give Driver={{…}} and the server in the connection string instead", known_sources(.defined))]
    OdbcDataSourceNotFound { dsn: String, defined: Vec<String> },
    #[error("the ODBC driver \"{driver}\" is registered but its library cannot be loaded: {message}; reinstall the driver's package (on Debian {DEBIAN_DRIVER_PACKAGES})")]
    OdbcDriverLibrary { driver: String, message: String },
    #[error("ODBC connection to {target} failed: {message}")]
    Odbc { target: String, message: String },
    #[error("the ODBC driver manager cannot start: {0}")]
    OdbcEnvironment(String),
}

fn known_drivers(installed: &[String]) -> String {
    if installed.is_empty() {
        "no ODBC driver is installed in /etc/odbcinst.ini".into()
    } else {
        format!("installed: {}", installed.join(", "))
    }
}

fn known_sources(defined: &[String]) -> String {
    if defined.is_empty() {
        "none is defined".into()
    } else {
        format!("defined: {}", defined.join(", "))
    }
}

impl ConnectError {
    /// True when the server or driver could not be reached at all (as opposed to a refused
    /// login or a configuration mistake): the case an outage policy retries.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            ConnectError::NoAnswer { .. }
                | ConnectError::Unreachable { .. }
                | ConnectError::Browser { .. }
                | ConnectError::LoginTimeout { .. }
        )
    }
}

/// Why a statement or a read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The database refused or failed the statement: its message, with the SQLSTATE (ODBC) or
    /// the error number (SQL Server).
    #[error("{message}")]
    Database { message: String },
    /// The connection broke while the statement ran.
    #[error("the connection was lost: {message}")]
    ConnectionLost { message: String },
    /// A value could not become the column's DT_* type.
    #[error("column \"{column}\" ({data_type}): {message}")]
    Conversion {
        column: String,
        data_type: String,
        message: String,
    },
}

/// An ODBC error as one line: the driver's message and SQLSTATE (diagnostics), or odbc-api's
/// own description.
pub fn odbc_message(e: &odbc_api::Error) -> String {
    match e {
        odbc_api::Error::Diagnostics { record, .. } => {
            let text = String::from_utf8_lossy(&record.message).trim().to_string();
            format!("{text} (SQLSTATE {})", record.state.as_str())
        }
        other => other.to_string(),
    }
}

/// The SQLSTATE of an ODBC error, when it carries diagnostics.
pub fn odbc_state(e: &odbc_api::Error) -> Option<String> {
    match e {
        odbc_api::Error::Diagnostics { record, .. } => Some(record.state.as_str().to_string()),
        _ => None,
    }
}

impl From<odbc_api::Error> for QueryError {
    fn from(e: odbc_api::Error) -> QueryError {
        let message = odbc_message(&e);
        // Class 08: connection exceptions.
        if odbc_state(&e).is_some_and(|s| s.starts_with("08")) {
            QueryError::ConnectionLost { message }
        } else {
            QueryError::Database { message }
        }
    }
}

impl From<tiberius::error::Error> for QueryError {
    fn from(e: tiberius::error::Error) -> QueryError {
        use tiberius::error::Error as E;
        match e {
            E::Server(t) => QueryError::Database {
                message: format!(
                    "{} (SQL Server error {}, severity {})",
                    t.message(),
                    t.code(),
                    t.class()
                ),
            },
            E::Io { .. } | E::Tls(_) | E::Routing { .. } | E::Protocol(_) => {
                QueryError::ConnectionLost {
                    message: e.to_string(),
                }
            }
            other => QueryError::Database {
                message: other.to_string(),
            },
        }
    }
}
