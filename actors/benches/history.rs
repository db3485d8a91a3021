//! The execution history's benchmark: 100,000 executions of 10 messages each recorded the way
//! the History actor records them — for each run one write when it begins, one per stream
//! read (the records with the stream offset), one when it ends, each awaited until durable —
//! with many runs in flight at once, so that the group commit can share transactions; a row
//! per number of runs in flight shows how the rate grows with it. Then the API's two hot
//! reads are timed: the latest 50 executions, and one execution's messages. Prints a table
//! with the targets beside the figures. Run with `cargo bench -p ssisd-actors --bench history`
//! (`SSISD_BENCH_EXECUTIONS` to change the count).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use ssisd_actors::history::{
    Ending, ExecutionQuery, HistoryDb, LoggingLevel, NewExecution, Status,
};
use ssisd_engine::run_protocol::stream::Record;
fn records(seq0: u64) -> Vec<Record> {
    // 10 messages: pre-execute, 3 information, 2 progress, a warning, an error, post-execute,
    // task failed.
    let lines = [
        r#""event":"executable_start","path":"\\Package\\Load","name":"Load","id":"{1}","kind":"Task""#,
        r#""event":"information","code":"0x4004300A","source":"Load","path":"\\Package\\Load","description":"Validation phase is beginning.""#,
        r#""event":"information","code":"0x40043006","source":"Load","path":"\\Package\\Load","description":"Prepare for Execute phase is beginning.""#,
        r#""event":"progress","source":"Load","path":"\\Package\\Load","description":"Executing","percent":50"#,
        r#""event":"progress","source":"Load","path":"\\Package\\Load","description":"Executing","percent":100"#,
        r#""event":"information","code":"0x40043007","source":"Load","path":"\\Package\\Load","description":"Pre-Execute phase is beginning.""#,
        r#""event":"warning","code":"0x80047076","source":"Load","path":"\\Package\\Load","description":"The output column is never used.""#,
        r#""event":"error","code":"0xC0202009","source":"Load","path":"\\Package\\Load","description":"An OLE DB error has occurred.""#,
        r#""event":"executable_end","path":"\\Package\\Load","name":"Load","id":"{1}","result":"failure","duration_ms":12.5"#,
    ];
    lines
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let line = format!(
                "{{\"schema\":1,\"seq\":{},\"time\":\"2026-01-01T00:00:00Z\",{body}}}",
                seq0 + i as u64
            );
            Record::parse(line.as_bytes()).expect("a valid record")
        })
        .collect()
}

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p) as usize]
}

/// Records `n` executions with `in_flight` runs at once; the time it took.
fn record(db: &HistoryDb, n: u64, in_flight: u64) -> Duration {
    let batch = records(1);
    let next = Arc::new(AtomicU64::new(0));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let t = Instant::now();
    rt.block_on(async {
        let runs = (0..in_flight).map(|_| {
            let (db, batch, next) = (db.clone(), batch.clone(), next.clone());
            async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    let id = format!("E{i:08}");
                    let start = 1_700_000_000_000_000 + i as i64 * 1000;
                    let live = db
                        .begin(NewExecution {
                            execution_id: id.clone(),
                            package: format!("\\File System\\Sales\\Load{}", i % 100),
                            started_by: "api".into(),
                            caller: "bench".into(),
                            pid: Some(1000 + i as i64),
                            process_start: 1,
                            start_time: Utc.timestamp_micros(start).unwrap(),
                            logging_level: LoggingLevel::Basic,
                            sets: Vec::new(),
                            events: PathBuf::from(format!("/runs/{id}/events.jsonl")),
                        })
                        .await
                        .expect("begin");
                    db.ingest(&live, batch.clone(), 4096).await.expect("ingest");
                    let ending = Ending {
                        status: Status::Failed,
                        end_time: Utc.timestamp_micros(start + 500).unwrap(),
                        exit_code: Some(1),
                        exit: Some("exit code 1".into()),
                    };
                    db.end(&id, &ending).await.expect("end");
                }
            }
        });
        futures_util::future::join_all(runs).await;
    });
    t.elapsed()
}

fn disk(dir: &Path) -> u64 {
    ["history.db", "history.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

fn main() {
    let n: u64 = std::env::var("SSISD_BENCH_EXECUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    println!("execution history: {n} executions x 10 messages (SQLite WAL, synchronous=FULL; per run a write when it begins, one per stream read, one when it ends, each awaited until durable; writes waiting together share a transaction)");
    println!("| measure | figure | target |");
    println!("|---|---|---|");
    // Fewer executions where the rate is low: the rate is what is measured.
    for (in_flight, count) in [(1, n.min(2_000)), (8, n.min(20_000)), (64, n)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = HistoryDb::open(&dir.path().join("history.db")).expect("open");
        let took = record(&db, count, in_flight);
        println!(
            "| insert rate, {in_flight} run(s) in flight | {:.0} messages/s ({:.0} executions/s; {count} executions in {:.1} s) | >= 20000 messages/s |",
            (count * 10) as f64 / took.as_secs_f64(),
            count as f64 / took.as_secs_f64(),
            took.as_secs_f64()
        );
        if count < n {
            continue;
        }
        let db_bytes = disk(dir.path());
        let mut list = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let got = db
                .executions(&ExecutionQuery {
                    limit: 50,
                    ..Default::default()
                })
                .expect("list");
            list.push(t.elapsed());
            assert_eq!(got.len(), 50);
        }
        let mut one = Vec::new();
        for i in 0..200u64 {
            let id = format!("E{:08}", (i * 7919) % n);
            let t = Instant::now();
            let got = db.messages(&id, 0, 1000).expect("messages");
            one.push(t.elapsed());
            assert_eq!(got.len(), 10);
        }
        println!(
            "| list latest 50, p50 | {:.3} ms (p99 {:.3} ms) | < 10 ms |",
            percentile(list.clone(), 0.5).as_secs_f64() * 1e3,
            percentile(list, 0.99).as_secs_f64() * 1e3
        );
        println!(
            "| one execution's messages, p50 | {:.3} ms (p99 {:.3} ms) | < 5 ms |",
            percentile(one.clone(), 0.5).as_secs_f64() * 1e3,
            percentile(one, 0.99).as_secs_f64() * 1e3
        );
        println!(
            "| disk per execution | {:.0} bytes ({:.1} MB in all) | - |",
            db_bytes as f64 / n as f64,
            db_bytes as f64 / 1e6
        );
    }
}
