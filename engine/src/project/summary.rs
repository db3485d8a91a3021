//! What a project is, in a form to show and serialize (the service's folder listings, ssisctl):
//! its name, ID, protection level and version, its packages and whether each is an entry point,
//! its parameters — type, whether required and sensitive, and the value unless it is sensitive
//! — and its connection managers. It owns that description only; it must never carry a
//! sensitive value.

use serde::Serialize;

use super::{Project, ProjectPackage};
use crate::types::DataType;

/// One project parameter as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParameterSummary {
    pub name: String,
    /// The SSIS type name, e.g. `DT_WSTR`.
    pub data_type: String,
    pub required: bool,
    pub sensitive: bool,
    /// The project's value; `None` for a sensitive parameter.
    pub value: Option<String>,
}

/// One project connection manager as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionSummary {
    pub name: String,
    /// `OLEDB`, `FILE`, `SMTP`, …
    pub kind: String,
}

/// A project as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectSummary {
    pub name: String,
    pub id: String,
    pub protection_level: String,
    /// `major.minor.build` of the manifest.
    pub version: String,
    pub packages: Vec<ProjectPackage>,
    pub parameters: Vec<ParameterSummary>,
    pub connection_managers: Vec<ConnectionSummary>,
}

impl Project {
    /// The project as shown to users (no sensitive value).
    pub fn summary(&self) -> ProjectSummary {
        let (major, minor, build) = self.version();
        ProjectSummary {
            name: self.name().to_string(),
            id: self.id().to_string(),
            protection_level: format!("{:?}", self.protection_level()),
            version: format!("{major}.{minor}.{build}"),
            packages: self.packages().to_vec(),
            parameters: self
                .parameters()
                .iter()
                .map(|p| ParameterSummary {
                    name: p.name.clone(),
                    data_type: DataType::from_variable_code(i32::from(p.data_type))
                        .map_or_else(|| p.data_type.to_string(), |t| t.static_name().to_string()),
                    required: p.required,
                    sensitive: p.sensitive,
                    value: (!p.sensitive).then(|| p.value.clone()),
                })
                .collect(),
            connection_managers: self
                .connections()
                .iter()
                .map(|c| ConnectionSummary {
                    name: c.name.clone(),
                    kind: c.creation_name.clone(),
                })
                .collect(),
        }
    }
}
