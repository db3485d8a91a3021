//! Conversion of a value to another SSIS type: the run-time half of casts (and of the implicit
//! promotions the checker inserts), plus `can_cast`, the compile-time legality matrix. It owns
//! range/overflow errors and the string forms dates are parsed from; it must not decide which
//! conversions an operator needs (that is `check.rs`).

use chrono::{
    DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike,
};

use super::data_type::{DataType, CY_SCALE, DECIMAL_PRECISION};
use super::decimal::Decimal;
use super::error::ConversionError;
use super::value::{parse_datetime_text, Value};

/// The day OLE automation dates count from, also the date given to time-only values.
pub fn base_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Bool,
    Num,
    Str,
    Date,
    Guid,
    Bytes,
    Other,
    Null,
}

fn class(t: &DataType) -> Class {
    match t {
        DataType::Null | DataType::Empty => Class::Null,
        DataType::Bool => Class::Bool,
        t if t.is_numeric() => Class::Num,
        DataType::Str { .. } | DataType::WStr { .. } | DataType::Text { .. } | DataType::NText => {
            Class::Str
        }
        t if t.is_date() => Class::Date,
        DataType::Guid => Class::Guid,
        DataType::Bytes { .. } | DataType::Image => Class::Bytes,
        _ => Class::Other,
    }
}

/// Whether a cast from `from` to `to` is legal.
pub fn can_cast(from: &DataType, to: &DataType) -> bool {
    let (f, t) = (class(from), class(to));
    if f == Class::Null {
        return t != Class::Other;
    }
    match t {
        Class::Num => {
            matches!(f, Class::Bool | Class::Num | Class::Str) || (*from == DataType::Date)
        }
        Class::Bool => matches!(f, Class::Bool | Class::Num | Class::Str),
        Class::Str => f != Class::Other,
        Class::Date => match f {
            Class::Str => true,
            Class::Num => *to == DataType::Date,
            Class::Date => {
                // A time cannot become a date and a date without time cannot become a time.
                let date_from_time = to == &DataType::DbDate && from.is_time_only();
                let time_from_date = to.is_time_only() && from == &DataType::DbDate;
                !(date_from_time || time_from_date)
            }
            _ => false,
        },
        Class::Guid => matches!(f, Class::Guid | Class::Str),
        Class::Bytes => matches!(f, Class::Bytes | Class::Guid | Class::Str),
        Class::Other | Class::Null => false,
    }
}

fn conv_err(v: &Value, to: &DataType, reason: impl Into<String>) -> ConversionError {
    let shown = match v {
        Value::Str(s) | Value::WStr(s) | Value::Text(s) | Value::NText(s) => format!("\"{s}\""),
        other => format!(
            "{} ({})",
            other.to_display_string(),
            other.data_type().static_name()
        ),
    };
    ConversionError {
        value: shown,
        ty: to.to_string(),
        reason: reason.into(),
    }
}

/// An intermediate numeric form.
enum Num {
    I(i128),
    F(f64),
    D(Decimal),
}

fn to_num(v: &Value, to: &DataType) -> Result<Num, ConversionError> {
    Ok(match v {
        Value::Bool(b) => {
            // TRUE is -1 in the expression language; unsigned types get 1.
            if *b {
                if to.is_unsigned_int() {
                    Num::I(1)
                } else {
                    Num::I(-1)
                }
            } else {
                Num::I(0)
            }
        }
        Value::I1(x) => Num::I(*x as i128),
        Value::I2(x) => Num::I(*x as i128),
        Value::I4(x) => Num::I(*x as i128),
        Value::I8(x) => Num::I(*x as i128),
        Value::UI1(x) => Num::I(*x as i128),
        Value::UI2(x) => Num::I(*x as i128),
        Value::UI4(x) => Num::I(*x as i128),
        Value::UI8(x) => Num::I(*x as i128),
        Value::R4(x) => Num::F(*x as f64),
        Value::R8(x) => Num::F(*x),
        Value::Cy(d) | Value::Decimal(d) | Value::Numeric(d) => Num::D(*d),
        Value::Date(d) => {
            let start = base_date().and_hms_opt(0, 0, 0).unwrap_or_default();
            let diff = *d - start;
            let millis = diff.num_milliseconds() as f64;
            Num::F(millis / 86_400_000.0)
        }
        Value::Str(s) | Value::WStr(s) | Value::Text(s) | Value::NText(s) => {
            let t = s.trim();
            if to.is_integer() {
                match t.strip_prefix('+').unwrap_or(t).parse::<i128>() {
                    Ok(i) => Num::I(i),
                    Err(_) => return Err(conv_err(v, to, "the text is not an integer")),
                }
            } else if to.is_float() {
                match t.parse::<f64>() {
                    Ok(f) => Num::F(f),
                    Err(_) => return Err(conv_err(v, to, "the text is not a number")),
                }
            } else {
                match Decimal::parse(t) {
                    Some(d) => Num::D(d),
                    None => return Err(conv_err(v, to, "the text is not a number")),
                }
            }
        }
        _ => return Err(conv_err(v, to, "the conversion is not supported")),
    })
}

fn int_in<T: TryFrom<i128>>(i: i128, v: &Value, to: &DataType) -> Result<T, ConversionError> {
    T::try_from(i).map_err(|_| conv_err(v, to, "the value is out of range (overflow)"))
}

fn num_to_int(n: Num, v: &Value, to: &DataType) -> Result<i128, ConversionError> {
    match n {
        Num::I(i) => Ok(i),
        Num::F(f) => {
            if !f.is_finite() || f.abs() > 1.8e38 {
                return Err(conv_err(v, to, "the value is out of range (overflow)"));
            }
            Ok(f.round() as i128)
        }
        Num::D(d) => Ok(d.round_to_integer()),
    }
}

fn num_to_decimal(n: Num, scale: u8, v: &Value, to: &DataType) -> Result<Decimal, ConversionError> {
    let overflow = || conv_err(v, to, "the value is out of range (overflow)");
    match n {
        Num::I(i) => Decimal::from_i128(i).rescale(scale).ok_or_else(overflow),
        Num::F(f) => Decimal::from_f64(f, scale).ok_or_else(overflow),
        Num::D(d) => d.rescale(scale).ok_or_else(overflow),
    }
}

/// A lenient date/time reading: optional date, optional time, optional offset in seconds.
struct Parts {
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
    offset: Option<i32>,
}

fn parse_parts(text: &str) -> Option<Parts> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    // Offset at the end: "+ 5:35", "-3:30", "+05:30".
    let mut body = t;
    let mut offset = None;
    if let Some(pos) = t.rfind(['+', '-']) {
        let tail = t[pos + 1..].trim();
        let head = t[..pos].trim_end();
        // A date's own dashes are followed by more date text; an offset is h:mm at the end
        // after a time.
        if head.contains(':') {
            if let Some((h, m)) = tail.split_once(':') {
                if let (Ok(h), Ok(m)) = (h.trim().parse::<i32>(), m.trim().parse::<i32>()) {
                    if (0..=14).contains(&h) && (0..60).contains(&m) {
                        let secs = h * 3600 + m * 60;
                        offset = Some(if &t[pos..pos + 1] == "-" { -secs } else { secs });
                        body = head;
                    }
                }
            }
        }
    }
    let (date_text, time_text) = if body.contains(':') {
        match body.find([' ', 'T']) {
            Some(i) if body[..i].contains(['-', '/']) => {
                (Some(&body[..i]), Some(body[i + 1..].trim()))
            }
            _ => (None, Some(body)),
        }
    } else {
        (Some(body), None)
    };
    let date = match date_text {
        Some(d) => Some(
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(d, "%m/%d/%Y"))
                .ok()?,
        ),
        None => None,
    };
    let time = match time_text {
        Some(tt) => Some(parse_time(tt)?),
        None => None,
    };
    Some(Parts { date, time, offset })
}

/// `hh:mm[:ss[.fffffff | :fff]] [AM|PM]`.
fn parse_time(t: &str) -> Option<NaiveTime> {
    let upper = t.trim().to_ascii_uppercase();
    let (clock, ampm) = if let Some(c) = upper.strip_suffix("PM") {
        (c.trim_end(), Some(true))
    } else if let Some(c) = upper.strip_suffix("AM") {
        (c.trim_end(), Some(false))
    } else {
        (upper.as_str(), None)
    };
    let mut fields = clock.split(':');
    let h: u32 = fields.next()?.trim().parse().ok()?;
    let m: u32 = fields.next()?.trim().parse().ok()?;
    let (s, mut nanos) = match fields.next() {
        Some(sec) => match sec.split_once('.') {
            Some((s, f)) => (s.parse::<u32>().ok()?, frac_nanos(f)?),
            None => (sec.parse::<u32>().ok()?, 0),
        },
        None => (0, 0),
    };
    // DT_FILETIME form hh:mm:ss:fff.
    if let Some(ms) = fields.next() {
        nanos = frac_nanos(ms)?;
    }
    if fields.next().is_some() {
        return None;
    }
    let h = match ampm {
        Some(pm) => {
            if !(1..=12).contains(&h) {
                return None;
            }
            (h % 12) + if pm { 12 } else { 0 }
        }
        None => h,
    };
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
}

fn frac_nanos(f: &str) -> Option<u32> {
    if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u32 = f.parse().ok()?;
    Some(v * 10u32.pow(9 - f.len() as u32))
}

/// A date value as local date-time plus offset (if it has one).
pub fn date_parts(v: &Value) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    Some(match v {
        Value::Date(d) | Value::DbTimestamp(d) | Value::DbTimestamp2(d) | Value::FileTime(d) => {
            (*d, None)
        }
        Value::DbDate(d) => (d.and_hms_opt(0, 0, 0)?, None),
        Value::DbTime(t) | Value::DbTime2(t) => (base_date().and_time(*t), None),
        Value::DbTimestampOffset(d) => (d.naive_local(), Some(*d.offset())),
        _ => return None,
    })
}

fn truncate_nanos(t: NaiveDateTime, digits: u8) -> NaiveDateTime {
    let keep = 10u32.pow(9 - digits.min(9) as u32);
    let n = t.nanosecond() % 1_000_000_000;
    t.with_nanosecond(n - n % keep).unwrap_or(t)
}

fn build_date(
    dt: NaiveDateTime,
    offset: Option<FixedOffset>,
    to: &DataType,
    v: &Value,
) -> Result<Value, ConversionError> {
    Ok(match to {
        DataType::Date => Value::Date(truncate_nanos(dt, 3)),
        DataType::DbDate => Value::DbDate(dt.date()),
        DataType::DbTime => Value::DbTime(truncate_nanos(dt, 0).time()),
        DataType::DbTime2 { scale } => Value::DbTime2(truncate_nanos(dt, *scale).time()),
        DataType::DbTimestamp => Value::DbTimestamp(truncate_nanos(dt, 3)),
        DataType::DbTimestamp2 { scale } => Value::DbTimestamp2(truncate_nanos(dt, *scale)),
        DataType::FileTime => Value::FileTime(truncate_nanos(dt, 3)),
        DataType::DbTimestampOffset { scale } => {
            let off = offset.unwrap_or_else(|| FixedOffset::east_opt(0).unwrap_or(utc_offset()));
            let local = truncate_nanos(dt, *scale);
            match off.from_local_datetime(&local).single() {
                Some(d) => Value::DbTimestampOffset(d),
                None => return Err(conv_err(v, to, "the date is out of range")),
            }
        }
        _ => return Err(conv_err(v, to, "the conversion is not supported")),
    })
}

fn utc_offset() -> FixedOffset {
    // east_opt(0) cannot fail; this keeps the code free of unwraps.
    FixedOffset::east_opt(0).unwrap_or_else(|| DateTime::UNIX_EPOCH.fixed_offset().timezone())
}

/// Converts `v` to `to`. NULL stays NULL (of the new type). Strings longer than a target length
/// are cut silently (SSIS truncates at run time and warns at validation).
pub fn convert(v: &Value, to: &DataType) -> Result<Value, ConversionError> {
    if let Value::Null(_) = v {
        return Ok(Value::Null(*to));
    }
    match to {
        DataType::Bool => match v {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::Str(s) | Value::WStr(s) | Value::Text(s) | Value::NText(s) => {
                let t = s.trim();
                if t.eq_ignore_ascii_case("true") {
                    Ok(Value::Bool(true))
                } else if t.eq_ignore_ascii_case("false") {
                    Ok(Value::Bool(false))
                } else {
                    match Decimal::parse(t) {
                        Some(d) => Ok(Value::Bool(!d.is_zero())),
                        None => Err(conv_err(v, to, "the text is not a Boolean")),
                    }
                }
            }
            other => match to_num(other, &DataType::R8)? {
                Num::I(i) => Ok(Value::Bool(i != 0)),
                Num::F(f) => Ok(Value::Bool(f != 0.0)),
                Num::D(d) => Ok(Value::Bool(!d.is_zero())),
            },
        },
        DataType::I1 => Ok(Value::I1(int_in(
            num_to_int(to_num(v, to)?, v, to)?,
            v,
            to,
        )?)),
        DataType::I2 => Ok(Value::I2(int_in(
            num_to_int(to_num(v, to)?, v, to)?,
            v,
            to,
        )?)),
        DataType::I4 => Ok(Value::I4(int_in(
            num_to_int(to_num(v, to)?, v, to)?,
            v,
            to,
        )?)),
        DataType::I8 => Ok(Value::I8(int_in(
            num_to_int(to_num(v, to)?, v, to)?,
            v,
            to,
        )?)),
        DataType::UI1 => Ok(Value::UI1(int_in(
            num_to_int(to_num(v, to)?, v, to)?,
            v,
            to,
        )?)),
        DataType::UI2 => Ok(Value::UI2(int_in(
            num_to_int(to_num(v, to)?, v, to)?,
            v,
            to,
        )?)),
        DataType::UI4 => Ok(Value::UI4(int_in(
            num_to_int(to_num(v, to)?, v, to)?,
            v,
            to,
        )?)),
        DataType::UI8 => Ok(Value::UI8(int_in(
            num_to_int(to_num(v, to)?, v, to)?,
            v,
            to,
        )?)),
        DataType::R4 | DataType::R8 => {
            let f = match to_num(v, to)? {
                Num::I(i) => i as f64,
                Num::F(f) => f,
                Num::D(d) => d.to_f64(),
            };
            if *to == DataType::R4 {
                if f.is_finite() && f.abs() > f32::MAX as f64 {
                    return Err(conv_err(v, to, "the value is out of range (overflow)"));
                }
                Ok(Value::R4(f as f32))
            } else {
                Ok(Value::R8(f))
            }
        }
        DataType::Cy => {
            let d = num_to_decimal(to_num(v, to)?, CY_SCALE, v, to)?;
            if i64::try_from(d.mantissa()).is_err() {
                return Err(conv_err(v, to, "the value is out of range (overflow)"));
            }
            Ok(Value::Cy(d))
        }
        DataType::Decimal { scale } => {
            let d = num_to_decimal(to_num(v, to)?, *scale, v, to)?;
            if !d.fits(DECIMAL_PRECISION) {
                return Err(conv_err(
                    v,
                    to,
                    "the value does not fit the precision (overflow)",
                ));
            }
            Ok(Value::Decimal(d))
        }
        DataType::Numeric { precision, scale } => {
            let d = num_to_decimal(to_num(v, to)?, *scale, v, to)?;
            if !d.fits(*precision) {
                return Err(conv_err(
                    v,
                    to,
                    "the value does not fit the precision (overflow)",
                ));
            }
            Ok(Value::Numeric(d))
        }
        DataType::Str { len, .. } | DataType::WStr { len } => {
            let mut s = match v {
                Value::Str(s) | Value::WStr(s) | Value::Text(s) | Value::NText(s) => s.clone(),
                Value::Object => return Err(conv_err(v, to, "an Object cannot become a string")),
                other => other.to_display_string(),
            };
            truncate_chars(&mut s, *len);
            Ok(if matches!(to, DataType::Str { .. }) {
                Value::Str(s)
            } else {
                Value::WStr(s)
            })
        }
        DataType::Text { .. } => Ok(Value::Text(v.to_display_string())),
        DataType::NText => Ok(Value::NText(v.to_display_string())),
        t if t.is_date() => {
            if let Some((dt, off)) = date_parts(v) {
                if (*to == DataType::DbDate && v.data_type().is_time_only())
                    || (to.is_time_only() && matches!(v, Value::DbDate(_)))
                {
                    return Err(conv_err(v, to, "the conversion is not supported"));
                }
                return build_date(dt, off, to, v);
            }
            if let Some(s) = v.as_str() {
                return parse_date_for(s, v, to);
            }
            if *to == DataType::Date {
                let days = match to_num(v, to)? {
                    Num::I(i) => i as f64,
                    Num::F(f) => f,
                    Num::D(d) => d.to_f64(),
                };
                let millis = (days * 86_400_000.0).round();
                if !millis.is_finite() || millis.abs() > 1e15 {
                    return Err(conv_err(v, to, "the date is out of range"));
                }
                let start = base_date().and_hms_opt(0, 0, 0).unwrap_or_default();
                let d = start
                    .checked_add_signed(Duration::milliseconds(millis as i64))
                    .ok_or_else(|| conv_err(v, to, "the date is out of range"))?;
                return Ok(Value::Date(d));
            }
            Err(conv_err(v, to, "the conversion is not supported"))
        }
        DataType::Guid => match v {
            Value::Guid(g) => Ok(Value::Guid(*g)),
            other => match other.as_str() {
                Some(s) => {
                    let t = s.trim().trim_start_matches('{').trim_end_matches('}');
                    uuid::Uuid::parse_str(t)
                        .map(Value::Guid)
                        .map_err(|_| conv_err(v, to, "the text is not a GUID"))
                }
                None => Err(conv_err(v, to, "the conversion is not supported")),
            },
        },
        DataType::Bytes { len } => {
            let mut b =
                to_bytes(v).ok_or_else(|| conv_err(v, to, "the conversion is not supported"))?;
            if *len > 0 && b.len() > *len as usize {
                b.truncate(*len as usize);
            }
            Ok(Value::Bytes(b))
        }
        DataType::Image => {
            Ok(Value::Image(to_bytes(v).ok_or_else(|| {
                conv_err(v, to, "the conversion is not supported")
            })?))
        }
        _ => Err(conv_err(v, to, "the conversion is not supported")),
    }
}

fn to_bytes(v: &Value) -> Option<Vec<u8>> {
    Some(match v {
        Value::Bytes(b) | Value::Image(b) => b.clone(),
        Value::Guid(g) => g.to_bytes_le().to_vec(),
        Value::WStr(s) | Value::NText(s) => {
            s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
        }
        Value::Str(s) | Value::Text(s) => s.as_bytes().to_vec(),
        _ => return None,
    })
}

/// Cuts a string to `len` characters (0 = no limit).
pub fn truncate_chars(s: &mut String, len: u32) {
    if len == 0 {
        return;
    }
    if let Some((idx, _)) = s.char_indices().nth(len as usize) {
        s.truncate(idx);
    }
}

fn parse_date_for(s: &str, v: &Value, to: &DataType) -> Result<Value, ConversionError> {
    let bad = || conv_err(v, to, "the text is not a valid date/time for this type");
    if *to == DataType::Date {
        if let Some(d) = parse_datetime_text(s) {
            return Ok(Value::Date(d));
        }
    }
    let parts = parse_parts(s).ok_or_else(bad)?;
    if to.is_time_only() {
        if parts.date.is_some() && parts.time.is_none() {
            return Err(bad());
        }
        let t = parts.time.ok_or_else(bad)?;
        return build_date(base_date().and_time(t), None, to, v);
    }
    let date = parts.date.ok_or_else(bad)?;
    if *to == DataType::DbDate && parts.time.is_some() {
        return Err(bad());
    }
    let time = parts.time.unwrap_or_default();
    let offset = match parts.offset {
        Some(secs) => Some(FixedOffset::east_opt(secs).ok_or_else(bad)?),
        None => None,
    };
    if offset.is_some() && !matches!(to, DataType::DbTimestampOffset { .. }) {
        return Err(bad());
    }
    build_date(date.and_time(time), offset, to, v)
}
