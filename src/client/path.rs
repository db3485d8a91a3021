//! Paths as users write them: SSIS's `\MSDB\Folder\Package` or `MSDB/Folder/Package`, turned
//! into names and percent-encoded API path segments. A top-level folder's name may hold a
//! backslash (`MSDB ETL01\INST2`, an instance name, as classic configuration files have it): a
//! written path then begins with the longest top-level name it starts with, followed by a
//! separator or the end (compared ignoring case, as the service finds folders). The client and
//! the service (`POST /copy`, `/move`, `/running` bodies) split written paths with this one
//! rule. Validation of each name is the service's.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// Everything but unreserved characters is encoded in a path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'|')
    .add(b'^')
    .add(b'[')
    .add(b']')
    .add(b'&')
    .add(b'+')
    .add(b';')
    .add(b'=')
    .add(b':')
    .add(b'@')
    .add(b',')
    .add(b'$')
    .add(b'!')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'*');

/// A top-level folder and names below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemPath(pub Vec<String>);

/// A written path that names nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" names no folder: write e.g. \"File System/Sales\" or \"\\MSDB\\Sales\"")]
pub struct EmptyPath {
    pub text: String,
}

/// Splits a written path into names, the first being the longest of `tops` that the path starts
/// with (after any leading separators), when one is followed by a separator or the end.
pub fn split_written<S: AsRef<str>>(text: &str, tops: &[S]) -> Vec<String> {
    let trimmed = text.trim_start_matches(['/', '\\']);
    let top = tops
        .iter()
        .map(AsRef::as_ref)
        .filter(|name| !name.is_empty())
        .filter(|name| {
            trimmed
                .get(..name.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(name))
                && matches!(
                    trimmed.as_bytes().get(name.len()),
                    None | Some(b'/' | b'\\')
                )
        })
        .max_by_key(|name| name.len());
    let (first, rest) = match top {
        Some(name) => (
            Some(trimmed[..name.len()].to_string()),
            &trimmed[name.len()..],
        ),
        None => (None, trimmed),
    };
    first
        .into_iter()
        .chain(
            rest.split(['/', '\\'])
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        )
        .collect()
}

impl ItemPath {
    /// Splits at every `/` and `\\` (no top-level name holds a backslash).
    pub fn parse(text: &str) -> Result<ItemPath, EmptyPath> {
        Self::parse_with_tops(text, &[] as &[&str])
    }

    /// Splits as [`split_written`] does with the service's top-level folder names.
    pub fn parse_with_tops<S: AsRef<str>>(text: &str, tops: &[S]) -> Result<ItemPath, EmptyPath> {
        let names = split_written(text, tops);
        if names.is_empty() {
            return Err(EmptyPath {
                text: text.to_string(),
            });
        }
        Ok(ItemPath(names))
    }

    /// The percent-encoded segments joined by `/`.
    pub fn encoded(&self) -> String {
        self.0
            .iter()
            .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
            .collect::<Vec<_>>()
            .join("/")
    }

    pub fn name(&self) -> &str {
        self.0.last().map(String::as_str).unwrap_or("")
    }

    pub fn parent(&self) -> ItemPath {
        ItemPath(self.0[..self.0.len().saturating_sub(1)].to_vec())
    }

    /// SSIS's spelling.
    pub fn display(&self) -> String {
        format!("\\{}", self.0.join("\\"))
    }

    /// `Top/Folder/Name` for request bodies.
    pub fn slash(&self) -> String {
        self.0.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings() {
        let a = ItemPath::parse("\\MSDB\\Sales\\Load Customers").unwrap();
        let b = ItemPath::parse("MSDB/Sales/Load Customers").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.encoded(), "MSDB/Sales/Load%20Customers");
        assert_eq!(a.display(), "\\MSDB\\Sales\\Load Customers");
        assert_eq!(a.parent().display(), "\\MSDB\\Sales");
        assert!(ItemPath::parse("//").is_err());
        assert_eq!(
            ItemPath::parse("File System/a#b").unwrap().encoded(),
            "File%20System/a%23b"
        );
    }

    #[test]
    fn top_level_names_with_a_backslash_by_longest_match() {
        let tops = ["MSDB", "MSDB ETL01", "MSDB ETL01\\INST2", "File System"];
        let p = ItemPath::parse_with_tops("\\MSDB ETL01\\INST2\\Sales\\Load", &tops).unwrap();
        assert_eq!(p.0, ["MSDB ETL01\\INST2", "Sales", "Load"]);
        assert_eq!(p.encoded(), "MSDB%20ETL01%5CINST2/Sales/Load");
        assert_eq!(p.display(), "\\MSDB ETL01\\INST2\\Sales\\Load");
        // Ignoring case, with / after the name, or the name alone.
        let p = ItemPath::parse_with_tops("msdb etl01\\inst2/Sales", &tops).unwrap();
        assert_eq!(p.0, ["msdb etl01\\inst2", "Sales"]);
        let p = ItemPath::parse_with_tops("MSDB ETL01\\INST2", &tops).unwrap();
        assert_eq!(p.0, ["MSDB ETL01\\INST2"]);
        // A shorter name when the longer one does not end at a separator.
        let p = ItemPath::parse_with_tops("\\MSDB ETL01\\INST23\\x", &tops).unwrap();
        assert_eq!(p.0, ["MSDB ETL01", "INST23", "x"]);
        // Written with / the backslash name does not match: its backslash is part of it.
        let p = ItemPath::parse_with_tops("MSDB ETL01/INST2/x", &tops).unwrap();
        assert_eq!(p.0, ["MSDB ETL01", "INST2", "x"]);
        // No top-level name matches: every separator splits.
        assert_eq!(split_written("\\Other\\a", &tops), ["Other", "a"]);
        assert_eq!(split_written("€\\a", &["€x"]), ["€", "a"]);
    }
}
