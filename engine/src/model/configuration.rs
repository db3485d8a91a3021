//! Package configurations (`DTS:Configuration`) and log providers (`DTS:LogProvider`) as
//! declared in a package. Owns the data only; reading `.dtsConfig` files is
//! `crate::load::dtsconfig`, applying them is the runtime's job.

/// A configuration declared by a package (package deployment model).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageConfiguration {
    pub name: String,
    /// `\Package.Configurations[Name]`.
    pub path: String,
    pub dtsid: String,
    pub description: String,
    /// DTSConfigurationType: 0 parent-package variable, 1 XML file, 2 environment variable,
    /// 3 registry entry, 4 parent variable, 5 SQL Server, 6 INI file (indirect kinds add 5 or so).
    pub configuration_type: i32,
    /// File path, connection/table reference, environment variable name, …
    pub configuration_string: String,
    /// The target property path or variable (`ConfigurationVariable`).
    pub configuration_variable: String,
}

/// A log provider declared by a package.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogProvider {
    pub name: String,
    /// `\Package.LogProviders[Name]`.
    pub path: String,
    pub dtsid: String,
    pub description: String,
    /// e.g. `DTS.LogProviderTextFile.2`.
    pub creation_name: String,
    /// Usually the name of the connection manager it writes to.
    pub config_string: String,
}
