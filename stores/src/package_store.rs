//! The contract of a package store — one top-level folder's tree of folders and packages — and
//! the data it returns (a listing, a package's reader and writer roles). Implementations (File
//! System, msdb) decide how to keep packages; callers (the store actor, `dtutil`, `dtexec`) must
//! not depend on which.

use async_trait::async_trait;
use bytes::Bytes;
use serde::Serialize;

use crate::error::StoreError;
use crate::names::{ItemName, StorePath};
use crate::package_header::PackageHeader;
use crate::projects::{ProjectEntry, ProjectInfo};

/// A package as a listing describes it.
#[derive(Debug, Clone, Serialize)]
pub struct PackageInfo {
    /// The stored name (without `.dtsx`), which may differ from the name inside the package.
    pub name: String,
    /// Size of the stored bytes.
    pub size: u64,
    /// Last change of the stored bytes (RFC 3339), when the store knows it.
    pub modified: Option<String>,
    /// The package's own identity, read from its XML.
    #[serde(flatten)]
    pub header: PackageHeader,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageEntry {
    #[serde(flatten)]
    pub info: PackageInfo,
    /// Set when the stored file cannot be read as a package (it was put there by hand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubfolderEntry {
    pub name: String,
}

/// The content of one folder, sorted by name.
#[derive(Debug, Clone, Serialize)]
pub struct FolderListing {
    pub folders: Vec<SubfolderEntry>,
    pub packages: Vec<PackageEntry>,
    /// Deployed projects (`.ispac`); always empty in msdb folders.
    pub projects: Vec<ProjectEntry>,
}

/// The database roles an msdb package names: members of the reader role may view, export and
/// run it, members of the writer role may replace and delete it. `None` means no such role is
/// set, so only the fixed `db_ssis*` roles decide. Names, not SIDs: a role SID that no longer
/// resolves to a database role is reported as `db_ssisadmin`, as msdb's `sp_ssis_getpackage`,
/// `sp_ssis_putpackage` and `sp_ssis_deletepackage` treat it. File System packages have none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PackageRoles {
    pub reader: Option<String>,
    pub writer: Option<String>,
}

/// One top-level folder's packages. Every method names the folder it works in; a missing folder
/// or package is an error, never an empty answer.
#[async_trait]
pub trait PackageStore: Send + Sync + 'static {
    /// Confirms the store can be used now (its directory or server is there).
    async fn check(&self) -> Result<(), StoreError>;

    async fn list(&self, folder: &StorePath) -> Result<FolderListing, StoreError>;

    /// A number that stays the same while nothing in the folder changes, so that a listing
    /// made at one version may be answered again at the same version; `None` when the store
    /// cannot tell (then every listing is made afresh).
    async fn folder_version(&self, _folder: &StorePath) -> Option<u64> {
        None
    }
    async fn create_folder(&self, folder: &StorePath) -> Result<(), StoreError>;
    /// Deletes a folder; a folder with content is refused unless `recursive`.
    async fn delete_folder(&self, folder: &StorePath, recursive: bool) -> Result<(), StoreError>;
    async fn rename_folder(
        &self,
        folder: &StorePath,
        new_name: &ItemName,
    ) -> Result<(), StoreError>;

    /// Stores a package. The bytes must be a DTSX package; they are kept exactly as given.
    /// Returns the description of the stored package and whether it replaced one.
    async fn put_package(
        &self,
        folder: &StorePath,
        name: &ItemName,
        bytes: Bytes,
        overwrite: bool,
    ) -> Result<(PackageInfo, bool), StoreError>;
    async fn get_package(&self, folder: &StorePath, name: &ItemName) -> Result<Bytes, StoreError>;
    async fn package_exists(&self, folder: &StorePath, name: &ItemName)
        -> Result<bool, StoreError>;
    async fn delete_package(&self, folder: &StorePath, name: &ItemName) -> Result<(), StoreError>;
    async fn rename_package(
        &self,
        folder: &StorePath,
        name: &ItemName,
        new_name: &ItemName,
    ) -> Result<(), StoreError>;

    /// Stores a deployed project (the bytes of an `.ispac`, kept exactly as given) under
    /// `name`. Returns its description and whether it replaced one. Stores that keep packages
    /// only refuse it ([`StoreError::ProjectsNotSupported`]).
    async fn put_project(
        &self,
        folder: &StorePath,
        _name: &ItemName,
        _bytes: Bytes,
        _overwrite: bool,
    ) -> Result<(ProjectInfo, bool), StoreError> {
        Err(StoreError::ProjectsNotSupported(folder.to_string()))
    }

    /// The bytes of the project `name` (an `.ispac`).
    async fn get_project(&self, folder: &StorePath, name: &ItemName) -> Result<Bytes, StoreError> {
        Err(StoreError::ProjectNotFound(folder.join(name).to_string()))
    }

    /// Deletes the project `name`.
    async fn delete_project(&self, folder: &StorePath, name: &ItemName) -> Result<(), StoreError> {
        Err(StoreError::ProjectNotFound(folder.join(name).to_string()))
    }

    /// The package's reader and writer roles. A store that keeps no roles (File System) answers
    /// [`PackageRoles::default`] once the package is known to exist; a missing package is
    /// [`StoreError::PackageNotFound`] and a missing folder [`StoreError::FolderNotFound`], as
    /// with [`PackageStore::get_package`].
    async fn package_roles(
        &self,
        folder: &StorePath,
        name: &ItemName,
    ) -> Result<PackageRoles, StoreError> {
        if self.package_exists(folder, name).await? {
            Ok(PackageRoles::default())
        } else {
            Err(StoreError::PackageNotFound(folder.join(name).to_string()))
        }
    }
}
