//! The ODBC Source: reads a table (AccessMode 0, `TableName`) or an SQL command (1,
//! `SqlCommand`) through its ODBC connection manager and the driver its connection string
//! names, with `StatementTimeout`; character columns are DT_WSTR with
//! `ExposeCharColumnsAsUnicode`, else DT_STR in `DefaultCodePage`. Rows are fetched as arrays
//! of the data flow's buffer size (`BatchSize` is SSIS's row-array size; the buffer's rows are
//! used instead, which only changes how many rows one fetch brings). Text is fetched as UTF-8
//! whatever `BindCharColumnAs` says (the values are the same; drivers without Unicode entry
//! points need it). The reading itself is `database::source`; this file reads properties and
//! must not touch a database.

use ssisd_sql::type_map::CharTypes;

use crate::component::{Component, ComponentSpec};
use crate::components::{prop, prop_bool, prop_int};
use crate::database::source::{create as create_source, Query, SourceConfig};
use crate::error::Problems;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "ODBC Source",
    class_ids: &["Microsoft.SSISODBCSrc", "Attunity.SSISODBCSrc"],
    create,
};

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let props = &spec.component.properties;
    let text = |name: &str| prop(props, name).unwrap_or("").to_string();
    let query = match prop_int(props, "AccessMode").unwrap_or(0) {
        0 => Query::Table(text("TableName")),
        1 => Query::Sql(text("SqlCommand")),
        other => {
            return Err(spec
                .error(format!(
                    "its AccessMode {other} is not one of 0 (table name) and 1 (SQL command)"
                ))
                .into())
        }
    };
    let code_page = prop_int(props, "DefaultCodePage")
        .and_then(|c| u32::try_from(c).ok())
        .filter(|c| *c > 0)
        .unwrap_or(1252);
    create_source(
        spec,
        SourceConfig {
            kind: "ODBC Source",
            slot: "ODBCConnection",
            query,
            parameters: Vec::new(),
            timeout_secs: prop_int(props, "StatementTimeout")
                .and_then(|t| u32::try_from(t).ok())
                .unwrap_or(0),
            chars: CharTypes {
                code_page,
                unicode: prop_bool(props, "ExposeCharColumnsAsUnicode").unwrap_or(false),
            },
        },
    )
}
