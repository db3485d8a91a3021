//! The ODBC connection-string grammar (`SQLDriverConnect`): `keyword=value` pairs separated by
//! `;`; a value enclosed in braces may hold `;`, `=` and blanks, and a `}` inside it is written
//! `}}`; quotes are ordinary characters; blanks around keywords and unbraced values are
//! ignored. Reading and writing only.

use super::{ConnectionStringError, Pair};

const SYNTAX: &str = "ODBC";

/// Splits `text` into pairs.
pub(super) fn parse(text: &str) -> Result<Vec<Pair>, ConnectionStringError> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut pairs = Vec::new();
    loop {
        while i < chars.len() && (chars[i] == ';' || chars[i].is_whitespace()) {
            i += 1;
        }
        if i >= chars.len() {
            return Ok(pairs);
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && chars[i] != ';' {
            i += 1;
        }
        let key: String = chars[start..i]
            .iter()
            .collect::<String>()
            .trim()
            .to_string();
        if i >= chars.len() || chars[i] != '=' || key.is_empty() {
            return Err(ConnectionStringError::NotKeyValue {
                syntax: SYNTAX,
                text: chars[start..i]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string(),
            });
        }
        i += 1;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if chars.get(i) == Some(&'{') {
            i += 1;
            let mut ended = false;
            while i < chars.len() {
                if chars[i] == '}' {
                    if chars.get(i + 1) == Some(&'}') {
                        value.push('}');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    ended = true;
                    break;
                }
                value.push(chars[i]);
                i += 1;
            }
            if !ended {
                return Err(ConnectionStringError::Unclosed {
                    syntax: SYNTAX,
                    key,
                    quote: '{',
                });
            }
            let rest_start = i;
            while i < chars.len() && chars[i] != ';' {
                i += 1;
            }
            let rest: String = chars[rest_start..i].iter().collect();
            if !rest.trim().is_empty() {
                return Err(ConnectionStringError::AfterQuote {
                    syntax: SYNTAX,
                    key,
                    quote: '{',
                    close: '}',
                    rest: rest.trim().to_string(),
                });
            }
        } else {
            while i < chars.len() && chars[i] != ';' {
                value.push(chars[i]);
                i += 1;
            }
            value = value.trim().to_string();
        }
        pairs.push(Pair { key, value });
    }
}

/// Writes `key=value`, the value in braces when it needs them (no separator).
pub(super) fn write_pair(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push('=');
    let needs =
        value.contains([';', '{', '}']) || value.trim() != value || value.contains(['\r', '\n']);
    if !needs {
        out.push_str(value);
        return;
    }
    out.push('{');
    out.push_str(&value.replace('}', "}}"));
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Vec<(String, String)> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|p| (p.key, p.value))
            .collect()
    }

    #[test]
    fn braces_hold_anything_and_quotes_are_plain() {
        assert_eq!(
            p("Driver={PostgreSQL Unicode};Server=127.0.0.1; Port = 5432 ;Pwd={a;b=}}c};Uid='x'"),
            vec![
                ("Driver".into(), "PostgreSQL Unicode".into()),
                ("Server".into(), "127.0.0.1".into()),
                ("Port".into(), "5432".into()),
                ("Pwd".into(), "a;b=}c".into()),
                ("Uid".into(), "'x'".into()),
            ]
        );
        // The shapes the corpus's ODBC connection managers have.
        assert_eq!(
            p("uid=OSUF_SSIS;Dsn=SNOWFLAKE;"),
            vec![
                ("uid".to_string(), "OSUF_SSIS".to_string()),
                ("Dsn".to_string(), "SNOWFLAKE".to_string())
            ]
        );
        assert_eq!(p("Database=/tmp/a b.db")[0].1, "/tmp/a b.db");
    }

    #[test]
    fn malformed_strings_say_where() {
        let e = parse("Driver={SQLite3;Database=x").unwrap_err();
        assert!(
            e.to_string().contains("Driver") && e.to_string().contains('{'),
            "{e}"
        );
        let e = parse("Driver={A}B;x=1").unwrap_err();
        assert!(e.to_string().contains("\"B\""), "{e}");
        let e = parse("Driver=x;lonely").unwrap_err();
        assert!(e.to_string().contains("\"lonely\""), "{e}");
    }
}
