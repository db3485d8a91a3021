//! Reads `.dtsConfig` files (`DTSConfiguration` documents) into a list of (property path,
//! value) entries. It owns the file format only; matching the paths against a package and
//! applying the values is the runtime's job.

use roxmltree::Node;

use super::error::LoadError;

/// One `Configuration` element of a `.dtsConfig` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigEntry {
    /// `ConfiguredType`, normally `Property`.
    pub configured_type: String,
    /// The target, e.g. `\Package.Variables[User::X].Properties[Value]`.
    pub path: String,
    /// `ValueType` (`String`, `Int32`, `Boolean`, …).
    pub value_type: String,
    /// The `ConfiguredValue` text (entities decoded).
    pub value: String,
}

/// Heading information of a `.dtsConfig` file, when present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigHeading {
    pub generated_by: String,
    pub generated_from_package_name: String,
    pub generated_from_package_id: String,
    pub generated_date: String,
}

fn local_child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// Parses the bytes of a `.dtsConfig` file into its entries, in file order.
pub fn load_dtsconfig(bytes: &[u8]) -> Result<Vec<ConfigEntry>, LoadError> {
    load_dtsconfig_with_heading(bytes).map(|(_, entries)| entries)
}

/// Reads and parses a `.dtsConfig` file (refused when larger than the default size limit).
pub fn load_dtsconfig_file(path: &std::path::Path) -> Result<Vec<ConfigEntry>, LoadError> {
    let bytes = super::read_limited(path, super::DEFAULT_MAX_BYTES)?;
    load_dtsconfig(&bytes)
}

/// Like [`load_dtsconfig`], also returning the heading.
pub fn load_dtsconfig_with_heading(
    bytes: &[u8],
) -> Result<(Option<ConfigHeading>, Vec<ConfigEntry>), LoadError> {
    let text = super::decode::decode(bytes, super::DEFAULT_MAX_BYTES)?;
    let doc = super::parse_xml(&text)?;
    let root = doc.root_element();
    if root.tag_name().name() != "DTSConfiguration" {
        return Err(LoadError::NotAConfiguration {
            found: root.tag_name().name().to_string(),
        });
    }
    let heading = local_child(root, "DTSConfigurationHeading")
        .and_then(|h| local_child(h, "DTSConfigurationFileInfo"))
        .map(|i| {
            let a = |n: &str| i.attribute(n).unwrap_or("").to_string();
            ConfigHeading {
                generated_by: a("GeneratedBy"),
                generated_from_package_name: a("GeneratedFromPackageName"),
                generated_from_package_id: a("GeneratedFromPackageID"),
                generated_date: a("GeneratedDate"),
            }
        });
    let mut entries = Vec::new();
    for c in root
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "Configuration")
    {
        let Some(path) = c.attribute("Path").filter(|p| !p.trim().is_empty()) else {
            let p = doc.text_pos_at(c.range().start);
            return Err(LoadError::InvalidConfiguration {
                line: p.row,
                column: p.col,
                message: "the Configuration element has no Path; add the target property path"
                    .into(),
            });
        };
        let value = local_child(c, "ConfiguredValue")
            .map(|v| {
                v.descendants()
                    .filter(|d| d.is_text())
                    .filter_map(|d| d.text())
                    .collect::<String>()
            })
            .unwrap_or_default();
        entries.push(ConfigEntry {
            configured_type: c
                .attribute("ConfiguredType")
                .unwrap_or("Property")
                .to_string(),
            path: path.to_string(),
            value_type: c.attribute("ValueType").unwrap_or("String").to_string(),
            value,
        });
    }
    Ok((heading, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries() {
        let xml = "\u{FEFF}<?xml version=\"1.0\"?>\r\n<DTSConfiguration><DTSConfigurationHeading>\
            <DTSConfigurationFileInfo GeneratedBy=\"me\" GeneratedFromPackageName=\"P\" \
            GeneratedFromPackageID=\"{1}\" GeneratedDate=\"1/1/2020\"/></DTSConfigurationHeading>\
            <Configuration ConfiguredType=\"Property\" Path=\"\\Package.Variables[User::X].Properties[Value]\" \
            ValueType=\"Int32\"><ConfiguredValue>42</ConfiguredValue></Configuration>\
            <Configuration ConfiguredType=\"Property\" Path=\"\\Package.Connections[Db].Properties[ConnectionString]\" \
            ValueType=\"String\"><ConfiguredValue>a=&quot;b&quot;&amp;c</ConfiguredValue></Configuration>\
            </DTSConfiguration>";
        let (heading, entries) = load_dtsconfig_with_heading(xml.as_bytes()).unwrap();
        assert_eq!(heading.unwrap().generated_from_package_name, "P");
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[0].path,
            "\\Package.Variables[User::X].Properties[Value]"
        );
        assert_eq!(entries[0].value_type, "Int32");
        assert_eq!(entries[0].value, "42");
        assert_eq!(entries[1].value, "a=\"b\"&c");
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            load_dtsconfig(b"<Other/>"),
            Err(LoadError::NotAConfiguration { .. })
        ));
        assert!(matches!(
            load_dtsconfig(b"<DTSConfiguration><Configuration/></DTSConfiguration>"),
            Err(LoadError::InvalidConfiguration { .. })
        ));
        assert!(matches!(
            load_dtsconfig(b"<DTSConfiguration>"),
            Err(LoadError::Xml { .. })
        ));
    }
}
