//! What a package of the project deployment model sees of its project once it is loaded from
//! one: the project's name and protection level, its parameters (`$Project::Name`, read-only
//! while the package runs) and the sensitive values of the project's files that could not be
//! read. The project's connection managers join the package's own connection managers (as
//! SSIS adds them to the package's Connections collection), so they are not repeated here.
//! Owns the data only; reading project files is `crate::project`.

use super::package::{ProtectionLevel, SensitiveValue};
use super::variable::Parameter;

/// The path of the project's objects in messages: `\Project`.
pub const PROJECT_ROOT: &str = "\\Project";

/// The project a package was loaded from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectScope {
    /// The project's name (from its manifest, else its file or folder name).
    pub name: String,
    pub protection_level: ProtectionLevel,
    /// The project parameters, typed with the variable codes packages use (`\Project.Parameters[Name]`).
    pub parameters: Vec<Parameter>,
    /// Sensitive values of the project's files that were present but could not be read.
    pub unreadable_sensitive_values: Vec<SensitiveValue>,
}

impl ProjectScope {
    /// The parameter `name`: exact name first, then ignoring case (as dtexec's lookups are).
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name).or_else(|| {
            self.parameters
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
        })
    }

    /// The names of the parameters, for messages: `A, B` or `(none)`.
    pub fn parameter_names(&self) -> String {
        if self.parameters.is_empty() {
            return "(none)".to_string();
        }
        self.parameters
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
