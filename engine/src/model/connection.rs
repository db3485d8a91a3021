//! Connection managers (`DTS:ConnectionManager`). Owns the data only: the connection string
//! as written and the inner object data as raw XML for whichever component opens it. It must
//! not parse connection strings or connect anywhere.

use super::executable::RawXml;
use super::expression::PropertyExpression;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionManager {
    pub name: String,
    /// `\Package.Connections[Name]`.
    pub path: String,
    pub dtsid: String,
    /// 2012+ `DTS:refId`, e.g. `Package.ConnectionManagers[Name]`.
    pub ref_id: Option<String>,
    /// `OLEDB`, `FLATFILE`, `SMTP`, `ADO.NET:…`, `FILE`, …
    pub creation_name: String,
    pub description: String,
    /// The connection string, empty when the manager has none.
    pub connection_string: String,
    pub delay_validation: bool,
    /// The content of `DTS:ObjectData`, sensitive values blanked.
    pub object_data: Option<RawXml>,
    pub property_expressions: Vec<PropertyExpression>,
    /// A project connection manager (a `.conmgr` file of the package's project), shared by
    /// every package of the project; its path is `\Project.ConnectionManagers[Name]`.
    pub project: bool,
}

/// The bare GUID of a DTSID or reference, lower case: `{ABC}` → `abc`.
fn bare_id(s: &str) -> String {
    s.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .to_ascii_lowercase()
}

/// Finds the connection manager a package names with `key`, the way SSIS references are
/// written: its name, its DTSID (with or without braces, any case), its 2012+ refId
/// (`Package.ConnectionManagers[Name]`, or `Project.ConnectionManagers[Name]` for a project
/// connection manager), or a data-flow component's `{GUID}:external` reference to a project
/// connection manager. An exact name wins over one that differs only in case.
pub fn find(list: &[ConnectionManager], key: &str) -> Option<usize> {
    let key = key.trim();
    let key = key
        .len()
        .checked_sub(":external".len())
        .filter(|&i| key.is_char_boundary(i) && key[i..].eq_ignore_ascii_case(":external"))
        .map_or(key, |i| &key[..i]);
    if key.is_empty() {
        return None;
    }
    if let Some(i) = list.iter().position(|c| c.name == key) {
        return Some(i);
    }
    let id = bare_id(key);
    if let Some(i) = list
        .iter()
        .position(|c| !c.dtsid.is_empty() && bare_id(&c.dtsid) == id)
    {
        return Some(i);
    }
    if let Some(i) = list.iter().position(|c| c.ref_id.as_deref() == Some(key)) {
        return Some(i);
    }
    for (prefix, project) in [
        ("Package.ConnectionManagers[", false),
        ("Project.ConnectionManagers[", true),
    ] {
        if let Some(name) = key.strip_prefix(prefix).and_then(|r| r.strip_suffix(']')) {
            return list
                .iter()
                .position(|c| c.project == project && c.name == name)
                .or_else(|| {
                    list.iter()
                        .position(|c| c.project == project && c.name.eq_ignore_ascii_case(name))
                });
        }
    }
    list.iter().position(|c| c.name.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm(name: &str, dtsid: &str, project: bool) -> ConnectionManager {
        ConnectionManager {
            name: name.into(),
            dtsid: dtsid.into(),
            project,
            ref_id: Some(if project {
                format!("Project.ConnectionManagers[{name}]")
            } else {
                format!("Package.ConnectionManagers[{name}]")
            }),
            ..ConnectionManager::default()
        }
    }

    #[test]
    fn every_way_a_package_names_a_connection() {
        let list = vec![
            cm("Files", "{AAAA-1}", false),
            cm("Warehouse", "{BBBB-2}", true),
            cm("warehouse", "{CCCC-3}", false),
        ];
        assert_eq!(find(&list, "Files"), Some(0));
        assert_eq!(find(&list, "files"), Some(0));
        assert_eq!(find(&list, "Warehouse"), Some(1));
        assert_eq!(find(&list, "warehouse"), Some(2));
        assert_eq!(find(&list, "{bbbb-2}"), Some(1));
        assert_eq!(find(&list, "BBBB-2"), Some(1));
        assert_eq!(find(&list, "{BBBB-2}:external"), Some(1));
        assert_eq!(
            find(&list, "Project.ConnectionManagers[Warehouse]"),
            Some(1)
        );
        assert_eq!(find(&list, "Package.ConnectionManagers[Files]"), Some(0));
        assert_eq!(find(&list, "Package.ConnectionManagers[Nope]"), None);
        assert_eq!(find(&list, "{DDDD-4}:external"), None);
        assert_eq!(find(&list, "  "), None);
    }
}
