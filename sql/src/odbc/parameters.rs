//! Input parameters for ODBC statements from SSIS values: each [`Value`] becomes the ODBC
//! parameter of its natural C type — integers and floats as themselves, Booleans as `SQL_BIT`,
//! dates and timestamps as ODBC's date and timestamp structures, byte strings as binary, and
//! everything else (text, decimals, times, GUIDs, offsets) as its canonical text, which every
//! driver converts to the column's type. A NULL is a NULL of the value's kind. Used by the
//! data-flow sources (parameters mapped to variables) and OLE DB Command. It only builds
//! parameters; it must not execute anything.

use chrono::{Datelike, Timelike};
use odbc_api::parameter::{InputParameter, VarBinaryBox, VarCharBox, WithDataType};
use odbc_api::sys::{Date, Timestamp};
use odbc_api::{Bit, IntoParameter};
use ssisd_engine::types::{DataType, Value};

fn date(d: &chrono::NaiveDate) -> Date {
    Date {
        year: i16::try_from(d.year()).unwrap_or(i16::MAX),
        month: d.month() as u16,
        day: d.day() as u16,
    }
}

fn timestamp(t: &chrono::NaiveDateTime) -> Timestamp {
    let d = t.date();
    Timestamp {
        year: i16::try_from(d.year()).unwrap_or(i16::MAX),
        month: d.month() as u16,
        day: d.day() as u16,
        hour: t.hour() as u16,
        minute: t.minute() as u16,
        second: t.second() as u16,
        fraction: t.nanosecond().min(999_999_999),
    }
}

/// A NULL of the kind `ty` is bound as.
fn null(ty: &DataType) -> Box<dyn InputParameter> {
    match ty {
        DataType::Bytes { .. } | DataType::Image => Box::new(VarBinaryBox::null()),
        DataType::I1 | DataType::I2 | DataType::I4 | DataType::UI1 | DataType::UI2 => {
            Box::new(None::<i32>.into_parameter())
        }
        DataType::I8 | DataType::UI4 => Box::new(None::<i64>.into_parameter()),
        DataType::R4 | DataType::R8 => Box::new(None::<f64>.into_parameter()),
        _ => Box::new(VarCharBox::null()),
    }
}

/// The ODBC input parameter for `value`.
pub fn input(value: &Value) -> Box<dyn InputParameter> {
    match value {
        Value::Null(ty) => null(ty),
        Value::Empty => Box::new(VarCharBox::null()),
        Value::Bool(b) => Box::new(Bit::from_bool(*b)),
        Value::I1(n) => Box::new(i32::from(*n)),
        Value::I2(n) => Box::new(i32::from(*n)),
        Value::I4(n) => Box::new(*n),
        Value::I8(n) => Box::new(*n),
        Value::UI1(n) => Box::new(i32::from(*n)),
        Value::UI2(n) => Box::new(i32::from(*n)),
        Value::UI4(n) => Box::new(i64::from(*n)),
        Value::R4(n) => Box::new(f64::from(*n)),
        Value::R8(n) => Box::new(*n),
        Value::DbDate(d) => Box::new(WithDataType {
            value: date(d),
            data_type: odbc_api::DataType::Date,
        }),
        Value::Date(t) | Value::DbTimestamp(t) | Value::DbTimestamp2(t) | Value::FileTime(t) => {
            Box::new(WithDataType {
                value: timestamp(t),
                data_type: odbc_api::DataType::Timestamp { precision: 7 },
            })
        }
        Value::Bytes(b) | Value::Image(b) => Box::new(VarBinaryBox::from_vec(b.clone())),
        other => Box::new(VarCharBox::from_string(
            other
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| other.to_display_string()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use odbc_api::handles::HasDataType;

    #[test]
    fn values_bind_as_their_natural_sql_types() {
        use odbc_api::DataType as D;
        assert_eq!(input(&Value::I4(5)).data_type(), D::Integer);
        assert_eq!(input(&Value::I8(5)).data_type(), D::BigInt);
        assert_eq!(input(&Value::R8(1.5)).data_type(), D::Double);
        assert_eq!(input(&Value::Bool(true)).data_type(), D::Bit);
        let d = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(input(&Value::DbDate(d)).data_type(), D::Date);
        assert!(matches!(
            input(&Value::WStr("x".into())).data_type(),
            D::Varchar { .. }
        ));
        assert!(matches!(
            input(&Value::Null(DataType::I4)).data_type(),
            D::Integer
        ));
    }
}
