//! The ADO NET Destination (managed): loads its input into the table `TableOrViewName` through
//! its ADO.NET connection manager — SqlClient over TDS (bulk load when
//! `UseBulkInsertWhenPossible`, the default), System.Data.Odbc over ODBC — `BatchSize` rows at
//! a time (0: a buffer at a time), every batch committed. It runs behind the managed-component
//! wrapper, found by its `UserComponentTypeName`. The loading itself is
//! `database::destination`; this file reads properties and must not touch a database.

use crate::component::{Component, ComponentSpec};
use crate::components::{prop, prop_bool, prop_int};
use crate::database::destination::{
    create as create_destination, Commit, DestinationConfig, FastLoadOptions, Mode, TableRef,
};
use crate::error::Problems;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "ADO NET Destination",
    class_ids: &[
        "Microsoft.SqlServer.Dts.Pipeline.ADONETDestination",
        "Microsoft.ADONETDestination",
    ],
    create,
};

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let props = &spec.component.properties;
    let bulk = prop_bool(props, "UseBulkInsertWhenPossible").unwrap_or(true);
    create_destination(
        spec,
        DestinationConfig {
            kind: "ADO NET Destination",
            slot: "IDbConnection",
            table: TableRef::Name(prop(props, "TableOrViewName").unwrap_or("").to_string()),
            mode: if bulk { Mode::FastLoad } else { Mode::Batch },
            batch_rows: prop_int(props, "BatchSize").unwrap_or(0).max(0) as usize,
            commit: Commit::PerBatch,
            commit_each_buffer: false,
            sql_server_only: false,
            fast: FastLoadOptions::default(),
        },
    )
}
