//! The connection settings of one msdb folder — server, database, login, encryption, pool — as
//! configuration gives them ([`SqlServerFolder`]), and as an ADO-style connection string gives
//! them (`dtexec /SQL`, the tests' `SSISD_TEST_MSSQL`). A configuration only ever holds *where*
//! a password is (a file or an environment variable); a password read from an ADO string is a
//! [`Secret`] that prints as `<redacted>`. This module must not open connections.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The msdb database's name, where the SSIS procedures live.
pub const DEFAULT_DATABASE: &str = "msdb";
/// Connections a store keeps open at most.
pub const DEFAULT_POOL_SIZE: u32 = 4;
/// How long one connection attempt may take (TCP, TLS and login).
pub const DEFAULT_CONNECT_TIMEOUT_SECONDS: f64 = 5.0;

/// How the service logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Authentication {
    /// A SQL Server login (`user` and a password from a file or the environment).
    #[default]
    SqlServer,
    /// Kerberos as the service's own identity. Refused: tiberius needs the system GSSAPI
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

/// Why `authentication = "integrated"` is refused, for configuration errors.
pub const INTEGRATED_REFUSED: &str = "authentication = \"integrated\" (Kerberos) is not available: the SQL Server driver needs the system GSSAPI (libgssapi_krb5) libraries for it, which this build does not link. Use authentication = \"sql-server\" with `user` and `password_file` or `password_env`";

/// Whether and how the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encrypt {
    /// Everything is encrypted; the connection fails when the server cannot.
    #[default]
    Required,
    /// Encrypted when the server supports it.
    Optional,
    /// Only the login is encrypted (what SQL Server itself requires).
    Off,
}

/// A password kept out of logs and printed configurations.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    /// The password itself, for the login only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the password comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PasswordSource {
    #[default]
    None,
    /// A file whose content (without a trailing newline) is the password.
    File(PathBuf),
    /// An environment variable of the service.
    Env(String),
    /// Given inline in an ADO connection string (never from a configuration file).
    Inline(Secret),
}

/// Why a password cannot be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("no password is configured for login \"{0}\": set password_file or password_env")]
    Missing(String),
    #[error("cannot read the password file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("the environment variable {0} holding the password is not set")]
    Env(String),
}

impl PasswordSource {
    /// Reads the password now (files and variables can change between attempts).
    pub fn read(&self, user: &str) -> Result<Secret, PasswordError> {
        match self {
            PasswordSource::None => Err(PasswordError::Missing(user.into())),
            PasswordSource::File(path) => std::fs::read_to_string(path)
                .map(|t| Secret(t.trim_end_matches(['\r', '\n']).to_string()))
                .map_err(|e| PasswordError::File {
                    path: path.clone(),
                    message: e.to_string(),
                }),
            PasswordSource::Env(name) => std::env::var(name)
                .map(Secret)
                .map_err(|_| PasswordError::Env(name.clone())),
            PasswordSource::Inline(s) => Ok(s.clone()),
        }
    }

    /// How the source is shown: the file or variable, never a password.
    pub fn describe(&self) -> String {
        match self {
            PasswordSource::None => "none".into(),
            PasswordSource::File(p) => format!("file {}", p.display()),
            PasswordSource::Env(n) => format!("environment variable {n}"),
            PasswordSource::Inline(_) => "<redacted>".into(),
        }
    }
}

/// One msdb folder's connection settings (`[[folder]] kind = "sql-server"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlServerFolder {
    /// `ServerName`: `.`, `(local)`, `HOST`, `HOST\INSTANCE`, `HOST,PORT`, `tcp:…`.
    pub server: String,
    pub database: String,
    pub authentication: Authentication,
    pub user: Option<String>,
    pub password: PasswordSource,
    pub encrypt: Encrypt,
    pub trust_server_certificate: bool,
    /// A CA certificate (`.pem`, `.crt` or `.der`, one certificate) to validate the server with.
    pub ca_file: Option<PathBuf>,
    /// Install the compatible schema (tables and `sp_ssis_*` procedures) into `database` when
    /// it has neither the 2008+ nor the 2005 package tables.
    pub install_compat_schema: bool,
    pub pool_size: u32,
    /// Milliseconds, so that the struct stays `Eq`.
    pub connect_timeout_ms: u64,
}

impl SqlServerFolder {
    /// The defaults for a server name (what `MsDtsSrvr.ini.xml`'s `ServerName` alone gives).
    pub fn new(server: impl Into<String>) -> Self {
        SqlServerFolder {
            server: server.into(),
            database: DEFAULT_DATABASE.into(),
            authentication: Authentication::SqlServer,
            user: None,
            password: PasswordSource::None,
            encrypt: Encrypt::Required,
            trust_server_certificate: false,
            ca_file: None,
            install_compat_schema: false,
            pool_size: DEFAULT_POOL_SIZE,
            connect_timeout_ms: (DEFAULT_CONNECT_TIMEOUT_SECONDS * 1000.0) as u64,
        }
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    /// Checks values that can be checked without a server.
    pub fn validate(&self) -> Result<(), String> {
        if self.server.trim().is_empty() {
            return Err("server is empty".into());
        }
        super::server_name::parse_server_name(&self.server, "").map_err(|e| e.to_string())?;
        if self.database.trim().is_empty() {
            return Err("database is empty".into());
        }
        if self.authentication == Authentication::Integrated {
            return Err(INTEGRATED_REFUSED.into());
        }
        if self.pool_size == 0 {
            return Err("pool_size must be at least 1".into());
        }
        if self.connect_timeout_ms == 0 {
            return Err("connect_timeout_seconds must be greater than 0".into());
        }
        if let Some(ca) = &self.ca_file {
            let ext = ca
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            if !matches!(ext.as_deref(), Some("pem" | "crt" | "der")) {
                return Err(format!(
                    "ca_file {} must be a .pem, .crt or .der file holding one certificate",
                    ca.display()
                ));
            }
            if self.trust_server_certificate {
                return Err(
                    "ca_file and trust_server_certificate = true exclude each other: a CA file validates the server, trusting skips validation".into(),
                );
            }
        }
        Ok(())
    }

    /// One line for logs and status: everything but secrets.
    pub fn describe(&self) -> String {
        format!(
            "server {}, database {}, {} login{}, encrypt {:?}{}",
            self.server,
            self.database,
            self.authentication.as_str(),
            self.user
                .as_deref()
                .map(|u| format!(" \"{u}\""))
                .unwrap_or_default(),
            self.encrypt,
            if self.trust_server_certificate {
                ", server certificate trusted"
            } else {
                ""
            }
        )
    }
}

/// Why an ADO connection string cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionStringError {
    #[error("connection string: \"{0}\" is not key=value")]
    NotKeyValue(String),
    #[error("connection string: the quoted value of {0} is not closed")]
    Unclosed(String),
    #[error("connection string: {key} = \"{value}\" is not {expected}")]
    Value {
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("connection string: no Server (or Data Source)")]
    NoServer,
    #[error("connection string: {0}")]
    Refused(&'static str),
}

/// Splits an ADO string into (key, value) pairs: `;` separates, values may be quoted with `'`,
/// `"` (a doubled quote is one quote) or braces (`}}` is one `}`).
pub fn split_pairs(text: &str) -> Result<Vec<(String, String)>, ConnectionStringError> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if *c == ';' || c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
            if c == ';' {
                return Err(ConnectionStringError::NotKeyValue(key));
            }
            key.push(c);
        }
        let key = key.trim().to_ascii_lowercase();
        while matches!(chars.peek(), Some(c) if c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        match chars.peek().copied() {
            Some(q @ ('\'' | '"' | '{')) => {
                chars.next();
                let close = if q == '{' { '}' } else { q };
                let mut closed = false;
                while let Some(c) = chars.next() {
                    if c == close {
                        if chars.peek() == Some(&close) {
                            chars.next();
                            value.push(c);
                            continue;
                        }
                        closed = true;
                        break;
                    }
                    value.push(c);
                }
                if !closed {
                    return Err(ConnectionStringError::Unclosed(key));
                }
                for c in chars.by_ref() {
                    if c == ';' {
                        break;
                    }
                }
            }
            _ => {
                for c in chars.by_ref() {
                    if c == ';' {
                        break;
                    }
                    value.push(c);
                }
                value = value.trim().to_string();
            }
        }
        if key.is_empty() {
            return Err(ConnectionStringError::NotKeyValue(value));
        }
        pairs.push((key, value));
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ConnectionStringError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(ConnectionStringError::Value {
            key: key.into(),
            value: value.into(),
            expected: "true or false",
        }),
    }
}

/// Reads an ADO-style connection string (`Server=tcp:host,1433;Database=msdb;User Id=sa;
/// Password=…;Encrypt=true;TrustServerCertificate=true`). The database defaults to msdb.
pub fn parse_connection_string(text: &str) -> Result<SqlServerFolder, ConnectionStringError> {
    let mut server = None;
    let mut s = SqlServerFolder::new("");
    for (key, value) in split_pairs(text)? {
        match key.as_str() {
            "server" | "data source" | "address" | "addr" | "network address" => {
                server = Some(value)
            }
            "database" | "initial catalog" => s.database = value,
            "user id" | "uid" | "user" | "username" => s.user = Some(value),
            "password" | "pwd" => s.password = PasswordSource::Inline(Secret(value)),
            "encrypt" => {
                s.encrypt = match value.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "mandatory" | "strict" | "required" => Encrypt::Required,
                    "optional" => Encrypt::Optional,
                    "false" | "no" | "off" => Encrypt::Off,
                    _ => {
                        return Err(ConnectionStringError::Value {
                            key,
                            value,
                            expected: "true, false, mandatory, optional or strict",
                        })
                    }
                }
            }
            "trustservercertificate" | "trust server certificate" => {
                s.trust_server_certificate = parse_bool(&key, &value)?
            }
            "integrated security" | "trusted_connection" => {
                let on = matches!(value.to_ascii_lowercase().as_str(), "sspi")
                    || parse_bool(&key, &value)?;
                if on {
                    s.authentication = Authentication::Integrated;
                }
            }
            "connect timeout" | "connection timeout" | "timeout" => {
                let secs: u64 = value.parse().map_err(|_| ConnectionStringError::Value {
                    key: key.clone(),
                    value: value.clone(),
                    expected: "a number of seconds",
                })?;
                s.connect_timeout_ms = secs.max(1) * 1000;
            }
            "max pool size" => {
                s.pool_size = value.parse().map_err(|_| ConnectionStringError::Value {
                    key: key.clone(),
                    value: value.clone(),
                    expected: "a number",
                })?
            }
            // Accepted and not needed here.
            _ => {}
        }
    }
    s.server = server
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConnectionStringError::NoServer)?;
    if s.authentication == Authentication::Integrated {
        return Err(ConnectionStringError::Refused(
            "Integrated Security needs the system GSSAPI libraries, which this build does not link; give User Id and Password",
        ));
    }
    Ok(s)
}

/// The connection string with every password replaced by `<redacted>`, for messages.
pub fn redact_connection_string(text: &str) -> String {
    match split_pairs(text) {
        Ok(pairs) => pairs
            .into_iter()
            .map(|(k, v)| {
                if k == "password" || k == "pwd" {
                    format!("{k}=<redacted>")
                } else {
                    format!("{k}={v}")
                }
            })
            .collect::<Vec<_>>()
            .join(";"),
        Err(_) => "<unreadable connection string, redacted>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_spellings() {
        let s = parse_connection_string(
            "Server=tcp:sql01,1533;Initial Catalog=ssis_test;User Id=sa;Password='p;w''d';Encrypt=true;TrustServerCertificate=yes;Connect Timeout=3",
        )
        .unwrap();
        assert_eq!(s.server, "tcp:sql01,1533");
        assert_eq!(s.database, "ssis_test");
        assert_eq!(s.user.as_deref(), Some("sa"));
        assert_eq!(
            s.password.read("sa").unwrap().expose(),
            "p;w'd",
            "quoted values keep ; and doubled quotes"
        );
        assert_eq!(s.encrypt, Encrypt::Required);
        assert!(s.trust_server_certificate);
        assert_eq!(s.connect_timeout(), Duration::from_secs(3));

        let s = parse_connection_string(
            "data source=.\\SQLEXPRESS; uid=u; pwd={a}}b;c}; encrypt=optional",
        )
        .unwrap();
        assert_eq!(s.server, ".\\SQLEXPRESS");
        assert_eq!(s.database, "msdb", "msdb by default");
        assert_eq!(s.password.read("u").unwrap().expose(), "a}b;c");
        assert_eq!(s.encrypt, Encrypt::Optional);
        assert!(!s.trust_server_certificate);
        let s = parse_connection_string("Server=h;Encrypt=no").unwrap();
        assert_eq!(s.encrypt, Encrypt::Off);
    }

    #[test]
    fn refusals_name_the_key() {
        assert_eq!(
            parse_connection_string("Database=x"),
            Err(ConnectionStringError::NoServer)
        );
        let e = parse_connection_string("Server=h;Encrypt=maybe").unwrap_err();
        assert!(e.to_string().contains("encrypt"), "{e}");
        let e = parse_connection_string("Server=h;Password='open").unwrap_err();
        assert!(matches!(e, ConnectionStringError::Unclosed(_)));
        let e = parse_connection_string("Server=h;Integrated Security=SSPI").unwrap_err();
        assert!(e.to_string().contains("GSSAPI"), "{e}");
        assert!(parse_connection_string("Server=h;junk;x=1").is_err());
    }

    #[test]
    fn passwords_never_print() {
        let text = "Server=h;User ID=sa;Password=Sup3r$ecret;Database=msdb";
        let s = parse_connection_string(text).unwrap();
        assert!(!format!("{s:?}").contains("Sup3r"));
        assert!(!s.describe().contains("Sup3r"));
        assert!(!s.password.describe().contains("Sup3r"));
        let r = redact_connection_string(text);
        assert!(
            !r.contains("Sup3r") && r.contains("password=<redacted>"),
            "{r}"
        );
        assert!(!redact_connection_string("pwd='x;y").contains("x;y"));
    }

    #[test]
    fn password_sources_are_read_at_use() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "from-file\n").unwrap();
        assert_eq!(
            PasswordSource::File(f.clone()).read("u").unwrap().expose(),
            "from-file"
        );
        assert!(PasswordSource::File(dir.path().join("none"))
            .read("u")
            .unwrap_err()
            .to_string()
            .contains("none"));
        let e = PasswordSource::Env("SSISD_TEST_SURELY_UNSET_VAR".into())
            .read("u")
            .unwrap_err();
        assert!(e.to_string().contains("SSISD_TEST_SURELY_UNSET_VAR"));
        assert!(PasswordSource::None
            .read("sa")
            .unwrap_err()
            .to_string()
            .contains("\"sa\""));
    }

    #[test]
    fn validation() {
        let mut s = SqlServerFolder::new(".");
        assert!(s.validate().is_ok());
        s.authentication = Authentication::Integrated;
        assert!(s.validate().unwrap_err().contains("GSSAPI"));
        s.authentication = Authentication::SqlServer;
        s.ca_file = Some("/etc/ca.txt".into());
        assert!(s.validate().unwrap_err().contains(".pem"));
        s.ca_file = Some("/etc/ca.pem".into());
        s.trust_server_certificate = true;
        assert!(s.validate().unwrap_err().contains("exclude"));
        let s = SqlServerFolder::new("np:x");
        assert!(s.validate().unwrap_err().contains("named pipes"));
    }
}
