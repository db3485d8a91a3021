//! Names of folders and packages inside a store, and paths made of them. A valid name can be
//! used as one file name and one URL segment: no path separators, no `.`/`..`, no control
//! characters, none of the characters Windows forbids in file names (the rule SSIS documents for
//! folder names). This module only validates; it must not touch the file system.

use std::fmt;

use crate::error::StoreError;

/// Characters SSIS (through .NET's invalid file-name characters) refuses in names, besides
/// control characters.
const FORBIDDEN: &[char] = &['/', '\\', '"', '<', '>', '|', ':', '*', '?'];
/// Longest name accepted (msdb's `sysname` is 128 characters).
pub const MAX_NAME_CHARS: usize = 128;
/// Longest name accepted in bytes of UTF-8: a name becomes a file name (a package's with
/// `.dtsx` after it), and Linux file systems take at most 255 bytes (`NAME_MAX`).
pub const MAX_NAME_BYTES: usize = 250;

/// A package name without one trailing `.dtsx` (any case), as SSIS paths and file names may
/// carry it.
pub fn strip_dtsx(name: &str) -> &str {
    match name.len().checked_sub(5) {
        Some(i) if name.is_char_boundary(i) && name[i..].eq_ignore_ascii_case(".dtsx") => {
            &name[..i]
        }
        _ => name,
    }
}

/// One validated folder or package name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemName(String);

impl ItemName {
    pub fn new(name: &str) -> Result<Self, StoreError> {
        let bad = |reason: &str| StoreError::InvalidName {
            name: name.to_string(),
            reason: reason.to_string(),
        };
        if name.is_empty() {
            return Err(bad("a name cannot be empty"));
        }
        if name == "." || name == ".." {
            return Err(bad("\".\" and \"..\" are not names"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(bad(&format!(
                "a name has at most {MAX_NAME_CHARS} characters (this one has {})",
                name.chars().count()
            )));
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(bad(&format!(
                "a name has at most {MAX_NAME_BYTES} bytes in UTF-8 (this one has {}): it becomes a file name, and the file system allows 255 bytes with the .dtsx extension; characters outside ASCII take 2 to 4 bytes each",
                name.len()
            )));
        }
        if let Some(c) = name.chars().find(|c| c.is_control()) {
            return Err(bad(&format!(
                "control character U+{:04X} is not allowed",
                c as u32
            )));
        }
        if let Some(c) = name.chars().find(|c| FORBIDDEN.contains(c)) {
            return Err(bad(&format!(
                "the character '{c}' is not allowed (names cannot contain / \\ \" < > | : * ?)"
            )));
        }
        if name.starts_with('.') {
            return Err(bad(
                "a name cannot start with '.' (reserved for temporary files)",
            ));
        }
        if name != name.trim() {
            return Err(bad("a name cannot start or end with white space"));
        }
        Ok(ItemName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A folder inside one top-level folder: a list of names, empty for the top-level folder itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct StorePath(Vec<ItemName>);

impl StorePath {
    pub fn root() -> Self {
        StorePath(Vec::new())
    }

    /// Builds a path from already split segments, validating each.
    pub fn from_segments<S: AsRef<str>>(segments: &[S]) -> Result<Self, StoreError> {
        segments
            .iter()
            .map(|s| ItemName::new(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map(StorePath)
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn segments(&self) -> &[ItemName] {
        &self.0
    }

    pub fn join(&self, name: &ItemName) -> StorePath {
        let mut v = self.0.clone();
        v.push(name.clone());
        StorePath(v)
    }

    /// The parent folder and the last name, or `None` for the root.
    pub fn split_last(&self) -> Option<(StorePath, &ItemName)> {
        let (last, rest) = self.0.split_last()?;
        Some((StorePath(rest.to_vec()), last))
    }
}

impl fmt::Display for StorePath {
    /// SSIS's own spelling: `\Folder\Sub`, `\` for the root.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("\\");
        }
        for s in &self.0 {
            write!(f, "\\{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for n in [
            "Load Customers",
            "File System",
            "a",
            "Ümlaut-ß_1",
            "x.y",
            "MSDB SQLSHARE01",
        ] {
            assert!(ItemName::new(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn refuses_separators_dots_controls_and_forbidden_characters() {
        for n in [
            "",
            ".",
            "..",
            "a/b",
            "a\\b",
            "a\u{0}b",
            "tab\there",
            "q\"",
            "<x>",
            "a|b",
            "c:",
            "*",
            "?",
            ".hidden",
            " lead",
            "trail ",
        ] {
            let err = ItemName::new(n).unwrap_err();
            assert!(matches!(err, StoreError::InvalidName { .. }), "{n}");
        }
        assert!(ItemName::new(&"x".repeat(129)).is_err());
        assert!(ItemName::new(&"x".repeat(128)).is_ok());
    }

    /// 128 emoji (512 bytes) and 100 euro signs (300 bytes) are within 128 characters but not
    /// within a file name's 255 bytes: refused naming the byte limit.
    #[test]
    fn refuses_names_longer_than_a_file_name_in_bytes() {
        for n in ["\u{1F600}".repeat(128), "\u{20AC}".repeat(100)] {
            let err = ItemName::new(&n).unwrap_err().to_string();
            assert!(err.contains("at most 250 bytes"), "{err}");
        }
        assert!(ItemName::new(&"\u{20AC}".repeat(83)).is_ok());
        assert!(ItemName::new(&"\u{20AC}".repeat(84)).is_err());
    }

    #[test]
    fn paths_display_in_ssis_spelling() {
        assert_eq!(StorePath::root().to_string(), "\\");
        let p = StorePath::from_segments(&["A", "B c"]).unwrap();
        assert_eq!(p.to_string(), "\\A\\B c");
        let (parent, last) = p.split_last().unwrap();
        assert_eq!(parent.to_string(), "\\A");
        assert_eq!(last.as_str(), "B c");
        assert!(StorePath::from_segments(&["ok", ".."]).is_err());
    }
}
