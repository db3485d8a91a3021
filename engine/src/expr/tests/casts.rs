//! Casts to every DT_ type: parameters, range/overflow errors, string truncation, date text forms,
//! DT_STR only at the root, illegal casts.

use super::*;

#[test]
fn casts_to_integers() {
    for (text, v) in [
        ("(DT_I1)100", Value::I1(100)),
        ("(DT_I2)-300", Value::I2(-300)),
        ("(DT_I4)3.57", Value::I4(4)),
        ("(DT_I4)3.4", Value::I4(3)),
        ("(DT_I4)-2.5", Value::I4(-3)),
        ("(DT_I4)2.5E0", Value::I4(3)),
        ("(DT_I8)\"123\"", Value::I8(123)),
        ("(DT_I4)\" 42 \"", Value::I4(42)),
        ("(DT_UI1)255", Value::UI1(255)),
        ("(DT_UI2)65535", Value::UI2(65535)),
        ("(DT_UI4)4000000000L", Value::UI4(4_000_000_000)),
        ("(DT_UI8)\"18446744073709551615\"", Value::UI8(u64::MAX)),
        ("(DT_I4)TRUE", Value::I4(-1)),
        ("(DT_I4)FALSE", Value::I4(0)),
        ("(DT_I2)TRUE", Value::I2(-1)),
        ("(DT_UI4)TRUE", Value::UI4(1)),
        ("(DT_I4)(DT_CY)2.71", Value::I4(3)),
        ("(DT_I4)@[User::Ratio]", Value::I4(0)),
        ("(DT_I8)@[User::Count]", Value::I8(7)),
    ] {
        assert_eq!(ev(text), v, "{text}");
    }
    assert_eq!(ty("(DT_UI8)1"), "DT_UI8");
}

#[test]
fn integer_cast_overflow() {
    for text in [
        "(DT_I1)128",
        "(DT_I1)-129",
        "(DT_UI1)256",
        "(DT_UI1)-1",
        "(DT_I2)40000",
        "(DT_UI4)-1",
        "(DT_I4)3000000000L",
        "(DT_I4)\"3000000000\"",
        "(DT_I4)1E20",
        "(DT_UI8)-1",
    ] {
        let e = compile_err(text);
        assert!(e.message.contains("overflow"), "{text}: {e}");
        assert_eq!(e.column, 1, "{text}");
    }
    let e = eval_err("(DT_I1)@[User::Small]");
    assert!(e.to_string().contains("overflow"), "{e}");
}

#[test]
fn bad_text_to_numbers() {
    for text in [
        "(DT_I4)\"abc\"",
        "(DT_I4)\"1.5\"",
        "(DT_R8)\"x\"",
        "(DT_NUMERIC,5,2)\"1,5\"",
        "(DT_I4)\"\"",
    ] {
        assert!(
            compile_err(text).message.contains("cannot convert"),
            "{text}"
        );
    }
    let mut t = table();
    let (r, _) = super::super::VariableScope::resolve(&t, Some("User"), "File").unwrap();
    let e = Expression::compile("(DT_I4)@[User::File]", &t).unwrap();
    assert!(e.evaluate(&t).is_err());
    t.set_value(r, Value::WStr("12".into()));
    assert_eq!(e.evaluate(&t).unwrap(), Value::I4(12));
}

#[test]
fn casts_to_reals_and_fixed_point() {
    assert_eq!(ev("(DT_R8)1"), Value::R8(1.0));
    assert_eq!(ev("(DT_R4)1.5"), Value::R4(1.5));
    assert_eq!(ev("(DT_R8)\"2.5\""), Value::R8(2.5));
    assert_eq!(ev("(DT_R8)TRUE"), Value::R8(-1.0));
    assert!(compile_err("(DT_R4)1E300").message.contains("overflow"));
    for (text, t, shown) in [
        ("(DT_NUMERIC, 10, 3)1.5", "DT_NUMERIC,10,3", "1.500"),
        ("(DT_NUMERIC, 5, 2)3.14159", "DT_NUMERIC,5,2", "3.14"),
        ("(DT_NUMERIC, 5, 2)2.675", "DT_NUMERIC,5,2", "2.68"),
        ("(DT_NUMERIC, 5, 0)-2.5", "DT_NUMERIC,5,0", "-3"),
        (
            "(DT_NUMERIC, 38, 0)\"12345678901234567890123456789012345678\"",
            "DT_NUMERIC,38,0",
            "12345678901234567890123456789012345678",
        ),
        ("(DT_DECIMAL, 2)500", "DT_DECIMAL,2", "500.00"),
        ("(DT_DECIMAl,2)500", "DT_DECIMAL,2", "500.00"),
        ("(DT_DECIMAL, 0)\"7\"", "DT_DECIMAL,0", "7"),
        ("(DT_CY)12.345678", "DT_CY", "12.3457"),
        ("(DT_CY)\"-1\"", "DT_CY", "-1.0000"),
        ("(DT_NUMERIC, 4, 1)1.25E0", "DT_NUMERIC,4,1", "1.3"),
        ("(DT_NUMERIC, 3, 0)TRUE", "DT_NUMERIC,3,0", "-1"),
    ] {
        assert_eq!(ty(text), t, "{text}");
        assert_eq!(show(text), shown, "{text}");
    }
    for text in [
        "(DT_NUMERIC, 3, 1)100",
        "(DT_NUMERIC, 2, 0)\"123\"",
        "(DT_CY)1E20",
        "(DT_DECIMAL, 28)10",
    ] {
        assert!(compile_err(text).message.contains("overflow"), "{text}");
    }
}

#[test]
fn cast_parameters_are_validated() {
    for (text, col, fragment) in [
        ("(DT_WSTR, 0)1", 2, "length"),
        ("(DT_WSTR, 4001)1", 2, "length"),
        ("(DT_STR, 8001, 1252)1", 2, "length"),
        ("(DT_NUMERIC, 39, 0)1", 2, "precision"),
        ("(DT_NUMERIC, 5, 6)1", 2, "scale"),
        ("(DT_DECIMAL, 29)1", 2, "scale"),
        ("(DT_DBTIME2, 8)\"10:00:00\"", 2, "scale"),
        ("(DT_BYTES, 0)\"a\"", 2, "length"),
        ("(DT_STR, 10)1", 2, "2 parameters"),
        ("(DT_I4, 1)1", 2, "0 parameters"),
        ("(DT_NUMERIC, 5)1", 2, "2 parameters"),
        ("(DT_WSTR)1", 2, "1 parameter"),
        ("(DT_BLAH)1", 2, "not a valid data type"),
    ] {
        let e = compile_err(text);
        assert_eq!(e.column, col, "{text}: {e}");
        assert!(e.message.contains(fragment), "{text}: {e}");
    }
}

#[test]
fn casts_to_strings() {
    for (text, shown) in [
        ("(DT_WSTR, 10)123", "123"),
        ("(DT_WSTR, 10)-5L", "-5"),
        ("(DT_WSTR, 10)TRUE", "True"),
        ("(DT_WSTR, 10)FALSE", "False"),
        ("(DT_WSTR, 10)1.50", "1.50"),
        ("(DT_WSTR, 20)2.5E0", "2.5"),
        ("(DT_WSTR, 20)1E20", "1E+20"),
        ("(DT_WSTR, 20)(DT_CY)3", "3.0000"),
        ("(DT_WSTR, 3)\"abcdef\"", "abc"),
        ("(DT_WSTR, 30)(DT_DBDATE)\"2024-02-29\"", "2024-02-29"),
        ("(DT_WSTR, 30)(DT_DBTIME)\"13:05:09\"", "13:05:09"),
        (
            "(DT_WSTR, 30)(DT_DBTIMESTAMP)\"2024-02-29 13:05:09.123\"",
            "2024-02-29 13:05:09.123000000",
        ),
        (
            "(DT_WSTR, 30)(DT_DBTIMESTAMP2, 3)\"2024-02-29 13:05:09.5\"",
            "2024-02-29 13:05:09.5",
        ),
        (
            "(DT_WSTR, 40)(DT_DBTIMESTAMPOFFSET, 0)\"2024-02-29 13:05:09 -3:30\"",
            "2024-02-29 13:05:09 -03:30",
        ),
        (
            "(DT_WSTR, 40)(DT_FILETIME)\"2024-02-29 13:05:09:250\"",
            "2024-02-29 13:05:09:250",
        ),
        (
            "(DT_WSTR, 40)(DT_GUID)\"6f9619ff-8b86-d011-b42d-00c04fc964ff\"",
            "{6F9619FF-8B86-D011-B42D-00C04FC964FF}",
        ),
        ("(DT_WSTR, 40)@[User::When]", "3/15/2024 1:45:30 PM"),
        (
            "(DT_WSTR, 10)(DT_BYTES, 4)(DT_STR, 2, 1252)\"AB\"",
            "41004200",
        ),
    ] {
        assert_eq!(show(text), shown, "{text}");
    }
    assert_eq!(ty("(DT_WSTR, 10)123"), "DT_WSTR,10");
}

#[test]
fn string_truncation_warns_at_compile_time_and_cuts_at_run_time() {
    let t = table();
    let e = Expression::compile("(DT_WSTR, 3)\"abcdef\"", &t).unwrap();
    assert_eq!(e.warnings().len(), 1);
    assert!(e.warnings()[0].contains("truncate"), "{:?}", e.warnings());
    let e = Expression::compile("(DT_WSTR, 3)\"abc\"", &t).unwrap();
    assert!(e.warnings().is_empty());
    assert_eq!(show("(DT_WSTR, 2)@[User::File]"), "sa");
    assert_eq!(show("(DT_STR, 2, 1252)@[User::File]"), "sa");
}

#[test]
fn dt_str_only_at_the_root() {
    assert_eq!(ty("(DT_STR, 10, 1252)\"abc\""), "DT_STR,10,1252");
    assert_eq!(ev("(DT_STR, 10, 1252)\"abc\""), Value::Str("abc".into()));
    // Below the root the cast is done to DT_WSTR.
    assert_eq!(ty("(DT_STR, 4, 1252)1 + \"x\""), "DT_WSTR,5");
    assert_eq!(ty("NULL(DT_STR, 10, 1252)"), "DT_STR,10,1252");
    let e = compile_err("ISNULL(NULL(DT_STR, 10, 1252))");
    assert_eq!(e.column, 8);
    assert!(e.message.contains("DT_WSTR"), "{e}");
    assert_eq!(
        ty("(DT_WSTR, 5)NULL(DT_STR, 10, 1252) + \"a\""),
        "DT_WSTR,6"
    );
    assert_eq!(
        ev("ISNULL((DT_STR, 5, 1252)NULL(DT_STR, 10, 1252))"),
        Value::Bool(true)
    );
}

#[test]
fn casts_to_boolean() {
    for (text, b) in [
        ("(DT_BOOL)\"True\"", true),
        ("(DT_BOOL)\"false\"", false),
        ("(DT_BOOL)\"TRUE\"", true),
        ("(DT_BOOL)1", true),
        ("(DT_BOOL)-1", true),
        ("(DT_BOOL)0", false),
        ("(DT_BOOL)0.0", false),
        ("(DT_BOOL)2.5E0", true),
        ("(DT_BOOL)\"0\"", false),
        ("(DT_BOOL)\"-1\"", true),
    ] {
        assert_eq!(ev(text), Value::Bool(b), "{text}");
    }
    assert!(compile_err("(DT_BOOL)\"yes\"").message.contains("Boolean"));
    assert!(compile_err("(DT_BOOL)(DT_DBDATE)\"2024-01-01\"")
        .message
        .contains("cannot be cast"));
}

#[test]
fn casts_to_dates() {
    use chrono::{NaiveDate, NaiveTime};
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    assert_eq!(
        ev("(DT_DBDATE)\"1999-10-11\""),
        Value::DbDate(d(1999, 10, 11))
    );
    assert_eq!(
        ev("(DT_DBTIME)\"16:34:52\""),
        Value::DbTime(NaiveTime::from_hms_opt(16, 34, 52).unwrap())
    );
    assert_eq!(
        ev("(DT_DBTIME2, 5) \"16:34:52.12345\""),
        Value::DbTime2(NaiveTime::from_hms_nano_opt(16, 34, 52, 123_450_000).unwrap())
    );
    assert_eq!(
        ev("(DT_DBTIME2, 2) \"16:34:52.12345\""),
        Value::DbTime2(NaiveTime::from_hms_nano_opt(16, 34, 52, 120_000_000).unwrap())
    );
    assert_eq!(
        ev("(DT_DBTIMESTAMP)\"1999-10-11 16:34:52.123\""),
        Value::DbTimestamp(d(1999, 10, 11).and_hms_milli_opt(16, 34, 52, 123).unwrap())
    );
    assert_eq!(
        ev("(DT_DBTIMESTAMP)\"1999-10-11\""),
        Value::DbTimestamp(d(1999, 10, 11).and_hms_opt(0, 0, 0).unwrap())
    );
    assert_eq!(
        show("(DT_DBTIMESTAMPOFFSET, 7) \"1999-10-11 16:34:52.1234567 + 5:35\""),
        "1999-10-11 16:34:52.1234567 +05:35"
    );
    assert_eq!(
        show("(DT_DBTIMESTAMP2, 7)\"1999-10-11 16:34:52.1234567\""),
        "1999-10-11 16:34:52.1234567"
    );
    assert_eq!(
        show("(DT_DATE)\"2024-01-15 10:00:00\""),
        "1/15/2024 10:00:00 AM"
    );
    assert_eq!(
        show("(DT_DATE)\"1/15/2024 10:00:00 PM\""),
        "1/15/2024 10:00:00 PM"
    );
    assert_eq!(show("(DT_DBDATE)@[User::When]"), "2024-03-15");
    assert_eq!(show("(DT_DBTIME)@[User::When]"), "13:45:30");
    assert_eq!(
        show("(DT_DBTIMESTAMPOFFSET, 0)(DT_DBDATE)\"1999-10-12\""),
        "1999-10-12 00:00:00 +00:00"
    );
    assert_eq!(
        show("(DT_DBTIMESTAMP)(DT_DBTIMESTAMPOFFSET, 0)\"2024-01-01 10:00:00 +02:00\""),
        "2024-01-01 10:00:00.000000000"
    );
    assert_eq!(show("(DT_DATE)2"), "1/1/1900 12:00:00 AM");
    assert_eq!(show("(DT_DATE)2.5E0"), "1/1/1900 12:00:00 PM");
    assert_eq!(
        ev("(DT_R8)(DT_DATE)\"1900-01-01 12:00:00\""),
        Value::R8(2.5)
    );
    for text in [
        "(DT_DBDATE)\"2024-13-01\"",
        "(DT_DBDATE)\"2024-02-30\"",
        "(DT_DBDATE)\"hello\"",
        "(DT_DBTIME)\"25:00:00\"",
        "(DT_DBTIMESTAMP)\"2024-01-01 10:00:00 +02:00\"",
        "(DT_DBDATE)\"2024-01-01 10:00:00\"",
        "(DT_DBTIME)\"2024-01-01\"",
    ] {
        assert!(
            compile_err(text).message.contains("cannot convert"),
            "{text}"
        );
    }
    for text in [
        "(DT_DBDATE)1",
        "(DT_DBDATE)(DT_DBTIME)\"10:00:00\"",
        "(DT_DBTIME)(DT_DBDATE)\"2024-01-01\"",
        "(DT_DBDATE)TRUE",
    ] {
        assert!(
            compile_err(text).message.contains("cannot be cast"),
            "{text}"
        );
    }
}

#[test]
fn casts_between_other_types() {
    assert_eq!(
        ty("(DT_GUID)\"{6F9619FF-8B86-D011-B42D-00C04FC964FF}\""),
        "DT_GUID"
    );
    assert!(compile_err("(DT_GUID)\"nope\"").message.contains("GUID"));
    assert!(compile_err("(DT_GUID)1").message.contains("cannot be cast"));
    assert!(
        compile_err("(DT_I4)(DT_GUID)\"{6F9619FF-8B86-D011-B42D-00C04FC964FF}\"")
            .message
            .contains("cannot be cast")
    );
    // DT_STR below the root is DT_WSTR, so the bytes are UTF-16.
    assert_eq!(
        show("(DT_BYTES, 2)(DT_BYTES, 4)(DT_STR, 4, 1252)\"abcd\""),
        "6100"
    );
    assert_eq!(show("(DT_BYTES, 3)\"abcd\""), "610062");
    assert_eq!(ty("(DT_NTEXT)\"abc\""), "DT_NTEXT");
    assert_eq!(ty("(DT_TEXT, 1252)\"abc\""), "DT_TEXT,1252");
    assert_eq!(show("(DT_WSTR, 10)(DT_NTEXT)\"abc\""), "abc");
    assert!(compile_err("(DT_I4)@[User::Obj]")
        .message
        .contains("cannot be cast"));
    assert!(compile_err("(DT_IMAGE)1")
        .message
        .contains("cannot be cast"));
}
