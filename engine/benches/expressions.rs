//! Throughput of compiled SSIS expressions: each typical property expression is compiled once and
//! evaluated in a tight loop; prints evaluations per second and nanoseconds per evaluation.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ssisd_engine::expr::{Expression, VariableTable};
use ssisd_engine::types::{DataType, Value};

fn table() -> VariableTable {
    let mut t = VariableTable::new();
    t.set("User", "Count", DataType::I4, Value::I4(7));
    t.set(
        "User",
        "Dir",
        DataType::WStr { len: 0 },
        Value::WStr("/data/incoming".into()),
    );
    t.set(
        "User",
        "File",
        DataType::WStr { len: 0 },
        Value::WStr("sales_2024".into()),
    );
    t.set("User", "Flag", DataType::Bool, Value::Bool(true));
    t.set(
        "User",
        "Name",
        DataType::WStr { len: 0 },
        Value::WStr("  Widget Corp  ".into()),
    );
    t
}

fn main() {
    let t = table();
    let cases = [
        "@[User::Count] * 2 + 1 > 10 ? \"big\" : \"small\"",
        "@[User::Dir] + \"\\\\\" + @[User::File] + \".csv\"",
        "@[User::Count] + 1",
        "@[User::Flag] && @[User::Count] >= 5",
        "(DT_WSTR, 10) @[User::Count]",
        "UPPER(TRIM(@[User::Name]))",
        "DATEPART(\"yyyy\", (DT_DBTIMESTAMP)\"2024-03-15 10:00:00\") + @[User::Count]",
        "ISNULL(@[User::File]) ? \"none\" : SUBSTRING(@[User::File], 1, 5)",
    ];
    println!("{:<72} {:>14} {:>10}", "expression", "evals/s", "ns/eval");
    for text in cases {
        let e = match Expression::compile(text, &t) {
            Ok(e) => e,
            Err(err) => {
                println!("{text:<72} compile error: {err}");
                continue;
            }
        };
        // Warm up, then run for about half a second.
        for _ in 0..10_000 {
            black_box(e.evaluate(&t).ok());
        }
        let mut n: u64 = 0;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(500) {
            for _ in 0..10_000 {
                black_box(e.evaluate(black_box(&t)).ok());
            }
            n += 10_000;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:<72} {:>14.0} {:>10.1}",
            text,
            n as f64 / secs,
            secs * 1e9 / n as f64
        );
    }
}
