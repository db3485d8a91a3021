//! Parameters of a database source's SQL command: the `ParameterMapping` property, which maps
//! each `?` marker to a variable, and the markers themselves. SSIS writes the mapping as
//! `"name:Input",{variable DTSID};…` (2008+), older files `"0",{DTSID};` or
//! `"Parameter0",{DTSID};`; a name that is a number (or `ParameterN`) is the marker's
//! position, any other name (`@Cutoff`) takes the next position in the order written. The
//! variable may also be given by name (`User::Cutoff`). For SQL Server the `?` markers become
//! `@P1`, `@P2`, … (markers inside string literals, quoted identifiers and comments are left
//! alone). Hand-written: it is SSIS's own property format. It must not read variables.

/// One mapped parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// The name as the mapping gives it (`0`, `@Cutoff`, `Parameter1`).
    pub name: String,
    /// The variable: a DTSID `{…}` or a name.
    pub variable: String,
}

fn position(name: &str) -> Option<usize> {
    let n = name.trim();
    let n = n
        .strip_prefix("Parameter")
        .or_else(|| n.strip_prefix("parameter"))
        .unwrap_or(n);
    n.parse().ok()
}

/// A `ParameterMapping` that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// A quoted parameter name left open; holds the rest of the mapping from there.
    #[error("ParameterMapping: the parameter name in {0} opens a quote that is never closed")]
    UnclosedQuote(String),
    /// An entry without a comma; holds the rest of the mapping from there.
    #[error("ParameterMapping: \"{0}\" has no variable after the parameter name")]
    NoVariable(String),
    /// A parameter name not followed by `,`.
    #[error("ParameterMapping: the parameter \"{0}\" is not followed by a comma and its variable")]
    NoComma(String),
    #[error("ParameterMapping: the parameter \"{0}\" names no variable")]
    EmptyVariable(String),
    /// A position beyond the entries, or one given twice.
    #[error("ParameterMapping: the parameter \"{name}\" is numbered outside 0..{count} or twice")]
    Position { name: String, count: usize },
}

/// Reads `ParameterMapping` into parameters in marker order.
pub fn parse_mapping(text: &str) -> Result<Vec<Parameter>, MappingError> {
    let mut entries: Vec<(Option<usize>, Parameter)> = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let rest_trim = rest.trim_start_matches([';', ' ', '\r', '\n', '\t']);
        if rest_trim.is_empty() {
            break;
        }
        let (name, after) = if let Some(r) = rest_trim.strip_prefix('"') {
            let end = r
                .find('"')
                .ok_or_else(|| MappingError::UnclosedQuote(rest_trim.to_string()))?;
            (&r[..end], &r[end + 1..])
        } else {
            let end = rest_trim
                .find(',')
                .ok_or_else(|| MappingError::NoVariable(rest_trim.to_string()))?;
            (&rest_trim[..end], &rest_trim[end..])
        };
        let after = after.trim_start();
        let after = after
            .strip_prefix(',')
            .ok_or_else(|| MappingError::NoComma(name.to_string()))?;
        let end = after.find(';').unwrap_or(after.len());
        let variable = after[..end].trim().to_string();
        if variable.is_empty() {
            return Err(MappingError::EmptyVariable(name.to_string()));
        }
        let bare = name.split(':').next().unwrap_or(name).trim().to_string();
        entries.push((
            position(&bare),
            Parameter {
                name: bare,
                variable,
            },
        ));
        rest = &after[end..];
    }
    // Numbered parameters go to their positions; named ones fill the rest in order.
    let count = entries.len();
    let mut slots: Vec<Option<Parameter>> = vec![None; count];
    let mut named = Vec::new();
    let zero_based = entries.iter().any(|(p, _)| *p == Some(0));
    for (p, param) in entries {
        match p {
            Some(n) => {
                let i = if zero_based { n } else { n.saturating_sub(1) };
                match slots.get_mut(i) {
                    Some(slot @ None) => *slot = Some(param),
                    _ => {
                        return Err(MappingError::Position {
                            name: param.name,
                            count,
                        })
                    }
                }
            }
            None => named.push(param),
        }
    }
    let mut named = named.into_iter();
    Ok(slots
        .into_iter()
        .filter_map(|s| s.or_else(|| named.next()))
        .collect())
}

/// Walks `sql` outside literals, identifiers and comments, calling `f` at each `?` marker with
/// its byte offset; returns the text with each marker replaced by what `f` returns.
fn rewrite(sql: &str, mut f: impl FnMut(usize) -> String) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 16);
    let mut i = 0;
    let mut copied = 0;
    let mut n = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'[') => {
                let close = if q == b'[' { b']' } else { q };
                i += 1;
                while i < b.len() {
                    if b[i] == close {
                        if i + 1 < b.len() && b[i + 1] == close {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'?' => {
                out.push_str(&sql[copied..i]);
                out.push_str(&f(n));
                n += 1;
                i += 1;
                copied = i;
            }
            _ => i += 1,
        }
    }
    if copied < sql.len() {
        out.push_str(&sql[copied.min(sql.len())..]);
    }
    out
}

/// How many `?` markers `sql` has.
pub fn count_markers(sql: &str) -> usize {
    let mut n = 0;
    rewrite(sql, |_| {
        n += 1;
        String::new()
    });
    n
}

/// `sql` with its `?` markers as `@P1`, `@P2`, … (SQL Server's RPC parameters).
pub fn numbered_markers(sql: &str) -> String {
    rewrite(sql, |n| format!("@P{}", n + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_of_every_era_read_in_marker_order() {
        let m = parse_mapping("\"@LastCutoff:Input\",{60BD0000-0000-0000-0000-000000000001};\"@NewCutoff:Input\",{B96D0000-0000-0000-0000-000000000002};").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].name, "@LastCutoff");
        assert_eq!(m[1].variable, "{B96D0000-0000-0000-0000-000000000002}");
        let m = parse_mapping("\"1\",{B};\"0\",{A};").unwrap();
        assert_eq!(
            m.iter().map(|p| p.variable.as_str()).collect::<Vec<_>>(),
            ["{A}", "{B}"]
        );
        let m = parse_mapping("\"Parameter1\",User::Hi;\"Parameter0\",User::Lo;").unwrap();
        assert_eq!(m[0].variable, "User::Lo");
        assert!(parse_mapping("").unwrap().is_empty());
        assert!(parse_mapping("\"0\",;").is_err());
        assert!(parse_mapping("\"0,{A}").is_err());
    }

    #[test]
    fn markers_outside_literals_and_comments_are_found() {
        let sql = "SELECT '?', \"a?\", [b?] FROM t -- ?\n WHERE x > ? /* ? */ AND y = ?";
        assert_eq!(count_markers(sql), 2);
        assert_eq!(
            numbered_markers(sql),
            "SELECT '?', \"a?\", [b?] FROM t -- ?\n WHERE x > @P1 /* ? */ AND y = @P2"
        );
        assert_eq!(numbered_markers("it's ''?''"), "it's ''?''");
    }
}
