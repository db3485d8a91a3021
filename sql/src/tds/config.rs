//! The tiberius configuration of one connection attempt: host and port, database, application
//! name and the TLS policy — encryption level and how the server certificate is checked
//! (validated against the system roots, a given CA file, or trusted; never validated for a
//! login-only encryption, as SQL Server's own clients do). The login is added by `connect.rs`;
//! this module must not open sockets.

use tiberius::{Config, EncryptionLevel};

use super::settings::{Encrypt, TdsSettings};

/// The application name SQL Server shows for ssisd's sessions when the settings give none.
pub const DEFAULT_APPLICATION_NAME: &str = "ssisd";

/// The configuration for `host:port`, without the login.
pub fn base_config(s: &TdsSettings, host: &str, port: u16) -> Config {
    let mut config = Config::new();
    config.host(host);
    config.port(port);
    if let Some(db) = &s.database {
        config.database(db);
    }
    config.application_name(
        s.application_name
            .as_deref()
            .unwrap_or(DEFAULT_APPLICATION_NAME),
    );
    config.encryption(match s.encrypt {
        Encrypt::Required => EncryptionLevel::Required,
        Encrypt::Optional => EncryptionLevel::On,
        Encrypt::Off => EncryptionLevel::Off,
    });
    if let Some(ca) = &s.ca_file {
        config.trust_cert_ca(ca.display().to_string());
    } else if s.trust_server_certificate || s.encrypt == Encrypt::Off {
        config.trust_cert();
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_and_database() {
        let mut s = TdsSettings::new("db1,1500");
        s.database = Some("Sales".into());
        let c = base_config(&s, "db1", 1500);
        assert_eq!(c.get_addr(), "db1:1500");
    }
}
