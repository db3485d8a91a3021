//! The ODBC half of ssisd-sql against real databases through their real drivers and the
//! built-in driver manager: a throwaway PostgreSQL server through psqlodbc, and SQLite through
//! its ODBC driver. Result sets read in batches with every column typed and every value
//! converted (integers, decimals, floats, Booleans, dates, timestamps, times, GUIDs, text with
//! non-ASCII characters, bytes, NULLs), both as arrays and row by row with long columns,
//! narrow and wide; a large result in bounded batches; the async session streaming; and
//! the connection failures a user meets (server down, unknown login, missing table), each
//! worded with the server and the driver's SQLSTATE. Missing drivers or server binaries
//! print SKIPPED and pass.

#[path = "../../tests/support/odbc.rs"]
mod odbc;
#[path = "../../tests/support/postgres.rs"]
mod postgres;

use ssisd_engine::types::{DataType, Decimal, Value};
use ssisd_sql::odbc::{connect, OdbcBatches, OdbcSession, ReadOptions};
use ssisd_sql::{ConnectError, OdbcTarget, QueryError, RowBatch};

fn target(text: &str) -> OdbcTarget {
    OdbcTarget::parse(text).expect("connection string")
}

fn read_all(
    conn: &ssisd_sql::odbc::OdbcConnection,
    sql: &str,
    options: ReadOptions,
) -> Vec<RowBatch> {
    let cursor = conn
        .execute(sql, (), None)
        .expect("the query runs")
        .expect("a result set");
    let mut reader = OdbcBatches::new(cursor, options).expect("columns");
    let mut batches = Vec::new();
    while let Some(b) = reader.next_batch().expect("rows") {
        batches.push(b);
    }
    batches
}

fn ts(text: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

#[test]
fn postgresql_types_batches_and_failures() {
    if !odbc::have_driver("PostgreSQL Unicode", postgres::POSTGRES_PACKAGES) {
        return;
    }
    let pg = match postgres::Postgres::start() {
        Ok(pg) => pg,
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    pg.psql(
        "ssisd",
        "CREATE TABLE t (id int NOT NULL, big bigint, small smallint, amount numeric(10,2), \
         ratio double precision, flag boolean, day date, moment timestamp(3), \
         precise timestamp(6), at time, name varchar(10), note text, data bytea, uid uuid); \
         INSERT INTO t VALUES \
         (1, 9000000000, -3, 12.34, 0.5, true, '2024-02-29', '2024-02-29 13:14:15.123', \
          '2024-02-29 13:14:15.123456', '08:30:00', 'Zoë', 'long text ünïcode', '\\x00ff10', \
          'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), \
         (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL); \
         CREATE TABLE many AS SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 2500) g;",
    );
    // psqlodbc reports booleans as varchar(5) unless told otherwise.
    let conn = connect(
        &target(&format!(
            "{}BoolsAsChar=0;",
            pg.odbc_connection_string("ssisd")
        )),
        None,
    )
    .expect("connects");

    for wide in [false, true] {
        let options = ReadOptions {
            wide_chars: wide,
            ..ReadOptions::default()
        };
        let batches = read_all(&conn, "SELECT * FROM t ORDER BY id", options);
        assert_eq!(batches.len(), 1);
        let b = &batches[0];
        let types: Vec<DataType> = b.columns.iter().map(|c| c.data_type).collect();
        assert_eq!(types[0], DataType::I4);
        assert_eq!(types[1], DataType::I8);
        assert_eq!(types[2], DataType::I2);
        assert_eq!(
            types[3],
            DataType::Numeric {
                precision: 10,
                scale: 2
            }
        );
        assert_eq!(types[4], DataType::R8);
        assert_eq!(types[5], DataType::Bool);
        assert_eq!(types[6], DataType::DbDate);
        assert_eq!(types[7], DataType::DbTimestamp);
        assert_eq!(types[8], DataType::DbTimestamp2 { scale: 6 });
        assert!(
            matches!(
                types[10],
                DataType::Str { len: 10, .. } | DataType::WStr { len: 10 }
            ),
            "{:?}",
            types[10]
        );
        assert_eq!(types[13], DataType::Guid);
        let row: Vec<&Value> = b.row(0).collect();
        assert_eq!(row[0], &Value::I4(1));
        assert_eq!(row[1], &Value::I8(9_000_000_000));
        assert_eq!(row[2], &Value::I2(-3));
        assert_eq!(row[3], &Value::Numeric(Decimal::new(1234, 2)));
        assert_eq!(row[4], &Value::R8(0.5));
        assert_eq!(row[5], &Value::Bool(true));
        assert_eq!(
            row[6],
            &Value::DbDate(chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
        );
        assert_eq!(row[7], &Value::DbTimestamp(ts("2024-02-29 13:14:15.123")));
        assert_eq!(
            row[8],
            &Value::DbTimestamp2(ts("2024-02-29 13:14:15.123456"))
        );
        assert_eq!(row[9].to_display_string(), "08:30:00");
        assert_eq!(row[10].as_str(), Some("Zoë"), "wide={wide}");
        assert_eq!(row[11].as_str(), Some("long text ünïcode"), "wide={wide}");
        assert!(
            matches!(row[12], Value::Bytes(b) | Value::Image(b) if b == &[0x00, 0xff, 0x10]),
            "{:?}",
            row[12]
        );
        assert_eq!(
            row[13],
            &Value::Guid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".parse().unwrap())
        );
        for (i, v) in b.row(1).enumerate().skip(1) {
            assert!(v.is_null(), "column {i} of the NULL row: {v:?}");
            assert_eq!(v.data_type(), types[i], "typed NULL in column {i}");
        }
    }

    // Bounded columns are fetched as arrays, in batches of the size asked for.
    let options = ReadOptions {
        batch_rows: 1000,
        ..ReadOptions::default()
    };
    let batches = read_all(
        &conn,
        "SELECT n, CAST(label AS varchar(20)) FROM many ORDER BY n",
        options,
    );
    assert_eq!(
        batches.iter().map(RowBatch::rows).collect::<Vec<_>>(),
        vec![1000, 1000, 500]
    );
    assert_eq!(batches[2].values[0][499], Value::I4(2500));
    assert_eq!(batches[2].values[1][499].as_str(), Some("row 2500"));
    // A batch's buffers stay within the byte budget: 2500 rows of a varchar(200) at 64 KiB
    // (psqlodbc reports longer varchars as SQL_LONGVARCHAR, read row by row).
    let options = ReadOptions {
        max_batch_bytes: 64 << 10,
        ..ReadOptions::default()
    };
    let batches = read_all(
        &conn,
        "SELECT CAST(label AS varchar(200)) FROM many",
        options,
    );
    assert!(
        batches.len() > 20,
        "{} batches of {:?}",
        batches.len(),
        batches[0].columns
    );
    assert_eq!(batches.iter().map(RowBatch::rows).sum::<usize>(), 2500);

    let cursor = conn
        .execute(
            "SELECT CAST(label AS varchar(3)) AS short FROM many",
            (),
            None,
        )
        .unwrap()
        .unwrap();
    let mut reader = OdbcBatches::new(cursor, ReadOptions::default()).unwrap();
    let first = reader.next_batch().unwrap().unwrap();
    assert_eq!(
        first.values[0][0].as_str(),
        Some("row"),
        "varchar(3) cuts on the server"
    );

    // Failures say what and where.
    let e = conn
        .execute("SELECT * FROM no_such_table", (), None)
        .unwrap_err();
    let e = QueryError::from(e).to_string();
    assert!(
        e.contains("relation \"no_such_table\" does not exist") && e.contains("SQLSTATE 42P01"),
        "{e}"
    );
    let port = postgres::free_port().expect("a free port");
    let down = format!(
        "Driver={{PostgreSQL Unicode}};Server=127.0.0.1;Port={port};Database=ssisd;Uid=postgres;"
    );
    let e = connect(&target(&down), None).unwrap_err();
    assert!(matches!(e, ConnectError::Odbc { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains(&format!("server 127.0.0.1:{port}")) && text.contains("SQLSTATE 08001"),
        "{text}"
    );
    let nobody = pg
        .odbc_connection_string("ssisd")
        .replace("Uid=postgres", "Uid=nobody");
    let e = connect(&target(&nobody), None).unwrap_err().to_string();
    assert!(e.contains("\"nobody\"") && e.contains("SQLSTATE"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_through_an_async_session() {
    if !odbc::have_driver("PostgreSQL Unicode", postgres::POSTGRES_PACKAGES) {
        return;
    }
    let pg = match postgres::Postgres::start() {
        Ok(pg) => pg,
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    let session = OdbcSession::open(target(&pg.odbc_connection_string("ssisd")), None)
        .await
        .expect("connects");
    let created = session
        .run(|conn| {
            conn.execute(
                "CREATE TABLE s AS SELECT g AS n FROM generate_series(1, 5000) g",
                (),
                None,
            )
            .map(|_| ())
        })
        .await
        .expect("the session runs it");
    created.expect("the table is created");
    let mut stream = session
        .query(
            "SELECT n FROM s ORDER BY n",
            ReadOptions {
                batch_rows: 700,
                ..ReadOptions::default()
            },
            2,
        )
        .await
        .expect("the query runs");
    assert_eq!(stream.columns[0].name, "n");
    let mut total = 0;
    let mut last = Value::Empty;
    while let Some(batch) = stream.next_batch().await.expect("rows") {
        assert!(batch.rows() <= 700);
        total += batch.rows();
        last = batch.values[0][batch.rows() - 1].clone();
    }
    assert_eq!((total, last), (5000, Value::I4(5000)));
    let e = match session
        .query("SELECT * FROM missing", ReadOptions::default(), 1)
        .await
    {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a missing table read"),
    };
    assert!(e.contains("\"missing\" does not exist"), "{e}");
}

#[test]
fn sqlite_types_and_long_columns() {
    if !odbc::have_driver("SQLite3", "libsqliteodbc (scripts/test installs it)") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let t = target(&format!(
        "Driver={{SQLite3}};Database={}",
        d.path().join("t.db").display()
    ));
    let conn = connect(&t, None).expect("connects");
    conn.execute(
        "CREATE TABLE t (id INTEGER, name VARCHAR(20), note TEXT, amount NUMERIC(8,3), ratio DOUBLE)",
        (),
        None,
    )
    .unwrap();
    conn.execute(
        "INSERT INTO t VALUES (1, 'Zoë', 'a long note', 1.5, 0.25), (2, NULL, NULL, NULL, NULL)",
        (),
        None,
    )
    .unwrap();
    // TEXT is a long column: the whole result is read row by row.
    let batches = read_all(&conn, "SELECT * FROM t ORDER BY id", ReadOptions::default());
    let b = &batches[0];
    assert_eq!(b.rows(), 2);
    assert_eq!(b.values[0][0], Value::I4(1));
    assert_eq!(b.values[1][0].as_str(), Some("Zoë"));
    assert_eq!(b.values[2][0].as_str(), Some("a long note"));
    assert_eq!(b.values[4][0], Value::R8(0.25));
    assert!(b.row(1).skip(1).all(Value::is_null));
    let e = conn
        .execute("SELECT * FROM no_such_table", (), None)
        .unwrap_err();
    assert!(QueryError::from(e).to_string().contains("no such table"));

    // SQLite keeps whatever it is given: a value longer than the declared size is an error
    // naming the column, never a cut value.
    conn.execute("CREATE TABLE u (code VARCHAR(3))", (), None)
        .unwrap();
    conn.execute(
        "INSERT INTO u VALUES ('abc'), ('far too long for three')",
        (),
        None,
    )
    .unwrap();
    let cursor = conn
        .execute("SELECT code FROM u", (), None)
        .unwrap()
        .unwrap();
    let mut reader = OdbcBatches::new(cursor, ReadOptions::default()).unwrap();
    let e = reader.next_batch().unwrap_err();
    assert!(
        matches!(&e, QueryError::Conversion { column, .. } if column == "code"),
        "{e}"
    );
}
