//! Reading an ODBC result set in [`RowBatch`]es without holding it whole: the columns are
//! described once (`SQLDescribeCol`, `SQL_DESC_UNSIGNED`) and typed by [`crate::type_map`];
//! when every column has a bounded size the rows are fetched as arrays (`SQLFetchScroll` into
//! column buffers bound once, the batch size cut so one batch's buffers stay within
//! [`ReadOptions::max_batch_bytes`], values too long for them reported, never cut); a result
//! with long columns (text, `varchar(max)`, blobs, sizes the driver does not know) is read row
//! by row with `SQLGetData`, each value whole. Values come out as the column's DT_* type.
//! Blocking: run it on a thread of its own or through [`super::session`].

use std::sync::Arc;

use odbc_api::buffers::{BufferDesc, ColumnarDynBuffer};
use odbc_api::sys::{Date, Timestamp};
use odbc_api::{Bit, BlockCursor, Cursor, CursorRow, Nullable, ResultSetMetadata};

use crate::batch::{ColumnInfo, RowBatch, DEFAULT_BATCH_ROWS};
use crate::error::QueryError;
use crate::type_map::{self, CharTypes, MAX_WSTR_LEN};
use ssisd_engine::types::{DataType, Decimal, Value};

/// How a result set is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Rows per batch at most.
    pub batch_rows: usize,
    /// Bytes one batch's column buffers may take at most (array fetches).
    pub max_batch_bytes: usize,
    /// How character columns are typed.
    pub chars: CharTypes,
    /// Fetch character data as UTF-16 (`SQL_C_WCHAR`, what the ODBC Source binds by default)
    /// rather than as UTF-8 (`SQL_C_CHAR`). Drivers without Unicode entry points (the SQLite
    /// ODBC driver) need `false`.
    pub wide_chars: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            batch_rows: DEFAULT_BATCH_ROWS,
            max_batch_bytes: 8 << 20,
            chars: CharTypes::ODBC,
            wide_chars: false,
        }
    }
}

/// How one column is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fetch {
    Bit,
    I16,
    I32,
    I64,
    F32,
    F64,
    Date,
    Timestamp,
    /// Character data of at most this many characters (`None`: unbounded).
    Text(Option<usize>),
    /// Binary data of at most this many bytes (`None`: unbounded).
    Binary(Option<usize>),
}

impl Fetch {
    fn of(ty: &DataType) -> Fetch {
        match *ty {
            DataType::Bool => Fetch::Bit,
            DataType::I1 | DataType::UI1 | DataType::I2 => Fetch::I16,
            DataType::UI2 | DataType::I4 => Fetch::I32,
            DataType::UI4 | DataType::I8 => Fetch::I64,
            DataType::R4 => Fetch::F32,
            DataType::R8 => Fetch::F64,
            DataType::DbDate => Fetch::Date,
            DataType::DbTimestamp | DataType::DbTimestamp2 { .. } | DataType::Date => {
                Fetch::Timestamp
            }
            DataType::Numeric { precision, .. } => Fetch::Text(Some(usize::from(precision) + 3)),
            DataType::Decimal { .. } | DataType::Cy | DataType::UI8 => Fetch::Text(Some(48)),
            DataType::DbTime | DataType::DbTime2 { .. } => Fetch::Text(Some(32)),
            DataType::DbTimestampOffset { .. } => Fetch::Text(Some(48)),
            DataType::Guid => Fetch::Text(Some(40)),
            DataType::Str { len, .. } if len > 0 => Fetch::Text(Some(len as usize)),
            DataType::WStr { len } if len > 0 => Fetch::Text(Some(len as usize)),
            DataType::Bytes { len } if len > 0 => Fetch::Binary(Some(len as usize)),
            DataType::Bytes { .. } | DataType::Image => Fetch::Binary(None),
            _ => Fetch::Text(None),
        }
    }

    fn bounded(self) -> bool {
        !matches!(self, Fetch::Text(None) | Fetch::Binary(None))
    }

    fn desc(self, wide: bool) -> BufferDesc {
        match self {
            Fetch::Bit => BufferDesc::Bit { nullable: true },
            Fetch::I16 => BufferDesc::I16 { nullable: true },
            Fetch::I32 => BufferDesc::I32 { nullable: true },
            Fetch::I64 => BufferDesc::I64 { nullable: true },
            Fetch::F32 => BufferDesc::F32 { nullable: true },
            Fetch::F64 => BufferDesc::F64 { nullable: true },
            Fetch::Date => BufferDesc::Date { nullable: true },
            Fetch::Timestamp => BufferDesc::Timestamp { nullable: true },
            // Up to four UTF-8 bytes or two UTF-16 units per character.
            Fetch::Text(n) if wide => BufferDesc::WText {
                max_str_len: n.unwrap_or(0) * 2,
            },
            Fetch::Text(n) => BufferDesc::Text {
                max_str_len: n.unwrap_or(0) * 4,
            },
            Fetch::Binary(n) => BufferDesc::Binary {
                max_bytes: n.unwrap_or(0),
            },
        }
    }

    /// Bytes per row in an array fetch.
    fn width(self, wide: bool) -> usize {
        let indicator = std::mem::size_of::<isize>();
        indicator
            + match self.desc(wide) {
                BufferDesc::Text { max_str_len } => max_str_len + 1,
                BufferDesc::WText { max_str_len } => (max_str_len + 1) * 2,
                BufferDesc::Binary { max_bytes } => max_bytes,
                _ => 16,
            }
    }
}

/// A result set read in batches.
pub struct OdbcBatches<C: Cursor> {
    columns: Arc<[ColumnInfo]>,
    fetches: Vec<Fetch>,
    state: State<C>,
    batch_rows: usize,
    wide: bool,
}

enum State<C: Cursor> {
    Block(BlockCursor<C, ColumnarDynBuffer>),
    Rows(C),
    Done,
}

/// Describes the columns of `cursor`'s result set.
pub fn describe<C: ResultSetMetadata>(
    cursor: &mut C,
    chars: CharTypes,
) -> Result<Vec<ColumnInfo>, QueryError> {
    let count = u16::try_from(cursor.num_result_cols()?).unwrap_or(0);
    let mut columns = Vec::with_capacity(usize::from(count));
    for c in 1..=count {
        let name = cursor.col_name(c)?;
        let sql_type = cursor.col_data_type(c)?;
        let unsigned = cursor.column_is_unsigned(c).unwrap_or(false);
        let nullable = match cursor.col_nullability(c)? {
            odbc_api::Nullability::Nullable => Some(true),
            odbc_api::Nullability::NoNulls => Some(false),
            odbc_api::Nullability::Unknown => None,
        };
        let data_type = type_map::odbc(sql_type, unsigned, chars)
            .unwrap_or(DataType::WStr { len: MAX_WSTR_LEN });
        columns.push(ColumnInfo {
            name,
            source_type: type_map::odbc_type_name(sql_type),
            data_type,
            nullable,
        });
    }
    Ok(columns)
}

impl<C: Cursor + ResultSetMetadata> OdbcBatches<C> {
    /// Describes `cursor`'s columns and prepares to read its rows.
    pub fn new(mut cursor: C, options: ReadOptions) -> Result<OdbcBatches<C>, QueryError> {
        let columns = describe(&mut cursor, options.chars)?;
        let fetches: Vec<Fetch> = columns.iter().map(|c| Fetch::of(&c.data_type)).collect();
        let wide = options.wide_chars;
        let batch_rows = options.batch_rows.max(1);
        let state = if fetches.iter().all(|f| f.bounded()) && !fetches.is_empty() {
            let width: usize = fetches.iter().map(|f| f.width(wide)).sum();
            let rows = (options.max_batch_bytes / width.max(1)).clamp(1, batch_rows);
            let buffer =
                ColumnarDynBuffer::try_from_descs(rows, fetches.iter().map(|f| f.desc(wide)))
                    .map_err(QueryError::from)?;
            State::Block(cursor.bind_buffer(buffer)?)
        } else {
            State::Rows(cursor)
        };
        Ok(OdbcBatches {
            columns: Arc::from(columns),
            fetches,
            state,
            batch_rows,
            wide,
        })
    }

    /// The result set's columns.
    pub fn columns(&self) -> &Arc<[ColumnInfo]> {
        &self.columns
    }

    /// The next rows, or `None` after the last.
    pub fn next_batch(&mut self) -> Result<Option<RowBatch>, QueryError> {
        let batch = match &mut self.state {
            State::Done => return Ok(None),
            State::Block(block) => {
                let Some(buffer) = block
                    .fetch_with_truncation_check(true)
                    .map_err(|e| truncation(&self.columns, e))?
                else {
                    self.state = State::Done;
                    return Ok(None);
                };
                let mut batch = RowBatch::with_capacity(self.columns.clone(), buffer.num_rows());
                for (i, column) in self.columns.iter().enumerate() {
                    read_column(buffer, i, column, self.fetches[i], &mut batch.values[i])?;
                }
                batch
            }
            State::Rows(cursor) => {
                let mut batch = RowBatch::with_capacity(self.columns.clone(), self.batch_rows);
                let mut text = Vec::new();
                let mut wide_text = Vec::new();
                while batch.rows() < self.batch_rows {
                    let Some(mut row) = cursor.next_row()? else {
                        break;
                    };
                    for (i, column) in self.columns.iter().enumerate() {
                        let col = u16::try_from(i + 1).unwrap_or(u16::MAX);
                        let v = read_cell(
                            &mut row,
                            col,
                            column,
                            self.fetches[i],
                            self.wide,
                            &mut text,
                            &mut wide_text,
                        )?;
                        batch.values[i].push(v);
                    }
                }
                if batch.is_empty() {
                    self.state = State::Done;
                    return Ok(None);
                }
                batch
            }
        };
        Ok(Some(batch))
    }
}

fn truncation(columns: &[ColumnInfo], e: odbc_api::Error) -> QueryError {
    match &e {
        odbc_api::Error::TooLargeValueForBuffer { buffer_index, .. } => {
            let column = columns.get(*buffer_index);
            QueryError::Conversion {
                column: column.map(|c| c.name.clone()).unwrap_or_default(),
                data_type: column.map(|c| c.source_type.clone()).unwrap_or_default(),
                message: "a value is longer than the column's declared size".into(),
            }
        }
        _ => QueryError::from(e),
    }
}

fn conversion(column: &ColumnInfo, message: impl Into<String>) -> QueryError {
    QueryError::Conversion {
        column: column.name.clone(),
        data_type: column.source_type.clone(),
        message: message.into(),
    }
}

fn date(d: &Date) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
}

fn timestamp(t: &Timestamp) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDate::from_ymd_opt(i32::from(t.year), u32::from(t.month), u32::from(t.day))?
        .and_hms_nano_opt(
            u32::from(t.hour),
            u32::from(t.minute),
            u32::from(t.second),
            t.fraction,
        )
}

/// An integer fetched as `n` as the column's type.
fn integer(column: &ColumnInfo, n: i64) -> Result<Value, QueryError> {
    let out_of_range = || conversion(column, format!("{n} is out of the type's range"));
    Ok(match column.data_type {
        DataType::I1 => Value::I1(i8::try_from(n).map_err(|_| out_of_range())?),
        DataType::UI1 => Value::UI1(u8::try_from(n).map_err(|_| out_of_range())?),
        DataType::I2 => Value::I2(i16::try_from(n).map_err(|_| out_of_range())?),
        DataType::UI2 => Value::UI2(u16::try_from(n).map_err(|_| out_of_range())?),
        DataType::I4 => Value::I4(i32::try_from(n).map_err(|_| out_of_range())?),
        DataType::UI4 => Value::UI4(u32::try_from(n).map_err(|_| out_of_range())?),
        _ => Value::I8(n),
    })
}

fn moment(column: &ColumnInfo, t: &Timestamp) -> Result<Value, QueryError> {
    let v =
        timestamp(t).ok_or_else(|| conversion(column, format!("{t:?} is not a date and time")))?;
    Ok(match column.data_type {
        DataType::DbTimestamp2 { .. } => Value::DbTimestamp2(v),
        DataType::Date => Value::Date(v),
        _ => Value::DbTimestamp(v),
    })
}

/// A value fetched as text, as the column's type.
fn from_text(column: &ColumnInfo, text: String) -> Result<Value, QueryError> {
    let t = text.trim();
    let bad = |what: &str| conversion(column, format!("\"{t}\" is not {what}"));
    Ok(match column.data_type {
        DataType::Numeric { scale, .. } => {
            let d = Decimal::parse(t).ok_or_else(|| bad("a number"))?;
            Value::Numeric(d.rescale(scale).unwrap_or(d))
        }
        DataType::Decimal { .. } => {
            Value::Decimal(Decimal::parse(t).ok_or_else(|| bad("a number"))?)
        }
        DataType::Cy => {
            let d = Decimal::parse(t).ok_or_else(|| bad("a number"))?;
            Value::Cy(d.rescale(4).unwrap_or(d))
        }
        DataType::UI8 => Value::UI8(t.parse().map_err(|_| bad("an unsigned 64-bit integer"))?),
        DataType::DbTime | DataType::DbTime2 { .. } => {
            let v = chrono::NaiveTime::parse_from_str(t, "%H:%M:%S%.f")
                .map_err(|_| bad("a time of day"))?;
            if matches!(column.data_type, DataType::DbTime) {
                Value::DbTime(v)
            } else {
                Value::DbTime2(v)
            }
        }
        DataType::DbTimestampOffset { .. } => {
            let v = chrono::DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f %:z")
                .or_else(|_| chrono::DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f%#z"))
                .map_err(|_| bad("a date and time with an offset"))?;
            Value::DbTimestampOffset(v)
        }
        DataType::Guid => Value::Guid(uuid::Uuid::parse_str(t).map_err(|_| bad("a GUID"))?),
        DataType::Str { .. } => Value::Str(text),
        DataType::Text { .. } => Value::Text(text),
        DataType::NText => Value::NText(text),
        _ => Value::WStr(text),
    })
}

fn from_bytes(column: &ColumnInfo, bytes: Vec<u8>) -> Value {
    match column.data_type {
        DataType::Image => Value::Image(bytes),
        _ => Value::Bytes(bytes),
    }
}

fn read_column(
    buffer: &ColumnarDynBuffer,
    index: usize,
    column: &ColumnInfo,
    fetch: Fetch,
    out: &mut Vec<Value>,
) -> Result<(), QueryError> {
    let slice = buffer.column(index);
    let null = Value::Null(column.data_type);
    let missing = || conversion(column, "the driver filled no buffer of the expected kind");
    macro_rules! each {
        ($t:ty, $f:expr) => {{
            let s = slice.as_nullable_slice::<$t>().ok_or_else(missing)?;
            for v in s {
                out.push(match v {
                    Some(v) => $f(v)?,
                    None => null.clone(),
                });
            }
        }};
    }
    match fetch {
        Fetch::Bit => each!(Bit, |v: &Bit| Ok::<_, QueryError>(Value::Bool(v.as_bool()))),
        Fetch::I16 => each!(i16, |v: &i16| integer(column, i64::from(*v))),
        Fetch::I32 => each!(i32, |v: &i32| integer(column, i64::from(*v))),
        Fetch::I64 => each!(i64, |v: &i64| integer(column, *v)),
        Fetch::F32 => each!(f32, |v: &f32| Ok::<_, QueryError>(Value::R4(*v))),
        Fetch::F64 => each!(f64, |v: &f64| Ok::<_, QueryError>(Value::R8(*v))),
        Fetch::Date => each!(Date, |v: &Date| date(v)
            .map(Value::DbDate)
            .ok_or_else(|| conversion(column, format!("{v:?} is not a date")))),
        Fetch::Timestamp => each!(Timestamp, |v: &Timestamp| moment(column, v)),
        Fetch::Text(_) => {
            if let Some(s) = slice.as_text() {
                for v in s.iter() {
                    out.push(match v {
                        Some(bytes) => {
                            from_text(column, String::from_utf8_lossy(bytes).into_owned())?
                        }
                        None => null.clone(),
                    });
                }
            } else {
                let s = slice.as_wide_text().ok_or_else(missing)?;
                for v in s.iter() {
                    out.push(match v {
                        Some(units) => {
                            from_text(column, String::from_utf16_lossy(units.as_slice()))?
                        }
                        None => null.clone(),
                    });
                }
            }
        }
        Fetch::Binary(_) => {
            let s = slice.as_binary().ok_or_else(missing)?;
            for v in s.iter() {
                out.push(match v {
                    Some(bytes) => from_bytes(column, bytes.to_vec()),
                    None => null.clone(),
                });
            }
        }
    }
    Ok(())
}

fn read_cell(
    row: &mut CursorRow<'_>,
    col: u16,
    column: &ColumnInfo,
    fetch: Fetch,
    wide: bool,
    text: &mut Vec<u8>,
    wide_text: &mut Vec<u16>,
) -> Result<Value, QueryError> {
    let null = Value::Null(column.data_type);
    macro_rules! fixed {
        ($t:ty, $f:expr) => {{
            let mut v = Nullable::<$t>::null();
            row.get_data(col, &mut v)?;
            match v.into_opt() {
                Some(v) => $f(&v),
                None => Ok(null),
            }
        }};
    }
    match fetch {
        Fetch::Bit => fixed!(Bit, |v: &Bit| Ok(Value::Bool(v.as_bool()))),
        Fetch::I16 => fixed!(i16, |v: &i16| integer(column, i64::from(*v))),
        Fetch::I32 => fixed!(i32, |v: &i32| integer(column, i64::from(*v))),
        Fetch::I64 => fixed!(i64, |v: &i64| integer(column, *v)),
        Fetch::F32 => fixed!(f32, |v: &f32| Ok(Value::R4(*v))),
        Fetch::F64 => fixed!(f64, |v: &f64| Ok(Value::R8(*v))),
        Fetch::Date => fixed!(Date, |v: &Date| date(v)
            .map(Value::DbDate)
            .ok_or_else(|| conversion(column, format!("{v:?} is not a date")))),
        Fetch::Timestamp => fixed!(Timestamp, |v: &Timestamp| moment(column, v)),
        Fetch::Text(_) if wide => {
            wide_text.clear();
            if row.get_wide_text(col, wide_text)? {
                from_text(column, String::from_utf16_lossy(wide_text))
            } else {
                Ok(null)
            }
        }
        Fetch::Text(_) => {
            text.clear();
            if row.get_text(col, text)? {
                from_text(column, String::from_utf8_lossy(text).into_owned())
            } else {
                Ok(null)
            }
        }
        Fetch::Binary(_) => {
            text.clear();
            if row.get_binary(col, text)? {
                Ok(from_bytes(column, text.clone()))
            } else {
                Ok(null)
            }
        }
    }
}
