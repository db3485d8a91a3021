//! Merge Join over two sorted CSV inputs: inner, left and full joins, duplicate keys on both
//! sides, NULL keys with and without TreatNullsAsEqual, and the refusals (unsorted input,
//! mismatched keys, rows out of order while flowing).

use ssisd_engine::model::RowDisposition;
use ssisd_engine::types::DataType;

use crate::testing::{property, CsvFlow};
use crate::Outcome;

const W: DataType = DataType::WStr { len: 20 };

/// A Sort of every column of `(src, out)` on column `key` (ascending); returns the Sort's
/// output and its columns' lineages.
pub(crate) fn sort_on(
    f: &mut CsvFlow,
    name: &str,
    from: (usize, usize),
    columns: &[(i64, &str, DataType)],
    key: usize,
) -> (usize, usize, Vec<i64>) {
    let s = f.b.component(name, "Microsoft.Sort", vec![]);
    let si = f.b.input(s, "Sort Input");
    for (i, (l, _, _)) in columns.iter().enumerate() {
        let pos = if i == key { "1" } else { "0" };
        f.b.input_column(
            s,
            si,
            *l,
            false,
            vec![property("NewSortKeyPosition", pos)],
            RowDisposition::NotUsed,
        );
    }
    let out = f.b.output(s, "Sort Output", None, false, 0);
    f.b.flow.components[s].outputs[out].is_sorted = true;
    let mut lin = Vec::new();
    for (i, (l, n, t)) in columns.iter().enumerate() {
        lin.push(f.b.output_column(
            s,
            out,
            n,
            *t,
            vec![property("SortColumnId", &l.to_string())],
            RowDisposition::NotUsed,
        ));
        if i == key {
            if let Some(c) = f.b.flow.components[s].outputs[out].columns.last_mut() {
                c.sort_key_position = 1;
            }
        }
    }
    f.b.path(from.0, from.1, s, si);
    (s, out, lin)
}

const LEFT: &str = "k,l\n1,a\n2,b\n2,c\n,n1\n4,d\n";
const RIGHT: &str = "k,r\n2,x\n2,y\n3,z\n,n2\n1,w\n";

fn join_flow(join: i64, nulls_equal: bool, left: &str, right: &str, sort: bool) -> CsvFlow {
    let mut f = CsvFlow::new();
    let (ls, lo, ll) = f.source("L", &[("k", DataType::I4), ("l", W)], left);
    let (rs, ro, rl) = f.source("R", &[("k", DataType::I4), ("r", W)], right);
    let (lfrom, llin, rfrom, rlin) = if sort {
        let (a, ao, al) = sort_on(
            &mut f,
            "Sort L",
            (ls, lo),
            &[(ll[0], "k", DataType::I4), (ll[1], "l", W)],
            0,
        );
        let (b, bo, bl) = sort_on(
            &mut f,
            "Sort R",
            (rs, ro),
            &[(rl[0], "k", DataType::I4), (rl[1], "r", W)],
            0,
        );
        ((a, ao), al, (b, bo), bl)
    } else {
        ((ls, lo), ll, (rs, ro), rl)
    };
    let m = f.b.component(
        "Join",
        "Microsoft.MergeJoin",
        vec![
            property("JoinType", &join.to_string()),
            property("NumKeyColumns", "1"),
            property(
                "TreatNullsAsEqual",
                if nulls_equal { "true" } else { "false" },
            ),
            property("MaxBuffersPerInput", "5"),
        ],
    );
    let li = f.b.input(m, "Merge Join Left Input");
    let ri = f.b.input(m, "Merge Join Right Input");
    for l in &llin {
        f.b.input_column(m, li, *l, false, vec![], RowDisposition::NotUsed);
    }
    for l in &rlin {
        f.b.input_column(m, ri, *l, false, vec![], RowDisposition::NotUsed);
    }
    let ids: Vec<i64> = f.b.flow.components[m].inputs[0]
        .columns
        .iter()
        .chain(f.b.flow.components[m].inputs[1].columns.iter())
        .map(|c| c.id.number)
        .collect();
    let o = f.b.output(m, "Merge Join Output", None, false, 0);
    let mut outs = Vec::new();
    for (name, ty, id) in [
        ("k", DataType::I4, ids[0]),
        ("l", W, ids[1]),
        ("rk", DataType::I4, ids[2]),
        ("r", W, ids[3]),
    ] {
        outs.push(f.b.output_column(
            m,
            o,
            name,
            ty,
            vec![property("InputColumnID", &format!("#{id}"))],
            RowDisposition::NotUsed,
        ));
    }
    f.b.path(lfrom.0, lfrom.1, m, li);
    f.b.path(rfrom.0, rfrom.1, m, ri);
    f.destination("Out", (m, o), &outs);
    f
}

#[test]
fn inner_join_pairs_every_equal_key_and_nulls_join_by_default() {
    let f = join_flow(2, true, LEFT, RIGHT, true);
    assert_eq!(
        f.run_ok("Out"),
        "k,l,rk,r\n,n1,,n2\n1,a,1,w\n2,b,2,x\n2,b,2,y\n2,c,2,x\n2,c,2,y\n"
    );
}

#[test]
fn left_join_keeps_unmatched_left_rows_and_nulls_do_not_match_when_asked() {
    let f = join_flow(1, false, LEFT, RIGHT, true);
    assert_eq!(
        f.run_ok("Out"),
        "k,l,rk,r\n,n1,,\n1,a,1,w\n2,b,2,x\n2,b,2,y\n2,c,2,x\n2,c,2,y\n4,d,,\n"
    );
}

#[test]
fn full_join_keeps_both_sides() {
    let f = join_flow(0, false, LEFT, RIGHT, true);
    assert_eq!(
        f.run_ok("Out"),
        "k,l,rk,r\n,n1,,\n,,,n2\n1,a,1,w\n2,b,2,x\n2,b,2,y\n2,c,2,x\n2,c,2,y\n,,3,z\n4,d,,\n"
    );
}

#[test]
fn many_rows_join_across_buffers() {
    let mut left = String::from("k,l\n");
    let mut right = String::from("k,r\n");
    for i in 0..5000 {
        left.push_str(&format!("{},l{i}\n", i * 2));
        right.push_str(&format!("{},r{i}\n", i * 3));
    }
    let f = join_flow(2, true, &left, &right, true);
    let out = f.run_ok("Out");
    // Keys divisible by 6 below 10000.
    assert_eq!(out.lines().count(), 1 + 1667);
    assert!(out.contains("\n9996,l4998,9996,r3332\n"), "{}", &out[..200]);
}

#[test]
fn unsorted_inputs_are_refused_and_rows_out_of_order_fail() {
    let f = join_flow(2, true, LEFT, RIGHT, false);
    let v = f.validation();
    assert!(v.contains("component \"Join\": its input \"Merge Join Left Input\" must be sorted, and the output \"Flat File Source Output\" of \"L\""), "{v}");
    // Declared sorted, but not.
    let mut f = join_flow(2, true, LEFT, RIGHT, false);
    for c in [0, 1] {
        f.b.flow.components[c].outputs[0].is_sorted = true;
        f.b.flow.components[c].outputs[0].columns[0].sort_key_position = 1;
    }
    match f.run() {
        Outcome::Failed(p) => {
            let t = p.to_string();
            // Both inputs are out of order at their fourth row; whichever arrives first fails.
            assert!(
                t.contains("component \"Join\": its input \"Merge Join "),
                "{t}"
            );
            assert!(
                t.contains(" is not sorted on \"k\": row 4 comes before row 3"),
                "{t}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(f.output("Out").is_none());
}

#[test]
fn mismatched_keys_are_refused() {
    let mut f = join_flow(2, true, LEFT, RIGHT, true);
    // Right sorted descending.
    let sort_r = 3;
    f.b.flow.components[sort_r].outputs[0].columns[0].sort_key_position = -1;
    let v = f.validation();
    assert!(v.contains("join key 1 does not match"), "{v}");
}
