//! Object and column names as packages write them and as each driver wants them. Packages
//! name tables in SQL Server's style (`[dbo].[Orders]`), in ANSI style (`"public"."orders"`)
//! or bare (`dbo.Orders`); a name is read into its parts (brackets with `]]`, double quotes
//! with `""` and backticks undone) and written back for the target: ANSI double quotes for
//! ODBC drivers (PostgreSQL, SQLite, SQL Server's own ODBC driver with QUOTED_IDENTIFIER on,
//! the default), brackets for SQL Server over TDS. A part that was bare stays bare, so a
//! database that folds unquoted names (PostgreSQL lower-cases them) sees what the package
//! author wrote. Hand-written: this is SSIS's naming convention, not a grammar a crate offers.
//! It must not run statements.

/// How identifiers are quoted for a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// `"name"` (ODBC, the SQL standard).
    Ansi,
    /// `[name]` (SQL Server).
    Brackets,
}

impl Quoting {
    /// `name` quoted.
    pub fn quote(self, name: &str) -> String {
        match self {
            Quoting::Ansi => format!("\"{}\"", name.replace('"', "\"\"")),
            Quoting::Brackets => format!("[{}]", name.replace(']', "]]")),
        }
    }
}

/// One part of a dotted name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Quoted(String),
    Bare(String),
}

impl Part {
    pub fn text(&self) -> &str {
        match self {
            Part::Quoted(s) | Part::Bare(s) => s,
        }
    }
}

/// A table or view name that cannot be read; `name` is the text as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectNameError {
    #[error("the table or view name is empty")]
    Empty,
    /// A quote left open; `quote` is the name's first character.
    #[error("the name {name} opens a quote ({quote}) that is never closed")]
    UnclosedQuote { name: String, quote: char },
    #[error("the name {0} has an empty part")]
    EmptyPart(String),
    /// Text after a quoted part other than a dot.
    #[error("the name {name} has \"{after}\" after a quoted part; separate parts with dots")]
    AfterQuoted { name: String, after: char },
    #[error("the name {0} has more than four parts")]
    TooManyParts(String),
}

/// A table or view name: `catalog.schema.table`, `schema.table` or `table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectName {
    pub parts: Vec<Part>,
}

impl ObjectName {
    /// Reads a name as packages write it.
    pub fn parse(text: &str) -> Result<ObjectName, ObjectNameError> {
        let chars: Vec<char> = text.trim().chars().collect();
        if chars.is_empty() {
            return Err(ObjectNameError::Empty);
        }
        let mut parts = Vec::new();
        let mut i = 0;
        loop {
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            let close = match chars.get(i) {
                Some('[') => Some(']'),
                Some('"') => Some('"'),
                Some('`') => Some('`'),
                _ => None,
            };
            if let Some(close) = close {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(ObjectNameError::UnclosedQuote {
                                name: text.to_string(),
                                quote: chars.first().copied().unwrap_or(' '),
                            })
                        }
                        Some(&c) if c == close => {
                            if chars.get(i + 1) == Some(&close) {
                                s.push(close);
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(&c) => {
                            s.push(c);
                            i += 1;
                        }
                    }
                }
                parts.push(Part::Quoted(s));
            } else {
                let start = i;
                while i < chars.len() && chars[i] != '.' {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                let s = s.trim();
                if s.is_empty() {
                    return Err(ObjectNameError::EmptyPart(text.to_string()));
                }
                parts.push(Part::Bare(s.to_string()));
            }
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            match chars.get(i) {
                None => break,
                Some('.') => i += 1,
                Some(&c) => {
                    return Err(ObjectNameError::AfterQuoted {
                        name: text.to_string(),
                        after: c,
                    })
                }
            }
        }
        if parts.len() > 4 {
            return Err(ObjectNameError::TooManyParts(text.to_string()));
        }
        Ok(ObjectName { parts })
    }

    /// The name written for a target.
    pub fn render(&self, quoting: Quoting) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Quoted(s) => quoting.quote(s),
                Part::Bare(s) => s.clone(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The last part (the table's own name), for messages.
    pub fn table(&self) -> &str {
        self.parts.last().map(Part::text).unwrap_or("")
    }
}

impl std::fmt::Display for ObjectName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Quoting::Brackets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quoting_style_reads_into_parts() {
        let n = ObjectName::parse("[dbo].[Order ]]Lines]").unwrap();
        assert_eq!(
            n.parts,
            vec![
                Part::Quoted("dbo".into()),
                Part::Quoted("Order ]Lines".into())
            ]
        );
        assert_eq!(n.render(Quoting::Ansi), "\"dbo\".\"Order ]Lines\"");
        assert_eq!(n.render(Quoting::Brackets), "[dbo].[Order ]]Lines]");
        let a = ObjectName::parse("\"public\".\"say \"\"hi\"\"\"").unwrap();
        assert_eq!(a.table(), "say \"hi\"");
        assert_eq!(a.render(Quoting::Ansi), "\"public\".\"say \"\"hi\"\"\"");
        let b = ObjectName::parse(" sales.orders ").unwrap();
        assert_eq!(b.render(Quoting::Ansi), "sales.orders");
        assert_eq!(
            ObjectName::parse("`x`").unwrap().render(Quoting::Ansi),
            "\"x\""
        );
    }

    #[test]
    fn malformed_names_are_refused_with_the_name() {
        assert!(ObjectName::parse("").is_err());
        assert!(ObjectName::parse("[dbo].[x")
            .unwrap_err()
            .to_string()
            .contains("never closed"));
        assert!(ObjectName::parse("a..b")
            .unwrap_err()
            .to_string()
            .contains("empty part"));
        assert!(ObjectName::parse("[a]b").is_err());
    }
}
