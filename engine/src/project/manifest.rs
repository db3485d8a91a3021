//! The project manifest (`SSIS:Project`, namespace `www.microsoft.com/SqlServer/SSIS`): the
//! project's name and ID, its protection level (the `SSIS:ProtectionLevel` attribute, by name),
//! its packages (`SSIS:Packages/SSIS:Package`, with `SSIS:EntryPoint`) and its connection
//! manager files (`SSIS:ConnectionManagers`). It is the `@Project.manifest` part of an
//! `.ispac`, and the same element inside a Visual Studio `.dtproj`
//! (`Project/DeploymentModelSpecificContent/Manifest`). This file owns reading those two
//! forms; it must not read the files the manifest names.

use roxmltree::{Document, Node};

use crate::model::ProtectionLevel;

/// The SSIS project namespace of manifests and `Project.params`.
pub const SSIS_NS: &str = "www.microsoft.com/SqlServer/SSIS";

/// One package of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestPackage {
    /// The file name, e.g. `Load Sales.dtsx`.
    pub file: String,
    /// Whether the package may be started on its own (not only as a child).
    pub entry_point: bool,
}

/// What the manifest says about the project.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub name: Option<String>,
    pub id: String,
    pub protection_level: ProtectionLevel,
    pub version: (i64, i64, i64),
    pub packages: Vec<ManifestPackage>,
    /// File names of the project connection managers, e.g. `Warehouse.conmgr`.
    pub connection_managers: Vec<String>,
    /// The `SSIS:Project` element as written, for packing the project into an `.ispac`.
    pub xml: String,
}

/// Whether `node` is the element `SSIS:local`.
pub(crate) fn is_ssis(node: Node, local: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == local
        && node
            .tag_name()
            .namespace()
            .is_some_and(|ns| ns.eq_ignore_ascii_case(SSIS_NS))
}

/// The attribute `SSIS:name` (or a plain `name`) of `node`.
pub(crate) fn ssis_attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| {
            a.name() == name
                && a.namespace()
                    .is_none_or(|ns| ns.eq_ignore_ascii_case(SSIS_NS))
        })
        .map(|a| a.value())
}

pub(crate) fn ssis_children<'a, 'i>(
    node: Node<'a, 'i>,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| is_ssis(*c, local))
}

/// The `SSIS:Property SSIS:Name="name"` child of `SSIS:Properties` under `node`.
pub(crate) fn property<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    ssis_children(node, "Properties")
        .flat_map(|ps| ssis_children(ps, "Property"))
        .find(|p| ssis_attr(*p, "Name") == Some(name))
}

fn text(node: Option<Node>) -> String {
    node.and_then(|n| n.text()).unwrap_or("").trim().to_string()
}

fn truthy(v: Option<&str>) -> bool {
    matches!(
        v.map(str::trim),
        Some("1" | "-1" | "true" | "True" | "TRUE")
    )
}

/// Why a manifest could not be read: a message and the line it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub line: u32,
    pub message: String,
}

fn error(doc: &Document, node: Node, message: impl Into<String>) -> ManifestError {
    ManifestError {
        line: doc.text_pos_at(node.range().start).row,
        message: message.into(),
    }
}

/// Reads a manifest from the `SSIS:Project` element `node` of `doc` (whose text is `src`).
pub fn read(doc: &Document, src: &str, node: Node) -> Result<Manifest, ManifestError> {
    let level_text = ssis_attr(node, "ProtectionLevel").unwrap_or("EncryptSensitiveWithUserKey");
    let protection_level = crate::header::parse_protection_level(level_text).ok_or_else(|| {
        error(
            doc,
            node,
            format!(
                "unknown SSIS:ProtectionLevel \"{level_text}\"; expected DontSaveSensitive, \
                     EncryptSensitiveWithUserKey, EncryptSensitiveWithPassword, \
                     EncryptAllWithPassword, EncryptAllWithUserKey or ServerStorage"
            ),
        )
    })?;
    let number = |name: &str| -> Result<i64, ManifestError> {
        let t = text(property(node, name));
        if t.is_empty() {
            return Ok(0);
        }
        t.parse().map_err(|_| {
            error(
                doc,
                node,
                format!("the project property {name} is \"{t}\", expected a number"),
            )
        })
    };
    let version = (
        number("VersionMajor")?,
        number("VersionMinor")?,
        number("VersionBuild")?,
    );
    let name = Some(text(property(node, "Name"))).filter(|n| !n.is_empty());
    let mut packages = Vec::new();
    for p in ssis_children(node, "Packages").flat_map(|ps| ssis_children(ps, "Package")) {
        let Some(file) = ssis_attr(p, "Name")
            .map(str::trim)
            .filter(|f| !f.is_empty())
        else {
            return Err(error(doc, p, "a package of the manifest has no SSIS:Name"));
        };
        packages.push(ManifestPackage {
            file: file.to_string(),
            entry_point: ssis_attr(p, "EntryPoint").is_none() || truthy(ssis_attr(p, "EntryPoint")),
        });
    }
    let mut connection_managers = Vec::new();
    for c in ssis_children(node, "ConnectionManagers")
        .flat_map(|cs| ssis_children(cs, "ConnectionManager"))
    {
        let Some(file) = ssis_attr(c, "Name")
            .map(str::trim)
            .filter(|f| !f.is_empty())
        else {
            return Err(error(
                doc,
                c,
                "a connection manager of the manifest has no SSIS:Name",
            ));
        };
        connection_managers.push(file.to_string());
    }
    Ok(Manifest {
        name,
        id: text(property(node, "ID")),
        protection_level,
        version,
        packages,
        connection_managers,
        xml: src.get(node.range()).unwrap_or_default().to_string(),
    })
}

/// Where the manifest of a `.dtproj` is, after checking the project uses the project
/// deployment model. `Err(Some(model))` names another deployment model; `Err(None)` means the
/// file holds no manifest.
pub fn in_dtproj<'a, 'i>(doc: &'a Document<'i>) -> Result<Node<'a, 'i>, Option<String>> {
    let root = doc.root_element();
    let model = root
        .children()
        .find(|c| c.is_element() && c.tag_name().name() == "DeploymentModel")
        .and_then(|c| c.text())
        .map(str::trim)
        .unwrap_or("Project");
    if !model.eq_ignore_ascii_case("Project") {
        return Err(Some(model.to_string()));
    }
    root.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "Manifest")
        .flat_map(|m| m.children())
        .find(|n| is_ssis(*n, "Project"))
        .ok_or(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const MANIFEST: &str = r#"<SSIS:Project SSIS:ProtectionLevel="DontSaveSensitive" xmlns:SSIS="www.microsoft.com/SqlServer/SSIS">
  <SSIS:Properties>
    <SSIS:Property SSIS:Name="ID">{0b5a1c52-3c1e-4d6f-9d1e-6a3b9e1d2c10}</SSIS:Property>
    <SSIS:Property SSIS:Name="Name">Sales ETL</SSIS:Property>
    <SSIS:Property SSIS:Name="VersionMajor">2</SSIS:Property>
    <SSIS:Property SSIS:Name="VersionMinor">1</SSIS:Property>
    <SSIS:Property SSIS:Name="VersionBuild">7</SSIS:Property>
  </SSIS:Properties>
  <SSIS:Packages>
    <SSIS:Package SSIS:Name="Master.dtsx" SSIS:EntryPoint="1" />
    <SSIS:Package SSIS:Name="Load Sales.dtsx" SSIS:EntryPoint="0" />
  </SSIS:Packages>
  <SSIS:ConnectionManagers>
    <SSIS:ConnectionManager SSIS:Name="Warehouse.conmgr" />
  </SSIS:ConnectionManagers>
</SSIS:Project>"#;

    #[test]
    fn reads_an_ispac_manifest() {
        let doc = Document::parse(MANIFEST).unwrap();
        let m = read(&doc, MANIFEST, doc.root_element()).expect("reads");
        assert_eq!(m.name.as_deref(), Some("Sales ETL"));
        assert_eq!(m.protection_level, ProtectionLevel::DontSaveSensitive);
        assert_eq!(m.version, (2, 1, 7));
        assert_eq!(
            m.packages,
            vec![
                ManifestPackage {
                    file: "Master.dtsx".into(),
                    entry_point: true
                },
                ManifestPackage {
                    file: "Load Sales.dtsx".into(),
                    entry_point: false
                }
            ]
        );
        assert_eq!(m.connection_managers, vec!["Warehouse.conmgr".to_string()]);
        assert!(m.xml.starts_with("<SSIS:Project") && m.xml.ends_with("</SSIS:Project>"));
    }

    #[test]
    fn finds_the_manifest_in_a_dtproj() {
        let dtproj = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Project xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <DeploymentModel>Project</DeploymentModel>\n  <DeploymentModelSpecificContent>\n    <Manifest>\n      {MANIFEST}\n    </Manifest>\n  </DeploymentModelSpecificContent>\n</Project>"
        );
        let doc = Document::parse(&dtproj).unwrap();
        let node = in_dtproj(&doc).expect("manifest");
        let m = read(&doc, &dtproj, node).expect("reads");
        assert_eq!(m.packages.len(), 2);
        let package_model = "<Project><DeploymentModel>Package</DeploymentModel></Project>";
        let doc = Document::parse(package_model).unwrap();
        assert_eq!(in_dtproj(&doc).unwrap_err(), Some("Package".to_string()));
    }

    #[test]
    fn a_bad_protection_level_names_itself() {
        let text = MANIFEST.replace("DontSaveSensitive", "Whatever");
        let doc = Document::parse(&text).unwrap();
        let e = read(&doc, &text, doc.root_element()).unwrap_err();
        assert!(e.message.contains("\"Whatever\""), "{e:?}");
        assert_eq!(e.line, 1);
    }
}
