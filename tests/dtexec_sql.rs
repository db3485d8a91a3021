//! End-to-end tests of the Execute SQL task with the real `dtexec` against real databases:
//! SQLite through the SQLite ODBC driver and a throwaway PostgreSQL server (tests/support's
//! `postgres.rs`) through psqlodbc, both through the driver manager built into dtexec; SQL
//! Server when `SSISD_TEST_MSSQL` is set. Each covers every result-set kind (none, single
//! row, full result set walked by a Foreach ADO loop), input parameters by position and by
//! name, statements from a variable, GO batches, rows affected written to ExecValueVariable,
//! an SQL error failing the task with the driver's message and SQLSTATE, and cancellation of a
//! running statement. The same packages run through every way a package reaches ODBC: ODBC
//! connection managers, OLE DB over MSDASQL (with `Extended Properties` and with a DSN),
//! ADO.NET System.Data.Odbc, and an OLE DB manager given an ODBC string with `/Conn`; quoted
//! values hold `;`. Output and return-value parameters run on PostgreSQL (ODBC call escapes)
//! and on SQL Server (a procedure called by position and by name); the SQLite ODBC driver has
//! no output parameters. Bad input fails with the connection manager, the server and the
//! object named: a server that is down, an unknown login, a missing table, a provider Linux
//! does not have, a malformed connection string, a SQL Server port nobody listens on, a named
//! instance whose Browser does not answer. Missing drivers or servers print `SKIPPED` and
//! pass. The packages live in `tests/packages/run/sql/`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::odbc::have_driver;
use support::postgres::{Postgres, POSTGRES_PACKAGES};
use support::{exit_and_text, read_text as read};

const SQLITE_PACKAGES: &str = "libsqliteodbc (scripts/test installs it)";

/// The `CreationName` of an ADO.NET manager over System.Data.Odbc, as the designer writes it.
const ADO_NET_ODBC: &str = "ADO.NET:System.Data.Odbc.OdbcConnection, System.Data, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089";

fn package(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/packages/run/sql")
        .join(name)
}

/// A copy of package `name` in `dir` whose ODBC connection managers are of type `creation`.
fn variant(name: &str, dir: &Path, creation: &str) -> PathBuf {
    let text = read(package(name)).replace(
        "DTS:CreationName=\"ODBC\"",
        &format!("DTS:CreationName=\"{creation}\""),
    );
    let tag: String = creation
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(24)
        .collect();
    let file = dir.join(format!("{tag}-{name}"));
    std::fs::write(&file, text).expect("variant written");
    file
}

fn command(file: &Path, dir: &Path, conns: &[(&str, &str)], extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("/F")
        .arg(file)
        .arg("/Set")
        .arg(format!(
            "\\Package.Variables[User::Dir].Properties[Value];{}",
            dir.display()
        ));
    // Quoted as dtexec reads /Conn: `;` inside the connection string stays in it.
    for (name, text) in conns {
        c.arg("/Conn")
            .arg(format!("{name};\"{}\"", text.replace('"', "\"\"")));
    }
    c.args(extra);
    c
}

fn run(file: &Path, dir: &Path, conns: &[(&str, &str)], extra: &[&str]) -> (i32, String) {
    let out: Output = command(file, dir, conns, extra)
        .output()
        .expect("dtexec starts");
    exit_and_text(&out)
}

fn dtexec(name: &str, dir: &Path, conn: &str, extra: &[&str]) -> (i32, String) {
    run(&package(name), dir, &[("Db", conn)], extra)
}

/// The checks every database gets: result sets and input parameters, rows affected as the
/// execution value, an SQL error, and cancelling a running statement with SIGTERM.
fn results_error_and_cancel(conn: &str, expected_error: &str, slow: &str) {
    let d = tempfile::tempdir().expect("temp dir");
    let (code, out) = dtexec("rows.dtsx", d.path(), conn, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(read(d.path().join("rows.txt")), "3|2", "inserted|updated");

    let (code, out) = dtexec("results.dtsx", d.path(), conn, &[]);
    assert_eq!(code, 0, "{out}");
    // Count and top from the single row (column by index and by name), then every row of
    // the full result set through the Foreach ADO loop: 1 and 2 from the GO batches, 1
    // updated by the statement in a variable, 20 bound by position, 30 by name.
    assert_eq!(
        read(d.path().join("result.txt")),
        "3|two|1=one!;2=two;20=twenty;30=thirty;"
    );

    // A missing table: the statement, the driver's message with its SQLSTATE, and the
    // connection manager with where it leads.
    let (code, out) = dtexec("error.dtsx", d.path(), conn, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SELECT * FROM no_such_table"), "{out}");
    assert!(out.contains(expected_error), "{out}");
    assert!(out.contains("SQLSTATE"), "{out}");
    assert!(out.contains("Connection \"Db\": ODBC driver"), "{out}");

    let stmt = format!("\\Package.Variables[User::Stmt].Properties[Value];{slow}");
    let started = Instant::now();
    let mut child = command(
        &package("slow.dtsx"),
        d.path(),
        &[("Db", conn)],
        &["/Set", &stmt],
    )
    .stdout(Stdio::piped())
    .spawn()
    .expect("dtexec starts");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the statement ended early"
    );
    let (status, _) = support::sigterm_and_wait(&mut child);
    assert_eq!(status.code(), Some(3), "cancelled runs exit 3");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the statement was not cancelled: {:?}",
        started.elapsed()
    );
}

/// results.dtsx through `file` (a variant) with `conn`, checked as above.
fn results_through(file: &Path, conn: &str, what: &str) {
    let d = tempfile::tempdir().expect("temp dir");
    let (code, out) = run(file, d.path(), &[("Db", conn)], &[]);
    assert_eq!(code, 0, "{what}: {out}");
    assert_eq!(
        read(d.path().join("result.txt")),
        "3|two|1=one!;2=two;20=twenty;30=thirty;",
        "{what}"
    );
}

#[test]
fn sqlite_through_odbc() {
    if !have_driver("SQLite3", SQLITE_PACKAGES) {
        return;
    }
    let d = tempfile::tempdir().expect("temp dir");
    let conn = format!(
        "Driver={{SQLite3}};Database={}",
        d.path().join("t.db").display()
    );
    results_error_and_cancel(
        &conn,
        "no such table",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    );

    // OLE DB over MSDASQL: the ODBC string in a quoted `Extended Properties` (it holds `;`),
    // to a file whose name has a blank; ADO.NET System.Data.Odbc; and the override for a
    // provider Linux does not have — an OLE DB manager given an ODBC connection string (no
    // Provider: OLE DB's default, MSDASQL). (The SQLite driver reads no braced values; the
    // PostgreSQL test has them.)
    let v = tempfile::tempdir().expect("temp dir");
    let odd = v.path().join("odd name.db");
    let odbc = format!("Driver={{SQLite3}};Database={}", odd.display());
    let msdasql =
        format!("Provider=MSDASQL.1;Extended Properties=\"{odbc}\";Persist Security Info=False");
    results_through(
        &variant("results.dtsx", v.path(), "OLEDB"),
        &msdasql,
        "MSDASQL",
    );
    assert!(
        odd.exists(),
        "the database went to the file named in Extended Properties"
    );
    results_through(
        &variant("results.dtsx", v.path(), ADO_NET_ODBC),
        &odbc,
        "System.Data.Odbc",
    );
    results_through(
        &variant("results.dtsx", v.path(), "OLEDB"),
        &odbc,
        "OLE DB with an ODBC string",
    );
}

#[test]
fn postgresql_through_odbc() {
    if !have_driver("PostgreSQL Unicode", POSTGRES_PACKAGES) {
        return;
    }
    let pg = match Postgres::start() {
        Ok(pg) => pg,
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    let conn = pg.odbc_connection_string("ssisd");
    results_error_and_cancel(
        &conn,
        "relation \"no_such_table\" does not exist",
        "SELECT pg_sleep(60)",
    );

    // Return value ({? = call f(?)}) and output parameters ({call f(?, ?, ?)}).
    let d = tempfile::tempdir().expect("temp dir");
    let (code, out) = dtexec("pg_outputs.dtsx", d.path(), &conn, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(read(d.path().join("result.txt")), "42|82|x41");

    // Several statements in one batch go to the driver whole.
    let multi = "\\Package.Variables[User::Stmt].Properties[Value];CREATE TABLE m(a int); INSERT INTO m VALUES (1); DROP TABLE m";
    let (code, out) = dtexec("slow.dtsx", d.path(), &conn, &["/Set", multi]);
    assert_eq!(code, 0, "{out}");

    // A braced value holding `;` and `}`: the password of a login made for it.
    pg.psql("ssisd", "CREATE ROLE odd LOGIN SUPERUSER PASSWORD 'p;w}d'");
    let braced = conn.replace(
        &format!("Uid=postgres;Pwd={};", support::postgres::PASSWORD),
        "Uid=odd;Pwd={p;w}}d};",
    );
    assert_ne!(braced, conn);
    results_through(
        &variant("results.dtsx", d.path(), "ODBC"),
        &braced,
        "braced password",
    );

    // OLE DB over MSDASQL with a data source name: Data Source is the DSN, defined in the
    // user's odbc.ini; ADO.NET System.Data.Odbc with the driver string.
    let ini = d.path().join("odbc.ini");
    std::fs::write(
        &ini,
        format!(
            "[SsisdPg]\nDriver=PostgreSQL Unicode\nServername=127.0.0.1\nPort={}\nDatabase=ssisd\n",
            pg.port()
        ),
    )
    .unwrap();
    // The OLE DB-quoted password becomes a braced ODBC one.
    let msdasql = "Data Source=SsisdPg;User ID=odd;Password=\"p;w}d\";Provider=MSDASQL.1;Persist Security Info=False;";
    let file = variant("results.dtsx", d.path(), "OLEDB");
    let out = command(&file, d.path(), &[("Db", msdasql)], &[])
        .env("ODBCINI", &ini)
        .output()
        .expect("dtexec starts");
    let (code, text) = exit_and_text(&out);
    assert_eq!(code, 0, "MSDASQL with a DSN: {text}");
    results_through(
        &variant("results.dtsx", d.path(), ADO_NET_ODBC),
        &conn,
        "System.Data.Odbc",
    );

    // Two drivers in one run: SQLite and PostgreSQL (through the DSN) in turn.
    if have_driver("SQLite3", SQLITE_PACKAGES) {
        let lite = format!(
            "Driver={{SQLite3}};Database={}",
            d.path().join("both.db").display()
        );
        let out = command(
            &package("two_drivers.dtsx"),
            d.path(),
            &[("Lite", &lite), ("Pg", msdasql)],
            &[],
        )
        .env("ODBCINI", &ini)
        .output()
        .expect("dtexec starts");
        let (code, text) = exit_and_text(&out);
        assert_eq!(code, 0, "{text}");
        assert_eq!(
            pg.psql(
                "ssisd",
                "SELECT string_agg(a::text, ',' ORDER BY a) FROM both_test"
            )
            .trim(),
            "10,20"
        );
        let t = ssisd_sql::OdbcTarget::parse(&lite).unwrap();
        let c = ssisd_sql::odbc::connect(&t, None).expect("the SQLite file opens");
        let cursor = c
            .execute("SELECT a FROM both_test ORDER BY a", (), None)
            .unwrap()
            .unwrap();
        let mut rows =
            ssisd_sql::odbc::OdbcBatches::new(cursor, ssisd_sql::odbc::ReadOptions::default())
                .unwrap();
        let batch = rows.next_batch().unwrap().unwrap();
        assert_eq!(batch.values[0].len(), 2);
    }

    // A server that is down and a login it does not know: the connection manager, the
    // driver and server, and the driver's reason.
    let port = support::postgres::free_port().expect("a free port");
    let closed = conn.replace(&format!("Port={}", pg.port()), &format!("Port={port}"));
    let (code, out) = dtexec("rows.dtsx", d.path(), &closed, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Failed to acquire connection \"Db\": ODBC connection to ODBC driver \"PostgreSQL Unicode\", server 127.0.0.1:"),
        "{out}"
    );
    assert!(
        out.contains(&format!(":{port}")) && out.contains("SQLSTATE 08001"),
        "{out}"
    );
    let wrong = conn.replace(support::postgres::PASSWORD, "wrong");
    let (code, out) = dtexec("rows.dtsx", d.path(), &wrong, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Failed to acquire connection \"Db\"")
            && out.contains("password authentication failed for user \"postgres\""),
        "{out}"
    );
    assert!(!out.contains("wrong"), "the password is never shown: {out}");
}

#[test]
fn connection_failures_name_the_manager_and_the_server() {
    let d = tempfile::tempdir().expect("temp dir");
    let oledb = variant("rows.dtsx", d.path(), "OLEDB");
    // A provider Linux does not have: refused by /VALIDATE and by a run, with the override.
    let oracle = "Data Source=ORCL;User ID=scott;Password=tiger;Provider=OraOLEDB.Oracle.1";
    for extra in [&["/Va"][..], &[][..]] {
        let (code, out) = run(&oledb, d.path(), &[("Db", oracle)], extra);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("\"OraOLEDB.Oracle.1\" (Oracle)"), "{out}");
        assert!(out.contains("dtexec /Conn \""), "{out}");
        assert!(!out.contains("tiger"), "the password is never shown: {out}");
    }
    // A malformed connection string.
    let (code, out) = dtexec("rows.dtsx", d.path(), "Driver={SQLite3;Database=x", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("never closed"), "{out}");
    // An ODBC driver that is not installed: what is, and the Debian packages.
    let (code, out) = dtexec(
        "rows.dtsx",
        d.path(),
        "Driver={Oracle 21 ODBC driver};Dbq=x",
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the ODBC driver \"Oracle 21 ODBC driver\" is not installed")
            && out.contains("odbc-postgresql"),
        "{out}"
    );
    // SQL Server on a port nobody listens on, and a named instance whose Browser does not
    // answer (UDP 1434 on loopback): the manager, the server as written and the address.
    let (code, out) = run(
        &oledb,
        d.path(),
        &[(
            "Db",
            "Data Source=127.0.0.1,1;User ID=u;Password=p;Provider=SQLNCLI11.1",
        )],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Failed to acquire connection \"Db\": SQL Server \"127.0.0.1,1\": cannot connect to 127.0.0.1:1"),
        "{out}"
    );
    let (code, out) = run(
        &oledb,
        d.path(),
        &[(
            "Db",
            "Data Source=127.0.0.1\\NOPE;User ID=u;Password=p;Provider=SQLNCLI11.1;Connect Timeout=1",
        )],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Failed to acquire connection \"Db\": SQL Server \"127.0.0.1\\NOPE\": the SQL Server Browser on 127.0.0.1"),
        "{out}"
    );
}

#[test]
fn sql_server_through_tds() {
    let Ok(conn) = std::env::var("SSISD_TEST_MSSQL") else {
        println!("SKIPPED: SQL Server tests (set SSISD_TEST_MSSQL to an ADO connection string)");
        return;
    };
    // The same packages over an OLE DB connection manager (SQL Server provider): derived in a
    // temporary directory from the ODBC ones.
    let d = tempfile::tempdir().expect("temp dir");
    let oledb_conn = format!("{conn};Provider=MSOLEDBSQL");
    let go = |name: &str| -> (i32, String) {
        let file = variant(name, d.path(), "OLEDB");
        run(&file, d.path(), &[("Db", &oledb_conn)], &[])
    };
    let (code, text) = go("results.dtsx");
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        read(d.path().join("result.txt")),
        "3|two|1=one!;2=two;20=twenty;30=thirty;"
    );
    let (code, text) = go("rows.dtsx");
    assert_eq!(code, 0, "{text}");
    assert_eq!(read(d.path().join("rows.txt")), "3|2", "inserted|updated");
    // A procedure's return value and output parameters, by position (`EXEC ? = p ?, ?
    // OUTPUT`, OLE DB style) and by name (`EXEC @rc = p @n, @d OUTPUT`, with a single-row
    // result set after it).
    let (code, text) = go("mssql_outputs.dtsx");
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        read(d.path().join("outputs.txt")),
        "42|82|x41|42|82|x41|7",
        "return|doubled|label by position, then by name, then the result set"
    );
    // The same through ADO.NET SqlClient.
    let file = variant(
        "results.dtsx",
        d.path(),
        "ADO.NET:System.Data.SqlClient.SqlConnection, System.Data, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089",
    );
    let (code, text) = run(&file, d.path(), &[("Db", &conn)], &[]);
    assert_eq!(code, 0, "SqlClient: {text}");
}
