//! The SQL Server Destination: bulk-loads its input into the SQL Server table
//! `BulkInsertTableName` through its OLE DB connection manager — the same TDS bulk load as the
//! OLE DB Destination's fast load (`database::tds_load`). `BulkInsertTablock`,
//! `BulkInsertCheckConstraints`, `BulkInsertFireTriggers`, `BulkInsertKeepIdentity` and
//! `BulkInsertKeepNulls` are its fast-load options, `MaxInsertCommitSize` its commit size (0:
//! one commit at the end; n: a commit every n rows and at the end of every buffer), `Timeout`
//! the seconds one bulk batch may take. A connection manager that does not reach SQL Server is
//! refused (SSIS requires a local SQL Server; ssisd reaches any SQL Server over TDS). Row
//! ranges and error limits of BULK INSERT (`BulkInsertFirstRow`, `BulkInsertLastRow`,
//! `BulkInsertMaxErrors`) other than their defaults are refused; `BulkInsertOrder` is a hint
//! the bulk load cannot pass and is reported. This file reads properties and must not touch a
//! database.

use crate::component::{Component, ComponentSpec};
use crate::components::{prop, prop_bool, prop_int};
use crate::database::destination::{
    create as create_destination, Commit, DestinationConfig, FastLoadOptions, Mode, TableRef,
};
use crate::error::Problems;
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "SQL Server Destination",
    class_ids: &[
        "{E4B61516-847B-4BDF-9CC6-1968A2D43E73}",
        "{F452EAF3-5EF0-43F1-8067-09DDF0BC6316}",
        "DTSAdapter.SQLServerDestination",
        "Microsoft.SQLServerDestination",
    ],
    create,
};

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let props = &spec.component.properties;
    let mut problems = Problems::default();
    let table = prop(props, "BulkInsertTableName")
        .unwrap_or("")
        .trim()
        .to_string();
    if table.is_empty() {
        problems.push(
            spec.error("its BulkInsertTableName is empty; name the SQL Server table to load"),
        );
    }
    // -1 and 0 both mean "every row" / "no limit" in the packages SSIS writes.
    for name in [
        "BulkInsertFirstRow",
        "BulkInsertLastRow",
        "BulkInsertMaxErrors",
    ] {
        if let Some(v) =
            prop_int(props, name).filter(|v| *v > 0 && !(name == "BulkInsertFirstRow" && *v == 1))
        {
            problems.push(spec.error(format!(
                "its {name} is {v}; ssisd's bulk load sends every input row and stops at the first refused batch, so only the default (-1) is supported. Filter rows upstream (for example with a Conditional Split or Row Sampling) or redirect refused rows with the input's error disposition"
            )));
        }
    }
    if prop(props, "BulkInsertOrder").is_some_and(|o| !o.trim().is_empty()) {
        problems.push(spec.error(
            "its BulkInsertOrder names an ORDER hint, which the TDS bulk load of this build cannot pass to SQL Server; clear it (the hint only speeds up loads into a clustered index)",
        ));
    }
    problems.into_result()?;
    let commit_size = prop_int(props, "MaxInsertCommitSize").unwrap_or(0);
    let fast = FastLoadOptions {
        keep_identity: prop_bool(props, "BulkInsertKeepIdentity").unwrap_or(false),
        keep_nulls: prop_bool(props, "BulkInsertKeepNulls").unwrap_or(false),
        table_lock: prop_bool(props, "BulkInsertTablock").unwrap_or(true),
        check_constraints: prop_bool(props, "BulkInsertCheckConstraints").unwrap_or(true),
        fire_triggers: prop_bool(props, "BulkInsertFireTriggers").unwrap_or(false),
        rows_per_batch: None,
        timeout_secs: prop_int(props, "Timeout")
            .and_then(|t| u32::try_from(t).ok())
            .unwrap_or(30),
    };
    create_destination(
        spec,
        DestinationConfig {
            kind: "SQL Server Destination",
            slot: "OleDbConnection",
            table: TableRef::Name(table),
            mode: Mode::FastLoad,
            batch_rows: 0,
            commit: if commit_size <= 0 {
                Commit::AtEnd
            } else {
                Commit::Every(commit_size as u64)
            },
            commit_each_buffer: commit_size > 0,
            sql_server_only: true,
            fast,
        },
    )
}
