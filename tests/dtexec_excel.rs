//! End-to-end tests of the Excel Source and Excel Destination with the real `dtexec` on real
//! workbooks: the tests write each .xlsx with `rust_xlsxwriter`, run the packages of
//! `tests/packages/excel/` (2008 and 2016+ layouts, written by `make_packages.py` there) with
//! their Excel connection managers pointed at the workbook by /Conn, and check the flat files
//! row by row or, for the destination, the workbook cell by cell with `calamine`. Covered: a
//! sheet with a header row, the provider's types (DT_R8, DT_WSTR, DT_DATE, DT_BOOL), empty cells
//! as NULL, a value that does not fit its column redirected to the error output; HDR=NO with a
//! SELECT TOP n over F1, F3; IMEX=1; writing a new sheet into an existing workbook and
//! appending to it; bad input (missing workbook, missing sheet, a provider that is not Excel's,
//! an .xls target).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{open_workbook_auto, Data, Reader};
use chrono::{NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{Format, Workbook};
use support::{exit_and_text, read_text as read};

const FORMATS: [&str; 2] = ["2008", "2016"];

fn package(stem: &str, format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/packages/excel/{stem}_{format}.dtsx"))
}

/// An ACE connection string for the workbook at `path`.
fn ace(path: &Path, extended: &str) -> String {
    format!(
        "Provider=Microsoft.ACE.OLEDB.12.0;Data Source={};Extended Properties=\"{extended}\"",
        path.display()
    )
}

/// Runs dtexec on `pkg` with `/Conn name;value` for each pair and the extra arguments.
fn dtexec(pkg: &Path, conns: &[(&str, String)], extra: &[&str]) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.arg("/F").arg(pkg);
    for (name, text) in conns {
        c.arg("/Conn")
            .arg(format!("{name};\"{}\"", text.replace('"', "\"\"")));
    }
    c.args(extra);
    exit_and_text(&c.output().expect("dtexec starts"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .expect("date")
        .and_hms_opt(0, 0, 0)
        .expect("time")
}

/// products.xlsx: a sheet "Other" and the sheet "Products" with a header row and four rows —
/// an empty price, an id too large for DT_I4, an empty name, date and Boolean.
fn write_products(path: &Path) {
    let mut wb = Workbook::new();
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    wb.add_worksheet()
        .set_name("Other")
        .expect("name")
        .write_string(0, 0, "not read")
        .expect("cell");
    let ws = wb.add_worksheet();
    ws.set_name("Products").expect("name");
    for (c, h) in ["id", "name", "price", "added", "active"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    ws.write_number(1, 0, 1).expect("cell");
    ws.write_string(1, 1, "Widget").expect("cell");
    ws.write_number(1, 2, 2.5).expect("cell");
    ws.write_datetime_with_format(1, 3, date(2024, 1, 5), &day)
        .expect("cell");
    ws.write_boolean(1, 4, true).expect("cell");
    ws.write_number(2, 0, 2).expect("cell");
    ws.write_string(2, 1, "Gadget, \"large\"").expect("cell");
    ws.write_datetime_with_format(
        2,
        3,
        NaiveDate::from_ymd_opt(2024, 2, 29)
            .expect("date")
            .and_hms_opt(13, 45, 0)
            .expect("time"),
        &stamp,
    )
    .expect("cell");
    ws.write_boolean(2, 4, false).expect("cell");
    ws.write_number(3, 0, 3e12).expect("cell");
    ws.write_string(3, 1, "Too big").expect("cell");
    ws.write_number(3, 2, 1).expect("cell");
    ws.write_datetime_with_format(3, 3, date(2024, 3, 1), &day)
        .expect("cell");
    ws.write_boolean(3, 4, true).expect("cell");
    ws.write_number(4, 0, 4).expect("cell");
    ws.write_number(4, 2, 0.125).expect("cell");
    wb.save(path).expect("save workbook");
}

#[test]
fn excel_source_reads_a_sheet_with_its_types_nulls_and_error_output() {
    for format in FORMATS {
        let d = tempfile::tempdir().expect("temp dir");
        let book = d.path().join("products.xlsx");
        write_products(&book);
        let out = d.path().join("out.csv");
        let rejects = d.path().join("rejects.csv");
        let conns = [
            ("Book", ace(&book, "Excel 12.0 XML;HDR=YES")),
            ("Out", out.display().to_string()),
            ("Rejects", rejects.display().to_string()),
        ];
        let (code, text) = dtexec(&package("read_products", format), &conns, &["/Rep", "EWI"]);
        assert_eq!(code, 0, "{format}: {text}");
        // The provider types id as DT_R8; the package reads it as DT_I4: a warning, then converted.
        assert!(
            text.contains("0x80202066") || text.contains("-2145378202"),
            "{text}"
        );
        assert_eq!(
            read(&out),
            "\"id\",\"name\",\"price\",\"added\",\"active\"\r\n\
             \"1\",\"Widget\",\"2.5\",\"1/5/2024 12:00:00 AM\",\"True\"\r\n\
             \"2\",\"Gadget, \"large\"\",\"\",\"2/29/2024 1:45:00 PM\",\"False\"\r\n\
             \"4\",\"\",\"0.125\",\"\",\"\"\r\n",
            "{format}"
        );
        let rejected = read(&rejects);
        let lines: Vec<&str> = rejected.lines().collect();
        assert_eq!(lines.len(), 2, "{format}: {rejected}");
        assert!(
            lines[1].starts_with("-1071607694,"),
            "{format}: 0xC0209072 in ErrorCode: {rejected}"
        );
    }
}

#[test]
fn excel_source_without_header_reads_f1_f2_with_a_select_and_imex() {
    let d = tempfile::tempdir().expect("temp dir");
    let book = d.path().join("raw.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Raw").expect("name");
    let rows: [(Option<&str>, f64, f64); 4] = [
        (Some("a"), 10.0, 1.5),
        (Some("b"), 20.0, 2.5),
        (None, 30.0, 3.5),
        (Some("d"), 40.0, 4.5),
    ];
    for (r, (f1, f2, f3)) in rows.iter().enumerate() {
        match f1 {
            Some(s) => ws.write_string(r as u32, 0, *s).expect("cell"),
            None => ws.write_number(r as u32, 0, 7).expect("cell"),
        };
        ws.write_number(r as u32, 1, *f2).expect("cell");
        ws.write_number(r as u32, 2, *f3).expect("cell");
    }
    wb.save(&book).expect("save");
    let out = d.path().join("out.csv");
    for format in FORMATS {
        // Without IMEX the number in the text column F1 is NULL, as the provider reads it.
        let (code, text) = dtexec(
            &package("read_raw", format),
            &[
                ("Book", ace(&book, "Excel 12.0 XML;HDR=NO")),
                ("Out", out.display().to_string()),
            ],
            &[],
        );
        assert_eq!(code, 0, "{format}: {text}");
        assert_eq!(
            read(&out),
            "\"F1\",\"amount\"\r\n\"a\",\"1.5\"\r\n\"b\",\"2.5\"\r\n\"\",\"3.5\"\r\n",
            "{format}"
        );
        // IMEX=1: a column mixing kinds is text, every value kept.
        let (code, text) = dtexec(
            &package("read_raw", format),
            &[
                ("Book", ace(&book, "Excel 12.0 XML;HDR=NO;IMEX=1")),
                ("Out", out.display().to_string()),
            ],
            &[],
        );
        assert_eq!(code, 0, "{format}: {text}");
        assert_eq!(
            read(&out),
            "\"F1\",\"amount\"\r\n\"a\",\"1.5\"\r\n\"b\",\"2.5\"\r\n\"7\",\"3.5\"\r\n",
            "{format}"
        );
    }
}

const ORDERS: &str = "id,customer,amount,ordered\r\n\
1,\"Ann \"\"A\"\" Lee\",10.50,2024-01-05\r\n\
2,Bob,99.99,2024-02-29\r\n\
3,Old,1.00,1899-12-31\r\n\
4,\"Cy, Jr\",-60.25,1999-12-31\r\n";

/// The cells of `sheet` in the workbook at `path`, row by row.
fn sheet_cells(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut wb = open_workbook_auto(path).expect("workbook opens");
    let range = wb.worksheet_range(sheet).expect("sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

fn expected_order_rows() -> Vec<Vec<Data>> {
    let s = |t: &str| Data::String(t.into());
    vec![
        vec![Data::Float(1.0), s("Ann \"A\" Lee"), Data::Float(10.5)],
        vec![Data::Float(2.0), s("Bob"), Data::Float(99.99)],
        vec![Data::Float(4.0), s("Cy, Jr"), Data::Float(-60.25)],
    ]
}

#[test]
fn excel_destination_writes_a_sheet_and_appends_to_it() {
    for format in FORMATS {
        let d = tempfile::tempdir().expect("temp dir");
        std::fs::write(d.path().join("orders.csv"), ORDERS).expect("input");
        // An existing workbook with another sheet (a value and a formula) to keep.
        let book = d.path().join("orders.xlsx");
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Notes").expect("name");
        ws.write_string(0, 0, "keep me").expect("cell");
        ws.write_formula(0, 1, "=1+1").expect("formula");
        wb.save(&book).expect("save");
        let rejects = d.path().join("rejects.csv");
        let conns = [
            ("Orders", d.path().join("orders.csv").display().to_string()),
            ("Book", ace(&book, "Excel 12.0 XML;HDR=YES")),
            ("Rejects", rejects.display().to_string()),
        ];
        let (code, text) = dtexec(&package("write_orders", format), &conns, &["/Rep", "EWI"]);
        assert_eq!(code, 0, "{format}: {text}");
        assert!(text.contains("\"Write sheet\" wrote 3 rows."), "{text}");
        // The 1899 date cannot be a cell: that row is on the error output (0xC0209077).
        let rejected = read(&rejects);
        assert_eq!(
            rejected
                .lines()
                .nth(1)
                .map(|l| l.split(',').take(2).collect::<Vec<_>>()),
            Some(vec!["3", "-1071607689"]),
            "{format}: {rejected}"
        );
        let cells = sheet_cells(&book, "Orders");
        assert_eq!(
            cells[0],
            ["id", "customer", "amount", "ordered"]
                .map(|h| Data::String(h.into()))
                .to_vec(),
            "{format}"
        );
        assert_eq!(cells.len(), 4, "{format}: {cells:?}");
        let dates = [date(2024, 1, 5), date(2024, 2, 29), date(1999, 12, 31)];
        for (row, (want, day)) in cells[1..]
            .iter()
            .zip(expected_order_rows().iter().zip(dates))
        {
            assert_eq!(&row[..3], &want[..], "{format}");
            match &row[3] {
                Data::DateTime(dt) => assert_eq!(dt.as_datetime(), Some(day), "{format}"),
                other => panic!("{format}: ordered is {other:?}, not a date cell"),
            }
        }
        // The other sheet keeps its value and formula.
        let notes = sheet_cells(&book, "Notes");
        assert_eq!(notes[0][0], Data::String("keep me".into()));
        let mut wb = open_workbook_auto(&book).expect("workbook");
        let formulas = wb.worksheet_formula("Notes").expect("formulas");
        assert_eq!(formulas.get_value((0, 1)).map(String::as_str), Some("1+1"));

        // A second run appends below the rows already there, under the same header.
        let (code, text) = dtexec(&package("write_orders", format), &conns, &["/Rep", "EW"]);
        assert_eq!(code, 0, "{format}: {text}");
        assert!(text.contains("will be rewritten"), "{text}");
        let cells = sheet_cells(&book, "Orders");
        assert_eq!(cells.len(), 7, "{format}: {cells:?}");
        assert_eq!(&cells[4][..3], &expected_order_rows()[0][..], "{format}");
        let leftovers: Vec<_> = std::fs::read_dir(d.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{format}: {leftovers:?}");
    }
}

#[test]
fn excel_bad_input_fails_with_clear_errors() {
    let d = tempfile::tempdir().expect("temp dir");
    let out = d.path().join("out.csv");
    let rejects = d.path().join("rejects.csv");
    let missing = d.path().join("nowhere.xlsx");
    let files = |book: String| {
        vec![
            ("Book", book),
            ("Out", out.display().to_string()),
            ("Rejects", rejects.display().to_string()),
        ]
    };
    let pkg = package("read_products", "2016");

    // A missing workbook: /Validate says so, and so does a run, naming the file.
    let conns = files(ace(&missing, "Excel 12.0 XML;HDR=YES"));
    let (code, text) = dtexec(&pkg, &conns, &["/Validate"]);
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains(&format!(
            "the workbook \"{}\" does not exist",
            missing.display()
        )),
        "{text}"
    );
    let (code, text) = dtexec(&pkg, &conns, &[]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("does not exist"), "{text}");
    assert!(!out.exists(), "no output from a failed run");

    // A workbook without the sheet: the error lists the sheets it has.
    let book = d.path().join("other.xlsx");
    let mut wb = Workbook::new();
    wb.add_worksheet().set_name("Summary").expect("name");
    wb.save(&book).expect("save");
    let (code, text) = dtexec(&pkg, &files(ace(&book, "Excel 12.0 XML;HDR=YES")), &[]);
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("the workbook has no sheet \"Products\" (its sheets: \"Summary\")"),
        "{text}"
    );

    // A provider that is not Excel's.
    let conns = files(format!("Provider=SQLNCLI11;Data Source={}", book.display()));
    let (code, text) = dtexec(&pkg, &conns, &["/Validate"]);
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("the provider \"SQLNCLI11\" is not an Excel provider"),
        "{text}"
    );

    // Not a workbook at all.
    let junk = d.path().join("junk.xlsx");
    std::fs::write(&junk, "id,name\n1,a\n").expect("junk");
    let (code, text) = dtexec(&pkg, &files(ace(&junk, "Excel 12.0 XML;HDR=YES")), &[]);
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("cannot be read as an Excel workbook"),
        "{text}"
    );

    // The destination refuses an .xls target before writing anything.
    std::fs::write(d.path().join("orders.csv"), ORDERS).expect("input");
    let xls = d.path().join("orders.xls");
    let (code, text) = dtexec(
        &package("write_orders", "2016"),
        &[
            ("Orders", d.path().join("orders.csv").display().to_string()),
            ("Book", ace(&xls, "Excel 8.0;HDR=YES")),
            ("Rejects", rejects.display().to_string()),
        ],
        &["/Validate"],
    );
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("ssisd writes .xlsx workbooks only"), "{text}");
    assert!(!xls.exists());
}
