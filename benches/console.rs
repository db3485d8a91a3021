//! The web console's benchmark, one table:
//! - first page load on a folder of 10,000 packages: the requests a browser makes when it opens
//!   `/packages/File System/Big` with a session (the page, its style sheet and script, the
//!   top-level folders and the folder's first page of 500 entries), timed on the client over
//!   loopback, each on a new connection; and, beside it, the whole folder in one listing as a
//!   client without paging would ask for it. The packages are written into the File System
//!   folder's directory, as an administrator copying files there would;
//! - live view latency: a run's records (a package writing two every ~60 ms) from the `time`
//!   the runner gave each to its arrival in a Chromium page following the run's live view;
//! - browsers following runs: the service's CPU time and memory over the same window of one run
//!   with 0 and then with 50 live views open (each its own browser context).
//!
//! The browser side is `benches/console_live.py` (Playwright driving Debian's Chromium); without
//! them those rows say SKIPPED. It asserts no timing. The service is started through the shared
//! test support.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ms, percentile, row, run_steps, status_kb, Row};
use support::{temp_dir, Options, Service};

const PACKAGES: usize = 10_000;
const LOADS: usize = 30;

/// One request on a new connection: (status, body bytes, time to the last byte).
fn fetch(addr: &str, path: &str, headers: &str) -> (u16, usize, Duration) {
    let t = Instant::now();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let elapsed = t.elapsed();
    let head_end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(answer.len());
    let status = std::str::from_utf8(&answer[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer.len() - head_end, elapsed)
}

fn sign_in(s: &Service, token: &str) -> String {
    let mut stream = std::net::TcpStream::connect(&s.addr).unwrap();
    write!(
        stream,
        "POST /session HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        s.addr
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let cookie = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("no session cookie");
    cookie.split(';').next().unwrap().to_string()
}

/// A service that accepts only tokens, with an administrator's: (service, its keys, token).
fn service_with_token() -> (Service, tempfile::TempDir, String) {
    let keys = temp_dir();
    let tokens = keys.path().join("tokens");
    let token = support::create_token(&tokens, "bench", "administrator");
    let env = vec![
        (
            "SSISD_ACCESS__TOKENS_FILE".to_string(),
            tokens.display().to_string(),
        ),
        (
            "SSISD_SERVICE__UNAUTHENTICATED_LOOPBACK".to_string(),
            "false".to_string(),
        ),
    ];
    let s = Service::start_in(temp_dir(), Options { config: None, env });
    (s, keys, token)
}

fn first_page_load(rows: &mut Vec<Row>) {
    let (s, _keys, token) = service_with_token();
    let big = s.data_dir.join("Packages").join("Big");
    std::fs::create_dir_all(&big).unwrap();
    for i in 0..PACKAGES {
        let name = format!("Load_{i:05}");
        std::fs::write(
            big.join(format!("{name}.dtsx")),
            support::small_package(&name),
        )
        .unwrap();
    }
    let cookie = format!("Cookie: {}\r\n", sign_in(&s, &token));
    let page = [
        "/packages/File%20System/Big",
        "/assets/console-2.css",
        "/assets/console-2.js",
        "/api/v1/folders",
        "/api/v1/folders/File%20System/Big?limit=500",
    ];
    let load = || {
        let mut total = Duration::ZERO;
        let mut bytes = 0;
        for path in page {
            let (status, size, took) = fetch(&s.addr, path, &cookie);
            assert_eq!(status, 200, "{path}");
            total += took;
            bytes += size;
        }
        (total, bytes)
    };
    let (cold, bytes) = load();
    let mut samples = Vec::new();
    for _ in 0..LOADS {
        samples.push(load().0);
    }
    rows.push(row(
        format!("first page load, folder of {PACKAGES} packages: 5 requests (page, CSS, script, folders, first 500 entries), server time"),
        format!(
            "p50 {}, p95 {} (the very first, headers read cold: {})",
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.95)),
            ms(cold)
        ),
        "p50 < 50 ms",
    ));
    rows.push(row(
        "first page load, bytes transferred (bodies, uncompressed)",
        format!("{:.1} KiB", bytes as f64 / 1024.0),
        "—",
    ));
    // After each change to the folder its listing is computed again (the answer cache keeps a
    // folder's listing only while the folder is unchanged).
    let mut changed = Vec::new();
    for i in 0..15 {
        let name = format!("Extra_{i:02}");
        let body = support::small_package(&name);
        let mut stream = std::net::TcpStream::connect(&s.addr).unwrap();
        write!(
            stream,
            "PUT /api/v1/packages/File%20System/Big/{name} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            s.addr,
            body.len()
        )
        .unwrap();
        stream.write_all(&body).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        changed.push(load().0);
    }
    rows.push(row(
        "the same, each right after an import into the folder (its listing computed again)",
        format!(
            "p50 {}, p95 {}",
            ms(percentile(&changed, 0.5)),
            ms(percentile(&changed, 0.95))
        ),
        "p50 < 50 ms",
    ));
    let mut whole = Vec::new();
    let mut whole_bytes = 0;
    for _ in 0..10 {
        let (status, size, took) = fetch(&s.addr, "/api/v1/folders/File%20System/Big", &cookie);
        assert_eq!(status, 200);
        whole.push(took);
        whole_bytes = size;
    }
    rows.push(row(
        format!("beside it: the whole folder in one listing ({PACKAGES} packages, all fields, answer cached)"),
        format!(
            "p50 {}, {:.1} KiB",
            ms(percentile(&whole, 0.5)),
            whole_bytes as f64 / 1024.0
        ),
        "—",
    ));
}

/// One request with the bearer token: (status, body).
fn call(s: &Service, token: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let media = if body.starts_with(b"<") {
        "application/xml"
    } else {
        "application/json"
    };
    let mut stream = std::net::TcpStream::connect(&s.addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: {media}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        s.addr,
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A package whose For Loop runs `/bin/sleep <tick>` `count` times: two records (the task's
/// start and end) about every tick, for as long as the count lasts.
fn looper(count: u32, tick: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package" DTS:CreationName="Microsoft.Package" DTS:DTSID="{{55555555-0000-4000-8000-000000000001}}" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="Looper" DTS:ProtectionLevel="0">
  <DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>
  <DTS:Variables><DTS:Variable DTS:CreationName="" DTS:DTSID="{{55555555-0000-4000-8000-000000000002}}" DTS:Namespace="User" DTS:ObjectName="N"><DTS:VariableValue DTS:DataType="3">0</DTS:VariableValue></DTS:Variable></DTS:Variables>
  <DTS:Executables><DTS:Executable DTS:refId="Package\Loop" DTS:AssignExpression="@N = @N + 1" DTS:CreationName="STOCK:FORLOOP" DTS:DTSID="{{55555555-0000-4000-8000-000000000003}}" DTS:EvalExpression="@N &lt; {count}" DTS:ExecutableType="STOCK:FORLOOP" DTS:InitExpression="@N = 0" DTS:ObjectName="Loop"><DTS:Variables /><DTS:Executables><DTS:Executable DTS:refId="Package\Loop\Tick" DTS:CreationName="Microsoft.ExecuteProcess" DTS:DTSID="{{55555555-0000-4000-8000-000000000004}}" DTS:ExecutableType="Microsoft.ExecuteProcess" DTS:ObjectName="Tick"><DTS:Variables /><DTS:ObjectData><ExecuteProcessData Executable="/bin/sleep" Arguments="{tick}" /></DTS:ObjectData></DTS:Executable></DTS:Executables></DTS:Executable></DTS:Executables>
</DTS:Executable>
"#
    )
}

/// A run that is stopped when this is dropped (before the service: declare it after).
struct StopOnDrop<'a> {
    s: &'a Service,
    token: &'a str,
    id: String,
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let path = format!("/api/v1/running/{}/stop", self.id);
        let _ = call(self.s, self.token, "POST", &path, b"");
        // Wait for the run to leave the list, so no runner outlives the benchmark.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let (status, _) = call(
                self.s,
                self.token,
                "GET",
                &format!("/api/v1/running/{}", self.id),
                b"",
            );
            if status == 404 {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Imports the looping package as `File System/<name>` and starts it.
fn start_looper<'a>(
    s: &'a Service,
    token: &'a str,
    name: &str,
    count: u32,
    tick: &str,
) -> StopOnDrop<'a> {
    let (status, answer) = call(
        s,
        token,
        "PUT",
        &format!("/api/v1/packages/File%20System/{name}?overwrite=true"),
        looper(count, tick).as_bytes(),
    );
    assert!(status < 300, "import {name}: {status} {answer}");
    let body = format!(r#"{{"package":"File System/{name}"}}"#);
    let (status, answer) = call(s, token, "POST", "/api/v1/running", body.as_bytes());
    assert!(status < 300, "start {name}: {status} {answer}");
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    StopOnDrop {
        s,
        token,
        id: v["id"].as_str().unwrap().to_string(),
    }
}

/// Starts `benches/console_live.py` with `args` against the service, following run `id`.
fn browsers(s: &Service, cookie: &str, id: &str, args: &[&str], window: Duration) -> Child {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/console_live.py");
    Command::new("python3")
        .arg(script)
        .args(args)
        .env("SSISD_URL", format!("http://{}", s.addr))
        .env("SSISD_COOKIE", cookie)
        .env("SSISD_RUN", id)
        .env("SSISD_WINDOW", window.as_secs_f64().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 could not be started")
}

/// The script's stdout lines as they come, each with the moment it was read; the channel ends
/// with the script's stdout.
fn lines_of(child: &mut Child) -> std::sync::mpsc::Receiver<(Instant, String)> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send((Instant::now(), line)).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits for a line starting with `prefix` until `deadline`; the rest of that line.
fn wait_line(
    rx: &std::sync::mpsc::Receiver<(Instant, String)>,
    prefix: &str,
    deadline: Instant,
) -> Option<(Instant, String)> {
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        let (at, line) = rx.recv_timeout(left).ok()?;
        if let Some(rest) = line.strip_prefix(prefix) {
            return Some((at, rest.trim().to_string()));
        }
        eprintln!("console_live.py: {line}");
    }
}

/// Ends the browser script: it closes its browser itself, or on SIGTERM (Chromium runs in a
/// process group of its own, so killing the script outright would leave it running); killed
/// only when it does not end within a minute.
fn end(mut child: Child) {
    let wait = |child: &mut Child, secs: u64| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    };
    if !wait(&mut child, 10) {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        if !wait(&mut child, 50) {
            let _ = child.kill();
        }
    }
    let _ = child.wait();
}

fn live_view_latency(rows: &mut Vec<Row>) {
    const MEASURE: &str = "live view latency: a run's record (written by the runner) to its arrival in a Chromium page following the run";
    if let Err(missing) = support::browser_available() {
        rows.push(row(MEASURE, format!("SKIPPED: {missing}"), "p50 < 200 ms"));
        return;
    }
    let (s, _keys, token) = service_with_token();
    let cookie = sign_in(&s, &token);
    // 150 turns of ~60 ms and a process start each: about 15 s of records on this machine.
    let run = start_looper(&s, &token, "Looper", 150, "0.06");
    let mut child = browsers(&s, &cookie, &run.id, &["latency"], Duration::ZERO);
    let rx = lines_of(&mut child);
    let answer = wait_line(&rx, "{", Instant::now() + Duration::from_secs(180));
    end(child);
    let Some((_, answer)) = answer else {
        rows.push(row(
            MEASURE,
            "FAILED: the browser gave no answer within 180 s (see its output above)",
            "p50 < 200 ms",
        ));
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&format!("{{{answer}")).unwrap();
    let samples: Vec<Duration> = v["samples_ms"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_f64())
        .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
        .collect();
    if samples.is_empty() {
        rows.push(row(
            MEASURE,
            format!("FAILED: no live record arrived ({answer})"),
            "p50 < 200 ms",
        ));
        return;
    }
    let max = samples.iter().max().copied().unwrap_or_default();
    rows.push(row(
        MEASURE,
        format!(
            "p50 {}, p95 {}, max {} ({} records live; {} written before the page opened, replayed, not counted{})",
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.95)),
            ms(max),
            samples.len(),
            v["replayed"],
            if v["ended"] == true { "" } else { "; the run's end did not arrive" }
        ),
        "p50 < 200 ms",
    ));
}

/// The service's CPU time so far (user + system, from `/proc/<pid>/stat`).
fn cpu_time(pid: i32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command's closing parenthesis; utime and stime are the 14th and
    // 15th of the whole line.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let per_second: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(100.0);
    Duration::from_secs_f64(ticks as f64 / per_second)
}

fn followers() -> usize {
    std::env::var("SSISD_BENCH_FOLLOWERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

fn browsers_following(rows: &mut Vec<Row>) {
    let n = followers();
    let measure = format!("{n} browsers following one run's live view (two records every ~250 ms): service CPU and memory");
    if let Err(missing) = support::browser_available() {
        rows.push(row(measure, format!("SKIPPED: {missing}"), "—"));
        return;
    }
    const WINDOW: Duration = Duration::from_secs(20);
    let (s, _keys, token) = service_with_token();
    let cookie = sign_in(&s, &token);
    let pid = s.pid();
    // Two records every ~250 ms, far longer than both windows and the browsers' start; stopped
    // at the end (also when a step fails: the guard stops it).
    let run = start_looper(&s, &token, "Follower", 4000, "0.25");
    std::thread::sleep(Duration::from_secs(3));
    let rss_before = status_kb(pid, "VmRSS").unwrap_or(0);
    let cpu = cpu_time(pid);
    let t = Instant::now();
    std::thread::sleep(WINDOW);
    let idle_cpu = cpu_time(pid) - cpu;
    let idle_wall = t.elapsed();
    let idle_rss = status_kb(pid, "VmRSS").unwrap_or(0);
    let idle_hwm = status_kb(pid, "VmHWM").unwrap_or(0);

    let mut child = browsers(&s, &cookie, &run.id, &["follow", &n.to_string()], WINDOW);
    let rx = lines_of(&mut child);
    let start = wait_line(&rx, "following", Instant::now() + Duration::from_secs(330));
    let Some((opened_at, live)) = start else {
        end(child);
        rows.push(row(
            measure,
            format!("FAILED: the {n} pages did not open within 330 s"),
            "—",
        ));
        return;
    };
    let cpu = cpu_time(pid);
    let done = wait_line(
        &rx,
        "window-end",
        Instant::now() + WINDOW + Duration::from_secs(120),
    );
    let busy_cpu = cpu_time(pid) - cpu;
    let (going, _) = call(
        &s,
        &token,
        "GET",
        &format!("/api/v1/running/{}", run.id),
        b"",
    );
    let busy_rss = status_kb(pid, "VmRSS").unwrap_or(0);
    let busy_hwm = status_kb(pid, "VmHWM").unwrap_or(0);
    let Some((closed_at, report)) = done else {
        end(child);
        rows.push(row(
            measure,
            format!("FAILED: the window did not end ({live} pages following)"),
            "—",
        ));
        return;
    };
    end(child);
    let busy_wall = closed_at - opened_at;
    let report: serde_json::Value = serde_json::from_str(&report).unwrap_or_default();
    let pct = |cpu: Duration, wall: Duration| 100.0 * cpu.as_secs_f64() / wall.as_secs_f64();
    rows.push(row(
        format!(
            "one run, no browser: service CPU (user+sys) over {:.0} s; VmRSS; VmHWM",
            idle_wall.as_secs_f64()
        ),
        format!(
            "{:.2} s = {:.1} % of a core; {:.1} MiB (at the run's start {:.1} MiB); {:.1} MiB",
            idle_cpu.as_secs_f64(),
            pct(idle_cpu, idle_wall),
            idle_rss as f64 / 1024.0,
            rss_before as f64 / 1024.0,
            idle_hwm as f64 / 1024.0
        ),
        "—",
    ));
    rows.push(row(
        format!(
            "the same run with {live} of {n} Chromium pages following its live view: service CPU over {:.0} s; VmRSS; VmHWM",
            busy_wall.as_secs_f64()
        ),
        format!(
            "{:.2} s = {:.1} % of a core; {:.1} MiB; {:.1} MiB ({} pages' messages grew in the window{})",
            busy_cpu.as_secs_f64(),
            pct(busy_cpu, busy_wall),
            busy_rss as f64 / 1024.0,
            busy_hwm as f64 / 1024.0,
            report["grew"],
            if going == 200 {
                ""
            } else {
                "; the run had ended: not comparable"
            }
        ),
        "—",
    ));
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    let before = load_average();
    run_steps(&[
        ("first_page_load", first_page_load),
        ("live_view_latency", live_view_latency),
        ("browsers_following", browsers_following),
    ]);
    println!("\nload average before: {before}; after: {}", load_average());
}
