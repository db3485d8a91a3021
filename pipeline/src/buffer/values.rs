//! Moving single values between Arrow arrays and the engine's [`Value`]: [`value_at`] reads one
//! row of a column as the SSIS value of its type, [`ColumnBuilder`] builds a column from values
//! (or, on the fast paths sources use, from native Rust values). It follows the storage table of
//! `types.rs`; it must not convert between SSIS types (values arrive already of the column's
//! type) nor know about components.

use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, FixedSizeBinaryBuilder,
    Float32Builder, Float64Builder, Int16Builder, Int32Builder, Int64Builder, Int8Builder,
    StringBuilder, Time64NanosecondBuilder, UInt16Builder, UInt32Builder, UInt64Builder,
    UInt8Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, Time64NanosecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, NullArray};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use ssisd_engine::types::{convert, DataType, Decimal, Value};

/// 100-ns ticks per day.
const TICKS_PER_DAY: i64 = 864_000_000_000;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// Ticks of 100 ns since 0001-01-01 00:00:00 (the storage of date-time columns).
pub fn ticks_of(dt: &NaiveDateTime) -> i64 {
    let days = dt.date().num_days_from_ce() as i64 - 1;
    let t = dt.time();
    days * TICKS_PER_DAY
        + t.num_seconds_from_midnight() as i64 * 10_000_000
        + (t.nanosecond() as i64 / 100).min(9_999_999)
}

/// The date-time of `ticks` (see [`ticks_of`]).
pub fn from_ticks(ticks: i64) -> NaiveDateTime {
    let days = ticks.div_euclid(TICKS_PER_DAY);
    let rest = ticks.rem_euclid(TICKS_PER_DAY);
    let date = NaiveDate::from_num_days_from_ce_opt((days + 1) as i32).unwrap_or_default();
    let secs = (rest / 10_000_000) as u32;
    let nanos = ((rest % 10_000_000) * 100) as u32;
    date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).unwrap_or_default())
}

/// Days since 1970-01-01 (the storage of DT_DBDATE).
pub fn days_of(d: &NaiveDate) -> i32 {
    (*d - epoch()).num_days() as i32
}

fn from_days(days: i32) -> NaiveDate {
    epoch()
        .checked_add_signed(Duration::days(days as i64))
        .unwrap_or_default()
}

/// Nanoseconds since midnight (the storage of DT_DBTIME and DT_DBTIME2).
pub fn nanos_of(t: &NaiveTime) -> i64 {
    t.num_seconds_from_midnight() as i64 * 1_000_000_000 + t.nanosecond() as i64
}

fn from_nanos(n: i64) -> NaiveTime {
    NaiveTime::from_num_seconds_from_midnight_opt(
        (n / 1_000_000_000) as u32,
        (n % 1_000_000_000) as u32,
    )
    .unwrap_or_default()
}

/// The value of row `row` of `array`, a column of type `ty`.
pub fn value_at(array: &dyn Array, ty: &DataType, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null(*ty);
    }
    match ty {
        DataType::Bool => Value::Bool(array.as_boolean().value(row)),
        DataType::I1 => Value::I1(array.as_primitive::<Int8Type>().value(row)),
        DataType::I2 => Value::I2(array.as_primitive::<Int16Type>().value(row)),
        DataType::I4 => Value::I4(array.as_primitive::<Int32Type>().value(row)),
        DataType::I8 => Value::I8(array.as_primitive::<Int64Type>().value(row)),
        DataType::UI1 => Value::UI1(array.as_primitive::<UInt8Type>().value(row)),
        DataType::UI2 => Value::UI2(array.as_primitive::<UInt16Type>().value(row)),
        DataType::UI4 => Value::UI4(array.as_primitive::<UInt32Type>().value(row)),
        DataType::UI8 => Value::UI8(array.as_primitive::<UInt64Type>().value(row)),
        DataType::R4 => Value::R4(array.as_primitive::<Float32Type>().value(row)),
        DataType::R8 => Value::R8(array.as_primitive::<Float64Type>().value(row)),
        DataType::Cy | DataType::Decimal { .. } | DataType::Numeric { .. } => {
            let a = array.as_primitive::<Decimal128Type>();
            let d = Decimal::new(a.value(row), a.scale().max(0) as u8);
            match ty {
                DataType::Cy => Value::Cy(d),
                DataType::Decimal { .. } => Value::Decimal(d),
                _ => Value::Numeric(d),
            }
        }
        DataType::Str { .. } => Value::Str(array.as_string::<i32>().value(row).to_string()),
        DataType::WStr { .. } => Value::WStr(array.as_string::<i32>().value(row).to_string()),
        DataType::Text { .. } => Value::Text(array.as_string::<i32>().value(row).to_string()),
        DataType::NText => Value::NText(array.as_string::<i32>().value(row).to_string()),
        DataType::DbTimestampOffset { .. } => {
            let text = array.as_string::<i32>().value(row);
            convert(&Value::WStr(text.to_string()), ty).unwrap_or(Value::Null(*ty))
        }
        DataType::DbDate => Value::DbDate(from_days(array.as_primitive::<Date32Type>().value(row))),
        DataType::DbTime => Value::DbTime(from_nanos(
            array.as_primitive::<Time64NanosecondType>().value(row),
        )),
        DataType::DbTime2 { .. } => Value::DbTime2(from_nanos(
            array.as_primitive::<Time64NanosecondType>().value(row),
        )),
        DataType::Date
        | DataType::DbTimestamp
        | DataType::DbTimestamp2 { .. }
        | DataType::FileTime => {
            let dt = from_ticks(array.as_primitive::<Int64Type>().value(row));
            match ty {
                DataType::Date => Value::Date(dt),
                DataType::DbTimestamp => Value::DbTimestamp(dt),
                DataType::DbTimestamp2 { .. } => Value::DbTimestamp2(dt),
                _ => Value::FileTime(dt),
            }
        }
        DataType::Guid => {
            let b = array.as_fixed_size_binary().value(row);
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&b[..16.min(b.len())]);
            Value::Guid(uuid::Uuid::from_bytes(bytes))
        }
        DataType::Bytes { .. } => Value::Bytes(array.as_binary::<i32>().value(row).to_vec()),
        DataType::Image => Value::Image(array.as_binary::<i32>().value(row).to_vec()),
        DataType::Empty | DataType::Null | DataType::Object => Value::Null(*ty),
    }
}

/// The text of a string column at `row` without copying (`None` for NULL or a non-string
/// column).
pub fn str_at(array: &dyn Array, row: usize) -> Option<&str> {
    if array.is_null(row) {
        return None;
    }
    array.as_string_opt::<i32>().map(|a| a.value(row))
}

/// Builds one column of one SSIS type.
pub enum ColumnBuilder {
    Bool(BooleanBuilder),
    I1(Int8Builder),
    I2(Int16Builder),
    I4(Int32Builder),
    I8(Int64Builder),
    UI1(UInt8Builder),
    UI2(UInt16Builder),
    UI4(UInt32Builder),
    UI8(UInt64Builder),
    R4(Float32Builder),
    R8(Float64Builder),
    /// Decimal128 at a fixed scale.
    Decimal(Decimal128Builder, u8, u8),
    Str(StringBuilder),
    Date32(Date32Builder),
    Time(Time64NanosecondBuilder),
    Ticks(Int64Builder),
    Guid(FixedSizeBinaryBuilder),
    Binary(BinaryBuilder),
    Null(usize),
}

impl ColumnBuilder {
    /// A builder for `ty` with room for `rows` values.
    pub fn new(ty: &DataType, rows: usize) -> ColumnBuilder {
        match ty {
            DataType::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(rows)),
            DataType::I1 => ColumnBuilder::I1(Int8Builder::with_capacity(rows)),
            DataType::I2 => ColumnBuilder::I2(Int16Builder::with_capacity(rows)),
            DataType::I4 => ColumnBuilder::I4(Int32Builder::with_capacity(rows)),
            DataType::I8 => ColumnBuilder::I8(Int64Builder::with_capacity(rows)),
            DataType::UI1 => ColumnBuilder::UI1(UInt8Builder::with_capacity(rows)),
            DataType::UI2 => ColumnBuilder::UI2(UInt16Builder::with_capacity(rows)),
            DataType::UI4 => ColumnBuilder::UI4(UInt32Builder::with_capacity(rows)),
            DataType::UI8 => ColumnBuilder::UI8(UInt64Builder::with_capacity(rows)),
            DataType::R4 => ColumnBuilder::R4(Float32Builder::with_capacity(rows)),
            DataType::R8 => ColumnBuilder::R8(Float64Builder::with_capacity(rows)),
            DataType::Cy | DataType::Decimal { .. } | DataType::Numeric { .. } => {
                let (p, s) = match super::types::arrow_type(ty) {
                    arrow_schema::DataType::Decimal128(p, s) => (p, s.max(0) as u8),
                    _ => (38, 0),
                };
                ColumnBuilder::Decimal(
                    Decimal128Builder::with_capacity(rows)
                        .with_precision_and_scale(p, s as i8)
                        .unwrap_or_else(|_| Decimal128Builder::with_capacity(rows)),
                    p,
                    s,
                )
            }
            DataType::Str { .. }
            | DataType::WStr { .. }
            | DataType::Text { .. }
            | DataType::NText
            | DataType::DbTimestampOffset { .. } => {
                let width = super::types::estimated_width(ty).min(256);
                ColumnBuilder::Str(StringBuilder::with_capacity(rows, rows * width / 2))
            }
            DataType::DbDate => ColumnBuilder::Date32(Date32Builder::with_capacity(rows)),
            DataType::DbTime | DataType::DbTime2 { .. } => {
                ColumnBuilder::Time(Time64NanosecondBuilder::with_capacity(rows))
            }
            DataType::Date
            | DataType::DbTimestamp
            | DataType::DbTimestamp2 { .. }
            | DataType::FileTime => ColumnBuilder::Ticks(Int64Builder::with_capacity(rows)),
            DataType::Guid => ColumnBuilder::Guid(FixedSizeBinaryBuilder::with_capacity(rows, 16)),
            DataType::Bytes { .. } | DataType::Image => {
                ColumnBuilder::Binary(BinaryBuilder::with_capacity(rows, rows * 16))
            }
            DataType::Empty | DataType::Null | DataType::Object => ColumnBuilder::Null(0),
        }
    }

    pub fn append_null(&mut self) {
        match self {
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::I1(b) => b.append_null(),
            ColumnBuilder::I2(b) => b.append_null(),
            ColumnBuilder::I4(b) => b.append_null(),
            ColumnBuilder::I8(b) => b.append_null(),
            ColumnBuilder::UI1(b) => b.append_null(),
            ColumnBuilder::UI2(b) => b.append_null(),
            ColumnBuilder::UI4(b) => b.append_null(),
            ColumnBuilder::UI8(b) => b.append_null(),
            ColumnBuilder::R4(b) => b.append_null(),
            ColumnBuilder::R8(b) => b.append_null(),
            ColumnBuilder::Decimal(b, _, _) => b.append_null(),
            ColumnBuilder::Str(b) => b.append_null(),
            ColumnBuilder::Date32(b) => b.append_null(),
            ColumnBuilder::Time(b) => b.append_null(),
            ColumnBuilder::Ticks(b) => b.append_null(),
            ColumnBuilder::Guid(b) => b.append_null(),
            ColumnBuilder::Binary(b) => b.append_null(),
            ColumnBuilder::Null(n) => *n += 1,
        }
    }

    /// Appends a string (string columns only; others get NULL).
    pub fn append_str(&mut self, s: &str) {
        match self {
            ColumnBuilder::Str(b) => b.append_value(s),
            other => other.append_null(),
        }
    }

    /// Appends `v`, which must already be of the column's type (NULL of any type is NULL).
    /// A value of another kind is stored as NULL; callers convert first.
    pub fn append_value(&mut self, v: &Value) {
        match (self, v) {
            (b, Value::Null(_) | Value::Empty) => b.append_null(),
            (ColumnBuilder::Bool(b), Value::Bool(x)) => b.append_value(*x),
            (ColumnBuilder::I1(b), Value::I1(x)) => b.append_value(*x),
            (ColumnBuilder::I2(b), Value::I2(x)) => b.append_value(*x),
            (ColumnBuilder::I4(b), Value::I4(x)) => b.append_value(*x),
            (ColumnBuilder::I8(b), Value::I8(x)) => b.append_value(*x),
            (ColumnBuilder::UI1(b), Value::UI1(x)) => b.append_value(*x),
            (ColumnBuilder::UI2(b), Value::UI2(x)) => b.append_value(*x),
            (ColumnBuilder::UI4(b), Value::UI4(x)) => b.append_value(*x),
            (ColumnBuilder::UI8(b), Value::UI8(x)) => b.append_value(*x),
            (ColumnBuilder::R4(b), Value::R4(x)) => b.append_value(*x),
            (ColumnBuilder::R8(b), Value::R8(x)) => b.append_value(*x),
            (
                ColumnBuilder::Decimal(b, _, s),
                Value::Cy(d) | Value::Decimal(d) | Value::Numeric(d),
            ) => match d.rescale(*s) {
                Some(r) => b.append_value(r.mantissa()),
                None => b.append_null(),
            },
            (ColumnBuilder::Str(b), Value::DbTimestampOffset(_)) => {
                b.append_value(v.to_display_string())
            }
            (
                ColumnBuilder::Str(b),
                Value::Str(s) | Value::WStr(s) | Value::Text(s) | Value::NText(s),
            ) => b.append_value(s),
            (ColumnBuilder::Date32(b), Value::DbDate(d)) => b.append_value(days_of(d)),
            (ColumnBuilder::Time(b), Value::DbTime(t) | Value::DbTime2(t)) => {
                b.append_value(nanos_of(t))
            }
            (
                ColumnBuilder::Ticks(b),
                Value::Date(d)
                | Value::DbTimestamp(d)
                | Value::DbTimestamp2(d)
                | Value::FileTime(d),
            ) => b.append_value(ticks_of(d)),
            (ColumnBuilder::Guid(b), Value::Guid(g)) => {
                if b.append_value(g.as_bytes()).is_err() {
                    b.append_null();
                }
            }
            (ColumnBuilder::Binary(b), Value::Bytes(x) | Value::Image(x)) => b.append_value(x),
            (b, _) => b.append_null(),
        }
    }

    /// The finished column.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::I1(b) => Arc::new(b.finish()),
            ColumnBuilder::I2(b) => Arc::new(b.finish()),
            ColumnBuilder::I4(b) => Arc::new(b.finish()),
            ColumnBuilder::I8(b) => Arc::new(b.finish()),
            ColumnBuilder::UI1(b) => Arc::new(b.finish()),
            ColumnBuilder::UI2(b) => Arc::new(b.finish()),
            ColumnBuilder::UI4(b) => Arc::new(b.finish()),
            ColumnBuilder::UI8(b) => Arc::new(b.finish()),
            ColumnBuilder::R4(b) => Arc::new(b.finish()),
            ColumnBuilder::R8(b) => Arc::new(b.finish()),
            ColumnBuilder::Decimal(b, p, s) => {
                let a = b.finish();
                Arc::new(
                    a.with_precision_and_scale(*p, *s as i8)
                        .unwrap_or_else(|_| {
                            arrow_array::Decimal128Array::from(Vec::<Option<i128>>::new())
                        }),
                )
            }
            ColumnBuilder::Str(b) => Arc::new(b.finish()),
            ColumnBuilder::Date32(b) => Arc::new(b.finish()),
            ColumnBuilder::Time(b) => Arc::new(b.finish()),
            ColumnBuilder::Ticks(b) => Arc::new(b.finish()),
            ColumnBuilder::Guid(b) => Arc::new(b.finish()),
            ColumnBuilder::Binary(b) => Arc::new(b.finish()),
            ColumnBuilder::Null(n) => {
                let a = NullArray::new(*n);
                *n = 0;
                Arc::new(a)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(ty: DataType, v: Value) {
        let mut b = ColumnBuilder::new(&ty, 2);
        b.append_value(&v);
        b.append_null();
        let a = b.finish();
        assert_eq!(
            a.data_type(),
            &super::super::types::arrow_type(&ty),
            "{ty:?}"
        );
        assert_eq!(value_at(a.as_ref(), &ty, 0), v, "{ty:?}");
        assert_eq!(value_at(a.as_ref(), &ty, 1), Value::Null(ty), "{ty:?}");
    }

    #[test]
    fn every_type_round_trips_through_its_arrow_storage() {
        let dt = NaiveDate::from_ymd_opt(9999, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 999_999_900))
            .expect("date");
        let early = NaiveDate::from_ymd_opt(1, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("date");
        round_trip(DataType::Bool, Value::Bool(true));
        round_trip(DataType::I1, Value::I1(-5));
        round_trip(DataType::UI8, Value::UI8(u64::MAX));
        round_trip(DataType::R8, Value::R8(1.5));
        round_trip(DataType::Cy, Value::Cy(Decimal::new(123_4567, 4)));
        round_trip(
            DataType::Numeric {
                precision: 12,
                scale: 2,
            },
            Value::Numeric(Decimal::new(-12345, 2)),
        );
        round_trip(
            DataType::Str {
                len: 10,
                code_page: 1252,
            },
            Value::Str("héllo".into()),
        );
        round_trip(DataType::WStr { len: 10 }, Value::WStr("日本".into()));
        round_trip(
            DataType::DbDate,
            Value::DbDate(NaiveDate::from_ymd_opt(1753, 1, 1).expect("date")),
        );
        round_trip(DataType::DbTimestamp2 { scale: 7 }, Value::DbTimestamp2(dt));
        round_trip(DataType::DbTimestamp, Value::DbTimestamp(early));
        round_trip(
            DataType::DbTime2 { scale: 7 },
            Value::DbTime2(NaiveTime::from_hms_nano_opt(13, 4, 5, 1_234_500).expect("time")),
        );
        round_trip(DataType::Guid, Value::Guid(uuid::Uuid::from_u128(0x1234)));
        round_trip(DataType::Bytes { len: 4 }, Value::Bytes(vec![1, 2, 3]));
        let off = convert(
            &Value::WStr("2024-02-29 10:11:12.1234567 +05:30".into()),
            &DataType::DbTimestampOffset { scale: 7 },
        )
        .expect("offset");
        round_trip(DataType::DbTimestampOffset { scale: 7 }, off);
    }

    #[test]
    fn ticks_cover_the_whole_ssis_range() {
        for (y, m, d) in [
            (1, 1, 1),
            (1753, 1, 1),
            (1970, 1, 1),
            (2038, 1, 19),
            (9999, 12, 31),
        ] {
            let dt = NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|x| x.and_hms_nano_opt(12, 30, 15, 123_456_700))
                .expect("date");
            assert_eq!(from_ticks(ticks_of(&dt)), dt);
        }
    }
}
