//! Script Task benchmark; prints a table. `cargo bench -p ssisd-runtime --bench script`.
//! A package with one trivial C# Script Task (`tests/packages/script/trivial.dtsx`) run in
//! process, start of the task to its end: the first run in an empty cache (builds the script
//! host and compiles the script), the first run with the host built (compiles the script), and
//! 30 cached runs (target p50 < 150 ms). Beside them, the peer that bounds them from below:
//! `mono` starting a hello-world program. Needs Mono (`mono`, `mcs`); prints SKIPPED without.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ssisd_engine::load_package_file;
use ssisd_runtime::{run_package, EventBody, EventSink, RunEvent, RunOptions};

fn package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/packages/script/trivial.dtsx")
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or_default()
}

/// Times the Script task from its start event to its end event.
#[derive(Default)]
struct TaskTime(Mutex<(Option<Instant>, Option<Duration>, Vec<String>)>);

impl EventSink for TaskTime {
    fn emit(&self, e: &RunEvent) {
        let Ok(mut g) = self.0.lock() else { return };
        match &e.body {
            EventBody::ExecutableStarted { path, .. } if path == "\\Package\\Script" => {
                g.0 = Some(Instant::now())
            }
            EventBody::ExecutableFinished { path, .. } if path == "\\Package\\Script" => {
                g.1 = g.0.map(|s| s.elapsed())
            }
            EventBody::Message { description, .. } => g.2.push(description.clone()),
            _ => {}
        }
    }
}

fn run_once() -> Duration {
    let p = load_package_file(&package()).expect("the benchmark package loads");
    let sink = Arc::new(TaskTime::default());
    let out = run_package(&p, &RunOptions::default(), sink.clone());
    let g = sink.0.lock().expect("lock");
    assert_eq!(
        out.result,
        ssisd_engine::model::ExecResult::Success,
        "the trivial script failed: {:?}",
        g.2
    );
    g.1.expect("the task ran")
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let have = |p: &str| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("mono") || !have("mcs") {
        println!("SKIPPED: Mono (mono, mcs) is not installed");
        return;
    }
    let cache = tempfile::tempdir().expect("a temporary cache");
    std::env::set_var("SSISD_SCRIPT_CACHE", cache.path());
    let cold = run_once();
    // A new script, same host: only the script's compile.
    let scripts = cache.path().join("scripts");
    let _ = std::fs::remove_dir_all(&scripts);
    let compile = run_once();
    let mut cached: Vec<Duration> = (0..30).map(|_| run_once()).collect();
    let p50 = percentile(&mut cached, 0.5);
    let p95 = percentile(&mut cached, 0.95);

    // The peer: mono starting a hello-world program.
    let dir = tempfile::tempdir().expect("temp");
    std::fs::write(
        dir.path().join("hello.cs"),
        "class H { static void Main() { System.Console.WriteLine(\"hi\"); } }",
    )
    .expect("write");
    let built = Command::new("mcs")
        .current_dir(dir.path())
        .args(["-nologo", "hello.cs"])
        .status()
        .is_ok_and(|s| s.success());
    let mut hello: Vec<Duration> = Vec::new();
    if built {
        for _ in 0..30 {
            let t = Instant::now();
            let _ = Command::new("mono")
                .arg(dir.path().join("hello.exe"))
                .output();
            hello.push(t.elapsed());
        }
    }
    println!("| measurement | result | target |");
    println!("|---|---|---|");
    println!(
        "| Script Task, first run, empty cache (host build + compile) | {} | — |",
        ms(cold)
    );
    println!(
        "| Script Task, first run of a new script (compile) | {} | — |",
        ms(compile)
    );
    println!(
        "| Script Task, cached, p50 of 30 | {} | < 150 ms |",
        ms(p50)
    );
    println!("| Script Task, cached, p95 of 30 | {} | — |", ms(p95));
    if !hello.is_empty() {
        println!(
            "| peer: `mono hello.exe`, p50 of 30 | {} | — |",
            ms(percentile(&mut hello, 0.5))
        );
    }
}
