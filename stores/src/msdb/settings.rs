//! The connection settings of one msdb folder — server, database, login, encryption, pool — as
//! configuration gives them ([`SqlServerFolder`]), and as an ADO.NET connection string gives
//! them (`dtexec /SQL`, the tests' `SSISD_TEST_MSSQL`). The SQL Server parts (server names,
//! logins, passwords, encryption, connection-string syntax) are ssisd-sql's, re-exported here
//! for the configuration that names them; a folder adds its pool size, its schema choice and
//! msdb as the default database, and becomes [`TdsSettings`] to connect. A configuration only
//! ever holds *where* a password is (a file or an environment variable). This module must not
//! open connections.

use std::path::PathBuf;
use std::time::Duration;

use ssisd_sql::connection_string::{self, ConnectionString, Syntax};
use ssisd_sql::server_name::ServerNameError;
use ssisd_sql::tds::settings::TdsSettingsError;
use ssisd_sql::tds::TdsSettings;

pub use ssisd_sql::secret::{PasswordError, PasswordSource, Secret};
pub use ssisd_sql::tds::settings::{Authentication, Encrypt};

/// The msdb database's name, where the SSIS procedures live.
pub const DEFAULT_DATABASE: &str = "msdb";
/// Connections a store keeps open at most.
pub const DEFAULT_POOL_SIZE: u32 = 4;
/// How long one connection attempt may take (TCP, TLS and login).
pub const DEFAULT_CONNECT_TIMEOUT_SECONDS: f64 = 5.0;

/// Why `authentication = "integrated"` is refused, for configuration errors.
pub const INTEGRATED_REFUSED: &str = "authentication = \"integrated\" (Kerberos) is not available: the SQL Server driver needs the system GSSAPI (libgssapi_krb5) libraries for it, which this build does not link. Use authentication = \"sql-server\" with `user` and `password_file` or `password_env`";

/// Why an msdb folder's settings cannot be used, found without a server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderSettingsError {
    #[error("server is empty")]
    EmptyServer,
    #[error(transparent)]
    ServerName(#[from] ServerNameError),
    #[error("database is empty")]
    EmptyDatabase,
    #[error("{INTEGRATED_REFUSED}")]
    IntegratedRefused,
    #[error("pool_size must be at least 1")]
    ZeroPoolSize,
    #[error("connect_timeout_seconds must be greater than 0")]
    ZeroConnectTimeout,
    /// A CA file whose extension is not `.pem`, `.crt` or `.der`.
    #[error("ca_file {} must be a .pem, .crt or .der file holding one certificate", .0.display())]
    CaFileKind(PathBuf),
    #[error(
        "ca_file and trust_server_certificate = true exclude each other: a CA file validates the server, trusting skips validation"
    )]
    CaFileWithTrust,
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

    /// The SQL Server connection these settings describe.
    pub fn tds(&self) -> TdsSettings {
        TdsSettings {
            server: self.server.clone(),
            database: Some(self.database.clone()),
            authentication: self.authentication,
            user: self.user.clone(),
            password: self.password.clone(),
            encrypt: self.encrypt,
            trust_server_certificate: self.trust_server_certificate,
            ca_file: self.ca_file.clone(),
            connect_timeout: self.connect_timeout(),
            application_name: None,
        }
    }

    /// Checks values that can be checked without a server.
    pub fn validate(&self) -> Result<(), FolderSettingsError> {
        if self.server.trim().is_empty() {
            return Err(FolderSettingsError::EmptyServer);
        }
        ssisd_sql::server_name::parse_server_name(&self.server, "")?;
        if self.database.trim().is_empty() {
            return Err(FolderSettingsError::EmptyDatabase);
        }
        if self.authentication == Authentication::Integrated {
            return Err(FolderSettingsError::IntegratedRefused);
        }
        if self.pool_size == 0 {
            return Err(FolderSettingsError::ZeroPoolSize);
        }
        if self.connect_timeout_ms == 0 {
            return Err(FolderSettingsError::ZeroConnectTimeout);
        }
        if let Some(ca) = &self.ca_file {
            let ext = ca
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            if !matches!(ext.as_deref(), Some("pem" | "crt" | "der")) {
                return Err(FolderSettingsError::CaFileKind(ca.clone()));
            }
            if self.trust_server_certificate {
                return Err(FolderSettingsError::CaFileWithTrust);
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

/// Why an ADO.NET connection string cannot give a folder's settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionStringError {
    #[error("connection string: {0}")]
    Syntax(#[from] connection_string::ConnectionStringError),
    #[error("connection string: {0}")]
    Settings(#[from] TdsSettingsError),
    #[error("connection string: Max Pool Size = \"{0}\" is not a number")]
    PoolSize(String),
}

/// Reads an ADO.NET connection string (`Server=tcp:host,1433;Database=msdb;User Id=sa;
/// Password=…;Encrypt=true;TrustServerCertificate=true`). The database defaults to msdb,
/// encryption to required.
pub fn parse_connection_string(text: &str) -> Result<SqlServerFolder, ConnectionStringError> {
    let cs = ConnectionString::parse(text, Syntax::AdoNet)?;
    let t = TdsSettings::from_connection_string(&cs, Encrypt::Required)?;
    let mut s = SqlServerFolder::new(t.server);
    if let Some(db) = t.database {
        s.database = db;
    }
    s.authentication = t.authentication;
    s.user = t.user;
    s.password = t.password;
    s.encrypt = t.encrypt;
    s.trust_server_certificate = t.trust_server_certificate;
    s.connect_timeout_ms = u64::try_from(t.connect_timeout.as_millis()).unwrap_or(u64::MAX);
    if let Some(v) = cs.get(&["max pool size"]) {
        s.pool_size = v
            .trim()
            .parse()
            .map_err(|_| ConnectionStringError::PoolSize(v.to_string()))?;
    }
    Ok(s)
}

/// The connection string with every password replaced by `<redacted>`, for messages.
pub fn redact_connection_string(text: &str) -> String {
    connection_string::redact(text, Syntax::AdoNet)
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
            "data source=.\\SQLEXPRESS; uid=u; pwd=\"a}b;c\"; encrypt=optional; Max Pool Size=9",
        )
        .unwrap();
        assert_eq!(s.server, ".\\SQLEXPRESS");
        assert_eq!(s.database, "msdb", "msdb by default");
        assert_eq!(s.password.read("u").unwrap().expose(), "a}b;c");
        assert_eq!(s.pool_size, 9);
        assert_eq!(s.encrypt, Encrypt::Optional);
        assert!(!s.trust_server_certificate);
        let s = parse_connection_string("Server=h;Encrypt=no").unwrap();
        assert_eq!(s.encrypt, Encrypt::Off);
    }

    #[test]
    fn refusals_name_the_key() {
        assert_eq!(
            parse_connection_string("Database=x"),
            Err(ConnectionStringError::Settings(TdsSettingsError::NoServer))
        );
        let e = parse_connection_string("Server=h;Encrypt=maybe").unwrap_err();
        assert!(e.to_string().contains("Encrypt = \"maybe\""), "{e}");
        let e = parse_connection_string("Server=h;Password='open").unwrap_err();
        assert!(matches!(e, ConnectionStringError::Syntax(_)), "{e}");
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
            !r.contains("Sup3r") && r.contains("Password=<redacted>"),
            "{r}"
        );
        assert!(!redact_connection_string("pwd='x;y").contains("x;y"));
    }

    #[test]
    fn validation() {
        let mut s = SqlServerFolder::new(".");
        assert!(s.validate().is_ok());
        s.authentication = Authentication::Integrated;
        assert!(s.validate().unwrap_err().to_string().contains("GSSAPI"));
        s.authentication = Authentication::SqlServer;
        s.ca_file = Some("/etc/ca.txt".into());
        assert!(s.validate().unwrap_err().to_string().contains(".pem"));
        s.ca_file = Some("/etc/ca.pem".into());
        s.trust_server_certificate = true;
        assert!(s.validate().unwrap_err().to_string().contains("exclude"));
        let s = SqlServerFolder::new("np:x");
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("named pipes"));
    }
}
