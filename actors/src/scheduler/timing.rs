//! When a schedule is due: a cron expression (5 or 6 fields, through `croner`), a systemd
//! calendar event (turned into the same), or one of SQL
//! Server Agent's shapes (once, daily, weekly on some days, monthly on a day; every N days,
//! weeks or months; at one time of day or every N seconds, minutes or hours between a start
//! and an end time), evaluated in a named time zone (`chrono-tz`). Daylight saving time: a
//! local time that does not exist (the spring gap) fires at the first instant after the gap; a
//! local time that happens twice (the autumn overlap) fires once, at its first occurrence. It
//! must not know about actors, storage or the clock: every answer is a pure function of the
//! instant it is given.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

/// How far ahead a calendar shape is searched (days): a schedule with no occurrence within
/// this window (a `once` in the past, a monthly day 31 every 12 months…) has no next run.
const HORIZON_DAYS: i64 = 366 * 8;

/// Which days a calendar shape runs on.
#[derive(Debug, Clone, PartialEq)]
pub enum Days {
    Once(NaiveDate),
    /// Every `interval` days counted from the anchor.
    Daily,
    /// On these weekdays (bit 0 Monday … bit 6 Sunday), every `interval` weeks.
    Weekly(u8),
    /// On this day of the month (a shorter month: its last day), every `interval` months.
    Monthly(u32),
}

/// When during a day it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum DayTimes {
    At(NaiveTime),
    /// Every `step` seconds from `from` to `until` (inclusive).
    Every {
        step: u32,
        from: NaiveTime,
        until: NaiveTime,
    },
}

/// A calendar shape, as Agent's schedules have them.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub days: Days,
    pub interval: u32,
    pub times: DayTimes,
    /// First day it may run, and the anchor `interval` counts from.
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

/// Why a schedule's timing text (cron, calendar event, time, date, period, days, zone) cannot
/// be read; each holds the text as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimingError {
    #[error("\"{text}\" is not a cron expression of 5 or 6 fields: {reason}")]
    Cron { text: String, reason: String },
    /// The calendar event's words are understood, but the schedule they make is not.
    #[error("\"{text}\" is not a calendar event systemd would take: {reason}")]
    Calendar { text: String, reason: String },
    /// The calendar event's syntax is wrong; the text says where.
    #[error("{0}")]
    CalendarSyntax(String),
    #[error("\"{0}\" is not a time of day (HH:MM or HH:MM:SS, 24-hour)")]
    Time(String),
    #[error("\"{0}\" is not a date (YYYY-MM-DD)")]
    Date(String),
    #[error("\"{0}\" is not a period: write a positive number and s, m or h (\"15m\", \"2h\")")]
    Period(String),
    #[error("\"{0}\" is longer than a day; use a daily shape instead")]
    PeriodOverADay(String),
    #[error("\"{0}\" is not a day of the week (mon, tue, wed, thu, fri, sat, sun)")]
    Day(String),
    #[error("\"{0}\" is not a time zone of the IANA database (e.g. \"Europe/Berlin\", \"America/New_York\", \"UTC\")")]
    Zone(String),
}

/// A parsed timing.
#[derive(Debug, Clone)]
pub enum Timing {
    Cron(Box<croner::Cron>),
    Calendar(Calendar),
}

impl Timing {
    /// Parses a cron expression of 5 fields (minute hour day month weekday) or 6 (seconds
    /// first), or a nickname (`@daily`, `@hourly`…).
    pub fn cron(text: &str) -> Result<Timing, TimingError> {
        croner::Cron::new(text.trim())
            .with_seconds_optional()
            .parse()
            .map(|c| Timing::Cron(Box::new(c)))
            .map_err(|e| TimingError::Cron {
                text: text.to_string(),
                reason: e.to_string(),
            })
    }

    /// Parses a systemd calendar event (`systemd.time(7)`): `[WEEKDAYS] [[*-]MONTH-DAY] [HOUR:MINUTE[:SECOND]]`
    /// with lists (`,`), ranges (`..`), repetitions (`/`) and `*`, or a shorthand
    /// (`minutely`, `hourly`, `daily`, `weekly`, `monthly`, `quarterly`, `semiannually`,
    /// `yearly`). Weekdays and dates must both match, as in systemd.
    pub fn calendar(text: &str) -> Result<Timing, TimingError> {
        let cron = calendar_to_cron(text).map_err(TimingError::CalendarSyntax)?;
        croner::Cron::new(&cron)
            .with_seconds_required()
            .with_dom_and_dow()
            .parse()
            .map(|c| Timing::Cron(Box::new(c)))
            .map_err(|e| TimingError::Calendar {
                text: text.to_string(),
                reason: e.to_string(),
            })
    }

    /// The first due instant strictly after `after`, in `tz`; `None` when there is none.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        match self {
            Timing::Cron(cron) => next_cron(cron, after, tz),
            Timing::Calendar(c) => c.next_after(after, tz),
        }
    }

    /// The due instants in `(after, until]`, oldest first, at most `limit` of them.
    pub fn due_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        tz: Tz,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut at = after;
        while out.len() < limit {
            match self.next_after(at, tz) {
                Some(n) if n <= until => {
                    out.push(n);
                    at = n;
                }
                _ => break,
            }
        }
        out
    }
}

fn next_cron(cron: &croner::Cron, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let mut from = after.with_timezone(&tz);
    // croner works on wall time and maps a wall time that happens twice to its first
    // occurrence: in the second pass of an autumn hour the wall times it finds map back before
    // `after`, so step on through them (each step advances the wall time).
    for _ in 0..4000 {
        let next = cron.find_next_occurrence(&from, false).ok()?;
        let utc = next.with_timezone(&Utc);
        if utc > after {
            return Some(utc);
        }
        from = tz.from_local_datetime(&next.naive_local()).latest()?;
    }
    None
}

/// A systemd calendar event as a 6-field cron expression (seconds first).
fn calendar_to_cron(text: &str) -> Result<String, String> {
    let bad = |why: &str| format!("\"{text}\" is not a calendar event: {why}");
    let expanded = match text.trim().to_ascii_lowercase().as_str() {
        "minutely" => "*-*-* *:*:00".to_string(),
        "hourly" => "*-*-* *:00:00".to_string(),
        "daily" => "*-*-* 00:00:00".to_string(),
        "weekly" => "Mon *-*-* 00:00:00".to_string(),
        "monthly" => "*-*-01 00:00:00".to_string(),
        "quarterly" => "*-01,04,07,10-01 00:00:00".to_string(),
        "semiannually" => "*-01,07-01 00:00:00".to_string(),
        "yearly" | "annually" => "*-01-01 00:00:00".to_string(),
        _ => text.trim().to_string(),
    };
    let mut tokens: Vec<&str> = expanded.split_whitespace().collect();
    if tokens.is_empty() {
        return Err(bad("it is empty"));
    }
    let range = |t: &str| t.replace("..", "-");
    let weekdays = if tokens[0].starts_with(|c: char| c.is_ascii_alphabetic()) {
        let w = tokens.remove(0);
        range(w).to_ascii_uppercase()
    } else {
        "*".to_string()
    };
    let (mut month, mut day) = ("*".to_string(), "*".to_string());
    let (mut hour, mut minute, mut second) = ("0".to_string(), "0".to_string(), "0".to_string());
    for t in tokens {
        if t.contains(':') {
            let parts: Vec<&str> = t.split(':').collect();
            if parts.len() < 2 || parts.len() > 3 {
                return Err(bad("a time is HOUR:MINUTE or HOUR:MINUTE:SECOND"));
            }
            hour = range(parts[0]);
            minute = range(parts[1]);
            second = parts.get(2).map(|s| range(s)).unwrap_or_else(|| "0".into());
            if second.contains('.') {
                return Err(bad("fractions of a second are not supported"));
            }
        } else if t.parse::<Tz>().is_ok() {
            return Err(bad("a time zone goes in the schedule's time_zone"));
        } else if t.contains('-') {
            let parts: Vec<&str> = t.split('-').collect();
            let (m, d) = match parts.as_slice() {
                [y, m, d] => {
                    if *y != "*" {
                        return Err(bad(
                            "years other than * are not supported; use start_date and end_date",
                        ));
                    }
                    (m, d)
                }
                [m, d] => (m, d),
                _ => return Err(bad("a date is YEAR-MONTH-DAY or MONTH-DAY")),
            };
            if d.contains('~') {
                return Err(bad(
                    "days counted from the month's end (~) are not supported; use cron's L",
                ));
            }
            month = range(m);
            day = range(d);
        } else if t.contains('/') || t == "*" {
            return Err(bad("write a date with '-' and a time with ':'"));
        } else {
            return Err(bad(&format!(
                "\"{t}\" is neither weekdays, a date nor a time"
            )));
        }
    }
    Ok(format!("{second} {minute} {hour} {day} {month} {weekdays}"))
}

/// The instant of local `wall` in `tz`: a wall time in a spring gap moves to the first
/// instant after the gap; one that happens twice is its first occurrence.
pub fn local_instant(wall: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&wall) {
        chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        chrono::LocalResult::None => {
            // Gaps are whole minutes (at most a few hours): the first whole minute after one.
            let mut probe = wall.with_second(0)?;
            for _ in 0..(4 * 60) {
                probe = probe.checked_add_signed(Duration::minutes(1))?;
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return Some(t.with_timezone(&Utc));
                }
            }
            None
        }
    }
}

fn seconds_of(t: NaiveTime) -> i64 {
    i64::from(t.num_seconds_from_midnight())
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

/// Where `interval` counts from when no start date is given.
fn default_anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

impl Calendar {
    /// Whether the shape runs on `day`.
    pub fn runs_on(&self, day: NaiveDate) -> bool {
        if self.start_date.is_some_and(|s| day < s) || self.end_date.is_some_and(|e| day > e) {
            return false;
        }
        let anchor = self.start_date.unwrap_or_else(default_anchor);
        let interval = i64::from(self.interval.max(1));
        match self.days {
            Days::Once(d) => day == d,
            Days::Daily => (day - anchor).num_days().rem_euclid(interval) == 0,
            Days::Weekly(mask) => {
                let weekday = day.weekday().num_days_from_monday();
                if mask & (1 << weekday) == 0 {
                    return false;
                }
                let monday = |d: NaiveDate| {
                    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
                };
                ((monday(day) - monday(anchor)).num_days() / 7).rem_euclid(interval) == 0
            }
            Days::Monthly(dom) => {
                let months = (day.year() - anchor.year()) as i64 * 12 + day.month() as i64
                    - anchor.month() as i64;
                months.rem_euclid(interval) == 0
                    && day.day() == dom.min(last_day_of_month(day.year(), day.month()))
            }
        }
    }

    /// The first due instant strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&tz).naive_local();
        // A day earlier: a gap-shifted time of the previous day may still be ahead.
        let first_day = local.date().pred_opt()?;
        let after_secs = seconds_of(local.time());
        for offset in 0..HORIZON_DAYS {
            let day = first_day + Duration::days(offset);
            if self.end_date.is_some_and(|e| day > e) {
                return None;
            }
            if let Days::Once(d) = self.days {
                if day > d {
                    return None;
                }
            }
            if !self.runs_on(day) {
                continue;
            }
            match &self.times {
                DayTimes::At(t) => {
                    if let Some(i) = local_instant(day.and_time(*t), tz) {
                        if i > after {
                            return Some(i);
                        }
                    }
                }
                DayTimes::Every { step, from, until } => {
                    let (from_s, until_s, step) = (
                        seconds_of(*from),
                        seconds_of(*until),
                        i64::from(*step).max(1),
                    );
                    // Skip the times of the day well before `after` (one step of slack for a
                    // shifted offset).
                    let mut k = if day == local.date() {
                        ((after_secs - from_s) / step - 1).max(0)
                    } else {
                        0
                    };
                    loop {
                        let s = from_s + k * step;
                        if s > until_s {
                            break;
                        }
                        let wall = day.and_hms_opt(0, 0, 0)? + Duration::seconds(s);
                        if let Some(i) = local_instant(wall, tz) {
                            if i > after {
                                return Some(i);
                            }
                        }
                        k += 1;
                    }
                }
            }
        }
        None
    }
}

/// Parses `HH:MM` or `HH:MM:SS`.
pub fn parse_time(text: &str) -> Result<NaiveTime, TimingError> {
    let t = text.trim();
    NaiveTime::parse_from_str(t, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        .map_err(|_| TimingError::Time(text.to_string()))
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, TimingError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| TimingError::Date(text.to_string()))
}

/// Parses a period (`30s`, `15m`, `15 minutes`, `2h`, `2 hours`) into seconds.
pub fn parse_period(text: &str) -> Result<u32, TimingError> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u32 = number
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| TimingError::Period(text.to_string()))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "s" | "sec" | "second" | "seconds" => 1,
        "m" | "min" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        _ => return Err(TimingError::Period(text.to_string())),
    };
    n.checked_mul(factor)
        .filter(|s| *s <= 86_400)
        .ok_or_else(|| TimingError::PeriodOverADay(text.to_string()))
}

/// Parses weekday names (`mon`, `Monday`, …) into a mask (bit 0 Monday).
pub fn parse_days(days: &[String]) -> Result<u8, TimingError> {
    let mut mask = 0u8;
    for d in days {
        let bit = match d.trim().to_ascii_lowercase().get(..3) {
            Some("mon") => 0,
            Some("tue") => 1,
            Some("wed") => 2,
            Some("thu") => 3,
            Some("fri") => 4,
            Some("sat") => 5,
            Some("sun") => 6,
            _ => return Err(TimingError::Day(d.to_string())),
        };
        mask |= 1 << bit;
    }
    Ok(mask)
}

/// Parses a time zone name from the IANA database (`Europe/Berlin`, `UTC`).
pub fn parse_zone(name: &str) -> Result<Tz, TimingError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| TimingError::Zone(name.to_string()))
}

/// The computer's own time zone: `TZ`, else what `/etc/localtime` links to, else
/// `/etc/timezone`, else UTC.
pub fn system_zone() -> String {
    let named = std::env::var("TZ")
        .ok()
        .map(|t| t.trim_start_matches(':').to_string())
        .filter(|t| t.parse::<Tz>().is_ok());
    named
        .or_else(|| {
            std::fs::read_link("/etc/localtime").ok().and_then(|p| {
                let s = p.to_string_lossy().to_string();
                s.split_once("zoneinfo/")
                    .map(|(_, z)| z.to_string())
                    .filter(|z| z.parse::<Tz>().is_ok())
            })
        })
        .or_else(|| {
            std::fs::read_to_string("/etc/timezone")
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|z| z.parse::<Tz>().is_ok())
        })
        .unwrap_or_else(|| "UTC".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn berlin() -> Tz {
        parse_zone("Europe/Berlin").unwrap()
    }

    fn daily_at(t: &str) -> Timing {
        Timing::Calendar(Calendar {
            days: Days::Daily,
            interval: 1,
            times: DayTimes::At(parse_time(t).unwrap()),
            start_date: None,
            end_date: None,
        })
    }

    #[test]
    fn cron_of_five_and_six_fields_and_refusals() {
        let c = Timing::cron("0 3 * * *").unwrap();
        let tz: Tz = "UTC".parse().unwrap();
        assert_eq!(
            c.next_after(utc("2026-03-01T04:00:00Z"), tz),
            Some(utc("2026-03-02T03:00:00Z"))
        );
        let s = Timing::cron("*/10 * * * * *").unwrap();
        assert_eq!(
            s.next_after(utc("2026-03-01T04:00:01Z"), tz),
            Some(utc("2026-03-01T04:00:10Z"))
        );
        let e = Timing::cron("61 * * * *").unwrap_err().to_string();
        assert!(e.contains("61 * * * *"), "{e}");
        assert!(Timing::cron("every day").is_err());
    }

    /// Berlin leaves winter time on 2026-03-29 at 02:00 (clocks jump to 03:00) and returns on
    /// 2026-10-25 at 03:00 (clocks go back to 02:00).
    #[test]
    fn daily_across_daylight_saving_changes() {
        let tz = berlin();
        let at = daily_at("02:30");
        // The day of the spring gap: 02:30 does not exist; it fires at 03:00 CEST (01:00Z).
        assert_eq!(
            at.next_after(utc("2026-03-28T12:00:00Z"), tz),
            Some(utc("2026-03-29T01:00:00Z"))
        );
        // The next day, 02:30 CEST again (00:30Z).
        assert_eq!(
            at.next_after(utc("2026-03-29T01:00:00Z"), tz),
            Some(utc("2026-03-30T00:30:00Z"))
        );
        // The autumn overlap: 02:30 happens twice; it fires once, at the first (00:30Z)...
        assert_eq!(
            at.next_after(utc("2026-10-24T12:00:00Z"), tz),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        // ...and not at the second (01:30Z): the next is the next day at 02:30 CET.
        assert_eq!(
            at.next_after(utc("2026-10-25T00:30:00Z"), tz),
            Some(utc("2026-10-26T01:30:00Z"))
        );
        // A local time far from the change keeps its wall time across it.
        let nine = daily_at("09:00");
        assert_eq!(
            nine.next_after(utc("2026-03-28T09:00:00Z"), tz),
            Some(utc("2026-03-29T07:00:00Z"))
        );
    }

    #[test]
    fn cron_across_daylight_saving_changes() {
        let tz = berlin();
        let c = Timing::cron("30 2 * * *").unwrap();
        assert_eq!(
            c.next_after(utc("2026-03-28T12:00:00Z"), tz),
            Some(utc("2026-03-29T01:00:00Z"))
        );
        assert_eq!(
            c.next_after(utc("2026-10-25T00:30:00Z"), tz),
            Some(utc("2026-10-26T01:30:00Z"))
        );
        // Every 15 minutes through the autumn overlap: never backwards, no repeats.
        let q = Timing::cron("*/15 * * * *").unwrap();
        let fires = q.due_between(
            utc("2026-10-24T23:50:00Z"),
            utc("2026-10-25T02:10:00Z"),
            tz,
            100,
        );
        assert!(fires.windows(2).all(|w| w[0] < w[1]), "{fires:?}");
        assert_eq!(fires.first(), Some(&utc("2026-10-25T00:00:00Z")));
    }

    #[test]
    fn every_minutes_between_times_on_weekdays() {
        let tz: Tz = "UTC".parse().unwrap();
        let t = Timing::Calendar(Calendar {
            days: Days::Weekly(parse_days(&["mon".into(), "fri".into()]).unwrap()),
            interval: 1,
            times: DayTimes::Every {
                step: parse_period("30m").unwrap(),
                from: parse_time("08:00").unwrap(),
                until: parse_time("09:00").unwrap(),
            },
            start_date: None,
            end_date: None,
        });
        // 2026-12-07 is a Monday.
        let fires = t.due_between(
            utc("2026-12-07T00:00:00Z"),
            utc("2026-12-12T00:00:00Z"),
            tz,
            100,
        );
        let expect: Vec<_> = [
            "2026-12-07T08:00:00Z",
            "2026-12-07T08:30:00Z",
            "2026-12-07T09:00:00Z",
            "2026-12-11T08:00:00Z",
            "2026-12-11T08:30:00Z",
            "2026-12-11T09:00:00Z",
        ]
        .iter()
        .map(|s| utc(s))
        .collect();
        assert_eq!(fires, expect);
    }

    #[test]
    fn monthly_once_and_intervals() {
        let tz: Tz = "UTC".parse().unwrap();
        let m = Timing::Calendar(Calendar {
            days: Days::Monthly(31),
            interval: 1,
            times: DayTimes::At(parse_time("06:00").unwrap()),
            start_date: None,
            end_date: None,
        });
        // A month without a 31st runs on its last day.
        assert_eq!(
            m.next_after(utc("2027-02-01T00:00:00Z"), tz),
            Some(utc("2027-02-28T06:00:00Z"))
        );
        let once = Timing::Calendar(Calendar {
            days: Days::Once(parse_date("2027-01-02").unwrap()),
            interval: 1,
            times: DayTimes::At(parse_time("10:15").unwrap()),
            start_date: None,
            end_date: None,
        });
        assert_eq!(
            once.next_after(utc("2026-12-07T00:00:00Z"), tz),
            Some(utc("2027-01-02T10:15:00Z"))
        );
        assert_eq!(once.next_after(utc("2027-01-02T10:15:00Z"), tz), None);
        let every3 = Timing::Calendar(Calendar {
            days: Days::Daily,
            interval: 3,
            times: DayTimes::At(parse_time("00:00").unwrap()),
            start_date: Some(parse_date("2026-12-01").unwrap()),
            end_date: Some(parse_date("2026-12-10").unwrap()),
        });
        let fires = every3.due_between(
            utc("2026-11-01T00:00:00Z"),
            utc("2027-01-01T00:00:00Z"),
            tz,
            100,
        );
        assert_eq!(
            fires,
            vec![
                utc("2026-12-01T00:00:00Z"),
                utc("2026-12-04T00:00:00Z"),
                utc("2026-12-07T00:00:00Z"),
                utc("2026-12-10T00:00:00Z")
            ]
        );
    }

    #[test]
    fn systemd_calendar_events() {
        let tz: Tz = "UTC".parse().unwrap();
        let c = Timing::calendar("Mon..Fri *-*-* 08:30").unwrap();
        // 2026-12-05 is a Saturday.
        assert_eq!(
            c.next_after(utc("2026-12-05T09:00:00Z"), tz),
            Some(utc("2026-12-07T08:30:00Z"))
        );
        let c = Timing::calendar("*-12-24 18:00:00").unwrap();
        assert_eq!(
            c.next_after(utc("2026-12-05T09:00:00Z"), tz),
            Some(utc("2026-12-24T18:00:00Z"))
        );
        let c = Timing::calendar("hourly").unwrap();
        assert_eq!(
            c.next_after(utc("2026-12-05T09:00:00Z"), tz),
            Some(utc("2026-12-05T10:00:00Z"))
        );
        let c = Timing::calendar("*:0/15").unwrap();
        assert_eq!(
            c.next_after(utc("2026-12-05T09:01:00Z"), tz),
            Some(utc("2026-12-05T09:15:00Z"))
        );
        // Weekday and date must both match: Friday the 13th.
        let c = Timing::calendar("Fri *-*-13 00:00").unwrap();
        assert_eq!(
            c.next_after(utc("2026-01-01T00:00:00Z"), tz),
            Some(utc("2026-02-13T00:00:00Z"))
        );
        assert!(Timing::calendar("2027-*-* 00:00")
            .unwrap_err()
            .to_string()
            .contains("years"));
        assert!(Timing::calendar("Mon 25:00").is_err());
        assert!(Timing::calendar("Mon 08:00 Europe/Berlin")
            .unwrap_err()
            .to_string()
            .contains("time_zone"));
    }

    #[test]
    fn words_refused_with_what_to_write() {
        assert!(parse_zone("Mars/Olympus")
            .unwrap_err()
            .to_string()
            .contains("IANA"));
        assert!(parse_period("0m").is_err());
        assert!(parse_period("2d").unwrap_err().to_string().contains("15m"));
        assert!(parse_days(&["funday".into()]).is_err());
        assert!(parse_time("25:00").is_err());
        assert!(parse_date("2026-13-01").is_err());
        assert!(system_zone().parse::<Tz>().is_ok());
    }
}
