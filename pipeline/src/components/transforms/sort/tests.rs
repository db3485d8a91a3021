//! Sort over CSV flows: key order and direction, NULLs, pass-through columns, comparison flags,
//! duplicate removal, spilling under a small budget (same result, files gone afterwards, also
//! when the flow fails), and the configuration errors.

use ssisd_engine::model::RowDisposition;
use ssisd_engine::types::DataType;

use crate::buffer::sizing::BufferSizing;
use crate::host::PipelineEvent;
use crate::testing::{property, CsvFlow};
use crate::{Outcome, RunSettings};

const W: DataType = DataType::WStr { len: 20 };

/// Source (id, name, amount) → Sort → destination of the output columns `pass` (indices).
/// `keys`: (column index, NewSortKeyPosition, NewComparisonFlags).
fn flow(text: &str, keys: &[(usize, i64, u32)], dedupe: bool, pass: &[usize]) -> CsvFlow {
    let mut f = CsvFlow::new();
    let amount = DataType::Numeric {
        precision: 10,
        scale: 2,
    };
    let cols = [("id", DataType::I4), ("name", W), ("amount", amount)];
    let (src, so, lin) = f.source("In", &cols, text);
    let s = f.b.component(
        "Sort",
        "Microsoft.Sort",
        vec![
            property("EliminateDuplicates", if dedupe { "true" } else { "false" }),
            property("MaximumThreads", "-1"),
        ],
    );
    let si = f.b.input(s, "Sort Input");
    for (i, l) in lin.iter().enumerate() {
        let (pos, flags) = keys
            .iter()
            .find(|k| k.0 == i)
            .map(|k| (k.1, k.2))
            .unwrap_or((0, 0));
        f.b.input_column(
            s,
            si,
            *l,
            false,
            vec![
                property("NewSortKeyPosition", &pos.to_string()),
                property("NewComparisonFlags", &flags.to_string()),
            ],
            RowDisposition::NotUsed,
        );
    }
    let out = f.b.output(s, "Sort Output", None, false, 0);
    f.b.flow.components[s].outputs[out].is_sorted = true;
    let mut outs = Vec::new();
    for &i in pass {
        let l = f.b.output_column(
            s,
            out,
            cols[i].0,
            cols[i].1,
            vec![property("SortColumnId", &format!("#{}", lin[i]))],
            RowDisposition::NotUsed,
        );
        let pos = keys.iter().find(|k| k.0 == i).map(|k| k.1).unwrap_or(0);
        if let Some(c) = f.b.flow.components[s].outputs[out].columns.last_mut() {
            c.sort_key_position = pos as i32;
        }
        outs.push(l);
    }
    f.b.path(src, so, s, si);
    f.destination("Out", (s, out), &outs);
    f
}

const ROWS: &str = "id,name,amount\n3,pear,1.50\n1,Apple,2.00\n2,apple,2.00\n4,,0.10\n5,banana,2.00\n6,Apple,9.99\n";

#[test]
fn sorts_on_keys_in_order_and_direction_with_nulls_first() {
    // amount descending, then name ascending (NULL first), then id.
    let f = flow(ROWS, &[(2, -1, 0), (1, 2, 0), (0, 3, 0)], false, &[0, 1, 2]);
    assert_eq!(
        f.run_ok("Out"),
        "id,name,amount\n6,Apple,9.99\n1,Apple,2.00\n2,apple,2.00\n5,banana,2.00\n3,pear,1.50\n4,,0.10\n"
    );
}

#[test]
fn passes_only_the_chosen_columns_and_keeps_equal_keys_in_input_order() {
    let f = flow(ROWS, &[(2, 1, 0)], false, &[0]);
    assert_eq!(f.run_ok("Out"), "id\n4\n3\n1\n2\n5\n6\n");
}

#[test]
fn ignore_case_and_duplicate_removal_keep_the_first_row() {
    let f = flow(ROWS, &[(1, 1, 0x1)], true, &[1, 0]);
    assert_eq!(f.run_ok("Out"), "name,id\n,4\nApple,1\nbanana,5\npear,3\n");
    // Without the flag "Apple" and "apple" differ (code-point order: upper case first).
    let f = flow(ROWS, &[(1, 1, 0)], true, &[1]);
    assert_eq!(f.run_ok("Out"), "name\n\nApple\napple\nbanana\npear\n");
}

fn many_rows(n: u32) -> String {
    let mut s = String::from("id,name,amount\n");
    let mut x: u32 = 12345;
    for i in 0..n {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        s.push_str(&format!(
            "{i},n{},{}.{:02}\n",
            (x >> 8) % 97,
            (x >> 4) % 500,
            i % 100
        ));
    }
    s
}

fn small_budget(dir: &std::path::Path) -> RunSettings {
    RunSettings {
        sizing: BufferSizing {
            max_rows: 200,
            ..BufferSizing::default()
        },
        memory_budget: 64 * 1024,
        temp_storage: dir.to_str().unwrap_or_default().to_string(),
        ..RunSettings::default()
    }
}

#[test]
fn spills_under_a_small_budget_with_the_same_result_and_removes_its_files() {
    let text = many_rows(6000);
    let keys = [(1, 1, 0), (2, -2, 0)];
    let whole = flow(&text, &keys, false, &[0, 1, 2]).run_ok("Out");
    let f = flow(&text, &keys, false, &[0, 1, 2]);
    let spill = tempfile::tempdir().expect("dir");
    match f.run_with(&small_budget(spill.path())) {
        Outcome::Success(_) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(f.output("Out").as_deref(), Some(whole.as_str()));
    assert_eq!(whole.lines().count(), 6001);
    let spilled = f.host.events.borrow().iter().any(|e| {
        matches!(e, PipelineEvent::Message { code, text, .. }
            if *code == crate::codes::ROWS_SPILLED && text.contains("6000 rows in"))
    });
    assert!(spilled, "{:?}", f.host.messages());
    assert_eq!(std::fs::read_dir(spill.path()).expect("dir").count(), 0);
    // Duplicate removal across runs.
    let dd = flow(&text, &[(1, 1, 0)], true, &[1]);
    let out = match dd.run_with(&small_budget(spill.path())) {
        Outcome::Success(_) => dd.output("Out").unwrap_or_default(),
        other => panic!("{other:?}"),
    };
    assert_eq!(out.lines().count(), 1 + 97);
    assert_eq!(std::fs::read_dir(spill.path()).expect("dir").count(), 0);
}

#[test]
fn a_failure_downstream_of_a_spilled_sort_leaves_no_spill_file() {
    let mut text = many_rows(3000);
    text.push_str("9999,n1,0.00\n");
    let mut f = flow(&text, &[(0, 1, 0)], false, &[0, 1, 2]);
    // A Derived Column after the sort fails on the last row (division by zero).
    let s = 1;
    let id = f.b.flow.components[s].outputs[0].columns[0].lineage_id;
    let dest = f.b.flow.components.len() - 1;
    f.b.flow.paths.pop();
    let d = f.b.component("Divide", "Microsoft.DerivedColumn", vec![]);
    let di = f.b.input(d, "Derived Column Input");
    f.b.input_column(d, di, id, false, vec![], RowDisposition::NotUsed);
    let dout = f.b.output(d, "Derived Column Output", Some(di), false, 1);
    f.b.output_column(
        d,
        dout,
        "q",
        DataType::I4,
        vec![property("Expression", &format!("1 / (9999 - #{id})"))],
        RowDisposition::FailComponent,
    );
    f.b.path(s, 0, d, di);
    f.b.path(d, dout, dest, 0);
    let spill = tempfile::tempdir().expect("dir");
    match f.run_with(&small_budget(spill.path())) {
        Outcome::Failed(p) => assert!(p.to_string().contains("Divide"), "{p}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read_dir(spill.path()).expect("dir").count(), 0);
    assert!(f.output("Out").is_none());
}

#[test]
fn configuration_errors_name_the_component_and_column() {
    let f = flow(ROWS, &[], false, &[0]);
    let v = f.validation();
    assert!(v.contains("component \"Sort\": it has no sort key"), "{v}");
    let f = flow(ROWS, &[(0, 1, 0), (1, 3, 0)], false, &[0]);
    let v = f.validation();
    assert!(v.contains("\"id\" 1, \"name\" 3"), "{v}");
    let f = flow(ROWS, &[(0, 1, 0x1)], false, &[0]);
    let v = f.validation();
    assert!(
        v.contains("the sort key \"id\" has NewComparisonFlags 1"),
        "{v}"
    );
    let mut f = flow(ROWS, &[(0, 1, 0)], false, &[0]);
    f.b.flow.components[1].outputs[0].columns[0].properties =
        vec![property("SortColumnId", "#999")];
    let v = f.validation();
    assert!(
        v.contains("the output column \"id\" does not name an input column"),
        "{v}"
    );
}
