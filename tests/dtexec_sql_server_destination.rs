//! End-to-end tests of the SQL Server Destination with the real `dtexec`: the package of
//! `tests/packages/db/sql_server_load_*.dtsx` (2008 and 2016+ layouts) bulk-loads a flat file.
//! Without a server: /VALIDATE accepts the component on a SQL Server OLE DB manager and refuses
//! one that runs through ODBC, naming the component's requirement and what to use instead.
//! With `SSISD_TEST_MSSQL` (an ADO.NET connection string of a login that may create tables):
//! the rows land in the table, checked row by row, and the BulkInsert options the TDS bulk
//! load cannot pass draw warnings; otherwise that part prints SKIPPED.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::exit_and_text;

const FORMATS: [&str; 2] = ["2008", "2016"];

const ORDERS: &str = "id,customer,amount,ordered\r\n\
1,\"Ann \"\"A\"\" Lee\",10.50,2024-01-05\r\n\
2,Bob,99.99,2024-02-29\r\n\
3,\"Cy, Jr\",5.00,2024-03-01\r\n";

fn package(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/packages/db/sql_server_load_{format}.dtsx"))
}

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

#[test]
fn sql_server_destination_validates_on_sql_server_managers_only() {
    let d = tempfile::tempdir().expect("temp dir");
    let orders = d.path().join("orders.csv");
    std::fs::write(&orders, ORDERS).expect("input");
    for format in FORMATS {
        // A SQL Server OLE DB manager: the component configures; /VALIDATE connects nowhere.
        let (code, out) = dtexec(
            &package(format),
            &[
                ("Orders", orders.display().to_string()),
                (
                    "Warehouse",
                    "Provider=MSOLEDBSQL;Data Source=127.0.0.1,1;Initial Catalog=dw;User ID=sa;Password=x"
                        .into(),
                ),
            ],
            &["/Validate"],
        );
        assert_eq!(code, 0, "{format}: {out}");
        // The same package on a manager that runs through ODBC is refused before anything runs.
        let (code, out) = dtexec(
            &package(format),
            &[
                ("Orders", orders.display().to_string()),
                (
                    "Warehouse",
                    "Provider=MSDASQL;Extended Properties=\"Driver={PostgreSQL Unicode};Server=127.0.0.1;Database=dw\""
                        .into(),
                ),
            ],
            &["/Validate"],
        );
        assert_ne!(code, 0, "{format}: {out}");
        assert!(
            out.contains("the SQL Server Destination bulk-loads into SQL Server only")
                && out.contains("Provider=MSOLEDBSQL"),
            "{format}: {out}"
        );
    }
}

/// Runs `sql` on the SQL Server of `conn` (an ADO.NET connection string); rows as `a|b|…`.
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
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    })
}

#[test]
fn sql_server_destination_bulk_loads_a_table() {
    let Ok(conn) = std::env::var("SSISD_TEST_MSSQL") else {
        println!("SKIPPED: SQL Server Destination load (set SSISD_TEST_MSSQL to an ADO.NET connection string of a login that may create tables)");
        return;
    };
    let d = tempfile::tempdir().expect("temp dir");
    let orders = d.path().join("orders.csv");
    std::fs::write(&orders, ORDERS).expect("input");
    let ole_db = format!("{conn};Provider=MSOLEDBSQL");
    for format in FORMATS {
        mssql(
            &conn,
            "IF OBJECT_ID('dbo.orders') IS NOT NULL DROP TABLE dbo.orders; CREATE TABLE dbo.orders (id int PRIMARY KEY, customer varchar(50) NOT NULL, amount numeric(12,2), ordered date); SELECT 'ok'",
        );
        let (code, out) = dtexec(
            &package(format),
            &[
                ("Orders", orders.display().to_string()),
                ("Warehouse", ole_db.clone()),
            ],
            &["/Rep", "EWI"],
        );
        assert_eq!(code, 0, "{format}: {out}");
        assert!(
            out.contains("TABLOCK") && out.contains("CHECK_CONSTRAINTS"),
            "{format}: the options the bulk load cannot pass are reported: {out}"
        );
        let rows = mssql(
            &conn,
            "SELECT CAST(id AS varchar(10)) + '|' + customer + '|' + CAST(amount AS varchar(20)) + '|' + CONVERT(varchar(10), ordered, 23) FROM dbo.orders ORDER BY id",
        );
        assert_eq!(
            rows,
            [
                "1|Ann \"A\" Lee|10.50|2024-01-05",
                "2|Bob|99.99|2024-02-29",
                "3|Cy, Jr|5.00|2024-03-01"
            ],
            "{format}"
        );
        // A duplicate key fails the load; MaxInsertCommitSize 0 leaves the table as it was.
        let (code, out) = dtexec(
            &package(format),
            &[
                ("Orders", orders.display().to_string()),
                ("Warehouse", ole_db.clone()),
            ],
            &[],
        );
        assert_ne!(code, 0, "{format}: {out}");
        assert!(out.contains("component \"Bulk orders\""), "{out}");
        assert_eq!(
            mssql(
                &conn,
                "SELECT CAST(COUNT(*) AS varchar(10)) FROM dbo.orders"
            ),
            ["3"],
            "{format}"
        );
    }
    mssql(&conn, "DROP TABLE dbo.orders; SELECT 'ok'");
}
