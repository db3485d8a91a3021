//! `ssisctl history [PATH]` (the executions, newest first, optionally of one package and one
//! status) and `ssisctl show ID` (one execution: its row, a per-task duration table and its
//! messages), on top of the client library. It prints; it must not open connections itself.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::Value;

use super::output::{cell, Output};
use crate::client::{Client, ClientError};

type Result<T = ()> = std::result::Result<T, ClientError>;

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// `history [PATH] [--status S] [--limit N]`.
pub fn history(
    c: &Client,
    out: &Output,
    package: Option<&str>,
    status: Option<&str>,
    limit: usize,
) -> Result {
    let mut query = vec![format!("limit={limit}")];
    if let Some(p) = package {
        query.push(format!("package={}", enc(p)));
    }
    if let Some(s) = status {
        query.push(format!("status={}", enc(s)));
    }
    let v = c
        .request("GET", &format!("executions?{}", query.join("&")), None)?
        .json()?;
    if out.json {
        out.print_json(&v);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = v["executions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            vec![
                cell(&e["id"]),
                cell(&e["package"]),
                out.state(e["status"].as_str().unwrap_or("")),
                cell(&e["start_time"]),
                duration(&e["duration_ms"]),
                format!("{} ({})", cell(&e["caller"]), cell(&e["started_by"])),
                cell(&e["exit_code"]),
            ]
        })
        .collect();
    out.table(
        &[
            "ID", "PACKAGE", "STATUS", "STARTED", "DURATION", "BY", "EXIT",
        ],
        &rows,
    );
    Ok(())
}

fn duration(ms: &Value) -> String {
    match ms.as_f64() {
        Some(ms) if ms >= 1000.0 => format!("{:.1} s", ms / 1000.0),
        Some(ms) => format!("{ms:.0} ms"),
        None => "-".into(),
    }
}

/// `show ID`.
pub fn show(c: &Client, out: &Output, id: &str) -> Result {
    let e = c
        .request("GET", &format!("executions/{}", enc(id)), None)?
        .json()?;
    let stats = c
        .request("GET", &format!("executions/{}/statistics", enc(id)), None)?
        .json()?;
    let messages = c
        .request("GET", &format!("executions/{}/messages", enc(id)), None)?
        .json()?;
    if out.json {
        out.print_json(&serde_json::json!({
            "execution": e, "statistics": stats, "messages": messages["messages"],
        }));
        return Ok(());
    }
    println!("{}  {}", out.bold(&cell(&e["id"])), cell(&e["package"]));
    println!(
        "status {}  started {}  ended {}  duration {}",
        out.state(e["status"].as_str().unwrap_or("")),
        cell(&e["start_time"]),
        cell(&e["end_time"]),
        duration(&e["duration_ms"])
    );
    println!(
        "by {} ({})  pid {}  exit {}  logging {}",
        cell(&e["caller"]),
        cell(&e["started_by"]),
        cell(&e["pid"]),
        cell(&e["exit"]),
        cell(&e["logging_level"])
    );
    for s in e["sets"].as_array().into_iter().flatten() {
        println!("/Set {}", cell(s));
    }
    let rows: Vec<Vec<String>> = stats["executables"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            vec![
                cell(&s["path"]),
                cell(&s["kind"]),
                cell(&s["result"]),
                duration(&s["duration_ms"]),
            ]
        })
        .collect();
    if !rows.is_empty() {
        println!();
        out.table(&["EXECUTABLE", "KIND", "RESULT", "DURATION"], &rows);
    }
    let rows: Vec<Vec<String>> = stats["data_flow"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            vec![
                cell(&d["task_path"]),
                cell(&d["path_name"]),
                cell(&d["destination_component"]),
                cell(&d["rows_sent"]),
            ]
        })
        .collect();
    if !rows.is_empty() {
        println!();
        out.table(&["DATA FLOW", "PATH", "TO", "ROWS"], &rows);
    }
    let list = messages["messages"].as_array().cloned().unwrap_or_default();
    if !list.is_empty() {
        println!();
        for m in list {
            println!(
                "{} {:<14} {}: {}",
                cell(&m["time"]),
                cell(&m["message_type_name"]),
                cell(&m["source"]),
                cell(&m["message"])
            );
        }
    }
    Ok(())
}
