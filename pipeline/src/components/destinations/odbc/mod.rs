//! The ODBC Destination: loads its input into the table `TableName` through its ODBC connection
//! manager and the driver its connection string names, with `InsertMethod` 1 (batch, the
//! default: `BatchSize` rows per array-bound INSERT, 1000 by default) or 0 (row by row), and
//! `TransactionSize` (0: every batch commits; n: a commit every n rows). The loading itself is
//! `database::destination`; this file reads properties and must not touch a database.

use crate::component::{Component, ComponentSpec};
use crate::components::{prop, prop_int};
use crate::database::destination::{
    create as create_destination, Commit, DestinationConfig, FastLoadOptions, Mode, TableRef,
};
use crate::error::Problems;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "ODBC Destination",
    class_ids: &["Microsoft.SSISODBCDst", "Attunity.SSISODBCDst"],
    create,
};

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let props = &spec.component.properties;
    let mode = match prop_int(props, "InsertMethod").unwrap_or(1) {
        0 => Mode::RowByRow,
        _ => Mode::Batch,
    };
    let batch = prop_int(props, "BatchSize").unwrap_or(1000).max(1) as usize;
    let transaction = prop_int(props, "TransactionSize").unwrap_or(0);
    create_destination(
        spec,
        DestinationConfig {
            kind: "ODBC Destination",
            slot: "ODBCConnection",
            table: TableRef::Name(prop(props, "TableName").unwrap_or("").to_string()),
            mode,
            batch_rows: batch,
            commit: if transaction > 0 {
                Commit::Every(transaction as u64)
            } else {
                Commit::PerBatch
            },
            commit_each_buffer: false,
            sql_server_only: false,
            fast: FastLoadOptions::default(),
        },
    )
}
