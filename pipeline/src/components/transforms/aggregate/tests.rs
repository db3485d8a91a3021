//! Aggregate over CSV flows: every aggregation, output types, NULLs, comparison flags, the
//! single row without grouping, two outputs, spilling hash partitions under a small budget, and
//! the configuration and overflow errors.

use ssisd_engine::model::RowDisposition;
use ssisd_engine::types::DataType;

use crate::buffer::sizing::BufferSizing;
use crate::testing::{property, CsvFlow};
use crate::{Outcome, RunSettings};

const W: DataType = DataType::WStr { len: 20 };
const AMOUNT: DataType = DataType::Numeric {
    precision: 10,
    scale: 2,
};

/// Source (region, qty, amount, day) → Aggregate with one output per entry of `outputs`, each a
/// list of (name, AggregationType, source column index or none, output type, flags) → one
/// destination per output ("Out0", "Out1", …).
/// An output column: (name, AggregationType, source column, output type, comparison flags).
type Column<'a> = (&'a str, i64, Option<usize>, DataType, u32);

fn flow(text: &str, outputs: &[Vec<Column<'_>>]) -> CsvFlow {
    let mut f = CsvFlow::new();
    let cols = [
        ("region", W),
        ("qty", DataType::I4),
        ("amount", AMOUNT),
        ("day", DataType::DbDate),
    ];
    let (src, so, lin) = f.source("In", &cols, text);
    let a = f.b.component("Aggregate", "Microsoft.Aggregate", vec![]);
    let ai = f.b.input(a, "Aggregate Input 1");
    for l in &lin {
        f.b.input_column(a, ai, *l, false, vec![], RowDisposition::NotUsed);
    }
    f.b.path(src, so, a, ai);
    for (k, columns) in outputs.iter().enumerate() {
        let o =
            f.b.output(a, &format!("Aggregate Output {}", k + 1), None, false, 0);
        let mut outs = Vec::new();
        for (name, kind, source, ty, flags) in columns {
            let mut props = vec![
                property("AggregationType", &kind.to_string()),
                property("IsBig", "1"),
            ];
            if let Some(s) = source {
                props.push(property("AggregationColumnId", &lin[*s].to_string()));
            }
            if *flags != 0 {
                props.push(property("AggregationComparisonFlags", &flags.to_string()));
            }
            outs.push(f.b.output_column(a, o, name, *ty, props, RowDisposition::FailComponent));
        }
        f.destination(&format!("Out{k}"), (a, o), &outs);
    }
    f
}

const ROWS: &str = "region,qty,amount,day\nnorth,3,10.50,2024-01-05\nSouth,2,99.99,2024-02-29\nnorth,1,5.00,2024-03-01\nsouth,,60.00,2024-03-02\nnorth,4,,2023-12-31\n";

#[test]
fn every_aggregation_per_group() {
    let f = flow(
        ROWS,
        &[vec![
            ("region", 0, Some(0), W, 0),
            ("rows", 2, None, DataType::UI8, 0),
            ("qtys", 1, Some(1), DataType::UI8, 0),
            ("qty", 4, Some(1), DataType::I8, 0),
            (
                "amount",
                4,
                Some(2),
                DataType::Numeric {
                    precision: 18,
                    scale: 2,
                },
                0,
            ),
            (
                "avg_amount",
                5,
                Some(2),
                DataType::Numeric {
                    precision: 18,
                    scale: 4,
                },
                0,
            ),
            ("avg_qty", 5, Some(1), DataType::R8, 0),
            ("first", 6, Some(3), DataType::DbDate, 0),
            ("most", 7, Some(1), DataType::I4, 0),
            ("days", 3, Some(3), DataType::UI4, 0),
        ]],
    );
    assert_eq!(
        f.run_ok("Out0"),
        "region,rows,qtys,qty,amount,avg_amount,avg_qty,first,most,days\n\
         north,3,3,8,15.50,7.7500,2.6666666666666665,2023-12-31,4,3\n\
         South,1,1,2,99.99,99.9900,2,2024-02-29,2,1\n\
         south,1,0,,60.00,60.0000,,2024-03-02,,1\n"
    );
}

#[test]
fn comparison_flags_group_case_insensitively_and_keep_the_first_value() {
    let f = flow(
        ROWS,
        &[vec![
            ("region", 0, Some(0), W, 0x1),
            ("qty", 4, Some(1), DataType::I8, 0),
        ]],
    );
    assert_eq!(f.run_ok("Out0"), "region,qty\nnorth,8\nSouth,2\n");
}

#[test]
fn without_grouping_one_row_even_for_no_rows_and_two_outputs_group_apart() {
    let outputs = vec![
        vec![
            ("rows", 2, None, DataType::UI8, 0),
            (
                "amount",
                4,
                Some(2),
                DataType::Numeric {
                    precision: 18,
                    scale: 2,
                },
                0,
            ),
        ],
        vec![
            ("region", 0, Some(0), W, 0x1),
            ("rows", 2, None, DataType::I4, 0),
        ],
    ];
    let f = flow(ROWS, &outputs);
    assert_eq!(f.run_ok("Out0"), "rows,amount\n5,175.49\n");
    assert_eq!(
        f.output("Out1").as_deref(),
        Some("region,rows\nnorth,3\nSouth,2\n")
    );
    let f = flow("region,qty,amount,day\n", &outputs);
    assert_eq!(f.run_ok("Out0"), "rows,amount\n0,\n");
    assert_eq!(f.output("Out1").as_deref(), Some("region,rows\n"));
}

#[test]
fn spills_new_groups_to_partitions_with_the_same_result() {
    let mut text = String::from("region,qty,amount,day\n");
    for i in 0..20_000u32 {
        text.push_str(&format!(
            "r{},{},1.00,2024-01-01\n",
            (i * 7919) % 9000,
            i % 10
        ));
    }
    let outputs = vec![vec![
        ("region", 0, Some(0), W, 0),
        ("rows", 2, None, DataType::UI8, 0),
        ("qty", 4, Some(1), DataType::I8, 0),
        ("qtys", 3, Some(1), DataType::UI8, 0),
    ]];
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    let whole = sorted(&flow(&text, &outputs).run_ok("Out0"));
    assert_eq!(whole.len(), 9001);
    let f = flow(&text, &outputs);
    let spill = tempfile::tempdir().expect("dir");
    let settings = RunSettings {
        sizing: BufferSizing {
            max_rows: 500,
            ..BufferSizing::default()
        },
        memory_budget: 2 << 20,
        temp_storage: spill.path().to_str().unwrap_or_default().to_string(),
        ..RunSettings::default()
    };
    match f.run_with(&settings) {
        Outcome::Success(_) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(sorted(&f.output("Out0").unwrap_or_default()), whole);
    assert!(
        f.host
            .messages()
            .iter()
            .any(|m| m.contains("\"Aggregate\" spilled")),
        "{:?}",
        f.host.messages()
    );
    assert_eq!(std::fs::read_dir(spill.path()).expect("dir").count(), 0);
}

#[test]
fn configuration_errors_and_overflow_name_the_column() {
    let f = flow(ROWS, &[vec![("s", 4, Some(0), DataType::I8, 0)]]);
    let v = f.validation();
    assert!(
        v.contains("the output column \"s\" (sum) needs a numeric input column, and \"region\" is"),
        "{v}"
    );
    let f = flow(ROWS, &[vec![("m", 6, Some(0), W, 0)]]);
    assert!(f
        .validation()
        .contains("(minimum) needs a numeric, date or time input column"));
    let f = flow(ROWS, &[vec![("x", 9, Some(1), DataType::I8, 0)]]);
    assert!(f
        .validation()
        .contains("the output column \"x\" has no valid AggregationType"));
    let f = flow(ROWS, &[vec![("q", 4, Some(1), DataType::I8, 0x1)]]);
    assert!(f
        .validation()
        .contains("AggregationComparisonFlags apply only to group by and count distinct"));
    let f = flow(
        "region,qty,amount,day\na,2000000000,1,2024-01-01\na,2000000000,1,2024-01-01\n",
        &[vec![("qty", 4, Some(1), DataType::I4, 0)]],
    );
    match f.run() {
        Outcome::Failed(p) => {
            let t = p.to_string();
            assert!(t.contains("component \"Aggregate\": the result for the column \"Aggregate.Outputs[Aggregate Output 1].Columns[qty]\" does not fit it"), "{t}");
        }
        other => panic!("{other:?}"),
    }
    assert!(f.output("Out0").is_none());
}
