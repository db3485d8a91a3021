//! The mathematical functions, including result types and NULL handling.

use super::*;

#[test]
fn abs_ceiling_floor_sign() {
    for (text, shown, t) in [
        ("ABS(-5)", "5", "DT_I4"),
        ("ABS(5L)", "5", "DT_I8"),
        ("ABS(-1.25)", "1.25", "DT_NUMERIC,3,2"),
        ("ABS(-2.5E0)", "2.5", "DT_R8"),
        ("ABS(-2.5f)", "2.5", "DT_R4"),
        ("ABS(7U)", "7", "DT_UI4"),
        ("ABS((DT_CY)-3)", "3.0000", "DT_CY"),
        ("CEILING(1.25)", "2.00", "DT_NUMERIC,3,2"),
        ("CEILING(-1.25)", "-1.00", "DT_NUMERIC,3,2"),
        ("FLOOR(1.75)", "1.00", "DT_NUMERIC,3,2"),
        ("FLOOR(-1.25)", "-2.00", "DT_NUMERIC,3,2"),
        ("CEILING(2.1E0)", "3", "DT_R8"),
        ("FLOOR(-2.1E0)", "-3", "DT_R8"),
        ("FLOOR(7)", "7", "DT_I4"),
        ("SIGN(-12)", "-1", "DT_I4"),
        ("SIGN(0)", "0", "DT_I4"),
        ("SIGN(3.5)", "1", "DT_I4"),
        ("SIGN(-0.5E0)", "-1", "DT_I4"),
        ("abs(-1)", "1", "DT_I4"),
    ] {
        assert_eq!(show(text), shown, "{text}");
        assert_eq!(ty(text), t, "{text}");
    }
    assert!(compile_err("ABS((DT_I1)-128)").message.contains("overflow"));
    assert!(compile_err("ABS(\"1\")").message.contains("numeric"));
}

#[test]
fn exp_ln_log_power_sqrt_square() {
    for (text, v) in [
        ("EXP(0)", 1.0),
        ("LN(1)", 0.0),
        ("LOG(1000)", 3.0),
        ("LOG(0.01)", -2.0),
        ("POWER(2, 10)", 1024.0),
        ("POWER(4, 0.5)", 2.0),
        ("POWER(2, -1)", 0.5),
        ("POWER(0, 0)", 1.0),
        ("SQRT(16)", 4.0),
        ("SQRT(2.25)", 1.5),
        ("SQUARE(12)", 144.0),
        ("SQUARE(-1.5)", 2.25),
    ] {
        assert_eq!(ev(text), Value::R8(v), "{text}");
        assert_eq!(ty(text), "DT_R8", "{text}");
    }
    assert!(
        (f64::from(match ev("EXP(1)") {
            Value::R8(x) => x as f32,
            _ => 0.0,
        }) - std::f64::consts::E)
            .abs()
            < 1e-6
    );
    assert!(is_null("LN(0)"));
    assert!(is_null("LN(-1)"));
    assert!(is_null("LOG(0)"));
    assert!(is_null("POWER(-8, 0.5)"));
    assert!(compile_err("POWER(0, -1)")
        .message
        .contains("negative power"));
    assert!(compile_err("SQRT(-1)").message.contains("negative"));
    assert!(compile_err("POWER(10, 400)").message.contains("overflow"));
}

#[test]
fn round() {
    for (text, shown, t) in [
        ("ROUND(137.1575, 3)", "137.1580", "DT_NUMERIC,7,4"),
        ("ROUND(137.1575, 0)", "137.0000", "DT_NUMERIC,7,4"),
        ("ROUND(2.5, 0)", "3.0", "DT_NUMERIC,2,1"),
        ("ROUND(-2.5, 0)", "-3.0", "DT_NUMERIC,2,1"),
        ("ROUND(1.5, 5)", "1.5", "DT_NUMERIC,2,1"),
        ("ROUND(2.675E0, 2)", "2.68", "DT_R8"),
        ("ROUND(-1.005E0, 2)", "-1.01", "DT_R8"),
        ("ROUND(7, 2)", "7", "DT_I4"),
        ("ROUND((DT_CY)1.23456, 2)", "1.2300", "DT_CY"),
    ] {
        assert_eq!(show(text), shown, "{text}");
        assert_eq!(ty(text), t, "{text}");
    }
    assert!(compile_err("ROUND(1.5, -1)").message.contains("negative"));
    assert!(compile_err("ROUND(1.5, 1.5)").message.contains("integer"));
    assert!(eval_err("ROUND(1.5, @[User::Count] - 10)")
        .to_string()
        .contains("negative"));
}

#[test]
fn math_null_propagation() {
    for text in [
        "ABS(NULL(DT_I4))",
        "CEILING(NULL(DT_R8))",
        "FLOOR(NULL(DT_NUMERIC, 5, 2))",
        "EXP(NULL(DT_R8))",
        "LN(NULL(DT_R8))",
        "LOG(NULL(DT_I4))",
        "POWER(NULL(DT_I4), 2)",
        "POWER(2, NULL(DT_I4))",
        "ROUND(NULL(DT_R8), 2)",
        "ROUND(1.5, NULL(DT_I4))",
        "SIGN(NULL(DT_I4))",
        "SQRT(NULL(DT_I4))",
        "SQUARE(@[User::NullInt])",
    ] {
        assert!(is_null(text), "{text}");
    }
    assert_eq!(ev("SIGN(NULL(DT_R8))"), Value::Null(DataType::I4));
}

#[test]
fn argument_counts_and_names() {
    let e = compile_err("1 + ABS(1, 2)");
    assert_eq!(e.column, 5);
    assert!(
        e.message.contains("takes 1 argument but 2 were given"),
        "{e}"
    );
    assert!(compile_err("POWER(2)")
        .message
        .contains("takes 2 arguments"));
    let e = compile_err("FOO(1)");
    assert!(e.message.contains("\"FOO\" is not a known function"), "{e}");
    assert_eq!(ev("[ABS](-1)"), Value::I4(1));
    assert_eq!(ev("Abs(-1)"), Value::I4(1));
}
