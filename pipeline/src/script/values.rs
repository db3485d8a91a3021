//! Package values as a script sees them and back: a variable's DT type becomes the .NET type
//! SSIS gives it (DT_I4 → Int32, DT_WSTR → String, DT_DATE → DateTime, DT_DECIMAL/DT_CY →
//! Decimal, …), values travel as [`WireValue`]s, and what a script writes comes back as the
//! engine's [`Value`] of the same type. Dates travel as .NET ticks. It owns that mapping only.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::wire::{type_code, WireValue};
use ssisd_engine::types::{DataType, Decimal, Value};

/// The `System.TypeCode` a variable of `ty` has in a script.
pub fn type_code_of(ty: &DataType) -> u8 {
    use type_code::*;
    match ty {
        DataType::Empty => EMPTY,
        DataType::Null => DBNULL,
        DataType::Bool => BOOLEAN,
        DataType::I1 => SBYTE,
        DataType::UI1 => BYTE,
        DataType::I2 => INT16,
        DataType::UI2 => UINT16,
        DataType::I4 => INT32,
        DataType::UI4 => UINT32,
        DataType::I8 => INT64,
        DataType::UI8 => UINT64,
        DataType::R4 => SINGLE,
        DataType::R8 => DOUBLE,
        DataType::Cy | DataType::Decimal { .. } | DataType::Numeric { .. } => DECIMAL,
        DataType::Date
        | DataType::DbDate
        | DataType::DbTime
        | DataType::DbTime2 { .. }
        | DataType::DbTimestamp
        | DataType::DbTimestamp2 { .. }
        | DataType::DbTimestampOffset { .. }
        | DataType::FileTime => DATETIME,
        DataType::Str { .. }
        | DataType::WStr { .. }
        | DataType::Text { .. }
        | DataType::NText
        | DataType::Guid => STRING,
        DataType::Bytes { .. } | DataType::Image | DataType::Object => OBJECT,
    }
}

fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN)
}

/// .NET ticks of a date and time.
pub fn ticks(at: NaiveDateTime) -> i64 {
    let d = at - epoch();
    d.num_seconds() * 10_000_000 + i64::from(d.subsec_nanos()) / 100
}

/// The date and time of .NET ticks.
pub fn from_ticks(t: i64) -> Option<NaiveDateTime> {
    let secs = t.div_euclid(10_000_000);
    let rest = t.rem_euclid(10_000_000);
    epoch().checked_add_signed(
        chrono::Duration::seconds(secs) + chrono::Duration::nanoseconds(rest * 100),
    )
}

/// `value` as the script gets it.
pub fn to_wire(value: &Value) -> WireValue {
    match value {
        Value::Null(_) => WireValue::DbNull,
        Value::Empty => WireValue::Empty,
        Value::Bool(b) => WireValue::Bool(*b),
        Value::I1(n) => WireValue::I1(*n),
        Value::I2(n) => WireValue::I2(*n),
        Value::I4(n) => WireValue::I4(*n),
        Value::I8(n) => WireValue::I8(*n),
        Value::UI1(n) => WireValue::UI1(*n),
        Value::UI2(n) => WireValue::UI2(*n),
        Value::UI4(n) => WireValue::UI4(*n),
        Value::UI8(n) => WireValue::UI8(*n),
        Value::R4(n) => WireValue::R4(*n),
        Value::R8(n) => WireValue::R8(*n),
        Value::Cy(d) | Value::Decimal(d) | Value::Numeric(d) => WireValue::Decimal(d.to_string()),
        Value::Str(s) | Value::WStr(s) | Value::Text(s) | Value::NText(s) => {
            WireValue::Str(s.clone())
        }
        Value::Date(t) | Value::DbTimestamp(t) | Value::DbTimestamp2(t) | Value::FileTime(t) => {
            WireValue::DateTime(ticks(*t))
        }
        Value::DbDate(d) => WireValue::DateTime(ticks(d.and_time(NaiveTime::MIN))),
        Value::DbTime(t) | Value::DbTime2(t) => {
            WireValue::DateTime(ticks(epoch().date().and_time(*t)))
        }
        Value::DbTimestampOffset(t) => WireValue::DateTime(ticks(t.naive_local())),
        Value::Guid(g) => WireValue::Str(format!("{{{}}}", g.to_string().to_uppercase())),
        Value::Bytes(b) | Value::Image(b) => WireValue::Bytes(b.clone()),
        Value::Object => WireValue::Object,
    }
}

/// A value a script wrote that has no engine value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireValueError {
    /// A decimal text that does not parse; holds it.
    #[error("the decimal \"{0}\" cannot be read")]
    Decimal(String),
    /// A .NET date (in ticks) outside the engine's dates.
    #[error("the date of {0} ticks is out of range")]
    DateOutOfRange(i64),
}

/// What a script wrote, as an engine value; `Ok(None)` for an object that cannot leave the
/// script process (its type name is in the error side of the caller's report).
pub fn from_wire(w: &WireValue) -> Result<Option<Value>, WireValueError> {
    Ok(Some(match w {
        WireValue::Empty => Value::Empty,
        WireValue::Object | WireValue::ObjectOf(_) => return Ok(None),
        WireValue::DbNull => Value::Null(DataType::Null),
        WireValue::Bool(b) => Value::Bool(*b),
        WireValue::Char(c) => Value::WStr(
            char::from_u32(u32::from(*c))
                .unwrap_or('\u{fffd}')
                .to_string(),
        ),
        WireValue::I1(n) => Value::I1(*n),
        WireValue::UI1(n) => Value::UI1(*n),
        WireValue::I2(n) => Value::I2(*n),
        WireValue::UI2(n) => Value::UI2(*n),
        WireValue::I4(n) => Value::I4(*n),
        WireValue::UI4(n) => Value::UI4(*n),
        WireValue::I8(n) => Value::I8(*n),
        WireValue::UI8(n) => Value::UI8(*n),
        WireValue::R4(n) => Value::R4(*n),
        WireValue::R8(n) => Value::R8(*n),
        WireValue::Decimal(s) => {
            Value::Decimal(Decimal::parse(s).ok_or_else(|| WireValueError::Decimal(s.clone()))?)
        }
        WireValue::DateTime(t) => {
            Value::Date(from_ticks(*t).ok_or(WireValueError::DateOutOfRange(*t))?)
        }
        WireValue::Str(s) => Value::WStr(s.clone()),
        WireValue::Bytes(b) => Value::Bytes(b.clone()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_match_dotnet() {
        // DateTime(2000, 1, 1).Ticks in .NET.
        let at = NaiveDate::from_ymd_opt(2000, 1, 1)
            .expect("date")
            .and_hms_opt(0, 0, 0)
            .expect("time");
        assert_eq!(ticks(at), 630_822_816_000_000_000);
        assert_eq!(from_ticks(630_822_816_000_000_000), Some(at));
        let later = at + chrono::Duration::nanoseconds(1_234_567_800);
        assert_eq!(from_ticks(ticks(later)), Some(later));
    }

    #[test]
    fn variable_types_map_to_dotnet_types_and_values_round_trip() {
        assert_eq!(type_code_of(&DataType::I4), type_code::INT32);
        assert_eq!(type_code_of(&DataType::WStr { len: 0 }), type_code::STRING);
        assert_eq!(
            type_code_of(&DataType::Decimal { scale: 10 }),
            type_code::DECIMAL
        );
        assert_eq!(type_code_of(&DataType::Object), type_code::OBJECT);
        for v in [
            Value::I4(-5),
            Value::Bool(true),
            Value::WStr("x".into()),
            Value::R8(1.25),
            Value::I8(1 << 40),
            Value::UI8(7),
            Value::Decimal(Decimal::parse("12.50").expect("decimal")),
        ] {
            assert_eq!(from_wire(&to_wire(&v)).expect("converts"), Some(v));
        }
        assert_eq!(
            from_wire(&WireValue::ObjectOf("X".into())).expect("ok"),
            None
        );
    }
}
