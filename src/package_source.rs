//! Where the command-line tools fetch a stored package from, without the service: an msdb
//! database opened with a SQL Server login (the stores crate's [`MsdbStore`], exactly as the
//! service opens it), or the service's package store over its API (`/DTS`). Shared by `dtexec`
//! and `dtutil`; it opens and reads, it does not interpret packages.

use ssisd_stores::msdb::{Authentication, Encrypt, PasswordSource, Secret, SqlServerFolder};
use ssisd_stores::{ItemName, MsdbStore, PackageStore, StoreError, StorePath};

use crate::client::{Client, ClientError, ItemPath};

/// A server and SQL Server login as the tools' options give them.
#[derive(Debug, Clone, Default)]
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

/// Opens msdb with SQL Server authentication (Windows authentication does not exist on Linux).
/// Local servers are trusted as the service trusts them; others validate their certificate
/// unless `SSISD_TRUST_SERVER_CERTIFICATE=1`.
pub async fn open_msdb(login: &SqlLogin) -> Result<MsdbStore, String> {
    let server = login.server.clone().unwrap_or_else(|| ".".into());
    let Some(user) = login.user.clone() else {
        return Err(format!(
            "to reach msdb on \"{server}\" give a SQL Server login (user and password options): Windows authentication is not available on Linux"
        ));
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
    settings.trust_server_certificate =
        local || std::env::var_os("SSISD_TRUST_SERVER_CERTIFICATE").is_some_and(|v| v == "1");
    MsdbStore::open(settings)
        .await
        .map_err(|e| format!("cannot open msdb on \"{server}\": {e}"))
}

/// Strips a trailing `.dtsx`, as SSIS paths may carry it.
pub fn strip_dtsx(name: &str) -> &str {
    match name.len().checked_sub(5) {
        Some(i) if name.is_char_boundary(i) && name[i..].eq_ignore_ascii_case(".dtsx") => {
            &name[..i]
        }
        _ => name,
    }
}

/// `Folder\Sub\Package` inside msdb → folder path and package name.
pub fn split_sql_path(text: &str) -> Result<(StorePath, ItemName), String> {
    let names: Vec<&str> = text.split(['\\', '/']).filter(|s| !s.is_empty()).collect();
    let Some((last, folders)) = names.split_last() else {
        return Err(format!("\"{text}\" names no package"));
    };
    let folder = StorePath::from_segments(folders).map_err(|e| e.to_string())?;
    let name = ItemName::new(strip_dtsx(last)).map_err(|e| e.to_string())?;
    Ok((folder, name))
}

/// A package path in the service's store (`\File System\Sales\Load[.dtsx]`).
pub fn dts_path(text: &str) -> Result<ItemPath, String> {
    let mut p = ItemPath::parse(text)?;
    if let Some(last) = p.0.last_mut() {
        *last = strip_dtsx(last).to_string();
    }
    Ok(p)
}

/// Reads a package from msdb.
pub async fn fetch_sql(login: &SqlLogin, path: &str) -> Result<Vec<u8>, FetchError> {
    let plain = |message: String| FetchError {
        not_found: false,
        message,
    };
    let (folder, name) = split_sql_path(path).map_err(plain)?;
    let store = open_msdb(login).await.map_err(plain)?;
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
    let p = dts_path(path).map_err(plain)?;
    let client = Client::connect(server).map_err(|e| plain(e.to_string()))?;
    client
        .request("GET", &format!("packages/{}", p.encoded()), None)
        .map(|a| a.body)
        .map_err(|e| FetchError {
            not_found: matches!(e, ClientError::Api { status: 404, .. }),
            message: e.to_string(),
        })
}
