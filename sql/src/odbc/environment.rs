//! The process's one ODBC environment (the built-in unixODBC driver manager, ODBC 3.80) and
//! what it knows: the drivers registered in /etc/odbcinst.ini and the data sources of
//! /etc/odbc.ini and ~/.odbc.ini, for messages that say what is installed. It must not open
//! connections.

use odbc_api::Environment;

use crate::error::{odbc_message, ConnectError};

/// The shared environment, created on first use.
pub fn environment() -> Result<&'static Environment, ConnectError> {
    odbc_api::environment().map_err(|e| ConnectError::OdbcEnvironment(odbc_message(&e)))
}

/// The names of the installed drivers (empty when none, or when they cannot be listed).
pub fn installed_drivers() -> Vec<String> {
    environment()
        .ok()
        .and_then(|env| env.drivers().ok())
        .map(|drivers| drivers.into_iter().map(|d| d.description).collect())
        .unwrap_or_default()
}

/// The names of the defined data sources.
pub fn defined_data_sources() -> Vec<String> {
    environment()
        .ok()
        .and_then(|env| env.data_sources().ok())
        .map(|sources| sources.into_iter().map(|d| d.server_name).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_driver_manager_is_always_there() {
        // Built in: creating the environment needs no package; listing works with or without
        // /etc/odbcinst.ini.
        environment().expect("the built-in driver manager starts");
        let _ = installed_drivers();
        let _ = defined_data_sources();
    }
}
