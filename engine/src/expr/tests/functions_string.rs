//! The string functions, including boundary cases and NULL handling.

use super::*;

fn s(text: &str) -> String {
    show(text)
}

#[test]
fn codepoint_findstring_hex_len() {
    assert_eq!(ev("CODEPOINT(\"A\")"), Value::UI2(65));
    assert_eq!(ev("CODEPOINT(\"abc\")"), Value::UI2(97));
    assert_eq!(ev("CODEPOINT(\"\\x20AC\")"), Value::UI2(0x20AC));
    assert!(is_null("CODEPOINT(\"\")"));
    assert_eq!(ty("CODEPOINT(\"A\")"), "DT_UI2");
    for (text, v) in [
        ("FINDSTRING(\"abc\", \"x\", 1)", 0),
        ("FINDSTRING(\"abcabc\", \"bc\", 1)", 2),
        ("FINDSTRING(\"abcabc\", \"bc\", 2)", 5),
        ("FINDSTRING(\"abcabc\", \"bc\", 3)", 0),
        ("FINDSTRING(\"aaa\", \"aa\", 2)", 2),
        ("FINDSTRING(\"New York, NY\", \"NY\", 1)", 11),
        ("FINDSTRING(\"héllo\", \"l\", 1)", 3),
        ("FINDSTRING(\"abc\", \"\", 1)", 0),
        ("FINDSTRING(@[User::File], \"l\", 1)", 3),
    ] {
        assert_eq!(ev(text), Value::I4(v), "{text}");
    }
    assert!(compile_err("FINDSTRING(\"abc\", \"b\", 0)")
        .message
        .contains("greater than zero"));
    assert!(eval_err("FINDSTRING(\"abc\", \"b\", @[User::Count] - 7)")
        .to_string()
        .contains("greater than zero"));
    for (text, v) in [
        ("HEX(255)", "FF"),
        ("HEX(0)", "0"),
        ("HEX(-1)", "FFFFFFFF"),
        ("HEX((DT_I1)-1)", "FF"),
        ("HEX((DT_I2)-2)", "FFFE"),
        ("HEX(-1L)", "FFFFFFFFFFFFFFFF"),
        ("HEX(4096U)", "1000"),
        ("HEX(@[User::Small])", "C8"),
    ] {
        assert_eq!(s(text), v, "{text}");
    }
    assert!(compile_err("HEX(1.5)").message.contains("integer"));
    assert!(compile_err("HEX(\"1\")").message.contains("integer"));
    for (text, v) in [
        ("LEN(\"abc\")", 3),
        ("LEN(\"  abc  \")", 7),
        ("LEN(\"\")", 0),
        ("LEN(\"héllo\")", 5),
        ("LEN(@[User::Dir])", 7),
        ("LEN((DT_BYTES, 10)(DT_WSTR, 2)\"ab\")", 4),
    ] {
        assert_eq!(ev(text), Value::I4(v), "{text}");
    }
    assert!(compile_err("LEN(5)").message.contains("string"));
}

#[test]
fn left_right_substring() {
    for (text, v) in [
        ("LEFT(\"abcdef\", 3)", "abc"),
        ("LEFT(\"abc\", 10)", "abc"),
        ("LEFT(\"abc\", 0)", ""),
        ("RIGHT(\"abcdef\", 2)", "ef"),
        ("RIGHT(\"abc\", 10)", "abc"),
        ("RIGHT(\"abc\", 0)", ""),
        ("RIGHT(\"00\" + \"7\", 2)", "07"),
        ("LEFT(\"héllo\", 2)", "hé"),
        ("SUBSTRING(\"abc\", 2, 10)", "bc"),
        ("SUBSTRING(\"abcdef\", 2, 3)", "bcd"),
        ("SUBSTRING(\"abc\", 4, 1)", ""),
        ("SUBSTRING(\"abc\", 10, 1)", ""),
        ("SUBSTRING(\"abc\", 1, 0)", ""),
        ("SUBSTRING(\"héllo\", 2, 2)", "él"),
        (
            "SUBSTRING(@[User::File], 1, FINDSTRING(@[User::File], \"e\", 1) - 1)",
            "sal",
        ),
    ] {
        assert_eq!(s(text), v, "{text}");
    }
    assert_eq!(ty("LEFT(\"abcdef\", 3)"), "DT_WSTR,6");
    assert!(compile_err("LEFT(\"abc\", -1)")
        .message
        .contains("zero or more"));
    assert!(compile_err("RIGHT(\"abc\", -1)")
        .message
        .contains("zero or more"));
    assert!(compile_err("SUBSTRING(\"abc\", 0, 1)")
        .message
        .contains("greater than zero"));
    assert!(compile_err("SUBSTRING(\"abc\", 1, -1)")
        .message
        .contains("zero or more"));
    assert!(eval_err("LEFT(\"abc\", @[User::Count] - 8)")
        .to_string()
        .contains("negative"));
    assert!(compile_err("LEFT(\"abc\", \"1\")")
        .message
        .contains("integer"));
    let e = compile_err("SUBSTRING(\"abc\", 1, 1.5)");
    assert_eq!(e.column, 21);
}

#[test]
fn case_trim_reverse() {
    for (text, v) in [
        ("LOWER(\"AbC\")", "abc"),
        ("UPPER(\"AbC\")", "ABC"),
        ("UPPER(\"straße\")", "STRASSE"),
        ("LOWER(\"ÉCOLE\")", "école"),
        ("LTRIM(\"  a b  \")", "a b  "),
        ("RTRIM(\"  a b  \")", "  a b"),
        ("TRIM(\"  a b  \")", "a b"),
        ("TRIM(\"\\t a \\t\")", "\t a \t"),
        ("TRIM(\"    \")", ""),
        ("REVERSE(\"abc\")", "cba"),
        ("REVERSE(\"\")", ""),
        ("REVERSE(\"héllo\")", "olléh"),
    ] {
        assert_eq!(s(text), v, "{text}");
    }
    assert_eq!(ty("UPPER(\"ab\")"), "DT_WSTR,2");
    assert_eq!(ty("TRIM(@[User::Dir])"), "DT_WSTR,0");
}

#[test]
fn replace_replicate() {
    for (text, v) in [
        ("REPLACE(\"a-b-c\", \"-\", \"+\")", "a+b+c"),
        ("REPLACE(\"abc\", \"x\", \"y\")", "abc"),
        ("REPLACE(\"abc\", \"b\", \"\")", "ac"),
        ("REPLACE(\"aaa\", \"aa\", \"b\")", "ba"),
        ("REPLICATE(\"ab\", 3)", "ababab"),
        ("REPLICATE(\"ab\", 0)", ""),
        ("REPLICATE(\"\", 5)", ""),
    ] {
        assert_eq!(s(text), v, "{text}");
    }
    assert!(compile_err("REPLACE(\"abc\", \"\", \"x\")")
        .message
        .contains("empty"));
    assert!(eval_err("REPLACE(\"abc\", @[User::Empty], \"x\")")
        .to_string()
        .contains("empty"));
    assert!(compile_err("REPLICATE(\"a\", -1)")
        .message
        .contains("zero or more"));
    assert!(compile_err("REPLICATE(\"abc\", 100000000)")
        .message
        .contains("too long"));
}

#[test]
fn token_and_tokencount() {
    for (text, v) in [
        ("TOKEN(\"a little white dog\", \" \", 2)", "little"),
        ("TOKEN(\"a little white dog\", \" \", 4)", "dog"),
        ("TOKEN(\"a little white dog\", \" \", 5)", ""),
        ("TOKEN(\"  a  b\", \" \", 1)", "a"),
        ("TOKEN(\"a;b,c\", \";,\", 3)", "c"),
        ("TOKEN(\"abc\", \",\", 1)", "abc"),
        ("TOKEN(\"abc\", \"\", 1)", "abc"),
        ("TOKEN(\"2024-01-15\", \"-\", 2)", "01"),
    ] {
        assert_eq!(s(text), v, "{text}");
    }
    assert!(compile_err("TOKEN(\"a b\", \" \", 0)")
        .message
        .contains("greater than zero"));
    for (text, v) in [
        ("TOKENCOUNT(\"a little white dog\", \" \")", 4),
        ("TOKENCOUNT(\"  a  b  \", \" \")", 2),
        ("TOKENCOUNT(\"\", \" \")", 0),
        ("TOKENCOUNT(\"abc\", \",\")", 1),
        ("TOKENCOUNT(\"a;b,c\", \";,\")", 3),
        ("TOKENCOUNT(NULL(DT_WSTR, 5), \" \")", 0),
        ("TOKENCOUNT(\"a b\", NULL(DT_WSTR, 1))", 0),
    ] {
        assert_eq!(ev(text), Value::I4(v), "{text}");
    }
}

#[test]
fn string_null_propagation() {
    for text in [
        "CODEPOINT(NULL(DT_WSTR, 1))",
        "FINDSTRING(NULL(DT_WSTR, 5), \"a\", 1)",
        "FINDSTRING(\"abc\", NULL(DT_WSTR, 5), 1)",
        "HEX(NULL(DT_I4))",
        "LEFT(NULL(DT_WSTR, 5), 1)",
        "LEFT(\"abc\", NULL(DT_I4))",
        "LEN(NULL(DT_WSTR, 5))",
        "LOWER(@[User::NullStr])",
        "UPPER(NULL(DT_WSTR, 5))",
        "LTRIM(NULL(DT_WSTR, 5))",
        "RTRIM(NULL(DT_WSTR, 5))",
        "TRIM(NULL(DT_WSTR, 5))",
        "REPLACE(NULL(DT_WSTR, 5), \"a\", \"b\")",
        "REPLACE(\"abc\", \"a\", NULL(DT_WSTR, 5))",
        "REPLICATE(NULL(DT_WSTR, 5), 2)",
        "REPLICATE(\"a\", NULL(DT_I4))",
        "REVERSE(NULL(DT_WSTR, 5))",
        "RIGHT(NULL(DT_WSTR, 5), 1)",
        "SUBSTRING(NULL(DT_WSTR, 5), 1, 1)",
        "SUBSTRING(\"abc\", NULL(DT_I4), 1)",
        "TOKEN(NULL(DT_WSTR, 5), \" \", 1)",
    ] {
        assert!(is_null(text), "{text}");
    }
    assert_eq!(ev("LEN(NULL(DT_WSTR, 5))"), Value::Null(DataType::I4));
}

#[test]
fn string_functions_accept_dt_str() {
    assert_eq!(s("UPPER((DT_STR, 5, 1252)\"abc\")"), "ABC");
    assert_eq!(ty("UPPER((DT_STR, 5, 1252)\"abc\")"), "DT_WSTR,5");
    assert_eq!(s("LEFT((DT_STR, 5, 1252)5, 1)"), "5");
}
