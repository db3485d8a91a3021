//! The date/time functions DATEADD, DATEDIFF, DATEPART, DAY, MONTH, YEAR, GETDATE and GETUTCDATE,
//! and the date parts with their abbreviations. It must not parse date text (casts do that) nor
//! handle NULL propagation (the catalogue does).

use chrono::{Datelike, Duration, Local, Months, NaiveDate, NaiveDateTime, Timelike, Utc};

use super::{arg_int, arg_str, fail, plain, ArgInfo, CheckFailure, Func, Signature};
use crate::expr::error::EvalError;
use crate::types::date_parts;
use crate::types::DataType;
use crate::types::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatePart {
    Year,
    Quarter,
    Month,
    DayOfYear,
    Day,
    Week,
    Weekday,
    Hour,
    Minute,
    Second,
    Millisecond,
}

impl DatePart {
    /// Reads a date part name or abbreviation (any case). `w` means weekday only for DATEADD and
    /// DATEDIFF, not DATEPART.
    pub fn parse(name: &str, for_datepart: bool) -> Option<DatePart> {
        let n = name.trim().to_ascii_lowercase();
        Some(match n.as_str() {
            "year" | "yy" | "yyyy" => DatePart::Year,
            "quarter" | "qq" | "q" => DatePart::Quarter,
            "month" | "mm" | "m" => DatePart::Month,
            "dayofyear" | "dy" | "y" => DatePart::DayOfYear,
            "day" | "dd" | "d" => DatePart::Day,
            "week" | "wk" | "ww" => DatePart::Week,
            "weekday" | "dw" => DatePart::Weekday,
            "w" if !for_datepart => DatePart::Weekday,
            "hour" | "hh" => DatePart::Hour,
            "minute" | "mi" | "n" => DatePart::Minute,
            "second" | "ss" | "s" => DatePart::Second,
            "millisecond" | "ms" => DatePart::Millisecond,
            _ => return None,
        })
    }
}

fn is_date_arg(t: &DataType) -> bool {
    t.is_date() || *t == DataType::Null
}

pub(super) fn check(func: Func, args: &[ArgInfo<'_>]) -> Result<Signature, CheckFailure> {
    let name = func.name();
    let date_err = |i: usize, t: &DataType| {
        fail(
            Some(i),
            format!(
                "the function \"{name}\" needs a date argument {} but got \"{}\"{}",
                i + 1,
                t.static_name(),
                if t.is_string() {
                    "; cast date text explicitly, e.g. (DT_DBTIMESTAMP)\"2024-01-31\""
                } else {
                    ""
                }
            ),
        )
    };
    match func {
        Func::Getdate | Func::Getutcdate => Ok(plain(DataType::DbTimestamp, 0)),
        Func::Day | Func::Month | Func::Year => {
            let a = &args[0];
            if !is_date_arg(&a.ty) {
                return date_err(0, &a.ty);
            }
            if a.constant.is_some()
                && matches!(
                    a.ty,
                    DataType::DbTimestampOffset { .. } | DataType::DbTimestamp2 { .. }
                )
            {
                return fail(
                    Some(0),
                    format!(
                        "\"{name}\" does not accept a constant of type \"{}\"",
                        a.ty.static_name()
                    ),
                );
            }
            Ok(plain(DataType::I4, 1))
        }
        _ => {
            let part = &args[0];
            if !part.ty.is_string() && part.ty != DataType::Null {
                return fail(
                    Some(0),
                    format!("the date part of \"{name}\" must be a string such as \"dd\""),
                );
            }
            if let Some(text) = part.constant.and_then(Value::as_str) {
                if DatePart::parse(text, func == Func::Datepart).is_none() {
                    return fail(
                        Some(0),
                        format!("\"{text}\" is not a valid date part for \"{name}\""),
                    );
                }
            }
            match func {
                Func::Dateadd => {
                    if !args[1].ty.is_integer() && args[1].ty != DataType::Null {
                        return fail(
                            Some(1),
                            format!(
                                "the number of \"DATEADD\" must be an integer but got \"{}\"",
                                args[1].ty.static_name()
                            ),
                        );
                    }
                    if !is_date_arg(&args[2].ty) {
                        return date_err(2, &args[2].ty);
                    }
                    Ok(plain(DataType::DbTimestamp, 3))
                }
                Func::Datediff => {
                    for (i, a) in args.iter().enumerate().skip(1) {
                        if !is_date_arg(&a.ty) {
                            return date_err(i, &a.ty);
                        }
                    }
                    Ok(plain(DataType::I4, 3))
                }
                _ => {
                    if !is_date_arg(&args[1].ty) {
                        return date_err(1, &args[1].ty);
                    }
                    Ok(plain(DataType::I4, 2))
                }
            }
        }
    }
}

fn part_of(args: &[Value], func: Func) -> Result<DatePart, EvalError> {
    let text = arg_str(args, 0, func)?;
    DatePart::parse(text, func == Func::Datepart)
        .ok_or_else(|| EvalError::func(func.name(), format!("\"{text}\" is not a valid date part")))
}

fn date_of(args: &[Value], i: usize, func: Func) -> Result<NaiveDateTime, EvalError> {
    args.get(i)
        .and_then(date_parts)
        .map(|(d, _)| d)
        .ok_or_else(|| EvalError::func(func.name(), format!("argument {} must be a date", i + 1)))
}

fn now_ms(t: NaiveDateTime) -> NaiveDateTime {
    let n = t.nanosecond();
    t.with_nanosecond(n - n % 1_000_000).unwrap_or(t)
}

fn i4(func: Func, v: i64) -> Result<Value, EvalError> {
    i32::try_from(v)
        .map(Value::I4)
        .map_err(|_| EvalError::func(func.name(), "the result does not fit DT_I4"))
}

pub(super) fn eval(func: Func, args: &[Value]) -> Result<Value, EvalError> {
    match func {
        Func::Getdate => Ok(Value::DbTimestamp(now_ms(Local::now().naive_local()))),
        Func::Getutcdate => Ok(Value::DbTimestamp(now_ms(Utc::now().naive_utc()))),
        Func::Day => Ok(Value::I4(date_of(args, 0, func)?.day() as i32)),
        Func::Month => Ok(Value::I4(date_of(args, 0, func)?.month() as i32)),
        Func::Year => Ok(Value::I4(date_of(args, 0, func)?.year())),
        Func::Datepart => {
            let part = part_of(args, func)?;
            let d = date_of(args, 1, func)?;
            Ok(Value::I4(datepart(part, d)))
        }
        Func::Dateadd => {
            let part = part_of(args, func)?;
            let n = arg_int(args, 1, func)?;
            let d = date_of(args, 2, func)?;
            dateadd(part, n, d)
                .filter(|r| (1..=9999).contains(&r.year()))
                .map(Value::DbTimestamp)
                .ok_or_else(|| EvalError::func(func.name(), "the resulting date is out of range"))
        }
        Func::Datediff => {
            let part = part_of(args, func)?;
            let a = date_of(args, 1, func)?;
            let b = date_of(args, 2, func)?;
            i4(func, datediff(part, a, b))
        }
        _ => Err(EvalError::func(func.name(), "not a date function")),
    }
}

/// Day of week, 1 = Sunday … 7 = Saturday.
fn weekday(d: NaiveDate) -> i32 {
    d.weekday().num_days_from_sunday() as i32 + 1
}

fn datepart(part: DatePart, d: NaiveDateTime) -> i32 {
    match part {
        DatePart::Year => d.year(),
        DatePart::Quarter => (d.month() as i32 - 1) / 3 + 1,
        DatePart::Month => d.month() as i32,
        DatePart::DayOfYear => d.ordinal() as i32,
        DatePart::Day => d.day() as i32,
        DatePart::Week => {
            // Week 1 holds January 1st; weeks start on Sunday.
            let jan1 = NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d.date());
            (d.ordinal() as i32 - 1 + weekday(jan1) - 1) / 7 + 1
        }
        DatePart::Weekday => weekday(d.date()),
        DatePart::Hour => d.hour() as i32,
        DatePart::Minute => d.minute() as i32,
        DatePart::Second => d.second() as i32,
        DatePart::Millisecond => (d.nanosecond() / 1_000_000).min(999) as i32,
    }
}

fn add_months(d: NaiveDateTime, months: i64) -> Option<NaiveDateTime> {
    let m = u32::try_from(months.unsigned_abs()).ok()?;
    if months >= 0 {
        d.checked_add_months(Months::new(m))
    } else {
        d.checked_sub_months(Months::new(m))
    }
}

fn dateadd(part: DatePart, n: i64, d: NaiveDateTime) -> Option<NaiveDateTime> {
    let dur = |unit_ms: i64| -> Option<NaiveDateTime> {
        let ms = n.checked_mul(unit_ms)?;
        d.checked_add_signed(Duration::try_milliseconds(ms)?)
    };
    match part {
        DatePart::Year => add_months(d, n.checked_mul(12)?),
        DatePart::Quarter => add_months(d, n.checked_mul(3)?),
        DatePart::Month => add_months(d, n),
        DatePart::DayOfYear | DatePart::Day | DatePart::Weekday => dur(86_400_000),
        DatePart::Week => dur(7 * 86_400_000),
        DatePart::Hour => dur(3_600_000),
        DatePart::Minute => dur(60_000),
        DatePart::Second => dur(1_000),
        DatePart::Millisecond => dur(1),
    }
}

/// Number of `part` boundaries crossed from `a` to `b` (negative when `b` is earlier).
fn datediff(part: DatePart, a: NaiveDateTime, b: NaiveDateTime) -> i64 {
    let days = |d: NaiveDateTime| d.date().num_days_from_ce() as i64;
    let secs = |d: NaiveDateTime| {
        days(d) * 86_400 + d.hour() as i64 * 3600 + d.minute() as i64 * 60 + d.second() as i64
    };
    match part {
        DatePart::Year => (b.year() - a.year()) as i64,
        DatePart::Quarter => {
            let q = |d: NaiveDateTime| d.year() as i64 * 4 + (d.month() as i64 - 1) / 3;
            q(b) - q(a)
        }
        DatePart::Month => {
            let m = |d: NaiveDateTime| d.year() as i64 * 12 + d.month() as i64 - 1;
            m(b) - m(a)
        }
        DatePart::DayOfYear | DatePart::Day | DatePart::Weekday => days(b) - days(a),
        DatePart::Week => {
            // Sundays crossed: count weeks from a fixed Sunday.
            let week = |d: NaiveDateTime| {
                let n = days(d) - weekday(d.date()) as i64 + 1;
                n.div_euclid(7)
            };
            week(b) - week(a)
        }
        DatePart::Hour => secs(b).div_euclid(3600) - secs(a).div_euclid(3600),
        DatePart::Minute => secs(b).div_euclid(60) - secs(a).div_euclid(60),
        DatePart::Second => secs(b) - secs(a),
        DatePart::Millisecond => {
            let ms =
                |d: NaiveDateTime| secs(d) * 1000 + (d.nanosecond() / 1_000_000).min(999) as i64;
            ms(b) - ms(a)
        }
    }
}
