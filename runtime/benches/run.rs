//! Control-flow runtime benchmark; prints a table. `cargo bench -p ssisd-runtime --bench run`.
//! 1. `dtexec /F` of a one-task package end to end (needs a built `dtexec`; p50 target < 10 ms);
//! 2. 1,000 Execute Process tasks (`/bin/true`) under a For Loop against 1,000 direct spawns
//!    of `/bin/true` (overhead per task target < 1 ms);
//! 3. 200 independent tasks with MaxConcurrentExecutables 8: wall time and the largest
//!    number of tasks seen running at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ssisd_engine::load_package_file;
use ssisd_runtime::{run_package, EventBody, EventSink, RunEvent, RunOptions};

fn packages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/packages/run")
}

fn dtexec_binary() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join("dtexec"))
        .find(|p| p.exists())
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or_default()
}

/// Tracks how many tasks run at once.
#[derive(Default)]
struct Overlap(Mutex<(i64, i64)>);

impl EventSink for Overlap {
    fn emit(&self, e: &RunEvent) {
        let Ok(mut g) = self.0.lock() else { return };
        match &e.body {
            EventBody::ExecutableStarted { kind: "Task", .. } => {
                g.0 += 1;
                g.1 = g.1.max(g.0);
            }
            EventBody::ExecutableFinished { path, .. } if path.matches('\\').count() == 2 => {
                g.0 -= 1;
            }
            _ => {}
        }
    }
}

fn main() {
    println!("| measurement | result | target |");
    println!("|---|---|---|");
    match dtexec_binary() {
        Some(bin) => {
            let pkg = packages().join("one_task.dtsx");
            let mut times = Vec::new();
            for _ in 0..60 {
                let at = Instant::now();
                let ok = Command::new(&bin)
                    .arg("/F")
                    .arg(&pkg)
                    .stdout(Stdio::null())
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false);
                times.push(at.elapsed());
                assert!(ok, "dtexec failed");
            }
            let p50 = percentile(&mut times, 0.5);
            let p95 = percentile(&mut times, 0.95);
            println!(
                "| `dtexec /F` one-task package ({}) | p50 {:.2} ms, p95 {:.2} ms | p50 < 10 ms |",
                bin.display(),
                p50.as_secs_f64() * 1e3,
                p95.as_secs_f64() * 1e3
            );
        }
        None => {
            println!("| `dtexec /F` one-task package | SKIPPED: build dtexec first | p50 < 10 ms |")
        }
    }

    let at = Instant::now();
    for _ in 0..1000 {
        let _ = Command::new("/bin/true").status();
    }
    let direct = at.elapsed();
    let looped = load_package_file(&packages().join("loop_true.dtsx")).expect("package");
    let at = Instant::now();
    let out = run_package(
        &looped,
        &RunOptions::default(),
        Arc::new(ssisd_runtime::events::Discard),
    );
    let run = at.elapsed();
    assert_eq!(out.result, ssisd_engine::model::ExecResult::Success);
    let per_task = (run.as_secs_f64() - direct.as_secs_f64()) / 1000.0 * 1e3;
    println!(
        "| 1,000 `/bin/true` directly | {:.1} ms ({:.3} ms each) | — |",
        direct.as_secs_f64() * 1e3,
        direct.as_secs_f64()
    );
    println!(
        "| 1,000 Execute Process tasks in a For Loop | {:.1} ms ({:.3} ms each) | — |",
        run.as_secs_f64() * 1e3,
        run.as_secs_f64()
    );
    println!("| runtime overhead per task | {per_task:.3} ms | < 1 ms |");

    let indep = load_package_file(&packages().join("independent.dtsx")).expect("package");
    let overlap = Arc::new(Overlap::default());
    let at = Instant::now();
    let opts = RunOptions {
        max_concurrent: Some(8),
        ..RunOptions::default()
    };
    let out = run_package(&indep, &opts, overlap.clone());
    let wall = at.elapsed();
    assert_eq!(out.result, ssisd_engine::model::ExecResult::Success);
    let max = overlap.0.lock().map(|g| g.1).unwrap_or(0);
    println!(
        "| 200 independent tasks, MaxConcurrentExecutables 8 | {:.1} ms, max {max} running at once | 8 at once |",
        wall.as_secs_f64() * 1e3
    );
}
