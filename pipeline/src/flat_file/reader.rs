//! Splits a flat file into rows and fields the way the Flat File source does.
//!
//! This is written by hand rather than on `csv-core` because SSIS's rules differ from CSV's in
//! ways csv-core cannot be configured for: every column has its own delimiter, of any length
//! (`||`, `{CR}{LF}`), and the last column's delimiter is what ends a row — only that exact
//! sequence, so a lone LF inside a CR LF file is data, where csv-core ends a row at any of CR,
//! LF or CR LF; a row delimiter met before a column's delimiter is a short row and an error
//! (DTS_E_COLUMNDELIMITERNOTFOUND) rather than a shorter record; a text qualifier followed by
//! anything but the column's delimiter, and a qualifier never closed before the end of the
//! file, fail the source where csv-core silently accepts them; fixed-width and ragged-right
//! columns count characters. csv-core serves as the oracle of this reader's fuzz tests on the
//! inputs where both sets of rules agree.
//!
//! Delimiters are searched in the raw bytes for UTF-8 and single-byte code pages (an ASCII byte
//! never occurs inside another character there), so byte offsets in messages are exact; UTF-16
//! files are decoded to UTF-8 first and offsets counted back in UTF-16 units. It must not
//! convert field text to types (the source does).

use std::io::Read;

use encoding_rs::{Decoder, Encoding, UTF_16LE};

use super::encoding::{ascii_transparent, decode};
use super::format::{ColumnKind, FlatFileFormat};

const CHUNK: usize = 1 << 20;

/// Why a row could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The row ended (row delimiter or end of file) before column `column`'s delimiter.
    ShortRow {
        column: usize,
        offset: u64,
    },
    /// A text qualifier was opened and the file ended before it closed.
    UnterminatedQualifier {
        column: usize,
        offset: u64,
    },
    /// A closing text qualifier is followed by something other than the column delimiter.
    StrayQualifier {
        column: usize,
        offset: u64,
    },
    /// The bytes are not valid in the file's code page.
    Encoding {
        column: usize,
        offset: u64,
    },
    Io(String),
}

/// One field of the current row: a byte range of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    start: usize,
    end: usize,
    /// Inside a text qualifier with doubled qualifiers to undo.
    escaped: bool,
}

enum Scan {
    Row(usize),
    NeedMore,
    End,
    Error(ReadError),
}

/// Byte form of the parts of a format the tokenizer needs.
struct Tokens {
    delimiters: Vec<Vec<u8>>,
    kinds: Vec<ColumnKind>,
    widths: Vec<usize>,
    qualified: Vec<bool>,
    row: Vec<u8>,
    qualifier: Option<Vec<u8>>,
}

/// A flat file opened for reading.
pub struct Reader<R: Read> {
    input: R,
    encoding: &'static Encoding,
    transparent: bool,
    decoder: Option<Decoder>,
    tokens: Tokens,
    window: Vec<u8>,
    pos: usize,
    eof: bool,
    /// File offset of `window[0]` (byte-transparent encodings).
    window_offset: u64,
    /// File offset of `window[pos]` for UTF-16 files.
    unicode_offset: u64,
    fields: Vec<Field>,
    row_start: usize,
    row_end: usize,
    /// End of the current row (consumed when the next row is read).
    pending: usize,
    /// Data rows read so far.
    pub rows_read: u64,
}

fn utf16_bytes(s: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(s);
    text.chars().map(|c| c.len_utf16() as u64 * 2).sum()
}

impl<R: Read> Reader<R> {
    /// Opens `input` in `format`: skips a BOM, the header rows, the column-names row and the
    /// data rows to skip.
    pub fn new(input: R, format: &FlatFileFormat) -> Result<Reader<R>, ReadError> {
        let encoding = if format.unicode {
            UTF_16LE
        } else {
            super::encoding::encoding_for(format.code_page)
                .map_err(|e| ReadError::Io(e.to_string()))?
        };
        let transparent = ascii_transparent(encoding);
        let n = format.columns.len();
        let mut delimiters: Vec<Vec<u8>> = format
            .columns
            .iter()
            .map(|c| c.delimiter.as_bytes().to_vec())
            .collect();
        let row = format.effective_row_delimiter().into_bytes();
        if let Some(last) = delimiters.last_mut() {
            if format.columns[n - 1].kind != ColumnKind::FixedWidth {
                *last = row.clone();
            }
        }
        let tokens = Tokens {
            delimiters,
            kinds: format.columns.iter().map(|c| c.kind).collect(),
            widths: format.columns.iter().map(|c| c.width).collect(),
            qualified: format.columns.iter().map(|c| c.text_qualified).collect(),
            row,
            qualifier: format
                .text_qualifier
                .as_ref()
                .map(|q| q.as_bytes().to_vec()),
        };
        let mut r = Reader {
            input,
            encoding,
            transparent,
            decoder: (!transparent).then(|| encoding.new_decoder_without_bom_handling()),
            tokens,
            window: Vec::with_capacity(CHUNK * 2),
            pos: 0,
            eof: false,
            window_offset: 0,
            unicode_offset: 0,
            fields: Vec::with_capacity(n),
            row_start: 0,
            row_end: 0,
            pending: 0,
            rows_read: 0,
        };
        r.skip_bom()?;
        let header_delim = format.header_row_delimiter.clone().into_bytes();
        for _ in 0..format.header_rows_to_skip {
            if !r.skip_line(&header_delim)? {
                break;
            }
        }
        let skip = usize::from(format.column_names_in_first_data_row) + format.data_rows_to_skip;
        for _ in 0..skip {
            if !r.next_row()? {
                break;
            }
        }
        r.rows_read = 0;
        Ok(r)
    }

    fn fill(&mut self) -> Result<(), ReadError> {
        if self.eof {
            return Ok(());
        }
        // Drop what was consumed.
        if self.pos > 0 {
            if self.transparent {
                self.window_offset += self.pos as u64;
            }
            self.window.drain(..self.pos);
            self.row_start = self.row_start.saturating_sub(self.pos);
            self.row_end = self.row_end.saturating_sub(self.pos);
            self.pending = self.pending.saturating_sub(self.pos);
            self.pos = 0;
        }
        // Byte-transparent files are read straight into the window; others through a chunk
        // that is decoded into it.
        let mut chunk = match self.decoder {
            None => Vec::new(),
            Some(_) => vec![0u8; CHUNK],
        };
        let start = self.window.len();
        if self.decoder.is_none() {
            self.window.resize(start + CHUNK, 0);
        }
        let n = loop {
            let into = match self.decoder {
                None => &mut self.window[start..],
                Some(_) => &mut chunk[..],
            };
            match self.input.read(into) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.window.truncate(start);
                    return Err(ReadError::Io(e.to_string()));
                }
            }
        };
        if n == 0 {
            self.eof = true;
        }
        match &mut self.decoder {
            None => self.window.truncate(start + n),
            Some(d) => {
                let mut out = vec![0u8; d.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16)];
                let (_, _, written, _) = d.decode_to_utf8(&chunk[..n], &mut out, n == 0);
                self.window.extend_from_slice(&out[..written]);
            }
        }
        Ok(())
    }

    fn skip_bom(&mut self) -> Result<(), ReadError> {
        if self.decoder.is_some() {
            // UTF-16: the BOM must be read raw, before decoding.
            let mut bom = [0u8; 2];
            let mut got = 0;
            while got < 2 {
                match self.input.read(&mut bom[got..]) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(e) => return Err(ReadError::Io(e.to_string())),
                }
            }
            if got == 2 && bom == [0xFF, 0xFE] {
                self.unicode_offset = 2;
            } else if let Some(d) = &mut self.decoder {
                let mut out = [0u8; 16];
                let (_, _, w, _) = d.decode_to_utf8(&bom[..got], &mut out, false);
                self.window.extend_from_slice(&out[..w]);
            }
            return Ok(());
        }
        while self.window.len() < 3 && !self.eof {
            self.fill()?;
        }
        if self.encoding == encoding_rs::UTF_8 && self.window.starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        Ok(())
    }

    fn skip_line(&mut self, delim: &[u8]) -> Result<bool, ReadError> {
        loop {
            let hay = &self.window[self.pos..];
            if let Some(k) = memchr::memmem::find(hay, delim) {
                self.advance_to(self.pos + k + delim.len());
                return Ok(true);
            }
            if self.eof {
                let any = self.pos < self.window.len();
                let end = self.window.len();
                self.advance_to(end);
                return Ok(any);
            }
            self.fill()?;
        }
    }

    fn advance_to(&mut self, p: usize) {
        if !self.transparent {
            self.unicode_offset += utf16_bytes(&self.window[self.pos..p]);
        }
        self.pos = p;
    }

    /// The file offset of window position `p` (at or after the current row's start).
    pub fn offset_of(&self, p: usize) -> u64 {
        if self.transparent {
            self.window_offset + p as u64
        } else {
            self.unicode_offset + utf16_bytes(&self.window[self.pos.min(p)..p])
        }
    }

    /// File offset where the current row starts.
    pub fn row_offset(&self) -> u64 {
        self.offset_of(self.row_start)
    }

    /// Reads the next row; `false` at the end of the file.
    pub fn next_row(&mut self) -> Result<bool, ReadError> {
        if self.pending > self.pos {
            self.advance_to(self.pending);
        }
        loop {
            let scanned = scan(
                &self.tokens,
                &self.window,
                self.pos,
                self.eof,
                self.transparent,
                &mut self.fields,
            );
            match scanned {
                Scan::Row(end) => {
                    self.row_start = self.pos;
                    self.row_end = self.content_end(end);
                    self.pending = end;
                    self.rows_read += 1;
                    return Ok(true);
                }
                Scan::End => {
                    let end = self.window.len();
                    self.advance_to(end);
                    self.pending = end;
                    return Ok(false);
                }
                Scan::NeedMore => self.fill()?,
                Scan::Error(e) => return Err(self.locate(e)),
            }
        }
    }

    /// Turns window positions in a scan error into file offsets.
    fn locate(&self, e: ReadError) -> ReadError {
        let at = |o: u64| self.offset_of(o as usize);
        match e {
            ReadError::ShortRow { column, offset } => ReadError::ShortRow {
                column,
                offset: at(offset),
            },
            ReadError::UnterminatedQualifier { column, offset } => {
                ReadError::UnterminatedQualifier {
                    column,
                    offset: at(offset),
                }
            }
            ReadError::StrayQualifier { column, offset } => ReadError::StrayQualifier {
                column,
                offset: at(offset),
            },
            other => other,
        }
    }

    fn content_end(&self, end: usize) -> usize {
        let d = &self.tokens.row;
        if !d.is_empty() && end >= self.pos + d.len() && self.window[..end].ends_with(d) {
            end - d.len()
        } else {
            end
        }
    }

    /// Number of fields of the current row.
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// The raw bytes of field `i` (qualifiers removed, doubled qualifiers still doubled).
    pub fn field_bytes(&self, i: usize) -> &[u8] {
        let f = self.fields[i];
        &self.window[f.start..f.end]
    }

    /// The text of field `i`: decoded, doubled qualifiers undone.
    pub fn field_text(&self, i: usize) -> Result<std::borrow::Cow<'_, str>, ReadError> {
        let f = self.fields[i];
        let bytes = &self.window[f.start..f.end];
        let text = if self.transparent {
            decode(self.encoding, bytes).ok_or(ReadError::Encoding {
                column: i,
                offset: self.offset_of(f.start),
            })?
        } else {
            std::borrow::Cow::Borrowed(std::str::from_utf8(bytes).map_err(|_| {
                ReadError::Encoding {
                    column: i,
                    offset: self.offset_of(f.start),
                }
            })?)
        };
        if f.escaped {
            if let Some(q) = &self.tokens.qualifier {
                let q = String::from_utf8_lossy(q).to_string();
                let doubled = format!("{q}{q}");
                return Ok(std::borrow::Cow::Owned(text.replace(&doubled, &q)));
            }
        }
        Ok(text)
    }

    /// The file offset where field `i` starts.
    pub fn field_offset(&self, i: usize) -> u64 {
        self.offset_of(self.fields[i].start)
    }

    /// The current row's text without its row delimiter (for error outputs).
    pub fn row_text(&self) -> String {
        let bytes = &self.window[self.row_start..self.row_end];
        if self.transparent {
            match decode(self.encoding, bytes) {
                Some(t) => t.into_owned(),
                None => String::from_utf8_lossy(bytes).into_owned(),
            }
        } else {
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// Advances `n` characters from `p` (bytes for byte-transparent code pages).
fn advance_chars(w: &[u8], transparent: bool, p: usize, n: usize) -> Option<usize> {
    if transparent {
        return (p + n <= w.len()).then_some(p + n);
    }
    let mut q = p;
    for _ in 0..n {
        let b = *w.get(q)?;
        let len = match b {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        q += len;
    }
    (q <= w.len()).then_some(q)
}

/// Finds the first of `delim` or (when given) `stop` from `p`: (position, is_stop).
fn find_delim(
    w: &[u8],
    eof: bool,
    p: usize,
    delim: &[u8],
    stop: Option<&[u8]>,
) -> Option<(usize, bool)> {
    let hay = &w[p..];
    match stop {
        Some(st) if !st.is_empty() && st != delim => {
            let (d0, s0) = (delim[0], st[0]);
            let mut from = 0;
            while let Some(k) = memchr::memchr2(d0, s0, &hay[from..]) {
                let at = from + k;
                if hay[at..].starts_with(delim) {
                    return Some((p + at, false));
                }
                if hay[at..].starts_with(st) {
                    return Some((p + at, true));
                }
                if !eof && (delim.starts_with(&hay[at..]) || st.starts_with(&hay[at..])) {
                    // A delimiter may be cut by the end of the window.
                    return None;
                }
                from = at + 1;
            }
            None
        }
        _ => {
            if delim.len() == 1 {
                memchr::memchr(delim[0], hay).map(|k| (p + k, false))
            } else {
                memchr::memmem::find(hay, delim).map(|k| (p + k, false))
            }
        }
    }
}

fn scan(
    t: &Tokens,
    w: &[u8],
    start: usize,
    eof: bool,
    transparent: bool,
    fields: &mut Vec<Field>,
) -> Scan {
    let len = w.len();
    if start >= len {
        return if eof { Scan::End } else { Scan::NeedMore };
    }
    let row = t.row.as_slice();
    // Blank lines at the very end of a file are not rows.
    if eof && !row.is_empty() && w[start..].chunks(row.len()).all(|c| c == row) {
        return Scan::End;
    }
    fields.clear();
    let n = t.delimiters.len();
    let mut p = start;
    for i in 0..n {
        let last = i + 1 == n;
        if t.kinds[i] == ColumnKind::FixedWidth {
            match advance_chars(w, transparent, p, t.widths[i]) {
                Some(q) => {
                    fields.push(Field {
                        start: p,
                        end: q,
                        escaped: false,
                    });
                    p = q;
                    continue;
                }
                None if !eof => return Scan::NeedMore,
                None => {
                    return Scan::Error(ReadError::ShortRow {
                        column: i,
                        offset: len as u64,
                    })
                }
            }
        }
        let delim = t.delimiters[i].as_slice();
        let qualifier = t.qualifier.as_deref();
        if let Some(q) = qualifier.filter(|q| t.qualified[i] && w[p..].starts_with(q)) {
            let mut j = p + q.len();
            let mut escaped = false;
            loop {
                let Some(k) = memchr::memmem::find(&w[j..], q).map(|k| j + k) else {
                    if eof {
                        return Scan::Error(ReadError::UnterminatedQualifier {
                            column: i,
                            offset: p as u64,
                        });
                    }
                    return Scan::NeedMore;
                };
                let after = k + q.len();
                if w[after..].starts_with(q) {
                    escaped = true;
                    j = after + q.len();
                    continue;
                }
                if after + q.len() > len && !eof && q.starts_with(&w[after..]) {
                    return Scan::NeedMore;
                }
                fields.push(Field {
                    start: p + q.len(),
                    end: k,
                    escaped,
                });
                if w[after..].starts_with(delim) && !delim.is_empty() {
                    p = after + delim.len();
                } else if last && after == len && eof {
                    p = after;
                } else if !eof && delim.starts_with(&w[after..]) {
                    return Scan::NeedMore;
                } else {
                    return Scan::Error(ReadError::StrayQualifier {
                        column: i,
                        offset: k as u64,
                    });
                }
                break;
            }
            continue;
        }
        if delim.is_empty() {
            // A delimited column without a delimiter takes the rest of the row.
            let end = find_delim(w, eof, p, row, None).map(|(k, _)| k);
            match end {
                Some(k) => {
                    fields.push(Field {
                        start: p,
                        end: k,
                        escaped: false,
                    });
                    p = k + row.len();
                }
                None if !eof => return Scan::NeedMore,
                None => {
                    fields.push(Field {
                        start: p,
                        end: len,
                        escaped: false,
                    });
                    p = len;
                }
            }
            continue;
        }
        let stop = if last { None } else { Some(row) };
        match find_delim(w, eof, p, delim, stop) {
            Some((k, false)) => {
                fields.push(Field {
                    start: p,
                    end: k,
                    escaped: false,
                });
                p = k + delim.len();
            }
            Some((k, true)) => {
                return Scan::Error(ReadError::ShortRow {
                    column: i,
                    offset: k as u64,
                })
            }
            None if !eof => return Scan::NeedMore,
            None => {
                if last {
                    fields.push(Field {
                        start: p,
                        end: len,
                        escaped: false,
                    });
                    p = len;
                } else {
                    return Scan::Error(ReadError::ShortRow {
                        column: i,
                        offset: len as u64,
                    });
                }
            }
        }
    }
    Scan::Row(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flat_file::format::{FileColumn, FileFormat};
    use ssisd_engine::types::DataType;

    pub(crate) fn format(delims: &[&str], qualifier: Option<&str>) -> FlatFileFormat {
        FlatFileFormat {
            format: FileFormat::Delimited,
            locale_id: 1033,
            unicode: false,
            code_page: 65001,
            header_rows_to_skip: 0,
            header_row_delimiter: "\r\n".into(),
            column_names_in_first_data_row: false,
            row_delimiter: String::new(),
            text_qualifier: qualifier.map(str::to_string),
            data_rows_to_skip: 0,
            columns: delims
                .iter()
                .enumerate()
                .map(|(i, d)| FileColumn {
                    name: format!("C{i}"),
                    kind: ColumnKind::Delimited,
                    delimiter: d.to_string(),
                    width: 0,
                    max_width: 50,
                    data_type: DataType::WStr { len: 50 },
                    text_qualified: true,
                })
                .collect(),
        }
    }

    pub(crate) fn read_all(data: &[u8], f: &FlatFileFormat) -> Result<Vec<Vec<String>>, ReadError> {
        let mut r = Reader::new(data, f)?;
        let mut rows = Vec::new();
        while r.next_row()? {
            rows.push(
                (0..r.field_count())
                    .map(|i| r.field_text(i).map(|t| t.into_owned()))
                    .collect::<Result<_, _>>()?,
            );
        }
        Ok(rows)
    }

    fn s(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|x| x.to_string()).collect())
            .collect()
    }

    #[test]
    fn delimited_rows_with_qualifiers_and_per_column_delimiters() {
        let f = format(&[",", "||", "\r\n"], Some("\""));
        let data = b"a,b||c\r\n\"x,\"\"y\"\"\",\"p\nq\"||\r\n";
        assert_eq!(
            read_all(data, &f).unwrap(),
            s(&[&["a", "b", "c"], &["x,\"y\"", "p\nq", ""]])
        );
        // The last row may lack its delimiter; a LF inside a CR LF file is data.
        let f = format(&[",", "\r\n"], None);
        assert_eq!(
            read_all(b"1,a\nb\r\n2,c", &f).unwrap(),
            s(&[&["1", "a\nb"], &["2", "c"]])
        );
    }

    #[test]
    fn lf_and_cr_row_delimiters() {
        assert_eq!(
            read_all(b"1;2\n3;4\n", &format(&[";", "\n"], None)).unwrap(),
            s(&[&["1", "2"], &["3", "4"]])
        );
        assert_eq!(
            read_all(b"1;2\r3;4", &format(&[";", "\r"], None)).unwrap(),
            s(&[&["1", "2"], &["3", "4"]])
        );
    }

    #[test]
    fn bad_rows_are_errors_with_byte_offsets() {
        let f = format(&[",", ",", "\r\n"], Some("\""));
        assert_eq!(
            read_all(b"a,b,c\r\nd,e\r\n", &f),
            Err(ReadError::ShortRow {
                column: 1,
                offset: 10
            })
        );
        assert_eq!(
            read_all(b"a,b,c\r\n\"never closed,e,f\r\n", &f),
            Err(ReadError::UnterminatedQualifier {
                column: 0,
                offset: 7
            })
        );
        assert_eq!(
            read_all(b"\"ab\"c,d,e\r\n", &f),
            Err(ReadError::StrayQualifier {
                column: 0,
                offset: 3
            })
        );
    }

    #[test]
    fn headers_names_and_boms_are_skipped() {
        let mut f = format(&[",", "\r\n"], None);
        f.header_rows_to_skip = 1;
        f.column_names_in_first_data_row = true;
        let data = b"\xEF\xBB\xBFtitle line\r\nA,B\r\n1,2\r\n";
        assert_eq!(read_all(data, &f).unwrap(), s(&[&["1", "2"]]));
    }

    #[test]
    fn utf16_and_windows_code_pages_decode() {
        let mut f = format(&[",", "\r\n"], None);
        f.unicode = true;
        let mut data = vec![0xFF, 0xFE];
        for u in "é,日本\r\nx,y\r\n".encode_utf16() {
            data.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(
            read_all(&data, &f).unwrap(),
            s(&[&["é", "日本"], &["x", "y"]])
        );
        let mut f = format(&[",", "\r\n"], None);
        f.code_page = 1251;
        assert_eq!(
            read_all(b"\xcf\xf0\xe8,1\r\n", &f).unwrap(),
            s(&[&["При", "1"]])
        );
        // Offsets in a UTF-16 file count its bytes.
        let mut f = format(&[",", ",", "\r\n"], None);
        f.unicode = true;
        let mut data = vec![0xFF, 0xFE];
        for u in "a,b,c\r\nd,e\r\n".encode_utf16() {
            data.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(
            read_all(&data, &f),
            Err(ReadError::ShortRow {
                column: 1,
                offset: 2 + 2 * 10
            })
        );
    }

    #[test]
    fn fixed_width_and_ragged_right() {
        let mut f = format(&["", "", "\r\n"], None);
        f.format = FileFormat::RaggedRight;
        f.columns[0].kind = ColumnKind::FixedWidth;
        f.columns[0].width = 3;
        f.columns[1].kind = ColumnKind::FixedWidth;
        f.columns[1].width = 2;
        assert_eq!(
            read_all(b"abcde rest\r\n12345\r\n", &f).unwrap(),
            s(&[&["abc", "de", " rest"], &["123", "45", ""]])
        );
        let mut f = format(&["", ""], None);
        f.format = FileFormat::FixedWidth;
        for c in &mut f.columns {
            c.kind = ColumnKind::FixedWidth;
            c.width = 2;
        }
        assert_eq!(
            read_all(b"aabbccdd", &f).unwrap(),
            s(&[&["aa", "bb"], &["cc", "dd"]])
        );
        assert_eq!(
            read_all(b"aabbc", &f),
            Err(ReadError::ShortRow {
                column: 0,
                offset: 5
            })
        );
    }

    #[test]
    fn rows_longer_than_a_read_chunk() {
        let big = "x".repeat(CHUNK + 10);
        let data = format!("{big},1\r\n2,{big}\r\n");
        let rows = read_all(data.as_bytes(), &format(&[",", "\r\n"], Some("\""))).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][1].len(), big.len());
    }
}

#[cfg(test)]
mod fuzz {
    //! Property tests: the reader never panics on arbitrary bytes, and where SSIS's rules and
    //! CSV's agree (one single-byte delimiter, LF rows, well-formed quoting, no blank lines)
    //! it splits exactly as `csv-core` does.
    use super::tests::{format, read_all};
    use proptest::prelude::*;

    fn csv_core_rows(data: &[u8]) -> Vec<Vec<String>> {
        let mut rdr = csv_core::ReaderBuilder::new()
            .delimiter(b',')
            .quote(b'"')
            .terminator(csv_core::Terminator::Any(b'\n'))
            .build();
        let mut rows = Vec::new();
        let mut row = Vec::new();
        let mut input = data;
        let mut out = vec![0u8; data.len() + 16];
        let mut ends = vec![0usize; 64];
        loop {
            let (res, nin, _nout, nend) = rdr.read_record(input, &mut out, &mut ends);
            input = &input[nin..];
            match res {
                csv_core::ReadRecordResult::Record => {
                    let mut start = 0;
                    for &e in &ends[..nend] {
                        row.push(String::from_utf8_lossy(&out[start..e]).to_string());
                        start = e;
                    }
                    rows.push(std::mem::take(&mut row));
                }
                csv_core::ReadRecordResult::End => break,
                _ => {}
            }
        }
        rows
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9 ]{0,6}",
            "[a-z,\"\n]{0,6}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
        ]
    }

    proptest! {
        // 2,000 cases per test run; SSISD_FUZZ_CASES asks for more (a long fuzzing run).
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("SSISD_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
        ))]

        #[test]
        fn never_panics_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..300), q in any::<bool>()) {
            let f = format(&[",", ";", "\r\n"], q.then_some("\""));
            let _ = read_all(&data, &f);
            let mut u = f.clone();
            u.unicode = true;
            let _ = read_all(&data, &u);
        }

        #[test]
        fn agrees_with_csv_core_where_the_rules_agree(rows in proptest::collection::vec(proptest::collection::vec(field(), 3), 1..20)) {
            let text: String = rows.iter().map(|r| format!("{}\n", r.join(","))).collect();
            // A first field that is empty would make csv-core see a blank line.
            prop_assume!(rows.iter().all(|r| !r.join(",").is_empty()));
            let ours = read_all(text.as_bytes(), &format(&[",", ",", "\n"], Some("\""))).expect("well-formed input reads");
            prop_assert_eq!(ours, csv_core_rows(text.as_bytes()));
        }
    }
}
