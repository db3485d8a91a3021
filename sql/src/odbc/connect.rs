//! Opening one ODBC connection through the driver manager, blocking (callers on an async
//! runtime use [`super::session`] or `spawn_blocking`): the connection string as
//! `SQLDriverConnect` gets it, the login time limit, and failures classified into
//! [`ConnectError`]s that say what to do — a driver that is not installed (with what is, and
//! the Debian packages), an undefined DSN, a driver library that does not load, or the
//! driver's own message with its SQLSTATE (unreachable server, refused login).

use std::time::Duration;

use odbc_api::{Connection, ConnectionOptions};

use super::environment::{defined_data_sources, environment, installed_drivers};
use crate::error::{odbc_message, odbc_state, ConnectError};
use crate::provider::OdbcTarget;

/// One open ODBC connection.
pub type OdbcConnection = Connection<'static>;

/// Opens a connection to `target`; `login_timeout` limits the login where the driver honours
/// `SQL_ATTR_LOGIN_TIMEOUT`.
pub fn connect(
    target: &OdbcTarget,
    login_timeout: Option<Duration>,
) -> Result<OdbcConnection, ConnectError> {
    if target.driver().is_none() && target.dsn().is_none() {
        return Err(ConnectError::OdbcNoTarget);
    }
    let env = environment()?;
    let options = ConnectionOptions {
        login_timeout_sec: login_timeout
            .map(|d| u32::try_from(d.as_secs().max(1)).unwrap_or(u32::MAX)),
        ..ConnectionOptions::default()
    };
    env.connect_with_connection_string(&target.connection_string(), options)
        .map_err(|e| classify(target, &e))
}

/// Whether the driver or data source `target` names is installed here, without connecting
/// (what `/VALIDATE` can check): a `Driver` must be registered (or be a library's path), a
/// lone `DSN` defined.
pub fn check_installed(target: &OdbcTarget) -> Result<(), ConnectError> {
    if let Some(driver) = target.driver() {
        if driver.contains('/') {
            return Ok(());
        }
        let installed = installed_drivers();
        if installed.iter().any(|i| i.eq_ignore_ascii_case(driver)) {
            return Ok(());
        }
        return Err(ConnectError::OdbcDriverNotInstalled {
            driver: driver.to_string(),
            installed,
        });
    }
    let Some(dsn) = target.dsn() else {
        return Err(ConnectError::OdbcNoTarget);
    };
    let defined = defined_data_sources();
    if defined.iter().any(|d| d.eq_ignore_ascii_case(dsn)) {
        Ok(())
    } else {
        Err(ConnectError::OdbcDataSourceNotFound {
            dsn: dsn.to_string(),
            defined,
        })
    }
}

/// What a failed `SQLDriverConnect` means.
fn classify(target: &OdbcTarget, e: &odbc_api::Error) -> ConnectError {
    let message = odbc_message(e);
    let state = odbc_state(e).unwrap_or_default();
    if state == "IM002" {
        if let Some(driver) = target.driver() {
            return ConnectError::OdbcDriverNotInstalled {
                driver: driver.to_string(),
                installed: installed_drivers(),
            };
        }
        if let Some(dsn) = target.dsn() {
            return ConnectError::OdbcDataSourceNotFound {
                dsn: dsn.to_string(),
                defined: defined_data_sources(),
            };
        }
    }
    if state == "01000" && message.contains("Can't open lib") {
        // unixODBC takes a Driver it does not know for the file name of a library.
        if let Some(driver) = target.driver().filter(|d| !d.contains('/')) {
            let installed = installed_drivers();
            if !installed.iter().any(|i| i.eq_ignore_ascii_case(driver)) {
                return ConnectError::OdbcDriverNotInstalled {
                    driver: driver.to_string(),
                    installed,
                };
            }
        }
        return ConnectError::OdbcDriverLibrary {
            driver: target
                .driver()
                .or(target.dsn())
                .unwrap_or_default()
                .to_string(),
            message,
        };
    }
    ConnectError::Odbc {
        target: target.describe(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_driver_that_is_not_installed_is_named_with_the_packages() {
        let t = OdbcTarget::parse("Driver={No Such Driver 9};Server=h").unwrap();
        let e = connect(&t, None).unwrap_err();
        assert!(
            matches!(e, ConnectError::OdbcDriverNotInstalled { .. }),
            "{e}"
        );
        let text = e.to_string();
        assert!(
            text.contains("\"No Such Driver 9\"") && text.contains("odbc-postgresql"),
            "{text}"
        );
    }

    #[test]
    fn installation_is_checked_without_connecting() {
        let missing = OdbcTarget::parse("Driver={No Such Driver 9}").unwrap();
        assert!(matches!(
            check_installed(&missing),
            Err(ConnectError::OdbcDriverNotInstalled { .. })
        ));
        let dsn = OdbcTarget::parse("DSN=ssisd_surely_undefined").unwrap();
        assert!(matches!(
            check_installed(&dsn),
            Err(ConnectError::OdbcDataSourceNotFound { .. })
        ));
        let path = OdbcTarget::parse("Driver=/opt/x/libdriver.so").unwrap();
        assert_eq!(check_installed(&path), Ok(()));
        if let Some(first) = installed_drivers().first() {
            let t = OdbcTarget::parse(&format!("Driver={{{first}}}")).unwrap();
            assert_eq!(check_installed(&t), Ok(()));
        }
    }

    #[test]
    fn an_undefined_dsn_is_named() {
        let t = OdbcTarget::parse("DSN=ssisd_surely_undefined").unwrap();
        let e = connect(&t, None).unwrap_err();
        assert!(
            matches!(e, ConnectError::OdbcDataSourceNotFound { .. }),
            "{e}"
        );
        assert!(e.to_string().contains("/etc/odbc.ini"), "{e}");
    }

    #[test]
    fn a_string_without_driver_or_dsn_is_refused_before_the_driver_manager() {
        let t = OdbcTarget::parse("Server=h;Uid=u").unwrap();
        assert_eq!(connect(&t, None).unwrap_err(), ConnectError::OdbcNoTarget);
    }
}
