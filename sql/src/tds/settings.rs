//! What a SQL Server connection needs, whoever asks — an msdb folder's configuration, an OLE DB
//! connection manager (`SQLNCLI*`, `MSOLEDBSQL*`, `SQLOLEDB`), an ADO.NET SqlClient one,
//! `dtexec /SQL` — as one [`TdsSettings`]: server name, database, login, encryption and
//! certificate trust, timeouts, application name. It reads the keywords of OLE DB and ADO.NET
//! connection strings (their synonyms and value spellings), refuses what Linux cannot do with a
//! message saying what to give instead, and checks settings without a server. It must not open
//! connections (`connect.rs` does) nor know the msdb schema.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::connection_string::ConnectionString;
use crate::secret::{PasswordSource, Secret};
use crate::server_name::{parse_server_name, ServerNameError};

/// How long one connection attempt may take (TCP, TLS and login) unless the settings say.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// How the client logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Authentication {
    /// A SQL Server login (user and password).
    #[default]
    SqlServer,
    /// Windows authentication / Kerberos. Refused: the TDS client needs the system GSSAPI
    /// library for it, which this build does not link.
    Integrated,
}

impl Authentication {
    pub fn as_str(self) -> &'static str {
        match self {
            Authentication::SqlServer => "sql-server",
            Authentication::Integrated => "integrated",
        }
    }
}

/// Whether and how the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encrypt {
    /// Everything is encrypted and the server certificate validated (unless trusted); the
    /// connection fails when the server cannot encrypt.
    #[default]
    Required,
    /// Encrypted when the server supports it.
    Optional,
    /// Only the login is encrypted (what SQL Server itself requires); as SQL Server's own
    /// clients do, the certificate is not validated for that unless a CA file is given.
    Off,
}

/// The message for Windows authentication in a connection string.
pub const INTEGRATED_SECURITY_REFUSED: &str = "Windows authentication (Integrated Security) is not available on Linux: the SQL Server client would need Kerberos (GSSAPI), which this build does not link; give a SQL Server login (User ID and Password) in the connection string, e.g. with dtexec /Conn";

/// Why settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TdsSettingsError {
    #[error("the connection string names no server (Data Source or Server)")]
    NoServer,
    #[error("{key} = \"{value}\" is not {expected}")]
    Value {
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("{INTEGRATED_SECURITY_REFUSED}")]
    Integrated,
    #[error(transparent)]
    ServerName(#[from] ServerNameError),
    #[error("{0}")]
    Invalid(String),
}

/// One SQL Server connection's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TdsSettings {
    /// `ServerName` as written: `.`, `(local)`, `HOST`, `HOST\INSTANCE`, `HOST,PORT`, `tcp:…`.
    pub server: String,
    /// The initial database; the login's default database when absent.
    pub database: Option<String>,
    pub authentication: Authentication,
    pub user: Option<String>,
    pub password: PasswordSource,
    pub encrypt: Encrypt,
    pub trust_server_certificate: bool,
    /// A CA certificate (`.pem`, `.crt` or `.der`, one certificate) to validate the server with.
    pub ca_file: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub application_name: Option<String>,
}

/// Keywords naming the server.
pub const SERVER_KEYS: &[&str] = &[
    "data source",
    "server",
    "address",
    "addr",
    "network address",
];
/// Keywords naming the initial database.
pub const DATABASE_KEYS: &[&str] = &["initial catalog", "database"];
/// Keywords naming the login.
pub const USER_KEYS: &[&str] = &["user id", "uid", "user", "username", "user name"];
/// Keywords holding the password.
pub const PASSWORD_KEYS: &[&str] = &["password", "pwd"];
const ENCRYPT_KEYS: &[&str] = &["encrypt", "use encryption for data"];
const TRUST_KEYS: &[&str] = &["trustservercertificate", "trust server certificate"];
const INTEGRATED_KEYS: &[&str] = &["integrated security", "trusted_connection"];
const TIMEOUT_KEYS: &[&str] = &["connect timeout", "connection timeout", "timeout"];
const APPLICATION_KEYS: &[&str] = &["application name", "app"];
const AUTHENTICATION_KEYS: &[&str] = &["authentication"];

fn parse_bool(key: &str, value: &str) -> Result<bool, TdsSettingsError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(TdsSettingsError::Value {
            key: key.into(),
            value: value.into(),
            expected: "true or false",
        }),
    }
}

/// Reads an `Encrypt` value as OLE DB, ODBC and ADO.NET spell it.
pub fn parse_encrypt(key: &str, value: &str) -> Result<Encrypt, TdsSettingsError> {
    Ok(match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "mandatory" | "strict" | "required" | "1" => Encrypt::Required,
        "optional" => Encrypt::Optional,
        "false" | "no" | "off" | "0" => Encrypt::Off,
        _ => {
            return Err(TdsSettingsError::Value {
                key: key.into(),
                value: value.into(),
                expected: "true, false, mandatory, optional or strict",
            })
        }
    })
}

impl TdsSettings {
    /// The defaults for a server name: encryption required, a SQL Server login still to give.
    pub fn new(server: impl Into<String>) -> TdsSettings {
        TdsSettings {
            server: server.into(),
            database: None,
            authentication: Authentication::SqlServer,
            user: None,
            password: PasswordSource::None,
            encrypt: Encrypt::Required,
            trust_server_certificate: false,
            ca_file: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            application_name: None,
        }
    }

    /// Reads an OLE DB or ADO.NET connection string to SQL Server. `default_encrypt` is the
    /// provider's default when the string does not say (`SQLNCLI*`, `SQLOLEDB`, `MSOLEDBSQL`
    /// 18 and System.Data.SqlClient: login only; `MSOLEDBSQL19` and Microsoft.Data.SqlClient:
    /// required). Keywords SQL Server's clients know but a TDS connection has no use for
    /// (`Provider`, `Auto Translate`, `Packet Size`, `Persist Security Info`, …) are ignored.
    pub fn from_connection_string(
        cs: &ConnectionString,
        default_encrypt: Encrypt,
    ) -> Result<TdsSettings, TdsSettingsError> {
        let server = cs
            .get_non_empty(SERVER_KEYS)
            .ok_or(TdsSettingsError::NoServer)?;
        let mut s = TdsSettings::new(server.trim());
        s.encrypt = default_encrypt;
        s.database = cs
            .get_non_empty(DATABASE_KEYS)
            .map(|d| d.trim().to_string());
        s.user = cs.get_non_empty(USER_KEYS).map(str::to_string);
        if let Some(p) = cs.get(PASSWORD_KEYS) {
            s.password = PasswordSource::Inline(Secret::new(p));
        }
        if let Some(v) = cs.get(ENCRYPT_KEYS) {
            s.encrypt = parse_encrypt("Encrypt", v)?;
        }
        if let Some(v) = cs.get(TRUST_KEYS) {
            s.trust_server_certificate = parse_bool("TrustServerCertificate", v)?;
        }
        if let Some(v) = cs.get(INTEGRATED_KEYS) {
            let on = v.trim().eq_ignore_ascii_case("sspi") || parse_bool("Integrated Security", v)?;
            if on {
                return Err(TdsSettingsError::Integrated);
            }
        }
        if let Some(v) = cs.get(AUTHENTICATION_KEYS) {
            let kind = v.trim().to_ascii_lowercase().replace(' ', "");
            if !kind.is_empty() && kind != "sqlpassword" {
                return Err(TdsSettingsError::Invalid(format!(
                    "Authentication = \"{v}\" is not available: only SQL Server logins (SqlPassword, User ID and Password) are"
                )));
            }
        }
        if let Some(v) = cs.get(TIMEOUT_KEYS) {
            let secs: u64 = v.trim().parse().map_err(|_| TdsSettingsError::Value {
                key: "Connect Timeout".into(),
                value: v.into(),
                expected: "a number of seconds",
            })?;
            // 0 means "wait for ever" to SQL Server's clients; a day is long enough.
            s.connect_timeout = Duration::from_secs(if secs == 0 { 86_400 } else { secs });
        }
        s.application_name = cs.get_non_empty(APPLICATION_KEYS).map(str::to_string);
        s.validate()?;
        Ok(s)
    }

    /// Checks what can be checked without a server.
    pub fn validate(&self) -> Result<(), TdsSettingsError> {
        if self.server.trim().is_empty() {
            return Err(TdsSettingsError::NoServer);
        }
        parse_server_name(&self.server, "")?;
        if self.authentication == Authentication::Integrated {
            return Err(TdsSettingsError::Integrated);
        }
        if let Some(ca) = &self.ca_file {
            let ext = ca
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            if !matches!(ext.as_deref(), Some("pem" | "crt" | "der")) {
                return Err(TdsSettingsError::Invalid(format!(
                    "ca_file {} must be a .pem, .crt or .der file holding one certificate",
                    ca.display()
                )));
            }
            if self.trust_server_certificate {
                return Err(TdsSettingsError::Invalid(
                    "ca_file and trust_server_certificate = true exclude each other: a CA file validates the server, trusting skips validation".into(),
                ));
            }
        }
        Ok(())
    }

    /// One line for messages: everything but the password.
    pub fn describe(&self) -> String {
        let mut text = format!("SQL Server \"{}\"", self.server);
        if let Some(d) = &self.database {
            text.push_str(&format!(", database \"{d}\""));
        }
        if let Some(u) = &self.user {
            text.push_str(&format!(", login \"{u}\""));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection_string::Syntax;

    fn read(text: &str, syntax: Syntax) -> Result<TdsSettings, TdsSettingsError> {
        let cs = ConnectionString::parse(text, syntax).unwrap();
        TdsSettings::from_connection_string(&cs, Encrypt::Off)
    }

    #[test]
    fn ole_db_and_ado_spellings() {
        let s = read(
            "Data Source=sql01\\SALES;Initial Catalog=Sales;User ID=etl;Password=\"p;w\"\"d\";Provider=SQLNCLI11.1;Auto Translate=False;Use Encryption for Data=True;Trust Server Certificate=yes;Connect Timeout=3;Application Name=SSIS-Load",
            Syntax::OleDb,
        )
        .unwrap();
        assert_eq!(s.server, "sql01\\SALES", "named instances are kept");
        assert_eq!(s.database.as_deref(), Some("Sales"));
        assert_eq!(s.user.as_deref(), Some("etl"));
        assert_eq!(s.password.read("etl").unwrap().expose(), "p;w\"d");
        assert_eq!(s.encrypt, Encrypt::Required);
        assert!(s.trust_server_certificate);
        assert_eq!(s.connect_timeout, Duration::from_secs(3));
        assert_eq!(s.application_name.as_deref(), Some("SSIS-Load"));

        let s = read(
            "Server=tcp:db1,1500;Database=x;UID=u;PWD='a;b';Encrypt=optional",
            Syntax::AdoNet,
        )
        .unwrap();
        assert_eq!(
            (s.server.as_str(), s.encrypt),
            ("tcp:db1,1500", Encrypt::Optional)
        );
        assert_eq!(s.password.read("u").unwrap().expose(), "a;b");
        let s = read("Server=h", Syntax::AdoNet).unwrap();
        assert_eq!(s.encrypt, Encrypt::Off, "the provider's default");
        assert_eq!(s.database, None);
        assert_eq!(
            read("Server=h;Server=g", Syntax::AdoNet).unwrap().server,
            "g"
        );
    }

    #[test]
    fn refusals_say_what_to_give() {
        assert_eq!(
            read("Initial Catalog=x", Syntax::OleDb),
            Err(TdsSettingsError::NoServer)
        );
        let e = read("Data Source=h;Integrated Security=SSPI", Syntax::OleDb).unwrap_err();
        assert!(
            e.to_string()
                .contains("Windows authentication (Integrated Security) is not available"),
            "{e}"
        );
        assert!(read("Data Source=h;Integrated Security=False", Syntax::OleDb).is_ok());
        let e = read("Server=h;Encrypt=maybe", Syntax::AdoNet).unwrap_err();
        assert!(e.to_string().contains("maybe"), "{e}");
        let e = read("Server=np:\\\\.\\pipe\\sql", Syntax::AdoNet).unwrap_err();
        assert!(e.to_string().contains("named pipes"), "{e}");
        let e = read(
            "Server=h;Authentication=Active Directory Integrated",
            Syntax::AdoNet,
        )
        .unwrap_err();
        assert!(e.to_string().contains("SqlPassword"), "{e}");
        let e = read("Server=h;Connect Timeout=soon", Syntax::AdoNet).unwrap_err();
        assert!(e.to_string().contains("seconds"), "{e}");
    }

    #[test]
    fn validation_without_a_server() {
        let mut s = TdsSettings::new(".");
        assert!(s.validate().is_ok());
        s.ca_file = Some("/etc/ca.txt".into());
        assert!(s.validate().unwrap_err().to_string().contains(".pem"));
        s.ca_file = Some("/etc/ca.pem".into());
        s.trust_server_certificate = true;
        assert!(s.validate().unwrap_err().to_string().contains("exclude"));
        let mut s = TdsSettings::new("h");
        s.user = Some("sa".into());
        s.password = PasswordSource::Inline(Secret::new("Sup3r"));
        assert!(!s.describe().contains("Sup3r") && !format!("{s:?}").contains("Sup3r"));
    }
}
