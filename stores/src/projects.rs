//! Deployed projects in a store: an `.ispac` file kept byte for byte beside the folder's
//! packages (`<name>.ispac`), described in listings by what its manifest, parameters and
//! connection managers say (`ssisd_engine::project`). It owns checking that bytes are a
//! project before they are stored and describing stored ones; it must not run anything nor
//! know how a store keeps its files.

use std::path::Path;

use serde::Serialize;
use ssisd_engine::project::{Project, ProjectSummary};
use ssisd_engine::LoadOptions;

use crate::error::StoreError;

/// The file extension of a stored project.
pub const PROJECT_EXTENSION: &str = "ispac";

/// A project as a listing describes it.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectInfo {
    /// The stored name (without `.ispac`), which may differ from the name in the manifest.
    pub name: String,
    /// Size of the stored bytes.
    pub size: u64,
    /// Last change of the stored bytes (RFC 3339), when the store knows it.
    pub modified: Option<String>,
    /// The project's own description; `None` when the stored file cannot be read as one.
    pub project: Option<ProjectSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectEntry {
    #[serde(flatten)]
    pub info: ProjectInfo,
    /// Set when the stored file cannot be read as a project (it was put there by hand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Checks that `bytes` are a project (an `.ispac` whose manifest, parameters, connection
/// managers and packages can be read) and describes it; `name` names it in messages.
pub fn describe(name: &str, bytes: &[u8]) -> Result<ProjectSummary, StoreError> {
    let label = Path::new(name);
    Project::from_ispac(bytes.to_vec(), label, &LoadOptions::default())
        .map(|p| p.summary())
        .map_err(|e| StoreError::NotAProject(e.to_string()))
}

/// A stored file's listing entry.
pub fn entry(
    name: String,
    size: u64,
    modified: Option<String>,
    bytes: Result<Vec<u8>, String>,
) -> ProjectEntry {
    let described = bytes.and_then(|b| describe(&name, &b).map_err(|e| e.to_string()));
    let (project, error) = match described {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e)),
    };
    ProjectEntry {
        info: ProjectInfo {
            name,
            size,
            modified,
            project,
        },
        error,
    }
}
