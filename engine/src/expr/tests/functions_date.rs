//! The date/time functions: every date part and abbreviation, DATEADD month-end clamping,
//! DATEDIFF boundaries, GETDATE, and NULL handling.

use super::*;

const D: &str = "(DT_DBTIMESTAMP)\"2024-03-15 13:45:30.250\"";

fn part(p: &str) -> Value {
    ev(&format!("DATEPART(\"{p}\", {D})"))
}

#[test]
fn datepart_every_part_and_abbreviation() {
    for (names, v) in [
        (&["year", "yy", "yyyy", "YEAR", "Year"][..], 2024),
        (&["quarter", "qq", "q"][..], 1),
        (&["month", "mm", "m", "Month"][..], 3),
        (&["dayofyear", "dy", "y"][..], 75),
        (&["day", "dd", "d", "DD"][..], 15),
        (&["week", "wk", "ww"][..], 11),
        (&["weekday", "dw"][..], 6),
        (&["hour", "hh", "Hh"][..], 13),
        (&["minute", "mi", "n"][..], 45),
        (&["second", "ss", "s"][..], 30),
        (&["millisecond", "ms", "Ms"][..], 250),
    ] {
        for n in names {
            assert_eq!(part(n), Value::I4(v), "{n}");
        }
    }
    let e = compile_err(&format!("DATEPART(\"w\", {D})"));
    assert!(e.message.contains("not a valid date part"), "{e}");
    assert_eq!(e.column, 10);
    assert!(compile_err(&format!("DATEPART(\"fortnight\", {D})"))
        .message
        .contains("fortnight"));
    assert_eq!(ty(&format!("DATEPART(\"yy\", {D})")), "DT_I4");
}

#[test]
fn datepart_weeks_and_weekdays() {
    for (date, week, weekday) in [
        ("2024-01-01", 1, 2),
        ("2024-01-06", 1, 7),
        ("2024-01-07", 2, 1),
        ("2023-01-01", 1, 1),
        ("2023-12-31", 53, 1),
        ("2022-12-31", 53, 7),
    ] {
        assert_eq!(
            ev(&format!("DATEPART(\"wk\", (DT_DBDATE)\"{date}\")")),
            Value::I4(week),
            "{date}"
        );
        assert_eq!(
            ev(&format!("DATEPART(\"dw\", (DT_DBDATE)\"{date}\")")),
            Value::I4(weekday),
            "{date}"
        );
    }
    assert_eq!(
        ev("DATEPART(\"dy\", (DT_DBDATE)\"2024-12-31\")"),
        Value::I4(366)
    );
    assert_eq!(
        ev("DATEPART(\"q\", (DT_DBDATE)\"2024-10-01\")"),
        Value::I4(4)
    );
    assert_eq!(
        ev("DATEPART(\"hh\", (DT_DBTIME)\"21:05:00\")"),
        Value::I4(21)
    );
    assert_eq!(ev("DATEPART(\"yy\", @[User::When])"), Value::I4(2024));
    assert_eq!(
        ev("DATEPART(\"hh\", (DT_DBTIMESTAMPOFFSET, 0)\"2024-01-01 10:00:00 +05:00\")"),
        Value::I4(10)
    );
}

#[test]
fn day_month_year() {
    assert_eq!(ev(&format!("DAY({D})")), Value::I4(15));
    assert_eq!(ev(&format!("MONTH({D})")), Value::I4(3));
    assert_eq!(ev(&format!("YEAR({D})")), Value::I4(2024));
    assert_eq!(ev("YEAR(@[User::When])"), Value::I4(2024));
    assert_eq!(ev("MONTH((DT_DBDATE)\"1999-12-31\")"), Value::I4(12));
    assert_eq!(ty("DAY(@[User::When])"), "DT_I4");
    assert!(
        compile_err("YEAR((DT_DBTIMESTAMPOFFSET, 3)\"2024-01-01 00:00:00 +01:00\")")
            .message
            .contains("constant")
    );
    assert!(
        compile_err("YEAR((DT_DBTIMESTAMP2, 3)\"2024-01-01 00:00:00\")")
            .message
            .contains("constant")
    );
    let e = compile_err("YEAR(\"2024-01-01\")");
    assert!(e.message.contains("cast date text explicitly"), "{e}");
    assert!(compile_err("DAY(1)").message.contains("date"));
}

#[test]
fn dateadd_every_part() {
    for (p, n, expected) in [
        ("year", 1, "2025-03-15 13:45:30.250000000"),
        ("yy", -24, "2000-03-15 13:45:30.250000000"),
        ("quarter", 1, "2024-06-15 13:45:30.250000000"),
        ("q", -1, "2023-12-15 13:45:30.250000000"),
        ("month", 10, "2025-01-15 13:45:30.250000000"),
        ("mm", -3, "2023-12-15 13:45:30.250000000"),
        ("dayofyear", 1, "2024-03-16 13:45:30.250000000"),
        ("day", 17, "2024-04-01 13:45:30.250000000"),
        ("dd", -15, "2024-02-29 13:45:30.250000000"),
        ("week", 2, "2024-03-29 13:45:30.250000000"),
        ("wk", -1, "2024-03-08 13:45:30.250000000"),
        ("weekday", 1, "2024-03-16 13:45:30.250000000"),
        ("dw", 1, "2024-03-16 13:45:30.250000000"),
        ("w", 1, "2024-03-16 13:45:30.250000000"),
        ("hour", 12, "2024-03-16 01:45:30.250000000"),
        ("hh", -14, "2024-03-14 23:45:30.250000000"),
        ("minute", 15, "2024-03-15 14:00:30.250000000"),
        ("mi", -46, "2024-03-15 12:59:30.250000000"),
        ("n", 1, "2024-03-15 13:46:30.250000000"),
        ("second", 30, "2024-03-15 13:46:00.250000000"),
        ("ss", -31, "2024-03-15 13:44:59.250000000"),
        ("s", 1, "2024-03-15 13:45:31.250000000"),
        ("millisecond", 750, "2024-03-15 13:45:31.000000000"),
        ("ms", -251, "2024-03-15 13:45:29.999000000"),
    ] {
        assert_eq!(
            show(&format!("DATEADD(\"{p}\", {n}, {D})")),
            expected,
            "{p} {n}"
        );
    }
    assert_eq!(ty(&format!("DATEADD(\"dd\", 1, {D})")), "DT_DBTIMESTAMP");
    assert_eq!(
        ty("DATEADD(\"dd\", 1, (DT_DBDATE)\"2024-01-01\")"),
        "DT_DBTIMESTAMP"
    );
}

#[test]
fn dateadd_clamps_month_ends() {
    for (expr, expected) in [
        (
            "DATEADD(\"mm\", 1, (DT_DBDATE)\"2024-01-31\")",
            "2024-02-29 00:00:00.000000000",
        ),
        (
            "DATEADD(\"mm\", 1, (DT_DBDATE)\"2023-01-31\")",
            "2023-02-28 00:00:00.000000000",
        ),
        (
            "DATEADD(\"yy\", 1, (DT_DBDATE)\"2024-02-29\")",
            "2025-02-28 00:00:00.000000000",
        ),
        (
            "DATEADD(\"q\", 1, (DT_DBDATE)\"2024-03-31\")",
            "2024-06-30 00:00:00.000000000",
        ),
        (
            "DATEADD(\"d\", 1, (DT_DBDATE)\"2024-12-31\")",
            "2025-01-01 00:00:00.000000000",
        ),
        (
            "DATEADD(\"Minute\", -5, (DT_DBTIMESTAMP)\"2024-01-01 00:02:00\")",
            "2023-12-31 23:57:00.000000000",
        ),
        (
            "DATEADD(\"d\", @[User::Count], @[User::When])",
            "2024-03-22 13:45:30.000000000",
        ),
        (
            "DATEADD(\"d\", 1L, (DT_DBDATE)\"2024-01-01\")",
            "2024-01-02 00:00:00.000000000",
        ),
    ] {
        assert_eq!(show(expr), expected, "{expr}");
    }
    assert!(
        compile_err("DATEADD(\"yy\", 100000, (DT_DBDATE)\"2024-01-01\")")
            .message
            .contains("out of range")
    );
    assert!(
        compile_err("DATEADD(\"d\", 1.5, (DT_DBDATE)\"2024-01-01\")")
            .message
            .contains("integer")
    );
    assert!(compile_err("DATEADD(\"d\", 1, \"2024-01-01\")")
        .message
        .contains("date"));
    assert!(compile_err("DATEADD(1, 1, (DT_DBDATE)\"2024-01-01\")")
        .message
        .contains("date part"));
    assert!(compile_err("DATEADD(\"x\", 1, (DT_DBDATE)\"2024-01-01\")")
        .message
        .contains("\"x\""));
}

#[test]
fn datediff_every_part() {
    let a = "(DT_DBTIMESTAMP)\"2023-12-31 23:59:59.900\"";
    let b = "(DT_DBTIMESTAMP)\"2024-01-01 00:00:00.100\"";
    for (p, v) in [
        ("year", 1),
        ("yyyy", 1),
        ("quarter", 1),
        ("month", 1),
        ("dayofyear", 1),
        ("day", 1),
        ("week", 0),
        ("weekday", 1),
        ("w", 1),
        ("hour", 1),
        ("minute", 1),
        ("second", 1),
        ("millisecond", 200),
    ] {
        assert_eq!(
            ev(&format!("DATEDIFF(\"{p}\", {a}, {b})")),
            Value::I4(v),
            "{p}"
        );
        assert_eq!(
            ev(&format!("DATEDIFF(\"{p}\", {b}, {a})")),
            Value::I4(-v),
            "{p} reversed"
        );
    }
    for (expr, v) in [
        ("DATEDIFF(\"dd\", (DT_DBTIMESTAMP)\"2024-01-02\", (DT_DBTIMESTAMP)\"2024-01-01\")", -1),
        ("DATEDIFF(\"mm\", (DT_DBDATE)\"2024-01-31\", (DT_DBDATE)\"2024-03-01\")", 2),
        ("DATEDIFF(\"yy\", (DT_DBDATE)\"2000-06-01\", (DT_DBDATE)\"2024-01-01\")", 24),
        ("DATEDIFF(\"wk\", (DT_DBDATE)\"2024-01-06\", (DT_DBDATE)\"2024-01-07\")", 1),
        ("DATEDIFF(\"wk\", (DT_DBDATE)\"2024-01-01\", (DT_DBDATE)\"2024-01-31\")", 4),
        ("DATEDIFF(\"dd\", (DT_DBDATE)\"2024-01-01\", (DT_DBDATE)\"2025-01-01\")", 366),
        ("DATEDIFF(\"hh\", (DT_DBTIMESTAMP)\"2024-01-01 10:59:59\", (DT_DBTIMESTAMP)\"2024-01-01 11:00:00\")", 1),
        ("DATEDIFF(\"q\", (DT_DBDATE)\"2024-03-31\", (DT_DBDATE)\"2024-04-01\")", 1),
        ("DATEDIFF(\"d\", @[User::When], @[User::When])", 0),
        ("DATEDIFF(\"d\", (DT_DBDATE)\"2024-01-01\", (DT_DBTIMESTAMP)\"2024-01-03 05:00:00\")", 2),
    ] {
        assert_eq!(ev(expr), Value::I4(v), "{expr}");
    }
    assert!(
        compile_err("DATEDIFF(\"ms\", (DT_DBDATE)\"1900-01-01\", (DT_DBDATE)\"2024-01-01\")")
            .message
            .contains("DT_I4")
    );
    assert_eq!(ty("DATEDIFF(\"d\", @[User::When], @[User::When])"), "DT_I4");
}

#[test]
fn getdate_and_getutcdate() {
    let t = table();
    let e = Expression::compile("GETDATE()", &t).unwrap();
    assert!(!e.is_constant());
    assert_eq!(e.result_type(), &DataType::DbTimestamp);
    assert!(matches!(e.evaluate(&t).unwrap(), Value::DbTimestamp(_)));
    assert!(matches!(ev("GETUTCDATE()"), Value::DbTimestamp(_)));
    assert!(matches!(ev("getdate()"), Value::DbTimestamp(_)));
    assert_eq!(ev("YEAR(GETDATE()) >= 2024"), Value::Bool(true));
    assert_eq!(
        ev("DATEDIFF(\"hh\", GETUTCDATE(), GETDATE()) < 15"),
        Value::Bool(true)
    );
    assert!(compile_err("GETDATE(1)")
        .message
        .contains("takes 0 arguments"));
    let e = Expression::compile("(DT_WSTR, 100)GETUTCDATE()", &t).unwrap();
    let text = e.evaluate(&t).unwrap().to_display_string();
    assert_eq!(text.len(), 29, "{text}");
}

#[test]
fn date_null_propagation() {
    for text in [
        "DATEADD(\"d\", 1, NULL(DT_DBTIMESTAMP))",
        "DATEADD(\"d\", NULL(DT_I4), (DT_DBDATE)\"2024-01-01\")",
        "DATEADD(NULL(DT_WSTR, 2), 1, (DT_DBDATE)\"2024-01-01\")",
        "DATEDIFF(\"d\", NULL(DT_DBDATE), (DT_DBDATE)\"2024-01-01\")",
        "DATEDIFF(\"d\", (DT_DBDATE)\"2024-01-01\", NULL(DT_DBDATE))",
        "DATEPART(\"d\", NULL(DT_DATE))",
        "DAY(NULL(DT_DBDATE))",
        "MONTH(NULL(DT_DBTIMESTAMP))",
        "YEAR(NULL(DT_DATE))",
    ] {
        assert!(is_null(text), "{text}");
    }
    assert_eq!(ev("DAY(NULL(DT_DBDATE))"), Value::Null(DataType::I4));
    assert_eq!(
        ev("DATEADD(\"d\", 1, NULL(DT_DBDATE))"),
        Value::Null(DataType::DbTimestamp)
    );
}

#[test]
fn corpus_style_expressions() {
    let t = table();
    for text in [
        "DATEPART( \"dd\", GetDate()) % 2 == 0",
        "(DT_STR, 4, 1252) DatePart(\"yyyy\", GETDATE()) + \"-\" + Right(\"00\" + (DT_STR, 2, 1252) DatePart(\"mm\", GetDate()), 2)",
        "@[User::Dir] + \"\\\\\" + (DT_WSTR,4) YEAR(GETDATE()) + RIGHT(\"0\" + (DT_WSTR, 2) DATEPART(\"hh\", GETDATE()), 2) + @[User::File]",
        "@[User::Count] = DATEPART(\"Millisecond\", GETDATE())",
        "@[User::When] = DATEADD(\"Minute\", -5, GETDATE()  )",
        "(DT_WSTR, 100)GETUTCDATE()",
        "@[System::PackageName] != \"\"",
        "@[User::Flag] != true",
    ] {
        let e = Expression::compile(text, &t).unwrap_or_else(|e| panic!("{text}: {e}"));
        e.evaluate(&t).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
    let e = Expression::compile("@[User::When] = DATEADD(\"d\", 1, @[User::When])", &t).unwrap();
    assert_eq!(e.result_type(), &DataType::Date);
    assert_eq!(
        e.evaluate(&t).unwrap().to_display_string(),
        "3/16/2024 1:45:30 PM"
    );
}
