//! `ssisctl schedules` (every schedule with its next and last run) and `ssisctl schedule
//! add|rm|enable|disable|run`, on top of the client library. It prints; it must not open
//! connections itself nor judge a schedule (the service checks and answers).

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

use super::output::{cell, Output};
use crate::client::{Client, ClientError};

type Result<T = ()> = std::result::Result<T, ClientError>;

/// What the API shows of a schedule besides its definition (dropped before a PUT).
const SHOWN_ONLY: &[&str] = &[
    "source",
    "owner",
    "effective_time_zone",
    "next_run",
    "last_run",
    "last_execution",
    "active",
    "created",
    "modified",
];

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// When a schedule runs, in a few words.
pub fn when(s: &Value) -> String {
    if let Some(c) = s["cron"].as_str() {
        return format!("cron {c}");
    }
    if let Some(c) = s["calendar"].as_str() {
        return format!("calendar {c}");
    }
    let mut words = vec![cell(&s["frequency"])];
    let interval = s["interval"].as_u64().unwrap_or(1);
    if interval > 1 {
        words.push(format!("every {interval}"));
    }
    if let Some(d) = s["date"].as_str() {
        words.push(d.to_string());
    }
    if let Some(days) = s["days"].as_array() {
        let days: Vec<String> = days.iter().map(cell).collect();
        words.push(days.join(","));
    }
    if let Some(d) = s["day_of_month"].as_u64() {
        words.push(format!("day {d}"));
    }
    if let Some(at) = s["at"].as_str() {
        words.push(format!("at {at}"));
    }
    if let Some(every) = s["every"].as_str() {
        words.push(format!(
            "every {every} {}-{}",
            s["from"].as_str().unwrap_or("00:00"),
            s["until"].as_str().unwrap_or("23:59:59")
        ));
    }
    words.join(" ")
}

/// `schedules`.
pub fn list(c: &Client, out: &Output) -> Result {
    let v = c.request("GET", "schedules", None)?.json()?;
    if out.json {
        out.print_json(&v);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = v["schedules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            vec![
                cell(&s["name"]),
                cell(&s["package"]),
                format!("{} ({})", when(s), cell(&s["effective_time_zone"])),
                cell(&s["next_run"]),
                cell(&s["last_run"]),
                cell(&s["active"]),
                if s["enabled"].as_bool() == Some(false) {
                    "no".into()
                } else {
                    "yes".into()
                },
                cell(&s["source"]),
            ]
        })
        .collect();
    out.table(
        &[
            "NAME", "PACKAGE", "WHEN", "NEXT RUN", "LAST RUN", "ACTIVE", "ENABLED", "SOURCE",
        ],
        &rows,
    );
    Ok(())
}

/// `schedule add`: the definition as the API takes it.
pub fn add(c: &Client, out: &Output, definition: &Value) -> Result {
    let v = c
        .request("POST", "schedules", Some(definition.to_string().as_bytes()))?
        .json()?;
    if out.json {
        out.print_json(&v);
    } else {
        println!(
            "schedule {} created; next run {}",
            cell(&v["name"]),
            cell(&v["next_run"])
        );
    }
    Ok(())
}

/// `schedule rm NAME`.
pub fn remove(c: &Client, out: &Output, name: &str) -> Result {
    c.request("DELETE", &format!("schedules/{}", enc(name)), None)?;
    if out.json {
        out.print_json(&json!({ "deleted": name }));
    } else {
        println!("schedule {name} deleted");
    }
    Ok(())
}

/// `schedule enable|disable NAME`: its definition sent back with `enabled` changed.
pub fn set_enabled(c: &Client, out: &Output, name: &str, enabled: bool) -> Result {
    let path = format!("schedules/{}", enc(name));
    let shown = c.request("GET", &path, None)?.json()?;
    let mut def: Map<String, Value> = shown.as_object().cloned().unwrap_or_default();
    for key in SHOWN_ONLY {
        def.remove(*key);
    }
    def.insert("enabled".into(), Value::Bool(enabled));
    let v = c
        .request(
            "PUT",
            &path,
            Some(Value::Object(def).to_string().as_bytes()),
        )?
        .json()?;
    if out.json {
        out.print_json(&v);
    } else {
        println!(
            "schedule {name} {}; next run {}",
            if enabled { "enabled" } else { "disabled" },
            cell(&v["next_run"])
        );
    }
    Ok(())
}

/// `schedule run NAME`.
pub fn run(c: &Client, out: &Output, name: &str) -> Result {
    let v = c
        .request("POST", &format!("schedules/{}/run", enc(name)), None)?
        .json()?;
    if out.json {
        out.print_json(&v);
    } else {
        println!("schedule {name} started execution {}", cell(&v["id"]));
    }
    Ok(())
}
