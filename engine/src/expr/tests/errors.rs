//! Compile errors: each names the offending token's 1-based column and says what to do.

use super::*;

#[test]
fn errors_carry_columns_and_actionable_messages() {
    for (text, col, fragment) in [
        ("1 +", 4, "expected a value"),
        ("(1 + 2", 7, "\")\""),
        ("1 2", 3, "end of the expression or an operator"),
        ("@[User::Count] = = 1", 18, "expected a value"),
        ("1 = 1", 3, "use \"==\" to compare"),
        ("\"abc", 1, "not closed"),
        ("\"a\\qb\"", 3, "escape"),
        ("\"\\x12\"", 2, "four hexadecimal digits"),
        ("1 $ 2", 3, "unexpected character '$'"),
        ("12abc", 1, "unexpected character 'a'"),
        ("[abc", 1, "not closed"),
        ("@ x", 1, "variable name"),
        ("@[User::Nope]", 1, "User::Nope"),
        ("LEN()", 1, "takes 1 argument but 0 were given"),
        ("UNKNOWN(1)", 1, "not a known function"),
        (
            "1 + \"a\"",
            3,
            "\"DT_I4\" and \"DT_WSTR\" are incompatible for the operator \"+\"",
        ),
        (
            "@[User::Count] + @[User::Dir]",
            16,
            "incompatible for the operator \"+\"",
        ),
        ("@[User::Count] == @[User::Dir]", 16, "\"==\""),
        ("@[User::Flag] > 1", 15, "\">\""),
        ("TRUE ? 1 : \"x\"", 6, "branches"),
        ("(DT_DBDATE)1", 1, "cannot be cast to \"DT_DBDATE\""),
        ("LEFT(1, 2)", 6, "needs a string argument 1"),
        ("LEFT(\"a\", \"b\")", 11, "needs an integer argument 2"),
        ("DATEPART(\"xx\", GETDATE())", 10, "not a valid date part"),
        ("5 % 2.0", 3, "integer operands"),
        ("1.5 % 1", 5, "integer operands"),
        (
            "!5",
            1,
            "\"!\" cannot be applied to the data type \"DT_I4\"",
        ),
        (
            "[Name] == \"x\"",
            1,
            "column references need a data-flow context",
        ),
        ("1 + #5", 5, "column references need a data-flow context"),
        ("(DT_I4)\"x\"", 1, "cannot convert \"x\" to \"DT_I4\""),
        ("1 / 0", 3, "division by zero"),
        ("(DT_UI1)300", 1, "overflow"),
        ("NULL(DT_FOO)", 6, "not a valid data type"),
    ] {
        let e = compile_err(text);
        assert_eq!(e.column, col, "{text}: {e}");
        assert!(e.message.contains(fragment), "{text}: {e}");
        assert_eq!(e.to_string(), format!("column {col}: {}", e.message));
    }
}

#[test]
fn columns_count_characters_not_bytes() {
    let e = compile_err("\"é€\" + 1");
    assert_eq!(e.column, 6);
    let e = compile_err("\"a\"\n+ 1");
    assert_eq!(e.column, 5);
}

#[test]
fn evaluation_errors_are_descriptive() {
    let e = eval_err("@[User::Count] / (@[User::Count] - 7)");
    assert_eq!(e.to_string(), "division by zero in the operator \"/\"");
    let e = eval_err("@[User::Count] * 1000000000");
    assert_eq!(
        e.to_string(),
        "the result of the operator \"*\" does not fit the data type \"DT_I4\""
    );
    let e = eval_err("(DT_I4)@[User::Dir]");
    assert!(
        e.to_string()
            .contains("cannot convert \"C:\\data\" to \"DT_I4\""),
        "{e}"
    );
    let e = eval_err("SUBSTRING(@[User::File], @[User::Count] - 7, 1)");
    assert!(e.to_string().contains("SUBSTRING"), "{e}");
}

#[test]
fn expressions_are_thread_safe_values() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Expression>();
    assert_send_sync::<Value>();
    assert_send_sync::<super::super::ExprError>();
    assert_send_sync::<super::super::EvalError>();
}

#[test]
fn constant_folding() {
    let t = table();
    assert!(Expression::compile("1 + 2 * 3", &t).unwrap().is_constant());
    assert!(Expression::compile("UPPER(\"a\") + \"b\"", &t)
        .unwrap()
        .is_constant());
    assert!(
        Expression::compile("TRUE ? @[User::Count] : 2", &t)
            .unwrap()
            .variables()
            .len()
            == 1
    );
    assert!(!Expression::compile("@[User::Count] + 1", &t)
        .unwrap()
        .is_constant());
    assert!(!Expression::compile("YEAR(GETDATE())", &t)
        .unwrap()
        .is_constant());
}
