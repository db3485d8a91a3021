//! The NULL functions ISNULL and REPLACENULL: their type rules and evaluation. (`NULL(type)` is a
//! literal form handled by the parser and checker.) It must not propagate NULL like the other
//! families do.

use super::{fail, plain, ArgInfo, CheckFailure, Func, Signature};
use crate::expr::error::EvalError;
use crate::types::can_cast;
use crate::types::DataType;
use crate::types::Value;

pub(super) fn check(func: Func, args: &[ArgInfo<'_>]) -> Result<Signature, CheckFailure> {
    match func {
        Func::Isnull => Ok(plain(DataType::Bool, 1)),
        _ => {
            let (a, b) = (args[0].ty, args[1].ty);
            if a.is_blob() || b.is_blob() || a == DataType::Object || b == DataType::Object {
                return fail(
                    Some(if a.is_blob() || a == DataType::Object {
                        0
                    } else {
                        1
                    }),
                    "REPLACENULL does not accept DT_TEXT, DT_NTEXT, DT_IMAGE or Object arguments",
                );
            }
            if a.is_string() && b.is_string() {
                let len = if a.string_len() == 0 || b.string_len() == 0 {
                    0
                } else {
                    a.string_len().max(b.string_len())
                };
                return Ok(plain(DataType::WStr { len }, 2));
            }
            if a == b {
                return Ok(plain(a, 2));
            }
            if !can_cast(&b, &a) {
                return fail(
                    Some(1),
                    format!(
                        "the second argument of REPLACENULL (\"{}\") cannot be converted to the type of the first (\"{}\")",
                        b.static_name(),
                        a.static_name()
                    ),
                );
            }
            Ok(Signature {
                result: a,
                arg_casts: vec![None, Some(a)],
            })
        }
    }
}

pub(super) fn eval(func: Func, args: &[Value]) -> Result<Value, EvalError> {
    let first = args.first().cloned().unwrap_or(Value::Null(DataType::Null));
    match func {
        Func::Isnull => Ok(Value::Bool(first.is_null())),
        _ => {
            if first.is_null() {
                Ok(args.get(1).cloned().unwrap_or(first))
            } else {
                Ok(first)
            }
        }
    }
}
