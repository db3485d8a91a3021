//! Operators: precedence, associativity, promotion, integer division, overflow, strings, dates,
//! logic, bitwise, the conditional.

use super::*;

#[test]
fn precedence_and_associativity() {
    for (text, expected) in [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),
        ("100 / 10 / 5", "2"),
        ("2 * 3 % 4", "2"),
        ("7 % 4 * 2", "6"),
        ("-2 * 3", "-6"),
        ("- -2", "2"),
        ("1 + 2 == 3", "True"),
        ("1 < 2 == 2 < 3", "True"),
        ("1 == 1 && 2 == 3", "False"),
        ("TRUE || FALSE && FALSE", "True"),
        ("(TRUE || FALSE) && FALSE", "False"),
        ("!FALSE && TRUE", "True"),
        ("1 | 2 & 3", "3"),
        ("6 & 3 ^ 1", "3"),
        ("1 ^ 3 | 4", "6"),
        ("~0", "-1"),
        ("~170", "-171"),
        ("TRUE ? 1 : 2", "1"),
        ("FALSE ? 1 : TRUE ? 2 : 3", "2"),
        ("1 > 2 ? \"a\" : \"b\"", "b"),
        ("(DT_I4)2.6 * 2", "6"),
        ("(DT_WSTR, 5)1 + \"x\"", "1x"),
        ("3 - -3", "6"),
    ] {
        assert_eq!(show(text), expected, "{text}");
    }
}

#[test]
fn integer_division_and_modulo() {
    assert_eq!(ev("5 / 2"), Value::I4(2));
    assert_eq!(ty("5 / 2"), "DT_I4");
    assert_eq!(ev("-5 / 2"), Value::I4(-2));
    assert_eq!(ev("7 % 3"), Value::I4(1));
    assert_eq!(ev("-7 % 3"), Value::I4(-1));
    assert_eq!(ev("7L / 2"), Value::I8(3));
    assert_eq!(ev("7U % 4U"), Value::UI4(3));
    assert_eq!(ev("@[User::Count] / 2"), Value::I4(3));
    assert_eq!(ev("5.0 / 2 == 2.5"), Value::Bool(true));
    assert_eq!(show("5.0 / 2"), "2.500000000000");
    assert_eq!(ev("5 / 2.0L"), Value::R8(2.5));
}

#[test]
fn division_by_zero() {
    // Constants: a compile-time error with the operator's column.
    let e = compile_err("10 / 0");
    assert_eq!(e.column, 4);
    assert!(e.message.contains("division by zero"), "{e}");
    assert_eq!(compile_err("1 + 10 % 0").column, 8);
    assert!(compile_err("1.5 / 0").message.contains("division by zero"));
    assert!(compile_err("1.5E0 / 0")
        .message
        .contains("division by zero"));
    // Variables: at evaluation.
    assert_eq!(eval_err("@[User::Count] / 0"), EvalError::DivideByZero("/"));
    assert_eq!(
        eval_err("@[User::Count] % (@[User::Count] - 7)"),
        EvalError::DivideByZero("%")
    );
}

use super::super::EvalError;

#[test]
fn integer_overflow_is_an_error() {
    assert!(matches!(
        eval_err("@[User::Count] * 2147483647"),
        EvalError::Overflow { .. }
    ));
    assert!(compile_err("2147483647 + 1")
        .message
        .contains("does not fit"));
    assert!(compile_err("-2147483647 - 2").message.contains("DT_I4"));
    assert_eq!(ev("2147483647L + 1"), Value::I8(2_147_483_648));
    assert!(compile_err("0U - 1U").message.contains("DT_UI4"));
    assert!(matches!(
        eval_err("@[User::Big] * @[User::Big]"),
        EvalError::Overflow { .. }
    ));
}

#[test]
fn numeric_promotion() {
    for (text, t) in [
        ("1 + 1", "DT_I4"),
        ("1 + 1L", "DT_I8"),
        ("1U + 1U", "DT_UI4"),
        ("1U + 1", "DT_I8"),
        ("@[User::Small] + @[User::Small]", "DT_UI1"),
        ("@[User::Small] + (DT_I1)1", "DT_I2"),
        ("(DT_I2)1 + (DT_UI2)1", "DT_I4"),
        ("(DT_I8)1 + (DT_UI4)1", "DT_I8"),
        ("(DT_UI1)1 + (DT_UI4)1", "DT_UI4"),
        ("1 + 1.5E0", "DT_R8"),
        ("1 + 1.5f", "DT_R8"),
        ("(DT_I2)1 + 1.5f", "DT_R4"),
        ("1.5f + 1.5f", "DT_R4"),
        ("1.5f + 2.5L", "DT_R8"),
        ("1.5 + 1.25", "DT_NUMERIC,4,2"),
        ("1.5 * 1.25", "DT_NUMERIC,6,3"),
        ("1 + 1.5", "DT_NUMERIC,12,1"),
        ("(DT_CY)1 + (DT_CY)2", "DT_CY"),
        ("(DT_CY)1 + 2", "DT_CY"),
        ("(DT_DECIMAL, 2)1 + (DT_DECIMAL, 2)2", "DT_NUMERIC,30,2"),
        ("1.5 + 2.5E0", "DT_R8"),
        ("@[User::Ratio] * 4", "DT_R8"),
    ] {
        assert_eq!(ty(text), t, "{text}");
    }
    assert_eq!(show("1U + 1"), "2");
    assert_eq!(show("1.5 + 1.25"), "2.75");
    assert_eq!(show("1.5 * 1.25"), "1.875");
    assert_eq!(show("1 + 1.5"), "2.5");
    assert_eq!(show("10 / 4.0"), "2.500000");
    assert_eq!(show("(DT_CY)1.5 * (DT_CY)2"), "3.0000");
    assert_eq!(show("@[User::Ratio] * 4"), "1");
    assert_eq!(show("1.5f + 1.5f"), "3");
}

#[test]
fn unsigned_eight_bytes_with_signed_needs_a_cast() {
    let e = compile_err("1UL + 1");
    assert!(e.message.contains("\"DT_UI8\" and \"DT_I4\""), "{e}");
    assert_eq!(e.column, 5);
    assert_eq!(ev("1UL + (DT_UI8)1"), Value::UI8(2));
}

#[test]
fn booleans_are_not_numbers() {
    let e = compile_err("TRUE + 1");
    assert!(e.message.contains("\"DT_BOOL\" and \"DT_I4\""), "{e}");
    assert_eq!(e.column, 6);
    assert!(compile_err("TRUE == 1").message.contains("incompatible"));
    assert!(compile_err("1 && TRUE").message.contains("incompatible"));
    assert!(compile_err("!1").message.contains("\"!\""));
    assert!(compile_err("-TRUE").message.contains("\"-\""));
    assert!(compile_err("1 ? 2 : 3").message.contains("condition"));
}

#[test]
fn unary_operators() {
    assert_eq!(ev("-5"), Value::I4(-5));
    assert_eq!(ev("-(DT_I1)5"), Value::I1(-5));
    assert_eq!(ev("-1.5"), ev("(DT_NUMERIC,2,1)-1.5"));
    assert_eq!(ev("-2.5E0"), Value::R8(-2.5));
    assert!(compile_err("-5U").message.contains("DT_UI4"));
    assert!(compile_err("-(DT_I1)-128").message.contains("does not fit"));
    assert_eq!(ev("!TRUE"), Value::Bool(false));
    assert_eq!(ev("!!TRUE"), Value::Bool(true));
    assert_eq!(ev("~(DT_UI1)0"), Value::UI1(255));
    assert_eq!(ev("~5L"), Value::I8(-6));
    assert!(compile_err("~1.5").message.contains("\"~\""));
}

#[test]
fn string_concatenation() {
    assert_eq!(show("\"abc\" + \"def\""), "abcdef");
    assert_eq!(ty("\"abc\" + \"de\""), "DT_WSTR,5");
    assert_eq!(ty("@[User::Dir] + \"x\""), "DT_WSTR,0");
    assert_eq!(
        show("@[User::Dir] + \"\\\\\" + @[User::File] + \".csv\""),
        "C:\\data\\sales.csv"
    );
    assert_eq!(show("\"\" + \"\""), "");
    assert_eq!(show("\"n=\" + (DT_WSTR, 10)@[User::Count]"), "n=7");
    assert_eq!(show("(DT_STR, 4, 1252)\"ab\" + \"cd\""), "abcd");
    let e = compile_err("\"a\" + 1");
    assert_eq!(
        e.message,
        "the data types \"DT_WSTR\" and \"DT_I4\" are incompatible for the operator \"+\""
    );
    assert_eq!(e.column, 5);
    let e = compile_err("@[User::Dir] + @[User::Count]");
    assert_eq!(e.column, 14);
    assert_eq!(e.to_string(), "column 14: the data types \"DT_WSTR\" and \"DT_I4\" are incompatible for the operator \"+\"");
    assert!(compile_err("\"a\" - \"b\"").message.contains("\"-\""));
    assert!(compile_err("\"a\" * 2").message.contains("incompatible"));
}

#[test]
fn string_comparison() {
    for (text, expected) in [
        ("\"abc\" == \"abc\"", true),
        ("\"abc\" == \"ABC\"", false),
        ("\"abc\" != \"abc \"", true),
        ("\"abc\" < \"abd\"", true),
        ("\"b\" > \"abc\"", true),
        ("\"B\" < \"a\"", true),
        ("\"\" < \"a\"", true),
        ("\"abc\" <= \"abc\"", true),
        ("\"abc\" >= \"abd\"", false),
        ("@[User::File] == \"sales\"", true),
        ("@[User::Empty] == \"\"", true),
        ("(DT_STR, 5, 1252)\"abc\" == \"abc\"", true),
    ] {
        assert_eq!(ev(text), Value::Bool(expected), "{text}");
    }
    assert!(compile_err("\"1\" == 1").message.contains("incompatible"));
}

#[test]
fn numeric_comparison() {
    for (text, expected) in [
        ("1 == 1", true),
        ("1 != 1", false),
        ("1 < 2", true),
        ("2 <= 2", true),
        ("3 > 2", true),
        ("3 >= 4", false),
        ("1 == 1.0", true),
        ("1.50 == 1.5", true),
        ("1U == 1", true),
        ("(DT_I8)-1 < 0U", true),
        ("0.1E0 + 0.2E0 == 0.3E0", false),
        ("1.5f == 1.5", true),
        ("(DT_CY)1.5 == 1.5", true),
        ("@[User::Big] > @[User::Count]", true),
        ("@[User::Ratio] < 1", true),
        ("TRUE == TRUE", true),
        ("TRUE != FALSE", true),
        ("TRUE < FALSE", true),
    ] {
        assert_eq!(ev(text), Value::Bool(expected), "{text}");
    }
}

#[test]
fn date_comparison() {
    for (text, expected) in [
        ("(DT_DBTIMESTAMP)\"2024-01-02\" > (DT_DBTIMESTAMP)\"2024-01-01\"", true),
        ("(DT_DBDATE)\"2024-01-02\" == (DT_DBTIMESTAMP)\"2024-01-02 00:00:00\"", true),
        ("(DT_DBDATE)\"2024-01-02\" < (DT_DBTIMESTAMP)\"2024-01-02 00:00:01\"", true),
        ("(DT_DBTIMESTAMPOFFSET,3)\"1999-10-11 20:34:52.123 -3:30\" != (DT_DBDATE)\"1999-10-12\"", true),
        ("(DT_DBTIMESTAMPOFFSET,0)\"2024-01-01 10:00:00 +02:00\" == (DT_DBTIMESTAMP)\"2024-01-01 08:00:00\"", true),
        ("(DT_DBTIME)\"10:00:00\" < (DT_DBTIME2, 3)\"10:00:00.5\"", true),
        ("@[User::When] > (DT_DBDATE)\"2024-03-15\"", true),
        ("(DT_DATE)\"2024-03-15\" == (DT_DBDATE)\"2024-03-15\"", true),
        ("(DT_DBTIMESTAMP2, 7)\"2024-01-01 00:00:00.0000001\" > (DT_DBTIMESTAMP)\"2024-01-01\"", true),
    ] {
        assert_eq!(ev(text), Value::Bool(expected), "{text}");
    }
    let e = compile_err("(DT_DBTIME)\"10:00:00\" < (DT_DBDATE)\"2024-01-01\"");
    assert!(e.message.contains("incompatible"), "{e}");
    assert!(compile_err("(DT_DBDATE)\"2024-01-01\" == \"2024-01-01\"")
        .message
        .contains("incompatible"));
}

#[test]
fn other_comparisons() {
    let g = "(DT_GUID)\"{6F9619FF-8B86-D011-B42D-00C04FC964FF}\"";
    assert_eq!(ev(&format!("{g} == {g}")), Value::Bool(true));
    assert!(compile_err(&format!("{g} < {g}")).message.contains("\"<\""));
    assert_eq!(
        ev("(DT_BYTES, 2)\"ab\" == (DT_BYTES, 2)\"ab\""),
        Value::Bool(true)
    );
}

#[test]
fn logical_operators() {
    for (text, expected) in [
        ("TRUE && TRUE", Some(true)),
        ("TRUE && FALSE", Some(false)),
        ("FALSE && TRUE", Some(false)),
        ("TRUE || FALSE", Some(true)),
        ("FALSE || FALSE", Some(false)),
        ("NULL(DT_BOOL) && FALSE", Some(false)),
        ("FALSE && NULL(DT_BOOL)", Some(false)),
        ("NULL(DT_BOOL) && TRUE", None),
        ("TRUE && NULL(DT_BOOL)", None),
        ("NULL(DT_BOOL) && NULL(DT_BOOL)", None),
        ("NULL(DT_BOOL) || TRUE", Some(true)),
        ("TRUE || NULL(DT_BOOL)", Some(true)),
        ("NULL(DT_BOOL) || FALSE", None),
        ("FALSE || NULL(DT_BOOL)", None),
        ("NULL(DT_BOOL) || NULL(DT_BOOL)", None),
        ("!NULL(DT_BOOL)", None),
        ("@[User::Flag] && @[User::Count] > 5", Some(true)),
    ] {
        let v = ev(text);
        match expected {
            Some(b) => assert_eq!(v, Value::Bool(b), "{text}"),
            None => assert_eq!(v, Value::Null(DataType::Bool), "{text}"),
        }
    }
}

#[test]
fn short_circuit_skips_errors_on_the_other_side() {
    assert_eq!(ev("FALSE && @[User::Count] / 0 == 1"), Value::Bool(false));
    assert_eq!(ev("TRUE || @[User::Count] / 0 == 1"), Value::Bool(true));
    assert_eq!(
        ev("@[User::Count] > 0 ? 1 : @[User::Count] / 0"),
        Value::I4(1)
    );
}

#[test]
fn bitwise_operators() {
    assert_eq!(ev("12 & 10"), Value::I4(8));
    assert_eq!(ev("12 | 10"), Value::I4(14));
    assert_eq!(ev("12 ^ 10"), Value::I4(6));
    assert_eq!(ev("12U & 10U"), Value::UI4(8));
    assert_eq!(ev("(DT_I2)12 | 1L"), Value::I8(13));
    assert_eq!(ev("-1 & 255"), Value::I4(255));
    let e = compile_err("1 & 1U");
    assert!(e.message.contains("\"&\""), "{e}");
    assert_eq!(e.column, 3);
    assert!(compile_err("1.5 | 1").message.contains("\"|\""));
    assert!(compile_err("TRUE ^ FALSE").message.contains("\"^\""));
}

#[test]
fn conditional_operator() {
    assert_eq!(
        ev("@[User::Count] > 5 ? \"big\" : \"small\""),
        Value::WStr("big".into())
    );
    assert_eq!(ty("TRUE ? \"ab\" : \"abcd\""), "DT_WSTR,4");
    assert_eq!(ty("@[User::Flag] ? 1 : 2L"), "DT_I8");
    assert_eq!(ev("@[User::Flag] ? 1 : 2L"), Value::I8(1));
    assert_eq!(ty("@[User::Flag] ? 1 : 2.5"), "DT_NUMERIC,11,1");
    assert_eq!(show("@[User::Flag] ? 1 : 2.5"), "1.0");
    assert_eq!(
        ty("@[User::Flag] ? (DT_DBDATE)\"2024-01-01\" : (DT_DBTIMESTAMP)\"2024-01-01\""),
        "DT_DBTIMESTAMP"
    );
    assert!(is_null("NULL(DT_BOOL) ? 1 : 2"));
    assert_eq!(ev("NULL(DT_BOOL) ? 1 : 2"), Value::Null(DataType::I4));
    assert!(is_null("TRUE ? NULL(DT_I4) : 2"));
    assert_eq!(ev("FALSE ? NULL(DT_I4) : 2"), Value::I4(2));
    assert_eq!(
        ev("@[User::Flag] ? NULL(DT_I4) : 2"),
        Value::Null(DataType::I4)
    );
    assert_eq!(ev("!@[User::Flag] ? NULL(DT_I4) : 2"), Value::I4(2));
    let e = compile_err("TRUE ? 1 : \"a\"");
    assert_eq!(e.column, 6);
    assert!(e.message.contains("\"DT_I4\" and \"DT_WSTR\""), "{e}");
    assert!(compile_err("TRUE ? TRUE : 1")
        .message
        .contains("incompatible"));
    assert!(compile_err("\"x\" ? 1 : 2").message.contains("DT_BOOL"));
}

#[test]
fn null_propagation_in_operators() {
    for text in [
        "NULL(DT_I4) + 1",
        "1 + NULL(DT_I4)",
        "NULL(DT_I4) - 1",
        "NULL(DT_I4) * 2",
        "NULL(DT_I4) / 2",
        "NULL(DT_I4) / 0",
        "NULL(DT_I4) % 2",
        "-NULL(DT_I4)",
        "~NULL(DT_I4)",
        "NULL(DT_I4) & 1",
        "NULL(DT_I4) | 1",
        "NULL(DT_I4) ^ 1",
        "NULL(DT_I4) == 1",
        "NULL(DT_I4) != 1",
        "NULL(DT_I4) < 1",
        "NULL(DT_I4) >= 1",
        "NULL(DT_WSTR, 5) + \"a\"",
        "\"a\" + NULL(DT_WSTR, 5)",
        "NULL(DT_WSTR, 5) == \"a\"",
        "@[User::NullInt] + 1",
        "@[User::NullStr] + \"x\"",
        "@[User::NullInt] > 1",
        "(DT_WSTR, 5)NULL(DT_I4)",
        "(DT_I4)NULL(DT_WSTR, 3)",
        "NULL(DT_DBDATE) < (DT_DBDATE)\"2024-01-01\"",
    ] {
        assert!(is_null(text), "{text}");
    }
    assert_eq!(ty("NULL(DT_I4) + 1"), "DT_I4");
    assert_eq!(ev("NULL(DT_I4) + 1"), Value::Null(DataType::I4));
    assert_eq!(ev("NULL(DT_I4) == 1"), Value::Null(DataType::Bool));
}

#[test]
fn variables() {
    assert_eq!(ev("@[User::Count]"), Value::I4(7));
    assert_eq!(ev("@Count"), Value::I4(7));
    assert_eq!(ev("@[Count]"), Value::I4(7));
    assert_eq!(ev("@[System::PackageName]"), Value::WStr("Load".into()));
    assert_eq!(ev("@[Other::Dup]"), Value::I4(2));
    assert_eq!(ty("@[User::When]"), "DT_DATE");
    assert_eq!(ty("@[User::Flag]"), "DT_BOOL");
    let e = compile_err("1 + @Dup");
    assert_eq!(e.column, 5);
    assert!(e.message.contains("ambiguous"), "{e}");
    let e = compile_err("@[User::Missing] + 1");
    assert_eq!(e.column, 1);
    assert!(e.message.contains("User::Missing"), "{e}");
    assert!(compile_err("@[user::Count]").message.contains("not found"));
    assert!(compile_err("@count").message.contains("not found"));
    assert!(compile_err("@[User::Obj] + 1")
        .message
        .contains("DT_OBJECT"));
    assert_eq!(ev("ISNULL(@[User::Obj])"), Value::Bool(false));
}

#[test]
fn variable_list_and_assignment() {
    let t = table();
    let e = Expression::compile("@[User::Count] + @Count + @[User::Big]", &t).unwrap();
    assert_eq!(e.variables().len(), 2);
    let e = Expression::compile("@[User::Count] = @[User::Count] + 1", &t).unwrap();
    let (target, target_ty) = e.assignment_target().unwrap();
    assert_eq!(target_ty, DataType::I4);
    assert_eq!(e.evaluate(&t).unwrap(), Value::I4(8));
    assert_eq!(target.0, 0);
    let e = Expression::compile("@[User::File] = GETDATE()", &t).unwrap();
    assert!(e.result_type().is_string());
    let e = Expression::compile("@[User::Big] = 5", &t).unwrap();
    assert_eq!(e.evaluate(&t).unwrap(), Value::I8(5));
    assert!(Expression::compile("@[User::Count] = (DT_DBDATE)\"2024-01-01\"", &t).is_err());
    let info = Expression::parse_only("@[User::X] = @[User::A] + @B + @[User::A]").unwrap();
    assert_eq!(info.variables.len(), 2);
    assert_eq!(info.assignment_target.unwrap().name, "X");
}

#[test]
fn variables_with_other_runtime_types_are_converted() {
    let mut t = table();
    let (r, _) = super::super::VariableScope::resolve(&t, Some("User"), "Count").unwrap();
    let e = Expression::compile("@[User::Count] + 1", &t).unwrap();
    t.set_value(r, Value::I8(41));
    assert_eq!(e.evaluate(&t).unwrap(), Value::I4(42));
    t.set_value(r, Value::WStr("9".into()));
    assert_eq!(e.evaluate(&t).unwrap(), Value::I4(10));
    t.set_value(r, Value::Empty);
    assert_eq!(e.evaluate(&t).unwrap(), Value::Null(DataType::I4));
    // A plain slice of values also serves.
    let values = vec![Value::I4(1)];
    assert_eq!(e.evaluate(&values).unwrap(), Value::I4(2));
}

#[test]
fn column_references_need_a_data_flow() {
    for (text, col) in [
        ("[Col] + 1", 1),
        ("1 + Col", 5),
        ("#12", 1),
        ("[Src].[Age] * 2", 1),
        ("LEN(Name)", 5),
    ] {
        let e = compile_err(text);
        assert_eq!(e.column, col, "{text}");
        assert!(
            e.message
                .contains("column references need a data-flow context"),
            "{text}: {e}"
        );
    }
    assert!(Expression::parse_only("[My Source].Age + #12").is_ok());
}
