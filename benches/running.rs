//! The running-packages benchmark: start latency (API request to the runner executing its
//! task), 500 packages running at once (the service's resident memory and the running list's
//! latency), the service's exit time after SIGTERM with 500 runs in flight against none (and
//! whether every runner was signalled: each must end by itself), and the sustained start rate
//! of short packages. It prints one table of measures against their
//! targets and never asserts a timing; it fails only when the service misbehaves. Every runner
//! it started is killed at the end. This file owns only the benchmark; the service is started
//! through the shared test support in `tests/support/mod.rs`.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{ms, percentile, row, run_steps, status_kb, Row};
use support::{http, json, temp_dir, Options, Service};

/// Starts measured one after the other.
const LATENCY_RUNS: usize = 40;
/// Short runs for the start rate.
const RATE_RUNS: usize = 300;
/// Requests of the running list measured.
const LIST_REQUESTS: usize = 30;

fn in_flight() -> usize {
    std::env::var("SSISD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

const SLEEPER: &str = r#"<?xml version="1.0"?>
<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package" DTS:CreationName="Microsoft.Package" DTS:DTSID="{44444444-0000-4000-8000-000000000001}" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="Sleeper" DTS:ProtectionLevel="0">
  <DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>
  <DTS:Executables><DTS:Executable DTS:refId="Package\Step" DTS:CreationName="Microsoft.ExecuteProcess" DTS:DTSID="{44444444-0000-4000-8000-000000000002}" DTS:ExecutableType="Microsoft.ExecuteProcess" DTS:ObjectName="Step"><DTS:Variables /><DTS:ObjectData><ExecuteProcessData Executable="/bin/sleep" Arguments="ARGS" /></DTS:ObjectData></DTS:Executable></DTS:Executables>
</DTS:Executable>
"#;

fn service() -> (tempfile::TempDir, Service) {
    let temp = temp_dir();
    let s = Service::spawn(temp.path(), &Options::default()).expect("ssisd did not start");
    Service::eventually(Duration::from_secs(20), || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    for (name, secs) in [("sleep600", "600"), ("quick", "0")] {
        let body = SLEEPER.replace("ARGS", secs);
        let (code, _) = http(
            &s,
            "PUT",
            &format!("packages/File%20System/{name}?overwrite=true"),
            Some(body.as_bytes()),
        );
        assert!(code < 300, "import {name}: {code}");
    }
    (temp, s)
}

fn start(agent: &ureq::Agent, s: &Service, package: &str) -> String {
    start_at(agent, &s.url("running"), package)
}

fn start_at(agent: &ureq::Agent, url: &str, package: &str) -> String {
    let body = format!(r#"{{"package":"File System/{package}"}}"#);
    let answer = agent
        .post(url)
        .set("Content-Type", "application/json")
        .send_bytes(body.as_bytes())
        .unwrap_or_else(|e| panic!("start {package}: {e}"));
    let v: serde_json::Value = answer.into_json().unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// Waits until the run's event file shows its task started.
fn executing(run_dir: &Path, deadline: Duration) -> bool {
    let events = run_dir.join("events.jsonl");
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if std::fs::read_to_string(&events)
            .is_ok_and(|t| t.contains("\"executable_start\"") && t.contains("\"kind\":\"Task\""))
        {
            return true;
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    false
}

/// SIGKILL to every runner group recorded under `runs`.
fn kill_runners(runs: &Path) {
    let Ok(entries) = std::fs::read_dir(runs) else {
        return;
    };
    for e in entries.flatten() {
        if let Some(pid) = std::fs::read(e.path().join("state.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["pid"].as_i64())
        {
            support::kill_group(pid as i32);
        }
    }
}

/// 1. API request to the runner executing its task.
fn start_latency(rows: &mut Vec<Row>) {
    let (_t, s) = service();
    let agent = ureq::Agent::new();
    let mut api = Vec::new();
    let mut exec = Vec::new();
    for _ in 0..LATENCY_RUNS {
        let t = Instant::now();
        let id = start(&agent, &s, "quick");
        api.push(t.elapsed());
        assert!(
            executing(&s.data_dir.join("runs").join(&id), Duration::from_secs(10)),
            "run {id} never executed"
        );
        exec.push(t.elapsed());
    }
    rows.push(row(
        "start: POST /running answered, p50 / p95",
        format!(
            "{} / {}",
            ms(percentile(&api, 0.5)),
            ms(percentile(&api, 0.95))
        ),
        "—",
    ));
    rows.push(row(
        "start: request to runner executing, p50 / p95",
        format!(
            "{} / {}",
            ms(percentile(&exec, 0.5)),
            ms(percentile(&exec, 0.95))
        ),
        "p50 < 20 ms",
    ));
}

/// 2 and 3. Many runs at once: memory, list latency, then SIGTERM with them in flight.
fn many_at_once(rows: &mut Vec<Row>) {
    let n = in_flight();
    let (_t, mut s) = service();
    let runs = s.data_dir.join("runs");
    let agent = ureq::Agent::new();
    let t = Instant::now();
    let ids: Vec<String> = (0..n).map(|_| start(&agent, &s, "sleep600")).collect();
    let all_running = Service::eventually(Duration::from_secs(120), || {
        let (_, body) = http(&s, "GET", "running", None);
        let list = json(&body)["running"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (list
            .iter()
            .filter(|r| {
                r["state"] == "running" && r["executing"].as_array().is_some_and(|e| !e.is_empty())
            })
            .count()
            >= n)
            .then(|| t.elapsed())
    });
    rows.push(row(
        format!("{n} runs: all started and executing after"),
        format!("{:.2} s", all_running.as_secs_f64()),
        "—",
    ));
    std::thread::sleep(Duration::from_secs(1));
    let rss = status_kb(s.pid(), "VmRSS:").unwrap_or(0);
    rows.push(row(
        format!("{n} runs: service resident memory (VmRSS)"),
        format!("{:.1} MB", rss as f64 / 1024.0),
        "< 100 MB",
    ));
    let mut list = Vec::new();
    for _ in 0..LIST_REQUESTS {
        let t = Instant::now();
        let r = agent.get(&s.url("running")).call().unwrap();
        let _ = r.into_string().unwrap();
        list.push(t.elapsed());
    }
    rows.push(row(
        format!("{n} runs: GET /running, p50 / p95"),
        format!(
            "{} / {}",
            ms(percentile(&list, 0.5)),
            ms(percentile(&list, 0.95))
        ),
        "p50 < 20 ms",
    ));
    let pids: Vec<i32> = ids
        .iter()
        .filter_map(|id| {
            std::fs::read(runs.join(id).join("state.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v["pid"].as_i64())
                .map(|p| p as i32)
        })
        .collect();
    let t = Instant::now();
    s.signal(libc::SIGTERM);
    s.wait_exit(Duration::from_secs(60))
        .expect("ssisd did not exit");
    let busy_exit = t.elapsed();
    // Every runner was signalled: each cancels and ends by itself (a runner not signalled
    // would sleep its 600 s).
    let mut ended_after = None;
    while t.elapsed() < Duration::from_secs(120) {
        if pids.iter().all(|p| !support::pid_alive(*p)) {
            ended_after = Some(t.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let still_alive = pids.iter().filter(|p| support::pid_alive(**p)).count();
    kill_runners(&runs);

    // The idle stop, measured in the same run (median of five).
    let mut idle = Vec::new();
    for _ in 0..5 {
        let (_t2, mut quiet) = service();
        let t = Instant::now();
        quiet.signal(libc::SIGTERM);
        quiet
            .wait_exit(Duration::from_secs(60))
            .expect("ssisd did not exit");
        idle.push(t.elapsed());
    }
    let idle_exit = percentile(&idle, 0.5);
    rows.push(row(
        "exit after SIGTERM, no run in flight (median of 5)",
        ms(idle_exit),
        "—",
    ));
    rows.push(row(
        format!("exit after SIGTERM, {n} runs in flight"),
        format!(
            "{} ({:.1}× idle)",
            ms(busy_exit),
            busy_exit.as_secs_f64() / idle_exit.as_secs_f64().max(1e-6)
        ),
        "≤ 100 ms",
    ));
    rows.push(row(
        format!("{n} runners signalled at the stop"),
        match ended_after {
            Some(d) => format!(
                "{}/{} ended by themselves, the last {:.2} s after SIGTERM",
                pids.len(),
                pids.len(),
                d.as_secs_f64()
            ),
            None => format!("{still_alive} of {} still running after 120 s", pids.len()),
        },
        "all",
    ));
}

/// 4. Short runs started as fast as the API takes them, until all have ended.
fn start_rate(rows: &mut Vec<Row>) {
    let (_t, s) = service();
    let url = s.url("running");
    let t = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let agent = ureq::Agent::new();
                for _ in 0..RATE_RUNS / 4 {
                    start_at(&agent, &url, "quick");
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    let submitted = t.elapsed();
    let ended = Service::eventually(Duration::from_secs(300), || {
        let (_, body) = http(
            &s,
            "GET",
            "events?event_id=12289,12291,1030&limit=1000",
            None,
        );
        let n = json(&body)["events"].as_array().map_or(0, |a| a.len());
        (n >= RATE_RUNS).then(|| t.elapsed())
    });
    rows.push(row(
        format!("{RATE_RUNS} short runs: started / ended per second"),
        format!(
            "{:.0} / {:.0} runs/s",
            RATE_RUNS as f64 / submitted.as_secs_f64(),
            RATE_RUNS as f64 / ended.as_secs_f64()
        ),
        "≥ 100 runs/s",
    ));
    kill_runners(&s.data_dir.join("runs"));
}

fn main() {
    let bin: PathBuf = support::ssisd_bin();
    println!("ssisd running-packages benchmark");
    println!("binary: {}", bin.display());
    println!(
        "nproc {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // SSISD_BENCH_ONLY=many runs only the 500-run part (see run_steps).
    let steps: [(&str, common::Step); 3] = [
        ("start latency", start_latency),
        ("many at once", many_at_once),
        ("start rate", start_rate),
    ];
    run_steps(&steps);
}
