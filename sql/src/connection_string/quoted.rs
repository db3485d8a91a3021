//! The grammar OLE DB and ADO.NET connection strings share: `keyword=value` pairs separated
//! by `;`; blanks around keywords and unquoted values are ignored; a value that holds `;` or a
//! quote, or keeps leading or trailing blanks, is enclosed in `"` or `'`, and the enclosing
//! quote is doubled inside (a quote inside an unquoted value is read as it is); an `=` inside a keyword is written `==`. Braces are
//! ordinary characters here (they quote only in ODBC strings). Reading and writing only.

use super::{ConnectionStringError, Pair};

/// Splits `text` into pairs.
pub(super) fn parse(text: &str, syntax: &'static str) -> Result<Vec<Pair>, ConnectionStringError> {
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
        // The keyword: up to a single `=`; `==` is a literal `=`.
        let start = i;
        let mut key = String::new();
        let mut closed = false;
        while i < chars.len() {
            match chars[i] {
                '=' if chars.get(i + 1) == Some(&'=') => {
                    key.push('=');
                    i += 2;
                }
                '=' => {
                    i += 1;
                    closed = true;
                    break;
                }
                ';' => break,
                c => {
                    key.push(c);
                    i += 1;
                }
            }
        }
        let key = key.trim().to_string();
        if !closed || key.is_empty() {
            let end = chars[i..]
                .iter()
                .position(|c| *c == ';')
                .map_or(chars.len(), |n| i + n);
            return Err(ConnectionStringError::NotKeyValue {
                syntax,
                text: chars[start..end]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string(),
            });
        }
        while i < chars.len() && chars[i].is_whitespace() && chars[i] != ';' {
            i += 1;
        }
        let mut value = String::new();
        match chars.get(i).copied() {
            Some(q @ ('"' | '\'')) => {
                i += 1;
                let mut ended = false;
                while i < chars.len() {
                    if chars[i] == q {
                        if chars.get(i + 1) == Some(&q) {
                            value.push(q);
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
                        syntax,
                        key,
                        quote: q,
                    });
                }
                let rest_start = i;
                while i < chars.len() && chars[i] != ';' {
                    i += 1;
                }
                let rest: String = chars[rest_start..i].iter().collect();
                if !rest.trim().is_empty() {
                    return Err(ConnectionStringError::AfterQuote {
                        syntax,
                        key,
                        quote: q,
                        close: q,
                        rest: rest.trim().to_string(),
                    });
                }
            }
            _ => {
                while i < chars.len() && chars[i] != ';' {
                    value.push(chars[i]);
                    i += 1;
                }
                value = value.trim().to_string();
            }
        }
        pairs.push(Pair { key, value });
    }
}

/// Writes `key=value` quoted as needed (no separator).
pub(super) fn write_pair(out: &mut String, key: &str, value: &str) {
    out.push_str(&key.replace('=', "=="));
    out.push('=');
    let needs =
        value.contains([';', '"', '\'']) || value.trim() != value || value.contains(['\r', '\n']);
    if !needs {
        out.push_str(value);
        return;
    }
    let q = if value.contains('"') && !value.contains('\'') {
        '\''
    } else {
        '"'
    };
    out.push(q);
    for c in value.chars() {
        if c == q {
            out.push(q);
        }
        out.push(c);
    }
    out.push(q);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Vec<(String, String)> {
        parse(text, "OLE DB")
            .unwrap()
            .into_iter()
            .map(|p| (p.key, p.value))
            .collect()
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn quotes_blanks_and_doubled_characters() {
        assert_eq!(
            p(" Data Source = db1 ; Password=\"p;w\"\"d\" ;User ID='it''s';;Key==Name=v;Empty=;"),
            kv(&[
                ("Data Source", "db1"),
                ("Password", "p;w\"d"),
                ("User ID", "it's"),
                ("Key=Name", "v"),
                ("Empty", ""),
            ])
        );
        assert_eq!(
            p("A=' keep ';B=\"'x'\";C=x\"y;D={a}"),
            kv(&[("A", " keep "), ("B", "'x'"), ("C", "x\"y"), ("D", "{a}")]),
            "blanks inside quotes stay; quotes after the start and braces are ordinary"
        );
        // The SSIS designer's own shape.
        assert_eq!(
            p("Data Source=localhost\\SQL_2022;Initial Catalog=AdventureWorks;Provider=SQLNCLI11.1;Integrated Security=SSPI;Application Name=SSIS-Package1-{DAFEB973-3F5A-4983-B506-C43EE20282A2}localhost\\SQL_2022.AdventureWorks1;Auto Translate=False;")[4],
            (
                "Application Name".to_string(),
                "SSIS-Package1-{DAFEB973-3F5A-4983-B506-C43EE20282A2}localhost\\SQL_2022.AdventureWorks1".to_string()
            )
        );
        assert_eq!(
            p("Extended Properties=\"EXCEL 12.0 XML;HDR=YES\";Provider=Microsoft.ACE.OLEDB.12.0"),
            kv(&[
                ("Extended Properties", "EXCEL 12.0 XML;HDR=YES"),
                ("Provider", "Microsoft.ACE.OLEDB.12.0")
            ])
        );
    }

    #[test]
    fn malformed_strings_say_where() {
        let e = parse("Server=h;junk;x=1", "OLE DB").unwrap_err();
        assert_eq!(
            e.to_string(),
            "OLE DB connection string: \"junk\" is not keyword=value"
        );
        let e = parse("Server=h;Password='open", "ADO.NET").unwrap_err();
        assert!(
            e.to_string().contains("Password") && e.to_string().contains("never closed"),
            "{e}"
        );
        let e = parse("Password=\"a\"b;x=1", "OLE DB").unwrap_err();
        assert!(e.to_string().contains("\"b\""), "{e}");
        assert!(parse("=v", "OLE DB").is_err());
        assert!(parse("", "OLE DB").unwrap().is_empty());
    }

    #[test]
    fn writing_quotes_what_needs_it() {
        let mut out = String::new();
        write_pair(&mut out, "a=b", "x");
        assert_eq!(out, "a==b=x");
        for (value, written) in [
            ("plain", "plain"),
            ("a;b", "\"a;b\""),
            ("say \"hi\"", "'say \"hi\"'"),
            ("both ' and \"", "\"both ' and \"\"\""),
            ("'lead", "\"'lead\""),
        ] {
            let mut out = String::new();
            write_pair(&mut out, "K", value);
            assert_eq!(out, format!("K={written}"));
            assert_eq!(p(&out), kv(&[("K", value)]), "round trip of {value}");
        }
    }
}
