//! What an Excel Source reads, as its package names it: a table name (`Sheet1$`, a cell range
//! `Sheet1$A2:K10`, a quoted `'My Sheet$'`, or a workbook-level named range) or a simple SQL
//! command over one — `SELECT [TOP n] * | col [AS alias], … FROM [table]`. Anything more
//! (WHERE, joins, expressions, ORDER BY) is refused with the reason, since the workbook is
//! read directly and not through a SQL engine. It owns the grammar; it must not open files.

/// A sheet, a range of a sheet, or a named range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableRef {
    /// `Sheet1$`: the sheet's used range.
    Sheet(String),
    /// `Sheet1$A2:K10` (or a single cell): 0-based (row, column) corners, inclusive.
    Range {
        sheet: String,
        start: (u32, u32),
        end: (u32, u32),
    },
    /// A name without `$`: a defined name of the workbook.
    Named(String),
}

impl TableRef {
    /// The sheet a reference names, when it names one.
    pub fn sheet(&self) -> Option<&str> {
        match self {
            TableRef::Sheet(s) | TableRef::Range { sheet: s, .. } => Some(s),
            TableRef::Named(_) => None,
        }
    }
}

impl std::fmt::Display for TableRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableRef::Sheet(s) => write!(f, "sheet \"{s}\""),
            TableRef::Range { sheet, start, end } => write!(
                f,
                "range {}:{} of sheet \"{sheet}\"",
                cell_name(*start),
                cell_name(*end)
            ),
            TableRef::Named(n) => write!(f, "named range \"{n}\""),
        }
    }
}

/// `A1` for (0, 0).
pub fn cell_name((row, col): (u32, u32)) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.push((b'A' + r as u8) as char);
        c = (c - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(row + 1).to_string()
}

/// A column of a SELECT list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// The column of the sheet (its header, or `F1`, `F2`, … without one).
    pub column: String,
    /// The name it is returned under.
    pub alias: String,
}

/// A table read whole or a SELECT over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub table: TableRef,
    /// `None`: every column (`*`, or a table name).
    pub columns: Option<Vec<Selected>>,
    /// `TOP n`.
    pub top: Option<u64>,
}

/// Reads a cell reference such as `A2` or `$AB$10` into 0-based (row, column).
fn parse_cell(text: &str) -> Option<(u32, u32)> {
    let t = text.trim().replace('$', "");
    let split = t.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = t.split_at(split);
    if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut col: u32 = 0;
    for c in letters.chars() {
        col = col.checked_mul(26)? + (c.to_ascii_uppercase() as u32 - 'A' as u32 + 1);
    }
    let row: u32 = digits.parse().ok()?;
    if row == 0 || col == 0 || col > 16_384 || row > 1_048_576 {
        return None;
    }
    Some((row - 1, col - 1))
}

/// Reads `A1:C10` (or one cell) into corners.
pub fn parse_range(text: &str) -> Option<((u32, u32), (u32, u32))> {
    let (a, b) = match text.split_once(':') {
        Some((a, b)) => (a, b),
        None => (text, text),
    };
    let (a, b) = (parse_cell(a)?, parse_cell(b)?);
    Some(((a.0.min(b.0), a.1.min(b.1)), (a.0.max(b.0), a.1.max(b.1))))
}

/// Removes one layer of `[…]`, `` `…` ``, `'…'` or `"…"` quoting.
fn unquote(text: &str) -> String {
    let t = text.trim();
    let pairs = [('[', ']'), ('`', '`'), ('\'', '\''), ('"', '"')];
    for (open, close) in pairs {
        if t.len() >= 2 && t.starts_with(open) && t.ends_with(close) {
            let inner = &t[1..t.len() - 1];
            return match open {
                '[' => inner.replace("]]", "]"),
                q => inner.replace(&format!("{q}{q}"), &q.to_string()),
            };
        }
    }
    t.to_string()
}

/// A table name that names no sheet, range or named range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableNameError {
    #[error("the table name is empty; name a sheet such as Sheet1$ or a named range")]
    Empty,
    /// Nothing before the `$`; holds the name.
    #[error("\"{0}\" names no sheet before its $")]
    NoSheet(String),
    /// Text after the sheet's `$` that is not a cell range.
    #[error("\"{range}\" after the sheet name in \"{name}\" is not a cell range such as A1:C10")]
    BadRange { range: String, name: String },
}

/// An Excel Source's SQL command that cannot be read directly from a workbook.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// A quote or bracket left open; `at` counts characters from 1.
    #[error("the quote {quote} opened at character {at} is never closed")]
    UnclosedQuote { quote: char, at: usize },
    /// A statement outside the supported SELECT form; `why` says what it does.
    #[error("the SQL command \"{sql}\" {why}; an Excel Source reads SELECT * or SELECT col, … FROM [Sheet1$] (optionally TOP n, a cell range such as [Sheet1$A1:C10], or a named range) — filter and sort with Conditional Split and Sort instead")]
    Unsupported { sql: String, why: String },
    /// `TOP` without a number after it.
    #[error("the SQL command \"{sql}\": TOP needs a row count")]
    TopWithoutCount { sql: String },
    /// The table after `FROM` is not a valid table name.
    #[error("the SQL command \"{sql}\": {source}")]
    Table { sql: String, source: TableNameError },
}

/// Reads a table name as the package writes it.
pub fn parse_table(text: &str) -> Result<TableRef, TableNameError> {
    let name = unquote(text);
    // ACE writes sheets with spaces as 'My Sheet$' — possibly inside brackets.
    let name = unquote(&name);
    if name.trim().is_empty() {
        return Err(TableNameError::Empty);
    }
    match name.rfind('$') {
        Some(i) => {
            let sheet = unquote(&name[..i]);
            let rest = name[i + 1..].trim();
            if sheet.is_empty() {
                return Err(TableNameError::NoSheet(name));
            }
            if rest.is_empty() {
                return Ok(TableRef::Sheet(sheet));
            }
            let (start, end) = parse_range(rest).ok_or_else(|| TableNameError::BadRange {
                range: rest.to_string(),
                name: name.clone(),
            })?;
            Ok(TableRef::Range { sheet, start, end })
        }
        None => Ok(TableRef::Named(name)),
    }
}

/// Splits SQL text into words, quoted names and punctuation (`,`, `*`, `;`).
fn tokens(text: &str) -> Result<Vec<String>, SelectError> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let close = match c {
            '[' => Some(']'),
            '`' => Some('`'),
            '"' => Some('"'),
            '\'' => Some('\''),
            _ => None,
        };
        if let Some(close) = close {
            let start = i;
            i += 1;
            loop {
                if i >= chars.len() {
                    return Err(SelectError::UnclosedQuote {
                        quote: c,
                        at: start + 1,
                    });
                }
                if chars[i] == close {
                    if i + 1 < chars.len() && chars[i + 1] == close {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            // A quoted name may run on (`'My Sheet$'A1:B2`, `[Sheet1$]`).
            while i < chars.len() && !chars[i].is_whitespace() && !",;*".contains(chars[i]) {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
            continue;
        }
        if ",;*()=<>+".contains(c) {
            out.push(c.to_string());
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && !",;*()=<>+[`\"'".contains(chars[i]) {
            i += 1;
        }
        // A name followed by a quoted part (`Sheet1$'…`) is rare; keep what was read.
        out.push(chars[start..i].iter().collect());
    }
    Ok(out)
}

fn is_word(token: &str, word: &str) -> bool {
    token.eq_ignore_ascii_case(word)
}

/// Reads the SQL command of an Excel Source.
pub fn parse_select(sql: &str) -> Result<Query, SelectError> {
    let refuse = |why: &str| {
        Err(SelectError::Unsupported {
            sql: sql.trim().to_string(),
            why: why.to_string(),
        })
    };
    let mut t = tokens(sql)?;
    while t.last().is_some_and(|x| x == ";") {
        t.pop();
    }
    if t.is_empty() || !is_word(&t[0], "select") {
        return refuse("is not a SELECT");
    }
    let mut i = 1;
    if t.get(i).is_some_and(|x| is_word(x, "all")) {
        i += 1;
    }
    if t.get(i).is_some_and(|x| is_word(x, "distinct")) {
        return refuse("uses DISTINCT");
    }
    let mut top = None;
    if t.get(i).is_some_and(|x| is_word(x, "top")) {
        let n = t
            .get(i + 1)
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| SelectError::TopWithoutCount {
                sql: sql.trim().to_string(),
            })?;
        top = Some(n);
        i += 2;
    }
    let mut columns: Option<Vec<Selected>> = None;
    if t.get(i).is_some_and(|x| x == "*") {
        i += 1;
    } else {
        let mut list = Vec::new();
        loop {
            let Some(name) = t.get(i) else {
                return refuse("ends before FROM");
            };
            if is_word(name, "from") || ",;*()=<>+".contains(name.as_str()) {
                return refuse("has an empty or non-column item in its SELECT list");
            }
            let column = unquote(name);
            i += 1;
            let mut alias = column.clone();
            if t.get(i).is_some_and(|x| is_word(x, "as")) {
                let Some(a) = t.get(i + 1) else {
                    return refuse("ends after AS");
                };
                alias = unquote(a);
                i += 2;
            }
            list.push(Selected { column, alias });
            match t.get(i).map(String::as_str) {
                Some(",") => i += 1,
                Some(x) if is_word(x, "from") => break,
                Some("(") => return refuse("calls a function or uses an expression"),
                Some(_) => return refuse("has an expression in its SELECT list"),
                None => return refuse("has no FROM"),
            }
        }
        columns = Some(list);
    }
    if !t.get(i).is_some_and(|x| is_word(x, "from")) {
        return refuse("has no FROM after its SELECT list");
    }
    i += 1;
    let Some(table) = t.get(i) else {
        return refuse("names no table after FROM");
    };
    let table = parse_table(table).map_err(|source| SelectError::Table {
        sql: sql.trim().to_string(),
        source,
    })?;
    i += 1;
    if let Some(rest) = t.get(i) {
        let word = rest.to_ascii_uppercase();
        return refuse(&format!(
            "goes on after its table with {word}, which the direct reading of a workbook does not evaluate"
        ));
    }
    Ok(Query {
        table,
        columns,
        top,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names() {
        assert_eq!(parse_table("Sheet1$"), Ok(TableRef::Sheet("Sheet1".into())));
        assert_eq!(
            parse_table("[Sheet1$]"),
            Ok(TableRef::Sheet("Sheet1".into()))
        );
        assert_eq!(
            parse_table("'My Sheet$'"),
            Ok(TableRef::Sheet("My Sheet".into()))
        );
        assert_eq!(
            parse_table("Sheet1$A2:K10"),
            Ok(TableRef::Range {
                sheet: "Sheet1".into(),
                start: (1, 0),
                end: (9, 10)
            })
        );
        assert_eq!(parse_table("Prices"), Ok(TableRef::Named("Prices".into())));
        assert!(parse_table("Sheet1$A:Q").is_err());
        assert_eq!(cell_name((9, 27)), "AB10");
    }

    #[test]
    fn selects() {
        let q = parse_select("select top 1 F1 from [report$]").unwrap();
        assert_eq!(q.top, Some(1));
        assert_eq!(q.table, TableRef::Sheet("report".into()));
        assert_eq!(q.columns.unwrap()[0].column, "F1");
        let q = parse_select("SELECT * FROM [Sheet1$A2:K10];").unwrap();
        assert!(q.columns.is_none());
        let q = parse_select("SELECT [Unit Price] AS price, `Name` FROM 'My Sheet$'").unwrap();
        let cols = q.columns.unwrap();
        assert_eq!(cols[0].column, "Unit Price");
        assert_eq!(cols[0].alias, "price");
        assert_eq!(cols[1].alias, "Name");
        assert_eq!(q.table, TableRef::Sheet("My Sheet".into()));
    }

    #[test]
    fn refusals() {
        for sql in [
            "SELECT * FROM [Sheet1$] WHERE a = 1",
            "SELECT a + 1 FROM [Sheet1$]",
            "SELECT COUNT(*) FROM [Sheet1$]",
            "UPDATE [Sheet1$] SET a = 1",
            "SELECT DISTINCT a FROM [Sheet1$]",
            "SELECT a",
        ] {
            let e = parse_select(sql).unwrap_err().to_string();
            assert!(e.contains("SELECT * or SELECT col"), "{sql}: {e}");
        }
        assert!(parse_select("SELECT * FROM [Sheet1$").is_err());
    }
}
