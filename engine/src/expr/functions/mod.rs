//! The function library's catalogue: the `Func` identifiers, name lookup (case-insensitive),
//! argument counts, which functions propagate NULL and which must not be folded, and dispatch of
//! type checking and evaluation to the family modules (math, string, date, null). It must not
//! implement any function itself.

mod date;
mod math;
mod null;
mod string;

use super::error::EvalError;
use crate::types::DataType;
use crate::types::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Abs,
    Ceiling,
    Floor,
    Exp,
    Ln,
    Log,
    Power,
    Round,
    Sign,
    Sqrt,
    Square,
    Codepoint,
    Findstring,
    Hex,
    Left,
    Len,
    Lower,
    Upper,
    Ltrim,
    Rtrim,
    Trim,
    Replace,
    Replicate,
    Reverse,
    Right,
    Substring,
    Token,
    Tokencount,
    Dateadd,
    Datediff,
    Datepart,
    Day,
    Month,
    Year,
    Getdate,
    Getutcdate,
    Isnull,
    Replacenull,
}

/// (name, function, argument count).
const CATALOGUE: &[(&str, Func, usize)] = &[
    ("ABS", Func::Abs, 1),
    ("CEILING", Func::Ceiling, 1),
    ("FLOOR", Func::Floor, 1),
    ("EXP", Func::Exp, 1),
    ("LN", Func::Ln, 1),
    ("LOG", Func::Log, 1),
    ("POWER", Func::Power, 2),
    ("ROUND", Func::Round, 2),
    ("SIGN", Func::Sign, 1),
    ("SQRT", Func::Sqrt, 1),
    ("SQUARE", Func::Square, 1),
    ("CODEPOINT", Func::Codepoint, 1),
    ("FINDSTRING", Func::Findstring, 3),
    ("HEX", Func::Hex, 1),
    ("LEFT", Func::Left, 2),
    ("LEN", Func::Len, 1),
    ("LOWER", Func::Lower, 1),
    ("UPPER", Func::Upper, 1),
    ("LTRIM", Func::Ltrim, 1),
    ("RTRIM", Func::Rtrim, 1),
    ("TRIM", Func::Trim, 1),
    ("REPLACE", Func::Replace, 3),
    ("REPLICATE", Func::Replicate, 2),
    ("REVERSE", Func::Reverse, 1),
    ("RIGHT", Func::Right, 2),
    ("SUBSTRING", Func::Substring, 3),
    ("TOKEN", Func::Token, 3),
    ("TOKENCOUNT", Func::Tokencount, 2),
    ("DATEADD", Func::Dateadd, 3),
    ("DATEDIFF", Func::Datediff, 3),
    ("DATEPART", Func::Datepart, 2),
    ("DAY", Func::Day, 1),
    ("MONTH", Func::Month, 1),
    ("YEAR", Func::Year, 1),
    ("GETDATE", Func::Getdate, 0),
    ("GETUTCDATE", Func::Getutcdate, 0),
    ("ISNULL", Func::Isnull, 1),
    ("REPLACENULL", Func::Replacenull, 2),
];

/// Finds a function by name, any letter case.
pub(crate) fn lookup(name: &str) -> Option<(Func, usize)> {
    CATALOGUE
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, f, c)| (*f, *c))
}

impl Func {
    pub fn name(self) -> &'static str {
        CATALOGUE
            .iter()
            .find(|(_, f, _)| *f == self)
            .map(|(n, _, _)| *n)
            .unwrap_or("?")
    }

    /// Functions whose result is NULL as soon as an argument is NULL.
    pub fn propagates_null(self) -> bool {
        !matches!(self, Func::Isnull | Func::Replacenull | Func::Tokencount)
    }

    /// Functions whose result depends on more than their arguments (never folded).
    pub fn is_volatile(self) -> bool {
        matches!(self, Func::Getdate | Func::Getutcdate)
    }
}

/// What the checker learns about a call: the result type and, per argument, a type to convert
/// the argument to first (`None` = use as is).
pub(crate) struct Signature {
    pub result: DataType,
    pub arg_casts: Vec<Option<DataType>>,
}

/// An argument as the checker sees it.
pub(crate) struct ArgInfo<'a> {
    pub ty: DataType,
    /// The folded value when the argument is constant.
    pub constant: Option<&'a Value>,
}

/// A checking failure: the argument it concerns (for the column) and a message.
pub(crate) struct CheckFailure {
    pub arg: Option<usize>,
    pub message: String,
}

pub(crate) fn fail<T>(arg: Option<usize>, message: impl Into<String>) -> Result<T, CheckFailure> {
    Err(CheckFailure {
        arg,
        message: message.into(),
    })
}

pub(crate) fn plain(result: DataType, n: usize) -> Signature {
    Signature {
        result,
        arg_casts: vec![None; n],
    }
}

/// Type-checks a call whose argument count is already right.
pub(crate) fn check(func: Func, args: &[ArgInfo<'_>]) -> Result<Signature, CheckFailure> {
    match func {
        Func::Abs
        | Func::Ceiling
        | Func::Floor
        | Func::Exp
        | Func::Ln
        | Func::Log
        | Func::Power
        | Func::Round
        | Func::Sign
        | Func::Sqrt
        | Func::Square => math::check(func, args),
        Func::Dateadd
        | Func::Datediff
        | Func::Datepart
        | Func::Day
        | Func::Month
        | Func::Year
        | Func::Getdate
        | Func::Getutcdate => date::check(func, args),
        Func::Isnull | Func::Replacenull => null::check(func, args),
        _ => string::check(func, args),
    }
}

/// Evaluates a call on evaluated arguments; `result` is the checked result type.
pub(crate) fn eval(func: Func, args: &[Value], result: &DataType) -> Result<Value, EvalError> {
    if func.propagates_null() && args.iter().any(Value::is_null) {
        return Ok(Value::Null(*result));
    }
    match func {
        Func::Abs
        | Func::Ceiling
        | Func::Floor
        | Func::Exp
        | Func::Ln
        | Func::Log
        | Func::Power
        | Func::Round
        | Func::Sign
        | Func::Sqrt
        | Func::Square => math::eval(func, args),
        Func::Dateadd
        | Func::Datediff
        | Func::Datepart
        | Func::Day
        | Func::Month
        | Func::Year
        | Func::Getdate
        | Func::Getutcdate => date::eval(func, args),
        Func::Isnull | Func::Replacenull => null::eval(func, args),
        _ => string::eval(func, args, result),
    }
}

/// An integer argument's value.
pub(crate) fn int_arg(v: &Value) -> Option<i64> {
    Some(match v {
        Value::I1(x) => *x as i64,
        Value::I2(x) => *x as i64,
        Value::I4(x) => *x as i64,
        Value::I8(x) => *x,
        Value::UI1(x) => *x as i64,
        Value::UI2(x) => *x as i64,
        Value::UI4(x) => *x as i64,
        Value::UI8(x) => i64::try_from(*x).unwrap_or(i64::MAX),
        _ => return None,
    })
}

/// A numeric argument as a double.
pub(crate) fn f64_arg(v: &Value) -> Option<f64> {
    Some(match v {
        Value::R4(x) => *x as f64,
        Value::R8(x) => *x,
        Value::Cy(d) | Value::Decimal(d) | Value::Numeric(d) => d.to_f64(),
        other => int_arg(other)? as f64,
    })
}

fn arg_str(args: &[Value], i: usize, func: Func) -> Result<&str, EvalError> {
    args.get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| EvalError::func(func.name(), format!("argument {} must be a string", i + 1)))
}

fn arg_int(args: &[Value], i: usize, func: Func) -> Result<i64, EvalError> {
    args.get(i).and_then(int_arg).ok_or_else(|| {
        EvalError::func(
            func.name(),
            format!("argument {} must be an integer", i + 1),
        )
    })
}

fn arg_f64(args: &[Value], i: usize, func: Func) -> Result<f64, EvalError> {
    args.get(i)
        .and_then(f64_arg)
        .ok_or_else(|| EvalError::func(func.name(), format!("argument {} must be numeric", i + 1)))
}
