//! Parameter binding: which parameter binding each marker of a batch stands for. `?` markers
//! take the bindings by position (the return value first, then the numeric names `0`,`1`… or
//! `1`,`2`… in order, then `?`-named ones as declared); `@name` and `:name` markers take the
//! binding of that name. Markers inside string literals, quoted identifiers and comments are
//! left alone. The text comes back with `?` markers (ODBC), or for SQL Server with `@P1`,
//! `@P2`… for the input markers (the RPC parameters, in order) and a local variable per
//! output or return-value binding ([`output_variable`]), which the driver declares and reads.

use super::error::SqlError;
use super::payload::{Direction, ParameterBinding};

/// How the driver wants its markers written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerStyle {
    Question,
    /// Input markers become `@P1`, `@P2`, … numbered within the batch; output and
    /// return-value markers become [`output_variable`]s.
    NumberedAt,
}

/// The local variable that stands for output or return-value binding `index` in a SQL Server
/// batch.
pub fn output_variable(index: usize) -> String {
    format!("@SsisdOut{}", index + 1)
}

/// One batch ready to send: its text and, per marker in order, the binding index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundBatch {
    pub sql: String,
    pub markers: Vec<usize>,
}

/// The order in which `?` markers take the bindings.
pub fn positional_order(bindings: &[ParameterBinding]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..bindings.len())
        .filter(|&i| bindings[i].direction == Direction::ReturnValue)
        .collect();
    let mut numeric: Vec<(i64, usize)> = bindings
        .iter()
        .enumerate()
        .filter(|(_, b)| b.direction != Direction::ReturnValue)
        .filter_map(|(i, b)| b.name.trim().parse::<i64>().ok().map(|n| (n, i)))
        .collect();
    numeric.sort();
    order.extend(numeric.into_iter().map(|(_, i)| i));
    order.extend(
        bindings
            .iter()
            .enumerate()
            .filter(|(_, b)| b.direction != Direction::ReturnValue && b.name.trim() == "?")
            .map(|(i, _)| i),
    );
    order
}

fn named(bindings: &[ParameterBinding], name: &str) -> Option<usize> {
    bindings.iter().position(|b| {
        let n = b.name.trim();
        let bare = n.trim_start_matches(['@', ':']);
        !bare.is_empty() && bare.parse::<i64>().is_err() && bare.eq_ignore_ascii_case(name)
    })
}

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || c == '#'
}

/// Rewrites `sql`'s markers. `next_positional` counts `?` markers across the batches of one
/// statement text, so a second batch's first `?` takes the next positional binding.
pub fn bind_batch(
    sql: &str,
    bindings: &[ParameterBinding],
    order: &[usize],
    next_positional: &mut usize,
    style: MarkerStyle,
) -> Result<BoundBatch, SqlError> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut markers = Vec::new();
    let mut inputs = 0;
    let mut emit = |out: &mut String, markers: &mut Vec<usize>, index: usize| {
        markers.push(index);
        match style {
            MarkerStyle::Question => out.push('?'),
            MarkerStyle::NumberedAt if bindings[index].direction == Direction::Input => {
                inputs += 1;
                out.push_str(&format!("@P{inputs}"));
            }
            MarkerStyle::NumberedAt => out.push_str(&output_variable(index)),
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\'' | '"' | '[' => {
                let close = if c == '[' { ']' } else { c };
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == close {
                        if chars.get(i + 1) == Some(&close) && close != ']' {
                            out.push(close);
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            '-' if next == Some('-') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                out.push_str("/*");
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    out.push(chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    out.push_str("*/");
                    i += 2;
                }
            }
            '?' => {
                let Some(&index) = order.get(*next_positional) else {
                    return Err(SqlError::Binding(format!(
                        "the statement has more ? markers than parameter bindings ({})",
                        order.len()
                    )));
                };
                *next_positional += 1;
                emit(&mut out, &mut markers, index);
                i += 1;
            }
            '@' | ':' if i == 0 || (chars[i - 1] != c && !ident_char(chars[i - 1])) => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && ident_char(chars[end]) {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                match named(bindings, &name) {
                    Some(index) if end > start => {
                        emit(&mut out, &mut markers, index);
                        i = end;
                    }
                    _ => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(BoundBatch { sql: out, markers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(name: &str, direction: Direction) -> ParameterBinding {
        ParameterBinding {
            name: name.into(),
            variable: format!("User::{name}"),
            direction,
            data_type: 0,
            size: -1,
        }
    }

    #[test]
    fn positional_markers_follow_the_numeric_names() {
        let bs = [b("1", Direction::Input), b("0", Direction::Input)];
        let order = positional_order(&bs);
        assert_eq!(order, vec![1, 0]);
        let mut n = 0;
        let got = bind_batch(
            "SELECT ? + ?, '?' -- ?\n/* ? */",
            &bs,
            &order,
            &mut n,
            MarkerStyle::Question,
        )
        .unwrap();
        assert_eq!(got.markers, vec![1, 0]);
        assert_eq!(got.sql, "SELECT ? + ?, '?' -- ?\n/* ? */");
        let mut n = 0;
        let at = bind_batch("SELECT ? + ?", &bs, &order, &mut n, MarkerStyle::NumberedAt).unwrap();
        assert_eq!(at.sql, "SELECT @P1 + @P2");
    }

    #[test]
    fn the_return_value_takes_the_first_marker() {
        let bs = [
            b("1", Direction::Input),
            b("0", Direction::ReturnValue),
            b("2", Direction::Output),
        ];
        let order = positional_order(&bs);
        let mut n = 0;
        let got = bind_batch(
            "{? = call f(?, ?)}",
            &bs,
            &order,
            &mut n,
            MarkerStyle::Question,
        )
        .unwrap();
        assert_eq!(got.markers, vec![1, 0, 2]);
    }

    #[test]
    fn sql_server_outputs_become_local_variables_and_inputs_are_numbered_apart() {
        let bs = [
            b("0", Direction::ReturnValue),
            b("1", Direction::Input),
            b("2", Direction::Output),
            b("3", Direction::Input),
        ];
        let order = positional_order(&bs);
        let mut n = 0;
        let got = bind_batch(
            "EXEC ? = dbo.p ?, ? OUTPUT, ?",
            &bs,
            &order,
            &mut n,
            MarkerStyle::NumberedAt,
        )
        .unwrap();
        assert_eq!(
            got.sql,
            "EXEC @SsisdOut1 = dbo.p @P1, @SsisdOut3 OUTPUT, @P2"
        );
        assert_eq!(got.markers, vec![0, 1, 2, 3]);
        let named = [
            b("@rc", Direction::ReturnValue),
            b("@n", Direction::Input),
            b("@d", Direction::Output),
        ];
        let order = positional_order(&named);
        let mut n = 0;
        let got = bind_batch(
            "EXEC @rc = dbo.p @n, @d OUTPUT; SELECT @d",
            &named,
            &order,
            &mut n,
            MarkerStyle::NumberedAt,
        )
        .unwrap();
        assert_eq!(
            got.sql,
            "EXEC @SsisdOut1 = dbo.p @P1, @SsisdOut3 OUTPUT; SELECT @SsisdOut3"
        );
    }

    #[test]
    fn names_bind_by_name_and_leave_the_rest() {
        let bs = [b("@id", Direction::Input), b("label", Direction::Input)];
        let order = positional_order(&bs);
        let mut n = 0;
        let got = bind_batch(
            "SELECT @id, :label, @id, @@ROWCOUNT, @other, x::int, 'a@id'",
            &bs,
            &order,
            &mut n,
            MarkerStyle::Question,
        )
        .unwrap();
        assert_eq!(
            got.sql,
            "SELECT ?, ?, ?, @@ROWCOUNT, @other, x::int, 'a@id'"
        );
        assert_eq!(got.markers, vec![0, 1, 0]);
    }

    #[test]
    fn counting_continues_across_batches_and_too_many_markers_fail() {
        let bs = [b("0", Direction::Input), b("1", Direction::Input)];
        let order = positional_order(&bs);
        let mut n = 0;
        let first = bind_batch("SELECT ?", &bs, &order, &mut n, MarkerStyle::Question).unwrap();
        let second = bind_batch("SELECT ?", &bs, &order, &mut n, MarkerStyle::Question).unwrap();
        assert_eq!((first.markers, second.markers), (vec![0], vec![1]));
        let e = bind_batch("SELECT ?", &bs, &order, &mut n, MarkerStyle::Question);
        assert!(e.unwrap_err().to_string().contains("more ? markers"));
    }
}
