//! `cargo bench -p ssisd-pipeline`: three data flows over a generated orders file (10 million
//! rows unless `SSISD_BENCH_ROWS` says otherwise) — (1) Flat File source → Derived Column (two
//! expressions) → Conditional Split → two Flat File destinations; (2) Flat File source →
//! Aggregate (group by region; sum of amount, count) → Sort → Flat File; (3) Sort of the whole
//! file (customer ascending, amount descending) under a 64 MiB memory budget, so it spills —
//! run by ssisd's pipeline and, in the same run, the same work done by DuckDB (threads=1 and
//! threads=2; for (3) with its memory limit at 64 MB too), polars and pandas.
//! `SSISD_BENCH_SCENARIOS` (e.g. `2,3`) picks scenarios.
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

/// The source of every scenario: the orders file as a Flat File source; returns the
/// component and the lineage of each column.
fn orders_source(
    b: &mut FlowBuilder,
    host: &mut TestHost,
    input: &Path,
) -> (usize, usize, Vec<i64>) {
    host.flat_file(
        "Orders",
        input.to_str().expect("utf8"),
        &manager(&COLUMNS, true),
    );
    let src = b.component("Orders", "Microsoft.FlatFileSource", vec![]);
    b.connection(src, "FlatFileConnection", "Orders");
    let so = b.output(src, "Flat File Source Output", None, false, 0);
    let l = COLUMNS
        .iter()
        .map(|(n, c, w, p, s)| {
            b.output_column(src, so, n, data_type(*c, *w, *p, *s), vec![], FailComponent)
        })
        .collect();
    (src, so, l)
}

/// A Sort of `from` passing `columns` ((lineage, name, type)), keyed on `keys` ((index in
/// `columns`, NewSortKeyPosition)); returns the Sort and its output lineages.
fn sort(
    b: &mut FlowBuilder,
    from: (usize, usize),
    columns: &[(i64, &str, DataType)],
    keys: &[(usize, i64)],
) -> (usize, usize, Vec<i64>) {
    let s = b.component(
        "Sort",
        "Microsoft.Sort",
        vec![property("EliminateDuplicates", "false")],
    );
    let si = b.input(s, "Sort Input");
    for (i, (l, _, _)) in columns.iter().enumerate() {
        let pos = keys.iter().find(|k| k.0 == i).map(|k| k.1).unwrap_or(0);
        b.input_column(
            s,
            si,
            *l,
            false,
            vec![property("NewSortKeyPosition", &pos.to_string())],
            FailComponent,
        );
    }
    let so = b.output(s, "Sort Output", None, false, 0);
    b.flow.components[s].outputs[so].is_sorted = true;
    let mut out = Vec::new();
    for (i, (l, n, t)) in columns.iter().enumerate() {
        out.push(b.output_column(
            s,
            so,
            n,
            *t,
            vec![property("SortColumnId", &l.to_string())],
            FailComponent,
        ));
        let pos = keys.iter().find(|k| k.0 == i).map(|k| k.1).unwrap_or(0);
        if let Some(c) = b.flow.components[s].outputs[so].columns.last_mut() {
            c.sort_key_position = pos as i32;
        }
    }
    b.path(from.0, from.1, s, si);
    (s, so, out)
}

/// A Flat File destination of `from` writing `columns` to `path`.
fn write(
    b: &mut FlowBuilder,
    host: &mut TestHost,
    name: &str,
    path: &Path,
    from: (usize, usize),
    columns: &[(i64, &str, i32, u32, u8, u8)],
) {
    let spec: Vec<(&str, i32, u32, u8, u8)> =
        columns.iter().map(|c| (c.1, c.2, c.3, c.4, c.5)).collect();
    host.flat_file(name, path.to_str().expect("utf8"), &manager(&spec, true));
    let d = b.component(
        name,
        "Microsoft.FlatFileDestination",
        vec![property("Overwrite", "true")],
    );
    b.connection(d, "FlatFileConnection", name);
    let i = b.input(d, "Flat File Destination Input");
    for c in columns {
        b.input_column(d, i, c.0, false, vec![], FailComponent);
    }
    b.path(from.0, from.1, d, i);
}

/// Scenario 2: Aggregate (group by region; sum of amount, count) → Sort → Flat File.
fn ssisd_aggregate(input: &Path, out: &Path, threads: usize) -> u64 {
    let mut host = TestHost::default();
    let mut b = FlowBuilder::new();
    let (src, so, l) = orders_source(&mut b, &mut host, input);
    let a = b.component("Aggregate", "Microsoft.Aggregate", vec![]);
    let ai = b.input(a, "Aggregate Input 1");
    b.input_column(a, ai, l[2], false, vec![], FailComponent);
    b.input_column(a, ai, l[3], false, vec![], FailComponent);
    let ao = b.output(a, "Aggregate Output 1", None, false, 0);
    let region_t = data_type(129, 10, 0, 0);
    let total_t = data_type(131, 0, 18, 2);
    let region = b.output_column(
        a,
        ao,
        "region",
        region_t,
        vec![
            property("AggregationType", "0"),
            property("AggregationColumnId", &l[2].to_string()),
        ],
        FailComponent,
    );
    let total = b.output_column(
        a,
        ao,
        "total",
        total_t,
        vec![
            property("AggregationType", "4"),
            property("AggregationColumnId", &l[3].to_string()),
        ],
        FailComponent,
    );
    let n = b.output_column(
        a,
        ao,
        "n",
        DataType::UI8,
        vec![property("AggregationType", "2")],
        FailComponent,
    );
    b.path(src, so, a, ai);
    let (s, sout, sl) = sort(
        &mut b,
        (a, ao),
        &[
            (region, "region", region_t),
            (total, "total", total_t),
            (n, "n", DataType::UI8),
        ],
        &[(0, 1)],
    );
    let _ = s;
    write(
        &mut b,
        &mut host,
        "Totals",
        &out.join("agg.csv"),
        (s, sout),
        &[
            (sl[0], "region", 129, 10, 0, 0),
            (sl[1], "total", 131, 0, 18, 2),
            (sl[2], "n", 21, 0, 0, 0),
        ],
    );
    run_flow(&b, &host, threads, None)
}

/// Scenario 3: Sort of every column on customer, then amount descending, under `budget`.
fn ssisd_sort(input: &Path, out: &Path, threads: usize, budget: usize) -> u64 {
    let mut host = TestHost::default();
    let mut b = FlowBuilder::new();
    let (src, so, l) = orders_source(&mut b, &mut host, input);
    let cols: Vec<(i64, &str, DataType)> = COLUMNS
        .iter()
        .zip(&l)
        .map(|((n, c, w, p, s), l)| (*l, *n, data_type(*c, *w, *p, *s)))
        .collect();
    let (s, sout, sl) = sort(&mut b, (src, so), &cols, &[(1, 1), (3, -2)]);
    let spec: Vec<(i64, &str, i32, u32, u8, u8)> = COLUMNS
        .iter()
        .zip(&sl)
        .map(|((n, c, w, p, sc), l)| (*l, *n, *c, *w, *p, *sc))
        .collect();
    write(
        &mut b,
        &mut host,
        "Sorted",
        &out.join("sorted.csv"),
        (s, sout),
        &spec,
    );
    let spill = out.join("spill");
    std::fs::create_dir_all(&spill).expect("spill dir");
    let rows = run_flow(
        &b,
        &host,
        threads,
        Some((budget, spill.to_str().expect("utf8").to_string())),
    );
    let _ = std::fs::remove_dir_all(&spill);
    rows
}

/// Runs a flow; returns the rows of the first path.
fn run_flow(
    b: &FlowBuilder,
    host: &TestHost,
    threads: usize,
    budget: Option<(usize, String)>,
) -> u64 {
    let mut settings = RunSettings {
        engine_threads: threads,
        ..RunSettings::default()
    };
    if let Some((bytes, dir)) = budget {
        settings.memory_budget = bytes;
        settings.temp_storage = dir;
    }
    let outcome = run(&b.flow, host, "\\Package\\Bench", &settings);
    if std::env::var_os("SSISD_BENCH_VERBOSE").is_some() {
        for e in host.events.borrow().iter() {
            match e {
                ssisd_pipeline::PipelineEvent::ComponentTime {
                    component,
                    phase,
                    millis,
                    ..
                } => {
                    eprintln!("{component} {phase} {millis:.0} ms")
                }
                ssisd_pipeline::PipelineEvent::Message { text, .. } => eprintln!("{text}"),
                _ => {}
            }
        }
    }
    match outcome {
        Outcome::Success(s) => s.paths[0].rows,
        other => panic!("the data flow failed: {other:?}"),
    }
}

/// Scenario 1, in one process: returns rows read.
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
    run_flow(&b, &host, threads, None)
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

const CSV_COLUMNS: &str = "columns={{'id':'INTEGER','customer':'VARCHAR','region':'VARCHAR',
  'amount':'DECIMAL(12,2)','qty':'INTEGER','ordered':'DATE','status':'VARCHAR','discount':'DOUBLE',
  'express':'BOOLEAN','note':'VARCHAR'}}";

const DUCKDB_AGG: &str = r#"import duckdb
con = duckdb.connect()
con.execute(f"SET threads={threads}")
con.execute("SET enable_progress_bar=false")
con.execute(f"""COPY (SELECT region, sum(amount) AS total, count(*) AS n
  FROM read_csv('{inp}', header=true, COLUMNS)
  GROUP BY region ORDER BY region) TO '{out}/agg.csv' (HEADER)""")
"#;

const POLARS_AGG: &str = r#"import polars as pl
df = pl.read_csv(inp, schema_overrides={'amount': pl.Decimal(12, 2), 'ordered': pl.Date})
df.group_by('region').agg(pl.col('amount').sum().alias('total'), pl.len().alias('n')).sort('region').write_csv(out + '/agg.csv')
"#;

const PANDAS_AGG: &str = r#"import pandas as pd
from decimal import Decimal
df = pd.read_csv(inp, converters={'amount': Decimal}, parse_dates=['ordered'])
g = df.groupby('region').agg(total=('amount', 'sum'), n=('id', 'size')).sort_index()
g.to_csv(out + '/agg.csv')
"#;

const DUCKDB_SORT: &str = r#"import duckdb
con = duckdb.connect()
con.execute(f"SET threads={threads}")
con.execute("SET enable_progress_bar=false")
con.execute("SET memory_limit='64MB'")
con.execute(f"SET temp_directory='{out}/duckdb_tmp'")
con.execute("SET preserve_insertion_order=false")
con.execute(f"""COPY (SELECT * FROM read_csv('{inp}', header=true, COLUMNS)
  ORDER BY customer, amount DESC) TO '{out}/sorted.csv' (HEADER)""")
"#;

const POLARS_SORT: &str = r#"import polars as pl
df = pl.read_csv(inp, schema_overrides={'amount': pl.Decimal(12, 2), 'ordered': pl.Date})
df.sort(['customer', 'amount'], descending=[False, True], maintain_order=True).write_csv(out + '/sorted.csv')
"#;

const PANDAS_SORT: &str = r#"import pandas as pd
from decimal import Decimal
df = pd.read_csv(inp, converters={'amount': Decimal}, parse_dates=['ordered'])
df.sort_values(['customer', 'amount'], ascending=[True, False], kind='stable').to_csv(out + '/sorted.csv', index=False, date_format='%Y-%m-%d')
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

/// The memory budget of scenario 3.
const SORT_BUDGET: usize = 64 * 1024 * 1024;

struct Scenario {
    key: &'static str,
    title: &'static str,
    outputs: &'static [&'static str],
    /// (module, label, script) of each peer.
    peers: [(&'static str, &'static str, &'static str); 3],
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        key: "1",
        title: "(1) Flat File → Derived Column (2 expressions) → Conditional Split → 2 Flat File destinations",
        outputs: &["big.csv", "small.csv"],
        peers: [("duckdb", "DuckDB", DUCKDB), ("polars", "polars", POLARS), ("pandas", "pandas", PANDAS)],
    },
    Scenario {
        key: "2",
        title: "(2) Flat File → Aggregate (group by region; sum, count) → Sort → Flat File",
        outputs: &["agg.csv"],
        peers: [("duckdb", "DuckDB", DUCKDB_AGG), ("polars", "polars", POLARS_AGG), ("pandas", "pandas", PANDAS_AGG)],
    },
    Scenario {
        key: "3",
        title: "(3) Sort of the whole file (customer, amount descending) under a 64 MiB budget → Flat File",
        outputs: &["sorted.csv"],
        peers: [("duckdb", "DuckDB (memory_limit 64MB)", DUCKDB_SORT), ("polars", "polars", POLARS_SORT), ("pandas", "pandas", PANDAS_SORT)],
    },
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 6 && args[1] == "--ssisd" {
        let (inp, out) = (Path::new(&args[3]), Path::new(&args[4]));
        let threads = args[5].parse().unwrap_or(10);
        let rows = match args[2].as_str() {
            "2" => ssisd_aggregate(inp, out, threads),
            "3" => ssisd_sort(inp, out, threads, SORT_BUDGET),
            _ => ssisd(inp, out, threads),
        };
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
    let wanted = std::env::var("SSISD_BENCH_SCENARIOS").unwrap_or_else(|_| "1,2,3".into());
    eprintln!("generating {rows} rows (once)…");
    let inp = input(rows);
    let size = std::fs::metadata(&inp).map(|m| m.len()).unwrap_or(0);
    let me = std::env::current_exe().expect("bench binary");
    let out = tempfile::tempdir().expect("tmp");
    let outp = out.path().to_str().expect("utf8").to_string();
    let inps = inp.to_str().expect("utf8").to_string();
    let mut load = [0f64; 3];
    for sc in SCENARIOS
        .iter()
        .filter(|s| wanted.split(',').any(|w| w.trim() == s.key))
    {
        let clean = || {
            for f in sc.outputs {
                let _ = std::fs::remove_file(out.path().join(f));
            }
            let _ = std::fs::remove_dir_all(out.path().join("duckdb_tmp"));
        };
        let mut results: Vec<(String, Result<Measured, String>)> = Vec::new();
        for threads in [2usize, 1] {
            let mut c = Command::new(&me);
            c.args(["--ssisd", sc.key, &inps, &outp, &threads.to_string()])
                .stdout(std::process::Stdio::null());
            eprintln!("{} ssisd, EngineThreads={threads}…", sc.key);
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
        for (module, name, script) in sc.peers {
            let threads: &[&str] = if module == "duckdb" {
                &["1", "2"]
            } else {
                &["0"]
            };
            let script = script.replace("COLUMNS", CSV_COLUMNS);
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
                eprintln!("{} {label}…", sc.key);
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
        println!("{}", sc.title);
        println!(
            "{rows} rows, {:.0} MB input, {} cores",
            size as f64 / 1e6,
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        );
        // SAFETY: getloadavg fills at most 3 doubles of the array it is given.
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
}
