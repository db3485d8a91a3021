//! Where dtutil reads and writes a package: a file, an msdb database (through the stores
//! crate's [`MsdbStore`], as the service does), or the service's package store (`/DTS`, through
//! the management API client). Each place can be read, written (refusing or replacing an
//! existing package), tested and deleted, and SQL/DTS places hold folders too. Errors carry the
//! dtutil exit code they mean.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use ssisd_stores::{atomic_file, ItemName, MsdbStore, PackageStore, StoreError, StorePath};

use super::options::Kind;
use crate::client::{Client, ClientError, ItemPath};
use crate::import_protection::ImportProtection;

/// A failure and the exit code it gives (1 failed, 4 not found, 5 cannot load).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        let code = match e {
            StoreError::PackageNotFound(_) | StoreError::FolderNotFound(_) => 4,
            StoreError::NotAPackage(_) => 5,
            _ => 1,
        };
        Failure::new(code, e.to_string())
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        let code = match &e {
            ClientError::Api { status: 404, .. } => 4,
            ClientError::Api {
                status: 400,
                message,
            } if message.contains("not an SSIS package")
                || message.contains("cannot be opened") =>
            {
                5
            }
            _ => 1,
        };
        Failure::new(code, e.to_string())
    }
}

pub use crate::package_source::SqlLogin;

/// Opens msdb for dtutil (failures exit 1).
pub async fn open_msdb(login: &SqlLogin) -> Result<MsdbStore, Failure> {
    crate::package_source::open_msdb(login)
        .await
        .map_err(|e| Failure::new(1, e.to_string()))
}

/// `Folder\Sub\Package` (msdb, relative to its root) → folder path and name.
pub fn split_sql_path(text: &str) -> Result<(StorePath, ItemName), Failure> {
    crate::package_source::split_sql_path(text).map_err(|e| Failure::new(6, e.to_string()))
}

/// A folder path inside msdb (`\`, empty or `Folder\Sub`).
pub fn sql_folder(text: &str) -> Result<StorePath, Failure> {
    let names: Vec<&str> = text.split(['\\', '/']).filter(|s| !s.is_empty()).collect();
    StorePath::from_segments(&names).map_err(|e| Failure::new(6, e.to_string()))
}

/// A DTS path (`File System\Sales\Load[.dtsx]`) as the API names it; a path that names
/// nothing is a bad command line (6).
pub fn dts_path(client: &Client, text: &str) -> Result<ItemPath, Failure> {
    crate::package_source::dts_path(client, text).map_err(|e| match e {
        ClientError::Api {
            status: 400,
            message,
        } => Failure::new(6, message),
        other => other.into(),
    })
}

/// One package somewhere.
pub enum Place {
    File(PathBuf),
    Sql {
        store: MsdbStore,
        folder: StorePath,
        name: ItemName,
        display: String,
    },
    Dts {
        client: Client,
        path: ItemPath,
    },
}

impl Place {
    pub fn describe(&self) -> String {
        match self {
            Place::File(p) => p.display().to_string(),
            Place::Sql { display, .. } => format!("SQL {display}"),
            Place::Dts { path, .. } => format!("DTS {}", path.display()),
        }
    }

    pub async fn open(
        kind: Kind,
        text: &str,
        login: &SqlLogin,
        service: Option<&str>,
    ) -> Result<Place, Failure> {
        Ok(match kind {
            Kind::File => Place::File(PathBuf::from(text.replace('\\', "/"))),
            Kind::Sql => {
                let (folder, name) = split_sql_path(text)?;
                Place::Sql {
                    store: open_msdb(login).await?,
                    folder,
                    name,
                    display: text.to_string(),
                }
            }
            Kind::Dts => {
                let client = Client::connect(service)?;
                let path = dts_path(&client, text)?;
                Place::Dts { client, path }
            }
        })
    }

    pub async fn read(&self) -> Result<Vec<u8>, Failure> {
        match self {
            Place::File(p) => std::fs::read(p).map_err(|e| {
                let code = if e.kind() == std::io::ErrorKind::NotFound {
                    4
                } else {
                    1
                };
                Failure::new(code, format!("cannot read {}: {e}", p.display()))
            }),
            Place::Sql {
                store,
                folder,
                name,
                ..
            } => Ok(store.get_package(folder, name).await?.to_vec()),
            Place::Dts { client, path } => Ok(client
                .request("GET", &format!("packages/{}", path.encoded()), None)?
                .body),
        }
    }

    pub async fn exists(&self) -> Result<bool, Failure> {
        match self {
            Place::File(p) => Ok(p.is_file()),
            Place::Sql {
                store,
                folder,
                name,
                ..
            } => match store.package_exists(folder, name).await {
                Ok(b) => Ok(b),
                Err(StoreError::FolderNotFound(_)) => Ok(false),
                Err(e) => Err(e.into()),
            },
            Place::Dts { client, path } => {
                let a = client.raw(
                    "HEAD",
                    &format!("packages/{}", path.encoded()),
                    None,
                    std::time::Duration::from_secs(60),
                )?;
                Ok(a.status == 200)
            }
        }
    }

    /// Writes the package; `replace` false refuses an existing one (exit code 1).
    pub async fn write(&self, bytes: Vec<u8>, replace: bool) -> Result<(), Failure> {
        self.write_with(bytes, replace, &ImportProtection::default())
            .await
    }

    /// [`Place::write`], asking the service to apply `protection` to a `/DTS` package (the
    /// other places get bytes already protected).
    pub async fn write_with(
        &self,
        bytes: Vec<u8>,
        replace: bool,
        protection: &ImportProtection,
    ) -> Result<(), Failure> {
        match self {
            Place::File(p) => {
                ssisd_engine::header::read_package_header(&bytes)
                    .map_err(|e| Failure::new(5, format!("not an SSIS package: {e}")))?;
                atomic_file::write_atomically(p, &bytes, replace)
                    .map(|_| ())
                    .map_err(|e| {
                        if e.kind() == std::io::ErrorKind::AlreadyExists {
                            Failure::new(1, format!("{} already exists", p.display()))
                        } else {
                            Failure::new(1, format!("cannot write {}: {e}", p.display()))
                        }
                    })
            }
            Place::Sql {
                store,
                folder,
                name,
                ..
            } => {
                store
                    .put_package(folder, name, Bytes::from(bytes), replace)
                    .await?;
                Ok(())
            }
            Place::Dts { client, path } => {
                let q = if replace { "?overwrite=true" } else { "" };
                client.request_with_headers(
                    "PUT",
                    &format!("packages/{}{q}", path.encoded()),
                    Some(&bytes),
                    &protection.headers(),
                )?;
                Ok(())
            }
        }
    }

    pub async fn delete(&self) -> Result<(), Failure> {
        match self {
            Place::File(p) => std::fs::remove_file(p).map_err(|e| {
                let code = if e.kind() == std::io::ErrorKind::NotFound {
                    4
                } else {
                    1
                };
                Failure::new(code, format!("cannot delete {}: {e}", p.display()))
            }),
            Place::Sql {
                store,
                folder,
                name,
                ..
            } => Ok(store.delete_package(folder, name).await?),
            Place::Dts { client, path } => {
                client.request("DELETE", &format!("packages/{}", path.encoded()), None)?;
                Ok(())
            }
        }
    }
}

/// The file name a FILE destination ends with when it names a directory.
pub fn file_destination(text: &str, source_name: &str) -> PathBuf {
    let p = PathBuf::from(text.replace('\\', "/"));
    if p.is_dir() {
        p.join(format!("{source_name}.dtsx"))
    } else {
        p
    }
}

/// The package name of a place (for destinations that name a folder only).
pub fn source_name(place: &Place) -> String {
    match place {
        Place::File(p) => Path::new(p)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("package")
            .to_string(),
        Place::Sql { name, .. } => name.to_string(),
        Place::Dts { path, .. } => path.name().to_string(),
    }
}
