//! Where the command-line tools fetch a stored package from, without the service: an msdb
//! database opened with a SQL Server login (the stores crate's [`MsdbStore`], exactly as the
//! service opens it) — given by the tools' options or read from an OLE DB connection string
//! (Execute Package children stored in SQL Server) — or the service's package store over its
//! API (`/DTS`). Shared by `dtexec` and `dtutil`; it opens and reads, it does not interpret
//! packages.

use ssisd_sql::connection_string::{ConnectionString, Syntax};
use ssisd_sql::tds::TdsSettings;
use ssisd_stores::msdb::{Authentication, Encrypt, PasswordSource, Secret, SqlServerFolder};
use ssisd_stores::{ItemName, MsdbStore, PackageStore, StoreError, StorePath};

use crate::client::{Client, ClientError, ItemPath};

/// A server and SQL Server login as the tools' options give them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlLogin {
    pub server: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
}

/// Why a package could not be fetched, and whether it simply is not there.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub not_found: bool,
    pub message: String,
}

/// Why msdb cannot be opened with the login given.
#[derive(Debug, thiserror::Error)]
pub enum MsdbOpenError {
    /// No SQL Server login for the server (named).
    #[error("to reach msdb on \"{0}\" give a SQL Server login (user and password options): Windows authentication is not available on Linux")]
    NoLogin(String),
    #[error("cannot open msdb on \"{server}\": {source}")]
    Open {
        server: String,
        #[source]
        source: StoreError,
    },
}

/// Why an OLE DB connection string gives no SQL Server login.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionLoginError {
    #[error(transparent)]
    Syntax(#[from] ssisd_sql::connection_string::ConnectionStringError),
    #[error(transparent)]
    Settings(#[from] ssisd_sql::tds::TdsSettingsError),
    #[error(
        "the connection string has a User ID but no Password (packages do not keep \
         passwords): give it with /Conn or /Set on the connection's ConnectionString"
    )]
    NoPassword,
}

/// Opens msdb with SQL Server authentication (Windows authentication does not exist on Linux).
/// Local servers are trusted as the service trusts them; others validate their certificate
/// unless `SSISD_TRUST_SERVER_CERTIFICATE=1`.
pub async fn open_msdb(login: &SqlLogin) -> Result<MsdbStore, MsdbOpenError> {
    open_msdb_trusting(login, None).await
}

/// [`open_msdb`], with the connection string's `TrustServerCertificate` when it gives one.
pub async fn open_msdb_trusting(
    login: &SqlLogin,
    trust_server_certificate: Option<bool>,
) -> Result<MsdbStore, MsdbOpenError> {
    let server = login.server.clone().unwrap_or_else(|| ".".into());
    let Some(user) = login.user.clone() else {
        return Err(MsdbOpenError::NoLogin(server));
    };
    let mut settings = SqlServerFolder::new(server.clone());
    settings.authentication = Authentication::SqlServer;
    settings.user = Some(user);
    settings.password =
        PasswordSource::Inline(Secret::new(login.password.clone().unwrap_or_default()));
    let local = matches!(
        server.to_ascii_lowercase().as_str(),
        "." | "(local)" | "localhost" | "127.0.0.1"
    );
    settings.encrypt = Encrypt::Required;
    settings.trust_server_certificate = trust_server_certificate.unwrap_or_else(|| {
        local || std::env::var_os("SSISD_TRUST_SERVER_CERTIFICATE").is_some_and(|v| v == "1")
    });
    MsdbStore::open(settings)
        .await
        .map_err(|source| MsdbOpenError::Open { server, source })
}

/// The server and SQL Server login an OLE DB (or ADO) connection string names, with its
/// `TrustServerCertificate` setting when it has one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionLogin {
    pub login: SqlLogin,
    pub trust_server_certificate: Option<bool>,
}

/// Reads the server, SQL Server login and `TrustServerCertificate` of an OLE DB connection
/// string (ssisd-sql's reading: quoted values, synonyms, named instances). Windows
/// authentication (`Integrated Security`, `Trusted_Connection`) is refused: it does not exist
/// on Linux.
pub fn login_from_connection_string(text: &str) -> Result<ConnectionLogin, ConnectionLoginError> {
    let cs = ConnectionString::parse(text, Syntax::OleDb)?;
    let settings = TdsSettings::from_connection_string(&cs, Encrypt::Off)?;
    let password = match &settings.password {
        PasswordSource::Inline(p) => Some(p.expose().to_string()),
        _ => None,
    };
    if settings.user.is_some() && password.is_none() {
        return Err(ConnectionLoginError::NoPassword);
    }
    let trust = cs
        .get(&["trustservercertificate", "trust server certificate"])
        .map(|_| settings.trust_server_certificate);
    Ok(ConnectionLogin {
        login: SqlLogin {
            server: Some(settings.server),
            user: settings.user,
            password,
        },
        trust_server_certificate: trust,
    })
}

pub use ssisd_stores::strip_dtsx;

/// Why an msdb package path cannot be split into folder and package name.
#[derive(Debug, thiserror::Error)]
pub enum SqlPathError {
    /// Only separators, or nothing; holds the path.
    #[error("\"{0}\" names no package")]
    NoPackage(String),
    /// A folder or package name that is not valid.
    #[error(transparent)]
    Name(#[from] StoreError),
}

/// `Folder\Sub\Package` inside msdb → folder path and package name.
pub fn split_sql_path(text: &str) -> Result<(StorePath, ItemName), SqlPathError> {
    let names: Vec<&str> = text.split(['\\', '/']).filter(|s| !s.is_empty()).collect();
    let Some((last, folders)) = names.split_last() else {
        return Err(SqlPathError::NoPackage(text.to_string()));
    };
    let folder = StorePath::from_segments(folders)?;
    let name = ItemName::new(strip_dtsx(last))?;
    Ok((folder, name))
}

/// A package path in the service's store (`\File System\Sales\Load[.dtsx]`), split with the
/// service's top-level folder names (see [`Client::item_path`]).
pub fn dts_path(client: &Client, text: &str) -> Result<ItemPath, ClientError> {
    let mut p = client.item_path(text)?;
    if let Some(last) = p.0.last_mut() {
        *last = strip_dtsx(last).to_string();
    }
    Ok(p)
}

/// Reads a package from msdb.
pub async fn fetch_sql(login: &SqlLogin, path: &str) -> Result<Vec<u8>, FetchError> {
    fetch_sql_trusting(login, None, path).await
}

/// [`fetch_sql_trusting`] for callers outside any async runtime (dtexec): on a small runtime of
/// its own, giving up as soon as `cancelled` says so (checked every 50 ms).
pub fn fetch_sql_blocking(
    login: &SqlLogin,
    trust_server_certificate: Option<bool>,
    path: &str,
    cancelled: impl Fn() -> bool,
) -> Result<Vec<u8>, FetchError> {
    let plain = |message: String| FetchError {
        not_found: false,
        message,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| plain(format!("cannot start the SQL Server client: {e}")))?;
    runtime.block_on(async {
        let stop = async {
            while !cancelled() {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            r = fetch_sql_trusting(login, trust_server_certificate, path) => r,
            _ = stop => Err(plain("the run was cancelled while the package was being fetched".into())),
        }
    })
}

/// [`fetch_sql`] with an explicit `TrustServerCertificate` (from a connection string).
pub async fn fetch_sql_trusting(
    login: &SqlLogin,
    trust_server_certificate: Option<bool>,
    path: &str,
) -> Result<Vec<u8>, FetchError> {
    let plain = |message: String| FetchError {
        not_found: false,
        message,
    };
    let (folder, name) = split_sql_path(path).map_err(|e| plain(e.to_string()))?;
    let store = open_msdb_trusting(login, trust_server_certificate)
        .await
        .map_err(|e| plain(e.to_string()))?;
    store
        .get_package(&folder, &name)
        .await
        .map(|b| b.to_vec())
        .map_err(|e| FetchError {
            not_found: matches!(
                e,
                StoreError::PackageNotFound(_) | StoreError::FolderNotFound(_)
            ),
            message: e.to_string(),
        })
}

/// Reads a package from the service's store.
pub fn fetch_dts(server: Option<&str>, path: &str) -> Result<Vec<u8>, FetchError> {
    let plain = |message: String| FetchError {
        not_found: false,
        message,
    };
    let client = Client::connect(server).map_err(|e| plain(e.to_string()))?;
    let p = dts_path(&client, path).map_err(|e| plain(e.to_string()))?;
    client
        .request("GET", &format!("packages/{}", p.encoded()), None)
        .map(|a| a.body)
        .map_err(|e| FetchError {
            not_found: matches!(e, ClientError::Api { status: 404, .. }),
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oledb_connection_strings_give_a_login() {
        let found = login_from_connection_string(
            "Data Source=db1,1433;User ID=etl;Password=s3cret;Provider=SQLNCLI11.1;TrustServerCertificate=True;",
        )
        .expect("login");
        assert_eq!(found.login.server.as_deref(), Some("db1,1433"));
        assert_eq!(found.login.user.as_deref(), Some("etl"));
        assert_eq!(found.login.password.as_deref(), Some("s3cret"));
        assert_eq!(found.trust_server_certificate, Some(true));
        let quoted = login_from_connection_string("Server='db2';UID=u;PWD=\"p w\"").expect("login");
        assert_eq!(quoted.login.server.as_deref(), Some("db2"));
        assert_eq!(quoted.login.password.as_deref(), Some("p w"));
        let semicolon = login_from_connection_string(
            "Server=db3;UID=u;Password=\"a;b\"\"c\";Provider=SQLNCLI11",
        )
        .expect("login");
        assert_eq!(semicolon.login.password.as_deref(), Some("a;b\"c"));
    }

    #[test]
    fn windows_logins_missing_servers_and_missing_passwords_are_refused() {
        let e = login_from_connection_string("Data Source=db1;Integrated Security=SSPI;")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Windows authentication"), "{e}");
        let e = login_from_connection_string("User ID=a;Password=b")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no server"), "{e}");
        let e = login_from_connection_string("Data Source=db1;User ID=etl;")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/Conn"), "{e}");
    }
}
