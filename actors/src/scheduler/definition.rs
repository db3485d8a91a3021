//! What a schedule says, as written in a `[[schedule]]` section or an API request body
//! ([`ScheduleDef`]), the `[scheduler]` section ([`SchedulerSettings`]), and their checks: every
//! refusal names the schedule, the key and what to write instead. A checked definition becomes
//! a [`Schedule`] (its timing parsed, its time zone resolved). It must not know about actors,
//! storage or whether the package exists (the stores answer that).

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::timing::{
    parse_date, parse_days, parse_period, parse_time, parse_zone, system_zone, Calendar, DayTimes,
    Days, Timing,
};
use crate::child::{Settings, SettingsContext, SettingsError};

/// Longest schedule name.
pub const MAX_NAME: usize = 128;

/// What runs missed while the service was down become when it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CatchUp {
    /// Missed runs are skipped (as SQL Server Agent does).
    #[default]
    None,
    /// One run for all that were missed.
    Last,
    /// Every missed run, one after another (at most `scheduler.max_catch_up`).
    All,
}

/// Agent's calendar shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Once,
    Daily,
    Weekly,
    Monthly,
}

fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}
fn sixty() -> u64 {
    60
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_one(n: &u32) -> bool {
    *n == 1
}

/// One schedule as written: a name, the stored package it runs with its `/Set` values, and
/// when — a `cron` expression, or a `frequency` with its keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDef {
    pub name: String,
    /// The stored package (`File System/ETL/Load`).
    pub package: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// 5 fields (minute hour day month weekday), 6 with seconds first, or `@daily`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// A systemd calendar event (`Mon..Fri *-*-* 08:00`, `hourly`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<Frequency>,
    /// The time of day (`HH:MM[:SS]`), for a frequency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Instead of `at`: repeat every period (`15m`, `2h`, `30s`) from `from` until `until`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// For `once`: the day (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// For `weekly`: the days (`mon` … `sun`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<String>,
    /// For `monthly`: the day of the month (1–31; a shorter month runs on its last day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<u32>,
    /// Every N days, weeks or months, counted from `start_date`.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub interval: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// An IANA time zone; default `scheduler.time_zone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Runs of this schedule allowed at once; a due time past it is skipped.
    #[serde(default = "one")]
    pub max_active: u32,
    #[serde(default)]
    pub catch_up: CatchUp,
    /// Further attempts after a run that fails or cannot start.
    #[serde(default)]
    pub retry_attempts: u32,
    /// Seconds between attempts.
    #[serde(default = "sixty")]
    pub retry_interval: u64,
    /// The execution history's level for its runs (`none`, `basic`, `performance`, `verbose`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging_level: Option<String>,
    /// The executor its runs go to (an `[[executor]]` name); default `local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
}

/// A checked schedule, ready to compute due times.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub def: ScheduleDef,
    pub timing: Timing,
    pub zone: Tz,
}

/// What is wrong with a definition: the key and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule \"{name}\": {key}: {message}")]
pub struct DefinitionError {
    pub name: String,
    pub key: String,
    pub message: String,
}

/// Most retries a schedule may ask for.
pub const MAX_RETRIES: u32 = 100;

impl ScheduleDef {
    /// Checks every key; `default_zone` applies when the schedule names none.
    pub fn check(&self, default_zone: &str) -> Result<Schedule, DefinitionError> {
        let err = |key: &str, message: String| DefinitionError {
            name: self.name.clone(),
            key: key.to_string(),
            message,
        };
        check_name(&self.name).map_err(|m| err("name", m))?;
        if self.package.trim().is_empty() {
            return Err(err(
                "package",
                "name the stored package to run (\"File System/ETL/Load\")".into(),
            ));
        }
        crate::run_request::check(&self.set, None).map_err(|e| err("set", e.to_string()))?;
        if let Some(level) = &self.logging_level {
            if crate::history::LoggingLevel::parse(level).is_none() {
                return Err(err(
                    "logging_level",
                    format!("\"{level}\" is not none, basic, performance or verbose"),
                ));
            }
        }
        if self.max_active == 0 {
            return Err(err("max_active", "must be at least 1".into()));
        }
        if self.retry_attempts > MAX_RETRIES {
            return Err(err(
                "retry_attempts",
                format!("at most {MAX_RETRIES} retries"),
            ));
        }
        if self.retry_attempts > 0 && self.retry_interval == 0 {
            return Err(err("retry_interval", "must be at least 1 second".into()));
        }
        let zone_name = self.time_zone.as_deref().unwrap_or(default_zone);
        let zone = parse_zone(zone_name).map_err(|e| err("time_zone", e.to_string()))?;
        let said: Vec<&str> = [
            ("cron", self.cron.is_some()),
            ("calendar", self.calendar.is_some()),
            ("frequency", self.frequency.is_some()),
        ]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(k, _)| *k)
        .collect();
        if said.len() > 1 {
            return Err(err(
                said[1],
                format!(
                    "a schedule has one of cron, calendar or frequency, and this one has {}",
                    said.join(" and ")
                ),
            ));
        }
        let text_timing = self
            .cron
            .as_ref()
            .map(|c| ("cron", Timing::cron(c)))
            .or_else(|| {
                self.calendar
                    .as_ref()
                    .map(|c| ("calendar", Timing::calendar(c)))
            });
        let timing = match (text_timing, self.frequency) {
            (None, None) => {
                return Err(err(
                    "frequency",
                    "say when it runs: cron = \"0 3 * * *\", calendar = \"Mon..Fri 08:00\", or frequency = once, daily, weekly or monthly with at or every".into(),
                ))
            }
            (Some((key, parsed)), _) => {
                for other in [
                    ("at", self.at.is_some()),
                    ("every", self.every.is_some()),
                    ("date", self.date.is_some()),
                    ("days", !self.days.is_empty()),
                    ("day_of_month", self.day_of_month.is_some()),
                ] {
                    if other.1 {
                        return Err(err(
                            other.0,
                            format!("belongs to a frequency; a {key} expression says everything itself"),
                        ));
                    }
                }
                parsed.map_err(|e| err(key, e.to_string()))?
            }
            (None, Some(f)) => Timing::Calendar(self.calendar_shape(f).map_err(|(k, m)| err(k, m))?),
        };
        Ok(Schedule {
            def: self.clone(),
            timing,
            zone,
        })
    }

    fn calendar_shape(&self, f: Frequency) -> Result<Calendar, (&'static str, String)> {
        let date = |key: &'static str, v: &Option<String>| {
            v.as_deref()
                .map(parse_date)
                .transpose()
                .map_err(|e| (key, e.to_string()))
        };
        let start_date = date("start_date", &self.start_date)?;
        let end_date = date("end_date", &self.end_date)?;
        if let (Some(s), Some(e)) = (start_date, end_date) {
            if e < s {
                return Err(("end_date", "is before start_date".into()));
            }
        }
        if self.interval == 0 {
            return Err(("interval", "must be at least 1".into()));
        }
        let days = match f {
            Frequency::Once => Days::Once(
                date("date", &self.date)?
                    .ok_or(("date", "a once schedule names its day (YYYY-MM-DD)".into()))?,
            ),
            Frequency::Daily => Days::Daily,
            Frequency::Weekly => {
                if self.days.is_empty() {
                    return Err(("days", "name the days it runs (\"mon\", \"fri\")".into()));
                }
                Days::Weekly(parse_days(&self.days).map_err(|e| ("days", e.to_string()))?)
            }
            Frequency::Monthly => {
                let d = self.day_of_month.ok_or((
                    "day_of_month",
                    "a monthly schedule names its day of the month (1-31)".into(),
                ))?;
                if !(1..=31).contains(&d) {
                    return Err((
                        "day_of_month",
                        format!("{d} is not a day of a month (1-31)"),
                    ));
                }
                Days::Monthly(d)
            }
        };
        if f != Frequency::Once && self.date.is_some() {
            return Err(("date", "belongs to frequency = \"once\"".into()));
        }
        if f != Frequency::Weekly && !self.days.is_empty() {
            return Err(("days", "belongs to frequency = \"weekly\"".into()));
        }
        if f != Frequency::Monthly && self.day_of_month.is_some() {
            return Err(("day_of_month", "belongs to frequency = \"monthly\"".into()));
        }
        let time = |key: &'static str, v: &Option<String>| {
            v.as_deref()
                .map(parse_time)
                .transpose()
                .map_err(|e| (key, e.to_string()))
        };
        let times =
            match (&self.at, &self.every) {
                (Some(_), Some(_)) => {
                    return Err((
                        "every",
                        "a schedule runs at a time or every period, not both".into(),
                    ))
                }
                (Some(_), None) => {
                    if self.from.is_some() || self.until.is_some() {
                        return Err(("from", "from and until go with every".into()));
                    }
                    DayTimes::At(time("at", &self.at)?.unwrap_or_default())
                }
                (None, Some(e)) => {
                    let step = parse_period(e).map_err(|e| ("every", e.to_string()))?;
                    let from = time("from", &self.from)?.unwrap_or_default();
                    let until = time("until", &self.until)?.unwrap_or_else(|| {
                        chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default()
                    });
                    if until < from {
                        return Err(("until", "is before from (both are times of one day)".into()));
                    }
                    DayTimes::Every { step, from, until }
                }
                (None, None) => return Err((
                    "at",
                    "say when in the day: at = \"03:00\", or every = \"15m\" (with from and until)"
                        .into(),
                )),
            };
        Ok(Calendar {
            days,
            interval: self.interval,
            times,
            start_date,
            end_date,
        })
    }
}

/// Checks a schedule name: what the API path and the history's `schedule:<name>` carry.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(format!("a schedule name has 1 to {MAX_NAME} characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || name.starts_with('.')
    {
        return Err(format!(
            "\"{name}\" may hold only letters, digits, '-', '_' and '.' (not first)"
        ));
    }
    Ok(())
}

fn default_max_catch_up() -> u32 {
    100
}

/// `[scheduler]` together with the `[[schedule]]` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    /// Whether schedules fire at all (API "run now" still works when off).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The time zone of schedules that name none (default: the computer's own).
    #[serde(default)]
    pub time_zone: String,
    /// Most missed runs one schedule with `catch_up = "all"` makes up at start.
    #[serde(default = "default_max_catch_up")]
    pub max_catch_up: u32,
    /// The `[[schedule]]` sections.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "schedule_list"
    )]
    pub schedule: Vec<ScheduleDef>,
}

/// Reads the `[[schedule]]` list, saying which section a key is wrong in.
fn schedule_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ScheduleDef>, D::Error> {
    let values = Vec::<serde_json::Value>::deserialize(d)?;
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let name = v
                .get("name")
                .and_then(|n| n.as_str())
                .map(|n| format!(" (\"{n}\")"))
                .unwrap_or_default();
            serde_json::from_value(v)
                .map_err(|e| serde::de::Error::custom(format!("schedule[{i}]{name}: {e}")))
        })
        .collect()
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            enabled: true,
            time_zone: String::new(),
            max_catch_up: default_max_catch_up(),
            schedule: Vec::new(),
        }
    }
}

impl Settings for SchedulerSettings {
    fn check(&mut self, section: &str, _: &SettingsContext) -> Result<(), SettingsError> {
        if self.time_zone.trim().is_empty() {
            self.time_zone = system_zone();
        }
        parse_zone(&self.time_zone)
            .map_err(|e| SettingsError::new(format!("{section}.time_zone"), e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.schedule.iter().enumerate() {
            let at = format!("schedule[{i}]");
            s.check(&self.time_zone).map_err(|e| {
                SettingsError::new(
                    format!("{at}.{}", e.key),
                    format!("(schedule \"{}\") {}", e.name, e.message),
                )
            })?;
            if !seen.insert(s.name.clone()) {
                return Err(SettingsError::new(
                    format!("{at}.name"),
                    format!(
                        "\"{}\" names two [[schedule]] sections; schedule names are unique",
                        s.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(toml_text: &str) -> ScheduleDef {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn shapes_check_and_refuse_with_the_key() {
        let ok = def("name = \"n\"\npackage = \"File System/A\"\ncron = \"0 3 * * *\"");
        ok.check("UTC").unwrap();
        let ok = def("name = \"w\"\npackage = \"File System/A\"\nfrequency = \"weekly\"\ndays = [\"mon\"]\nevery = \"15m\"\nfrom = \"08:00\"\nuntil = \"18:00\"\ntime_zone = \"Europe/Berlin\"");
        ok.check("UTC").unwrap();
        let cases = [
            ("cron = \"61 * * * *\"", "cron"),
            (
                "cron = \"0 3 * * *\"\ntime_zone = \"Mars/Base\"",
                "time_zone",
            ),
            ("frequency = \"weekly\"\nat = \"03:00\"", "days"),
            ("frequency = \"daily\"", "at"),
            (
                "frequency = \"monthly\"\nday_of_month = 32\nat = \"01:00\"",
                "day_of_month",
            ),
            ("frequency = \"once\"\nat = \"01:00\"", "date"),
            ("cron = \"* * * * *\"\nat = \"01:00\"", "at"),
            ("cron = \"* * * * *\"\nmax_active = 0", "max_active"),
            ("calendar = \"Mon..Fri 26:00\"", "calendar"),
            ("calendar = \"daily\"\ncron = \"* * * * *\"", "calendar"),
        ];
        for (extra, key) in cases {
            let d = def(&format!(
                "name = \"x\"\npackage = \"File System/A\"\n{extra}"
            ));
            let e = d.check("UTC").unwrap_err();
            assert_eq!(e.key, key, "{extra}: {e}");
        }
        assert!(
            toml::from_str::<ScheduleDef>("name = \"x\"\npackage = \"p\"\ncrn = \"x\"").is_err()
        );
        assert!(check_name("a/b").is_err());
        assert!(check_name("nightly-load_2.x").is_ok());
    }

    #[test]
    fn settings_refuse_duplicates_and_name_the_section() {
        let ctx = SettingsContext {
            data_dir: "/d".into(),
            base: "/e".into(),
        };
        let mut s = SchedulerSettings {
            schedule: vec![
                def("name = \"a\"\npackage = \"File System/A\"\ncron = \"* * * * *\""),
                def("name = \"a\"\npackage = \"File System/B\"\ncron = \"* * * * *\""),
            ],
            ..Default::default()
        };
        let e = s.check("scheduler", &ctx).unwrap_err();
        assert_eq!(e.key, "schedule[1].name");
        s.schedule[1].name = "b".into();
        s.schedule[1].cron = Some("nope".into());
        let e = s.check("scheduler", &ctx).unwrap_err();
        assert_eq!(e.key, "schedule[1].cron");
        assert!(e.message.contains("\"b\""), "{e}");
        // A key missing or misspelt is said with the section it is in.
        let e = serde_json::from_value::<SchedulerSettings>(serde_json::json!({
            "schedule": [
                {"name": "a", "package": "File System/A", "cron": "* * * * *"},
                {"name": "b", "cron": "* * * * *"},
            ]
        }))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("schedule[1] (\"b\")") && e.contains("package"),
            "{e}"
        );
    }
}
