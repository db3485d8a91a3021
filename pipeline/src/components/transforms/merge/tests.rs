//! Merge over two sorted CSV inputs: interleaving in key order (first input first on ties),
//! columns fed by OutputColumnLineageID, and the refusal of an unsorted input.

use ssisd_engine::model::RowDisposition;
use ssisd_engine::types::DataType;

use crate::components::transforms::merge_join::tests::sort_on;
use crate::testing::{property, CsvFlow};

const W: DataType = DataType::WStr { len: 20 };

fn merge_flow(a: &str, b: &str, sort: bool) -> CsvFlow {
    let mut f = CsvFlow::new();
    let cols = [("k", DataType::I4), ("v", W)];
    let (sa, oa, la) = f.source("A", &cols, a);
    let (sb, ob, lb) = f.source("B", &cols, b);
    let (fa, la, fb, lb) = if sort {
        let (x, xo, xl) = sort_on(
            &mut f,
            "Sort A",
            (sa, oa),
            &[(la[0], "k", DataType::I4), (la[1], "v", W)],
            0,
        );
        let (y, yo, yl) = sort_on(
            &mut f,
            "Sort B",
            (sb, ob),
            &[(lb[0], "k", DataType::I4), (lb[1], "v", W)],
            0,
        );
        ((x, xo), xl, (y, yo), yl)
    } else {
        ((sa, oa), la, (sb, ob), lb)
    };
    let m = f.b.component("Merge", "Microsoft.Merge", vec![]);
    let ia = f.b.input(m, "Merge Input 1");
    let ib = f.b.input(m, "Merge Input 2");
    let o = f.b.output(m, "Merge Output", None, false, 0);
    f.b.flow.components[m].outputs[o].is_sorted = true;
    let ok =
        f.b.output_column(m, o, "k", DataType::I4, vec![], RowDisposition::NotUsed);
    let ov =
        f.b.output_column(m, o, "v", W, vec![], RowDisposition::NotUsed);
    f.b.flow.components[m].outputs[o].columns[0].sort_key_position = 1;
    for (input, lin) in [(ia, &la), (ib, &lb)] {
        for (l, target) in lin.iter().zip([ok, ov]) {
            f.b.input_column(
                m,
                input,
                *l,
                false,
                vec![property("OutputColumnLineageID", &format!("#{target}"))],
                RowDisposition::NotUsed,
            );
        }
    }
    f.b.path(fa.0, fa.1, m, ia);
    f.b.path(fb.0, fb.1, m, ib);
    f.destination("Out", (m, o), &[ok, ov]);
    f
}

#[test]
fn interleaves_sorted_inputs_in_key_order() {
    let f = merge_flow(
        "k,v\n5,a5\n1,a1\n3,a3\n",
        "k,v\n2,b2\n3,b3\n,bn\n9,b9\n",
        true,
    );
    assert_eq!(
        f.run_ok("Out"),
        "k,v\n,bn\n1,a1\n2,b2\n3,a3\n3,b3\n5,a5\n9,b9\n"
    );
}

#[test]
fn many_rows_merge_across_buffers() {
    let mut a = String::from("k,v\n");
    let mut b = String::from("k,v\n");
    for i in 0..4000 {
        a.push_str(&format!("{},a\n", i * 2));
        b.push_str(&format!("{},b\n", i * 2 + 1));
    }
    let f = merge_flow(&a, &b, true);
    let out = f.run_ok("Out");
    let keys: Vec<i64> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or("").parse().unwrap_or(-1))
        .collect();
    assert_eq!(keys, (0..8000).collect::<Vec<i64>>());
}

#[test]
fn an_unsorted_input_is_refused() {
    let f = merge_flow("k,v\n1,a\n", "k,v\n2,b\n", false);
    let v = f.validation();
    assert!(
        v.contains("component \"Merge\": its input \"Merge Input 1\" must be sorted"),
        "{v}"
    );
}
