//! The ADO NET Source (the managed DataReader source): reads a table or view (AccessMode 0,
//! `TableOrViewName`) or an SQL command (2, `SqlCommand`) through its ADO.NET connection
//! manager — SqlClient over TDS, System.Data.Odbc over ODBC — with `CommandTimeout`; every
//! character column is Unicode (DT_WSTR / DT_NTEXT), as SqlClient types them. It runs behind
//! the managed-component wrapper, found by its `UserComponentTypeName`. The reading itself is
//! `database::source`; this file reads properties and must not touch a database.

use ssisd_sql::type_map::CharTypes;

use crate::component::{Component, ComponentSpec};
use crate::components::{prop, prop_int};
use crate::database::source::{create as create_source, Query, SourceConfig};
use crate::error::Problems;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "ADO NET Source",
    class_ids: &[
        "Microsoft.SqlServer.Dts.Pipeline.DataReaderSourceAdapter",
        "Microsoft.DataReaderSourceAdapter",
    ],
    create,
};

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let props = &spec.component.properties;
    let text = |name: &str| prop(props, name).unwrap_or("").to_string();
    let query = match prop_int(props, "AccessMode").unwrap_or(0) {
        0 => Query::Table(text("TableOrViewName")),
        2 => Query::Sql(text("SqlCommand")),
        other => {
            return Err(spec
                .error(format!(
                    "its AccessMode {other} is not one of 0 (table or view) and 2 (SQL command)"
                ))
                .into())
        }
    };
    create_source(
        spec,
        SourceConfig {
            kind: "ADO NET Source",
            slot: "IDbConnection",
            query,
            parameters: Vec::new(),
            timeout_secs: prop_int(props, "CommandTimeout")
                .and_then(|t| u32::try_from(t).ok())
                .unwrap_or(30),
            chars: CharTypes::ADO_NET,
        },
    )
}
