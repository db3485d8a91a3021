//! The Execute Package task's configuration as saved: the `<ExecutePackageTask>` payload of
//! both formats (child elements, or attributes in hand-written files) — `UseProjectReference`,
//! `PackageName`, `Connection`, `ExecuteOutOfProcess`, `Password` and the 2012+
//! `ParameterAssignment` list — with property expressions applied on top. It only parses; it
//! must not resolve, load or run anything.

use crate::properties::PropertyOverrides;
use crate::tasks::{flag, TaskConfigError};
use ssisd_engine::model::RawXml;
use ssisd_engine::protection::PackagePassword;

/// One `ParameterAssignment`: a child parameter bound to a parent variable or parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterBinding {
    /// The child's parameter (`Name` or `$Package::Name`).
    pub parameter: String,
    /// The parent's variable or parameter (`User::X`, `$Package::P`, `$Project::P`).
    pub source: String,
}

impl ParameterBinding {
    /// The child parameter's bare name (without `$Package::`).
    pub fn parameter_name(&self) -> &str {
        let p = self.parameter.trim();
        p.strip_prefix("$Package::").unwrap_or(p)
    }
}

/// What the task says about its child package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutePackageConfig {
    /// 2012+ project deployment: the child is a sibling package of the same project.
    pub use_project_reference: bool,
    /// The sibling's file name (project reference) or the msdb path (SQL Server).
    pub package_name: String,
    /// The connection manager (name, DTSID or refId) of a file or msdb reference.
    pub connection: String,
    pub execute_out_of_process: bool,
    /// The password of a protected child (`Password` in 2012+, `PackagePassword` in 2008).
    pub password: Option<PackagePassword>,
    pub bindings: Vec<ParameterBinding>,
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(name))
        .map(|c| c.text().unwrap_or_default().trim().to_string())
        .or_else(|| {
            node.attributes()
                .find(|a| a.name().eq_ignore_ascii_case(name))
                .map(|a| a.value().trim().to_string())
        })
}

impl ExecutePackageConfig {
    /// Parses the payload, then applies the property expressions (`PackageName`,
    /// `Connection`, `ExecuteOutOfProcess`, `UseProjectReference`).
    pub fn parse(od: Option<&RawXml>, o: &PropertyOverrides) -> Result<Self, TaskConfigError> {
        let mut c = ExecutePackageConfig::default();
        if let Some(od) = od {
            let doc = od.document();
            let parsed = roxmltree::Document::parse(&doc).map_err(TaskConfigError::InvalidXml)?;
            if let Some(task) = parsed
                .descendants()
                .find(|n| n.tag_name().name() == "ExecutePackageTask")
            {
                c.use_project_reference =
                    flag(child_text(task, "UseProjectReference").as_deref()).unwrap_or(false);
                c.package_name = child_text(task, "PackageName").unwrap_or_default();
                c.connection = child_text(task, "Connection").unwrap_or_default();
                c.execute_out_of_process =
                    flag(child_text(task, "ExecuteOutOfProcess").as_deref()).unwrap_or(false);
                // Kept as written: spaces can be part of a password.
                c.password = task
                    .children()
                    .find(|n| {
                        n.is_element()
                            && ["Password", "PackagePassword"]
                                .iter()
                                .any(|t| n.tag_name().name().eq_ignore_ascii_case(t))
                    })
                    .and_then(|n| n.text())
                    .filter(|p| !p.is_empty())
                    .map(PackagePassword::new);
                for a in task
                    .children()
                    .filter(|n| n.is_element() && n.tag_name().name() == "ParameterAssignment")
                {
                    let parameter = child_text(a, "ParameterName").unwrap_or_default();
                    let source = child_text(a, "BindedVariableOrParameterName").unwrap_or_default();
                    if parameter.is_empty() {
                        return Err(TaskConfigError::UnnamedParameter);
                    }
                    if source.is_empty() {
                        return Err(TaskConfigError::UnboundParameter(parameter));
                    }
                    c.bindings.push(ParameterBinding { parameter, source });
                }
            }
        }
        if let Some(v) = o.text(&["PackageName"]) {
            c.package_name = v;
        }
        if let Some(v) = o.text(&["Connection"]) {
            c.connection = v;
        }
        if let Some(v) = o.bool(&["ExecuteOutOfProcess"]) {
            c.execute_out_of_process = v;
        }
        if let Some(v) = o.bool(&["UseProjectReference"]) {
            c.use_project_reference = v;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssisd_engine::types::Value;

    fn parse(xml: &str) -> Result<ExecutePackageConfig, TaskConfigError> {
        ExecutePackageConfig::parse(Some(&RawXml(xml.into())), &PropertyOverrides::default())
    }

    #[test]
    fn project_reference_with_bindings() {
        let c = parse(
            "<ExecutePackageTask><UseProjectReference>True</UseProjectReference>\
             <PackageName>Child.dtsx</PackageName>\
             <ParameterAssignment><ParameterName>Target</ParameterName>\
             <BindedVariableOrParameterName>User::Out</BindedVariableOrParameterName>\
             </ParameterAssignment>\
             <ParameterAssignment><ParameterName>$Package::N</ParameterName>\
             <BindedVariableOrParameterName>$Package::Count</BindedVariableOrParameterName>\
             </ParameterAssignment></ExecutePackageTask>",
        )
        .expect("parses");
        assert!(c.use_project_reference);
        assert_eq!(c.package_name, "Child.dtsx");
        assert!(!c.execute_out_of_process);
        assert_eq!(c.bindings.len(), 2);
        assert_eq!(c.bindings[0].source, "User::Out");
        assert_eq!(c.bindings[1].parameter_name(), "N");
    }

    #[test]
    fn file_reference_of_the_2008_format() {
        let c = parse(
            "<ExecutePackageTask><ExecuteOutOfProcess>True</ExecuteOutOfProcess>\
             <Connection>{7554EFCA-1B8F-4ACE-AB55-FC1B87A4A38D}</Connection>\
             <PackageID></PackageID><Password>secret</Password></ExecutePackageTask>",
        )
        .expect("parses");
        assert!(!c.use_project_reference);
        assert!(c.execute_out_of_process);
        assert_eq!(c.password, Some(PackagePassword::new("secret")));
        assert_eq!(c.connection, "{7554EFCA-1B8F-4ACE-AB55-FC1B87A4A38D}");
    }

    #[test]
    fn attributes_and_overrides() {
        let od =
            RawXml("<ExecutePackageTask Connection=\"Child\" ExecuteOutOfProcess=\"-1\" />".into());
        let o = PropertyOverrides(vec![("PackageName".into(), Value::WStr("x.dtsx".into()))]);
        let c = ExecutePackageConfig::parse(Some(&od), &o).expect("parses");
        assert_eq!(c.connection, "Child");
        assert!(c.execute_out_of_process);
        assert_eq!(c.package_name, "x.dtsx");
    }

    #[test]
    fn incomplete_assignments_are_refused() {
        assert!(parse(
            "<ExecutePackageTask><ParameterAssignment><ParameterName>P</ParameterName>\
             </ParameterAssignment></ExecutePackageTask>"
        )
        .is_err());
        assert!(parse("<ExecutePackageTask><oops></ExecutePackageTask>").is_err());
    }
}
