//! The scheduler's benchmark: 10,000 schedules (cron of 5 and 6 fields and Agent's daily,
//! weekly-every-15-minutes and monthly shapes, in a dozen time zones) checked and loaded, the
//! due-time computation per shape, and — with the service's real actors (the supervisor, the
//! event log, a File System store holding the package, the Scheduler) — how late due times are
//! acted on (the `late_ms` of event 1060) while 10,000 schedules are loaded and some fire every
//! second, and the CPU an idle scheduler with 10,000 schedules takes. Runs start `/bin/true` as
//! their runner, so the figures are the service's own work and not a package's. Prints a table
//! with the targets beside the figures. Run with
//! `cargo bench -p ssisd-actors --bench scheduler` (`SSISD_BENCH_SCHEDULES` to change the
//! count, `SSISD_BENCH_SECONDS` the measuring windows).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::Utc;
use ssisd_actors::child::{ActorEntry, SupervisionSettings};
use ssisd_actors::event_log::EventLog;
use ssisd_actors::metrics::Metrics;
use ssisd_actors::package::RunSettings;
use ssisd_actors::scheduler::{ListSchedules, ScheduleDef, Scheduler, SchedulerClient};
use ssisd_actors::store::{self, StoreActor, StoreOp};
use ssisd_actors::supervision::{Backoff, Intensity};
use ssisd_actors::{Directory, EventId, EventLogClient, ServicePlan, Supervisor};
use ssisd_stores::{FolderLocation, FolderSpec, ItemName, StorePath};

const TABLE: &[ActorEntry] = &[
    ActorEntry::of::<EventLog>(),
    ActorEntry::of::<StoreActor>(),
    ActorEntry::of::<Scheduler>(),
];

const ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Africa/Cairo",
    "America/St_Johns",
];

/// Schedule `i` of the mix; none is due within the next hours.
fn quiet_def(i: usize) -> ScheduleDef {
    let zone = ZONES[i % ZONES.len()];
    let hour = (Utc::now() + chrono::Duration::hours(6))
        .format("%H")
        .to_string();
    let minute = i % 60;
    let mut v = serde_json::json!({
        "name": format!("s{i:05}"),
        "package": "File System/quick",
        "time_zone": zone,
    });
    match i % 5 {
        0 => v["cron"] = format!("{minute} {hour} * * *").into(),
        1 => v["cron"] = format!("{} {minute} {hour} * * 1-5", i % 60).into(),
        2 => {
            v["frequency"] = "daily".into();
            v["at"] = format!("{hour}:{minute:02}").into();
        }
        3 => {
            v["frequency"] = "weekly".into();
            v["days"] = serde_json::json!(["sat"]);
            v["every"] = "15m".into();
            v["from"] = "08:00".into();
            v["until"] = "18:00".into();
            v["start_date"] = "2030-01-01".into();
        }
        _ => {
            v["frequency"] = "monthly".into();
            v["day_of_month"] = 31.into();
            v["at"] = "23:00".into();
            v["start_date"] = "2030-01-01".into();
        }
    }
    serde_json::from_value(v).expect("a schedule")
}

fn plan(dir: &Path, schedules: &[ScheduleDef]) -> ServicePlan {
    ServicePlan {
        data_dir: dir.to_path_buf(),
        actor_types: TABLE,
        sections: [
            (
                "event_log".to_string(),
                serde_json::json!({ "retention": 1_000_000 }),
            ),
            (
                "scheduler".to_string(),
                serde_json::json!({ "time_zone": "UTC" }),
            ),
            (
                "schedule".to_string(),
                serde_json::to_value(schedules).expect("json"),
            ),
        ]
        .into_iter()
        .collect(),
        folders: vec![FolderSpec {
            name: "File System".into(),
            location: FolderLocation::FileSystem {
                store_path: dir.join("Packages"),
                create: Default::default(),
            },
        }],
        stop_executing_packages_on_shutdown: true,
        supervision: SupervisionSettings {
            intensity: Intensity {
                max_restarts: 3,
                period: Duration::from_secs(30),
            },
            backoff: Backoff {
                initial: Duration::from_millis(100),
                max: Duration::from_secs(5),
            },
            health_check_interval: Duration::ZERO,
        },
        known_store_roots: None,
        runs: RunSettings {
            dir: dir.join("runs"),
            runner: PathBuf::from("/bin/true"),
            stop_grace: Duration::from_secs(1),
            max_concurrent: 1000,
            registration_dir: dir.join("registrations"),
            run_as: None,
            hidden_env: Vec::new(),
            executors: Vec::new(),
            folder_executors: Default::default(),
        },
    }
}

/// User and system CPU time of this process, from `/proc/self/stat` (in USER_HZ, 100 a second
/// on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(mut v: Vec<i64>, p: f64) -> i64 {
    if v.is_empty() {
        return -1;
    }
    v.sort_unstable();
    v[((v.len() - 1) as f64 * p) as usize]
}

/// Starts the service's actors on `schedules`; waits until the scheduler lists them all.
/// Returns the directory and the time the load took.
async fn start(dir: &Path, schedules: &[ScheduleDef]) -> (Directory, Addr<Supervisor>, Duration) {
    let t = Instant::now();
    let directory = Directory::new();
    let sup = Supervisor::new(plan(dir, schedules), directory.clone(), Metrics::new()).start();
    let client = SchedulerClient::new(directory.clone());
    loop {
        if let Some(addr) = client.address() {
            if let Ok(list) = addr.send(ListSchedules).await {
                if list.len() == schedules.len() && list.iter().all(|s| s.next_run.is_some()) {
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (directory, sup, t.elapsed())
}

fn main() {
    let n: usize = std::env::var("SSISD_BENCH_SCHEDULES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let seconds: u64 = std::env::var("SSISD_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let defs: Vec<ScheduleDef> = (0..n).map(quiet_def).collect();

    // Checking and first due times, alone.
    let t = Instant::now();
    let now = Utc::now();
    let checked: Vec<_> = defs
        .iter()
        .map(|d| d.check("UTC").expect("valid"))
        .collect();
    let firsts = checked
        .iter()
        .filter(|s| s.timing.next_after(now, s.zone).is_some())
        .count();
    let check_time = t.elapsed();
    assert_eq!(firsts, n);

    // Due-time computation per shape.
    let mut per_shape = Vec::new();
    for (shape, i) in [
        ("cron, 5 fields", 0),
        ("cron, 6 fields, weekdays", 1),
        ("daily at a time", 2),
        ("weekly, every 15m 08-18", 3),
        ("monthly, day 31", 4),
    ] {
        let s = &checked[i];
        let rounds = 20_000;
        let mut at = now;
        let t = Instant::now();
        for _ in 0..rounds {
            at = s.timing.next_after(at, s.zone).expect("a next run");
        }
        per_shape.push((shape, t.elapsed() / rounds));
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = actix::System::new();
    let (load_time, jitter, fires, idle_cpu, idle_load) = runtime.block_on(async {
        // Phase 1: n schedules, of which 20 fire every second.
        let hot = 20.min(n);
        let mut with_hot = defs.clone();
        for d in with_hot.iter_mut().take(hot) {
            d.cron = Some("* * * * * *".into());
            d.frequency = None;
            d.at = None;
            d.every = None;
            d.from = None;
            d.until = None;
            d.days.clear();
            d.day_of_month = None;
            d.start_date = None;
            d.max_active = 1000;
        }
        let hot_dir = dir.path().join("hot");
        let (directory, sup, load_time) = start(&hot_dir, &with_hot).await;
        // The package, stored through the store.
        let store = store::address(&directory, "File System").expect("store");
        let bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/packages/running/quick.dtsx"),
        )
        .expect("package");
        store
            .send(StoreOp::new(move |s| {
                Box::pin(async move {
                    s.put_package(
                        &StorePath::root(),
                        &ItemName::new("quick").expect("name"),
                        bytes.into(),
                        true,
                    )
                    .await
                    .map(|_| ())
                })
            }))
            .await
            .expect("store answered")
            .expect("stored");
        let journal = EventLogClient::new(directory.clone())
            .journal()
            .await
            .expect("journal");
        let mut events = journal.subscribe();
        let mut late = Vec::new();
        let until = tokio::time::Instant::now() + Duration::from_secs(seconds);
        while let Ok(Ok(e)) = tokio::time::timeout_at(until, events.recv()).await {
            if e.event_id == EventId::ScheduleFired.code() {
                if let Some(ms) = e.fields.get("late_ms").and_then(|v| v.as_i64()) {
                    late.push(ms);
                }
            }
        }
        let _ = sup.send(ssisd_actors::Shutdown).await;

        // Phase 2: n schedules, none due: what an idle scheduler costs.
        let idle_dir = dir.path().join("idle");
        let (_directory, sup, idle_load) = start(&idle_dir, &defs).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let cpu0 = cpu_seconds();
        let t = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let idle_cpu = (cpu_seconds() - cpu0) / t.elapsed().as_secs_f64() * 100.0;
        let _ = sup.send(ssisd_actors::Shutdown).await;
        let fires = late.len();
        (load_time, late, fires, idle_cpu, idle_load)
    });

    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nscheduler benchmark: {n} schedules, {seconds} s windows, {cores} cores, load average {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("| measure | figure | target |");
    println!("|---|---|---|");
    println!(
        "| {n} schedules checked, first due times computed | {:.0} ms | |",
        check_time.as_secs_f64() * 1000.0
    );
    println!(
        "| {n} schedules loaded by the service's actors (from [[schedule]], states saved, timer armed) | {:.0} ms | |",
        load_time.as_secs_f64() * 1000.0
    );
    println!(
        "| the same with none due, a second service (fresh database) | {:.0} ms | |",
        idle_load.as_secs_f64() * 1000.0
    );
    for (shape, each) in per_shape {
        println!(
            "| next due time, {shape} | {:.1} µs | |",
            each.as_secs_f64() * 1e6
        );
    }
    println!(
        "| fire lateness p50 / p99 / max ({fires} fires of 20 every-second schedules among {n}) | {} / {} / {} ms | p99 < 50 ms |",
        percentile(jitter.clone(), 0.5),
        percentile(jitter.clone(), 0.99),
        percentile(jitter, 1.0)
    );
    println!(
        "| CPU of the idle service actors with {n} schedules | {idle_cpu:.3} % of a core | < 1 % |"
    );
}
