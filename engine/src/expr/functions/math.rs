//! The mathematical functions: ABS, CEILING, FLOOR, EXP, LN, LOG, POWER, ROUND, SIGN, SQRT and
//! SQUARE — their argument rules, result types and evaluation. It must not handle NULL
//! propagation (the catalogue does) nor other function families.

use super::{arg_f64, arg_int, fail, plain, ArgInfo, CheckFailure, Func, Signature};
use crate::expr::error::EvalError;
use crate::types::DataType;
use crate::types::Value;

pub(super) fn check(func: Func, args: &[ArgInfo<'_>]) -> Result<Signature, CheckFailure> {
    for (i, a) in args.iter().enumerate() {
        let wanted_int = func == Func::Round && i == 1;
        let ok = if wanted_int {
            a.ty.is_integer()
        } else {
            a.ty.is_numeric()
        };
        let null_ok = matches!(a.ty, DataType::Null);
        if !ok && !null_ok {
            return fail(
                Some(i),
                format!(
                    "the function \"{}\" needs {} argument {} but got \"{}\"; use an explicit cast",
                    func.name(),
                    if wanted_int {
                        "an integer"
                    } else {
                        "a numeric"
                    },
                    i + 1,
                    a.ty.static_name()
                ),
            );
        }
    }
    if func == Func::Round {
        if let Some(v) = args
            .get(1)
            .and_then(|a| a.constant)
            .and_then(super::int_arg)
        {
            if v < 0 {
                return fail(Some(1), "the length of ROUND must not be negative");
            }
        }
    }
    let first = args.first().map(|a| a.ty).unwrap_or(DataType::R8);
    let result = match func {
        Func::Abs | Func::Ceiling | Func::Floor | Func::Round => first,
        Func::Sign => DataType::I4,
        _ => DataType::R8,
    };
    Ok(plain(result, args.len()))
}

fn overflow(func: Func) -> EvalError {
    EvalError::func(func.name(), "the result overflows its data type")
}

pub(super) fn eval(func: Func, args: &[Value]) -> Result<Value, EvalError> {
    let v = args.first().cloned().unwrap_or(Value::Null(DataType::R8));
    match func {
        Func::Abs => Ok(match v {
            Value::I1(x) => Value::I1(x.checked_abs().ok_or_else(|| overflow(func))?),
            Value::I2(x) => Value::I2(x.checked_abs().ok_or_else(|| overflow(func))?),
            Value::I4(x) => Value::I4(x.checked_abs().ok_or_else(|| overflow(func))?),
            Value::I8(x) => Value::I8(x.checked_abs().ok_or_else(|| overflow(func))?),
            Value::R4(x) => Value::R4(x.abs()),
            Value::R8(x) => Value::R8(x.abs()),
            Value::Cy(d) => Value::Cy(d.abs()),
            Value::Decimal(d) => Value::Decimal(d.abs()),
            Value::Numeric(d) => Value::Numeric(d.abs()),
            other => other,
        }),
        Func::Ceiling | Func::Floor => {
            let up = func == Func::Ceiling;
            Ok(match v {
                Value::R4(x) => Value::R4(if up { x.ceil() } else { x.floor() }),
                Value::R8(x) => Value::R8(if up { x.ceil() } else { x.floor() }),
                Value::Cy(d) => Value::Cy(if up { d.ceil() } else { d.floor() }),
                Value::Decimal(d) => Value::Decimal(if up { d.ceil() } else { d.floor() }),
                Value::Numeric(d) => Value::Numeric(if up { d.ceil() } else { d.floor() }),
                other => other,
            })
        }
        Func::Sign => {
            let s = match v {
                Value::Cy(d) | Value::Decimal(d) | Value::Numeric(d) => d.signum(),
                other => {
                    let f = super::f64_arg(&other).unwrap_or(0.0);
                    if f > 0.0 {
                        1
                    } else if f < 0.0 {
                        -1
                    } else {
                        0
                    }
                }
            };
            Ok(Value::I4(s))
        }
        Func::Exp => Ok(Value::R8(arg_f64(args, 0, func)?.exp())),
        Func::Ln | Func::Log => {
            let x = arg_f64(args, 0, func)?;
            if x <= 0.0 {
                return Ok(Value::Null(DataType::R8));
            }
            Ok(Value::R8(if func == Func::Ln { x.ln() } else { x.log10() }))
        }
        Func::Power => {
            let (b, p) = (arg_f64(args, 0, func)?, arg_f64(args, 1, func)?);
            if b == 0.0 && p < 0.0 {
                return Err(EvalError::func(
                    func.name(),
                    "zero cannot be raised to a negative power",
                ));
            }
            let r = b.powf(p);
            if r.is_nan() {
                return Ok(Value::Null(DataType::R8));
            }
            if r.is_infinite() {
                return Err(overflow(func));
            }
            Ok(Value::R8(r))
        }
        Func::Sqrt => {
            let x = arg_f64(args, 0, func)?;
            if x < 0.0 {
                return Err(EvalError::func(
                    func.name(),
                    "the argument must not be negative",
                ));
            }
            Ok(Value::R8(x.sqrt()))
        }
        Func::Square => {
            let x = arg_f64(args, 0, func)?;
            let r = x * x;
            if r.is_infinite() {
                return Err(overflow(func));
            }
            Ok(Value::R8(r))
        }
        Func::Round => {
            let places = arg_int(args, 1, func)?;
            if places < 0 {
                return Err(EvalError::func(
                    func.name(),
                    "the length must not be negative",
                ));
            }
            let places = places.min(38) as u32;
            Ok(match v {
                Value::R4(x) => Value::R4(round_f64(x as f64, places) as f32),
                Value::R8(x) => Value::R8(round_f64(x, places)),
                Value::Cy(d) => Value::Cy(d.round_keep_scale(places)),
                Value::Decimal(d) => Value::Decimal(d.round_keep_scale(places)),
                Value::Numeric(d) => Value::Numeric(d.round_keep_scale(places)),
                other => other,
            })
        }
        _ => Err(EvalError::func(func.name(), "not a mathematical function")),
    }
}

/// Rounds half away from zero to `places` decimals, going through the decimal text so that
/// 2.675 rounds as written.
fn round_f64(x: f64, places: u32) -> f64 {
    if !x.is_finite() || places > 15 {
        return x;
    }
    let factor = 10f64.powi(places as i32);
    let scaled = x * factor;
    if scaled.abs() > 1e17 {
        return x;
    }
    // Correct the representation error of the scaled value before rounding.
    let text = format!("{scaled:.6}");
    let fixed: f64 = text.parse().unwrap_or(scaled);
    fixed.round() / factor
}
