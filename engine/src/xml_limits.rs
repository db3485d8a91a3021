//! The shape limits every package and configuration document must keep before it is read:
//! elements nested at most [`MAX_ELEMENT_DEPTH`] deep, at most [`MAX_ATTRIBUTES`] attributes on
//! one element, no attribute twice on one element — checked in one linear streaming pass
//! (quick-xml, attributes read without its own duplicate check, which compares every attribute
//! with every earlier one, and duplicates found with a hash set instead).
//!
//! Why it exists: the DOM parser the loader uses recurses once per nested element (a document
//! 200,000 elements deep overflows the stack) and compares each attribute with all earlier ones
//! of its element (quadratic: a million attributes on one element never finish). Checking the
//! shape first bounds both. Real packages stay far inside the limits (the deepest corpus
//! package nests 17 elements, the widest element has 55 attributes). This module only checks
//! shape; well-formedness beyond it, and meaning, are the readers'.

use std::collections::HashSet;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// How deep elements may nest (the root element is depth 1).
pub const MAX_ELEMENT_DEPTH: usize = 256;
/// How many attributes (namespace declarations included) one element may carry.
pub const MAX_ATTRIBUTES: usize = 256;

/// Why a document's shape is refused. Positions are byte offsets in the decoded text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("elements are nested more than {limit} deep (at byte {position}); a package never nests that deep, so the file is damaged or hostile")]
    TooDeep { limit: usize, position: u64 },
    #[error("element <{element}> has more than {limit} attributes (at byte {position}); a package element never carries that many, so the file is damaged or hostile")]
    TooManyAttributes {
        element: String,
        limit: usize,
        position: u64,
    },
    #[error("attribute {attribute} appears twice on element <{element}> (at byte {position})")]
    DuplicateAttribute {
        element: String,
        attribute: String,
        position: u64,
    },
    #[error("it is not well-formed XML (at byte {position}: {message})")]
    Xml { position: u64, message: String },
}

impl ShapeError {
    /// The byte offset (in the decoded text) the error is about.
    pub fn position(&self) -> u64 {
        match self {
            ShapeError::TooDeep { position, .. }
            | ShapeError::TooManyAttributes { position, .. }
            | ShapeError::DuplicateAttribute { position, .. }
            | ShapeError::Xml { position, .. } => *position,
        }
    }
}

/// Follows the element depth of a stream and checks each start tag against the limits.
#[derive(Debug, Default)]
pub struct ShapeCheck {
    depth: usize,
    /// Reused between elements: the attribute names of the element being checked.
    names: HashSet<Vec<u8>>,
}

impl ShapeCheck {
    pub fn new() -> ShapeCheck {
        ShapeCheck::default()
    }

    /// The current depth (0 outside the root element).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Checks a start tag (`empty`: a self-closing one) found at byte `position`.
    pub fn start(
        &mut self,
        e: &BytesStart<'_>,
        empty: bool,
        position: u64,
    ) -> Result<(), ShapeError> {
        if self.depth >= MAX_ELEMENT_DEPTH {
            return Err(ShapeError::TooDeep {
                limit: MAX_ELEMENT_DEPTH,
                position,
            });
        }
        if !empty {
            self.depth += 1;
        }
        let element = || String::from_utf8_lossy(e.name().as_ref()).into_owned();
        self.names.clear();
        let mut attributes = e.attributes();
        attributes.with_checks(false);
        for (count, a) in attributes.enumerate() {
            let a = a.map_err(|err| ShapeError::Xml {
                position,
                message: err.to_string(),
            })?;
            if count >= MAX_ATTRIBUTES {
                return Err(ShapeError::TooManyAttributes {
                    element: element(),
                    limit: MAX_ATTRIBUTES,
                    position,
                });
            }
            if !self.names.insert(a.key.as_ref().to_vec()) {
                return Err(ShapeError::DuplicateAttribute {
                    element: element(),
                    attribute: String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    position,
                });
            }
        }
        Ok(())
    }

    /// An end tag.
    pub fn end(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// Checks the shape of a whole document in one pass (linear in its length).
pub fn check_shape(text: &str) -> Result<(), ShapeError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut check = ShapeCheck::new();
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| ShapeError::Xml {
            position: reader.error_position(),
            message: e.to_string(),
        })?;
        match event {
            Event::Start(e) => check.start(&e, false, at)?,
            Event::Empty(e) => check.start(&e, true, at)?,
            Event::End(_) => check.end(),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`, for messages.
pub fn line_column(text: &str, position: u64) -> (u32, u32) {
    let mut at = usize::try_from(position)
        .unwrap_or(usize::MAX)
        .min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[start..].chars().count() + 1;
    (line as u32, column as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_depth_past_the_limit_without_recursing() {
        let n = 200_000;
        let deep = format!("<r>{}{}</r>", "<a>".repeat(n), "</a>".repeat(n));
        let err = check_shape(&deep).unwrap_err();
        assert!(
            matches!(err, ShapeError::TooDeep { limit, .. } if limit == MAX_ELEMENT_DEPTH),
            "{err}"
        );
        let ok = format!(
            "<r>{}{}</r>",
            "<a>".repeat(MAX_ELEMENT_DEPTH - 1),
            "</a>".repeat(MAX_ELEMENT_DEPTH - 1)
        );
        check_shape(&ok).unwrap();
    }

    #[test]
    fn refuses_too_many_and_duplicate_attributes() {
        let attrs = |n: usize| (0..n).map(|i| format!(" a{i}=\"x\"")).collect::<String>();
        check_shape(&format!("<r{}/>", attrs(MAX_ATTRIBUTES))).unwrap();
        let err = check_shape(&format!("<r{}/>", attrs(MAX_ATTRIBUTES + 1))).unwrap_err();
        assert!(matches!(err, ShapeError::TooManyAttributes { .. }), "{err}");
        let err = check_shape(r#"<r><x a="1" b="2" a="3"/></r>"#).unwrap_err();
        assert!(
            matches!(&err, ShapeError::DuplicateAttribute { attribute, .. } if attribute == "a"),
            "{err}"
        );
    }

    /// A million attributes on one element (12 MB) are refused at once, not after minutes.
    #[test]
    fn a_million_attributes_are_refused_quickly() {
        let attrs: String = (0..1_000_000).map(|i| format!(" a{i}=\"\"")).collect();
        let err = check_shape(&format!("<r{attrs}/>")).unwrap_err();
        assert!(matches!(err, ShapeError::TooManyAttributes { .. }), "{err}");
    }

    #[test]
    fn positions_become_lines_and_columns() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (2, 2));
        assert_eq!(line_column(text, 8), (3, 1));
        assert_eq!(line_column(text, 999), (3, 2));
    }
}
