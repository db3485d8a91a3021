//! ISNULL, NULL(type) and REPLACENULL.

use super::*;

#[test]
fn isnull() {
    for (text, b) in [
        ("ISNULL(NULL(DT_I4))", true),
        ("ISNULL(1)", false),
        ("ISNULL(@[User::NullInt])", true),
        ("ISNULL(@[User::NullStr])", true),
        ("ISNULL(@[User::File])", false),
        ("ISNULL(NULL(DT_I4) + 1)", true),
        ("ISNULL(\"\")", false),
        ("isnull(NULL(DT_BOOL))", true),
        ("ISNULL(NULL(DT_DBTIMESTAMP))", true),
    ] {
        assert_eq!(ev(text), Value::Bool(b), "{text}");
    }
    assert_eq!(ty("ISNULL(1)"), "DT_BOOL");
}

#[test]
fn replacenull() {
    assert_eq!(ev("REPLACENULL(@[User::NullInt], 5)"), Value::I4(5));
    assert_eq!(ev("REPLACENULL(@[User::Count], 5)"), Value::I4(7));
    assert_eq!(
        ev("REPLACENULL(@[User::NullStr], \"none\")"),
        Value::WStr("none".into())
    );
    assert_eq!(
        ev("REPLACENULL(@[User::File], \"none\")"),
        Value::WStr("sales".into())
    );
    assert_eq!(ty("REPLACENULL(@[User::NullInt], 5L)"), "DT_I4");
    assert_eq!(ev("REPLACENULL(@[User::NullInt], 5L)"), Value::I4(5));
    assert_eq!(ev("REPLACENULL(NULL(DT_I8), 5)"), Value::I8(5));
    assert_eq!(
        show("REPLACENULL(NULL(DT_DBDATE), (DT_DBDATE)\"2024-01-01\")"),
        "2024-01-01"
    );
    assert_eq!(
        ev("REPLACENULL(NULL(DT_I4), NULL(DT_I4))"),
        Value::Null(DataType::I4)
    );
    assert!(compile_err("REPLACENULL(NULL(DT_I4), \"x\")")
        .message
        .contains("cannot convert"));
    assert!(compile_err("REPLACENULL(1, (DT_DBDATE)\"2024-01-01\")")
        .message
        .contains("cannot be converted"));
    assert!(compile_err("REPLACENULL((DT_NTEXT)\"a\", \"b\")")
        .message
        .contains("DT_NTEXT"));
}

#[test]
fn null_of_every_type() {
    for spec in [
        "DT_BOOL",
        "DT_I1",
        "DT_I2",
        "DT_I4",
        "DT_I8",
        "DT_UI1",
        "DT_UI2",
        "DT_UI4",
        "DT_UI8",
        "DT_R4",
        "DT_R8",
        "DT_CY",
        "DT_DATE",
        "DT_DBDATE",
        "DT_DBTIME",
        "DT_DBTIMESTAMP",
        "DT_FILETIME",
        "DT_GUID",
        "DT_IMAGE",
        "DT_NTEXT",
        "DT_DECIMAL, 3",
        "DT_NUMERIC, 9, 2",
        "DT_WSTR, 5",
        "DT_STR, 5, 1252",
        "DT_BYTES, 4",
        "DT_TEXT, 1252",
        "DT_DBTIME2, 4",
        "DT_DBTIMESTAMP2, 4",
        "DT_DBTIMESTAMPOFFSET, 4",
    ] {
        let text = format!("NULL({spec})");
        assert!(is_null(&text), "{text}");
        let name = spec.split(',').next().unwrap();
        assert!(ty(&text).starts_with(name), "{text}");
    }
    assert!(compile_err("NULL(DT_WSTR)").message.contains("parameter"));
    assert!(compile_err("NULL()").column == 6);
}
