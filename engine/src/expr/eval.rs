//! The evaluator: walks the typed tree with the variables' current values. Operands arrive with
//! the types the checker chose, so this file only does the arithmetic, comparisons, logic (with
//! SSIS's three-valued NULL rules), concatenation into one buffer, and dispatch to casts and
//! functions. It must not look names up, re-check types or allocate for numeric work.

use std::cmp::Ordering;

use super::error::EvalError;
use super::functions::{self, Func};
use super::ir::{ArithOp, BitOp, CmpOp, Kind, Node};
use super::scope::VariableValues;
use crate::types::convert;
use crate::types::DataType;
use crate::types::Decimal;
use crate::types::Value;

/// Evaluates a node.
pub(crate) fn eval(node: &Node, vars: &dyn VariableValues) -> Result<Value, EvalError> {
    match &node.kind {
        Kind::Const(v) => Ok(v.clone()),
        Kind::Var(r) => {
            let v = vars.value(*r);
            if matches_type(&v, &node.ty) {
                Ok(v.into_owned())
            } else {
                match v.as_ref() {
                    Value::Null(_) | Value::Empty => Ok(Value::Null(node.ty)),
                    other => Ok(convert(other, &node.ty)?),
                }
            }
        }
        Kind::Neg(x) => {
            let v = eval(x, vars)?;
            negate(v, &node.ty)
        }
        Kind::Not(x) => Ok(match eval(x, vars)? {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null(DataType::Bool),
        }),
        Kind::BitNot(x) => Ok(match eval(x, vars)? {
            Value::I1(v) => Value::I1(!v),
            Value::I2(v) => Value::I2(!v),
            Value::I4(v) => Value::I4(!v),
            Value::I8(v) => Value::I8(!v),
            Value::UI1(v) => Value::UI1(!v),
            Value::UI2(v) => Value::UI2(!v),
            Value::UI4(v) => Value::UI4(!v),
            Value::UI8(v) => Value::UI8(!v),
            _ => Value::Null(node.ty),
        }),
        Kind::Arith(op, a, b) => {
            let x = eval(a, vars)?;
            let y = eval(b, vars)?;
            if x.is_null() || y.is_null() {
                return Ok(Value::Null(node.ty));
            }
            arith(*op, x, y, &node.ty)
        }
        Kind::Concat(parts) => {
            let mut out = String::with_capacity(64);
            for p in parts {
                if !append_str(p, vars, &mut out)? {
                    return Ok(Value::Null(node.ty));
                }
            }
            Ok(Value::WStr(out))
        }
        Kind::Compare(op, a, b) => {
            let x = eval(a, vars)?;
            let y = eval(b, vars)?;
            if x.is_null() || y.is_null() {
                return Ok(Value::Null(DataType::Bool));
            }
            let ord = compare(&x, &y);
            Ok(Value::Bool(match (op, ord) {
                (CmpOp::Ne, None) => true,
                (_, None) => false,
                (CmpOp::Eq, Some(o)) => o == Ordering::Equal,
                (CmpOp::Ne, Some(o)) => o != Ordering::Equal,
                (CmpOp::Lt, Some(o)) => o == Ordering::Less,
                (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
                (CmpOp::Le, Some(o)) => o != Ordering::Greater,
                (CmpOp::Ge, Some(o)) => o != Ordering::Less,
            }))
        }
        Kind::And(a, b) => {
            let x = eval(a, vars)?;
            if let Value::Bool(false) = x {
                return Ok(Value::Bool(false));
            }
            let y = eval(b, vars)?;
            Ok(match (x, y) {
                (_, Value::Bool(false)) => Value::Bool(false),
                (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                _ => Value::Null(DataType::Bool),
            })
        }
        Kind::Or(a, b) => {
            let x = eval(a, vars)?;
            if let Value::Bool(true) = x {
                return Ok(Value::Bool(true));
            }
            let y = eval(b, vars)?;
            Ok(match (x, y) {
                (_, Value::Bool(true)) => Value::Bool(true),
                (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                _ => Value::Null(DataType::Bool),
            })
        }
        Kind::Bit(op, a, b) => {
            let x = eval(a, vars)?;
            let y = eval(b, vars)?;
            if x.is_null() || y.is_null() {
                return Ok(Value::Null(node.ty));
            }
            bitwise(*op, x, y)
        }
        Kind::Cond(c, a, b) => match eval(c, vars)? {
            Value::Bool(true) => retag(eval(a, vars)?, &node.ty),
            Value::Bool(false) => retag(eval(b, vars)?, &node.ty),
            _ => Ok(Value::Null(node.ty)),
        },
        Kind::Cast(x) => {
            let v = eval(x, vars)?;
            Ok(convert(&v, &node.ty)?)
        }
        Kind::Call(Func::Isnull, args)
            if matches!(
                args.as_slice(),
                [Node {
                    kind: Kind::Var(_),
                    ..
                }]
            ) =>
        {
            // Test a variable for NULL without copying its value.
            let Some(Node {
                kind: Kind::Var(r), ..
            }) = args.first()
            else {
                return Ok(Value::Bool(false));
            };
            Ok(Value::Bool(matches!(
                vars.value(*r).as_ref(),
                Value::Null(_) | Value::Empty
            )))
        }
        Kind::Call(f, args) => match args.as_slice() {
            [] => functions::eval(*f, &[], &node.ty),
            [a] => {
                let va = eval(a, vars)?;
                functions::eval(*f, std::slice::from_ref(&va), &node.ty)
            }
            [a, b] => {
                let vs = [eval(a, vars)?, eval(b, vars)?];
                functions::eval(*f, &vs, &node.ty)
            }
            [a, b, c] => {
                let vs = [eval(a, vars)?, eval(b, vars)?, eval(c, vars)?];
                functions::eval(*f, &vs, &node.ty)
            }
            many => {
                let mut vs = Vec::with_capacity(many.len());
                for a in many {
                    vs.push(eval(a, vars)?);
                }
                functions::eval(*f, &vs, &node.ty)
            }
        },
    }
}

/// A NULL of a branch type becomes a NULL of the conditional's type.
fn retag(v: Value, ty: &DataType) -> Result<Value, EvalError> {
    Ok(match v {
        Value::Null(_) => Value::Null(*ty),
        other => other,
    })
}

/// Whether a variable's value already has the representation of `ty`.
fn matches_type(v: &Value, ty: &DataType) -> bool {
    matches!(
        (v, ty),
        (Value::Bool(_), DataType::Bool)
            | (Value::I1(_), DataType::I1)
            | (Value::I2(_), DataType::I2)
            | (Value::I4(_), DataType::I4)
            | (Value::I8(_), DataType::I8)
            | (Value::UI1(_), DataType::UI1)
            | (Value::UI2(_), DataType::UI2)
            | (Value::UI4(_), DataType::UI4)
            | (Value::UI8(_), DataType::UI8)
            | (Value::R4(_), DataType::R4)
            | (Value::R8(_), DataType::R8)
            | (Value::Cy(_), DataType::Cy)
            | (Value::Decimal(_), DataType::Decimal { .. })
            | (Value::Numeric(_), DataType::Numeric { .. })
            | (
                Value::Str(_) | Value::WStr(_),
                DataType::WStr { .. } | DataType::Str { .. }
            )
            | (Value::Text(_), DataType::Text { .. })
            | (Value::NText(_), DataType::NText)
            | (Value::Date(_), DataType::Date)
            | (Value::DbDate(_), DataType::DbDate)
            | (Value::DbTime(_), DataType::DbTime)
            | (Value::DbTime2(_), DataType::DbTime2 { .. })
            | (Value::DbTimestamp(_), DataType::DbTimestamp)
            | (Value::DbTimestamp2(_), DataType::DbTimestamp2 { .. })
            | (
                Value::DbTimestampOffset(_),
                DataType::DbTimestampOffset { .. }
            )
            | (Value::FileTime(_), DataType::FileTime)
            | (Value::Guid(_), DataType::Guid)
            | (Value::Bytes(_), DataType::Bytes { .. })
            | (Value::Image(_), DataType::Image)
            | (Value::Object, DataType::Object)
    )
}

/// Appends a string part; `false` when it is NULL.
fn append_str(p: &Node, vars: &dyn VariableValues, out: &mut String) -> Result<bool, EvalError> {
    match &p.kind {
        Kind::Const(v) => Ok(push_value(v, out)),
        Kind::Var(r) => {
            let v = vars.value(*r);
            Ok(push_value(&v, out))
        }
        _ => {
            let v = eval(p, vars)?;
            Ok(push_value(&v, out))
        }
    }
}

fn push_value(v: &Value, out: &mut String) -> bool {
    match v {
        Value::Null(_) | Value::Empty => false,
        other => match other.as_str() {
            Some(s) => {
                out.push_str(s);
                true
            }
            None => {
                other.write_display(out);
                true
            }
        },
    }
}

fn overflow(op: &'static str, ty: &DataType) -> EvalError {
    EvalError::Overflow {
        op,
        ty: ty.static_name(),
    }
}

fn negate(v: Value, ty: &DataType) -> Result<Value, EvalError> {
    let of = || overflow("-", ty);
    Ok(match v {
        Value::I1(x) => Value::I1(x.checked_neg().ok_or_else(of)?),
        Value::I2(x) => Value::I2(x.checked_neg().ok_or_else(of)?),
        Value::I4(x) => Value::I4(x.checked_neg().ok_or_else(of)?),
        Value::I8(x) => Value::I8(x.checked_neg().ok_or_else(of)?),
        Value::R4(x) => Value::R4(-x),
        Value::R8(x) => Value::R8(-x),
        Value::Cy(d) => Value::Cy(d.neg()),
        Value::Decimal(d) => Value::Decimal(d.neg()),
        Value::Numeric(d) => Value::Numeric(d.neg()),
        Value::Null(_) => Value::Null(*ty),
        other => {
            return Err(EvalError::Other(format!(
                "cannot negate {}",
                other.data_type().static_name()
            )))
        }
    })
}

macro_rules! int_arith {
    ($op:expr, $x:expr, $y:expr, $variant:ident, $ty:expr) => {{
        let sym = $op.symbol();
        let r = match $op {
            ArithOp::Add => $x.checked_add($y),
            ArithOp::Sub => $x.checked_sub($y),
            ArithOp::Mul => $x.checked_mul($y),
            ArithOp::Div => {
                if $y == 0 {
                    return Err(EvalError::DivideByZero(sym));
                }
                $x.checked_div($y)
            }
            ArithOp::Mod => {
                if $y == 0 {
                    return Err(EvalError::DivideByZero(sym));
                }
                $x.checked_rem($y)
            }
        };
        Ok(Value::$variant(r.ok_or_else(|| overflow(sym, $ty))?))
    }};
}

fn float_arith(op: ArithOp, x: f64, y: f64, ty: &DataType) -> Result<f64, EvalError> {
    let r = match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div => {
            if y == 0.0 {
                return Err(EvalError::DivideByZero("/"));
            }
            x / y
        }
        ArithOp::Mod => {
            if y == 0.0 {
                return Err(EvalError::DivideByZero("%"));
            }
            x % y
        }
    };
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(overflow(op.symbol(), ty));
    }
    Ok(r)
}

fn dec_arith(
    op: ArithOp,
    x: &Decimal,
    y: &Decimal,
    scale: u8,
    ty: &DataType,
) -> Result<Decimal, EvalError> {
    let sym = op.symbol();
    let r = match op {
        ArithOp::Add => x.checked_add(y).and_then(|d| d.rescale(scale)),
        ArithOp::Sub => x.checked_sub(y).and_then(|d| d.rescale(scale)),
        ArithOp::Mul => x.checked_mul(y, scale),
        ArithOp::Div => {
            if y.is_zero() {
                return Err(EvalError::DivideByZero(sym));
            }
            x.checked_div(y, scale)
        }
        ArithOp::Mod => {
            if y.is_zero() {
                return Err(EvalError::DivideByZero(sym));
            }
            x.checked_rem(y).and_then(|d| d.rescale(scale))
        }
    };
    r.ok_or_else(|| overflow(sym, ty))
}

fn arith(op: ArithOp, x: Value, y: Value, ty: &DataType) -> Result<Value, EvalError> {
    match (x, y) {
        (Value::I1(a), Value::I1(b)) => int_arith!(op, a, b, I1, ty),
        (Value::I2(a), Value::I2(b)) => int_arith!(op, a, b, I2, ty),
        (Value::I4(a), Value::I4(b)) => int_arith!(op, a, b, I4, ty),
        (Value::I8(a), Value::I8(b)) => int_arith!(op, a, b, I8, ty),
        (Value::UI1(a), Value::UI1(b)) => int_arith!(op, a, b, UI1, ty),
        (Value::UI2(a), Value::UI2(b)) => int_arith!(op, a, b, UI2, ty),
        (Value::UI4(a), Value::UI4(b)) => int_arith!(op, a, b, UI4, ty),
        (Value::UI8(a), Value::UI8(b)) => int_arith!(op, a, b, UI8, ty),
        (Value::R4(a), Value::R4(b)) => {
            let r = float_arith(op, a as f64, b as f64, ty)?;
            if r.is_finite() && r.abs() > f32::MAX as f64 {
                return Err(overflow(op.symbol(), ty));
            }
            Ok(Value::R4(r as f32))
        }
        (Value::R8(a), Value::R8(b)) => Ok(Value::R8(float_arith(op, a, b, ty)?)),
        (Value::Cy(a), Value::Cy(b)) => {
            let d = dec_arith(op, &a, &b, 4, ty)?;
            if i64::try_from(d.mantissa()).is_err() {
                return Err(overflow(op.symbol(), ty));
            }
            Ok(Value::Cy(d))
        }
        (Value::Numeric(a), Value::Numeric(b)) | (Value::Decimal(a), Value::Decimal(b)) => {
            let (precision, scale) = ty
                .as_numeric_shape()
                .unwrap_or((38, a.scale().max(b.scale())));
            let d = dec_arith(op, &a, &b, scale, ty)?;
            if !d.fits(precision) {
                return Err(overflow(op.symbol(), ty));
            }
            Ok(match ty {
                DataType::Decimal { .. } => Value::Decimal(d),
                _ => Value::Numeric(d),
            })
        }
        (a, b) => Err(EvalError::Other(format!(
            "the operator \"{}\" got the operand types \"{}\" and \"{}\"",
            op.symbol(),
            a.data_type().static_name(),
            b.data_type().static_name()
        ))),
    }
}

fn bitwise(op: BitOp, x: Value, y: Value) -> Result<Value, EvalError> {
    macro_rules! bits {
        ($a:expr, $b:expr, $v:ident) => {
            Value::$v(match op {
                BitOp::And => $a & $b,
                BitOp::Or => $a | $b,
                BitOp::Xor => $a ^ $b,
            })
        };
    }
    Ok(match (x, y) {
        (Value::I1(a), Value::I1(b)) => bits!(a, b, I1),
        (Value::I2(a), Value::I2(b)) => bits!(a, b, I2),
        (Value::I4(a), Value::I4(b)) => bits!(a, b, I4),
        (Value::I8(a), Value::I8(b)) => bits!(a, b, I8),
        (Value::UI1(a), Value::UI1(b)) => bits!(a, b, UI1),
        (Value::UI2(a), Value::UI2(b)) => bits!(a, b, UI2),
        (Value::UI4(a), Value::UI4(b)) => bits!(a, b, UI4),
        (Value::UI8(a), Value::UI8(b)) => bits!(a, b, UI8),
        (a, _) => {
            return Err(EvalError::Other(format!(
                "bitwise operators need integers, not \"{}\"",
                a.data_type().static_name()
            )))
        }
    })
}

/// Orders two values of the same representation; `None` when they cannot be ordered (NaN,
/// different kinds).
pub(crate) fn compare(x: &Value, y: &Value) -> Option<Ordering> {
    Some(match (x, y) {
        (Value::I1(a), Value::I1(b)) => a.cmp(b),
        (Value::I2(a), Value::I2(b)) => a.cmp(b),
        (Value::I4(a), Value::I4(b)) => a.cmp(b),
        (Value::I8(a), Value::I8(b)) => a.cmp(b),
        (Value::UI1(a), Value::UI1(b)) => a.cmp(b),
        (Value::UI2(a), Value::UI2(b)) => a.cmp(b),
        (Value::UI4(a), Value::UI4(b)) => a.cmp(b),
        (Value::UI8(a), Value::UI8(b)) => a.cmp(b),
        (Value::R4(a), Value::R4(b)) => a.partial_cmp(b)?,
        (Value::R8(a), Value::R8(b)) => a.partial_cmp(b)?,
        (Value::Cy(a), Value::Cy(b))
        | (Value::Decimal(a), Value::Decimal(b))
        | (Value::Numeric(a), Value::Numeric(b)) => a.compare(b),
        // TRUE is -1, so TRUE < FALSE.
        (Value::Bool(a), Value::Bool(b)) => (-(*a as i32)).cmp(&-(*b as i32)),
        (Value::Date(a), Value::Date(b))
        | (Value::DbTimestamp(a), Value::DbTimestamp(b))
        | (Value::DbTimestamp2(a), Value::DbTimestamp2(b))
        | (Value::FileTime(a), Value::FileTime(b)) => a.cmp(b),
        (Value::DbDate(a), Value::DbDate(b)) => a.cmp(b),
        (Value::DbTime(a), Value::DbTime(b)) | (Value::DbTime2(a), Value::DbTime2(b)) => a.cmp(b),
        (Value::DbTimestampOffset(a), Value::DbTimestampOffset(b)) => a.cmp(b),
        (Value::Guid(a), Value::Guid(b)) => a.cmp(b),
        (Value::Bytes(a) | Value::Image(a), Value::Bytes(b) | Value::Image(b)) => a.cmp(b),
        (a, b) => match (a.as_str(), b.as_str()) {
            (Some(s), Some(t)) => s.cmp(t),
            _ => return None,
        },
    })
}
