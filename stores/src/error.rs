//! The errors a package store reports. Each variant names the object it is about and reads as a
//! sentence a person can act on; the HTTP layer maps variants to status codes, so variants must
//! stay about *what* went wrong, never about transport.

use std::path::PathBuf;

use crate::package_header::HeaderError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },

    #[error("folder \"{0}\" does not exist")]
    FolderNotFound(String),

    #[error("package \"{0}\" does not exist")]
    PackageNotFound(String),

    #[error("{what} \"{path}\" already exists{hint}")]
    AlreadyExists {
        what: &'static str,
        path: String,
        hint: &'static str,
    },

    #[error("folder \"{path}\" is not empty ({content}); delete its content first or ask for a recursive delete")]
    FolderNotEmpty { path: String, content: String },

    #[error("the root of top-level folder \"{0}\" cannot be {1}: top-level folders come from the service configuration")]
    TopLevelFolder(String, &'static str),

    #[error("the body is not an SSIS package: {0}")]
    NotAPackage(#[from] HeaderError),

    #[error("project \"{0}\" does not exist")]
    ProjectNotFound(String),

    #[error("the body is not an SSIS project (.ispac): {0}")]
    NotAProject(String),

    #[error(
        "the folder \"{0}\" keeps packages only: deploy projects (.ispac) to a File System folder"
    )]
    ProjectsNotSupported(String),

    #[error("store unavailable: {0}")]
    Unavailable(String),

    /// The store can be read but not changed now (a read-only mount, an immutable directory);
    /// it recovers by itself when the cause goes away.
    #[error("store is read-only: {0}")]
    ReadOnly(String),

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// Whether the store as a whole cannot serve this request now (rather than the request
    /// being wrong): the store actor then checks its health at once.
    pub fn is_outage(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::ReadOnly(_))
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
