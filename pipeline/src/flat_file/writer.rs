//! Writes rows of text fields in a flat file's format, as the Flat File destination does: each
//! field followed by its column's delimiter (the last one's ends the row), text-qualified
//! columns wrapped in the qualifier (doubling qualifiers inside the value when EscapeQualifier
//! is set), fixed-width columns padded with spaces or cut to their width, everything encoded in
//! the file's code page (UTF-16 LE for Unicode files). Rows collect in memory and go to the
//! file a batch at a time. It must not decide file names or replace files (the destination
//! writes to a temporary file and renames it).

use std::io::Write;

use encoding_rs::Encoding;

use super::encoding::{encode_into, CodePageError};
use super::format::{ColumnKind, FlatFileFormat};

/// Turns fields into encoded bytes.
pub struct RowWriter {
    encoding: &'static Encoding,
    delimiters: Vec<String>,
    kinds: Vec<ColumnKind>,
    widths: Vec<usize>,
    qualified: Vec<bool>,
    qualifier: Option<String>,
    escape: bool,
    line: String,
    bytes: Vec<u8>,
}

impl RowWriter {
    /// A writer for the format's columns; `Err` when its code page cannot be written.
    pub fn new(
        format: &FlatFileFormat,
        escape_qualifier: bool,
    ) -> Result<RowWriter, CodePageError> {
        let encoding = if format.unicode {
            encoding_rs::UTF_16LE
        } else {
            super::encoding::encoding_for(format.code_page)?
        };
        let n = format.columns.len();
        let row = format.effective_row_delimiter();
        let delimiters = format
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == n && c.kind != ColumnKind::FixedWidth {
                    row.clone()
                } else {
                    c.delimiter.clone()
                }
            })
            .collect();
        Ok(RowWriter {
            encoding,
            delimiters,
            kinds: format.columns.iter().map(|c| c.kind).collect(),
            widths: format
                .columns
                .iter()
                .map(|c| {
                    if c.width > 0 {
                        c.width
                    } else {
                        c.max_width as usize
                    }
                })
                .collect(),
            qualified: format.columns.iter().map(|c| c.text_qualified).collect(),
            qualifier: format.text_qualifier.clone(),
            escape: escape_qualifier,
            line: String::with_capacity(1 << 16),
            bytes: Vec::with_capacity(1 << 16),
        })
    }

    /// The byte order mark a new Unicode file starts with.
    pub fn bom(&self) -> &'static [u8] {
        if self.encoding == encoding_rs::UTF_16LE {
            b"\xFF\xFE"
        } else {
            b""
        }
    }

    /// Appends field `i` of the current row. `quote` is false for non-text columns, which SSIS
    /// never qualifies.
    pub fn field(&mut self, i: usize, text: &str, quote: bool) {
        if self.kinds[i] == ColumnKind::FixedWidth {
            let width = self.widths[i];
            let mut count = 0;
            for ch in text.chars() {
                if count == width {
                    break;
                }
                self.line.push(ch);
                count += 1;
            }
            for _ in count..width {
                self.line.push(' ');
            }
        } else {
            match (&self.qualifier, quote && self.qualified[i]) {
                (Some(q), true) => {
                    self.line.push_str(q);
                    if self.escape && text.contains(q.as_str()) {
                        self.line
                            .push_str(&text.replace(q.as_str(), &format!("{q}{q}")));
                    } else {
                        self.line.push_str(text);
                    }
                    self.line.push_str(q);
                }
                _ => self.line.push_str(text),
            }
        }
        self.line.push_str(&self.delimiters[i]);
    }

    /// Appends raw text (a header) followed by `delimiter`.
    pub fn raw_line(&mut self, text: &str, delimiter: &str) {
        self.line.push_str(text);
        self.line.push_str(delimiter);
    }

    /// Bytes waiting to be written.
    pub fn pending(&self) -> usize {
        self.line.len()
    }

    /// Encodes what was appended and writes it to `out`.
    pub fn flush_to(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        self.bytes.clear();
        encode_into(self.encoding, &self.line, &mut self.bytes);
        self.line.clear();
        out.write_all(&self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flat_file::format::FileColumn;
    use ssisd_engine::types::DataType;

    fn fmt(qualifier: Option<&str>) -> FlatFileFormat {
        let col = |name: &str, d: &str| FileColumn {
            name: name.into(),
            kind: ColumnKind::Delimited,
            delimiter: d.into(),
            width: 0,
            max_width: 50,
            data_type: DataType::Str {
                len: 50,
                code_page: 1252,
            },
            text_qualified: true,
        };
        FlatFileFormat {
            format: super::super::format::FileFormat::Delimited,
            locale_id: 1033,
            unicode: false,
            code_page: 1252,
            header_rows_to_skip: 0,
            header_row_delimiter: "\r\n".into(),
            column_names_in_first_data_row: false,
            row_delimiter: String::new(),
            text_qualifier: qualifier.map(str::to_string),
            data_rows_to_skip: 0,
            columns: vec![col("A", ","), col("B", "\r\n")],
        }
    }

    #[test]
    fn qualifiers_and_escapes() {
        let mut w = RowWriter::new(&fmt(Some("\"")), true).expect("writer");
        w.field(0, "say \"hi\"", true);
        w.field(1, "12", false);
        let mut out = Vec::new();
        w.flush_to(&mut out).expect("flush");
        assert_eq!(out, b"\"say \"\"hi\"\"\",12\r\n");
        let mut w = RowWriter::new(&fmt(None), false).expect("writer");
        w.field(0, "x", true);
        w.field(1, "y", true);
        let mut out = Vec::new();
        w.flush_to(&mut out).expect("flush");
        assert_eq!(out, b"x,y\r\n");
    }
}
