//! How msdb failures become [`StoreError`]s: a server that cannot be reached, a TLS or login
//! failure, or a lost connection makes the folder *unavailable* (the store actor then retries);
//! an error the server raises for one request (permission, constraint) is about that request
//! only. This module only classifies; it must not retry or log.

use std::io;

use crate::error::StoreError;

/// The folder cannot be served now.
pub fn unavailable(server: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("SQL Server \"{server}\": {why}"))
}

/// True when a driver error means the connection (not the request) is unusable.
pub fn is_connection_error(e: &tiberius::error::Error) -> bool {
    use tiberius::error::Error as E;
    matches!(
        e,
        E::Io { .. } | E::Tls(_) | E::Routing { .. } | E::Protocol(_)
    )
}

/// A driver error met while working on `object` (a folder or package path).
pub fn sql_error(server: &str, object: &str, e: tiberius::error::Error) -> StoreError {
    use tiberius::error::Error as E;
    match &e {
        _ if is_connection_error(&e) => unavailable(server, format!("connection lost: {e}")),
        E::Server(t) => {
            let kind = match t.code() {
                // Permission denied on an object, or the procedures' own role checks.
                229 | 230 | 262 | 14307 | 14586 | 14591 => io::ErrorKind::PermissionDenied,
                _ => io::ErrorKind::Other,
            };
            if t.code() == 2812 {
                // "Could not find stored procedure": the schema went away under us.
                return unavailable(
                    server,
                    format!("the SSIS package procedures are missing: {}", t.message()),
                );
            }
            StoreError::Io {
                action: "SQL Server refused the request on",
                path: object.into(),
                source: io::Error::new(
                    kind,
                    format!(
                        "error {} (severity {}): {}",
                        t.code(),
                        t.class(),
                        t.message()
                    ),
                ),
            }
        }
        _ => StoreError::Io {
            action: "SQL Server request failed on",
            path: object.into(),
            source: io::Error::other(e.to_string()),
        },
    }
}
