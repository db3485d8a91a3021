//! Splitting and unquoting of option arguments that hold several `;`-separated values
//! (`/Set`, `/Conn`, `/Par`, `/Rep`, `/Cons`, …). The shell has already split argv, so what is
//! left for us is: `;` separators that do not count inside double quotes or `[...]` brackets,
//! doubled quotes (`""`) inside a quoted value, and `\"` escapes. This file must not know which
//! option an argument belongs to nor what its parts mean.

/// Splits `s` at every `;` that is outside double quotes and outside square brackets.
/// Always returns at least one part (possibly empty).
pub(crate) fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for at in separator_positions(s) {
        parts.push(&s[start..at]);
        start = at + 1;
    }
    parts.push(&s[start..]);
    parts
}

/// Splits `s` at its first top-level `;` (see [`split_top_level`]); the second half keeps any
/// further separators verbatim. `None` when there is no top-level `;`.
pub(crate) fn split_first_top_level(s: &str) -> Option<(&str, &str)> {
    separator_positions(s)
        .first()
        .map(|&at| (&s[..at], &s[at + 1..]))
}

/// Byte offsets of the top-level `;` characters of `s`.
fn separator_positions(s: &str) -> Vec<usize> {
    let bytes = s.as_bytes();
    let mut positions = Vec::new();
    let mut in_quotes = false;
    let mut bracket_depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&b'"') => {
                // An escaped quote never opens or closes a quoted run.
                i += 2;
                continue;
            }
            b'"' if in_quotes && bytes.get(i + 1) == Some(&b'"') => {
                // A doubled quote inside quotes is one literal quote.
                i += 2;
                continue;
            }
            b'"' => in_quotes = !in_quotes,
            b'[' if !in_quotes => bracket_depth += 1,
            b']' if !in_quotes => bracket_depth = bracket_depth.saturating_sub(1),
            b';' if !in_quotes && bracket_depth == 0 => positions.push(i),
            _ => {}
        }
        i += 1;
    }
    positions
}

/// Whether `s` is wrapped in a pair of double quotes.
pub(crate) fn is_quoted(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('"') && s.ends_with('"')
}

/// Removes one pair of enclosing double quotes, if present, turning `""` inside them into `"`;
/// in every case `\"` becomes `"`.
pub(crate) fn unquote(s: &str) -> String {
    if is_quoted(s) {
        s[1..s.len() - 1]
            .replace("\\\"", "\"")
            .replace("\"\"", "\"")
    } else {
        s.replace("\\\"", "\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_plain_semicolons() {
        assert_eq!(split_top_level("a;b;c"), vec!["a", "b", "c"]);
        assert_eq!(split_top_level(""), vec![""]);
        assert_eq!(split_top_level("a;"), vec!["a", ""]);
    }

    #[test]
    fn semicolons_inside_quotes_and_brackets_do_not_split() {
        assert_eq!(
            split_top_level("Conn;\"Data Source=x;Initial Catalog=y\""),
            vec!["Conn", "\"Data Source=x;Initial Catalog=y\""]
        );
        assert_eq!(
            split_top_level("\\Package.Variables[a;b].Value;v"),
            vec!["\\Package.Variables[a;b].Value", "v"]
        );
    }

    #[test]
    fn escaped_quotes_do_not_toggle() {
        assert_eq!(split_top_level("a\\\";b"), vec!["a\\\"", "b"]);
        assert_eq!(
            split_top_level("\"say \"\"hi;\"\"\";x"),
            vec!["\"say \"\"hi;\"\"\"", "x"]
        );
    }

    #[test]
    fn first_split_keeps_the_rest() {
        assert_eq!(split_first_top_level("p;a;b"), Some(("p", "a;b")));
        assert_eq!(split_first_top_level("p"), None);
    }

    #[test]
    fn unquoting() {
        assert_eq!(unquote("\"a b\""), "a b");
        assert_eq!(unquote("\"say \"\"hi\"\"\""), "say \"hi\"");
        assert_eq!(unquote("\"say \\\"hi\\\"\""), "say \"hi\"");
        assert_eq!(unquote("a\\\"b"), "a\"b");
        assert_eq!(unquote("\""), "\"");
        assert_eq!(unquote("plain"), "plain");
        assert_eq!(unquote("\"\""), "");
    }

    #[test]
    fn multibyte_text_is_safe() {
        assert_eq!(split_top_level("é;ß\"ü;\""), vec!["é", "ß\"ü;\""]);
        assert_eq!(unquote("\"ü\""), "ü");
    }
}
