//! Paths as users write them: SSIS's `\MSDB\Folder\Package` or `MSDB/Folder/Package`, turned
//! into names and percent-encoded API path segments. Validation of each name is the service's.

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

impl ItemPath {
    pub fn parse(text: &str) -> Result<ItemPath, String> {
        let names: Vec<String> = text
            .split(['/', '\\'])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if names.is_empty() {
            return Err(format!(
                "\"{text}\" names no folder: write e.g. \"File System/Sales\" or \"\\MSDB\\Sales\""
            ));
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
}
