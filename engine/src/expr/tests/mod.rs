//! Behaviour tests of the whole expression pipeline (compile + evaluate), grouped by topic. Only
//! tests live here; helpers shared by the topic files are in this file.

mod basics;
mod casts;
mod columns;
mod errors;
mod functions_date;
mod functions_math;
mod functions_null;
mod functions_string;
mod literals;
mod operators;
mod robustness;

use super::{DataType, Expression, Value, VariableTable};

/// A scope with a few variables of every common type.
pub(super) fn table() -> VariableTable {
    use chrono::NaiveDate;
    let mut t = VariableTable::new();
    t.set("User", "Count", DataType::I4, Value::I4(7));
    t.set(
        "User",
        "Dir",
        DataType::WStr { len: 0 },
        Value::WStr("C:\\data".into()),
    );
    t.set(
        "User",
        "File",
        DataType::WStr { len: 0 },
        Value::WStr("sales".into()),
    );
    t.set(
        "User",
        "Empty",
        DataType::WStr { len: 0 },
        Value::WStr(String::new()),
    );
    t.set("User", "Flag", DataType::Bool, Value::Bool(true));
    t.set("User", "Big", DataType::I8, Value::I8(5_000_000_000));
    t.set("User", "Ratio", DataType::R8, Value::R8(0.25));
    t.set("User", "Small", DataType::UI1, Value::UI1(200));
    t.set("User", "U4", DataType::UI4, Value::UI4(10));
    t.set("User", "NullInt", DataType::I4, Value::Null(DataType::I4));
    t.set(
        "User",
        "NullStr",
        DataType::WStr { len: 0 },
        Value::Null(DataType::WStr { len: 0 }),
    );
    t.set("User", "Obj", DataType::Object, Value::Object);
    t.set(
        "User",
        "When",
        DataType::Date,
        Value::Date(
            NaiveDate::from_ymd_opt(2024, 3, 15)
                .unwrap()
                .and_hms_opt(13, 45, 30)
                .unwrap(),
        ),
    );
    t.set("User", "Dup", DataType::I4, Value::I4(1));
    t.set("Other", "Dup", DataType::I4, Value::I4(2));
    t.set(
        "System",
        "PackageName",
        DataType::WStr { len: 0 },
        Value::WStr("Load".into()),
    );
    t
}

/// Compiles and evaluates; panics with the error text on failure.
pub(super) fn ev(text: &str) -> Value {
    let t = table();
    let e = Expression::compile(text, &t).unwrap_or_else(|e| panic!("{text}: {e}"));
    e.evaluate(&t).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The display form of the result.
pub(super) fn show(text: &str) -> String {
    ev(text).to_display_string()
}

/// The result type's name with parameters.
pub(super) fn ty(text: &str) -> String {
    let t = table();
    Expression::compile(text, &t)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .result_type()
        .to_string()
}

/// The compile error.
pub(super) fn compile_err(text: &str) -> super::ExprError {
    let t = table();
    match Expression::compile(text, &t) {
        Ok(e) => panic!(
            "{text}: expected a compile error, got type {}",
            e.result_type()
        ),
        Err(e) => e,
    }
}

/// The evaluation error (compiles fine).
pub(super) fn eval_err(text: &str) -> super::EvalError {
    let t = table();
    let e = Expression::compile(text, &t).unwrap_or_else(|e| panic!("{text}: {e}"));
    match e.evaluate(&t) {
        Ok(v) => panic!("{text}: expected an evaluation error, got {v:?}"),
        Err(e) => e,
    }
}

/// True when the result is NULL.
pub(super) fn is_null(text: &str) -> bool {
    ev(text).is_null()
}
