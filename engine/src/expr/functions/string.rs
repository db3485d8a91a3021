//! The string functions: CODEPOINT, FINDSTRING, HEX, LEFT, LEN, LOWER, UPPER, LTRIM, RTRIM, TRIM,
//! REPLACE, REPLICATE, REVERSE, RIGHT, SUBSTRING, TOKEN and TOKENCOUNT — argument rules, result
//! types and evaluation on characters. It must not handle NULL propagation (the catalogue does,
//! except TOKENCOUNT's NULL → 0 which lives here).

use super::{arg_int, arg_str, fail, plain, ArgInfo, CheckFailure, Func, Signature};
use crate::expr::error::EvalError;
use crate::types::DataType;
use crate::types::Value;

/// Largest string REPLICATE may build, in characters.
const MAX_RESULT_CHARS: usize = 16 * 1024 * 1024;

#[derive(Clone, Copy, PartialEq)]
enum Arg {
    S,
    I,
}

fn layout(func: Func) -> &'static [Arg] {
    use Arg::{I, S};
    match func {
        Func::Codepoint
        | Func::Len
        | Func::Lower
        | Func::Upper
        | Func::Ltrim
        | Func::Rtrim
        | Func::Trim
        | Func::Reverse => &[S],
        Func::Hex => &[I],
        Func::Findstring | Func::Token => &[S, S, I],
        Func::Left | Func::Right | Func::Replicate => &[S, I],
        Func::Replace => &[S, S, S],
        Func::Substring => &[S, I, I],
        Func::Tokencount => &[S, S],
        _ => &[],
    }
}

pub(super) fn check(func: Func, args: &[ArgInfo<'_>]) -> Result<Signature, CheckFailure> {
    for (i, (a, want)) in args.iter().zip(layout(func)).enumerate() {
        let blob_len =
            func == Func::Len && (a.ty.is_blob() || matches!(a.ty, DataType::Bytes { .. }));
        let ok = match want {
            Arg::S => a.ty.is_string() || blob_len,
            Arg::I => a.ty.is_integer(),
        } || a.ty == DataType::Null;
        if !ok {
            return fail(
                Some(i),
                format!(
                    "the function \"{}\" needs {} argument {} but got \"{}\"; use an explicit cast",
                    func.name(),
                    if *want == Arg::S {
                        "a string"
                    } else {
                        "an integer"
                    },
                    i + 1,
                    a.ty.static_name()
                ),
            );
        }
        if *want == Arg::I && func != Func::Hex {
            if let Some(v) = a.constant.and_then(super::int_arg) {
                let must_be_positive = matches!(
                    (func, i),
                    (Func::Findstring, 2) | (Func::Token, 2) | (Func::Substring, 1)
                );
                if (must_be_positive && v < 1) || v < 0 {
                    return fail(
                        Some(i),
                        format!(
                            "argument {} of \"{}\" must be {}",
                            i + 1,
                            func.name(),
                            if must_be_positive {
                                "greater than zero"
                            } else {
                                "zero or more"
                            }
                        ),
                    );
                }
            }
        }
        if func == Func::Replace && i == 1 {
            if let Some(Value::WStr(s) | Value::Str(s)) = a.constant {
                if s.is_empty() {
                    return fail(Some(1), "the search string of REPLACE must not be empty");
                }
            }
        }
    }
    let len0 = args.first().map(|a| a.ty.string_len()).unwrap_or(0);
    let result = match func {
        Func::Codepoint => DataType::UI2,
        Func::Findstring | Func::Len | Func::Tokencount => DataType::I4,
        Func::Hex => DataType::WStr {
            len: 2 * args[0].ty.int_size().unwrap_or(8) as u32,
        },
        Func::Replace | Func::Replicate => DataType::WStr { len: 0 },
        _ => DataType::WStr { len: len0 },
    };
    Ok(plain(result, args.len()))
}

fn bad(func: Func, msg: &str) -> EvalError {
    EvalError::func(func.name(), msg)
}

/// Byte offset of the character index `n` (or the end).
fn char_offset(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map(|(i, _)| i).unwrap_or(s.len())
}

pub(super) fn eval(func: Func, args: &[Value], result: &DataType) -> Result<Value, EvalError> {
    if func == Func::Tokencount {
        let (Some(s), Some(d)) = (
            args.first().and_then(Value::as_str),
            args.get(1).and_then(Value::as_str),
        ) else {
            return Ok(Value::I4(0));
        };
        let n = tokens(s, d).count();
        return Ok(Value::I4(n.min(i32::MAX as usize) as i32));
    }
    if func == Func::Hex {
        let text = match args.first() {
            Some(Value::I1(x)) => format!("{:X}", *x as u8),
            Some(Value::I2(x)) => format!("{:X}", *x as u16),
            Some(Value::I4(x)) => format!("{:X}", *x as u32),
            Some(Value::I8(x)) => format!("{:X}", *x as u64),
            Some(Value::UI1(x)) => format!("{x:X}"),
            Some(Value::UI2(x)) => format!("{x:X}"),
            Some(Value::UI4(x)) => format!("{x:X}"),
            Some(Value::UI8(x)) => format!("{x:X}"),
            _ => return Err(bad(func, "the argument must be an integer")),
        };
        return Ok(Value::WStr(text));
    }
    if func == Func::Len {
        let n = match args.first() {
            Some(Value::Bytes(b) | Value::Image(b)) => b.len(),
            Some(Value::Text(s)) => s.len(),
            Some(Value::NText(s)) => s.encode_utf16().count() * 2,
            _ => arg_str(args, 0, func)?.chars().count(),
        };
        return Ok(Value::I4(n.min(i32::MAX as usize) as i32));
    }
    let s = arg_str(args, 0, func)?;
    let out: String = match func {
        Func::Codepoint => {
            return Ok(match s.encode_utf16().next() {
                Some(u) => Value::UI2(u),
                None => Value::Null(DataType::UI2),
            })
        }
        Func::Findstring => {
            let search = arg_str(args, 1, func)?;
            let occurrence = arg_int(args, 2, func)?;
            if occurrence < 1 {
                return Err(bad(func, "the occurrence must be greater than zero"));
            }
            return Ok(Value::I4(find_nth(s, search, occurrence as usize)));
        }
        Func::Lower => s.to_lowercase(),
        Func::Upper => s.to_uppercase(),
        Func::Ltrim => s.trim_start_matches(' ').to_string(),
        Func::Rtrim => s.trim_end_matches(' ').to_string(),
        Func::Trim => s.trim_matches(' ').to_string(),
        Func::Reverse => s.chars().rev().collect(),
        Func::Left | Func::Right => {
            let n = arg_int(args, 1, func)?;
            if n < 0 {
                return Err(bad(func, "the length must not be negative"));
            }
            let count = s.chars().count();
            let n = (n as usize).min(count);
            if func == Func::Left {
                s[..char_offset(s, n)].to_string()
            } else {
                s[char_offset(s, count - n)..].to_string()
            }
        }
        Func::Replace => {
            let search = arg_str(args, 1, func)?;
            let replacement = arg_str(args, 2, func)?;
            if search.is_empty() {
                return Err(bad(func, "the search string must not be empty"));
            }
            s.replace(search, replacement)
        }
        Func::Replicate => {
            let n = arg_int(args, 1, func)?;
            if n < 0 {
                return Err(bad(func, "the count must not be negative"));
            }
            let total = (s.chars().count() as u128) * (n as u128);
            if total > MAX_RESULT_CHARS as u128 {
                return Err(bad(func, "the result would be too long"));
            }
            s.repeat(n as usize)
        }
        Func::Substring => {
            let pos = arg_int(args, 1, func)?;
            let len = arg_int(args, 2, func)?;
            if pos < 1 {
                return Err(bad(func, "the position must be greater than zero"));
            }
            if len < 0 {
                return Err(bad(func, "the length must not be negative"));
            }
            let start = char_offset(s, (pos - 1) as usize);
            let rest = &s[start..];
            let end = char_offset(rest, usize::try_from(len).unwrap_or(usize::MAX));
            rest[..end].to_string()
        }
        Func::Token => {
            let delims = arg_str(args, 1, func)?;
            let occurrence = arg_int(args, 2, func)?;
            if occurrence < 1 {
                return Err(bad(func, "the occurrence must be greater than zero"));
            }
            tokens(s, delims)
                .nth((occurrence - 1) as usize)
                .unwrap_or("")
                .to_string()
        }
        _ => return Err(bad(func, "not a string function")),
    };
    let _ = result;
    Ok(Value::WStr(out))
}

/// The non-empty tokens of `s` split at any character of `delims`.
fn tokens<'a>(s: &'a str, delims: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    s.split(move |c: char| delims.contains(c))
        .filter(|t| !t.is_empty())
}

/// One-based character position of the n-th (possibly overlapping) occurrence, 0 if none.
fn find_nth(s: &str, search: &str, n: usize) -> i32 {
    if search.is_empty() {
        return 0;
    }
    let mut seen = 0;
    let mut from = 0;
    while let Some(i) = s[from..].find(search) {
        let at = from + i;
        seen += 1;
        if seen == n {
            return (s[..at].chars().count() + 1).min(i32::MAX as usize) as i32;
        }
        // Continue one character after this match's start.
        from = at + s[at..].chars().next().map(char::len_utf8).unwrap_or(1);
    }
    0
}
