//! Runtime values of the expression language: one variant per SSIS type, SSIS's text form of each
//! value (`to_display_string`), and reading a variable's stored text into a value. It must not
//! convert between types (that is `convert.rs`) nor evaluate operators.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::data_type::DataType;
use super::decimal::Decimal;
use super::error::VariableTextError;

/// A value of one SSIS type. `Null` carries the type of the missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null(DataType),
    Empty,
    Bool(bool),
    I1(i8),
    I2(i16),
    I4(i32),
    I8(i64),
    UI1(u8),
    UI2(u16),
    UI4(u32),
    UI8(u64),
    R4(f32),
    R8(f64),
    /// DT_CY: scale 4.
    Cy(Decimal),
    /// DT_DECIMAL; the scale is the value's own.
    Decimal(Decimal),
    /// DT_NUMERIC; the scale is the value's own.
    Numeric(Decimal),
    Str(String),
    WStr(String),
    Text(String),
    NText(String),
    Date(NaiveDateTime),
    DbDate(NaiveDate),
    DbTime(NaiveTime),
    DbTime2(NaiveTime),
    DbTimestamp(NaiveDateTime),
    DbTimestamp2(NaiveDateTime),
    DbTimestampOffset(DateTime<FixedOffset>),
    FileTime(NaiveDateTime),
    Guid(uuid::Uuid),
    Bytes(Vec<u8>),
    Image(Vec<u8>),
    /// An Object variable's value: opaque to expressions.
    Object,
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null(_))
    }

    /// The value's type; parameters (lengths, scales) are taken from the value where it has them.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null(t) => *t,
            Value::Empty => DataType::Empty,
            Value::Bool(_) => DataType::Bool,
            Value::I1(_) => DataType::I1,
            Value::I2(_) => DataType::I2,
            Value::I4(_) => DataType::I4,
            Value::I8(_) => DataType::I8,
            Value::UI1(_) => DataType::UI1,
            Value::UI2(_) => DataType::UI2,
            Value::UI4(_) => DataType::UI4,
            Value::UI8(_) => DataType::UI8,
            Value::R4(_) => DataType::R4,
            Value::R8(_) => DataType::R8,
            Value::Cy(_) => DataType::Cy,
            Value::Decimal(d) => DataType::Decimal {
                scale: d.scale().min(28),
            },
            Value::Numeric(d) => DataType::Numeric {
                precision: (d.digits().max(d.scale() as u32 + 1) as u8).min(38),
                scale: d.scale(),
            },
            Value::Str(s) => DataType::Str {
                len: s.chars().count() as u32,
                code_page: 1252,
            },
            Value::WStr(s) => DataType::WStr {
                len: s.chars().count() as u32,
            },
            Value::Text(_) => DataType::Text { code_page: 1252 },
            Value::NText(_) => DataType::NText,
            Value::Date(_) => DataType::Date,
            Value::DbDate(_) => DataType::DbDate,
            Value::DbTime(_) => DataType::DbTime,
            Value::DbTime2(_) => DataType::DbTime2 { scale: 7 },
            Value::DbTimestamp(_) => DataType::DbTimestamp,
            Value::DbTimestamp2(_) => DataType::DbTimestamp2 { scale: 7 },
            Value::DbTimestampOffset(_) => DataType::DbTimestampOffset { scale: 7 },
            Value::FileTime(_) => DataType::FileTime,
            Value::Guid(_) => DataType::Guid,
            Value::Bytes(b) => DataType::Bytes {
                len: b.len() as u32,
            },
            Value::Image(_) => DataType::Image,
            Value::Object => DataType::Object,
        }
    }

    /// The string inside a string-typed value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::WStr(s) | Value::Text(s) | Value::NText(s) => Some(s),
            _ => None,
        }
    }

    /// SSIS's text form of the value: what a cast to DT_WSTR produces and what `dtexec` prints.
    /// NULL gives an empty string.
    pub fn to_display_string(&self) -> String {
        let mut out = String::new();
        self.write_display(&mut out);
        out
    }

    /// Appends the text form to `out` (no allocation for numbers beyond `out`'s growth).
    pub fn write_display(&self, out: &mut String) {
        match self {
            Value::Null(_) | Value::Empty | Value::Object => {}
            Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Value::I1(v) => push_display(out, v),
            Value::I2(v) => push_display(out, v),
            Value::I4(v) => push_display(out, v),
            Value::I8(v) => push_display(out, v),
            Value::UI1(v) => push_display(out, v),
            Value::UI2(v) => push_display(out, v),
            Value::UI4(v) => push_display(out, v),
            Value::UI8(v) => push_display(out, v),
            Value::R4(v) => out.push_str(&format_float(*v as f64, true)),
            Value::R8(v) => out.push_str(&format_float(*v, false)),
            Value::Cy(d) | Value::Decimal(d) | Value::Numeric(d) => push_display(out, d),
            Value::Str(s) | Value::WStr(s) | Value::Text(s) | Value::NText(s) => out.push_str(s),
            Value::Date(d) => {
                let (pm, hour) = d.hour12();
                let _ = write!(
                    out,
                    "{}/{}/{} {}:{:02}:{:02} {}",
                    d.month(),
                    d.day(),
                    d.year(),
                    hour,
                    d.minute(),
                    d.second(),
                    if pm { "PM" } else { "AM" }
                );
            }
            Value::DbDate(d) => {
                let _ = write!(out, "{}", d.format("%Y-%m-%d"));
            }
            Value::DbTime(t) => {
                let _ = write!(out, "{}", t.format("%H:%M:%S"));
            }
            Value::DbTime2(t) => {
                let _ = write!(out, "{}", t.format("%H:%M:%S"));
                push_fraction(out, t.nanosecond(), 7);
            }
            Value::DbTimestamp(d) => {
                let _ = write!(out, "{}", d.format("%Y-%m-%d %H:%M:%S"));
                push_fraction(out, d.nanosecond(), 9);
            }
            Value::DbTimestamp2(d) => {
                let _ = write!(out, "{}", d.format("%Y-%m-%d %H:%M:%S"));
                push_fraction(out, d.nanosecond(), 7);
            }
            Value::DbTimestampOffset(d) => {
                let _ = write!(out, "{}", d.format("%Y-%m-%d %H:%M:%S"));
                push_fraction(out, d.nanosecond(), 7);
                let secs = d.offset().local_minus_utc();
                let sign = if secs < 0 { '-' } else { '+' };
                let secs = secs.abs();
                let _ = write!(out, " {sign}{:02}:{:02}", secs / 3600, (secs % 3600) / 60);
            }
            Value::FileTime(d) => {
                let _ = write!(
                    out,
                    "{}:{:03}",
                    d.format("%Y-%m-%d %H:%M:%S"),
                    d.nanosecond() / 1_000_000
                );
            }
            Value::Guid(g) => {
                let _ = write!(
                    out,
                    "{{{}}}",
                    g.hyphenated().to_string().to_ascii_uppercase()
                );
            }
            Value::Bytes(b) | Value::Image(b) => {
                for byte in b {
                    let _ = write!(out, "{byte:02X}");
                }
            }
        }
    }

    /// Reads a variable's stored text (`DTS:VariableValue`) given its `DTS:DataType` code.
    /// Booleans accept `-1`/`0`/`1`/`True`/`False`; dates `M/D/YYYY h:mm:ss AM` and ISO forms.
    pub fn from_variable_text(code: i32, text: &str) -> Result<Value, VariableTextError> {
        let ty =
            DataType::from_variable_code(code).ok_or(VariableTextError::UnknownTypeCode(code))?;
        let t = text.trim();
        let bad = || VariableTextError::InvalidValue {
            text: text.to_string(),
            type_name: ty.static_name(),
        };
        Ok(match ty {
            DataType::WStr { .. } => Value::WStr(text.to_string()),
            DataType::Object => Value::Object,
            DataType::Bool => match t.to_ascii_lowercase().as_str() {
                "-1" | "1" | "true" => Value::Bool(true),
                "0" | "false" | "" => Value::Bool(false),
                _ => return Err(bad()),
            },
            DataType::I1 => Value::I1(parse_int(t).ok_or_else(bad)?),
            DataType::I2 => Value::I2(parse_int(t).ok_or_else(bad)?),
            DataType::I4 => Value::I4(parse_int(t).ok_or_else(bad)?),
            DataType::I8 => Value::I8(parse_int(t).ok_or_else(bad)?),
            DataType::UI1 => Value::UI1(parse_int(t).ok_or_else(bad)?),
            DataType::UI2 => Value::UI2(parse_int(t).ok_or_else(bad)?),
            DataType::UI4 => Value::UI4(parse_int(t).ok_or_else(bad)?),
            DataType::UI8 => Value::UI8(parse_int(t).ok_or_else(bad)?),
            DataType::R4 => Value::R4(if t.is_empty() {
                0.0
            } else {
                t.parse().map_err(|_| bad())?
            }),
            DataType::R8 => Value::R8(if t.is_empty() {
                0.0
            } else {
                t.parse().map_err(|_| bad())?
            }),
            DataType::Cy => {
                let d = if t.is_empty() {
                    Some(Decimal::ZERO)
                } else {
                    Decimal::parse(t)
                };
                Value::Cy(d.and_then(|d| d.rescale(4)).ok_or_else(bad)?)
            }
            DataType::Decimal { .. } => {
                let d = if t.is_empty() {
                    Some(Decimal::ZERO)
                } else {
                    Decimal::parse(t)
                };
                Value::Decimal(d.ok_or_else(bad)?)
            }
            DataType::Date => Value::Date(parse_datetime_text(t).ok_or_else(bad)?),
            _ => return Err(bad()),
        })
    }
}

fn parse_int<T: std::str::FromStr>(t: &str) -> Option<T> {
    if t.is_empty() {
        return "0".parse().ok();
    }
    t.strip_prefix('+').unwrap_or(t).parse().ok()
}

fn push_display<T: std::fmt::Display>(out: &mut String, v: T) {
    let _ = write!(out, "{v}");
}

/// Fractional seconds with `digits` digits (no separator when `digits` is 0 or the value has
/// no fraction and `digits` is the DT_DBTIME2/DT_DBTIMESTAMP2 style).
fn push_fraction(out: &mut String, nanos: u32, digits: u32) {
    let nanos = nanos.min(999_999_999);
    if digits == 9 {
        let _ = write!(out, ".{nanos:09}");
        return;
    }
    if nanos == 0 {
        return;
    }
    let scaled = nanos / 10u32.pow(9 - digits);
    let text = format!("{scaled:0width$}", width = digits as usize);
    out.push('.');
    out.push_str(text.trim_end_matches('0'));
}

/// Text form of a floating-point number: shortest round-trip digits, exponent form (`1E+20`)
/// for very large or small magnitudes.
pub fn format_float(v: f64, single: bool) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let a = v.abs();
    let limit = if single { 1e7 } else { 1e15 };
    if a != 0.0 && !(1e-5..limit).contains(&a) {
        let text = if single {
            format!("{:E}", v as f32)
        } else {
            format!("{v:E}")
        };
        // Rust writes 1E20 / 1E-7; SSIS writes 1E+20 / 1E-07.
        if let Some((m, e)) = text.split_once('E') {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            return format!("{m}E{sign}{digits:0>2}");
        }
        return text;
    }
    if single {
        format!("{}", v as f32)
    } else {
        format!("{v}")
    }
}

/// Parses date-time text as variables store it: `M/D/YYYY h:mm:ss AM`, `M/D/YYYY`, ISO
/// `YYYY-MM-DD[ T]hh:mm:ss[.fff]`, `YYYY-MM-DD`.
pub fn parse_datetime_text(t: &str) -> Option<NaiveDateTime> {
    let t = t.trim();
    const FORMATS: &[&str] = &[
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ];
    for f in FORMATS {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Some(d);
        }
    }
    for f in ["%m/%d/%Y", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return d.and_hms_opt(0, 0, 0);
        }
    }
    // Offsets such as 2024-01-02T03:04:05+01:00: keep the local part.
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.naive_local())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, mi, s)
            .unwrap()
    }

    #[test]
    fn variable_text() {
        assert_eq!(Value::from_variable_text(11, "-1"), Ok(Value::Bool(true)));
        assert_eq!(Value::from_variable_text(11, "0"), Ok(Value::Bool(false)));
        assert_eq!(Value::from_variable_text(11, "True"), Ok(Value::Bool(true)));
        assert_eq!(
            Value::from_variable_text(11, "false"),
            Ok(Value::Bool(false))
        );
        assert!(Value::from_variable_text(11, "maybe").is_err());
        assert_eq!(Value::from_variable_text(3, "42"), Ok(Value::I4(42)));
        assert_eq!(Value::from_variable_text(3, ""), Ok(Value::I4(0)));
        assert!(Value::from_variable_text(3, "4x").is_err());
        assert!(Value::from_variable_text(16, "300").is_err());
        assert_eq!(
            Value::from_variable_text(20, "-9000000000"),
            Ok(Value::I8(-9_000_000_000))
        );
        assert_eq!(
            Value::from_variable_text(21, "18446744073709551615"),
            Ok(Value::UI8(u64::MAX))
        );
        assert_eq!(Value::from_variable_text(5, "1.5"), Ok(Value::R8(1.5)));
        assert_eq!(
            Value::from_variable_text(8, " a b "),
            Ok(Value::WStr(" a b ".into()))
        );
        assert_eq!(Value::from_variable_text(13, "x"), Ok(Value::Object));
        assert_eq!(
            Value::from_variable_text(7, "1/15/2024 1:05:09 PM"),
            Ok(Value::Date(dt(2024, 1, 15, 13, 5, 9)))
        );
        assert_eq!(
            Value::from_variable_text(7, "12/30/1899"),
            Ok(Value::Date(dt(1899, 12, 30, 0, 0, 0)))
        );
        assert_eq!(
            Value::from_variable_text(7, "2024-03-04T05:06:07"),
            Ok(Value::Date(dt(2024, 3, 4, 5, 6, 7)))
        );
        assert_eq!(
            Value::from_variable_text(6, "1.5").map(|v| v.to_display_string()),
            Ok("1.5000".to_string())
        );
        assert!(Value::from_variable_text(99, "1").is_err());
    }

    #[test]
    fn display_forms() {
        assert_eq!(Value::Bool(true).to_display_string(), "True");
        assert_eq!(Value::I4(-5).to_display_string(), "-5");
        assert_eq!(Value::R8(1.5).to_display_string(), "1.5");
        assert_eq!(Value::R8(1e20).to_display_string(), "1E+20");
        assert_eq!(Value::R8(1e-7).to_display_string(), "1E-07");
        assert_eq!(
            Value::Date(dt(2024, 1, 15, 0, 5, 9)).to_display_string(),
            "1/15/2024 12:05:09 AM"
        );
        assert_eq!(
            Value::DbTimestamp(dt(2024, 1, 15, 13, 5, 9)).to_display_string(),
            "2024-01-15 13:05:09.000000000"
        );
        assert_eq!(
            Value::DbDate(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()).to_display_string(),
            "2024-02-29"
        );
        assert_eq!(Value::Bytes(vec![0x0a, 0xff]).to_display_string(), "0AFF");
        assert_eq!(Value::Null(DataType::I4).to_display_string(), "");
    }
}
