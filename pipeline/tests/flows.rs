//! Whole data flows run through `ssisd_pipeline::run` with the test host: flat file in, the
//! transforms of this milestone, flat files out, checked row by row; every error disposition;
//! the graph's refusals; cancellation leaving no output behind.

use std::path::Path;

use ssisd_engine::model::RowDisposition::{self, FailComponent, IgnoreFailure, RedirectRow};
use ssisd_engine::types::{DataType, Value};
use ssisd_pipeline::testing::{property, FlowBuilder, TestHost};
use ssisd_pipeline::{run, validate, Outcome, RunSettings};

const FFS: &str = "Microsoft.FlatFileSource";
const FFD: &str = "Microsoft.FlatFileDestination";

/// A delimited FLATFILE manager: (name, type code, width, precision, scale).
fn manager(
    columns: &[(&str, i32, u32, u8, u8)],
    qualifier: &str,
    names: bool,
    code_page: u32,
) -> String {
    let mut s = format!(
        r#"<DTS:ConnectionManager DTS:Format="Delimited" DTS:CodePage="{code_page}" DTS:ColumnNamesInFirstDataRow="{}" DTS:TextQualifier="{qualifier}"><DTS:FlatFileColumns>"#,
        if names { "True" } else { "False" }
    );
    for (i, (n, code, w, p, sc)) in columns.iter().enumerate() {
        let d = if i + 1 == columns.len() {
            "_x000D__x000A_"
        } else {
            "_x002C_"
        };
        s.push_str(&format!(
            r#"<DTS:FlatFileColumn DTS:ColumnType="Delimited" DTS:ColumnDelimiter="{d}" DTS:MaximumWidth="{w}" DTS:DataType="{code}" DTS:DataPrecision="{p}" DTS:DataScale="{sc}" DTS:TextQualified="True" DTS:ObjectName="{n}"/>"#
        ));
    }
    s.push_str("</DTS:FlatFileColumns></DTS:ConnectionManager>");
    s
}

struct Source {
    c: usize,
    lineages: Vec<i64>,
    error_output: usize,
}

fn source(b: &mut FlowBuilder, cols: &[(&str, DataType, RowDisposition)], conn: &str) -> Source {
    let c = b.component("Read", FFS, vec![property("RetainNulls", "true")]);
    b.connection(c, "FlatFileConnection", conn);
    let o = b.output(c, "Flat File Source Output", None, false, 0);
    let lineages = cols
        .iter()
        .map(|(n, t, d)| b.output_column(c, o, n, *t, vec![], *d))
        .collect();
    let e = b.output(c, "Flat File Source Error Output", None, true, 0);
    b.output_column(
        c,
        e,
        "Flat File Source Error Output Column",
        DataType::NText,
        vec![],
        RowDisposition::NotUsed,
    );
    b.error_columns(c, e);
    Source {
        c,
        lineages,
        error_output: e,
    }
}

fn destination(b: &mut FlowBuilder, name: &str, conn: &str, lineages: &[i64]) -> usize {
    let c = b.component(name, FFD, vec![property("Overwrite", "true")]);
    b.connection(c, "FlatFileConnection", conn);
    let i = b.input(c, &format!("{name} Input"));
    for l in lineages {
        b.input_column(c, i, *l, false, vec![], RowDisposition::NotUsed);
    }
    c
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn str50() -> DataType {
    DataType::Str {
        len: 50,
        code_page: 1252,
    }
}

#[test]
fn source_derived_column_split_and_two_destinations() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("orders.csv");
    std::fs::write(
        &input,
        "id,region,amount,qty\r\n1,north,10.50,3\r\n2,\"so,uth\",99.99,2\r\n3,east,5.00,1\r\n",
    )
    .expect("write");
    let mut host = TestHost::default();
    let amount = DataType::Numeric {
        precision: 12,
        scale: 2,
    };
    host.flat_file(
        "Orders",
        input.to_str().expect("utf8"),
        &manager(
            &[
                ("id", 3, 0, 0, 0),
                ("region", 129, 50, 0, 0),
                ("amount", 131, 0, 12, 0),
                ("qty", 3, 0, 0, 0),
            ],
            "_x0022_",
            true,
            1252,
        ),
    );
    let big_cols = [
        ("id", 3, 0, 0, 0),
        ("region", 129, 50, 0, 0),
        ("total", 131, 0, 14, 2),
    ];
    host.flat_file(
        "Big",
        dir.path().join("big.csv").to_str().expect("utf8"),
        &manager(&big_cols, "_x0022_", true, 1252),
    );
    host.flat_file(
        "Small",
        dir.path().join("small.csv").to_str().expect("utf8"),
        &manager(&big_cols, "_x003C_none_x003E_", false, 1252),
    );

    let mut b = FlowBuilder::new();
    let s = source(
        &mut b,
        &[
            ("id", DataType::I4, FailComponent),
            ("region", str50(), FailComponent),
            ("amount", amount, FailComponent),
            ("qty", DataType::I4, FailComponent),
        ],
        "Orders",
    );
    let dc = b.component("Derive", "Microsoft.DerivedColumn", vec![]);
    let di = b.input(dc, "Derived Column Input");
    b.input_column(
        dc,
        di,
        s.lineages[1],
        true,
        vec![property(
            "Expression",
            &format!("UPPER(#{})", s.lineages[1]),
        )],
        FailComponent,
    );
    b.input_column(dc, di, s.lineages[2], false, vec![], FailComponent);
    let dout = b.output(dc, "Derived Column Output", Some(di), false, 1);
    let total = b.output_column(
        dc,
        dout,
        "total",
        DataType::Numeric {
            precision: 14,
            scale: 2,
        },
        vec![property("Expression", "[amount] * [qty]")],
        FailComponent,
    );
    let derr = b.output(dc, "Derived Column Error Output", Some(di), true, 1);
    b.error_columns(dc, derr);
    b.path(s.c, 0, dc, di);
    let cs = b.component("Split", "Microsoft.ConditionalSplit", vec![]);
    let ci = b.input(cs, "Conditional Split Input");
    b.input_column(cs, ci, total, false, vec![], FailComponent);
    let big = b.output(cs, "Big", Some(ci), false, 1);
    b.flow.components[cs].outputs[big].properties = vec![
        property("Expression", &format!("#{total} > 30")),
        property("EvaluationOrder", "0"),
    ];
    let small = b.output(cs, "Default", Some(ci), false, 1);
    b.flow.components[cs].outputs[small].properties = vec![property("IsDefaultOut", "true")];
    b.path(dc, dout, cs, ci);
    let d1 = destination(&mut b, "Big", "Big", &[s.lineages[0], s.lineages[1], total]);
    let d2 = destination(
        &mut b,
        "Small",
        "Small",
        &[s.lineages[0], s.lineages[1], total],
    );
    b.path(cs, big, d1, 0);
    b.path(cs, small, d2, 0);

    assert!(validate(&b.flow, "\\Package\\Flow").is_empty());
    let outcome = run(&b.flow, &host, "\\Package\\Flow", &RunSettings::default());
    let Outcome::Success(summary) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(read(&dir.path().join("big.csv")), "\"id\",\"region\",\"total\"\r\n\"1\",\"NORTH\",\"31.50\"\r\n\"2\",\"SO,UTH\",\"199.98\"\r\n");
    assert_eq!(read(&dir.path().join("small.csv")), "3,EAST,5.00\r\n");
    let rows: Vec<(String, u64)> = summary
        .paths
        .iter()
        .map(|p| (p.path.clone(), p.rows))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("Flat File Source Output".into(), 3),
            ("Derived Column Output".into(), 3),
            ("Big".into(), 2),
            ("Default".into(), 1)
        ]
    );
    let msgs = host.messages();
    assert!(
        msgs.iter().any(|m| m == "\"Big\" wrote 2 rows."),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(
            |m| m.contains("The total number of data rows processed for file")
                && m.ends_with(" is 3.")
        ),
        "{msgs:?}"
    );
    // No temporary file is left beside the outputs.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
}

fn error_flow(disposition: RowDisposition) -> (tempfile::TempDir, TestHost, FlowBuilder) {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "1,a\r\nx2,b\r\n3,ccccc\r\n").expect("write");
    let mut host = TestHost::default();
    host.flat_file(
        "In",
        input.to_str().expect("utf8"),
        &manager(&[("n", 3, 0, 0, 0), ("s", 129, 3, 0, 0)], "", false, 1252),
    );
    host.flat_file(
        "Out",
        dir.path().join("out.csv").to_str().expect("utf8"),
        &manager(&[("n", 3, 0, 0, 0), ("s", 129, 3, 0, 0)], "", false, 1252),
    );
    host.flat_file(
        "Errors",
        dir.path().join("errors.csv").to_str().expect("utf8"),
        &manager(
            &[
                ("Flat File Source Error Output Column", 130, 100, 0, 0),
                ("ErrorCode", 3, 0, 0, 0),
                ("ErrorColumn", 3, 0, 0, 0),
            ],
            "",
            false,
            1252,
        ),
    );
    let mut b = FlowBuilder::new();
    let s = source(
        &mut b,
        &[
            ("n", DataType::I4, disposition),
            (
                "s",
                DataType::Str {
                    len: 3,
                    code_page: 1252,
                },
                disposition,
            ),
        ],
        "In",
    );
    let d = destination(&mut b, "Out", "Out", &s.lineages);
    b.path(s.c, 0, d, 0);
    let err_lineages: Vec<i64> = b.flow.components[s.c].outputs[s.error_output]
        .columns
        .iter()
        .map(|c| c.lineage_id)
        .collect();
    let e = destination(&mut b, "Errors", "Errors", &err_lineages);
    b.flow.components[e].inputs[0]
        .columns
        .iter_mut()
        .zip(["raw", "ErrorCode", "ErrorColumn"])
        .for_each(|(c, n)| c.name = n.to_string());
    b.path(s.c, s.error_output, e, 0);
    (dir, host, b)
}

#[test]
fn redirect_row_sends_the_raw_row_with_error_code_and_column() {
    let (dir, host, b) = error_flow(RedirectRow);
    let outcome = run(&b.flow, &host, "\\Package\\Flow", &RunSettings::default());
    assert!(matches!(outcome, Outcome::Success(_)), "{outcome:?}");
    assert_eq!(read(&dir.path().join("out.csv")), "1,a\r\n");
    let n_lineage = b.flow.components[0].outputs[0].columns[0].lineage_id;
    let s_lineage = b.flow.components[0].outputs[0].columns[1].lineage_id;
    assert_eq!(
        read(&dir.path().join("errors.csv")),
        format!("x2,b,-1071607676,{n_lineage}\r\n3,ccccc,-1071607675,{s_lineage}\r\n")
    );
}

#[test]
fn ignore_failure_gives_null_or_the_cut_value() {
    let (dir, host, b) = error_flow(IgnoreFailure);
    let outcome = run(&b.flow, &host, "\\Package\\Flow", &RunSettings::default());
    assert!(matches!(outcome, Outcome::Success(_)), "{outcome:?}");
    assert_eq!(read(&dir.path().join("out.csv")), "1,a\r\n,b\r\n3,ccc\r\n");
}

#[test]
fn fail_component_stops_with_file_row_and_offset_and_leaves_no_output() {
    let (dir, host, b) = error_flow(FailComponent);
    let outcome = run(&b.flow, &host, "\\Package\\Flow", &RunSettings::default());
    let Outcome::Failed(p) = outcome else {
        panic!("{outcome:?}")
    };
    let m = &p.0[0].message;
    assert_eq!(p.0[0].code, 0xC020_9029, "{m}");
    for part in [
        "\\Package\\Flow",
        "component \"Read\"",
        "row 2",
        "Read.Outputs[Flat File Source Output].Columns[n]",
        "\"x2\"",
        "byte offset 5",
        "in.csv",
        "0xC0209084",
    ] {
        assert!(m.contains(part), "{part} missing from {m}");
    }
    assert!(!dir.path().join("out.csv").exists());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn multicast_union_all_row_count_data_conversion_and_trash() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "1,10\r\n2,20\r\n").expect("write");
    let mut host = TestHost::default();
    host.variables
        .borrow_mut()
        .insert("User::Rows".into(), Value::I4(0));
    host.flat_file(
        "In",
        input.to_str().expect("utf8"),
        &manager(&[("a", 3, 0, 0, 0), ("b", 129, 10, 0, 0)], "", false, 1252),
    );
    host.flat_file(
        "Out",
        dir.path().join("out.csv").to_str().expect("utf8"),
        &manager(&[("a", 3, 0, 0, 0), ("b2", 5, 0, 0, 0)], "", false, 65001),
    );
    let mut b = FlowBuilder::new();
    let s = source(
        &mut b,
        &[
            ("a", DataType::I4, FailComponent),
            (
                "b",
                DataType::Str {
                    len: 10,
                    code_page: 1252,
                },
                FailComponent,
            ),
        ],
        "In",
    );
    let conv = b.component("Convert", "Microsoft.DataConvert", vec![]);
    let ci = b.input(conv, "Data Conversion Input");
    b.input_column(conv, ci, s.lineages[1], false, vec![], FailComponent);
    let co = b.output(conv, "Data Conversion Output", Some(ci), false, 1);
    let b2 = b.output_column(
        conv,
        co,
        "b2",
        DataType::R8,
        vec![property(
            "SourceInputColumnLineageID",
            &format!("#{}", s.lineages[1]),
        )],
        FailComponent,
    );
    b.path(s.c, 0, conv, ci);
    let mc = b.component("Copy", "Microsoft.Multicast", vec![]);
    let mi = b.input(mc, "Multicast Input");
    let m1 = b.output(mc, "Multicast Output 1", Some(mi), false, 0);
    let m2 = b.output(mc, "Multicast Output 2", Some(mi), false, 0);
    let m3 = b.output(mc, "Multicast Output 3", Some(mi), false, 0);
    b.path(conv, co, mc, mi);
    let ua = b.component("Union", "Microsoft.UnionAll", vec![]);
    let u1 = b.input(ua, "Union All Input 1");
    let u2 = b.input(ua, "Union All Input 2");
    let uo = b.output(ua, "Union All Output", None, false, 0);
    let ua_a = b.output_column(ua, uo, "a", DataType::I4, vec![], RowDisposition::NotUsed);
    let ua_b = b.output_column(ua, uo, "b2", DataType::R8, vec![], RowDisposition::NotUsed);
    for i in [u1, u2] {
        b.input_column(
            ua,
            i,
            s.lineages[0],
            false,
            vec![property("OutputColumnLineageID", &format!("#{ua_a}"))],
            RowDisposition::NotUsed,
        );
        b.input_column(
            ua,
            i,
            b2,
            false,
            vec![property("OutputColumnLineageID", &format!("#{ua_b}"))],
            RowDisposition::NotUsed,
        );
    }
    b.path(mc, m1, ua, u1);
    b.path(mc, m2, ua, u2);
    let rc = b.component(
        "Count",
        "Microsoft.RowCount",
        vec![property("VariableName", "User::Rows")],
    );
    let ri = b.input(rc, "Row Count Input");
    let ro = b.output(rc, "Row Count Output", Some(ri), false, 0);
    b.path(ua, uo, rc, ri);
    let d = destination(&mut b, "Out", "Out", &[ua_a, ua_b]);
    b.path(rc, ro, d, 0);
    let t = b.component("Discard", "SSISD.TrashDestination", vec![]);
    let ti = b.input(t, "Trash Input");
    b.path(mc, m3, t, ti);
    let outcome = run(
        &b.flow,
        &host,
        "\\Package\\Flow",
        &RunSettings {
            engine_threads: 2,
            ..RunSettings::default()
        },
    );
    assert!(matches!(outcome, Outcome::Success(_)), "{outcome:?}");
    let mut lines: Vec<String> = read(&dir.path().join("out.csv"))
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    assert_eq!(lines, vec!["1,10", "1,10", "2,20", "2,20"]);
    assert_eq!(
        host.variables.borrow().get("User::Rows"),
        Some(&Value::I8(4))
    );
    assert!(host
        .messages()
        .iter()
        .any(|m| m == "\"Discard\" wrote 2 rows."));
}

#[test]
fn the_graph_refuses_cycles_orphans_missing_columns_and_unknown_components() {
    let mut b = FlowBuilder::new();
    let a = b.component("A", "Microsoft.Multicast", vec![]);
    let ai = b.input(a, "In");
    let ao = b.output(a, "Out", Some(ai), false, 0);
    let c = b.component("B", "Microsoft.Multicast", vec![]);
    let ci = b.input(c, "In");
    let co = b.output(c, "Out", Some(ci), false, 0);
    b.path(a, ao, c, ci);
    b.path(c, co, a, ai);
    let p = validate(&b.flow, "\\Package\\F");
    assert!(
        p.0[0].message.contains("the paths form a cycle through"),
        "{p}"
    );

    let mut b = FlowBuilder::new();
    let a = b.component("Lonely", "Microsoft.Multicast", vec![]);
    b.input(a, "In");
    let p = validate(&b.flow, "\\Package\\F");
    assert!(
        p.0[0]
            .message
            .contains("component \"Lonely\": its input \"In\" is not attached"),
        "{p}"
    );

    let mut b = FlowBuilder::new();
    let s = source(&mut b, &[("x", DataType::I4, FailComponent)], "In");
    let d = destination(&mut b, "D", "Out", &[s.lineages[0], 999]);
    b.path(s.c, 0, d, 0);
    let p = validate(&b.flow, "\\Package\\F");
    assert!(
        p.0[0]
            .message
            .contains("refers to the lineage 999 that no upstream output provides"),
        "{p}"
    );

    let mut b = FlowBuilder::new();
    b.component("Old source", "Microsoft.SSISOracleSrc", vec![]);
    let p = validate(&b.flow, "\\Package\\F");
    assert!(
        p.0[0].message.contains(
            "component \"Old source\" (Oracle Source, class id Microsoft.SSISOracleSrc) cannot run"
        ),
        "{p}"
    );

    let mut b = FlowBuilder::new();
    let s = source(&mut b, &[("x", DataType::I4, FailComponent)], "In");
    let dc = b.component("Derive", "Microsoft.DerivedColumn", vec![]);
    let di = b.input(dc, "In");
    let o = b.output(dc, "Out", Some(di), false, 1);
    b.output_column(
        dc,
        o,
        "y",
        DataType::I4,
        vec![property("Expression", "[nope] + 1")],
        FailComponent,
    );
    b.path(s.c, 0, dc, di);
    let p = validate(&b.flow, "\\Package\\F");
    assert!(
        p.0[0]
            .message
            .contains("the column [nope] is not in this component's input"),
        "{p}"
    );
}

#[test]
fn missing_input_file_names_the_file() {
    let mut host = TestHost::default();
    host.flat_file(
        "In",
        "/nonexistent/dir/in.csv",
        &manager(&[("x", 3, 0, 0, 0)], "", false, 1252),
    );
    let mut b = FlowBuilder::new();
    let s = source(&mut b, &[("x", DataType::I4, FailComponent)], "In");
    let t = b.component("T", "SSISD.TrashDestination", vec![]);
    let ti = b.input(t, "In");
    b.path(s.c, 0, t, ti);
    let Outcome::Failed(p) = run(&b.flow, &host, "\\Package\\F", &RunSettings::default()) else {
        panic!()
    };
    assert!(
        p.0[0]
            .message
            .contains("cannot open the data file \"/nonexistent/dir/in.csv\""),
        "{p}"
    );
}

#[test]
fn cancellation_stops_a_running_flow_and_removes_partial_output() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("in.csv");
    let mut data = String::new();
    for i in 0..400_000 {
        data.push_str(&format!("{i},row {i}\r\n"));
    }
    std::fs::write(&input, data).expect("write");
    let mut host = TestHost::default();
    host.flat_file(
        "In",
        input.to_str().expect("utf8"),
        &manager(&[("n", 3, 0, 0, 0), ("s", 129, 20, 0, 0)], "", false, 1252),
    );
    host.flat_file(
        "Out",
        dir.path().join("out.csv").to_str().expect("utf8"),
        &manager(&[("n", 3, 0, 0, 0), ("s", 129, 20, 0, 0)], "", false, 1252),
    );
    host.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut b = FlowBuilder::new();
    let s = source(
        &mut b,
        &[
            ("n", DataType::I4, FailComponent),
            (
                "s",
                DataType::Str {
                    len: 20,
                    code_page: 1252,
                },
                FailComponent,
            ),
        ],
        "In",
    );
    let d = destination(&mut b, "Out", "Out", &s.lineages);
    b.path(s.c, 0, d, 0);
    let outcome = run(
        &b.flow,
        &host,
        "\\Package\\F",
        &RunSettings {
            sizing: ssisd_pipeline::buffer::sizing::BufferSizing {
                max_rows: 100,
                ..Default::default()
            },
            ..RunSettings::default()
        },
    );
    assert_eq!(outcome, Outcome::Cancelled);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

/// A Recordset Destination keeps its selected columns — names and types — and every row, and
/// hands them to its Object variable; a variable of another type is refused before rows flow.
#[test]
fn recordset_destination_fills_its_object_variable() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "1,north,3\r\n2,\"so,uth\",\r\n").expect("write");
    let flow = |variable: &str| {
        let mut b = FlowBuilder::new();
        let s = source(
            &mut b,
            &[
                ("id", DataType::I4, FailComponent),
                ("region", str50(), FailComponent),
                ("qty", DataType::I4, FailComponent),
            ],
            "In",
        );
        let r = b.component(
            "Keep",
            "{C457FD7E-CE98-4C4B-AEFE-F3AE0044F181}",
            vec![property("VariableName", variable)],
        );
        let ri = b.input(r, "Recordset Destination Input");
        for l in [s.lineages[2], s.lineages[0]] {
            b.input_column(r, ri, l, false, vec![], RowDisposition::NotUsed);
        }
        b.path(s.c, 0, r, ri);
        b.flow
    };
    let mut host = TestHost::default();
    host.flat_file(
        "In",
        input.to_str().expect("utf8"),
        &manager(
            &[
                ("id", 3, 0, 0, 0),
                ("region", 129, 50, 0, 0),
                ("qty", 3, 0, 0, 0),
            ],
            "_x0022_",
            false,
            1252,
        ),
    );
    host.variables
        .borrow_mut()
        .insert("User::Rows".into(), Value::Object);
    host.variables
        .borrow_mut()
        .insert("User::Count".into(), Value::I4(0));
    let outcome = run(
        &flow("User::Rows"),
        &host,
        "\\Package\\Flow",
        &RunSettings::default(),
    );
    assert!(matches!(outcome, Outcome::Success(_)), "{outcome:?}");
    let sets = host.recordsets.borrow();
    let set = sets.get("User::Rows").expect("a recordset");
    let columns: Vec<(&str, DataType)> = set
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.data_type))
        .collect();
    assert_eq!(columns, [("qty", DataType::I4), ("id", DataType::I4)]);
    assert_eq!(
        set.rows,
        vec![
            vec![Value::I4(3), Value::I4(1)],
            vec![Value::Null(DataType::I4), Value::I4(2)]
        ]
    );
    assert!(host
        .messages()
        .iter()
        .any(|m| m == "\"Keep\" wrote 2 rows."));
    drop(sets);

    let outcome = run(
        &flow("User::Count"),
        &host,
        "\\Package\\Flow",
        &RunSettings::default(),
    );
    let Outcome::Failed(problems) = outcome else {
        panic!("{outcome:?}");
    };
    let p = &problems.0[0];
    assert_eq!(p.code, 0xC020_929C, "{p:?}");
    assert!(
        p.message.contains(
            "\"User::Count\" is DT_I4; the Recordset Destination needs an Object variable"
        ),
        "{}",
        p.message
    );
    assert!(!host.recordsets.borrow().contains_key("User::Count"));
}
