//! The definition of one top-level folder as configuration gives it (a File System directory or
//! an msdb database on a SQL Server instance). It owns only the data and its validation; it must
//! not read configuration files or open stores.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::names::ItemName;

/// One top-level folder of the service (`[[folder]]` in TOML, `TopLevelFolders/Folder` in
/// `MsDtsSrvr.ini.xml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderSpec {
    pub name: String,
    #[serde(flatten)]
    pub location: FolderLocation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FolderLocation {
    /// A directory: subfolders are directories, packages are `<name>.dtsx` files.
    FileSystem { store_path: PathBuf },
    /// The msdb database of a SQL Server instance (`.`, `HOST\INSTANCE`, `HOST,PORT`, …).
    SqlServer { server: String },
}

impl FolderSpec {
    pub fn kind(&self) -> &'static str {
        match self.location {
            FolderLocation::FileSystem { .. } => "file-system",
            FolderLocation::SqlServer { .. } => "sql-server",
        }
    }

    /// Where the folder's packages live, for people: a directory or a server name.
    pub fn location_text(&self) -> String {
        match &self.location {
            FolderLocation::FileSystem { store_path } => store_path.display().to_string(),
            FolderLocation::SqlServer { server } => server.clone(),
        }
    }

    /// Checks the folder's name with the rule SSIS applies to folder names (no character that is
    /// invalid in a file name).
    pub fn validate(&self) -> Result<(), String> {
        ItemName::new(&self.name).map_err(|e| e.to_string())?;
        match &self.location {
            FolderLocation::FileSystem { store_path } if store_path.as_os_str().is_empty() => {
                Err("store_path is empty".into())
            }
            FolderLocation::SqlServer { server } if server.trim().is_empty() => {
                Err("server is empty".into())
            }
            _ => Ok(()),
        }
    }
}
