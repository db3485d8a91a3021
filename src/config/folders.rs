//! Top-level folders: the `[[folder]]` section (`file-system` and `sql-server` kinds and
//! their keys), checking one into a [`FolderSpec`], writing one back for `--check-config`
//! (the password's source, never a password), and the real service's default folders.

use std::path::Path;

use serde::{Deserialize, Serialize};
use ssisd_stores::msdb::settings::{
    Authentication, Encrypt, PasswordSource, DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_POOL_SIZE,
    INTEGRATED_REFUSED,
};
use ssisd_stores::{CreateRoot, FolderLocation, FolderSpec, SqlServerFolder};

use super::paths;

/// `[[folder]]`. The msdb keys (`server` and the ones after it) belong to `kind = "sql-server"`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FolderSection {
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_path: Option<String>,
    /// When a file-system folder's directory may be created: `first-use` (default: only when
    /// the service never used it), `always`, `never`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_store_path: Option<CreateRoot>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Refused when set: a password is never written in a configuration file.
    #[serde(skip_serializing)]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_server_certificate: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install_compat_schema: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout_seconds: Option<f64>,
    /// The executor runs of this folder's packages go to when they name none (an
    /// `[[executor]]` name; default `local`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
}

/// The msdb keys, for "belongs to sql-server" errors.
const SQL_SERVER_KEYS: &[&str] = &[
    "server",
    "database",
    "authentication",
    "user",
    "password",
    "password_file",
    "password_env",
    "encrypt",
    "trust_server_certificate",
    "ca_file",
    "install_compat_schema",
    "pool_size",
    "connect_timeout_seconds",
];

impl FolderSection {
    /// The msdb keys this section sets.
    fn sql_server_keys_set(&self) -> Vec<&'static str> {
        let set = [
            self.server.is_some(),
            self.database.is_some(),
            self.authentication.is_some(),
            self.user.is_some(),
            self.password.is_some(),
            self.password_file.is_some(),
            self.password_env.is_some(),
            self.encrypt.is_some(),
            self.trust_server_certificate.is_some(),
            self.ca_file.is_some(),
            self.install_compat_schema.is_some(),
            self.pool_size.is_some(),
            self.connect_timeout_seconds.is_some(),
        ];
        SQL_SERVER_KEYS
            .iter()
            .zip(set)
            .filter(|(_, s)| *s)
            .map(|(k, _)| *k)
            .collect()
    }
}

/// A folder as the configuration writes it. For msdb folders every setting is written out
/// (so `--check-config` shows the effective values); the password's *source* is shown, never a
/// password.
pub(crate) fn folder_section(spec: &FolderSpec) -> FolderSection {
    match &spec.location {
        FolderLocation::FileSystem { store_path, create } => FolderSection {
            kind: "file-system".into(),
            name: spec.name.clone(),
            store_path: Some(store_path.display().to_string()),
            create_store_path: Some(*create),
            ..FolderSection::default()
        },
        FolderLocation::SqlServer(f) => FolderSection {
            kind: "sql-server".into(),
            name: spec.name.clone(),
            server: Some(f.server.clone()),
            database: Some(f.database.clone()),
            authentication: Some(f.authentication.as_str().into()),
            user: f.user.clone(),
            password_file: match &f.password {
                PasswordSource::File(p) => Some(p.display().to_string()),
                _ => None,
            },
            password_env: match &f.password {
                PasswordSource::Env(n) => Some(n.clone()),
                _ => None,
            },
            encrypt: Some(
                match f.encrypt {
                    Encrypt::Required => "required",
                    Encrypt::Optional => "optional",
                    Encrypt::Off => "off",
                }
                .into(),
            ),
            trust_server_certificate: Some(f.trust_server_certificate),
            ca_file: f.ca_file.as_ref().map(|p| p.display().to_string()),
            install_compat_schema: Some(f.install_compat_schema),
            pool_size: Some(f.pool_size),
            connect_timeout_seconds: Some(f.connect_timeout_ms as f64 / 1000.0),
            ..FolderSection::default()
        },
    }
}

/// The real service's default top-level folders: `MSDB` on the local default instance and
/// `File System`. The local MSDB folder trusts the local server's certificate (the connection
/// never leaves the machine; SQL Server's own certificate is self-signed by default); it needs a
/// login from a configuration file to be usable, and shows unavailable with the reason until then.
pub fn default_folders(data_dir: &Path) -> Vec<FolderSpec> {
    let mut msdb = SqlServerFolder::new(".");
    msdb.trust_server_certificate = true;
    vec![
        FolderSpec {
            name: "MSDB".into(),
            location: FolderLocation::SqlServer(msdb),
        },
        FolderSpec {
            name: "File System".into(),
            location: FolderLocation::FileSystem {
                store_path: data_dir.join("Packages"),
                create: Default::default(),
            },
        },
    ]
}

/// Why a `[[folder]]` section does not make a folder; each names the folder.
#[derive(Debug, thiserror::Error)]
pub enum FolderSectionError {
    /// A key of kind sql-server in a file-system folder.
    #[error("folder \"{folder}\": `{key}` belongs to kind \"sql-server\"; a file-system folder has `store_path`")]
    SqlServerKey { folder: String, key: &'static str },
    #[error("folder \"{0}\" of kind \"file-system\" needs `store_path`")]
    NoStorePath(String),
    #[error("folder \"{folder}\": store_path: {source}")]
    StorePath {
        folder: String,
        #[source]
        source: paths::PathError,
    },
    #[error("folder \"{0}\": `create_store_path` belongs to kind \"file-system\"")]
    CreateStorePath(String),
    #[error("folder \"{0}\": `store_path` belongs to kind \"file-system\"; a sql-server folder has `server`")]
    StorePathInSqlServer(String),
    /// The msdb settings of a sql-server folder; the text names the folder and the key.
    #[error("{0}")]
    SqlServer(String),
    #[error(
        "folder \"{folder}\": kind \"{kind}\" is unknown; use \"file-system\" or \"sql-server\""
    )]
    UnknownKind { folder: String, kind: String },
    /// The folder as a whole (its name, its place) is refused.
    #[error("folder \"{folder}\": {source}")]
    Invalid {
        folder: String,
        #[source]
        source: ssisd_stores::FolderSpecError,
    },
}

pub(crate) fn folder_spec(
    f: &FolderSection,
    base: &Path,
) -> Result<FolderSpec, FolderSectionError> {
    let location = match f.kind.as_str() {
        "file-system" => {
            if let Some(key) = f.sql_server_keys_set().first() {
                return Err(FolderSectionError::SqlServerKey {
                    folder: f.name.clone(),
                    key,
                });
            }
            let written = f
                .store_path
                .as_deref()
                .ok_or_else(|| FolderSectionError::NoStorePath(f.name.clone()))?;
            FolderLocation::FileSystem {
                store_path: paths::resolve(written, base).map_err(|source| {
                    FolderSectionError::StorePath {
                        folder: f.name.clone(),
                        source,
                    }
                })?,
                create: f.create_store_path.unwrap_or_default(),
            }
        }
        "sql-server" => {
            if f.create_store_path.is_some() {
                return Err(FolderSectionError::CreateStorePath(f.name.clone()));
            }
            if f.store_path.is_some() {
                return Err(FolderSectionError::StorePathInSqlServer(f.name.clone()));
            }
            FolderLocation::SqlServer(
                sql_server_folder(f, base).map_err(FolderSectionError::SqlServer)?,
            )
        }
        other => {
            return Err(FolderSectionError::UnknownKind {
                folder: f.name.clone(),
                kind: other.to_string(),
            })
        }
    };
    let spec = FolderSpec {
        name: f.name.clone(),
        location,
    };
    spec.validate()
        .map_err(|source| FolderSectionError::Invalid {
            folder: f.name.clone(),
            source,
        })?;
    Ok(spec)
}

/// The msdb settings of a `sql-server` folder; errors name the key.
fn sql_server_folder(f: &FolderSection, base: &Path) -> Result<SqlServerFolder, String> {
    let name = &f.name;
    let server = f
        .server
        .clone()
        .ok_or_else(|| format!("folder \"{name}\" of kind \"sql-server\" needs `server`"))?;
    let mut s = SqlServerFolder::new(server);
    if f.password.is_some() {
        return Err(format!("folder \"{name}\": `password` is not accepted: a password is never written in the configuration; put it in a file readable only by the service and name it with `password_file`, or name an environment variable with `password_env`"));
    }
    if let Some(db) = &f.database {
        s.database = db.clone();
    }
    s.authentication = match f.authentication.as_deref() {
        None | Some("sql-server") => Authentication::SqlServer,
        Some("integrated") => {
            return Err(format!(
                "folder \"{name}\": `authentication`: {INTEGRATED_REFUSED}"
            ))
        }
        Some(other) => {
            return Err(format!(
                "folder \"{name}\": `authentication` = \"{other}\" is unknown; use \"sql-server\" (\"integrated\" is not available in this build)"
            ))
        }
    };
    s.user = f.user.clone().filter(|u| !u.trim().is_empty());
    s.password = match (&f.password_file, &f.password_env) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "folder \"{name}\": `password_file` and `password_env` exclude each other; keep one"
            ))
        }
        (Some(file), None) => PasswordSource::File(
            paths::resolve(file, base)
                .map_err(|m| format!("folder \"{name}\": `password_file`: {m}"))?,
        ),
        (None, Some(var)) if var.trim().is_empty() => {
            return Err(format!("folder \"{name}\": `password_env` is empty"))
        }
        (None, Some(var)) => PasswordSource::Env(var.clone()),
        (None, None) => PasswordSource::None,
    };
    if s.user.is_none() && s.password != PasswordSource::None {
        return Err(format!(
            "folder \"{name}\": a password source is set but `user` is missing"
        ));
    }
    if let Some(e) = &f.encrypt {
        s.encrypt = match e.as_str() {
            "required" => Encrypt::Required,
            "optional" => Encrypt::Optional,
            "off" => Encrypt::Off,
            other => {
                return Err(format!(
                    "folder \"{name}\": `encrypt` = \"{other}\" is unknown; use \"required\", \"optional\" or \"off\""
                ))
            }
        };
    }
    if let Some(t) = f.trust_server_certificate {
        s.trust_server_certificate = t;
    }
    if let Some(ca) = &f.ca_file {
        s.ca_file = Some(
            paths::resolve(ca, base).map_err(|m| format!("folder \"{name}\": `ca_file`: {m}"))?,
        );
    }
    if let Some(i) = f.install_compat_schema {
        s.install_compat_schema = i;
    }
    if let Some(n) = f.pool_size {
        if n == 0 || n > 64 {
            return Err(format!(
                "folder \"{name}\": `pool_size` must be between 1 and 64 (default {DEFAULT_POOL_SIZE})"
            ));
        }
        s.pool_size = n;
    }
    if let Some(t) = f.connect_timeout_seconds {
        if !(t > 0.0 && t.is_finite() && t <= 600.0) {
            return Err(format!(
                "folder \"{name}\": `connect_timeout_seconds` must be a number of seconds between 0 and 600 (default {DEFAULT_CONNECT_TIMEOUT_SECONDS})"
            ));
        }
        s.connect_timeout_ms = (t * 1000.0).round().max(1.0) as u64;
    }
    Ok(s)
}
