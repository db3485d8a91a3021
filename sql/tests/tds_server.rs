//! The TDS half of ssisd-sql against a real SQL Server, when `SSISD_TEST_MSSQL` holds an ADO.NET
//! connection string with a SQL Server login (printing SKIPPED otherwise): connecting with the
//! string's settings (a named instance is found through the SQL Server Browser), a result set
//! read in batches with every column typed from the TDS metadata and, exactly, from
//! `sp_describe_first_result_set`, values converted to those types, NULLs typed, and a missing
//! table failing with SQL Server's own message and error number.

use ssisd_engine::types::{DataType, Decimal, Value};
use ssisd_sql::connection_string::{ConnectionString, Syntax};
use ssisd_sql::tds::{connect, describe, Encrypt, TdsBatches, TdsSettings};
use ssisd_sql::type_map::CharTypes;
use ssisd_sql::QueryError;

fn settings() -> Option<TdsSettings> {
    let Ok(text) = std::env::var("SSISD_TEST_MSSQL") else {
        println!("SKIPPED: SQL Server tests (set SSISD_TEST_MSSQL to an ADO.NET connection string with a SQL Server login)");
        return None;
    };
    let cs = ConnectionString::parse(&text, Syntax::AdoNet).expect("SSISD_TEST_MSSQL parses");
    Some(
        TdsSettings::from_connection_string(&cs, Encrypt::Required)
            .expect("SSISD_TEST_MSSQL settings"),
    )
}

const QUERY: &str = "SELECT CAST(1 AS int) AS i, CAST(2 AS bigint) AS b, CAST(3 AS tinyint) AS t, \
    CAST(12.34 AS decimal(10,2)) AS d, CAST(12.5 AS money) AS m, CAST(1 AS bit) AS f, \
    CAST('2024-02-29' AS date) AS day, CAST('2024-02-29 13:14:15.123' AS datetime2(3)) AS moment, \
    CAST(N'Zoë' AS nvarchar(10)) AS n, CAST('abc' AS varchar(5)) AS v, \
    CAST(0x00FF AS varbinary(4)) AS bin, CAST(NULL AS int) AS nothing \
    UNION ALL SELECT 5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL";

#[tokio::test]
async fn sql_server_result_sets_in_batches() {
    let Some(s) = settings() else {
        return;
    };
    let mut client = connect(&s).await.expect("connects");

    let described = describe(&mut client, QUERY, CharTypes::OLE_DB)
        .await
        .expect("sp_describe_first_result_set");
    let types: Vec<DataType> = described.iter().map(|c| c.data_type).collect();
    assert_eq!(
        types,
        vec![
            DataType::I4,
            DataType::I8,
            DataType::UI1,
            DataType::Numeric {
                precision: 10,
                scale: 2
            },
            DataType::Cy,
            DataType::Bool,
            DataType::DbDate,
            DataType::DbTimestamp2 { scale: 3 },
            DataType::WStr { len: 10 },
            DataType::Str {
                len: 5,
                code_page: 1252
            },
            DataType::Bytes { len: 4 },
            DataType::I4,
        ]
    );

    let stream = client.query(QUERY, &[]).await.expect("runs");
    let mut reader = TdsBatches::with_columns(stream, described, 1);
    let first = reader
        .next_batch()
        .await
        .expect("rows")
        .expect("a first batch");
    assert_eq!(first.rows(), 1, "batches of one row");
    let row: Vec<&Value> = first.row(0).collect();
    assert_eq!(row[0], &Value::I4(1));
    assert_eq!(row[1], &Value::I8(2));
    assert_eq!(row[2], &Value::UI1(3));
    assert_eq!(row[3], &Value::Numeric(Decimal::new(1234, 2)));
    assert_eq!(row[4], &Value::Cy(Decimal::new(125_000, 4)));
    assert_eq!(row[5], &Value::Bool(true));
    assert_eq!(row[8], &Value::WStr("Zoë".into()));
    assert_eq!(row[9], &Value::Str("abc".into()));
    assert_eq!(row[10], &Value::Bytes(vec![0, 255]));
    assert_eq!(row[11], &Value::Null(DataType::I4));
    let second = reader
        .next_batch()
        .await
        .expect("rows")
        .expect("a second batch");
    assert!(second.row(0).skip(1).all(Value::is_null));
    assert!(reader.next_batch().await.expect("the end").is_none());
    drop(reader);

    // Typed from the TDS metadata alone.
    let stream = client.query(QUERY, &[]).await.expect("runs");
    let mut reader = TdsBatches::new(stream, CharTypes::OLE_DB, 100);
    let columns = reader.columns().await.expect("columns");
    assert_eq!(columns[0].data_type, DataType::I4);
    assert_eq!(columns[8].data_type, DataType::WStr { len: 0 });
    let batch = reader.next_batch().await.expect("rows").expect("rows");
    assert_eq!(batch.rows(), 2);
    drop(reader);

    let e = match client.query("SELECT * FROM dbo.no_such_table", &[]).await {
        Err(e) => QueryError::from(e).to_string(),
        Ok(s) => match s.into_first_result().await {
            Err(e) => QueryError::from(e).to_string(),
            Ok(_) => panic!("a missing table read"),
        },
    };
    assert!(
        e.contains("no_such_table") && e.contains("SQL Server error 208"),
        "{e}"
    );
}
