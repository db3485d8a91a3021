//! The foundation benchmark: how fast the release `ssisd` gets ready, lists a folder of 10,000
//! packages, imports and exports a 1 MB package, appends durably to the event log, and how much
//! memory it holds when idle. It prints one table of measures against their targets and never
//! asserts a timing; it fails only when the service misbehaves (no ready line, a non-2xx
//! answer, a wrong listing). This file owns only the benchmark; the service is started through
//! the shared test support in `tests/support/mod.rs`.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{ms, percentile, row, run_steps, status_kb, Row};
use futures_util::stream::{FuturesUnordered, StreamExt};
use ssisd_actors::event_log::Journal;
use ssisd_actors::{EventId, NewEvent};
use support::{small_package, temp_dir, Options, Service};

/// Starts measured for exec-to-ready.
const START_RUNS: usize = 30;
/// Packages in the listed folder.
const LISTED_PACKAGES: usize = 10_000;
/// Warm listings after the first (cold) one.
const WARM_LISTINGS: usize = 20;
/// Import + export pairs of the large package.
const PUT_GET_PAIRS: usize = 50;
/// Size the large package is grown to.
const LARGE_PACKAGE_BYTES: usize = 1024 * 1024;
/// Appends per concurrency level.
const APPENDS: usize = 20_000;
/// A concurrency level stops early (and says so) after this long.
const APPEND_TIME_CAP: Duration = Duration::from_secs(30);
/// Appends in flight.
const CONCURRENCY: [usize; 4] = [1, 16, 256, 1024];

fn max(samples: &[Duration]) -> Duration {
    samples.iter().copied().max().unwrap_or_default()
}

/// One request on a keep-alive agent; panics unless the status is 2xx.
fn call(agent: &ureq::Agent, url: &str, method: &str, body: Option<&[u8]>) -> Vec<u8> {
    let req = agent.request(method, url).timeout(Duration::from_secs(60));
    let result = match body {
        Some(b) => req
            .set(
                "Content-Type",
                if method == "PUT" && url.contains("/packages/") {
                    "application/xml"
                } else {
                    "application/json"
                },
            )
            .send_bytes(b),
        None => req.call(),
    };
    match result {
        Ok(response) => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).unwrap();
            bytes
        }
        Err(ureq::Error::Status(code, r)) => {
            panic!(
                "{method} {url}: {code}: {}",
                r.into_string().unwrap_or_default()
            )
        }
        Err(e) => panic!("{method} {url}: {e}"),
    }
}

/// Makes sure the release binary exists, building it when it does not.
fn ensure_release_binary() {
    let bin = support::ssisd_bin();
    if !bin.exists() {
        println!(
            "{} is missing; running cargo build --release --bin ssisd",
            bin.display()
        );
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "--bin", "ssisd"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cannot run cargo to build the release ssisd");
        assert!(
            status.success() && bin.exists(),
            "cargo build --release --bin ssisd failed; cannot benchmark without {}",
            bin.display()
        );
    }
    if !bin.parent().is_some_and(|p| p.ends_with("release")) {
        println!(
            "WARNING: {} is not a release build; run `cargo bench`",
            bin.display()
        );
    }
}

fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("machine: nproc {cores}, {cpu}")
}

/// 1. Spawn to the ready line, and to the first 200 from `/status`.
fn exec_to_ready(rows: &mut Vec<Row>) {
    let mut ready = Vec::with_capacity(START_RUNS);
    let mut status = Vec::with_capacity(START_RUNS);
    for _ in 0..START_RUNS {
        let temp = temp_dir();
        let t0 = Instant::now();
        let svc = Service::spawn(temp.path(), &Options::default())
            .unwrap_or_else(|e| panic!("ssisd did not get ready: {e}"));
        ready.push(t0.elapsed());
        let agent = ureq::AgentBuilder::new().build();
        let url = svc.url("status");
        loop {
            match agent.get(&url).timeout(Duration::from_secs(5)).call() {
                Ok(r) if r.status() == 200 => break,
                _ if t0.elapsed() > Duration::from_secs(10) => {
                    panic!("/status did not answer 200 within 10 s")
                }
                _ => std::thread::sleep(Duration::from_micros(200)),
            }
        }
        status.push(t0.elapsed());
        drop(svc);
    }
    for (what, samples) in [("ready line", &ready), ("first /status 200", &status)] {
        rows.push(row(
            format!("exec → {what} ({START_RUNS} runs) p50 / p90 / max"),
            format!(
                "{} / {} / {}",
                ms(percentile(samples, 0.5)),
                ms(percentile(samples, 0.9)),
                ms(max(samples))
            ),
            "p50 < 30 ms",
        ));
    }
}

/// A plain `scandir` + `stat` of every entry of `dir`: the floor any listing stands on.
fn scandir_stat(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.metadata().is_ok() {
            n += 1;
        }
    }
    n
}

/// `samples` timings of `f`.
fn timed(samples: usize, mut f: impl FnMut()) -> Vec<Duration> {
    (0..samples)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

/// Step 2. A folder of 10,000 packages written straight into the store, listed through the
/// API: the first listing with no saved header cache, warm listings, the first listing after
/// a restart (headers from the saved cache), a page, and a field choice — beside a plain
/// scandir + stat of the same directory in the same run.
fn listing(rows: &mut Vec<Row>) {
    let temp = temp_dir();
    let mut svc = Service::spawn(temp.path(), &Options::default()).unwrap();
    let folder = svc.data_dir.join("Packages").join("Bench10k");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..LISTED_PACKAGES {
        let name = format!("Package{i:05}");
        std::fs::write(folder.join(format!("{name}.dtsx")), small_package(&name)).unwrap();
    }
    let agent = ureq::AgentBuilder::new().build();
    let url = svc.url("folders/File%20System/Bench10k");
    let t = Instant::now();
    let body = call(&agent, &url, "GET", None);
    let cold = t.elapsed();
    let listed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let packages = listed["packages"].as_array().expect("no packages array");
    assert_eq!(packages.len(), LISTED_PACKAGES, "listing is incomplete");
    assert!(
        packages
            .iter()
            .all(|p| p.get("error").is_none_or(|e| e.is_null())),
        "some packages were listed with an error"
    );
    let warm = timed(WARM_LISTINGS, || {
        let b = call(&agent, &url, "GET", None);
        assert_eq!(b.len(), body.len());
    });
    let plain = timed(WARM_LISTINGS, || {
        assert!(scandir_stat(&folder) >= LISTED_PACKAGES);
    });
    let page_url = format!("{url}?limit=100");
    let page = timed(WARM_LISTINGS, || {
        call(&agent, &page_url, "GET", None);
    });
    let fields_url = format!("{url}?fields=size");
    let mut fields_len = 0;
    let fields = timed(WARM_LISTINGS, || {
        fields_len = call(&agent, &fields_url, "GET", None).len();
    });
    // The header cache is saved beside the listing; a restart then reads it instead of every
    // package.
    let saved = folder.join(".ssisd-headers");
    let t = Instant::now();
    while !saved.exists() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(saved.exists(), "the header cache was not saved");
    svc.stop();
    drop(svc);
    let svc = Service::spawn(temp.path(), &Options::default()).unwrap();
    let agent = ureq::AgentBuilder::new().build();
    let url = svc.url("folders/File%20System/Bench10k");
    let t = Instant::now();
    let again = call(&agent, &url, "GET", None);
    let restarted = t.elapsed();
    assert_eq!(
        again.len(),
        body.len(),
        "the listing changed across a restart"
    );

    let p50 = |v: &[Duration]| ms(percentile(v, 0.5));
    rows.push(row(
        format!("plain scandir + stat of the {LISTED_PACKAGES} files ({WARM_LISTINGS} runs) p50 / max, in-process"),
        format!("{} / {}", p50(&plain), ms(max(&plain))),
        "(the floor)",
    ));
    rows.push(row(
        format!("list {LISTED_PACKAGES} packages, first ever (no saved header cache: every header read)"),
        format!("{} ({} KB JSON)", ms(cold), body.len() / 1024),
        "-",
    ));
    rows.push(row(
        format!("list {LISTED_PACKAGES} packages, first after a restart (saved header cache)"),
        ms(restarted),
        "< 60 ms",
    ));
    rows.push(row(
        format!("list {LISTED_PACKAGES} packages, warm ({WARM_LISTINGS} runs) p50 / max"),
        format!("{} / {}", p50(&warm), ms(max(&warm))),
        "< 20 ms",
    ));
    rows.push(row(
        format!("list {LISTED_PACKAGES} packages, ?fields=size, warm p50 / max"),
        format!(
            "{} / {} ({} KB JSON)",
            p50(&fields),
            ms(max(&fields)),
            fields_len / 1024
        ),
        "-",
    ));
    rows.push(row(
        format!("first page of {LISTED_PACKAGES} packages, ?limit=100, warm p50 / max"),
        format!("{} / {}", p50(&page), ms(max(&page))),
        "-",
    ));
}

/// A valid package of about `size` bytes: the small package with as many string variables as
/// it takes.
fn large_package(name: &str, size: usize) -> Vec<u8> {
    let small = String::from_utf8(small_package(name)).unwrap();
    let end = small
        .rfind("</DTS:Executable>")
        .expect("small package has no end tag");
    let mut out = String::with_capacity(size + 4096);
    out.push_str(&small[..end]);
    out.push_str("  <DTS:Variables>\n");
    let filler = "x".repeat(200);
    let mut i = 0;
    while out.len() < size {
        out.push_str(&format!(
            "    <DTS:Variable DTS:CreationName=\"\" DTS:DTSID=\"{{00000000-0000-0000-0000-{i:012}}}\" \
             DTS:Namespace=\"User\" DTS:ObjectName=\"Var{i}\">\n      \
             <DTS:VariableValue DTS:DataType=\"8\">{filler}</DTS:VariableValue>\n    \
             </DTS:Variable>\n"
        ));
        i += 1;
    }
    out.push_str("  </DTS:Variables>\n");
    out.push_str(&small[end..]);
    out.into_bytes()
}

/// 3. PUT (overwrite) then GET of a 1 MB package.
fn import_export(rows: &mut Vec<Row>) {
    let temp = temp_dir();
    let options = Options {
        env: vec![(
            "SSISD_SERVICE__MAX_REQUEST_BYTES".into(),
            (16 * 1024 * 1024).to_string(),
        )],
        ..Options::default()
    };
    let svc = Service::spawn(temp.path(), &options).unwrap();
    let package = large_package("Large", LARGE_PACKAGE_BYTES);
    let agent = ureq::AgentBuilder::new().build();
    let url = svc.url("packages/File%20System/Large?overwrite=true");
    let export_url = svc.url("packages/File%20System/Large");
    // One unmeasured pair: creates the file and checks the round trip.
    call(&agent, &url, "PUT", Some(&package));
    assert!(
        call(&agent, &export_url, "GET", None) == package,
        "export differs from import"
    );
    let mut pairs = Vec::with_capacity(PUT_GET_PAIRS);
    for _ in 0..PUT_GET_PAIRS {
        let t = Instant::now();
        call(&agent, &url, "PUT", Some(&package));
        let back = call(&agent, &export_url, "GET", None);
        pairs.push(t.elapsed());
        assert_eq!(back.len(), package.len());
    }
    rows.push(row(
        format!(
            "PUT (overwrite) + GET of a {} KB package ({PUT_GET_PAIRS} pairs) p50 / p90",
            package.len() / 1024
        ),
        format!(
            "{} / {}",
            ms(percentile(&pairs, 0.5)),
            ms(percentile(&pairs, 0.9))
        ),
        "< 10 ms",
    ));
}

/// Appends `total` events keeping `window` in flight; returns how many were done and how long
/// they took (stopping early after [`APPEND_TIME_CAP`]).
async fn append_window(journal: &Journal, window: usize, total: usize) -> (usize, Duration) {
    let event = || NewEvent::new(EventId::PackageImported, "benchmark append").field("n", 1);
    let mut in_flight = FuturesUnordered::new();
    let (mut started, mut done) = (0, 0);
    let t = Instant::now();
    while done < total {
        while in_flight.len() < window && started < total && t.elapsed() < APPEND_TIME_CAP {
            in_flight.push(journal.append(event()));
            started += 1;
        }
        match in_flight.next().await {
            Some(r) => {
                r.expect("append failed");
                done += 1;
            }
            None => break,
        }
    }
    (done, t.elapsed())
}

/// 4. Durable appends per second on the journal itself.
fn journal_appends(rows: &mut Vec<Row>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for window in CONCURRENCY {
        let temp = temp_dir();
        let journal = Journal::open(&temp.path().join("events.db"), 10_000_000).unwrap();
        let (done, took) = runtime.block_on(async {
            append_window(&journal, window, 100).await;
            let r = append_window(&journal, window, APPENDS).await;
            journal.close().await;
            r
        });
        let rate = done as f64 / took.as_secs_f64();
        let note = if done < APPENDS {
            format!(
                " (stopped after {done} appends / {:.0} s)",
                took.as_secs_f64()
            )
        } else {
            format!(" ({done} appends)")
        };
        rows.push(row(
            format!("event-log durable appends, {window} in flight"),
            format!("{rate:.0} /s{note}"),
            "≥ 20,000 /s",
        ));
    }
}

/// 5. Resident memory after 2 s of idling.
fn idle_memory(rows: &mut Vec<Row>) {
    let temp = temp_dir();
    let svc = Service::spawn(temp.path(), &Options::default()).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let rss = status_kb(svc.pid(), "VmRSS:").expect("no VmRSS");
    let hwm = status_kb(svc.pid(), "VmHWM:").expect("no VmHWM");
    rows.push(row(
        "idle resident memory after 2 s, VmRSS / VmHWM",
        format!(
            "{:.1} MB / {:.1} MB",
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        ),
        "< 30 MB",
    ));
}

fn main() {
    ensure_release_binary();
    println!("ssisd foundation benchmark");
    println!("{}", machine());
    println!("binary: {}", support::ssisd_bin().display());
    println!(
        "temporary directories under {}",
        std::env::temp_dir().display()
    );
    run_steps(&[
        ("exec-to-ready", exec_to_ready),
        ("listing", listing),
        ("import + export", import_export),
        ("event-log appends", journal_appends),
        ("idle memory", idle_memory),
    ]);
    println!();
    println!(
        "Every acknowledged append is committed with SQLite WAL and synchronous=FULL: appends \
         waiting at the same moment share one transaction and one fsync (group commit), so the \
         rate grows with the number in flight."
    );
    println!("Timings are printed, never asserted.");
}
