//! What every benchmark binary shares: the printed table (`| measure | result | target |`),
//! timing helpers (milliseconds, nearest-rank percentiles) and reading a process's memory from
//! `/proc`. Benchmarks print figures; nothing here asserts a timing.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// One measure, adding its rows to the table.
pub type Step = fn(&mut Vec<Row>);

/// One row of the printed table.
pub struct Row {
    pub measure: String,
    pub result: String,
    pub target: String,
}

pub fn row(
    measure: impl Into<String>,
    result: impl Into<String>,
    target: impl Into<String>,
) -> Row {
    Row {
        measure: measure.into(),
        result: result.into(),
        target: target.into(),
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Nearest-rank percentile (`q` in 0..=1) of unsorted samples.
pub fn percentile(samples: &[Duration], q: f64) -> Duration {
    let mut v = samples.to_vec();
    v.sort();
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// A `kB` field (`VmRSS`, `VmHWM` …) of `/proc/<pid>/status`.
pub fn status_kb(pid: i32, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Prints the rows as a Markdown table with aligned columns.
pub fn print_table(rows: &[Row]) {
    let w = |f: fn(&Row) -> &String| rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let (w0, w1, w2) = (w(|r| &r.measure), w(|r| &r.result), w(|r| &r.target));
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    println!(
        "| {} | {} | {} |",
        pad("measure", w0),
        pad("result", w1),
        pad("target", w2)
    );
    println!(
        "|{}|{}|{}|",
        "-".repeat(w0 + 2),
        "-".repeat(w1 + 2),
        "-".repeat(w2 + 2)
    );
    for r in rows {
        println!(
            "| {} | {} | {} |",
            pad(&r.measure, w0),
            pad(&r.result, w1),
            pad(&r.target, w2)
        );
    }
}

/// Runs each named step (reporting its duration on stderr) and prints the table of their rows.
pub fn run_steps(steps: &[(&str, Step)]) {
    let mut rows = Vec::new();
    // SSISD_BENCH_ONLY=<names> runs those steps: a comma-separated list of step names or of
    // their first words.
    let only = std::env::var("SSISD_BENCH_ONLY").unwrap_or_default();
    let chosen = |name: &str| {
        only.is_empty()
            || only
                .split(',')
                .map(str::trim)
                .any(|o| o == name || name.split(' ').next() == Some(o))
    };
    for (name, step) in steps {
        if !chosen(name) {
            continue;
        }
        let t = Instant::now();
        step(&mut rows);
        eprintln!("{name}: done in {:.1} s", t.elapsed().as_secs_f64());
    }
    println!();
    print_table(&rows);
}
