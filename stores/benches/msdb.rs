//! msdb store benchmark, printed as a table. Runs only when `SSISD_TEST_MSSQL` holds an
//! ADO-style connection string to a real SQL Server (`Server=tcp:HOST,PORT;User Id=…;
//! Password=…;TrustServerCertificate=true`); otherwise prints SKIPPED. It creates a scratch
//! database with the compatible schema and drops it at the end.
//!
//! Rows: listing a folder of 10,000 packages (median of 5), put + get of a 1 MB package
//! (median of 20), and outage detection and recovery. The outage is real: the store talks to
//! the server through a TCP forwarder that the bench cuts (every connection closed, new ones
//! refused) and restores. "notice" is the time from the cut until a health check fails, with
//! checks at the service's msdb health-check interval (1 s, the `store` actor's
//! `MSDB_HEALTH_CHECK_MAX`) started at a random phase; "recover" is the time from the restore
//! until a reopen succeeds, retrying on the service's back-off schedule (200 ms doubling to
//! 1 s) after an outage long enough for the back-off to reach its cap. For a manual run against
//! a server you stop and start yourself, set `SSISD_BENCH_MANUAL_OUTAGE=1`: the bench then
//! connects directly, asks you to stop the server, and times the same two intervals.

#[path = "../tests/support/mssql.rs"]
mod mssql;

use std::time::{Duration, Instant};

use bytes::Bytes;
use ssisd_stores::msdb::MsdbStore;
use ssisd_stores::{ItemName, PackageStore, StorePath};

const HEALTH_CHECK: Duration = Duration::from_secs(1);

fn retry_delay(attempt: u32) -> Duration {
    (Duration::from_millis(200) * (1u32 << attempt.min(8))).min(Duration::from_secs(1))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn row(what: &str, took: Duration, target: &str) {
    let ok = match target
        .strip_prefix("< ")
        .and_then(|t| t.strip_suffix(" ms"))
    {
        Some(ms) => took.as_millis() < ms.parse::<u128>().unwrap_or(0),
        None => true,
    };
    println!(
        "| {what:<44} | {:>10.1} ms | {target:>9} | {} |",
        took.as_secs_f64() * 1000.0,
        if ok { "ok  " } else { "SLOW" }
    );
}

async fn notice(store: &MsdbStore, cut_at: Instant) -> Duration {
    // Random phase of the periodic check relative to the cut.
    let phase = Duration::from_millis((cut_at.elapsed().as_nanos() % 1000) as u64);
    tokio::time::sleep(phase).await;
    loop {
        if store.check().await.is_err() {
            return cut_at.elapsed();
        }
        tokio::time::sleep(HEALTH_CHECK).await;
    }
}

async fn recover(
    settings: &ssisd_stores::SqlServerFolder,
    outage_started: Instant,
    back: Instant,
) -> Duration {
    let mut attempt = 0;
    let mut next = outage_started;
    loop {
        next += retry_delay(attempt);
        attempt += 1;
        if next > Instant::now() {
            tokio::time::sleep_until(next.into()).await;
        }
        if Instant::now() >= back && MsdbStore::open(settings.clone()).await.is_ok() {
            return back.elapsed();
        }
        next = Instant::now();
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(base) = mssql::server_settings() else {
        return;
    };
    let mut s = mssql::scratch_database(&base, "bench").await;
    s.install_compat_schema = true;
    let store = MsdbStore::open(s.clone()).await.unwrap();
    let big = StorePath::from_segments(&["Big"]).unwrap();
    store.create_folder(&big).await.unwrap();
    let one = String::from_utf8(mssql::package("P", 1000))
        .unwrap()
        .replace('\'', "''");
    mssql::exec(
        &s,
        &format!(
            "DECLARE @f uniqueidentifier = (SELECT folderid FROM dbo.sysssispackagefolders WHERE foldername = N'Big');
             WITH n AS (SELECT TOP (10000) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS i FROM sys.all_objects a CROSS JOIN sys.all_objects b)
             INSERT INTO dbo.sysssispackages (name, id, description, createdate, folderid, ownersid, packagedata, packageformat, packagetype, vermajor, verminor, verbuild, vercomments, verid)
             SELECT CONCAT(N'Package ', FORMAT(i, '00000')), NEWID(), N'bulk', GETDATE(), @f, 0x01, CAST(CAST(N'{one}' AS varchar(max)) AS varbinary(max)), 3, 0, 1, 0, i, NULL, NEWID() FROM n;"
        ),
    )
    .await;

    println!("| measure                                      |      value    |  target   |      |");
    println!("|----------------------------------------------|---------------|-----------|------|");
    let mut lists = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let l = store.list(&big).await.unwrap();
        lists.push(t.elapsed());
        assert_eq!(l.packages.len(), 10_000);
    }
    row(
        "list a folder of 10,000 packages (median)",
        median(lists),
        "< 200 ms",
    );

    let bytes = Bytes::from(mssql::package("OneMB", 1 << 20));
    let name = ItemName::new("OneMB").unwrap();
    let root = StorePath::root();
    let mut rounds = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        store
            .put_package(&root, &name, bytes.clone(), true)
            .await
            .unwrap();
        let back = store.get_package(&root, &name).await.unwrap();
        rounds.push(t.elapsed());
        assert_eq!(back.len(), bytes.len());
    }
    row(
        "put + get of a 1 MB package (median)",
        median(rounds),
        "< 20 ms",
    );

    if std::env::var_os("SSISD_BENCH_MANUAL_OUTAGE").is_some() {
        println!("manual outage mode: stop the SQL Server now; polling every 100 ms");
        let t = Instant::now();
        while store.check().await.is_ok() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        println!(
            "outage seen after {:?} of polling; start the SQL Server again",
            t.elapsed()
        );
        let down = Instant::now();
        loop {
            tokio::time::sleep(retry_delay(8)).await;
            if MsdbStore::open(s.clone()).await.is_ok() {
                break;
            }
        }
        println!(
            "reconnected {:?} after the outage was seen (includes your restart time)",
            down.elapsed()
        );
    } else {
        let forwarder = mssql::Forwarder::start(mssql::target_of(&s)).await;
        let through = forwarder.settings(&s);
        let watched = MsdbStore::open(through.clone()).await.unwrap();
        let cut_at = Instant::now();
        forwarder.cut();
        row(
            "notice an outage (1 s health check)",
            notice(&watched, cut_at).await,
            "< 2000 ms",
        );
        let outage_started = Instant::now();
        tokio::time::sleep(Duration::from_secs(3)).await;
        forwarder.restore();
        let back = Instant::now();
        row(
            "recover after the server returns (back-off)",
            recover(&through, outage_started, back).await,
            "< 2000 ms",
        );
    }
    drop(store);
    mssql::drop_database(&s).await;
}
