//! End-to-end tests of the Execute SQL task with the real `dtexec` against real databases:
//! SQLite through the SQLite ODBC driver and a throwaway PostgreSQL server (started here in a
//! temp dir, stopped at the end) through psqlodbc; SQL Server when `SSISD_TEST_MSSQL` is set.
//! Each covers every result-set kind (none, single row, full result set walked by a Foreach
//! ADO loop), input parameters by position and by name, statements from a variable, GO
//! batches, rows affected written to ExecValueVariable, an SQL error failing the task with
//! the driver's message and SQLSTATE, and
//! cancellation of a running statement. Output and return-value parameters run on
//! PostgreSQL (ODBC call escapes) and on SQL Server (a procedure called by position and by
//! name); the SQLite ODBC driver has no output parameters. Missing drivers or servers print
//! `SKIPPED` and pass. The packages live in `tests/packages/run/sql/`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{exit_and_text, read_text as read};

const INSTALL: &str =
    "run scripts/test, which installs them (unixodbc, odbc-postgresql, libsqliteodbc, postgresql)";

fn dtexec(name: &str, dir: &Path, conn: &str, extra: &[&str]) -> (i32, String) {
    let out: Output = command(name, dir, conn, extra)
        .output()
        .expect("dtexec starts");
    exit_and_text(&out)
}

fn command(name: &str, dir: &Path, conn: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("/F")
        .arg(format!("tests/packages/run/sql/{name}"))
        .arg("/Set")
        .arg(format!(
            "\\Package.Variables[User::Dir].Properties[Value];{}",
            dir.display()
        ))
        .arg("/Conn")
        .arg(format!("Db;{conn}"))
        .args(extra);
    c
}

/// Whether unixODBC knows the driver `name`; prints SKIPPED when not.
fn have_driver(name: &str) -> bool {
    if !cfg!(feature = "odbc") {
        println!("SKIPPED: dtexec was built without the odbc feature (cargo test --features odbc; scripts/test enables it)");
        return false;
    }
    let listed = Command::new("odbcinst")
        .args(["-q", "-d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(&format!("[{name}]")))
        .unwrap_or(false);
    if !listed {
        println!("SKIPPED: the ODBC driver manager or the \"{name}\" ODBC driver is not installed; {INSTALL}");
    }
    listed
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

    let (code, out) = dtexec("error.dtsx", d.path(), conn, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SELECT * FROM no_such_table"), "{out}");
    assert!(out.contains(expected_error), "{out}");
    assert!(out.contains("SQLSTATE"), "{out}");

    let stmt = format!("\\Package.Variables[User::Stmt].Properties[Value];{slow}");
    let started = Instant::now();
    let mut child = command("slow.dtsx", d.path(), conn, &["/Set", &stmt])
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

#[test]
fn sqlite_through_odbc() {
    if !have_driver("SQLite3") {
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
}

/// A PostgreSQL server in a temp dir, stopped when dropped.
struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl Postgres {
    fn start() -> Option<Postgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max()?;
        let dir = tempfile::tempdir().ok()?;
        let as_postgres = nix::unistd::geteuid().is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown of the PostgreSQL temp dir failed");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let pg = Postgres {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = pg.dir.path().join("data");
        pg.run(
            "initdb",
            &[
                "-A",
                "trust",
                "-U",
                "postgres",
                "-D",
                &data.to_string_lossy(),
            ],
        );
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            port,
            pg.dir.path().display()
        );
        let log = pg.dir.path().join("log");
        pg.run(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-o",
                &opts,
                "-l",
                &log.to_string_lossy(),
                "-w",
                "start",
            ],
        );
        pg.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "ssisd",
            ],
        );
        Some(pg)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let path = self.bin.join(tool);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = c.args(args).output().expect("PostgreSQL tool runs");
        assert!(
            out.status.success(),
            "{tool}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn connection_string(&self) -> String {
        format!(
            "Driver={{PostgreSQL Unicode}};Server=127.0.0.1;Port={};Database=ssisd;Uid=postgres;",
            self.port
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let path = self.bin.join("pg_ctl");
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let _ = c
            .args(["-D", &data.to_string_lossy(), "-m", "immediate", "stop"])
            .output();
    }
}

#[test]
fn postgresql_through_odbc() {
    if !have_driver("PostgreSQL Unicode") {
        return;
    }
    let Some(pg) = Postgres::start() else {
        println!(
            "SKIPPED: PostgreSQL server binaries not found under /usr/lib/postgresql; {INSTALL}"
        );
        return;
    };
    let conn = pg.connection_string();
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
    let run = |name: &str| -> (Option<i32>, String) {
        let source = read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/packages/run/sql")
                .join(name),
        );
        let oledb = d.path().join(name);
        std::fs::write(
            &oledb,
            source.replace("CreationName=\"ODBC\"", "CreationName=\"OLEDB\""),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
            .arg("/F")
            .arg(&oledb)
            .arg("/Set")
            .arg(format!(
                "\\Package.Variables[User::Dir].Properties[Value];{}",
                d.path().display()
            ))
            .arg("/Conn")
            .arg(format!("Db;{conn};Provider=MSOLEDBSQL"))
            .output()
            .expect("dtexec starts");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    let (code, text) = run("results.dtsx");
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        read(d.path().join("result.txt")),
        "3|two|1=one!;2=two;20=twenty;30=thirty;"
    );
    let (code, text) = run("rows.dtsx");
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(read(d.path().join("rows.txt")), "3|2", "inserted|updated");
    // A procedure's return value and output parameters, by position (`EXEC ? = p ?, ?
    // OUTPUT`, OLE DB style) and by name (`EXEC @rc = p @n, @d OUTPUT`, with a single-row
    // result set after it).
    let (code, text) = run("mssql_outputs.dtsx");
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        read(d.path().join("outputs.txt")),
        "42|82|x41|42|82|x41|7",
        "return|doubled|label by position, then by name, then the result set"
    );
}
