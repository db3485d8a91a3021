//! Character Map: each operation on its own, in place and into new columns, truncation
//! dispositions, and the refusals.

use ssisd_engine::model::{RowDisposition, UsageType};
use ssisd_engine::types::DataType;

use super::*;
use crate::testing::{property, CsvFlow};
use crate::Outcome;

#[test]
fn operations_map_as_windows_names_them() {
    assert_eq!(map("ÀbC", LOWERCASE).as_deref(), Ok("àbc"));
    assert_eq!(
        map("straße", UPPERCASE | LINGUISTIC_CASING).as_deref(),
        Ok("STRASSE")
    );
    assert_eq!(map("AB", BYTE_REVERSAL).as_deref(), Ok("\u{4100}\u{4200}"));
    // U+00D8 reversed is 0xD800, half of a surrogate pair: no text.
    assert!(map("\u{D8}", BYTE_REVERSAL).is_err());
    assert_eq!(map("カタカナ", HIRAGANA).as_deref(), Ok("かたかな"));
    assert_eq!(map("ひらがな", KATAKANA).as_deref(), Ok("ヒラガナ"));
    assert_eq!(map("AB 1", FULL_WIDTH).as_deref(), Ok("ＡＢ　１"));
    assert_eq!(map("ｶﾞｷ", FULL_WIDTH).as_deref(), Ok("ガキ"));
    assert_eq!(map("ＡＢ　１ガキ", HALF_WIDTH).as_deref(), Ok("AB 1ｶﾞｷ"));
    assert!(check(LOWERCASE | UPPERCASE).is_err());
    assert!(check(SIMPLIFIED_CHINESE)
        .unwrap_err()
        .to_string()
        .contains("Linux"));
    assert!(check(0).is_err());
}

fn flow(flags: u32, len: u32, disposition: RowDisposition) -> CsvFlow {
    let mut f = CsvFlow::new();
    let w = DataType::WStr { len: 10 };
    let (s, so, lin) = f.source(
        "In",
        &[("id", DataType::I4), ("name", w)],
        "id,name\n1,Mixed Case\n2,\n3,abc\n",
    );
    let c = f.b.component("Map", "Microsoft.CharacterMap", vec![]);
    let ci = f.b.input(c, "Character Map Input");
    // In place: lowercase the name.
    f.b.input_column(
        c,
        ci,
        lin[1],
        true,
        vec![property("MapFlags", "256")],
        RowDisposition::FailComponent,
    );
    assert_eq!(
        f.b.flow.components[c].inputs[ci].columns[0].usage,
        UsageType::ReadWrite
    );
    let o = f.b.output(c, "Character Map Output", Some(ci), false, 1);
    let added = f.b.output_column(
        c,
        o,
        "mapped",
        DataType::WStr { len },
        vec![
            property("MapFlags", &flags.to_string()),
            property("InputColumnLineageId", &lin[1].to_string()),
        ],
        disposition,
    );
    let e =
        f.b.output(c, "Character Map Error Output", Some(ci), true, 1);
    f.b.error_columns(c, e);
    f.b.path(s, so, c, ci);
    f.destination("Out", (c, o), &[lin[0], lin[1], added]);
    f
}

#[test]
fn maps_in_place_and_into_new_columns() {
    // The new column maps the original (upper case) value... of the in-place column after it.
    let f = flow(UPPERCASE, 10, RowDisposition::FailComponent);
    assert_eq!(
        f.run_ok("Out"),
        "id,name,mapped\n1,mixed case,MIXED CASE\n2,,\n3,abc,ABC\n"
    );
}

#[test]
fn a_value_too_long_follows_its_truncation_disposition() {
    let f = flow(FULL_WIDTH, 5, RowDisposition::IgnoreFailure);
    assert_eq!(
        f.run_ok("Out"),
        "id,name,mapped\n1,mixed case,ｍｉｘｅｄ\n2,,\n3,abc,ａｂｃ\n"
    );
    let f = flow(FULL_WIDTH, 5, RowDisposition::FailComponent);
    match f.run() {
        Outcome::Failed(p) => assert!(p.to_string().contains("component \"Map\" failed on row 1, column \"Map.Outputs[Character Map Output].Columns[mapped]\""), "{p}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_flags_are_refused_naming_the_column() {
    let f = flow(TRADITIONAL_CHINESE, 10, RowDisposition::FailComponent);
    let v = f.validation();
    assert!(
        v.contains("the column \"mapped\": simplified and traditional Chinese"),
        "{v}"
    );
}
