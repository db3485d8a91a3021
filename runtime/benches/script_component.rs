//! Script Component benchmark; prints a table. `cargo bench -p ssisd-runtime --bench
//! script_component`. One package (`tests/packages/script_component/bench_2016.dtsx`) with three
//! data flows over the same 1,000,000-row flat file: a C# Script Component upper-casing one
//! string column in place, the Derived Column doing the same with `UPPER()` (the peer), and
//! the file read alone. Each component's own time is SSIS's PipelineComponentTime
//! (ProcessInput), so rows/s are the component's throughput (target ≥ 1 M rows/s for the
//! Script Component), shown beside each data flow's wall time; each figure is the median of
//! five runs. The script is compiled and the
//! host built before timing starts. Needs Mono (`mono`, `mcs`); prints SKIPPED without.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ssisd_engine::load_package_file;
use ssisd_runtime::{run_package, EventBody, EventSink, RunEvent, RunOptions};

const ROWS: usize = 1_000_000;

#[derive(Default)]
struct Times {
    started: HashMap<String, Instant>,
    tasks: HashMap<String, Duration>,
    components: HashMap<String, f64>,
    messages: Vec<String>,
}

#[derive(Default)]
struct Sink(Mutex<Times>);

impl EventSink for Sink {
    fn emit(&self, e: &RunEvent) {
        let Ok(mut g) = self.0.lock() else { return };
        match &e.body {
            EventBody::ExecutableStarted { path, .. } => {
                g.started.insert(path.clone(), Instant::now());
            }
            EventBody::ExecutableFinished { path, .. } => {
                if let Some(at) = g.started.get(path).copied() {
                    g.tasks.insert(path.clone(), at.elapsed());
                }
            }
            EventBody::PipelineComponentTime {
                path,
                component,
                phase,
                millis,
                ..
            } if phase == "ProcessInput" => {
                g.components.insert(format!("{path}/{component}"), *millis);
            }
            EventBody::Message { description, .. } => g.messages.push(description.clone()),
            _ => {}
        }
    }
}

fn run(rows_file: &Path) -> Times {
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/packages/script_component/bench_2016.dtsx");
    let mut p = load_package_file(&pkg).expect("the benchmark package loads");
    for c in p.connections.iter_mut().filter(|c| c.name == "Rows") {
        c.connection_string = rows_file.display().to_string();
    }
    let sink = Arc::new(Sink::default());
    let out = run_package(&p, &RunOptions::default(), sink.clone());
    let times = std::mem::take(&mut *sink.0.lock().expect("lock"));
    assert_eq!(
        out.result,
        ssisd_engine::model::ExecResult::Success,
        "the benchmark package failed: {:?}",
        times.messages
    );
    times
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
    let dir = tempfile::tempdir().expect("temp");
    let file = dir.path().join("rows.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
    for i in 0..ROWS {
        writeln!(w, "{i},name number {}", i % 1000).expect("write");
    }
    drop(w);
    // Warm-up: builds the host, compiles the script. Then the median of five runs, so that
    // one run on a busy machine does not decide the figures.
    run(&file);
    let runs: Vec<Times> = (0..5).map(|_| run(&file)).collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let task = |n: &str| {
        let key = format!("\\Package\\{n}");
        let v = runs
            .iter()
            .filter_map(|t| t.tasks.get(&key))
            .map(|d| d.as_secs_f64())
            .collect();
        Duration::from_secs_f64(median(v).unwrap_or_default())
    };
    let comp = |n: &str, c: &str| {
        let key = format!("\\Package\\{n}/{c}");
        median(
            runs.iter()
                .filter_map(|t| t.components.get(&key).copied())
                .collect(),
        )
    };
    println!("| data flow (1,000,000 rows, upper-case one column), median of 5 | data flow wall time | component ProcessInput time | component rows/s | target |");
    println!("|---|---|---|---|---|");
    for (task_name, component, target) in [
        ("Script", Some("Upper"), "≥ 1 M rows/s"),
        ("Derived", Some("Derive"), "peer"),
        ("Read only", None, "baseline"),
    ] {
        let ms = component.and_then(|c| comp(task_name, c));
        println!(
            "| {} | {:.0} ms | {} | {} | {target} |",
            match task_name {
                "Script" => "Script Component (C#, Mono host)",
                "Derived" => "Derived Column UPPER()",
                _ => "flat file read only",
            },
            task(task_name).as_secs_f64() * 1000.0,
            ms.map(|m| format!("{m:.0} ms"))
                .unwrap_or_else(|| "—".into()),
            ms.map(|m| format!("{:.2} M", ROWS as f64 / (m / 1000.0) / 1e6))
                .unwrap_or_else(|| "—".into()),
        );
    }
}
