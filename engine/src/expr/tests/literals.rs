//! Literal typing: integer suffixes, hexadecimal, reals, DT_NUMERIC precision and scale, strings
//! with escapes, Booleans.

use super::*;

#[test]
fn integer_literal_types() {
    for (text, t) in [
        ("457", "DT_I4"),
        ("785u", "DT_UI4"),
        ("785U", "DT_UI4"),
        ("986L", "DT_I8"),
        ("986l", "DT_I8"),
        ("7945ul", "DT_UI8"),
        ("7945LU", "DT_UI8"),
        ("7945uL", "DT_UI8"),
        ("0xFF0A", "DT_I4"),
        ("0X000010000U", "DT_UI4"),
        ("0x10L", "DT_I8"),
        ("0", "DT_I4"),
        ("2147483647", "DT_I4"),
        ("2147483648L", "DT_I8"),
        ("4294967295U", "DT_UI4"),
    ] {
        assert_eq!(ty(text), t, "{text}");
    }
}

#[test]
fn integer_literal_values() {
    assert_eq!(ev("457"), Value::I4(457));
    assert_eq!(ev("0xFF0A"), Value::I4(0xFF0A));
    assert_eq!(ev("0X000010000U"), Value::UI4(0x10000));
    assert_eq!(ev("2147483648L"), Value::I8(2_147_483_648));
    assert_eq!(ev("18446744073709551615UL"), Value::UI8(u64::MAX));
}

#[test]
fn integer_literals_do_not_widen() {
    let e = compile_err("2147483648");
    assert_eq!(e.column, 1);
    assert!(e.message.contains("DT_I4"), "{e}");
    assert!(compile_err("4294967296U").message.contains("DT_UI4"));
    assert!(compile_err("1 + 99999999999999999999999").column == 5);
    assert!(compile_err("9223372036854775808L")
        .message
        .contains("too large"));
}

#[test]
fn real_literals() {
    for (text, t) in [
        ("4E8l", "DT_R8"),
        ("13e-2f", "DT_R4"),
        ("6.45E3f", "DT_R4"),
        (".89E-2l", "DT_R8"),
        ("1.E-4f", "DT_R4"),
        ("4.6E6L", "DT_R8"),
        ("1e5", "DT_R8"),
        ("2.5f", "DT_R4"),
        ("2.5L", "DT_R8"),
    ] {
        assert_eq!(ty(text), t, "{text}");
    }
    assert_eq!(ev("4E8l"), Value::R8(4e8));
    assert_eq!(ev("13e-2f"), Value::R4(0.13));
    assert_eq!(ev("2.5L"), Value::R8(2.5));
}

#[test]
fn numeric_literals() {
    for (text, t, shown) in [
        (".9", "DT_NUMERIC,1,1", "0.9"),
        ("5.8", "DT_NUMERIC,2,1", "5.8"),
        ("6.", "DT_NUMERIC,1,0", "6"),
        ("8.0", "DT_NUMERIC,2,1", "8.0"),
        ("123.4500", "DT_NUMERIC,7,4", "123.4500"),
        ("0.001", "DT_NUMERIC,3,3", "0.001"),
        (
            "12345678901234567890.123456789012345678",
            "DT_NUMERIC,38,18",
            "12345678901234567890.123456789012345678",
        ),
    ] {
        assert_eq!(ty(text), t, "{text}");
        assert_eq!(show(text), shown, "{text}");
    }
    assert!(compile_err("123456789012345678901234567890.123456789")
        .message
        .contains("38"));
}

#[test]
fn string_literals() {
    assert_eq!(ty("\"abc\""), "DT_WSTR,3");
    assert_eq!(ty("\"\""), "DT_WSTR,0");
    assert_eq!(ev(r#""a\tb""#), Value::WStr("a\tb".into()));
    assert_eq!(ev(r#""line1\nline2""#), Value::WStr("line1\nline2".into()));
    assert_eq!(ev(r#""say \"hi\"""#), Value::WStr("say \"hi\"".into()));
    assert_eq!(ev(r#""C:\\dir""#), Value::WStr("C:\\dir".into()));
    assert_eq!(ev(r#""\x0041\x00e9""#), Value::WStr("Aé".into()));
    assert_eq!(
        ev(r#""\r\a\b\f\v""#),
        Value::WStr("\r\u{7}\u{8}\u{c}\u{b}".into())
    );
    assert_eq!(show(r#""héllo wörld""#), "héllo wörld");
    assert_eq!(LEN_OF_ESCAPED, 3);
    assert_eq!(ev(r#"LEN("a\nb")"#), Value::I4(3));
}

const LEN_OF_ESCAPED: i32 = 3;

#[test]
fn boolean_literals() {
    for text in ["TRUE", "true", "True", "tRuE"] {
        assert_eq!(ev(text), Value::Bool(true), "{text}");
    }
    for text in ["FALSE", "false", "False"] {
        assert_eq!(ev(text), Value::Bool(false), "{text}");
    }
    assert_eq!(ty("TRUE"), "DT_BOOL");
    assert_eq!(show("TRUE"), "True");
    assert_eq!(show("FALSE"), "False");
}

#[test]
fn null_literals() {
    for (text, t) in [
        ("NULL(DT_I4)", "DT_I4"),
        ("NULL(DT_WSTR, 20)", "DT_WSTR,20"),
        ("NULL(DT_STR, 10, 1252)", "DT_STR,10,1252"),
        ("NULL(DT_NUMERIC, 10, 3)", "DT_NUMERIC,10,3"),
        ("NULL(DT_DECIMAL, 2)", "DT_DECIMAL,2"),
        ("NULL(DT_BOOL)", "DT_BOOL"),
        ("NULL(DT_DBTIMESTAMP)", "DT_DBTIMESTAMP"),
        ("NULL(DT_DBTIME2, 3)", "DT_DBTIME2,3"),
        ("NULL(DT_BYTES, 8)", "DT_BYTES,8"),
        ("NULL(DT_GUID)", "DT_GUID"),
        ("null(dt_i8)", "DT_I8"),
    ] {
        assert_eq!(ty(text), t, "{text}");
        assert!(is_null(text), "{text}");
    }
}
