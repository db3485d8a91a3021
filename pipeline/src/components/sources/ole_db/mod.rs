//! The OLE DB Source: reads a table or view (AccessMode 0, `OpenRowset`), a table named by a
//! variable (1, `OpenRowsetVariable`), an SQL command (2, `SqlCommand`) or a command held by a
//! variable (3, `SqlCommandVariable`), with `?` parameters mapped to variables
//! (`ParameterMapping`) and `CommandTimeout`, through its OLE DB connection manager — SQL
//! Server's providers over TDS, MSDASQL over ODBC. Character columns are DT_STR in
//! `DefaultCodePage`. The reading itself is `database::source`; this file reads the
//! component's properties and must not touch a database.

use ssisd_sql::type_map::CharTypes;

use crate::component::{Component, ComponentSpec};
use crate::components::{prop, prop_int};
use crate::database::parameters::parse_mapping;
use crate::database::source::{create as create_source, Query, SourceConfig};
use crate::error::Problems;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "OLE DB Source",
    class_ids: &[
        "{2C0A8BE5-1EDC-4353-A0EF-B778599C65A0}",
        "{BCEFE59B-6819-47F7-A125-63753B33ABB7}",
        "{165A526D-D5DE-47FF-96A6-F8274C19826B}",
        "DTSAdapter.OLEDBSource",
        "Microsoft.OLEDBSource",
    ],
    create,
};

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let props = &spec.component.properties;
    let text = |name: &str| prop(props, name).unwrap_or("").to_string();
    let query = match prop_int(props, "AccessMode").unwrap_or(0) {
        0 => Query::Table(text("OpenRowset")),
        1 => Query::TableVariable(text("OpenRowsetVariable")),
        2 => Query::Sql(text("SqlCommand")),
        3 => Query::SqlVariable(text("SqlCommandVariable")),
        other => {
            return Err(spec
                .error(format!(
                    "its AccessMode {other} is not one of 0 (table or view), 1 (table name from a variable), 2 (SQL command), 3 (SQL command from a variable)"
                ))
                .into())
        }
    };
    let parameters = parse_mapping(prop(props, "ParameterMapping").unwrap_or(""))
        .map_err(|e| Problems::from(spec.error(e.to_string())))?;
    let code_page = prop_int(props, "DefaultCodePage")
        .and_then(|c| u32::try_from(c).ok())
        .filter(|c| *c > 0)
        .unwrap_or(1252);
    create_source(
        spec,
        SourceConfig {
            kind: "OLE DB Source",
            slot: "OleDbConnection",
            query,
            parameters,
            timeout_secs: prop_int(props, "CommandTimeout")
                .and_then(|t| u32::try_from(t).ok())
                .unwrap_or(0),
            chars: CharTypes {
                code_page,
                unicode: false,
            },
        },
    )
}
