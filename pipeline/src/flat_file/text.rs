//! Text to typed values and back, as the Flat File adapters do it: the source turns a field's
//! text into its column's type (integers and floats with optional surrounding blanks, ISO dates,
//! every other type through the engine's conversions) and reports truncation separately from
//! failure, so the column's two dispositions apply; the destination writes each value in SSIS's
//! text form (the cast-to-string layouts), NULL as an empty field. It must not split or join
//! rows.

use std::fmt::Write as _;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::Array;
use chrono::{Datelike, NaiveDate};
use ssisd_engine::types::{convert, format_float, truncate_chars, DataType, Decimal, Value};

use crate::buffer::values::{days_of, value_at, ColumnBuilder};

/// Why a field's text does not fit its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// The text cannot become a value of the type (the reason).
    CantConvert(String),
    /// The text is longer than the column (the value cut to fit is appended when ignored).
    Truncated,
}

fn blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn int_in<T: TryFrom<i128>>(text: &str) -> Result<T, TextError> {
    let t = text.trim_matches(blank);
    let t = t.strip_prefix('+').unwrap_or(t);
    let v: i128 = if t.is_empty() {
        0
    } else if let Ok(v) = t.parse::<i64>() {
        // The common case, without 128-bit arithmetic.
        v as i128
    } else {
        t.parse()
            .map_err(|_| TextError::CantConvert("the text is not an integer".into()))?
    };
    T::try_from(v).map_err(|_| {
        TextError::CantConvert("the value is out of range for the column type (overflow)".into())
    })
}

fn float(text: &str) -> Result<f64, TextError> {
    let t = text.trim_matches(blank);
    if t.is_empty() {
        return Ok(0.0);
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .ok_or_else(|| TextError::CantConvert("the text is not a number".into()))
}

fn iso_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let y = t[0..4].parse().ok()?;
        let m = t[5..7].parse().ok()?;
        let d = t[8..10].parse().ok()?;
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    None
}

/// Appends the value of `text` for a column of type `ty` to `b`. On `Truncated` nothing is
/// appended: the caller appends the cut value ([`append_truncated`]) or NULL.
pub fn append_text(b: &mut ColumnBuilder, ty: &DataType, text: &str) -> Result<(), TextError> {
    // Decimals, booleans and ISO dates parsed here, once; other text of those types goes
    // through the engine's conversions below (which also word the errors).
    match (&mut *b, ty) {
        (
            ColumnBuilder::Decimal(x, p, s),
            DataType::Numeric { .. } | DataType::Decimal { .. } | DataType::Cy,
        ) => {
            if let Some(d) = Decimal::parse(text.trim_matches(blank)) {
                // The engine's text-to-decimal rule (parse, then rescale), without a Value.
                return match d.rescale(*s) {
                    Some(d) if d.fits(*p) => {
                        x.append_value(d.mantissa());
                        Ok(())
                    }
                    _ => Err(TextError::CantConvert(
                        "the value does not fit the precision (overflow)".into(),
                    )),
                };
            }
        }
        (ColumnBuilder::Bool(x), DataType::Bool) => {
            let t = text.trim_matches(blank);
            if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
                x.append_value(t.eq_ignore_ascii_case("true"));
                return Ok(());
            }
        }
        (ColumnBuilder::Date32(x), DataType::DbDate) => {
            if let Some(d) = iso_date(text.trim_matches(blank)) {
                x.append_value(days_of(&d));
                return Ok(());
            }
        }
        _ => {}
    }
    match (b, ty) {
        (ColumnBuilder::Str(s), DataType::Str { len, .. } | DataType::WStr { len }) => {
            let len = *len as usize;
            if len > 0 && text.len() > len && text.chars().count() > len {
                return Err(TextError::Truncated);
            }
            s.append_value(text);
            Ok(())
        }
        (ColumnBuilder::Str(s), DataType::Text { .. } | DataType::NText) => {
            s.append_value(text);
            Ok(())
        }
        (ColumnBuilder::I1(x), _) => {
            x.append_value(int_in(text)?);
            Ok(())
        }
        (ColumnBuilder::I2(x), _) => {
            x.append_value(int_in(text)?);
            Ok(())
        }
        (ColumnBuilder::I4(x), _) => {
            x.append_value(int_in(text)?);
            Ok(())
        }
        (ColumnBuilder::I8(x), _) => {
            x.append_value(int_in(text)?);
            Ok(())
        }
        (ColumnBuilder::UI1(x), _) => {
            x.append_value(int_in(text)?);
            Ok(())
        }
        (ColumnBuilder::UI2(x), _) => {
            x.append_value(int_in(text)?);
            Ok(())
        }
        (ColumnBuilder::UI4(x), _) => {
            x.append_value(int_in(text)?);
            Ok(())
        }
        (ColumnBuilder::UI8(x), _) => {
            x.append_value(int_in(text)?);
            Ok(())
        }
        (ColumnBuilder::R8(x), _) => {
            x.append_value(float(text)?);
            Ok(())
        }
        (ColumnBuilder::R4(x), _) => {
            let f = float(text)?;
            if f.abs() > f32::MAX as f64 {
                return Err(TextError::CantConvert(
                    "the value is out of range for DT_R4 (overflow)".into(),
                ));
            }
            x.append_value(f as f32);
            Ok(())
        }
        (b, ty) => {
            let v = convert(&Value::WStr(text.trim_matches(blank).to_string()), ty)
                .map_err(|e| TextError::CantConvert(e.reason))?;
            b.append_value(&v);
            Ok(())
        }
    }
}

/// Appends `text` cut to the column's length (Ignore Failure on a truncation).
pub fn append_truncated(b: &mut ColumnBuilder, ty: &DataType, text: &str) {
    let mut s = text.to_string();
    truncate_chars(&mut s, ty.string_len());
    b.append_str(&s);
}

/// The empty value of a column when RetainNulls is off: empty string, zero, false; NULL for
/// types without one (dates, GUIDs).
pub fn append_empty(b: &mut ColumnBuilder, ty: &DataType) {
    match ty {
        DataType::Str { .. } | DataType::WStr { .. } | DataType::Text { .. } | DataType::NText => {
            b.append_str("")
        }
        t if t.is_numeric() => {
            if append_text(b, t, "0").is_err() {
                b.append_null();
            }
        }
        DataType::Bool => b.append_value(&Value::Bool(false)),
        _ => b.append_null(),
    }
}

/// Appends the text form of row `row` of `array` (type `ty`) to `out`; NULL appends nothing.
pub fn write_text(out: &mut String, array: &dyn Array, ty: &DataType, row: usize) {
    if array.is_null(row) {
        return;
    }
    match ty {
        DataType::Str { .. } | DataType::WStr { .. } | DataType::Text { .. } | DataType::NText => {
            out.push_str(array.as_string::<i32>().value(row));
        }
        DataType::I1 => {
            let _ = write!(out, "{}", array.as_primitive::<Int8Type>().value(row));
        }
        DataType::I2 => {
            let _ = write!(out, "{}", array.as_primitive::<Int16Type>().value(row));
        }
        DataType::I4 => {
            let _ = write!(out, "{}", array.as_primitive::<Int32Type>().value(row));
        }
        DataType::I8 => {
            let _ = write!(out, "{}", array.as_primitive::<Int64Type>().value(row));
        }
        DataType::UI1 => {
            let _ = write!(out, "{}", array.as_primitive::<UInt8Type>().value(row));
        }
        DataType::UI2 => {
            let _ = write!(out, "{}", array.as_primitive::<UInt16Type>().value(row));
        }
        DataType::UI4 => {
            let _ = write!(out, "{}", array.as_primitive::<UInt32Type>().value(row));
        }
        DataType::UI8 => {
            let _ = write!(out, "{}", array.as_primitive::<UInt64Type>().value(row));
        }
        DataType::R8 => out.push_str(&format_float(
            array.as_primitive::<Float64Type>().value(row),
            false,
        )),
        DataType::R4 => out.push_str(&format_float(
            array.as_primitive::<Float32Type>().value(row) as f64,
            true,
        )),
        DataType::DbDate => {
            if let Value::DbDate(d) = value_at(array, ty, row) {
                let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
            }
        }
        DataType::Cy | DataType::Decimal { .. } | DataType::Numeric { .. } => {
            let a = array.as_primitive::<arrow_array::types::Decimal128Type>();
            let _ = write!(
                out,
                "{}",
                Decimal::new(a.value(row), a.scale().max(0) as u8)
            );
        }
        _ => value_at(array, ty, row).write_display(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(ty: DataType, text: &str) -> Result<Value, TextError> {
        let mut b = ColumnBuilder::new(&ty, 1);
        append_text(&mut b, &ty, text)?;
        let a = b.finish();
        Ok(value_at(a.as_ref(), &ty, 0))
    }

    #[test]
    fn fields_become_typed_values() {
        assert_eq!(parse(DataType::I4, " 42 "), Ok(Value::I4(42)));
        assert_eq!(parse(DataType::I4, "+7"), Ok(Value::I4(7)));
        assert!(
            matches!(parse(DataType::I2, "70000"), Err(TextError::CantConvert(m)) if m.contains("overflow"))
        );
        assert!(matches!(
            parse(DataType::I4, "12x"),
            Err(TextError::CantConvert(_))
        ));
        assert_eq!(parse(DataType::R8, "1.5"), Ok(Value::R8(1.5)));
        assert_eq!(
            parse(
                DataType::Str {
                    len: 3,
                    code_page: 1252
                },
                "abc"
            ),
            Ok(Value::Str("abc".into()))
        );
        assert_eq!(
            parse(
                DataType::Str {
                    len: 3,
                    code_page: 1252
                },
                "abcd"
            ),
            Err(TextError::Truncated)
        );
        assert_eq!(
            parse(DataType::WStr { len: 2 }, "日本"),
            Ok(Value::WStr("日本".into()))
        );
        assert_eq!(
            parse(
                DataType::Numeric {
                    precision: 12,
                    scale: 2
                },
                "1234.5"
            ),
            Ok(Value::Numeric(ssisd_engine::types::Decimal::new(123450, 2)))
        );
        assert_eq!(
            parse(DataType::DbDate, "2024-02-29"),
            Ok(Value::DbDate(
                NaiveDate::from_ymd_opt(2024, 2, 29).expect("date")
            ))
        );
        assert!(parse(DataType::DbDate, "2024-02-30").is_err());
        assert_eq!(parse(DataType::Bool, "true"), Ok(Value::Bool(true)));
    }

    #[test]
    fn values_are_written_in_their_text_form() {
        let ty = DataType::Numeric {
            precision: 12,
            scale: 2,
        };
        let mut b = ColumnBuilder::new(&ty, 2);
        append_text(&mut b, &ty, "3.1").expect("ok");
        b.append_null();
        let a = b.finish();
        let mut out = String::new();
        write_text(&mut out, a.as_ref(), &ty, 0);
        write_text(&mut out, a.as_ref(), &ty, 1);
        assert_eq!(out, "3.10");
    }
}
