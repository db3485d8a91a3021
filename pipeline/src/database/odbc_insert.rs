//! Loading buffers through ODBC: a parameterised `INSERT INTO table (columns) VALUES (?, …)`
//! executed with arrays of parameter rows (odbc-api's columnar bulk inserter, one
//! `SQLExecute` per batch). For PostgreSQL, SQLite, MySQL/MariaDB and SQL Server (by the
//! driver's `SQL_DBMS_NAME`) one statement carries up to 200 rows, `VALUES (?, …), (?, …), …`
//! within 999 parameters, because their drivers run an array one parameter set — one round
//! trip — at a time; the rest of a batch goes in one shorter statement. The parameter buffers
//! are filled straight from the Arrow columns —
//! integers, floats, Booleans, dates and timestamps in their C types, everything else as text
//! typed for the driver (decimals as DECIMAL, times as TIME, GUIDs as SQL_GUID), text and
//! binary buffers sized to the longest value of the batch. Before any row, the table is read
//! with `SELECT * … WHERE 1=0` so a missing table, a missing column or a type the column
//! cannot take fails at pre-execute with their names. The connection runs in manual-commit
//! mode; the destination decides when to commit. Blocking: only ever on the component's
//! threads. It must not decide dispositions.

use std::fmt::Write;
use std::num::NonZeroUsize;
use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, Time64NanosecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::Array;
use chrono::{Datelike, Timelike};
use odbc_api::buffers::BufferDesc;
use odbc_api::sys::{Date, SqlDataType, Timestamp};
use odbc_api::{BindParamDesc, Bit, DataType as Sql};
use ssisd_engine::types::{DataType, Decimal};
use ssisd_sql::error::{odbc_message, odbc_state};
use ssisd_sql::odbc::OdbcConnection;
use ssisd_sql::type_map::CharTypes;

use super::destination::{DriverError, InColumn, Loader, LoaderSetupError, Rejection};
use super::names::Quoting;
use crate::buffer::values::from_ticks;

/// Loads rows into one table over one ODBC connection.
pub struct OdbcLoader {
    conn: OdbcConnection,
    /// `INSERT INTO table (columns) VALUES `, before the row tuples.
    head: String,
    /// One row's `(?, …)`.
    tuple: String,
    columns: Vec<InColumn>,
    /// Rows per statement: 1, or more for databases known to take a multi-row VALUES list.
    rows_per_statement: usize,
}

/// Parameters the databases that take multi-row VALUES accept in one statement (SQLite's
/// oldest limit, 999, bounds them all), and the rows one statement carries at most.
const MAX_PARAMETERS_PER_STATEMENT: usize = 999;
const MAX_ROWS_PER_STATEMENT: usize = 200;

/// Rows per INSERT for a database (its ODBC `SQL_DBMS_NAME`) and a column count: several
/// for PostgreSQL, SQLite, MySQL/MariaDB and SQL Server, whose drivers otherwise run an array
/// of parameter sets one set (one round trip) at a time; one for anything else (Oracle before
/// 23c, Access and others lack multi-row VALUES).
fn rows_per_statement(dbms: &str, columns: usize) -> usize {
    let d = dbms.to_ascii_lowercase();
    let multi = [
        "postgresql",
        "sqlite",
        "mysql",
        "mariadb",
        "microsoft sql server",
    ]
    .iter()
    .any(|n| d.contains(n));
    if !multi || columns == 0 {
        return 1;
    }
    (MAX_PARAMETERS_PER_STATEMENT / columns).clamp(1, MAX_ROWS_PER_STATEMENT)
}

fn rejection(e: odbc_api::Error) -> Rejection {
    Rejection {
        message: odbc_message(&e),
        state: odbc_state(&e),
    }
}

/// Broad kinds of types, for checking that a column can take an input column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Number,
    Text,
    Date,
    Time,
    Guid,
    Binary,
}

fn family(ty: &DataType) -> Family {
    match ty {
        DataType::Str { .. }
        | DataType::WStr { .. }
        | DataType::Text { .. }
        | DataType::NText
        | DataType::Empty
        | DataType::Null
        | DataType::Object => Family::Text,
        DataType::DbDate
        | DataType::Date
        | DataType::DbTimestamp
        | DataType::DbTimestamp2 { .. }
        | DataType::DbTimestampOffset { .. }
        | DataType::FileTime => Family::Date,
        DataType::DbTime | DataType::DbTime2 { .. } => Family::Time,
        DataType::Guid => Family::Guid,
        DataType::Bytes { .. } | DataType::Image => Family::Binary,
        _ => Family::Number,
    }
}

/// Whether a column of type `target` takes values of `input` (text goes anywhere but binary
/// and the database converts it; anything goes into text).
pub fn compatible(input: &DataType, target: &DataType) -> bool {
    let (i, t) = (family(input), family(target));
    i == t || t == Family::Text || (i == Family::Text && t != Family::Binary)
}

impl OdbcLoader {
    /// Checks `table` and its columns, switches to manual commit and prepares the INSERT text.
    pub fn new(
        conn: OdbcConnection,
        table: &str,
        columns: &[InColumn],
    ) -> Result<OdbcLoader, LoaderSetupError> {
        let probe = format!("SELECT * FROM {table} WHERE 1=0");
        let described = match conn.execute(&probe, (), None) {
            Ok(Some(mut cursor)) => ssisd_sql::odbc::describe(&mut cursor, CharTypes::ODBC)
                .map_err(LoaderSetupError::Describe)?,
            Ok(None) => return Err(LoaderSetupError::NoColumns),
            Err(e) => return Err(LoaderSetupError::Unreadable(DriverError::Odbc(e))),
        };
        for c in columns {
            let Some(t) = described
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(&c.target))
            else {
                return Err(LoaderSetupError::NoSuchColumn {
                    input: c.name.clone(),
                    target: c.target.clone(),
                    has: described
                        .iter()
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            if !compatible(&c.ty, &t.data_type) {
                return Err(LoaderSetupError::Incompatible {
                    input: c.name.clone(),
                    input_type: c.ty,
                    target: c.target.clone(),
                    source_type: t.source_type.clone(),
                    target_type: t.data_type,
                });
            }
        }
        conn.set_autocommit(false)
            .map_err(|e| LoaderSetupError::Transaction(DriverError::Odbc(e)))?;
        let names: Vec<String> = columns
            .iter()
            .map(|c| {
                let d = described
                    .iter()
                    .find(|d| d.name.eq_ignore_ascii_case(&c.target))
                    .map(|d| d.name.as_str())
                    .unwrap_or(&c.target);
                Quoting::Ansi.quote(d)
            })
            .collect();
        let marks = vec!["?"; columns.len()].join(", ");
        let dbms = conn.database_management_system_name().unwrap_or_default();
        Ok(OdbcLoader {
            conn,
            head: format!("INSERT INTO {table} ({}) VALUES ", names.join(", ")),
            tuple: format!("({marks})"),
            columns: columns.to_vec(),
            rows_per_statement: rows_per_statement(&dbms, columns.len()),
        })
    }
}

/// The longest value (bytes) of a string or binary column in `rows`.
fn longest(array: &dyn Array, rows: &Range<usize>) -> usize {
    let mut max = 0;
    if let Some(s) = array.as_string_opt::<i32>() {
        for r in rows.clone() {
            if !s.is_null(r) {
                max = max.max(s.value(r).len());
            }
        }
    } else if let Some(b) = array.as_binary_opt::<i32>() {
        for r in rows.clone() {
            if !b.is_null(r) {
                max = max.max(b.value(r).len());
            }
        }
    }
    max.max(1)
}

/// The parameter description of a column of type `ty` for the rows `rows`.
fn describe(ty: &DataType, array: &dyn Array, rows: &Range<usize>) -> BindParamDesc {
    let bind = |buffer_desc, data_type| BindParamDesc {
        buffer_desc,
        data_type,
    };
    match ty {
        DataType::Bool => bind(BufferDesc::Bit { nullable: true }, Sql::Bit),
        DataType::I1 | DataType::UI1 | DataType::I2 => {
            bind(BufferDesc::I16 { nullable: true }, Sql::SmallInt)
        }
        DataType::UI2 | DataType::I4 => bind(BufferDesc::I32 { nullable: true }, Sql::Integer),
        DataType::UI4 | DataType::I8 => bind(BufferDesc::I64 { nullable: true }, Sql::BigInt),
        DataType::R4 => bind(BufferDesc::F32 { nullable: true }, Sql::Real),
        DataType::R8 => bind(BufferDesc::F64 { nullable: true }, Sql::Double),
        DataType::DbDate => bind(BufferDesc::Date { nullable: true }, Sql::Date),
        DataType::Date
        | DataType::DbTimestamp
        | DataType::DbTimestamp2 { .. }
        | DataType::FileTime => bind(
            BufferDesc::Timestamp { nullable: true },
            Sql::Timestamp { precision: 7 },
        ),
        DataType::Cy | DataType::Decimal { .. } | DataType::Numeric { .. } => {
            let (precision, scale) = match ty {
                DataType::Numeric { precision, scale } => (*precision, *scale),
                DataType::Decimal { scale } => (29, *scale),
                _ => (19, 4),
            };
            bind(
                BufferDesc::Text {
                    max_str_len: usize::from(precision) + 3,
                },
                Sql::Decimal {
                    precision: usize::from(precision),
                    scale: i16::from(scale),
                },
            )
        }
        DataType::UI8 => bind(
            BufferDesc::Text { max_str_len: 20 },
            Sql::Decimal {
                precision: 20,
                scale: 0,
            },
        ),
        DataType::DbTime | DataType::DbTime2 { .. } => bind(
            BufferDesc::Text { max_str_len: 18 },
            Sql::Time { precision: 7 },
        ),
        DataType::Guid => bind(
            BufferDesc::Text { max_str_len: 36 },
            Sql::Other {
                data_type: SqlDataType::EXT_GUID,
                column_size: NonZeroUsize::new(36),
                decimal_digits: 0,
            },
        ),
        DataType::Bytes { .. } | DataType::Image => {
            let n = longest(array, rows);
            bind(
                BufferDesc::Binary { max_bytes: n },
                if n <= 8000 {
                    Sql::Varbinary {
                        length: NonZeroUsize::new(n),
                    }
                } else {
                    Sql::LongVarbinary {
                        length: NonZeroUsize::new(n),
                    }
                },
            )
        }
        _ => BindParamDesc::text(longest(array, rows)),
    }
}

fn odbc_date(days: i32) -> Date {
    let d = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(i64::from(days))))
        .unwrap_or_default();
    Date {
        year: i16::try_from(d.year()).unwrap_or(i16::MAX),
        month: d.month() as u16,
        day: d.day() as u16,
    }
}

fn odbc_timestamp(ticks: i64) -> Timestamp {
    let t = from_ticks(ticks);
    Timestamp {
        year: i16::try_from(t.year()).unwrap_or(i16::MAX),
        month: t.month() as u16,
        day: t.day() as u16,
        hour: t.hour() as u16,
        minute: t.minute() as u16,
        second: t.second() as u16,
        fraction: t.nanosecond(),
    }
}

/// The text of a value bound as text, for the non-string types that are.
fn text_of(ty: &DataType, array: &dyn Array, r: usize, out: &mut String) {
    out.clear();
    match ty {
        DataType::Cy | DataType::Decimal { .. } | DataType::Numeric { .. } => {
            let a = array.as_primitive::<Decimal128Type>();
            let _ = write!(out, "{}", Decimal::new(a.value(r), a.scale().max(0) as u8));
        }
        DataType::UI8 => {
            let _ = write!(out, "{}", array.as_primitive::<UInt64Type>().value(r));
        }
        DataType::DbTime | DataType::DbTime2 { .. } => {
            let n = array.as_primitive::<Time64NanosecondType>().value(r);
            let t = chrono::NaiveTime::from_num_seconds_from_midnight_opt(
                (n / 1_000_000_000) as u32,
                (n % 1_000_000_000) as u32,
            )
            .unwrap_or_default();
            let _ = write!(out, "{}", t.format("%H:%M:%S%.f"));
        }
        DataType::Guid => {
            let b = array.as_fixed_size_binary().value(r);
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&b[..16.min(b.len())]);
            let _ = write!(out, "{}", uuid::Uuid::from_bytes(bytes).hyphenated());
        }
        _ => {
            if let Some(s) = array.as_string_opt::<i32>() {
                out.push_str(s.value(r));
            }
        }
    }
}

impl OdbcLoader {
    /// Sends `rows` (a multiple of `per_statement` rows) as one array of parameter sets of a
    /// statement that inserts `per_statement` rows: set `s`, tuple `j` is row
    /// `rows.start + s * per_statement + j`.
    fn send_grouped(
        &mut self,
        buffer: &crate::buffer::Buffer,
        rows: Range<usize>,
        per_statement: usize,
    ) -> Result<(), Rejection> {
        let sets = rows.len() / per_statement;
        let width = self.columns.len();
        let mut sql = self.head.clone();
        for j in 0..per_statement {
            if j > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&self.tuple);
        }
        let descs: Vec<BindParamDesc> = (0..per_statement)
            .flat_map(|_| self.columns.iter())
            .map(|c| describe(&c.ty, buffer.column(c.buffer_index).as_ref(), &rows))
            .collect();
        let prepared = self.conn.prepare(&sql).map_err(rejection)?;
        let mut ins = prepared
            .into_column_inserter(sets, descs)
            .map_err(rejection)?;
        ins.set_num_rows(sets);
        let mut scratch = String::new();
        for p in 0..per_statement * width {
            let (j, ci) = (p / width, p % width);
            let c = &self.columns[ci];
            let positions: Vec<usize> = (0..sets)
                .map(|s| rows.start + s * per_statement + j)
                .collect();
            let array = buffer.column(c.buffer_index).as_ref();
            let slot = ins.column_mut(p);
            let missing = || Rejection {
                message: format!(
                    "internal: the parameter buffer of \"{}\" has another type",
                    c.target
                ),
                state: None,
            };
            macro_rules! ints {
                ($arrow:ty, $c:ty) => {{
                    let a = array.as_primitive::<$arrow>();
                    let mut s = slot.as_nullable_slice::<$c>().ok_or_else(missing)?;
                    for (i, r) in positions.iter().copied().enumerate() {
                        s.set_cell(i, (!a.is_null(r)).then(|| <$c>::from(a.value(r))));
                    }
                }};
            }
            match c.ty {
                DataType::Bool => {
                    let a = array.as_boolean();
                    let mut s = slot.as_nullable_slice::<Bit>().ok_or_else(missing)?;
                    for (i, r) in positions.iter().copied().enumerate() {
                        s.set_cell(i, (!a.is_null(r)).then(|| Bit::from_bool(a.value(r))));
                    }
                }
                DataType::I1 => ints!(Int8Type, i16),
                DataType::UI1 => ints!(UInt8Type, i16),
                DataType::I2 => ints!(Int16Type, i16),
                DataType::UI2 => ints!(UInt16Type, i32),
                DataType::I4 => ints!(Int32Type, i32),
                DataType::UI4 => ints!(UInt32Type, i64),
                DataType::I8 => ints!(Int64Type, i64),
                DataType::R4 => ints!(Float32Type, f32),
                DataType::R8 => ints!(Float64Type, f64),
                DataType::DbDate => {
                    let a = array.as_primitive::<Date32Type>();
                    let mut s = slot.as_nullable_slice::<Date>().ok_or_else(missing)?;
                    for (i, r) in positions.iter().copied().enumerate() {
                        s.set_cell(i, (!a.is_null(r)).then(|| odbc_date(a.value(r))));
                    }
                }
                DataType::Date
                | DataType::DbTimestamp
                | DataType::DbTimestamp2 { .. }
                | DataType::FileTime => {
                    let a = array.as_primitive::<Int64Type>();
                    let mut s = slot.as_nullable_slice::<Timestamp>().ok_or_else(missing)?;
                    for (i, r) in positions.iter().copied().enumerate() {
                        s.set_cell(i, (!a.is_null(r)).then(|| odbc_timestamp(a.value(r))));
                    }
                }
                DataType::Bytes { .. } | DataType::Image => {
                    let a = array.as_binary::<i32>();
                    let mut s = slot.as_binary().ok_or_else(missing)?;
                    for (i, r) in positions.iter().copied().enumerate() {
                        s.set_cell(i, (!a.is_null(r)).then(|| a.value(r)));
                    }
                }
                ref ty => {
                    let mut s = slot.as_text().ok_or_else(missing)?;
                    let direct =
                        array.as_string_opt::<i32>().is_some() && !matches!(ty, DataType::Guid);
                    for (i, r) in positions.iter().copied().enumerate() {
                        if array.is_null(r) {
                            s.set_cell(i, None);
                        } else if direct {
                            s.set_cell(i, Some(array.as_string::<i32>().value(r).as_bytes()));
                        } else {
                            text_of(ty, array, r, &mut scratch);
                            s.set_cell(i, Some(scratch.as_bytes()));
                        }
                    }
                }
            }
        }
        ins.execute().map_err(rejection)?;
        Ok(())
    }
}

impl Loader for OdbcLoader {
    /// Full statements of `rows_per_statement` rows in one array, then the rest in one
    /// statement of as many rows.
    fn send(
        &mut self,
        buffer: &crate::buffer::Buffer,
        rows: Range<usize>,
    ) -> Result<(), Rejection> {
        let k = rows.len();
        if k == 0 {
            return Ok(());
        }
        let per = self.rows_per_statement.min(k);
        let full = k / per * per;
        self.send_grouped(buffer, rows.start..rows.start + full, per)?;
        if full < k {
            self.send_grouped(buffer, rows.start + full..rows.end, k - full)?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), Rejection> {
        self.conn.commit().map_err(rejection)
    }

    fn rollback(&mut self) {
        let _ = self.conn.rollback();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_statements_only_where_the_database_takes_them() {
        assert_eq!(rows_per_statement("PostgreSQL", 4), 200);
        assert_eq!(rows_per_statement("SQLite", 10), 99);
        assert_eq!(rows_per_statement("Microsoft SQL Server", 1200), 1);
        assert_eq!(rows_per_statement("Oracle", 4), 1);
        assert_eq!(rows_per_statement("", 4), 1);
    }

    #[test]
    fn text_goes_anywhere_but_binary_and_dates_not_into_numbers() {
        let s = DataType::WStr { len: 5 };
        assert!(compatible(&s, &DataType::I4));
        assert!(compatible(&DataType::I4, &s));
        assert!(compatible(
            &DataType::I4,
            &DataType::Numeric {
                precision: 10,
                scale: 2
            }
        ));
        assert!(compatible(&DataType::DbDate, &DataType::DbTimestamp));
        assert!(!compatible(&DataType::DbDate, &DataType::I4));
        assert!(!compatible(&s, &DataType::Bytes { len: 4 }));
        assert!(!compatible(&DataType::Bytes { len: 4 }, &DataType::I8));
    }
}
