//! End-to-end tests of the data-flow database components with the real `dtexec` against real
//! databases: a throwaway PostgreSQL server (tests/support's `postgres.rs`) through psqlodbc
//! and SQLite files through the SQLite ODBC driver, both through the driver manager built into
//! dtexec. The packages in `tests/packages/db/` (each in the 2008 and the 2016+ layout, written
//! by `make_packages.py` there) move rows flat file → database → flat file: OLE DB Destination
//! (fast load, row by row, table name from a variable, rejected rows redirected), OLE DB Source
//! (SQL command with a `?` parameter mapped to a variable by its DTSID, table name from a
//! variable), ODBC Destination and ODBC Source; OLE DB managers reach the databases as MSDASQL
//! strings and as bare ODBC strings. Tables and files are checked row by row. A load that fails
//! half-way leaves what its commit size promises (every buffer committed, nothing with a
//! commit size of 0, every row before the failing one row by row). Bad input — a server that
//! is down, a wrong password, a missing table, a missing column, a type the column cannot
//! take, a constraint violation — fails naming the component, the connection manager, the
//! server and the object. Missing drivers or servers print `SKIPPED` and pass. SQL Server's
//! fast load runs when `SSISD_TEST_MSSQL` is set.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::odbc::have_driver;
use support::postgres::Postgres;
use support::{exit_and_text, read_text as read};

const SQLITE_PACKAGES: &str = "libsqliteodbc (scripts/test installs it)";
const FORMATS: [&str; 2] = ["2008", "2016"];

const ORDERS: &str = "id,customer,amount,ordered\r\n\
1,\"Ann \"\"A\"\" Lee\",10.50,2024-01-05\r\n\
2,Bob,99.99,2024-02-29\r\n\
3,\"Cy, Jr\",5.00,2024-03-01\r\n\
4,Dé,-60.25,1999-12-31\r\n";

const PG_TABLE: &str = "CREATE TABLE orders (id integer PRIMARY KEY, customer varchar(50) NOT NULL, amount numeric(12,2), ordered date)";
const SQLITE_TABLE: &str = "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer VARCHAR(50) NOT NULL, amount NUMERIC(12,2), ordered DATE)";

fn package(stem: &str, format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/packages/db/{stem}_{format}.dtsx"))
}

/// A copy of `pkg` in `dir` whose data flow uses buffers of `rows` rows.
fn with_buffer_rows(pkg: &Path, dir: &Path, rows: u32) -> PathBuf {
    let text = read(pkg)
        .replace(
            "defaultBufferMaxRows=\"10000\"",
            &format!("defaultBufferMaxRows=\"{rows}\""),
        )
        .replace(
            "<pipeline version=\"1\">",
            &format!("<pipeline defaultBufferMaxRows=\"{rows}\" version=\"1\">"),
        );
    let out = dir.join(format!(
        "{rows}-{}",
        pkg.file_name().expect("name").to_string_lossy()
    ));
    std::fs::write(&out, text).expect("package copy");
    out
}

/// Runs dtexec on `pkg` with `/Conn name;value` for each pair (values quoted as dtexec reads
/// them) and the extra arguments.
fn dtexec(pkg: &Path, conns: &[(&str, String)], extra: &[&str]) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.arg("/F").arg(pkg);
    for (name, text) in conns {
        c.arg("/Conn")
            .arg(format!("{name};\"{}\"", text.replace('"', "\"\"")));
    }
    c.args(extra);
    exit_and_text(&c.output().expect("dtexec starts"))
}

/// The flat-file managers of the load packages, in `dir`.
fn load_files(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("Orders", dir.join("orders.csv").display().to_string()),
        ("Rejects", dir.join("rejects.csv").display().to_string()),
    ]
}

const EXPECTED_FILE: &str = "\"id\",\"customer\",\"amount\",\"ordered\"\r\n\
\"1\",\"Ann \"A\" Lee\",\"10.50\",\"2024-01-05\"\r\n\
\"2\",\"Bob\",\"99.99\",\"2024-02-29\"\r\n\
\"3\",\"Cy, Jr\",\"5.00\",\"2024-03-01\"\r\n\
\"4\",\"Dé\",\"-60.25\",\"1999-12-31\"\r\n";

/// The Windows-1252 bytes of a flat file's text (`é` is one byte).
fn expected_bytes(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| if c == 'é' { 0xE9 } else { c as u8 })
        .collect()
}

fn pg_rows(pg: &Postgres) -> String {
    pg.psql(
        "ssisd",
        "SELECT id, customer, amount, ordered FROM orders ORDER BY id",
    )
}

const PG_EXPECTED: &str =
    "1|Ann \"A\" Lee|10.50|2024-01-05\n2|Bob|99.99|2024-02-29\n3|Cy, Jr|5.00|2024-03-01\n4|Dé|-60.25|1999-12-31\n";

#[test]
fn postgresql_flat_file_to_table_to_flat_file() {
    let Some(pg) = Postgres::start_with_driver() else {
        return;
    };
    let conn = pg.odbc_connection_string("ssisd");
    for format in FORMATS {
        let d = tempfile::tempdir().expect("temp dir");
        std::fs::write(d.path().join("orders.csv"), expected_bytes(ORDERS)).expect("input");
        pg.psql("ssisd", &format!("DROP TABLE IF EXISTS orders; {PG_TABLE}"));

        // OLE DB Destination, fast load; the OLE DB manager given an ODBC string.
        let mut conns = load_files(d.path());
        conns.push(("Warehouse", conn.clone()));
        let (code, out) = dtexec(&package("load", format), &conns, &["/Rep", "EWI"]);
        assert_eq!(code, 0, "{format}: {out}");
        assert!(out.contains("\"Write orders\" wrote 4 rows."), "{out}");
        assert_eq!(pg_rows(&pg), PG_EXPECTED, "{format}");

        // OLE DB Source, SQL command with a parameter mapped to User::MinId (1) by DTSID.
        let out_file = d.path().join("out.csv");
        let (code, out) = dtexec(
            &package("extract", format),
            &[
                ("Warehouse", conn.clone()),
                ("Out", out_file.display().to_string()),
            ],
            &["/Rep", "EW"],
        );
        assert_eq!(code, 0, "{format}: {out}");
        // psqlodbc describes varchar(50) as SQL_VARCHAR(50): DT_STR(50), as the package says.
        assert!(!out.contains("0x80202066"), "{out}");
        let all = expected_bytes(EXPECTED_FILE);
        let text = String::from_utf8_lossy(&all).to_string();
        let without_first: String = {
            let mut lines: Vec<&str> = EXPECTED_FILE.split_inclusive("\r\n").collect();
            lines.remove(1);
            lines.concat()
        };
        assert_eq!(
            std::fs::read(&out_file).expect("out"),
            expected_bytes(&without_first),
            "{format}: {text}"
        );
        // The parameter's value is read at run time.
        let (code, out) = dtexec(
            &package("extract", format),
            &[
                ("Warehouse", conn.clone()),
                ("Out", out_file.display().to_string()),
            ],
            &[
                "/Set",
                "\\Package.Variables[User::MinId].Properties[Value];3",
            ],
        );
        assert_eq!(code, 0, "{format}: {out}");
        assert_eq!(
            String::from_utf8_lossy(&std::fs::read(&out_file).expect("out"))
                .lines()
                .map(|l| l[..4].to_string())
                .collect::<Vec<_>>(),
            ["\"id\"", "\"4\","]
        );

        // OLE DB Source, table name from a variable: every row, every column.
        let (code, out) = dtexec(
            &package("extract_from_variable", format),
            &[
                ("Warehouse", conn.clone()),
                ("Out", out_file.display().to_string()),
            ],
            &[],
        );
        assert_eq!(code, 0, "{format}: {out}");
        assert_eq!(std::fs::read(&out_file).expect("out"), all, "{format}");

        // ODBC Source → file, ODBC Destination ← file (into an emptied table).
        let (code, out) = dtexec(
            &package("odbc_extract", format),
            &[
                ("Source", conn.clone()),
                ("Out", out_file.display().to_string()),
            ],
            &[],
        );
        assert_eq!(code, 0, "{format}: {out}");
        assert_eq!(std::fs::read(&out_file).expect("out"), all, "{format}");
        pg.psql("ssisd", "TRUNCATE orders");
        let (code, out) = dtexec(
            &package("odbc_load", format),
            &[
                ("Orders", d.path().join("orders.csv").display().to_string()),
                ("Target", conn.clone()),
            ],
            &[],
        );
        assert_eq!(code, 0, "{format}: {out}");
        assert_eq!(pg_rows(&pg), PG_EXPECTED, "{format}");
    }
}

#[test]
fn sqlite_flat_file_to_table_to_flat_file() {
    if !have_driver("SQLite3", SQLITE_PACKAGES) {
        return;
    }
    for format in FORMATS {
        let d = tempfile::tempdir().expect("temp dir");
        std::fs::write(d.path().join("orders.csv"), expected_bytes(ORDERS)).expect("input");
        let db = d.path().join("warehouse.db");
        rusqlite::Connection::open(&db)
            .and_then(|c| c.execute_batch(SQLITE_TABLE))
            .expect("table");
        let odbc = format!("Driver={{SQLite3}};Database={}", db.display());
        // OLE DB over MSDASQL: the ODBC string in a quoted Extended Properties.
        let msdasql = format!("Provider=MSDASQL.1;Extended Properties=\"{odbc}\"");
        let mut conns = load_files(d.path());
        conns.push(("Warehouse", msdasql.clone()));
        let (code, out) = dtexec(&package("load", format), &conns, &[]);
        assert_eq!(code, 0, "{format}: {out}");
        let rows: Vec<(i64, String, f64, String)> = rusqlite::Connection::open(&db)
            .expect("open")
            .prepare("SELECT id, customer, amount, ordered FROM orders ORDER BY id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            rows,
            vec![
                (
                    1,
                    "Ann \"A\" Lee".to_string(),
                    10.5,
                    "2024-01-05".to_string()
                ),
                (2, "Bob".to_string(), 99.99, "2024-02-29".to_string()),
                (3, "Cy, Jr".to_string(), 5.0, "2024-03-01".to_string()),
                (4, "Dé".to_string(), -60.25, "1999-12-31".to_string()),
            ],
            "{format}"
        );
        let out_file = d.path().join("out.csv");
        for (stem, manager, conn) in [
            ("extract_from_variable", "Warehouse", msdasql.as_str()),
            ("odbc_extract", "Source", odbc.as_str()),
        ] {
            let (code, out) = dtexec(
                &package(stem, format),
                &[
                    (manager, conn.to_string()),
                    ("Out", out_file.display().to_string()),
                ],
                &[],
            );
            assert_eq!(code, 0, "{format} {stem}: {out}");
            assert_eq!(
                std::fs::read(&out_file).expect("out"),
                expected_bytes(EXPECTED_FILE),
                "{format} {stem}"
            );
        }
    }
}

/// 2500 rows whose row 2200 repeats id 5.
fn rows_with_a_duplicate() -> String {
    let mut s = String::from("id,customer,amount,ordered\r\n");
    for i in 1..=2500 {
        let id = if i == 2200 { 5 } else { i };
        s.push_str(&format!("{id},c{i},{i}.25,2024-01-01\r\n"));
    }
    s
}

#[test]
fn rejected_rows_and_failures_half_way_leave_what_the_settings_promise() {
    let Some(pg) = Postgres::start_with_driver() else {
        return;
    };
    let conn = pg.odbc_connection_string("ssisd");
    let count = || {
        pg.psql("ssisd", "SELECT count(*) FROM orders")
            .trim()
            .to_string()
    };
    for format in FORMATS {
        let d = tempfile::tempdir().expect("temp dir");
        std::fs::write(d.path().join("orders.csv"), rows_with_a_duplicate()).expect("input");
        let mut conns = load_files(d.path());
        conns.push(("Warehouse", conn.clone()));

        // Fast load committing every buffer (1000 rows): the buffers before the failing one stay.
        pg.psql("ssisd", &format!("DROP TABLE IF EXISTS orders; {PG_TABLE}"));
        let pkg = with_buffer_rows(&package("load", format), d.path(), 1000);
        let (code, out) = dtexec(&pkg, &conns, &[]);
        assert_eq!(code, 1, "{format}: {out}");
        for part in [
            "component \"Write orders\"",
            "connection manager \"Warehouse\"",
            "server 127.0.0.1:",
            "orders",
            "duplicate key value violates unique constraint",
            "SQLSTATE 23505",
            "rows 2001 to 2500",
            "The 2000 rows committed before stay",
        ] {
            assert!(out.contains(part), "{format}: {part}: {out}");
        }
        assert_eq!(count(), "2000", "{format}");

        // FastLoadMaxInsertCommitSize 0: one transaction, rolled back.
        pg.psql("ssisd", "TRUNCATE orders");
        let pkg = with_buffer_rows(&package("load_commit_at_end", format), d.path(), 1000);
        let (code, out) = dtexec(&pkg, &conns, &[]);
        assert_eq!(code, 1, "{format}: {out}");
        assert!(out.contains("the table is left as it was"), "{out}");
        assert_eq!(count(), "0", "{format}");

        // Row by row (table name from a variable): every row before the failing one.
        let pkg = with_buffer_rows(&package("load_from_variable", format), d.path(), 1000);
        let (code, out) = dtexec(&pkg, &conns, &[]);
        assert_eq!(code, 1, "{format}: {out}");
        assert!(out.contains("row 2200 "), "{out}");
        assert_eq!(count(), "2199", "{format}");

        // Redirect Row: the duplicate and a row failing a CHECK constraint go to the error
        // output with ErrorCode 0xC020907D (integrity); every other row is loaded.
        pg.psql(
            "ssisd",
            "TRUNCATE orders; ALTER TABLE orders ADD CHECK (amount >= 0)",
        );
        let mut input = rows_with_a_duplicate();
        input.push_str("2501,e,-1.00,2024-01-01\r\n");
        std::fs::write(d.path().join("orders.csv"), input).expect("input");
        let pkg = with_buffer_rows(&package("load_redirect", format), d.path(), 1000);
        let (code, out) = dtexec(&pkg, &conns, &["/Rep", "EWI"]);
        assert_eq!(code, 0, "{format}: {out}");
        assert!(
            out.contains("2 rows were rejected by the database"),
            "{out}"
        );
        assert_eq!(count(), "2499", "{format}");
        assert_eq!(
            read(d.path().join("rejects.csv")),
            "id,ErrorCode,ErrorColumn\r\n5,-1071607683,0\r\n2501,-1071607683,0\r\n",
            "{format}"
        );
    }
}

#[test]
fn bad_input_names_component_manager_server_and_object() {
    let Some(pg) = Postgres::start_with_driver() else {
        return;
    };
    let conn = pg.odbc_connection_string("ssisd");
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::write(d.path().join("orders.csv"), expected_bytes(ORDERS)).expect("input");
    let load = |db_conn: String| {
        let mut conns = load_files(d.path());
        conns.push(("Warehouse", db_conn));
        dtexec(&package("load", "2016"), &conns, &[])
    };
    let expect = |(code, out): (i32, String), parts: &[&str]| {
        assert_eq!(code, 1, "{out}");
        for p in parts {
            assert!(out.contains(p), "{p}: {out}");
        }
    };

    // A server that is down.
    let port = support::postgres::free_port().expect("a free port");
    let down = conn.replace(&format!("Port={}", pg.port()), &format!("Port={port}"));
    expect(
        load(down),
        &[
            "component \"Write orders\"",
            "cannot connect through connection manager \"Warehouse\"",
            &format!("server 127.0.0.1:{port}"),
            "0xC020801C",
        ],
    );
    // A wrong password.
    let wrong = conn.replace(support::postgres::PASSWORD, "wrong");
    expect(
        load(wrong),
        &[
            "connection manager \"Warehouse\"",
            "password authentication failed for user \"postgres\"",
        ],
    );
    // A missing table.
    pg.psql("ssisd", "DROP TABLE IF EXISTS orders");
    expect(
        load(conn.clone()),
        &[
            "component \"Write orders\"",
            "the table orders",
            "connection manager \"Warehouse\"",
            "relation \"orders\" does not exist",
        ],
    );
    // A missing column.
    pg.psql(
        "ssisd",
        "CREATE TABLE orders (id integer, customer varchar(50), ordered date)",
    );
    expect(
        load(conn.clone()),
        &[
            "the input column \"amount\" is mapped to the column \"amount\", which the table does not have",
            "server 127.0.0.1:",
        ],
    );
    // A type the column cannot take.
    pg.psql(
        "ssisd",
        "DROP TABLE orders; CREATE TABLE orders (id integer, customer varchar(50), amount numeric(12,2), ordered integer)",
    );
    expect(
        load(conn.clone()),
        &["the input column \"ordered\" (DT_DBDATE) cannot be loaded into the column \"ordered\""],
    );
    // A value longer than its column (varchar(3)): the database's message and the rows.
    pg.psql(
        "ssisd",
        "DROP TABLE orders; CREATE TABLE orders (id integer, customer varchar(3), amount numeric(12,2), ordered date)",
    );
    expect(
        load(conn.clone()),
        &[
            "value too long for type character varying(3)",
            "rows 1 to 4",
        ],
    );
    // A source whose output reads a column the table does not have.
    pg.psql(
        "ssisd",
        "DROP TABLE orders; CREATE TABLE orders (id integer, customer varchar(50), ordered date)",
    );
    let (code, out) = dtexec(
        &package("odbc_extract", "2016"),
        &[
            ("Source", conn.clone()),
            ("Out", d.path().join("out.csv").display().to_string()),
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("component \"Read table\"")
            && out.contains(
                "reads the column \"amount\", which the table or view orders does not return"
            ),
        "{out}"
    );
    assert!(!d.path().join("out.csv").exists(), "no output file is left");
}

/// Runs `sql` on the SQL Server of `conn` (an ADO.NET connection string) through ssisd-sql.
fn mssql(conn: &str, sql: &str) -> Vec<String> {
    let ssisd_sql::Route::Tds(settings) =
        ssisd_sql::route("test", "ADO.NET:SQL", conn).expect("SSISD_TEST_MSSQL routes")
    else {
        panic!("SSISD_TEST_MSSQL is not a SQL Server connection string")
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut client = ssisd_sql::tds::connect(&settings).await.expect("connects");
        let rows = client
            .simple_query(sql)
            .await
            .expect("runs")
            .into_first_result()
            .await
            .expect("rows");
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.try_get::<&str, _>(i)
                            .ok()
                            .flatten()
                            .map(str::to_string)
                            .or_else(|| {
                                r.try_get::<i32, _>(i).ok().flatten().map(|n| n.to_string())
                            })
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    })
}

#[test]
fn sql_server_fast_load_and_source() {
    let Ok(conn) = std::env::var("SSISD_TEST_MSSQL") else {
        println!("SKIPPED: SQL Server tests (set SSISD_TEST_MSSQL to an ADO.NET connection string of a login that may create tables)");
        return;
    };
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::write(d.path().join("orders.csv"), expected_bytes(ORDERS)).expect("input");
    let ole_db = format!("{conn};Provider=MSOLEDBSQL");
    for (stem, expect_rows) in [("load", 4), ("load_commit_at_end", 4)] {
        mssql(
            &conn,
            "IF OBJECT_ID('dbo.orders') IS NOT NULL DROP TABLE dbo.orders; CREATE TABLE dbo.orders (id int PRIMARY KEY, customer varchar(50) NOT NULL, amount numeric(12,2), ordered date); SELECT 1",
        );
        let mut conns = load_files(d.path());
        conns.push(("Warehouse", ole_db.clone()));
        // TDS bulk load: the fast-load options tiberius cannot pass draw warnings.
        let (code, out) = dtexec(&package(stem, "2016"), &conns, &["/Rep", "EW"]);
        assert_eq!(code, 0, "{stem}: {out}");
        assert!(
            out.contains("TABLOCK") && out.contains("CHECK_CONSTRAINTS"),
            "{out}"
        );
        let rows = mssql(
            &conn,
            "SELECT CAST(id AS varchar(10)) + '|' + customer + '|' + CAST(amount AS varchar(20)) + '|' + CONVERT(varchar(10), ordered, 23) FROM dbo.orders ORDER BY id",
        );
        assert_eq!(rows.len(), expect_rows, "{rows:?}");
        assert_eq!(rows[0], "1|Ann \"A\" Lee|10.50|2024-01-05");
        assert_eq!(rows[3], "4|Dé|-60.25|1999-12-31");
    }
    // OLE DB Source over TDS, parameter by DTSID, and the table from a variable.
    let out_file = d.path().join("out.csv");
    for stem in ["extract", "extract_from_variable"] {
        let (code, out) = dtexec(
            &package(stem, "2016"),
            &[
                ("Warehouse", ole_db.clone()),
                ("Out", out_file.display().to_string()),
            ],
            &[],
        );
        assert_eq!(code, 0, "{stem}: {out}");
        let text = String::from_utf8_lossy(&std::fs::read(&out_file).expect("out")).to_string();
        assert!(
            text.contains("\"2\",\"Bob\",\"99.99\",\"2024-02-29\""),
            "{text}"
        );
    }
    mssql(&conn, "DROP TABLE dbo.orders; SELECT 1");
}

#[test]
fn ole_db_command_runs_once_per_row_and_redirects_failures() {
    let Some(pg) = Postgres::start_with_driver() else {
        return;
    };
    let conn = pg.odbc_connection_string("ssisd");
    for format in FORMATS {
        let d = tempfile::tempdir().expect("temp dir");
        pg.psql(
            "ssisd",
            &format!(
                "DROP TABLE IF EXISTS orders; {PG_TABLE}; ALTER TABLE orders ADD CHECK (amount >= 0); INSERT INTO orders VALUES (1, 'a', 1, '2024-01-01'), (2, 'b', 2, '2024-01-01'), (3, 'c', 3, '2024-01-01')"
            ),
        );
        // New amounts for 1 and 3; row 2's would break the CHECK constraint.
        std::fs::write(
            d.path().join("orders.csv"),
            "id,customer,amount,ordered\r\n1,a,10.50,2024-01-01\r\n2,b,-1.00,2024-01-01\r\n3,c,30.25,2024-01-01\r\n",
        )
        .expect("input");
        let (code, out) = dtexec(
            &package("command", format),
            &[
                ("Orders", d.path().join("orders.csv").display().to_string()),
                ("Warehouse", conn.clone()),
                (
                    "Rejects",
                    d.path().join("rejects.csv").display().to_string(),
                ),
                ("Out", d.path().join("out.csv").display().to_string()),
            ],
            &["/Rep", "EWI"],
        );
        assert_eq!(code, 0, "{format}: {out}");
        assert!(out.contains("ran its command for 3 rows"), "{out}");
        assert_eq!(
            pg.psql("ssisd", "SELECT id, amount FROM orders ORDER BY id"),
            "1|10.50\n2|2.00\n3|30.25\n",
            "{format}"
        );
        assert_eq!(
            read(d.path().join("out.csv")),
            "id\r\n1\r\n3\r\n",
            "{format}"
        );
        // 0xC0209070: a constraint refused the row.
        assert_eq!(
            read(d.path().join("rejects.csv")),
            "id,ErrorCode,ErrorColumn\r\n2,-1071607696,0\r\n",
            "{format}"
        );
    }
}
