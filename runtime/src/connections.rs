//! Connection managers as tasks see them at run time: found by name, DTSID, 2012+ refId or a
//! `{GUID}:external` reference to a project connection manager (`model::connection::find`),
//! with the effective connection string (its `ConnectionString` property expression
//! evaluated now, else the string after /Conn, /Set and configurations) and, for FILE
//! connections, the usage type and the mapped Linux path. It owns lookup and evaluation; it
//! must not open any connection.

use ssisd_engine::model::{ConnectionManager, Package};

use super::paths::map_path;
use super::properties;
use super::variables::Variables;

/// One connection manager, resolved for a task.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionInfo {
    pub name: String,
    pub dtsid: String,
    /// `OLEDB`, `FILE`, `FLATFILE`, `SMTP`, `ADO.NET:…`, …
    pub creation_name: String,
    /// The effective connection string.
    pub connection_string: String,
    /// FILE connections: 0 existing file, 1 create file, 2 existing folder, 3 create folder.
    pub file_usage: Option<i32>,
    /// The manager as loaded (object data, other properties).
    pub manager: ConnectionManager,
}

impl ConnectionInfo {
    /// For FILE and FLATFILE connections: the path, mapped for Linux.
    pub fn file_path(&self) -> String {
        map_path(&self.connection_string)
    }
}

fn file_usage(cm: &ConnectionManager) -> Option<i32> {
    let od = cm.object_data.as_ref()?;
    let doc = od.document();
    let parsed = roxmltree::Document::parse(&doc).ok()?;
    let found = parsed.descendants().find_map(|n| {
        n.attributes()
            .find(|a| a.name() == "FileUsageType")
            .map(|a| a.value().trim().parse().ok())
    });
    found.flatten()
}

/// The connection manager `key` (name, DTSID, refId or `{GUID}:external`) names in `package`
/// (its project's connection managers included), as loaded.
pub fn lookup<'p>(package: &'p Package, key: &str) -> Option<&'p ConnectionManager> {
    package
        .connections
        .get(ssisd_engine::model::connection::find(
            &package.connections,
            key,
        )?)
}

/// An Excel manager's connection string with its `Data Source` (the workbook) replaced, as
/// an `ExcelFilePath` or `ServerName` property expression sets it.
fn with_data_source(connection_string: &str, path: &str) -> String {
    use ssisd_sql::{ConnectionString, Syntax};
    match ConnectionString::parse(connection_string, Syntax::OleDb) {
        Ok(cs) => {
            let mut out = cs.without(&["data source"]);
            out.push("Data Source", path);
            out.to_text()
        }
        Err(_) => connection_string.to_string(),
    }
}

/// Finds `key` (name, DTSID or refId) in `package`, evaluating its connection-string
/// expression in the package scope (frame 0).
pub fn find(
    package: &Package,
    vars: &Variables,
    key: &str,
) -> Option<Result<ConnectionInfo, String>> {
    let cm = lookup(package, key)?;
    let mut connection_string = cm.connection_string.clone();
    match properties::evaluate(vars, 0, &cm.property_expressions) {
        Ok(o) => {
            if let Some(s) = o.text(&["ConnectionString"]) {
                connection_string = s;
            }
            if cm.creation_name.trim().eq_ignore_ascii_case("EXCEL") {
                if let Some(path) = o.text(&["ExcelFilePath", "ServerName"]) {
                    connection_string = with_data_source(&connection_string, &path);
                }
            }
        }
        Err((_, msg)) => return Some(Err(msg)),
    }
    Some(Ok(ConnectionInfo {
        name: cm.name.clone(),
        dtsid: cm.dtsid.clone(),
        creation_name: cm.creation_name.clone(),
        connection_string,
        file_usage: file_usage(cm),
        manager: cm.clone(),
    }))
}
