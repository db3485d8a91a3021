//! Package stores without actors: the [`PackageStore`] contract every top-level folder of the
//! service implements, the folder definitions read from configuration, name rules, the DTSX
//! header reader used to describe stored packages, deployed projects (`.ispac`, File System
//! folders only), the File System store, and the msdb store (SQL Server, through tiberius).
//!
//! This crate must not know about actors, HTTP or the service's configuration files: the
//! service, `dtutil` and `dtexec` all use it directly.

pub mod atomic_file;
pub mod error;
pub mod file_system;
pub mod folder_spec;
pub mod msdb;
pub mod names;
pub mod package_header;
pub mod package_store;
pub mod projects;

pub use error::StoreError;
pub use file_system::{CreateRoot, FileSystemStore, RootPolicy};
pub use folder_spec::{FolderLocation, FolderSpec, FolderSpecError};
pub use msdb::{MsdbStore, SqlServerFolder};
pub use names::{strip_dtsx, ItemName, StorePath};
pub use package_header::{read_package_header, HeaderError, PackageHeader};
pub use package_store::{
    FolderListing, PackageEntry, PackageInfo, PackageRoles, PackageStore, SubfolderEntry,
};
pub use projects::{ProjectEntry, ProjectInfo};
