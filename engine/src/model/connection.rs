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
