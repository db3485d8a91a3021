//! End-to-end tests of the Lookup against databases with the real `dtexec`: a throwaway
//! PostgreSQL server (tests/support's `postgres.rs`) through psqlodbc and SQLite files through
//! the SQLite ODBC driver. The packages in `tests/packages/db/` (`lookup_*`, each in the 2008
//! and the 2016+ layout) enrich orders with the name and rank of their code from a `codes`
//! table: full cache with misses to the no-match output (OLE DB manager as MSDASQL, and an
//! ADO.NET System.Data.Odbc manager), partial cache with misses redirected to the error output
//! (misses cached in their share), no cache through an ODBC manager with misses ignored. The
//! files they write are checked row by row — matching is case-sensitive in every mode and a
//! NULL key matches nothing — and so are the per-key query counts the partial cache saves; a
//! full-cache Lookup feeding an OLE DB Destination leaves its enriched rows in a table, checked
//! row by row.
//! Reference types that do not fit the input columns, and a ParameterMap entry that is no input
//! column, are refused at validation naming the columns; a missing table or reference column fails naming the component, the connection
//! manager and the object. Missing drivers or servers print `SKIPPED` and pass.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::odbc::have_driver;
use support::postgres::Postgres;
use support::{exit_and_text, read_text as read};

const SQLITE_PACKAGES: &str = "libsqliteodbc (scripts/test installs it)";
const FORMATS: [&str; 2] = ["2008", "2016"];

const CODES_TABLE: &str = "CREATE TABLE codes (code varchar(20) PRIMARY KEY, name varchar(30), rank integer); \
INSERT INTO codes VALUES ('A1', 'Alpha', 1), ('B2', 'Beta', 2), ('C3', 'Gamma ü', 3), ('a1', 'lower alpha', 4), ('D4', NULL, NULL);";

/// Orders: codes that match (one only in its lower-case spelling, one whose reference columns
/// are NULL), a code twice missing, and a NULL code.
const ORDERS: &str = "1,A1\n2,B2\n3,ZZ\n4,A1\n5,a1\n6,\n7,C3\n8,ZZ\n9,D4\n";

const MATCHED: &str =
    "1,A1,Alpha,1\n2,B2,Beta,2\n4,A1,Alpha,1\n5,a1,lower alpha,4\n7,C3,Gamma ü,3\n9,D4,,\n";
const UNMATCHED: &str = "3,ZZ\n6,\n8,ZZ\n";
/// ErrorCode 0xC020901E (as a signed integer), ErrorColumn 0.
const REJECTED: &str = "3,-1071607778,0\n6,-1071607778,0\n8,-1071607778,0\n";
/// Misses ignored: every row matched, NULL reference columns for the misses.
const ALL_ROWS: &str =
    "1,A1,Alpha,1\n2,B2,Beta,2\n3,ZZ,,\n4,A1,Alpha,1\n5,a1,lower alpha,4\n6,,,\n7,C3,Gamma ü,3\n8,ZZ,,\n9,D4,,\n";

fn package(stem: &str, format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/packages/db/{stem}_{format}.dtsx"))
}

/// A copy of `pkg` in `dir` with each `(from, to)` replaced.
fn edited(pkg: &Path, dir: &Path, name: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = read(pkg);
    for (from, to) in edits {
        assert!(text.contains(from), "{from} in {}", pkg.display());
        text = text.replace(from, to);
    }
    let out = dir.join(name);
    std::fs::write(&out, text).expect("package copy");
    out
}

/// Runs dtexec on `pkg` with the files of `dir`, the `Codes` manager set to `conn` and the
/// extra arguments.
fn dtexec(pkg: &Path, dir: &Path, conn: &str, extra: &[&str]) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.arg("/F").arg(pkg);
    let mut conns: Vec<(&str, String)> = ["Orders", "Matched", "Unmatched", "Rejects"]
        .iter()
        .map(|m| {
            (
                *m,
                dir.join(format!("{}.csv", m.to_lowercase()))
                    .display()
                    .to_string(),
            )
        })
        .collect();
    conns.push(("Codes", conn.to_string()));
    for (name, text) in conns {
        c.arg("/Conn")
            .arg(format!("{name};\"{}\"", text.replace('"', "\"\"")));
    }
    c.args(extra);
    exit_and_text(&c.output().expect("dtexec starts"))
}

fn output(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{name}.csv"))).unwrap_or_default()
}

/// A copy of the package `stem` whose data flow uses buffers of 2 rows.
fn small_buffers(stem: &str, format: &str, dir: &Path) -> PathBuf {
    let (from, to) = if format == "2008" {
        (
            "defaultBufferMaxRows=\"10000\"",
            "defaultBufferMaxRows=\"2\"",
        )
    } else {
        (
            "<pipeline version=\"1\">",
            "<pipeline defaultBufferMaxRows=\"2\" version=\"1\">",
        )
    };
    edited(
        &package(stem, format),
        dir,
        &format!("{stem}_{format}_2.dtsx"),
        &[(from, to)],
    )
}

/// Runs every lookup package against `conn` (an ODBC connection string) and checks the files.
fn run_every_mode(conn: &str, label: &str) {
    let msdasql = format!("Provider=MSDASQL.1;Extended Properties=\"{conn}\"");
    for format in FORMATS {
        let d = tempfile::tempdir().expect("temp dir");
        std::fs::write(d.path().join("orders.csv"), ORDERS).expect("orders");

        // Full cache (OLE DB over MSDASQL), misses to the no-match output.
        let (code, out) = dtexec(
            &package("lookup_full", format),
            d.path(),
            &msdasql,
            &["/Rep", "EWI"],
        );
        assert_eq!(code, 0, "{label} {format}: {out}");
        assert!(
            out.contains("\"Find code\" has cached a total of 5 rows."),
            "{out}"
        );
        assert_eq!(output(d.path(), "matched"), MATCHED, "{label} {format}");
        assert_eq!(output(d.path(), "unmatched"), UNMATCHED, "{label} {format}");

        // The same through an ADO.NET manager (System.Data.Odbc).
        let (code, out) = dtexec(&package("lookup_ado_net", format), d.path(), conn, &[]);
        assert_eq!(code, 0, "{label} {format}: {out}");
        assert_eq!(output(d.path(), "matched"), MATCHED, "{label} {format}");
        assert_eq!(output(d.path(), "unmatched"), UNMATCHED, "{label} {format}");

        // Partial cache, buffers of 2 rows: each distinct key asked once in the whole run
        // (misses kept in their 25 %), misses redirected to the error output.
        let (code, out) = dtexec(
            &small_buffers("lookup_partial", format, d.path()),
            d.path(),
            &msdasql,
            &["/Rep", "EWI"],
        );
        assert_eq!(code, 0, "{label} {format}: {out}");
        assert_eq!(output(d.path(), "matched"), MATCHED, "{label} {format}");
        assert_eq!(output(d.path(), "rejects"), REJECTED, "{label} {format}");
        assert!(
            out.contains("\"Find code\" ran its per-key query 7 times"),
            "{label} {format}: {out}"
        );

        // No cache through an ODBC manager, misses ignored: with buffers of 2 rows, each
        // distinct key of a buffer is asked (9 times for 5 buffers).
        let (code, out) = dtexec(
            &small_buffers("lookup_no_cache", format, d.path()),
            d.path(),
            conn,
            &["/Rep", "EWI"],
        );
        assert_eq!(code, 0, "{label} {format}: {out}");
        assert!(
            out.contains("\"Find code\" ran its per-key query 9 times."),
            "{label} {format}: {out}"
        );
        assert_eq!(output(d.path(), "matched"), ALL_ROWS, "{label} {format}");
    }
}

const ENRICHED_TABLE: &str = "CREATE TABLE enriched (id integer PRIMARY KEY, code varchar(20), name varchar(30), rank integer)";

/// The matched rows, as the `enriched` table holds them (NULL as nothing).
const ENRICHED: &str =
    "1|A1|Alpha|1\n2|B2|Beta|2\n4|A1|Alpha|1\n5|a1|lower alpha|4\n7|C3|Gamma ü|3\n9|D4||\n";

/// Runs the full-cache Lookup whose matches an OLE DB Destination loads into `enriched`.
fn to_table(conn: &str, format: &str) {
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::write(d.path().join("orders.csv"), ORDERS).expect("orders");
    let msdasql = format!("Provider=MSDASQL.1;Extended Properties=\"{conn}\"");
    let (code, out) = dtexec(&package("lookup_to_table", format), d.path(), &msdasql, &[]);
    assert_eq!(code, 0, "{format}: {out}");
}

#[test]
fn postgresql_lookups_in_every_cache_mode() {
    let Some(pg) = Postgres::start_with_driver() else {
        return;
    };
    pg.psql("ssisd", CODES_TABLE);
    let conn = pg.odbc_connection_string("ssisd");
    run_every_mode(&conn, "PostgreSQL");
    pg.psql("ssisd", ENRICHED_TABLE);
    for format in FORMATS {
        to_table(&conn, format);
        assert_eq!(
            pg.psql(
                "ssisd",
                "SELECT id, code, name, rank FROM enriched ORDER BY id"
            ),
            ENRICHED,
            "{format}"
        );
        pg.psql("ssisd", "DELETE FROM enriched");
    }
}

#[test]
fn sqlite_lookups_in_every_cache_mode() {
    if !have_driver("SQLite3", SQLITE_PACKAGES) {
        return;
    }
    let d = tempfile::tempdir().expect("temp dir");
    let db = d.path().join("codes.db");
    rusqlite::Connection::open(&db)
        .and_then(|c| c.execute_batch(CODES_TABLE))
        .expect("codes table");
    let conn = format!("Driver={{SQLite3}};Database={}", db.display());
    run_every_mode(&conn, "SQLite");
    let sqlite = rusqlite::Connection::open(&db).expect("open");
    sqlite
        .execute_batch(ENRICHED_TABLE)
        .expect("enriched table");
    for format in FORMATS {
        to_table(&conn, format);
        let rows: Vec<String> = sqlite
            .prepare("SELECT id, code, name, rank FROM enriched ORDER BY id")
            .expect("prepare")
            .query_map([], |r| {
                Ok(format!(
                    "{}|{}|{}|{}\n",
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get::<_, Option<i64>>(3)?
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.concat(), ENRICHED, "{format}");
        sqlite
            .execute_batch("DELETE FROM enriched")
            .expect("delete");
    }
}

#[test]
fn reference_types_that_do_not_fit_are_refused_at_validation() {
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::write(d.path().join("orders.csv"), ORDERS).expect("orders");
    for format in FORMATS {
        let pkg = edited(
            &package("lookup_full", format),
            d.path(),
            &format!("types_{format}.dtsx"),
            &[
                (
                    "name=\"code\" dataType=\"DT_WSTR\" length=\"20\"",
                    "name=\"code\" dataType=\"DT_I4\" length=\"0\"",
                ),
                (
                    "name=\"rank\" dataType=\"DT_I4\"",
                    "name=\"rank\" dataType=\"DT_I8\"",
                ),
            ],
        );
        // No database is reached: validation refuses the package first.
        let (code, out) = dtexec(
            &pkg,
            d.path(),
            "Driver={SQLite3};Database=/nonexistent.db",
            &[],
        );
        assert_ne!(code, 0, "{out}");
        for part in [
            "component \"Find code\"",
            "the join column \"Code\" is DT_WSTR,20 but the reference column \"code\" is DT_I4",
            "the reference column \"rank\" it copies is DT_I8",
            "0xC020903F",
        ] {
            assert!(out.contains(part), "{format}: {part}: {out}");
        }
    }
}

#[test]
fn a_parameter_map_naming_no_input_column_is_refused_at_validation() {
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::write(d.path().join("orders.csv"), ORDERS).expect("orders");
    let pkg = edited(
        &package("lookup_partial", "2016"),
        d.path(),
        "parameter_map.dtsx",
        &[("Columns[Code]};", "Columns[Nope]};")],
    );
    let (code, out) = dtexec(
        &pkg,
        d.path(),
        "Driver={SQLite3};Database=/nonexistent.db",
        &[],
    );
    assert_ne!(code, 0, "{out}");
    for part in [
        "component \"Find code\"",
        "its ParameterMap names \"#{Package\\Load\\Read orders.Outputs[Flat File Source Output].Columns[Nope]}\", which is not a column of its input",
    ] {
        assert!(out.contains(part), "{part}: {out}");
    }
}

#[test]
fn missing_tables_and_columns_name_component_manager_and_object() {
    let Some(pg) = Postgres::start_with_driver() else {
        return;
    };
    pg.psql("ssisd", CODES_TABLE);
    let conn = pg.odbc_connection_string("ssisd");
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::write(d.path().join("orders.csv"), ORDERS).expect("orders");
    for stem in ["lookup_full", "lookup_partial"] {
        let no_table = edited(
            &package(stem, "2016"),
            d.path(),
            &format!("{stem}_no_table.dtsx"),
            &[("FROM codes", "FROM no_such_codes")],
        );
        let (code, out) = dtexec(&no_table, d.path(), &conn, &[]);
        assert_eq!(code, 1, "{out}");
        for part in [
            "component \"Find code\"",
            "connection manager \"Codes\"",
            "relation \"no_such_codes\" does not exist",
        ] {
            assert!(out.contains(part), "{stem}: {part}: {out}");
        }
        let no_column = edited(
            &package(stem, "2016"),
            d.path(),
            &format!("{stem}_no_column.dtsx"),
            &[(
                "SELECT code, name, rank FROM codes",
                "SELECT code, name FROM codes",
            )],
        );
        let (code, out) = dtexec(&no_column, d.path(), &conn, &[]);
        assert_eq!(code, 1, "{out}");
        for part in [
            "component \"Find code\"",
            "connection manager \"Codes\"",
            "the reference column \"rank\" is not among the columns",
        ] {
            assert!(out.contains(part), "{stem}: {part}: {out}");
        }
    }
}

/// A full cache larger than the data flow's memory budget fails the Lookup with SSIS's
/// out-of-memory code (0x8007000E), not a database error, and writes no output that looks
/// complete.
#[test]
fn a_full_cache_past_the_memory_budget_is_an_out_of_memory_error() {
    if !have_driver("SQLite3", SQLITE_PACKAGES) {
        return;
    }
    let d = tempfile::tempdir().expect("temp dir");
    let db = d.path().join("codes.db");
    let mut sqlite = rusqlite::Connection::open(&db).expect("open");
    sqlite
        .execute_batch(
            "CREATE TABLE codes (code varchar(20) PRIMARY KEY, name varchar(30), rank integer);",
        )
        .expect("codes table");
    let tx = sqlite.transaction().expect("transaction");
    {
        let mut insert = tx
            .prepare("INSERT INTO codes VALUES (?1, ?2, ?3)")
            .expect("prepare");
        for i in 0..60_000i64 {
            insert
                .execute(rusqlite::params![
                    format!("K{i:08}"),
                    format!("name of code {i:08}"),
                    i
                ])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    drop(sqlite);
    std::fs::write(d.path().join("orders.csv"), ORDERS).expect("orders");
    let conn = format!("Driver={{SQLite3}};Database={}", db.display());
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.arg("/F").arg(package("lookup_full", "2016"));
    for m in ["Orders", "Matched", "Unmatched", "Rejects"] {
        c.arg("/Conn").arg(format!(
            "{m};\"{}\"",
            d.path().join(format!("{}.csv", m.to_lowercase())).display()
        ));
    }
    c.arg("/Conn").arg(format!(
        "Codes;\"Provider=MSDASQL.1;Extended Properties=\"\"{conn}\"\"\""
    ));
    c.env("SSISD_DATA_FLOW_MEMORY_MB", "1");
    let (code, out) = exit_and_text(&c.output().expect("dtexec starts"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("0x8007000E"), "{out}");
    assert!(out.contains("read its reference rows"), "{out}");
    assert!(!out.contains("0xC0202009"), "not a database error: {out}");
    assert_eq!(
        output(d.path(), "matched"),
        "",
        "no output presented as complete"
    );
}
