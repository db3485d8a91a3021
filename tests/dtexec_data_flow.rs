//! End-to-end tests of Data Flow tasks with the real `dtexec` binary. The packages in
//! `tests/packages/data_flow/` (each in the 2008 and the 2016+ layout, written by
//! `make_packages.py` there) cover every component of the first pipeline milestone and every
//! error disposition; their flat-file connections are pointed at files made here with /Conn,
//! and every output is checked row by row. Also: bad input (missing file, short row, broken
//! qualifier, a value that does not fit) fails with exit code 1 naming component, column, file,
//! row and byte offset and leaves no output behind; SIGTERM cancels a running data flow with
//! nothing written under the output's name; and the corpus package that uses only these
//! components runs for real on generated input.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{exit_and_text, read_text as read, sigterm_and_wait, temp_dir as temp};

const FORMATS: [&str; 2] = ["2008", "2016"];

fn package(stem: &str, format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/packages/data_flow/{stem}_{format}.dtsx"))
}

/// `/Conn name;path` for each (manager, file in `dir`).
fn conns(dir: &Path, files: &[(&str, &str)]) -> Vec<String> {
    files
        .iter()
        .flat_map(|(m, f)| {
            [
                "/Conn".to_string(),
                format!("{m};{}", dir.join(f).display()),
            ]
        })
        .collect()
}

fn dtexec_cmd(pkg: &Path, args: &[String], env: &[(&str, String)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.arg("/F").arg(pkg).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn dtexec(pkg: &Path, args: &[String], env: &[(&str, String)]) -> (i32, String) {
    exit_and_text(&dtexec_cmd(pkg, args, env).output().expect("dtexec starts"))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// The lineage number the loader gives the output column `column` of `component`.
fn lineage(pkg: &Path, component: &str, column: &str) -> i64 {
    let p = ssisd_engine::load_package_file(pkg).expect("loads");
    let flow = p
        .all_executables()
        .into_iter()
        .find_map(|e| e.data_flow.clone())
        .expect("a data flow");
    flow.components
        .iter()
        .filter(|c| c.name == component)
        .flat_map(|c| c.outputs.iter().flat_map(|o| o.columns.iter()))
        .find(|c| c.name == column)
        .map(|c| c.lineage_id)
        .expect("column")
}

const ORDERS: &str = "id,customer,region,amount,qty,ordered\r\n\
1,\"Ann \"\"A\"\" Lee\",north,10.50,3,2024-01-05\r\n\
2,Bob,south,99.99,2,2024-02-29\r\n\
3,\"Cy, Jr\",east,5.00,1,2024-03-01\r\n\
4,Di,west,60.00,2,2024-03-02\r\n";

#[test]
fn orders_flow_derives_splits_counts_and_writes_both_files() {
    for format in FORMATS {
        let d = temp();
        std::fs::write(d.path().join("orders.csv"), ORDERS).expect("input");
        let stream = d.path().join("events.jsonl");
        let mut args = conns(
            d.path(),
            &[
                ("Orders", "orders.csv"),
                ("Big", "big.csv"),
                ("Small", "small.csv"),
            ],
        );
        args.extend(["/Rep".to_string(), "EWI".to_string()]);
        let (code, out) = dtexec(
            &package("orders", format),
            &args,
            &[
                ("SSISD_EVENT_STREAM", stream.display().to_string()),
                ("SSISD_EVENT_STREAM_VARIABLES", "1".into()),
            ],
        );
        assert_eq!(code, 0, "{format}: {out}");
        // Qualified, with the names row; values as SSIS writes them.
        assert_eq!(
            read(d.path().join("big.csv")),
            "\"id\",\"customer\",\"region\",\"total\"\r\n\"2\",\"Bob\",\"SOUTH\",\"199.98\"\r\n\"4\",\"Di\",\"WEST\",\"120.00\"\r\n",
            "{format}"
        );
        // No qualifier, no names, LF rows, UTF-8.
        assert_eq!(
            read(d.path().join("small.csv")),
            "1,NORTH,31.50\n3,EAST,5.00\n",
            "{format}"
        );
        assert!(
            out.contains("\"Write big\" wrote 2 rows."),
            "{format}: {out}"
        );
        assert!(
            out.contains("\"Write other\" wrote 2 rows."),
            "{format}: {out}"
        );
        assert!(
            out.contains("The total number of data rows processed for file"),
            "{out}"
        );
        let events = read(&stream);
        let finals: Vec<serde_json::Value> = events
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["event"] == "pipeline_rows" && v["final"] == true)
            .collect();
        let rows = |name: &str| {
            finals
                .iter()
                .find(|v| v["path_name"] == name)
                .map(|v| v["rows"].as_u64().unwrap_or(0))
        };
        assert_eq!(rows("Flat File Source Output"), Some(4), "{events}");
        assert_eq!(rows("Big orders"), Some(2), "{events}");
        assert_eq!(rows("Other orders"), Some(2), "{events}");
        assert!(
            events.contains("\"event\":\"pipeline_component_time\""),
            "{events}"
        );
        assert!(
            events.lines().any(|l| l.contains("\"variable_changed\"")
                && l.contains("User::Rows")
                && l.contains("\"value\":\"4\"")),
            "{events}"
        );
        assert_eq!(
            files_in(d.path()),
            vec!["big.csv", "events.jsonl", "orders.csv", "small.csv"]
        );
    }
}

/// `/Rep D` shows the rows per path (OnPipelineRowsSent) and the components' times
/// (PipelineComponentTime) as DataFlow blocks, and `/Sum` the rows of all paths; the default
/// reporting does neither.
#[test]
fn reporting_d_shows_rows_per_path_and_component_times() {
    let d = temp();
    std::fs::write(d.path().join("orders.csv"), ORDERS).expect("input");
    let mut args = conns(
        d.path(),
        &[
            ("Orders", "orders.csv"),
            ("Big", "big.csv"),
            ("Small", "small.csv"),
        ],
    );
    let (code, quiet) = dtexec(&package("orders", "2016"), &args, &[]);
    assert_eq!(code, 0, "{quiet}");
    assert!(!quiet.contains("DataFlow:"), "{quiet}");
    assert!(!quiet.contains("Data flow rows:"), "{quiet}");
    args.extend(["/Rep".to_string(), "D".to_string(), "/Sum".to_string()]);
    let (code, out) = dtexec(&package("orders", "2016"), &args, &[]);
    assert_eq!(code, 0, "{out}");
    for needle in [
        // /Sum counts the rows each component received, over every path of the flow.
        "   Event handlers run: 0\n   Data flow rows: 20 (received by components over 6 paths)\n   Errors: 0\n",
        "DataFlow: ",
        "   Source: Load\n",
        "Rows were provided to a data flow component as input. : path 69 \"Big orders\" : component \"Write big\" : input \"Flat File Destination Input\" : 2 rows in 1 buffers (total)",
        ": 4 rows in 1 buffers (total)",
        "The component \"Write big\" spent ",
        " milliseconds in ProcessInput.",
        "The component \"Read orders\" spent ",
        " milliseconds in PrimeOutput.",
        "End DataFlow",
    ] {
        assert!(out.contains(needle), "{needle}\n{out}");
    }
    assert!(!out.contains("Info:"), "{out}");
}

/// A Recordset Destination fills an Object variable; a Foreach ADO loop walks its rows, mapping
/// columns by index (in another order than the recordset's) to variables, and an Execute Process
/// task inside appends each row to a file. Both layouts: the 2008 one with the 2008 class id and
/// the assembly-qualified enumerator name, the 2016+ one with their monikers.
#[test]
fn recordset_destination_feeds_a_foreach_ado_loop() {
    for format in FORMATS {
        let d = temp();
        std::fs::write(
            d.path().join("orders.csv"),
            "id,customer,region,amount,qty,ordered\r\n\
             7,Ann Lee,north,10.50,3,2024-01-05\r\n\
             8,Bob,south,99.99,2,2024-02-29\r\n\
             9,\"Cy, Jr\",east,5.00,1,2024-03-01\r\n",
        )
        .expect("input");
        let out = d.path().join("rows.txt");
        let mut args = conns(d.path(), &[("Orders", "orders.csv")]);
        args.extend([
            "/Set".to_string(),
            format!(
                "\\Package.Variables[User::Out].Properties[Value];{}",
                out.display()
            ),
            "/Rep".to_string(),
            "EWI".to_string(),
        ]);
        let (code, text) = dtexec(&package("recordset", format), &args, &[]);
        assert_eq!(code, 0, "{format}: {text}");
        assert!(
            text.contains("\"Keep rows\" wrote 3 rows."),
            "{format}: {text}"
        );
        assert_eq!(read(&out), "7|Ann Lee|3\n8|Bob|2\n9|Cy, Jr|1\n", "{format}");
    }
}

#[test]
fn unicode_input_data_conversion_multicast_union_all_and_a_windows_code_page() {
    for format in FORMATS {
        let d = temp();
        let mut bytes = vec![0xFF, 0xFE];
        for u in "code,label\r\n1,Привет\r\n20,мир\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        std::fs::write(d.path().join("codes.txt"), bytes).expect("input");
        let args = conns(d.path(), &[("Codes", "codes.txt"), ("Out", "out.txt")]);
        let (code, out) = dtexec(&package("convert_union", format), &args, &[]);
        assert_eq!(code, 0, "{format}: {out}");
        let written = std::fs::read(d.path().join("out.txt")).expect("output");
        let (text, _, bad) = encoding_1251(&written);
        assert!(!bad);
        let mut lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.remove(0), "code,label");
        lines.sort();
        assert_eq!(
            lines,
            vec!["1,Привет", "1,Привет", "20,мир", "20,мир"],
            "{format}"
        );
        // Windows-1251 bytes, not UTF-8.
        assert!(written.windows(2).any(|w| w == [0xCF, 0xF0]), "{written:?}");
    }
}

/// Decodes Windows-1251 for the Cyrillic letters the test writes (А..я = 0xC0..0xFF).
fn encoding_1251(bytes: &[u8]) -> (String, usize, bool) {
    let mut s = String::new();
    let mut bad = false;
    for &b in bytes {
        match b {
            0x00..=0x7F => s.push(b as char),
            0xC0..=0xFF => s.push(char::from_u32(0x0410 + (b as u32 - 0xC0)).unwrap_or('?')),
            _ => bad = true,
        }
    }
    (s, bytes.len(), bad)
}

#[test]
fn every_error_disposition_routes_rows_as_ssis_does() {
    for format in FORMATS {
        let d = temp();
        // 1 ok; 2 n not an integer (Redirect); 3 s too long (Ignore: cut) and 100/0 (Redirect);
        // 4 d empty (RetainNulls: NULL, so the condition is NULL: Ignore = false);
        // 5 d not an integer (Ignore: NULL); 6 ok.
        std::fs::write(
            d.path().join("in.csv"),
            "1,abc,5\r\nx,abc,5\r\n3,abcdef,0\r\n4,ab,\r\n5,ab,zz\r\n6,a,50\r\n",
        )
        .expect("input");
        let args = conns(
            d.path(),
            &[
                ("In", "in.csv"),
                ("Out", "out.csv"),
                ("Bad rows", "bad_rows.csv"),
                ("Bad division", "bad_division.csv"),
            ],
        );
        let pkg = package("dispositions", format);
        let (code, out) = dtexec(&pkg, &args, &[]);
        assert_eq!(code, 0, "{format}: {out}");
        assert_eq!(
            read(d.path().join("out.csv")),
            "1,abc,20\r\n6,a,2\r\n",
            "{format}"
        );
        let n = lineage(&pkg, "Read", "n");
        assert_eq!(
            read(d.path().join("bad_rows.csv")),
            format!("x,abc,5,-1071607676,{n}\r\n"),
            "{format}"
        );
        let q = lineage(&pkg, "Divide", "q");
        assert_eq!(
            read(d.path().join("bad_division.csv")),
            format!("3,-1073450851,{q}\r\n"),
            "{format}"
        );
    }
}

#[test]
fn bad_input_fails_with_component_column_file_row_and_offset_and_no_output() {
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "1,abc\r\n2,abc\r\n3x,abc\r\n",
            "a value that does not fit",
            &[
                "component \"Read\"",
                "row 3",
                "Columns[n]",
                "\"3x\"",
                "byte offset 14",
                "in.csv",
                "0xC0209084",
            ],
        ),
        (
            "1,abc\r\n2\r\n",
            "a short row",
            &[
                "component \"Read\"",
                "data row 2, byte offset 8",
                "column \"n\"",
                "short row",
                "in.csv",
                "0xC0202055",
            ],
        ),
        (
            "1,abc\r\n2,\"abc\r\n",
            "an unterminated qualifier",
            &["data row 2, byte offset 9", "never closed", "in.csv"],
        ),
        (
            "1,abcd\r\n",
            "a truncation",
            &[
                "row 1",
                "Columns[s]",
                "longer than the column's 3 characters",
                "0xC020902A",
            ],
        ),
    ];
    for format in FORMATS {
        for (input, what, expected) in cases {
            let d = temp();
            std::fs::write(d.path().join("in.csv"), input).expect("input");
            let args = conns(d.path(), &[("In", "in.csv"), ("Out", "out.csv")]);
            let (code, out) = dtexec(&package("fail_component", format), &args, &[]);
            assert_eq!(code, 1, "{format} {what}: {out}");
            assert!(out.contains("\\Package\\Load"), "{format} {what}: {out}");
            for e in expected {
                assert!(out.contains(e), "{format} {what}: {e} missing from {out}");
            }
            assert_eq!(
                files_in(d.path()),
                vec!["in.csv"],
                "{format} {what}: partial output left"
            );
        }
        // A missing input file.
        let d = temp();
        let args = conns(d.path(), &[("In", "missing.csv"), ("Out", "out.csv")]);
        let (code, out) = dtexec(&package("fail_component", format), &args, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(&format!(
                "cannot open the data file \"{}\"",
                d.path().join("missing.csv").display()
            )),
            "{out}"
        );
        assert!(files_in(d.path()).is_empty(), "{:?}", files_in(d.path()));
    }
}

#[test]
fn sigterm_cancels_a_running_data_flow_and_leaves_no_output() {
    let d = temp();
    let mut data = String::with_capacity(80 * 1_000_000);
    data.push_str("id,customer,region,amount,qty,ordered\r\n");
    for i in 0..1_000_000u32 {
        data.push_str(&format!(
            "{i},customer {i},region {},{}.25,{},2024-01-0{}\r\n",
            i % 7,
            i % 1000,
            i % 9,
            1 + i % 9
        ));
    }
    std::fs::write(d.path().join("orders.csv"), data).expect("input");
    let stream = d.path().join("events.jsonl");
    let args = conns(
        d.path(),
        &[
            ("Orders", "orders.csv"),
            ("Big", "big.csv"),
            ("Small", "small.csv"),
        ],
    );
    let mut child = dtexec_cmd(
        &package("orders", "2016"),
        &args,
        &[("SSISD_EVENT_STREAM", stream.display().to_string())],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .expect("dtexec starts");
    // Rows are flowing once the first running count of a path is reported.
    let mut running = false;
    for _ in 0..6000 {
        if std::fs::read_to_string(&stream).is_ok_and(|s| s.contains("\"final\":false")) {
            running = true;
            break;
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        running,
        "the data flow finished or never reported rows before it could be cancelled"
    );
    let (status, out) = sigterm_and_wait(&mut child);
    assert_eq!(status.code(), Some(3), "{out}");
    assert!(out.contains("DTSER_CANCELED (3)"), "{out}");
    assert_eq!(files_in(d.path()), vec!["events.jsonl", "orders.csv"]);
}

#[test]
fn corpus_conditional_split_package_runs_on_generated_input() {
    let Some(dir) = support::corpus("dtsx") else {
        println!("SKIPPED: corpus not found");
        return;
    };
    let pkg = dir.join("tinitiate__ms-ssis__Package__Conditional_Split.dtsx");
    if !pkg.exists() {
        println!("SKIPPED: {} not in the corpus", pkg.display());
        return;
    }
    let d = temp();
    std::fs::write(
        d.path().join("customers.csv"),
        "CustomerID,FirstName,LastName,Gender,Email,Street,City,StateID,StateName,ZipCode\r\n\
         1,Ann,Lee,Female,a@x.org,1 Main,Town,1,Ohio,11111\r\n\
         2,Bob,Ray,Male,b@x.org,2 Main,Town,2,Iowa,22222\r\n\
         3,Cy,Oz,Other,c@x.org,3 Main,Town,3,Utah,33333\r\n\
         4,Di,Ng,Female,d@x.org,4 Main,Town,4,Maine,44444\r\n",
    )
    .expect("input");
    let args = conns(
        d.path(),
        &[
            ("Customers", "customers.csv"),
            ("Female", "female.csv"),
            ("Male", "male.csv"),
        ],
    );
    let (code, out) = dtexec(&pkg, &args, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        read(d.path().join("female.csv")),
        "1,Ann,Lee,Female,a@x.org,1 Main,Town,1,Ohio,11111\r\n4,Di,Ng,Female,d@x.org,4 Main,Town,4,Maine,44444\r\n"
    );
    assert_eq!(
        read(d.path().join("male.csv")),
        "2,Bob,Ray,Male,b@x.org,2 Main,Town,2,Iowa,22222\r\n"
    );
}

const SORT_ORDERS: &str = "id,customer,region,amount,qty,ordered\r\n\
1,Ann,north,10.50,3,2024-01-05\r\n\
2,Bob,south,99.99,2,2024-02-29\r\n\
3,Cy,north,5.00,1,2024-03-01\r\n\
4,Di,west,60.00,2,2024-03-02\r\n\
5,Ann,north,70.00,1,2024-03-03\r\n\
6,Ed,south,1.25,4,2024-03-04\r\n";

#[test]
fn sort_merge_join_and_aggregate_write_sorted_joined_and_grouped_rows() {
    for format in FORMATS {
        let d = temp();
        std::fs::write(d.path().join("orders.csv"), SORT_ORDERS).expect("input");
        std::fs::write(
            d.path().join("regions.csv"),
            "region,manager\r\nnorth,Nina\r\nsouth,Sam\r\neast,Eve\r\nsouth,Sue\r\n",
        )
        .expect("input");
        let mut args = conns(
            d.path(),
            &[
                ("Orders", "orders.csv"),
                ("Regions", "regions.csv"),
                ("Joined", "joined.csv"),
                ("Totals", "totals.csv"),
            ],
        );
        args.extend(["/Rep".to_string(), "EWI".to_string()]);
        let (code, out) = dtexec(&package("blocking", format), &args, &[]);
        assert_eq!(code, 0, "{format}: {out}");
        // Left outer join on region; orders sorted by region, then amount descending; the
        // duplicate "south" region row removed by the Sort (the first one kept).
        assert_eq!(
            read(d.path().join("joined.csv")),
            "id,region,amount,manager\r\n5,north,70.00,Nina\r\n1,north,10.50,Nina\r\n3,north,5.00,Nina\r\n2,south,99.99,Sam\r\n6,south,1.25,Sam\r\n4,west,60.00,\r\n",
            "{format}"
        );
        // Count all, sum and count distinct per region, sorted after the Aggregate.
        assert_eq!(
            read(d.path().join("totals.csv")),
            "region,orders,total,customers\r\nnorth,3,85.50,2\r\nsouth,2,101.24,2\r\nwest,1,60.00,1\r\n",
            "{format}"
        );
        assert!(out.contains("\"Write joined\" wrote 6 rows."), "{out}");
    }
}

#[test]
fn merge_join_of_an_unsorted_input_is_refused_naming_component_and_input() {
    let d = temp();
    let pkg = std::fs::read_to_string(package("blocking", "2016")).expect("package");
    // The right input's Sort is declared not sorted.
    let broken = pkg.replacen(
        "refId=\"Package\\Load\\Regions by name.Outputs[Sort Output]\" name=\"Sort Output\" isSorted=\"true\"",
        "refId=\"Package\\Load\\Regions by name.Outputs[Sort Output]\" name=\"Sort Output\"",
        1,
    );
    assert_ne!(broken, pkg);
    let path = d.path().join("broken.dtsx");
    std::fs::write(&path, broken).expect("write");
    let (code, out) = dtexec(&path, &[], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("component \"Join\": its input \"Merge Join Right Input\" must be sorted, and the output \"Sort Output\" of \"Regions by name\" that feeds it is not marked IsSorted"),
        "{out}"
    );
}

#[test]
fn copy_column_character_map_audit_and_sampling_transform_every_row() {
    let mut orders = String::from("id,customer,region,amount,qty,ordered\r\n");
    for i in 1..=40 {
        orders.push_str(&format!(
            "{i},Name {i},region{},1.00,1,2024-01-01\r\n",
            i % 3
        ));
    }
    for format in FORMATS {
        let d = temp();
        std::fs::write(d.path().join("orders.csv"), &orders).expect("input");
        let args = conns(
            d.path(),
            &[
                ("Orders", "orders.csv"),
                ("Sample", "sample.csv"),
                ("Two", "two.csv"),
            ],
        );
        let (code, out) = dtexec(&package("small_transforms", format), &args, &[]);
        assert_eq!(code, 0, "{format}: {out}");
        let sample = read(d.path().join("sample.csv"));
        let mut lines = sample.lines();
        assert_eq!(
            lines.next(),
            Some("id,customer_copy,region,lower,package,task")
        );
        let mut sampled = Vec::new();
        for l in lines {
            let f: Vec<&str> = l.split(',').collect();
            let i: u32 = f[0].parse().expect("id");
            sampled.push(i);
            assert_eq!(
                &f[1..],
                &[
                    format!("Name {i}").as_str(),
                    format!("REGION{}", i % 3).as_str(),
                    format!("name {i}").as_str(),
                    "Small",
                    "Load"
                ],
                "{format}: {l}"
            );
        }
        // About half, seeded: the same rows each run.
        assert!((10..=30).contains(&sampled.len()), "{format}: {sample}");
        let two = read(d.path().join("two.csv"));
        let rows: Vec<&str> = two.lines().skip(1).collect();
        assert_eq!(rows.len(), 2, "{format}: {two}");
        for l in rows {
            let f: Vec<&str> = l.split(',').collect();
            let i: u32 = f[0].parse().expect("id");
            assert!(!sampled.contains(&i), "{format}: {i} was in both samples");
            assert_eq!(f[1], format!("Name {i}"));
            assert_eq!(f[2], format!("REGION{}", i % 3));
            assert!(!f[3].is_empty(), "the user name is filled: {l}");
        }
        let again = temp();
        std::fs::write(again.path().join("orders.csv"), &orders).expect("input");
        let args = conns(
            again.path(),
            &[
                ("Orders", "orders.csv"),
                ("Sample", "sample.csv"),
                ("Two", "two.csv"),
            ],
        );
        let (code, out) = dtexec(&package("small_transforms", format), &args, &[]);
        assert_eq!(code, 0, "{out}");
        assert_eq!(read(again.path().join("sample.csv")), sample, "{format}");
        assert_eq!(read(again.path().join("two.csv")), two, "{format}");
    }
}
