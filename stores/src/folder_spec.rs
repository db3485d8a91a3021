//! The definition of one top-level folder as configuration gives it (a File System directory or
//! an msdb database on a SQL Server instance). It owns only the data and its validation; it must
//! not read configuration files or open stores.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::file_system::CreateRoot;
use crate::msdb::settings::FolderSettingsError;
use crate::msdb::SqlServerFolder;
use crate::names::ItemName;
use crate::StoreError;

/// Why a top-level folder's definition cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FolderSpecError {
    /// A name with a leading, trailing or doubled backslash; holds the name.
    #[error(
        "the top-level folder name \"{0}\" starts or ends with a backslash or has two in a row; a backslash may only separate two names (as in MSDB ETL01\\INST2)"
    )]
    StrayBackslash(String),
    /// One of the backslash-separated names is not a valid folder name.
    #[error("in the top-level folder name \"{name}\": {source}")]
    BadPart { name: String, source: StoreError },
    /// The name is not a valid folder name.
    #[error(transparent)]
    BadName(StoreError),
    #[error("store_path is empty")]
    EmptyStorePath,
    /// The msdb connection settings are not usable.
    #[error(transparent)]
    SqlServer(#[from] FolderSettingsError),
}

/// One top-level folder of the service (`[[folder]]` in TOML, `TopLevelFolders/Folder` in
/// `MsDtsSrvr.ini.xml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderSpec {
    pub name: String,
    #[serde(flatten)]
    pub location: FolderLocation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FolderLocation {
    /// A directory: subfolders are directories, packages are `<name>.dtsx` files.
    FileSystem {
        store_path: PathBuf,
        /// When the directory may be created (`create_store_path`).
        #[serde(default)]
        create: CreateRoot,
    },
    /// The msdb database of a SQL Server instance (`.`, `HOST\INSTANCE`, `HOST,PORT`, …) with
    /// its connection settings. Serialised as the server name only: settings hold no secret,
    /// but printing them is the configuration's job.
    SqlServer(#[serde(with = "server_only")] SqlServerFolder),
}

/// Folder specs travel as data (status, fingerprints); an msdb folder shows its server name.
mod server_only {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::msdb::SqlServerFolder;

    #[derive(Serialize, Deserialize)]
    struct Shown {
        server: String,
    }

    pub fn serialize<S: Serializer>(f: &SqlServerFolder, s: S) -> Result<S::Ok, S::Error> {
        Shown {
            server: f.server.clone(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SqlServerFolder, D::Error> {
        Shown::deserialize(d).map(|s| SqlServerFolder::new(s.server))
    }
}

impl FolderSpec {
    pub fn kind(&self) -> &'static str {
        match self.location {
            FolderLocation::FileSystem { .. } => "file-system",
            FolderLocation::SqlServer(_) => "sql-server",
        }
    }

    /// Whether the store compares folder and package names without regard to case: msdb does
    /// (its default collation), Linux file names do not.
    pub fn names_ignore_case(&self) -> bool {
        matches!(self.location, FolderLocation::SqlServer(_))
    }

    /// Where the folder's packages live, for people: a directory or a server name.
    pub fn location_text(&self) -> String {
        match &self.location {
            FolderLocation::FileSystem { store_path, .. } => store_path.display().to_string(),
            FolderLocation::SqlServer(f) => {
                if f.database
                    .eq_ignore_ascii_case(crate::msdb::settings::DEFAULT_DATABASE)
                {
                    f.server.clone()
                } else {
                    format!("{} (database {})", f.server, f.database)
                }
            }
        }
    }

    /// Checks the folder's name with the rule SSIS applies to folder names (no character that is
    /// invalid in a file name), except that a top-level name may hold backslashes between such
    /// names — SSIS loads `MSDB ETL01\INST2` (an instance name used as the folder's name); it is
    /// a label, never a file name.
    pub fn validate(&self) -> Result<(), FolderSpecError> {
        validate_top_level_name(&self.name)?;
        match &self.location {
            FolderLocation::FileSystem { store_path, .. } if store_path.as_os_str().is_empty() => {
                Err(FolderSpecError::EmptyStorePath)
            }
            FolderLocation::SqlServer(f) => Ok(f.validate()?),
            _ => Ok(()),
        }
    }
}

/// A top-level folder's name: names as [`ItemName`] has them, joined by single backslashes.
fn validate_top_level_name(name: &str) -> Result<(), FolderSpecError> {
    if name.contains('\\') {
        if name.starts_with('\\') || name.ends_with('\\') || name.contains("\\\\") {
            return Err(FolderSpecError::StrayBackslash(name.to_string()));
        }
        for part in name.split('\\') {
            ItemName::new(part).map_err(|source| FolderSpecError::BadPart {
                name: name.to_string(),
                source,
            })?;
        }
        return Ok(());
    }
    ItemName::new(name)
        .map(|_| ())
        .map_err(FolderSpecError::BadName)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> FolderSpec {
        FolderSpec {
            name: name.into(),
            location: FolderLocation::FileSystem {
                store_path: PathBuf::from("/srv/p"),
                create: Default::default(),
            },
        }
    }

    #[test]
    fn top_level_names_may_hold_an_instance_name() {
        assert!(spec("MSDB ETL01\\INST2").validate().is_ok());
        assert!(spec("A\\B\\C").validate().is_ok());
        for bad in ["\\MSDB", "MSDB\\", "A\\\\B", "A\\.hidden", "A\\b|c", "a/b"] {
            assert!(spec(bad).validate().is_err(), "{bad}");
        }
        assert!(spec("File System").validate().is_ok());
    }
}
