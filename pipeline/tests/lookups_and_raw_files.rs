//! Cache Transform, Lookup and the Raw File adapters through `ssisd_pipeline::run` with the test
//! host: a first data flow fills a cache (in memory and in its cache file), a second looks rows
//! up against it — from memory in the same run, from the file in another — and every no-match
//! handling, duplicate keys, missing caches, key type mismatches, the memory budget; raw files
//! written with each write option and read back, unreadable files refused. Outputs are checked
//! row by row.

use std::path::Path;

use ssisd_engine::model::RowDisposition::{
    self, FailComponent, IgnoreFailure, NotUsed, RedirectRow,
};
use ssisd_engine::types::DataType;
use ssisd_pipeline::testing::{property, FlowBuilder, TestHost};
use ssisd_pipeline::{run, Outcome, RunSettings};

const FFS: &str = "Microsoft.FlatFileSource";
const FFD: &str = "Microsoft.FlatFileDestination";

fn manager(columns: &[(&str, i32, u32)]) -> String {
    let mut s = String::from(
        r#"<DTS:ConnectionManager DTS:Format="Delimited" DTS:CodePage="65001" DTS:ColumnNamesInFirstDataRow="False" DTS:TextQualifier="_x003C_none_x003E_"><DTS:FlatFileColumns>"#,
    );
    for (i, (n, code, w)) in columns.iter().enumerate() {
        let d = if i + 1 == columns.len() {
            "_x000A_"
        } else {
            "_x002C_"
        };
        s.push_str(&format!(
            r#"<DTS:FlatFileColumn DTS:ColumnType="Delimited" DTS:ColumnDelimiter="{d}" DTS:MaximumWidth="{w}" DTS:DataType="{code}" DTS:ObjectName="{n}"/>"#
        ));
    }
    s.push_str("</DTS:FlatFileColumns></DTS:ConnectionManager>");
    s
}

fn cache_manager(use_file: bool, key_type: i32) -> String {
    format!(
        r#"<DTS:ConnectionManager xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:UseFile="{}"><DTS:CacheColumns>
<DTS:CacheColumn DTS:DataType="{key_type}" DTS:Length="20" DTS:IndexPosition="1" DTS:ObjectName="Code"/>
<DTS:CacheColumn DTS:DataType="130" DTS:Length="30" DTS:ObjectName="Name"/>
<DTS:CacheColumn DTS:DataType="3" DTS:ObjectName="Rank"/></DTS:CacheColumns></DTS:ConnectionManager>"#,
        if use_file { "True" } else { "False" }
    )
}

fn wstr(len: u32) -> DataType {
    DataType::WStr { len }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A flat file source with the given columns; returns (component, lineages).
fn source(b: &mut FlowBuilder, conn: &str, cols: &[(&str, DataType)]) -> (usize, Vec<i64>) {
    let c = b.component(
        &format!("Read {conn}"),
        FFS,
        vec![property("RetainNulls", "true")],
    );
    b.connection(c, "FlatFileConnection", conn);
    let o = b.output(c, "Flat File Source Output", None, false, 0);
    let l = cols
        .iter()
        .map(|(n, t)| b.output_column(c, o, n, *t, vec![], FailComponent))
        .collect();
    (c, l)
}

fn destination(b: &mut FlowBuilder, conn: &str, lineages: &[i64]) -> usize {
    let c = b.component(
        &format!("Write {conn}"),
        FFD,
        vec![property("Overwrite", "true")],
    );
    b.connection(c, "FlatFileConnection", conn);
    let i = b.input(c, "Flat File Destination Input");
    for l in lineages {
        b.input_column(c, i, *l, false, vec![], NotUsed);
    }
    c
}

/// Data flow 1: codes.csv → Cache Transform into "Codes".
fn fill_flow(
    dir: &Path,
    host: &mut TestHost,
    csv: &str,
    duplicates_are_errors: bool,
) -> FlowBuilder {
    let input = dir.join("codes.csv");
    std::fs::write(&input, csv).expect("write");
    host.flat_file(
        "CodesFile",
        input.to_str().expect("utf8"),
        &manager(&[("Code", 130, 20), ("Name", 130, 30), ("Rank", 3, 0)]),
    );
    let mut b = FlowBuilder::new();
    let (s, l) = source(
        &mut b,
        "CodesFile",
        &[
            ("Code", wstr(20)),
            ("Name", wstr(30)),
            ("Rank", DataType::I4),
        ],
    );
    let c = b.component(
        "Fill Codes",
        "Microsoft.Cache",
        vec![property(
            "TreatDuplicateKeysAsError",
            if duplicates_are_errors {
                "true"
            } else {
                "false"
            },
        )],
    );
    b.connection(c, "CacheConnection", "Codes");
    let i = b.input(c, "Cache Input");
    for (lineage, name) in l.iter().zip(["Code", "Name", "Rank"]) {
        b.input_column(
            c,
            i,
            *lineage,
            false,
            vec![property("CacheColumnName", name)],
            NotUsed,
        );
    }
    b.output(c, "Cache Output", Some(i), false, 0);
    b.path(s, 0, c, i);
    b
}

struct LookupFlow {
    b: FlowBuilder,
}

/// Data flow 2: orders.csv → Lookup on "Codes" → match.csv, nomatch.csv, errors.csv.
fn lookup_flow(
    dir: &Path,
    host: &mut TestHost,
    behaviour: &str,
    disposition: RowDisposition,
    key_type: DataType,
) -> LookupFlow {
    let input = dir.join("orders.csv");
    std::fs::write(&input, "1,A\n2,b\n3,B\n4,\n5,Z\n").expect("write");
    host.flat_file(
        "Orders",
        input.to_str().expect("utf8"),
        &manager(&[("Id", 3, 0), ("Code", 130, 20)]),
    );
    let out_cols = [
        ("Id", 3, 0),
        ("Code", 130, 20),
        ("Name", 130, 30),
        ("Rank", 3, 0),
    ];
    host.flat_file(
        "Match",
        dir.join("match.csv").to_str().expect("utf8"),
        &manager(&out_cols),
    );
    host.flat_file(
        "NoMatch",
        dir.join("nomatch.csv").to_str().expect("utf8"),
        &manager(&out_cols),
    );
    host.flat_file(
        "Errors",
        dir.join("errors.csv").to_str().expect("utf8"),
        &manager(&[
            ("Id", 3, 0),
            ("Code", 130, 20),
            ("ErrorCode", 3, 0),
            ("ErrorColumn", 3, 0),
        ]),
    );
    let mut b = FlowBuilder::new();
    let (s, l) = source(
        &mut b,
        "Orders",
        &[("Id", DataType::I4), ("Code", key_type)],
    );
    let lk = b.component(
        "Find Code",
        "Microsoft.Lookup",
        vec![
            property("ConnectionType", "1"),
            property("CacheType", "0"),
            property("NoMatchBehavior", behaviour),
        ],
    );
    b.connection(lk, "CacheConnection", "Codes");
    let i = b.input(lk, "Lookup Input");
    b.input_column(lk, i, l[0], false, vec![], NotUsed);
    b.input_column(
        lk,
        i,
        l[1],
        false,
        vec![property("JoinToReferenceColumn", "Code")],
        NotUsed,
    );
    let m = b.output(lk, "Lookup Match Output", Some(i), false, 1);
    b.flow.components[lk].outputs[m].dispositions.error = disposition;
    let name = b.output_column(
        lk,
        m,
        "Name",
        wstr(30),
        vec![property("CopyFromReferenceColumn", "Name")],
        FailComponent,
    );
    let rank = b.output_column(
        lk,
        m,
        "Rank",
        DataType::I4,
        vec![property("CopyFromReferenceColumn", "Rank")],
        FailComponent,
    );
    let nm = b.output(lk, "Lookup No Match Output", Some(i), false, 1);
    let e = b.output(lk, "Lookup Error Output", Some(i), true, 1);
    b.error_columns(lk, e);
    b.path(s, 0, lk, i);
    let dm = destination(&mut b, "Match", &[l[0], l[1], name, rank]);
    b.path(lk, m, dm, 0);
    let dn = destination(&mut b, "NoMatch", &[l[0], l[1], name, rank]);
    b.path(lk, nm, dn, 0);
    let err: Vec<i64> = b.flow.components[lk].outputs[e]
        .columns
        .iter()
        .map(|c| c.lineage_id)
        .collect();
    let de = destination(&mut b, "Errors", &[l[0], l[1], err[0], err[1]]);
    b.path(lk, e, de, 0);
    LookupFlow { b }
}

const CODES: &str = "A,Alpha,1\nB,Bravo,2\n,Nothing,0\nA,Again,9\n";

fn success(o: Outcome) {
    assert!(matches!(o, Outcome::Success(_)), "{o:?}");
}

fn failure_text(o: Outcome) -> String {
    match o {
        Outcome::Failed(p) => p.to_string(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_cache_filled_in_one_flow_serves_lookups_in_the_next_and_from_its_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let caw = dir.path().join("codes.caw");
    let mut host = TestHost::default();
    host.cache(
        "Codes",
        caw.to_str().expect("utf8"),
        &cache_manager(true, 130),
    );
    let fill = fill_flow(dir.path(), &mut host, CODES, false);
    success(run(
        &fill.flow,
        &host,
        "\\Package\\Fill",
        &RunSettings::default(),
    ));
    assert!(caw.exists(), "the cache file is written");
    let msgs = host.messages().join("\n");
    assert!(
        msgs.contains("1 rows were not written to the cache \"Codes\""),
        "{msgs}"
    );
    assert!(msgs.contains("\"Fill Codes\" wrote 3 rows."), "{msgs}");

    let lf = lookup_flow(dir.path(), &mut host, "1", FailComponent, wstr(20));
    success(run(
        &lf.b.flow,
        &host,
        "\\Package\\Look",
        &RunSettings::default(),
    ));
    // Case-sensitive, the first row of a key wins, NULL matches the NULL key.
    assert_eq!(
        read(&dir.path().join("match.csv")),
        "1,A,Alpha,1\n3,B,Bravo,2\n4,,Nothing,0\n"
    );
    assert_eq!(read(&dir.path().join("nomatch.csv")), "2,b,,\n5,Z,,\n");
    assert_eq!(read(&dir.path().join("errors.csv")), "");

    // Another run (a new host: no cache in memory) loads the cache file.
    let mut other = TestHost::default();
    other.cache(
        "Codes",
        caw.to_str().expect("utf8"),
        &cache_manager(true, 130),
    );
    std::fs::remove_file(dir.path().join("match.csv")).expect("rm");
    let lf = lookup_flow(dir.path(), &mut other, "1", FailComponent, wstr(20));
    success(run(
        &lf.b.flow,
        &other,
        "\\Package\\Look",
        &RunSettings::default(),
    ));
    assert_eq!(
        read(&dir.path().join("match.csv")),
        "1,A,Alpha,1\n3,B,Bravo,2\n4,,Nothing,0\n"
    );
    assert!(other
        .messages()
        .join("\n")
        .contains("\"Find Code\" has cached a total of 3 rows."));
}

fn filled_host(dir: &Path) -> TestHost {
    let mut host = TestHost::default();
    host.cache(
        "Codes",
        dir.join("unused.caw").to_str().expect("utf8"),
        &cache_manager(false, 130),
    );
    let fill = fill_flow(dir, &mut host, CODES, false);
    success(run(
        &fill.flow,
        &host,
        "\\Package\\Fill",
        &RunSettings::default(),
    ));
    assert!(!dir.join("unused.caw").exists(), "no file without UseFile");
    host
}

#[test]
fn misses_follow_the_match_outputs_error_disposition() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut host = filled_host(dir.path());
    // Redirect: error output with 0xC020901E and ErrorColumn 0.
    let lf = lookup_flow(dir.path(), &mut host, "0", RedirectRow, wstr(20));
    success(run(
        &lf.b.flow,
        &host,
        "\\Package\\Look",
        &RunSettings::default(),
    ));
    assert_eq!(
        read(&dir.path().join("match.csv")),
        "1,A,Alpha,1\n3,B,Bravo,2\n4,,Nothing,0\n"
    );
    assert_eq!(
        read(&dir.path().join("errors.csv")),
        "2,b,-1071607778,0\n5,Z,-1071607778,0\n"
    );
    assert_eq!(read(&dir.path().join("nomatch.csv")), "");
    assert!(host
        .messages()
        .join("\n")
        .contains("the no-match output is attached but rows with no match are treated as errors"));
    // Ignore: the row goes on with NULL reference columns.
    let lf = lookup_flow(dir.path(), &mut host, "0", IgnoreFailure, wstr(20));
    success(run(
        &lf.b.flow,
        &host,
        "\\Package\\Look",
        &RunSettings::default(),
    ));
    assert_eq!(
        read(&dir.path().join("match.csv")),
        "1,A,Alpha,1\n2,b,,\n3,B,Bravo,2\n4,,Nothing,0\n5,Z,,\n"
    );
    // Fail: names the component, row and key; no output left behind.
    std::fs::remove_file(dir.path().join("match.csv")).expect("rm");
    let lf = lookup_flow(dir.path(), &mut host, "0", FailComponent, wstr(20));
    let e = failure_text(run(
        &lf.b.flow,
        &host,
        "\\Package\\Look",
        &RunSettings::default(),
    ));
    assert!(e.contains("component \"Find Code\" failed on row 2"), "{e}");
    assert!(e.contains("no match during lookup (key: Code = b)"), "{e}");
    assert!(e.contains("0xC020901E"), "{e}");
    assert!(!dir.path().join("match.csv").exists());
}

#[test]
fn missing_caches_and_mismatched_keys_are_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut host = TestHost::default();
    host.cache(
        "Codes",
        dir.path().join("none.caw").to_str().expect("utf8"),
        &cache_manager(false, 130),
    );
    let lf = lookup_flow(dir.path(), &mut host, "1", FailComponent, wstr(20));
    let e = failure_text(run(
        &lf.b.flow,
        &host,
        "\\Package\\Look",
        &RunSettings::default(),
    ));
    assert!(
        e.contains("\"Find Code\": the cache \"Codes\" holds no rows in this run"),
        "{e}"
    );
    // UseFile with a missing file names the file.
    host.cache(
        "Codes",
        dir.path().join("none.caw").to_str().expect("utf8"),
        &cache_manager(true, 130),
    );
    let e = failure_text(run(
        &lf.b.flow,
        &host,
        "\\Package\\Look",
        &RunSettings::default(),
    ));
    assert!(
        e.contains("cannot load the cache \"Codes\" from its file"),
        "{e}"
    );
    assert!(e.contains("none.caw"), "{e}");
    // A raw file is not a cache file.
    let host = filled_host(dir.path());
    let mut h2 = TestHost::default();
    let raw = dir.path().join("rows.raw");
    write_raw(dir.path(), &raw, "0");
    h2.cache(
        "Codes",
        raw.to_str().expect("utf8"),
        &cache_manager(true, 130),
    );
    let lf = lookup_flow(dir.path(), &mut h2, "1", FailComponent, wstr(20));
    let e = failure_text(run(
        &lf.b.flow,
        &h2,
        "\\Package\\Look",
        &RunSettings::default(),
    ));
    assert!(e.contains("written by a Raw File destination"), "{e}");
    // Key type mismatch: the input key is DT_STR, the cache's DT_WSTR.
    let mut host = host;
    let lf = lookup_flow(
        dir.path(),
        &mut host,
        "1",
        FailComponent,
        DataType::Str {
            len: 20,
            code_page: 1252,
        },
    );
    host.flat_file(
        "Orders",
        dir.path().join("orders.csv").to_str().expect("utf8"),
        &manager(&[("Id", 3, 0), ("Code", 129, 20)]),
    );
    let e = failure_text(run(
        &lf.b.flow,
        &host,
        "\\Package\\Look",
        &RunSettings::default(),
    ));
    assert!(e.contains("the join column \"Code\" is DT_STR,20,1252 but the reference column \"Code\" is DT_WSTR,20"), "{e}");
}

#[test]
fn duplicate_keys_fail_when_asked_and_a_second_writer_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut host = TestHost::default();
    host.cache(
        "Codes",
        dir.path().join("c.caw").to_str().expect("utf8"),
        &cache_manager(true, 130),
    );
    let fill = fill_flow(dir.path(), &mut host, CODES, true);
    let e = failure_text(run(
        &fill.flow,
        &host,
        "\\Package\\Fill",
        &RunSettings::default(),
    ));
    assert!(
        e.contains("failed on row 4: the cache \"Codes\" already holds the key (Code = A)"),
        "{e}"
    );
    assert!(
        !dir.path().join("c.caw").exists(),
        "a failed fill writes no cache file"
    );
    let fill = fill_flow(dir.path(), &mut host, CODES, false);
    let e = failure_text(run(
        &fill.flow,
        &host,
        "\\Package\\Other Fill",
        &RunSettings::default(),
    ));
    assert!(
        e.contains("was already written by \"\\Package\\Fill\\Fill Codes\""),
        "{e}"
    );
}

#[test]
fn the_memory_budget_bounds_a_cache() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut host = TestHost::default();
    host.cache(
        "Codes",
        dir.path().join("c.caw").to_str().expect("utf8"),
        &cache_manager(false, 130),
    );
    let many: String = (0..2000).map(|i| format!("K{i},Name {i},{i}\n")).collect();
    let fill = fill_flow(dir.path(), &mut host, &many, false);
    let mut settings = RunSettings {
        memory_budget: 16 * 1024,
        ..Default::default()
    };
    settings.sizing.max_rows = 100;
    let e = failure_text(run(&fill.flow, &host, "\\Package\\Fill", &settings));
    assert!(
        e.contains("\"Fill Codes\" cannot hold more rows of the cache \"Codes\""),
        "{e}"
    );
    assert!(
        e.contains("the data flow's memory budget of 0 MiB is spent"),
        "{e}"
    );
    assert!(e.contains("SSISD_DATA_FLOW_MEMORY_MB"), "{e}");
}

/// orders.csv → Raw File destination with `option`.
fn write_raw(dir: &Path, raw: &Path, option: &str) -> Outcome {
    let input = dir.join("raw-in.csv");
    if !input.exists() {
        std::fs::write(&input, "1,A\n2,\n3,C\n").expect("write");
    }
    let mut host = TestHost::default();
    host.flat_file(
        "RawIn",
        input.to_str().expect("utf8"),
        &manager(&[("Id", 3, 0), ("Code", 130, 20)]),
    );
    let mut b = FlowBuilder::new();
    let (s, l) = source(&mut b, "RawIn", &[("Id", DataType::I4), ("Code", wstr(20))]);
    let d = b.component(
        "Keep",
        "Microsoft.RawDestination",
        vec![
            property("AccessMode", "0"),
            property("FileName", raw.to_str().expect("utf8")),
            property("WriteOption", option),
        ],
    );
    let i = b.input(d, "Raw File Destination Input");
    for x in &l {
        b.input_column(d, i, *x, false, vec![], NotUsed);
    }
    b.path(s, 0, d, i);
    run(&b.flow, &host, "\\Package\\Write", &RunSettings::default())
}

/// Raw File source (file name from a variable) → out.csv.
fn read_raw(dir: &Path, raw: &Path, code_type: DataType) -> Outcome {
    let mut host = TestHost::default();
    host.variables.borrow_mut().insert(
        "User::RawPath".into(),
        ssisd_engine::types::Value::WStr(raw.to_str().expect("utf8").into()),
    );
    host.flat_file(
        "Out",
        dir.join("out.csv").to_str().expect("utf8"),
        &manager(&[("Id", 3, 0), ("Code", 130, 20)]),
    );
    let mut b = FlowBuilder::new();
    let s = b.component(
        "Load",
        "DTSAdapter.RawSource.3",
        vec![
            property("AccessMode", "1"),
            property("FileNameVariable", "User::RawPath"),
        ],
    );
    let o = b.output(s, "Raw File Source Output", None, false, 0);
    let id = b.output_column(s, o, "Id", DataType::I4, vec![], NotUsed);
    let code = b.output_column(s, o, "Code", code_type, vec![], NotUsed);
    let d = destination(&mut b, "Out", &[id, code]);
    b.path(s, 0, d, 0);
    run(&b.flow, &host, "\\Package\\Read", &RunSettings::default())
}

#[test]
fn raw_files_round_trip_with_every_write_option() {
    let dir = tempfile::tempdir().expect("tmp");
    let raw = dir.path().join("rows.raw");
    success(write_raw(dir.path(), &raw, "0"));
    success(read_raw(dir.path(), &raw, wstr(20)));
    assert_eq!(read(&dir.path().join("out.csv")), "1,A\n2,\n3,C\n");
    // Create once: the file exists.
    let e = failure_text(write_raw(dir.path(), &raw, "1"));
    assert!(
        e.contains("component \"Keep\": cannot write the raw file"),
        "{e}"
    );
    assert!(e.contains("already exists"), "{e}");
    // Append keeps the old rows; truncate and append drops them.
    success(write_raw(dir.path(), &raw, "2"));
    success(read_raw(dir.path(), &raw, wstr(20)));
    assert_eq!(
        read(&dir.path().join("out.csv")),
        "1,A\n2,\n3,C\n1,A\n2,\n3,C\n"
    );
    success(write_raw(dir.path(), &raw, "3"));
    success(read_raw(dir.path(), &raw, wstr(20)));
    assert_eq!(read(&dir.path().join("out.csv")), "1,A\n2,\n3,C\n");
    // A type that does not match the file, and a file that is not ours.
    let e = failure_text(read_raw(dir.path(), &raw, DataType::I4));
    assert!(e.contains("the output column \"Load.Outputs[Raw File Source Output].Columns[Code]\" is DT_I4 but the column \"Code\" of the raw file"), "{e}");
    let bogus = dir.path().join("bogus.raw");
    std::fs::write(&bogus, b"not a raw file").expect("write");
    let e = failure_text(read_raw(dir.path(), &bogus, wstr(20)));
    assert!(e.contains("component \"Load\": the raw file"), "{e}");
    assert!(
        e.contains("bogus.raw\": it is not a raw file ssisd can read"),
        "{e}"
    );
}
