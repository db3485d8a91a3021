//! The package: its own properties (identity, version, protection level, checkpoint
//! settings, …) and the top of the object tree. It owns the data types only; loading is in
//! `crate::load`, traversal in `walk`, the report of what cannot run in `validation`.

use std::collections::BTreeMap;
use std::fmt;

use super::configuration::{LogProvider, PackageConfiguration};
use super::connection::ConnectionManager;
use super::constraint::PrecedenceConstraint;
use super::event_handler::EventHandler;
use super::executable::{ExecProperties, Executable};
use super::expression::PropertyExpression;
use super::project::ProjectScope;
use super::variable::{Parameter, Variable};

/// DTSProtectionLevel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ProtectionLevel {
    DontSaveSensitive,
    /// The object-model default; an absent 2012+ attribute means this.
    #[default]
    EncryptSensitiveWithUserKey,
    EncryptSensitiveWithPassword,
    EncryptAllWithPassword,
    EncryptAllWithUserKey,
    ServerStorage,
}

impl ProtectionLevel {
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => ProtectionLevel::DontSaveSensitive,
            1 => ProtectionLevel::EncryptSensitiveWithUserKey,
            2 => ProtectionLevel::EncryptSensitiveWithPassword,
            3 => ProtectionLevel::EncryptAllWithPassword,
            4 => ProtectionLevel::EncryptAllWithUserKey,
            5 => ProtectionLevel::ServerStorage,
            _ => return None,
        })
    }

    pub fn code(self) -> i32 {
        match self {
            ProtectionLevel::DontSaveSensitive => 0,
            ProtectionLevel::EncryptSensitiveWithUserKey => 1,
            ProtectionLevel::EncryptSensitiveWithPassword => 2,
            ProtectionLevel::EncryptAllWithPassword => 3,
            ProtectionLevel::EncryptAllWithUserKey => 4,
            ProtectionLevel::ServerStorage => 5,
        }
    }

    /// Whether sensitive values are encrypted with a Windows user key (DPAPI).
    pub fn uses_user_key(self) -> bool {
        matches!(
            self,
            ProtectionLevel::EncryptSensitiveWithUserKey | ProtectionLevel::EncryptAllWithUserKey
        )
    }

    /// Whether a password is needed to read the package.
    pub fn uses_password(self) -> bool {
        matches!(
            self,
            ProtectionLevel::EncryptSensitiveWithPassword | ProtectionLevel::EncryptAllWithPassword
        )
    }
}

impl fmt::Display for ProtectionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ProtectionLevel::DontSaveSensitive => "DontSaveSensitive",
            ProtectionLevel::EncryptSensitiveWithUserKey => "EncryptSensitiveWithUserKey",
            ProtectionLevel::EncryptSensitiveWithPassword => "EncryptSensitiveWithPassword",
            ProtectionLevel::EncryptAllWithPassword => "EncryptAllWithPassword",
            ProtectionLevel::EncryptAllWithUserKey => "EncryptAllWithUserKey",
            ProtectionLevel::ServerStorage => "ServerStorage",
        };
        write!(f, "{s} ({})", self.code())
    }
}

/// The package's own properties.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageProperties {
    pub name: String,
    pub dtsid: String,
    pub description: String,
    pub creator_name: String,
    pub creator_computer_name: String,
    /// As written (`M/D/YYYY h:mm:ss AM`); not parsed.
    pub creation_date: String,
    pub version_major: i32,
    pub version_minor: i32,
    pub version_build: i32,
    pub version_guid: String,
    pub version_comments: String,
    pub last_modified_product_version: String,
    pub protection_level: ProtectionLevel,
    /// DTSPackageType (5 = designer, …).
    pub package_type: i32,
    /// -1 = number of processors + 2.
    pub max_concurrent_executables: i32,
    pub package_priority_class: i32,
    pub enable_config: bool,
    pub suppress_configuration_warnings: bool,
    pub checkpoint_file_name: String,
    pub save_checkpoints: bool,
    /// DTSCheckpointUsage: 0 Never, 1 IfExists, 2 Always.
    pub checkpoint_usage: i32,
    pub offline_mode: bool,
    /// Properties every executable shares (MaxErrorCount, FailPackageOnFailure, LocaleID, …).
    pub common: ExecProperties,
}

/// A sensitive value that was present in the file but could not be read (left empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SensitiveValue {
    /// Path of the owning object, e.g. `\Package.Connections[Db]`.
    pub owner: String,
    /// Property name (`Password`, `ServerPassword`, …).
    pub name: String,
}

/// A whole package, whichever format it was loaded from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Package {
    /// `PackageFormatVersion` (2, 3, 6, 8); inferred from the package type when absent.
    pub format_version: u32,
    /// `DTS:ExecutableType` of the root as written.
    pub executable_type: String,
    pub properties: PackageProperties,
    pub variables: Vec<Variable>,
    pub parameters: Vec<Parameter>,
    pub connections: Vec<ConnectionManager>,
    pub configurations: Vec<PackageConfiguration>,
    pub log_providers: Vec<LogProvider>,
    pub property_expressions: Vec<PropertyExpression>,
    /// Top-level executables (children of `\Package`).
    pub executables: Vec<Executable>,
    /// Constraints between the top-level executables.
    pub constraints: Vec<PrecedenceConstraint>,
    /// The package's own event handlers.
    pub event_handlers: Vec<EventHandler>,
    /// Sensitive values that were left empty (user-key protection cannot be decrypted here).
    pub unreadable_sensitive_values: Vec<SensitiveValue>,
    /// Every simple package property as read (name → text).
    pub raw_properties: BTreeMap<String, String>,
    /// The project the package was loaded from (`dtexec /Project`, a deployed project);
    /// `None` for a package run from a file, which has no `$Project::` parameters.
    pub project: Option<ProjectScope>,
}

impl Package {
    /// The path of the package itself: always `\Package`.
    pub fn path(&self) -> &'static str {
        super::path::PACKAGE_ROOT
    }

    pub fn name(&self) -> &str {
        &self.properties.name
    }
}
