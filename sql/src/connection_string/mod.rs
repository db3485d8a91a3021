//! Connection strings as SSIS connection managers hold them, in the three syntaxes their
//! specifications define: OLE DB (`Provider=…;Data Source=…`), ADO.NET (SqlClient and the other
//! managed providers) and ODBC (`Driver={…};Server=…`). A [`ConnectionString`] keeps the
//! pairs in order with their values decoded, answers look-ups by keyword and synonyms with the
//! syntax's rule for repeated keywords (ODBC: the first one counts; OLE DB and ADO.NET: the
//! last), writes itself back with the quoting its syntax needs, and redacts passwords for
//! messages. The grammars live beside it: `quoted.rs` (OLE DB and ADO.NET) and `odbc.rs`.
//! Which keywords mean what to which driver is not decided here (see `provider.rs` and
//! `tds/settings.rs`).

mod odbc;
mod quoted;

use std::fmt;

/// Which specification a connection string follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// OLE DB (`IDataInitialize`): values quoted with `'` or `"`, a doubled quote inside is one
    /// quote, `==` in a keyword is one `=`; the last of a repeated keyword counts.
    OleDb,
    /// ADO.NET (`DbConnectionStringBuilder` without ODBC rules): the OLE DB rules.
    AdoNet,
    /// ODBC (`SQLDriverConnect`): values may be enclosed in braces, `}}` inside is one `}`;
    /// quotes are ordinary characters; the first of a repeated keyword counts.
    Odbc,
}

impl Syntax {
    pub fn name(self) -> &'static str {
        match self {
            Syntax::OleDb => "OLE DB",
            Syntax::AdoNet => "ADO.NET",
            Syntax::Odbc => "ODBC",
        }
    }
}

/// Why a connection string cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionStringError {
    #[error("{syntax} connection string: \"{text}\" is not keyword=value")]
    NotKeyValue { syntax: &'static str, text: String },
    #[error("{syntax} connection string: the value of {key} opens a {quote} that is never closed")]
    Unclosed {
        syntax: &'static str,
        key: String,
        quote: char,
    },
    #[error("{syntax} connection string: after the {quote}quoted{close} value of {key} comes \"{rest}\" instead of ; or the end")]
    AfterQuote {
        syntax: &'static str,
        key: String,
        quote: char,
        close: char,
        rest: String,
    },
}

/// One keyword and its decoded value.
#[derive(Clone, PartialEq, Eq)]
pub struct Pair {
    /// The keyword as written (trimmed; `==` already made `=`).
    pub key: String,
    pub value: String,
}

impl fmt::Debug for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_secret_key(&self.key) {
            write!(f, "{}=<redacted>", self.key)
        } else {
            write!(f, "{}={:?}", self.key, self.value)
        }
    }
}

/// Keywords whose value is a password.
pub fn is_secret_key(key: &str) -> bool {
    matches!(
        key.trim().to_ascii_lowercase().as_str(),
        "password" | "pwd" | "pass" | "passwd" | "secret"
    )
}

/// A parsed connection string.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    syntax: Syntax,
    pairs: Vec<Pair>,
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionString")
            .field("syntax", &self.syntax)
            .field("pairs", &self.pairs)
            .finish()
    }
}

impl ConnectionString {
    /// Reads `text` by the rules of `syntax`.
    pub fn parse(text: &str, syntax: Syntax) -> Result<ConnectionString, ConnectionStringError> {
        let pairs = match syntax {
            Syntax::Odbc => odbc::parse(text)?,
            Syntax::OleDb | Syntax::AdoNet => quoted::parse(text, syntax.name())?,
        };
        Ok(ConnectionString { syntax, pairs })
    }

    /// An empty connection string of `syntax`, to build one.
    pub fn new(syntax: Syntax) -> ConnectionString {
        ConnectionString {
            syntax,
            pairs: Vec::new(),
        }
    }

    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The value of the keyword among `keys` (synonyms, compared ignoring case) that counts:
    /// the first occurrence in ODBC, the last in OLE DB and ADO.NET.
    pub fn get(&self, keys: &[&str]) -> Option<&str> {
        let mut found = self
            .pairs
            .iter()
            .filter(|p| keys.iter().any(|k| p.key.eq_ignore_ascii_case(k)));
        let pair = match self.syntax {
            Syntax::Odbc => found.next(),
            Syntax::OleDb | Syntax::AdoNet => found.next_back(),
        };
        pair.map(|p| p.value.as_str())
    }

    /// [`ConnectionString::get`], with an empty or blank value counted as absent.
    pub fn get_non_empty(&self, keys: &[&str]) -> Option<&str> {
        self.get(keys).filter(|v| !v.trim().is_empty())
    }

    /// Whether any of `keys` is present.
    pub fn contains(&self, keys: &[&str]) -> bool {
        self.get(keys).is_some()
    }

    /// Appends a pair (it counts over earlier ones in OLE DB and ADO.NET; in ODBC only when
    /// the keyword was not there).
    pub fn push(&mut self, key: &str, value: &str) {
        self.pairs.push(Pair {
            key: key.to_string(),
            value: value.to_string(),
        });
    }

    /// The same string without the pairs whose keyword is one of `keys`.
    pub fn without(&self, keys: &[&str]) -> ConnectionString {
        ConnectionString {
            syntax: self.syntax,
            pairs: self
                .pairs
                .iter()
                .filter(|p| !keys.iter().any(|k| p.key.eq_ignore_ascii_case(k)))
                .cloned()
                .collect(),
        }
    }

    /// The same pairs read as `syntax` (for writing them out in it).
    pub fn with_syntax(mut self, syntax: Syntax) -> ConnectionString {
        self.syntax = syntax;
        self
    }

    /// The text, every value quoted as its syntax needs (passwords included: this is what
    /// drivers get; use [`ConnectionString::redacted`] for messages).
    pub fn to_text(&self) -> String {
        self.render(false)
    }

    /// The text with passwords replaced by `<redacted>`.
    pub fn redacted(&self) -> String {
        self.render(true)
    }

    fn render(&self, redact: bool) -> String {
        let mut out = String::new();
        for p in &self.pairs {
            let value = if redact && is_secret_key(&p.key) {
                "<redacted>"
            } else {
                p.value.as_str()
            };
            match self.syntax {
                Syntax::Odbc => odbc::write_pair(&mut out, &p.key, value),
                Syntax::OleDb | Syntax::AdoNet => quoted::write_pair(&mut out, &p.key, value),
            }
            out.push(';');
        }
        out
    }
}

/// `text` with every password replaced, for messages; a string that cannot be read is not
/// shown at all (it may hold a password the parser could not find).
pub fn redact(text: &str, syntax: Syntax) -> String {
    match ConnectionString::parse(text, syntax) {
        Ok(cs) => cs.redacted(),
        Err(_) => "<unreadable connection string, not shown>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keywords_follow_each_syntax() {
        let ole =
            ConnectionString::parse("Server=a;Data Source=b;server=c", Syntax::OleDb).unwrap();
        assert_eq!(ole.get(&["server", "data source"]), Some("c"), "last wins");
        let odbc =
            ConnectionString::parse("Server=a;Data Source=b;server=c", Syntax::Odbc).unwrap();
        assert_eq!(
            odbc.get(&["server", "data source"]),
            Some("a"),
            "first wins"
        );
        assert_eq!(odbc.get(&["nope"]), None);
    }

    #[test]
    fn written_back_in_each_syntax() {
        let mut cs = ConnectionString::new(Syntax::Odbc);
        cs.push("Driver", "PostgreSQL Unicode");
        cs.push("Pwd", "a;b}c");
        cs.push("Uid", " padded");
        assert_eq!(
            cs.to_text(),
            "Driver=PostgreSQL Unicode;Pwd={a;b}}c};Uid={ padded};"
        );
        assert_eq!(
            ConnectionString::parse(&cs.to_text(), Syntax::Odbc).unwrap(),
            cs
        );
        let ole = cs.clone().with_syntax(Syntax::OleDb);
        assert_eq!(
            ole.to_text(),
            "Driver=PostgreSQL Unicode;Pwd=\"a;b}c\";Uid=\" padded\";"
        );
        assert_eq!(
            ConnectionString::parse(&ole.to_text(), Syntax::OleDb).unwrap(),
            ole
        );
    }

    #[test]
    fn passwords_never_print() {
        let cs = ConnectionString::parse(
            "Data Source=h;User ID=sa;Password='Sup3r;secret';PWD=x",
            Syntax::OleDb,
        )
        .unwrap();
        for shown in [cs.redacted(), format!("{cs:?}")] {
            assert!(!shown.contains("Sup3r") && !shown.contains("=x"), "{shown}");
            assert!(shown.contains("User ID"), "{shown}");
        }
        assert!(!redact("pwd='x;y", Syntax::AdoNet).contains("x;y"));
        assert_eq!(
            redact("Driver={D};PWD={p;w}", Syntax::Odbc),
            "Driver=D;PWD=<redacted>;"
        );
    }
}
