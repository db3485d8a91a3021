//! SSIS values as SQL Server gets them: [`column_data`] is a value's natural TDS encoding
//! (statement parameters, through [`Param`]), [`for_column`] the encoding a bulk load needs for
//! a target column of a given TDS type (the bulk-load stream carries each value in exactly its
//! column's type: an `int` column takes a 32-bit integer, a `datetime` column TDS's own
//! day/tick form, a `decimal` a scaled integer…). It converts values only; it must not talk
//! to a server.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use tiberius::numeric::Numeric;
use tiberius::time::{Date, DateTime, DateTime2, DateTimeOffset, SmallDateTime, Time};
use tiberius::{ColumnData, ColumnType, ToSql};

use ssisd_engine::types::{convert, ConversionError, DataType, Value};

/// A value bound as a statement parameter.
pub struct Param(pub ColumnData<'static>);

impl ToSql for Param {
    fn to_sql(&self) -> ColumnData<'_> {
        self.0.clone()
    }
}

fn days_from_ce(d: &NaiveDate) -> u32 {
    u32::try_from(d.num_days_from_ce() - 1).unwrap_or(0)
}

fn tds_date(d: &NaiveDate) -> Date {
    Date::new(days_from_ce(d))
}

/// Time of day in units of 10^-scale s.
fn tds_time(t: &NaiveTime, scale: u8) -> Time {
    let scale = scale.min(7);
    let unit = 10u64.pow(9 - u32::from(scale));
    let nanos =
        u64::from(t.num_seconds_from_midnight()) * 1_000_000_000 + u64::from(t.nanosecond());
    Time::new(nanos / unit, scale)
}

fn tds_datetime2(t: &NaiveDateTime, scale: u8) -> DateTime2 {
    DateTime2::new(tds_date(&t.date()), tds_time(&t.time(), scale))
}

/// `datetime`: days since 1900-01-01 and 1/300 s ticks.
fn tds_datetime(t: &NaiveDateTime) -> Option<DateTime> {
    let base = NaiveDate::from_ymd_opt(1900, 1, 1)?;
    let days = i32::try_from((t.date() - base).num_days()).ok()?;
    let tm = t.time();
    let ms =
        u64::from(tm.num_seconds_from_midnight()) * 1000 + u64::from(tm.nanosecond() / 1_000_000);
    let ticks = (ms * 3 + 5) / 10;
    Some(DateTime::new(days, u32::try_from(ticks).ok()?))
}

fn tds_smalldatetime(t: &NaiveDateTime) -> Option<SmallDateTime> {
    let base = NaiveDate::from_ymd_opt(1900, 1, 1)?;
    let days = u16::try_from((t.date() - base).num_days()).ok()?;
    let minutes = u16::try_from(t.time().num_seconds_from_midnight() / 60).ok()?;
    Some(SmallDateTime::new(days, minutes))
}

fn numeric(d: &ssisd_engine::types::Decimal) -> Numeric {
    Numeric::new_with_scale(d.mantissa(), d.scale())
}

/// A value's natural TDS encoding (NULL as a NULL of its kind).
pub fn column_data(v: &Value) -> ColumnData<'static> {
    match v {
        Value::Null(ty) => null_of(ty),
        Value::Empty => ColumnData::String(None),
        Value::Bool(b) => ColumnData::Bit(Some(*b)),
        Value::I1(n) => ColumnData::I16(Some(i16::from(*n))),
        Value::I2(n) => ColumnData::I16(Some(*n)),
        Value::I4(n) => ColumnData::I32(Some(*n)),
        Value::I8(n) => ColumnData::I64(Some(*n)),
        Value::UI1(n) => ColumnData::U8(Some(*n)),
        Value::UI2(n) => ColumnData::I32(Some(i32::from(*n))),
        Value::UI4(n) => ColumnData::I64(Some(i64::from(*n))),
        Value::UI8(n) => match i64::try_from(*n) {
            Ok(x) => ColumnData::I64(Some(x)),
            Err(_) => ColumnData::Numeric(Some(Numeric::new_with_scale(i128::from(*n), 0))),
        },
        Value::R4(n) => ColumnData::F32(Some(*n)),
        Value::R8(n) => ColumnData::F64(Some(*n)),
        Value::Cy(d) | Value::Decimal(d) | Value::Numeric(d) => {
            ColumnData::Numeric(Some(numeric(d)))
        }
        Value::DbDate(d) => ColumnData::Date(Some(tds_date(d))),
        Value::DbTime(t) | Value::DbTime2(t) => ColumnData::Time(Some(tds_time(t, 7))),
        Value::Date(t) | Value::DbTimestamp(t) | Value::DbTimestamp2(t) | Value::FileTime(t) => {
            ColumnData::DateTime2(Some(tds_datetime2(t, 7)))
        }
        Value::DbTimestampOffset(t) => {
            let offset = i16::try_from(t.offset().local_minus_utc() / 60).unwrap_or(0);
            ColumnData::DateTimeOffset(Some(DateTimeOffset::new(
                tds_datetime2(&t.naive_utc(), 7),
                offset,
            )))
        }
        Value::Guid(g) => ColumnData::Guid(Some(*g)),
        Value::Bytes(b) | Value::Image(b) => ColumnData::Binary(Some(Cow::Owned(b.clone()))),
        other => ColumnData::String(Some(Cow::Owned(
            other
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| other.to_display_string()),
        ))),
    }
}

fn null_of(ty: &DataType) -> ColumnData<'static> {
    match ty {
        DataType::Bool => ColumnData::Bit(None),
        DataType::UI1 => ColumnData::U8(None),
        DataType::I1 | DataType::I2 => ColumnData::I16(None),
        DataType::I4 | DataType::UI2 => ColumnData::I32(None),
        DataType::I8 | DataType::UI4 => ColumnData::I64(None),
        DataType::R4 => ColumnData::F32(None),
        DataType::R8 => ColumnData::F64(None),
        DataType::Bytes { .. } | DataType::Image => ColumnData::Binary(None),
        _ => ColumnData::String(None),
    }
}

/// The SSIS type a value must have to go into a column of TDS type `ct`.
fn ssis_type(ct: ColumnType) -> Option<DataType> {
    use ColumnType as C;
    Some(match ct {
        C::Bit | C::Bitn => DataType::Bool,
        C::Int1 => DataType::UI1,
        C::Int2 => DataType::I2,
        C::Int4 => DataType::I4,
        C::Int8 => DataType::I8,
        C::Float4 => DataType::R4,
        C::Float8 | C::Floatn => DataType::R8,
        C::Guid => DataType::Guid,
        C::Daten => DataType::DbDate,
        C::Timen => DataType::DbTime2 { scale: 7 },
        C::Datetime | C::Datetimen | C::Datetime4 | C::Datetime2 => {
            DataType::DbTimestamp2 { scale: 7 }
        }
        C::DatetimeOffsetn => DataType::DbTimestampOffset { scale: 7 },
        C::BigVarBin | C::BigBinary | C::Image => DataType::Image,
        C::BigVarChar | C::BigChar | C::NVarchar | C::NChar | C::Text | C::NText | C::Xml => {
            DataType::NText
        }
        _ => return None,
    })
}

/// Why a value cannot go into a bulk-loaded column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ColumnValueError {
    /// The value does not convert to the column's type.
    #[error(transparent)]
    Convert(#[from] ConversionError),
    /// A decimal (as text) that does not fit the column's scale.
    #[error("{value} does not fit scale {scale}")]
    Scale { value: String, scale: u8 },
    /// A timestamp (as text) before or after `datetime`'s range.
    #[error("{0} is outside datetime's range")]
    DatetimeRange(String),
    /// A timestamp (as text) before or after `smalldatetime`'s range.
    #[error("{0} is outside smalldatetime's range")]
    SmallDatetimeRange(String),
    /// A TDS column type (as debug text) that a bulk load cannot fill.
    #[error("the column type {0} cannot be bulk loaded")]
    NotBulkLoadable(String),
}

/// `v` encoded for a bulk-loaded column of TDS type `ct` whose scale (decimals, times,
/// datetime2, datetimeoffset) is `scale`. `Err` says why the value cannot go into such a
/// column.
pub fn for_column(
    v: &Value,
    ct: ColumnType,
    scale: u8,
) -> Result<ColumnData<'static>, ColumnValueError> {
    use ColumnType as C;
    let null = matches!(v, Value::Null(_) | Value::Empty);
    let to = |ty: DataType| -> Result<Value, ColumnValueError> {
        if null {
            Ok(Value::Null(ty))
        } else {
            Ok(convert(v, &ty)?)
        }
    };
    let data = match ct {
        // An integer column of a width the metadata did not give: the widest.
        C::Intn => match to(DataType::I8)? {
            Value::I8(n) => ColumnData::I64(Some(n)),
            _ => ColumnData::I64(None),
        },
        C::Decimaln | C::Numericn | C::Money | C::Money4 => {
            match to(DataType::Numeric {
                precision: 38,
                scale,
            })? {
                Value::Numeric(d) => {
                    let d = d.rescale(scale).ok_or_else(|| ColumnValueError::Scale {
                        value: d.to_string(),
                        scale,
                    })?;
                    ColumnData::Numeric(Some(numeric(&d)))
                }
                _ => ColumnData::Numeric(None),
            }
        }
        C::Datetime | C::Datetimen => match to(DataType::DbTimestamp2 { scale: 7 })? {
            Value::DbTimestamp2(t) => ColumnData::DateTime(Some(
                tds_datetime(&t).ok_or_else(|| ColumnValueError::DatetimeRange(t.to_string()))?,
            )),
            _ => ColumnData::DateTime(None),
        },
        C::Datetime4 => match to(DataType::DbTimestamp2 { scale: 7 })? {
            Value::DbTimestamp2(t) => ColumnData::SmallDateTime(Some(
                tds_smalldatetime(&t)
                    .ok_or_else(|| ColumnValueError::SmallDatetimeRange(t.to_string()))?,
            )),
            _ => ColumnData::SmallDateTime(None),
        },
        C::Timen => match to(DataType::DbTime2 { scale: 7 })? {
            Value::DbTime2(t) => ColumnData::Time(Some(tds_time(&t, scale))),
            _ => ColumnData::Time(None),
        },
        C::Datetime2 => match to(DataType::DbTimestamp2 { scale: 7 })? {
            Value::DbTimestamp2(t) => ColumnData::DateTime2(Some(tds_datetime2(&t, scale))),
            _ => ColumnData::DateTime2(None),
        },
        C::DatetimeOffsetn => match to(DataType::DbTimestampOffset { scale: 7 })? {
            Value::DbTimestampOffset(t) => {
                let offset = i16::try_from(t.offset().local_minus_utc() / 60).unwrap_or(0);
                ColumnData::DateTimeOffset(Some(DateTimeOffset::new(
                    tds_datetime2(&t.naive_utc(), scale),
                    offset,
                )))
            }
            _ => ColumnData::DateTimeOffset(None),
        },
        other => match ssis_type(other) {
            Some(ty) => match to(ty)? {
                Value::Null(_) => null_of(&ty),
                value => column_data(&value),
            },
            None => return Err(ColumnValueError::NotBulkLoadable(format!("{other:?}"))),
        },
    };
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_take_their_columns_types() {
        assert_eq!(
            for_column(&Value::I8(7), ColumnType::Int4, 0).unwrap(),
            ColumnData::I32(Some(7))
        );
        assert!(for_column(&Value::I8(1 << 40), ColumnType::Int4, 0).is_err());
        assert_eq!(
            for_column(&Value::WStr("x".into()), ColumnType::NVarchar, 0).unwrap(),
            ColumnData::String(Some(Cow::Borrowed("x")))
        );
        let d = ssisd_engine::types::Decimal::new(1234, 2);
        assert_eq!(
            for_column(&Value::Numeric(d), ColumnType::Decimaln, 3).unwrap(),
            ColumnData::Numeric(Some(Numeric::new_with_scale(12340, 3)))
        );
        let t = NaiveDate::from_ymd_opt(1900, 1, 2)
            .unwrap()
            .and_hms_opt(0, 0, 1)
            .unwrap();
        assert_eq!(
            for_column(&Value::DbTimestamp(t), ColumnType::Datetimen, 0).unwrap(),
            ColumnData::DateTime(Some(DateTime::new(1, 300)))
        );
        assert_eq!(
            for_column(&Value::Null(DataType::I4), ColumnType::Int4, 0).unwrap(),
            ColumnData::I32(None)
        );
    }
}
