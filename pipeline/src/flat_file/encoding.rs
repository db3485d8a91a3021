//! Code pages of flat files through `encoding_rs`: which encoding a Windows code page number
//! means (1250–1258, 874, 932, 936, 949, 950, 65001, and 1200 for Unicode files), decoding a
//! field's bytes, and encoding text for writing — where a character the code page cannot hold
//! becomes `?`, as Windows' conversion does, instead of `encoding_rs`'s HTML escapes. It must
//! not split rows.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16LE, UTF_8};

/// A code page the Flat File adapters cannot read or write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodePageError {
    /// Code page 1201, UTF-16 big-endian.
    #[error("UTF-16 big-endian files (code page 1201) are not supported by the Flat File adapters; save the file as UTF-16 little-endian (Unicode)")]
    BigEndianUnicode,
    /// A code page outside the supported list.
    #[error("the code page {0} is not supported; use 65001 (UTF-8), 1200 (Unicode) or a Windows code page such as 1252")]
    Unsupported(u32),
    /// A listed code page whose encoding `encoding_rs` does not know.
    #[error("the code page {0} is not supported")]
    UnknownEncoding(u32),
}

/// The encoding of code page `cp`, or why it is not supported.
pub fn encoding_for(cp: u32) -> Result<&'static Encoding, CodePageError> {
    let label = match cp {
        65001 => return Ok(UTF_8),
        1200 => return Ok(UTF_16LE),
        1201 => return Err(CodePageError::BigEndianUnicode),
        1250..=1258 => format!("windows-{cp}"),
        874 => "windows-874".into(),
        932 => "shift_jis".into(),
        936 => "gbk".into(),
        949 => "euc-kr".into(),
        950 => "big5".into(),
        20127 | 28591 => "windows-1252".into(),
        20866 => "koi8-r".into(),
        21866 => "koi8-u".into(),
        28592..=28606 => format!("iso-8859-{}", cp - 28590),
        866 => "ibm866".into(),
        54936 => "gb18030".into(),
        _ => return Err(CodePageError::Unsupported(cp)),
    };
    Encoding::for_label(label.as_bytes()).ok_or(CodePageError::UnknownEncoding(cp))
}

/// True when every ASCII byte of the encoding stands for itself and never occurs inside a
/// multi-byte character (so delimiters can be found in the raw bytes).
pub fn ascii_transparent(e: &'static Encoding) -> bool {
    e == UTF_8 || e.is_single_byte()
}

/// Decodes a field's bytes (`None` when the bytes are not valid in the encoding).
pub fn decode<'a>(e: &'static Encoding, bytes: &'a [u8]) -> Option<Cow<'a, str>> {
    if e == UTF_8 {
        return std::str::from_utf8(bytes).ok().map(Cow::Borrowed);
    }
    e.decode_without_bom_handling_and_without_replacement(bytes)
}

/// Appends `text` encoded in `e` to `out`; unmappable characters become `?`.
pub fn encode_into(e: &'static Encoding, text: &str, out: &mut Vec<u8>) {
    if e == UTF_8 || (text.is_ascii() && e.is_single_byte()) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    if e == UTF_16LE {
        for u in text.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        return;
    }
    let mut encoder = e.new_encoder();
    let mut rest = text;
    let mut buf = [0u8; 1024];
    loop {
        let (result, read, written) =
            encoder.encode_from_utf8_without_replacement(rest, &mut buf, true);
        out.extend_from_slice(&buf[..written]);
        rest = &rest[read..];
        match result {
            encoding_rs::EncoderResult::InputEmpty => break,
            encoding_rs::EncoderResult::OutputFull => {}
            encoding_rs::EncoderResult::Unmappable(_) => out.push(b'?'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_code_pages_round_trip_and_unmappable_is_a_question_mark() {
        let cp1251 = encoding_for(1251).expect("1251");
        let mut out = Vec::new();
        encode_into(cp1251, "Привет, world €", &mut out);
        assert_eq!(decode(cp1251, &out).as_deref(), Some("Привет, world €"));
        let cp1252 = encoding_for(1252).expect("1252");
        let mut out = Vec::new();
        encode_into(cp1252, "café Ж", &mut out);
        assert_eq!(out, b"caf\xe9 ?");
        assert!(encoding_for(1201).is_err());
        assert!(encoding_for(12345).is_err());
        assert!(ascii_transparent(cp1252) && ascii_transparent(UTF_8));
        assert!(!ascii_transparent(UTF_16LE));
        assert_eq!(decode(UTF_8, b"\xff"), None);
    }
}
