//! The OLE DB Destination: loads its input into a table or view named in `OpenRowset`
//! (AccessMode 0, row by row; 3, fast load) or in the variable `OpenRowsetVariable` (1; 4),
//! through its OLE DB connection manager — SQL Server's providers over TDS (fast load is TDS
//! bulk load), MSDASQL over ODBC (array inserts). Fast load reads `FastLoadOptions`
//! (TABLOCK, CHECK_CONSTRAINTS, ROWS_PER_BATCH), `FastLoadKeepIdentity`, `FastLoadKeepNulls`
//! and `FastLoadMaxInsertCommitSize` (0: one commit at the end; n: a commit every n rows and
//! at the end of every buffer). AccessMode 2 (rows defined by an SQL command) is refused. The
//! loading itself is `database::destination`; this file reads properties and must not touch a
//! database.

use crate::component::{Component, ComponentSpec};
use crate::components::{prop, prop_bool, prop_int};
use crate::database::destination::{
    create as create_destination, Commit, DestinationConfig, FastLoadOptions, Mode, TableRef,
};
use crate::error::Problems;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "OLE DB Destination",
    class_ids: &[
        "{E2568105-9550-4F71-A638-B7FE42E66922}",
        "{5A0B62E8-D91D-49F5-94A5-7BE58DE508F0}",
        "{4ADA7EAA-136C-4215-8098-D7A7C27FC0D1}",
        "DTSAdapter.OLEDBDestination",
        "Microsoft.OLEDBDestination",
    ],
    create,
};

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let props = &spec.component.properties;
    let text = |name: &str| prop(props, name).unwrap_or("").to_string();
    let (table, mode) = match prop_int(props, "AccessMode").unwrap_or(0) {
        0 => (TableRef::Name(text("OpenRowset")), Mode::RowByRow),
        1 => (TableRef::Variable(text("OpenRowsetVariable")), Mode::RowByRow),
        3 => (TableRef::Name(text("OpenRowset")), Mode::FastLoad),
        4 => (TableRef::Variable(text("OpenRowsetVariable")), Mode::FastLoad),
        2 => {
            return Err(spec
                .error("its AccessMode 2 (rows defined by an SQL command) is not supported by ssisd; name the table instead (AccessMode 0, or 3 for fast load)")
                .into())
        }
        other => {
            return Err(spec
                .error(format!("its AccessMode {other} is not one of 0, 1, 3 and 4"))
                .into())
        }
    };
    let commit_size = prop_int(props, "FastLoadMaxInsertCommitSize").unwrap_or(2_147_483_647);
    let commit = match mode {
        Mode::FastLoad if commit_size <= 0 => Commit::AtEnd,
        Mode::FastLoad => Commit::Every(commit_size as u64),
        _ => Commit::PerBatch,
    };
    create_destination(
        spec,
        DestinationConfig {
            kind: "OLE DB Destination",
            slot: "OleDbConnection",
            table,
            mode,
            batch_rows: 0,
            commit,
            commit_each_buffer: mode == Mode::FastLoad && commit_size > 0,
            sql_server_only: false,
            fast: FastLoadOptions::parse(
                prop(props, "FastLoadOptions").unwrap_or(""),
                prop_bool(props, "FastLoadKeepIdentity").unwrap_or(false),
                prop_bool(props, "FastLoadKeepNulls").unwrap_or(false),
            ),
        },
    )
}
