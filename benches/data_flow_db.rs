//! `cargo bench --bench data_flow_db`: the database components against PostgreSQL's own bulk
//! paths, in the same run, on a throwaway server (tests/support's `postgres.rs`). 1 million
//! rows (`SSISD_BENCH_ROWS` to change) of the orders file the tests use (id, customer, amount,
//! date) go flat file → PostgreSQL through the ODBC Destination (dtexec, package
//! `tests/packages/db/odbc_load_2016.dtsx`, batches of 1000 rows sent as array-bound INSERTs
//! of 200 rows each) and through psql's
//! `\copy … FROM`; then PostgreSQL → flat file through the ODBC Source (`odbc_extract_2016.dtsx`)
//! and through `\copy … TO`. The ODBC Source runs twice: with psqlodbc's defaults (the driver
//! reads the whole result into its own memory before the first fetch) and with
//! `UseDeclareFetch=1;Fetch=10000` (the driver reads through a cursor, 10000 rows at a time).
//! dtexec's wall time and peak RSS come from `wait4`; psql's wall time includes its start.
//! Targets (load within 2× of `\copy`, extract within 1.5×, RSS under 256 MiB) are printed
//! beside the figures, never asserted. Without PostgreSQL or psqlodbc it prints SKIPPED.
#![allow(unsafe_code)] // wait4(2) for a child's peak RSS: libc has no safe wrapper.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{print_table, row, Row};
use support::postgres::Postgres;

struct Measured {
    wall: Duration,
    rss_kib: i64,
}

/// Runs `cmd`, measuring its wall time and peak RSS.
fn measure(mut cmd: Command) -> Result<Measured, String> {
    cmd.stdout(std::process::Stdio::null());
    let start = Instant::now();
    let child = cmd.spawn().map_err(|e| e.to_string())?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child with valid pointers.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if r != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("exited with status {status}"));
    }
    Ok(Measured {
        wall,
        rss_kib: usage.ru_maxrss,
    })
}

fn package(stem: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/packages/db/{stem}_2016.dtsx"))
}

fn dtexec(pkg: &Path, conns: &[(&str, String)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.arg("/F").arg(pkg);
    for (name, text) in conns {
        c.arg("/Conn")
            .arg(format!("{name};\"{}\"", text.replace('"', "\"\"")));
    }
    c
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rows: usize = std::env::var("SSISD_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    if !support::odbc::have_driver("PostgreSQL Unicode", support::postgres::POSTGRES_PACKAGES) {
        return;
    }
    let pg = match Postgres::start() {
        Ok(pg) => pg,
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    // psql runs as the postgres account when the bench runs as root: a directory it may use.
    let dir = tempfile::tempdir().expect("temp dir");
    let _ = std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    );
    let input = dir.path().join("orders.csv");
    let mut text = String::with_capacity(rows * 48);
    text.push_str("id,customer,amount,ordered\r\n");
    for i in 1..=rows {
        text.push_str(&format!(
            "{i},customer {},{}.{:02},2024-{:02}-{:02}\r\n",
            i % 9973,
            i % 100_000,
            i % 100,
            i % 12 + 1,
            i % 28 + 1
        ));
    }
    std::fs::write(&input, text).expect("input");
    let table = "(id integer PRIMARY KEY, customer varchar(50) NOT NULL, amount numeric(12,2), ordered date)";
    pg.psql(
        "ssisd",
        &format!("CREATE TABLE orders {table}; CREATE TABLE orders_copy {table}"),
    );
    let conn = pg.odbc_connection_string("ssisd");
    let mut out: Vec<Row> = Vec::new();

    // Load.
    let start = Instant::now();
    pg.psql(
        "ssisd",
        &format!(
            "\\copy orders_copy FROM '{}' WITH (FORMAT csv, HEADER)",
            input.display()
        ),
    );
    let copy_in = start.elapsed();
    let load = measure(dtexec(
        &package("odbc_load"),
        &[
            ("Orders", input.display().to_string()),
            ("Target", conn.clone()),
        ],
    ));
    let loaded = pg.psql("ssisd", "SELECT count(*) FROM orders");
    out.push(row(
        format!("psql \\copy FROM, {rows} rows"),
        secs(copy_in),
        "peer",
    ));
    match &load {
        Ok(m) => {
            out.push(row(
                "flat file → ODBC Destination (dtexec)",
                format!(
                    "{} ({:.2}× \\copy), {} rows loaded",
                    secs(m.wall),
                    m.wall.as_secs_f64() / copy_in.as_secs_f64(),
                    loaded.trim()
                ),
                "≤ 2× \\copy",
            ));
            out.push(row(
                "  dtexec peak RSS",
                format!("{:.1} MiB", m.rss_kib as f64 / 1024.0),
                "< 256 MiB",
            ));
        }
        Err(e) => out.push(row(
            "flat file → ODBC Destination (dtexec)",
            format!("failed: {e}"),
            "≤ 2× \\copy",
        )),
    }

    // Extract.
    let copied = dir.path().join("copy_out.csv");
    let start = Instant::now();
    pg.psql(
        "ssisd",
        &format!(
            "\\copy orders TO '{}' WITH (FORMAT csv, HEADER)",
            copied.display()
        ),
    );
    let copy_out = start.elapsed();
    out.push(row("psql \\copy TO", secs(copy_out), "peer"));
    let extracted = dir.path().join("out.csv");
    for (label, extra) in [
        ("PostgreSQL → ODBC Source → flat file", ""),
        (
            "  same, UseDeclareFetch=1;Fetch=10000",
            "UseDeclareFetch=1;Fetch=10000;",
        ),
    ] {
        let m = measure(dtexec(
            &package("odbc_extract"),
            &[
                ("Source", format!("{conn}{extra}")),
                ("Out", extracted.display().to_string()),
            ],
        ));
        match m {
            Ok(m) => {
                let lines = std::fs::read(&extracted)
                    .map(|b| b.iter().filter(|&&c| c == b'\n').count())
                    .unwrap_or(0);
                out.push(row(
                    label,
                    format!(
                        "{} ({:.2}× \\copy), {} lines, peak RSS {:.1} MiB",
                        secs(m.wall),
                        m.wall.as_secs_f64() / copy_out.as_secs_f64(),
                        lines,
                        m.rss_kib as f64 / 1024.0
                    ),
                    "≤ 1.5× \\copy, RSS < 256 MiB",
                ));
            }
            Err(e) => out.push(row(label, format!("failed: {e}"), "≤ 1.5× \\copy")),
        }
    }
    print_table(&out);
}
