//! `cargo bench -p ssisd-pipeline`: one data flow — Flat File source → Derived Column (two
//! expressions) → Conditional Split → two Flat File destinations — over a generated orders
//! file (10 million rows unless `SSISD_BENCH_ROWS` says otherwise), run by ssisd's pipeline and,
//! in the same run, the same work done by DuckDB (threads=1 and threads=2), polars and pandas.
//! Each contender runs as its own process so its wall time and peak RSS (from `wait4`) are its
//! own; the table gives rows/s and the ratios to ssisd. Peers that are not installed are
//! reported as missing (`pip install duckdb polars pandas`). The input is kept in the system
//! temp directory between runs; outputs are removed after each contender.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ssisd_engine::model::RowDisposition::FailComponent;
use ssisd_engine::types::DataType;
use ssisd_pipeline::testing::{property, FlowBuilder, TestHost};
use ssisd_pipeline::{run, Outcome, RunSettings};

const COLUMNS: [(&str, i32, u32, u8, u8); 10] = [
    ("id", 3, 0, 0, 0),
    ("customer", 129, 30, 0, 0),
    ("region", 129, 10, 0, 0),
    ("amount", 131, 0, 12, 2),
    ("qty", 3, 0, 0, 0),
    ("ordered", 133, 0, 0, 0),
    ("status", 129, 12, 0, 0),
    ("discount", 5, 0, 0, 0),
    ("express", 11, 0, 0, 0),
    ("note", 129, 40, 0, 0),
];
const OUT_COLUMNS: [(&str, i32, u32, u8, u8); 6] = [
    ("id", 3, 0, 0, 0),
    ("customer", 129, 30, 0, 0),
    ("region_u", 129, 10, 0, 0),
    ("total", 131, 0, 18, 2),
    ("ordered", 133, 0, 0, 0),
    ("status", 129, 12, 0, 0),
];

fn manager(columns: &[(&str, i32, u32, u8, u8)], names: bool) -> String {
    let mut s = format!(
        r#"<DTS:ConnectionManager DTS:Format="Delimited" DTS:CodePage="65001" DTS:ColumnNamesInFirstDataRow="{}" DTS:TextQualifier="_x003C_none_x003E_"><DTS:FlatFileColumns>"#,
        if names { "True" } else { "False" }
    );
    for (i, (n, code, w, p, sc)) in columns.iter().enumerate() {
        let d = if i + 1 == columns.len() {
            "_x000A_"
        } else {
            "_x002C_"
        };
        s.push_str(&format!(r#"<DTS:FlatFileColumn DTS:ColumnType="Delimited" DTS:ColumnDelimiter="{d}" DTS:MaximumWidth="{w}" DTS:DataType="{code}" DTS:DataPrecision="{p}" DTS:DataScale="{sc}" DTS:ObjectName="{n}"/>"#));
    }
    s + "</DTS:FlatFileColumns></DTS:ConnectionManager>"
}

fn data_type(code: i32, w: u32, p: u8, s: u8) -> DataType {
    DataType::from_metadata_code_shaped(
        code,
        ssisd_engine::types::ColumnShape {
            length: w,
            precision: p,
            scale: s,
            code_page: 65001,
        },
    )
    .expect("type")
}

/// Writes the orders file (with a names row) if it is not there yet.
fn input(rows: u64) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ssisd-bench-orders-{rows}.csv"));
    if path.exists() {
        return path;
    }
    let regions = ["north", "south", "east", "west", "central"];
    let statuses = ["shipped", "open", "cancelled", "returned"];
    let tmp = path.with_extension("partial");
    let mut w = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&tmp).expect("create input"),
    );
    use std::io::Write;
    writeln!(
        w,
        "id,customer,region,amount,qty,ordered,status,discount,express,note"
    )
    .expect("write");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        writeln!(
            w,
            "{i},customer {},{},{}.{:02},{},2024-{:02}-{:02},{},0.{:02},{},note for order {i}",
            x % 50_000,
            regions[(x % 5) as usize],
            x % 1000,
            x % 100,
            1 + x % 9,
            1 + x % 12,
            1 + (x >> 8) % 28,
            statuses[((x >> 16) % 4) as usize],
            (x >> 24) % 30,
            if (x >> 32) % 2 == 0 { "true" } else { "false" },
        )
        .expect("write");
    }
    w.flush().expect("flush");
    drop(w);
    std::fs::rename(&tmp, &path).expect("rename");
    path
}

/// The data flow, in one process: returns rows read.
fn ssisd(input: &Path, out: &Path, threads: usize) -> u64 {
    let mut host = TestHost::default();
    host.flat_file(
        "Orders",
        input.to_str().expect("utf8"),
        &manager(&COLUMNS, true),
    );
    host.flat_file(
        "Big",
        out.join("big.csv").to_str().expect("utf8"),
        &manager(&OUT_COLUMNS, true),
    );
    host.flat_file(
        "Small",
        out.join("small.csv").to_str().expect("utf8"),
        &manager(&OUT_COLUMNS, true),
    );
    let mut b = FlowBuilder::new();
    let src = b.component("Orders", "Microsoft.FlatFileSource", vec![]);
    b.connection(src, "FlatFileConnection", "Orders");
    let so = b.output(src, "Flat File Source Output", None, false, 0);
    let l: Vec<i64> = COLUMNS
        .iter()
        .map(|(n, c, w, p, s)| {
            b.output_column(src, so, n, data_type(*c, *w, *p, *s), vec![], FailComponent)
        })
        .collect();
    let dc = b.component("Derive", "Microsoft.DerivedColumn", vec![]);
    let di = b.input(dc, "Derived Column Input");
    let dout = b.output(dc, "Derived Column Output", Some(di), false, 1);
    let total = b.output_column(
        dc,
        dout,
        "total",
        data_type(131, 0, 18, 2),
        vec![property("Expression", "[amount] * [qty]")],
        FailComponent,
    );
    let region_u = b.output_column(
        dc,
        dout,
        "region_u",
        data_type(129, 10, 0, 0),
        vec![property("Expression", "UPPER([region])")],
        FailComponent,
    );
    b.path(src, so, dc, di);
    let cs = b.component("Split", "Microsoft.ConditionalSplit", vec![]);
    let ci = b.input(cs, "Conditional Split Input");
    let big = b.output(cs, "Big", Some(ci), false, 1);
    b.flow.components[cs].outputs[big].properties = vec![
        property("Expression", "[total] > 2000"),
        property("EvaluationOrder", "0"),
    ];
    let small = b.output(cs, "Small", Some(ci), false, 1);
    b.flow.components[cs].outputs[small].properties = vec![property("IsDefaultOut", "true")];
    b.path(dc, dout, cs, ci);
    for (name, output) in [("Big", big), ("Small", small)] {
        let d = b.component(
            name,
            "Microsoft.FlatFileDestination",
            vec![property("Overwrite", "true")],
        );
        b.connection(d, "FlatFileConnection", name);
        let i = b.input(d, "Flat File Destination Input");
        for lineage in [l[0], l[1], region_u, total, l[5], l[6]] {
            b.input_column(d, i, lineage, false, vec![], FailComponent);
        }
        b.flow.components[d].inputs[i]
            .columns
            .iter_mut()
            .zip(OUT_COLUMNS)
            .for_each(|(c, o)| c.name = o.0.into());
        b.path(cs, output, d, i);
    }
    let settings = RunSettings {
        engine_threads: threads,
        ..RunSettings::default()
    };
    let outcome = run(&b.flow, &host, "\\Package\\Bench", &settings);
    if std::env::var_os("SSISD_BENCH_VERBOSE").is_some() {
        for e in host.events.borrow().iter() {
            if let ssisd_pipeline::PipelineEvent::ComponentTime {
                component,
                phase,
                millis,
                ..
            } = e
            {
                eprintln!("{component} {phase} {millis:.0} ms");
            }
        }
    }
    match outcome {
        Outcome::Success(s) => s.paths[0].rows,
        other => panic!("the data flow failed: {other:?}"),
    }
}

const PYTHON_COMMON: &str =
    "import sys\ninp, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])\n";

const DUCKDB: &str = r#"import duckdb
con = duckdb.connect()
con.execute(f"SET threads={threads}")
con.execute("SET enable_progress_bar=false")
con.execute(f"""CREATE TABLE t AS SELECT id, customer, upper(region) AS region_u,
  CAST(amount AS DECIMAL(12,2)) * qty AS total, ordered, status
  FROM read_csv('{inp}', header=true, columns={{'id':'INTEGER','customer':'VARCHAR','region':'VARCHAR',
  'amount':'DECIMAL(12,2)','qty':'INTEGER','ordered':'DATE','status':'VARCHAR','discount':'DOUBLE',
  'express':'BOOLEAN','note':'VARCHAR'}})""")
con.execute(f"COPY (SELECT * FROM t WHERE total > 2000) TO '{out}/big.csv' (HEADER)")
con.execute(f"COPY (SELECT * FROM t WHERE NOT (total > 2000)) TO '{out}/small.csv' (HEADER)")
"#;

const POLARS: &str = r#"import polars as pl
df = pl.read_csv(inp, schema_overrides={'amount': pl.Decimal(12, 2), 'ordered': pl.Date})
df = df.with_columns((pl.col('amount') * pl.col('qty')).alias('total'), pl.col('region').str.to_uppercase().alias('region_u'))
df = df.select(['id', 'customer', 'region_u', 'total', 'ordered', 'status'])
df.filter(pl.col('total') > 2000).write_csv(out + '/big.csv')
df.filter(~(pl.col('total') > 2000)).write_csv(out + '/small.csv')
"#;

const PANDAS: &str = r#"import pandas as pd
from decimal import Decimal
df = pd.read_csv(inp, converters={'amount': Decimal}, parse_dates=['ordered'])
df['total'] = df['amount'] * df['qty']
df['region_u'] = df['region'].str.upper()
df = df[['id', 'customer', 'region_u', 'total', 'ordered', 'status']]
big = df['total'] > 2000
df[big].to_csv(out + '/big.csv', index=False, date_format='%Y-%m-%d')
df[~big].to_csv(out + '/small.csv', index=False, date_format='%Y-%m-%d')
"#;

struct Measured {
    wall: Duration,
    /// User plus system CPU time: what the work cost, whatever else the machine was doing.
    cpu: Duration,
    rss_kib: i64,
}

/// Runs `cmd` and measures its wall time and peak RSS.
fn measure(mut cmd: Command) -> Result<Measured, String> {
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
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(Measured {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        rss_kib: usage.ru_maxrss,
    })
}

fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 5 && args[1] == "--ssisd" {
        let rows = ssisd(
            Path::new(&args[2]),
            Path::new(&args[3]),
            args[4].parse().unwrap_or(10),
        );
        println!("{rows}");
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let rows: u64 = std::env::var("SSISD_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    eprintln!("generating {rows} rows (once)…");
    let inp = input(rows);
    let size = std::fs::metadata(&inp).map(|m| m.len()).unwrap_or(0);
    let me = std::env::current_exe().expect("bench binary");
    let mut results: Vec<(String, Result<Measured, String>)> = Vec::new();
    let out = tempfile::tempdir().expect("tmp");
    let outp = out.path().to_str().expect("utf8").to_string();
    let inps = inp.to_str().expect("utf8").to_string();
    let clean = || {
        for f in ["big.csv", "small.csv"] {
            let _ = std::fs::remove_file(out.path().join(f));
        }
    };
    for threads in [2usize, 1] {
        let mut c = Command::new(&me);
        c.args(["--ssisd", &inps, &outp, &threads.to_string()])
            .stdout(std::process::Stdio::null());
        eprintln!("ssisd, EngineThreads={threads}…");
        results.push((
            format!(
                "ssisd pipeline ({} thread{})",
                threads,
                if threads == 1 { "" } else { "s" }
            ),
            measure(c),
        ));
        clean();
    }
    let peers: [(&str, &str, &str, &[&str]); 3] = [
        ("duckdb", "DuckDB", DUCKDB, &["1", "2"]),
        ("polars", "polars", POLARS, &["0"]),
        ("pandas", "pandas", PANDAS, &["0"]),
    ];
    for (module, name, script, threads) in peers {
        for t in threads {
            let label = if *t == "0" {
                name.to_string()
            } else {
                format!("{name} (threads={t})")
            };
            if !python_has(module) {
                results.push((label, Err(format!("not installed (pip install {module})"))));
                continue;
            }
            eprintln!("{label}…");
            let mut c = Command::new("python3");
            c.args(["-c", &format!("{PYTHON_COMMON}{script}"), &inps, &outp, t]);
            if *t != "0" {
                c.env("POLARS_MAX_THREADS", t);
            }
            results.push((label, measure(c)));
            clean();
        }
    }
    let ours = results
        .first()
        .and_then(|(_, r)| r.as_ref().ok())
        .map(|m| (m.wall.as_secs_f64(), m.cpu.as_secs_f64()));
    println!();
    println!(
        "Flat File → Derived Column (2 expressions) → Conditional Split → 2 Flat File destinations"
    );
    println!(
        "{rows} rows, {:.0} MB input, {} cores",
        size as f64 / 1e6,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!();
    // SAFETY: getloadavg fills at most 3 doubles.
    let mut load = [0f64; 3];
    unsafe { libc::getloadavg(load.as_mut_ptr(), 3) };
    println!("load average at the end: {:.1} (a loaded machine stretches wall times; CPU time is the cost of the work)", load[0]);
    println!();
    println!("| contender | wall s | rows/s | CPU s | rows per CPU-second | peak RSS MiB | wall vs ssisd (2 threads) | CPU vs ssisd (2 threads) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (label, r) in &results {
        match r {
            Ok(m) => println!(
                "| {label} | {:.2} | {:.0} | {:.2} | {:.0} | {:.0} | {} | {} |",
                m.wall.as_secs_f64(),
                rows as f64 / m.wall.as_secs_f64(),
                m.cpu.as_secs_f64(),
                rows as f64 / m.cpu.as_secs_f64(),
                m.rss_kib as f64 / 1024.0,
                ours.map(|o| format!("{:.2}×", m.wall.as_secs_f64() / o.0))
                    .unwrap_or_default(),
                ours.map(|o| format!("{:.2}×", m.cpu.as_secs_f64() / o.1))
                    .unwrap_or_default()
            ),
            Err(e) => println!("| {label} | – | – | – | – | – | {e} | |"),
        }
    }
}
