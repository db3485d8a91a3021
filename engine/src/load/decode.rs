//! Turns the bytes of a file into XML text the parser accepts: size limit, BOM sniffing,
//! UTF-8 (with or without BOM) and UTF-16 LE/BE (with BOM, or recognised by the leading `<`),
//! and removal of an `encoding` declaration that no longer matches the decoded text. It must
//! not look at the XML structure.

use super::error::LoadError;

/// Decodes `bytes` into a string, refusing inputs over `limit` bytes.
pub fn decode(bytes: &[u8], limit: u64) -> Result<String, LoadError> {
    let size = bytes.len() as u64;
    if size > limit {
        return Err(LoadError::TooLarge { size, limit });
    }
    let text = match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest)?,
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes, "UTF-16LE")?,
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes, "UTF-16BE")?,
        [b'<', 0, ..] => utf16(bytes, u16::from_le_bytes, "UTF-16LE")?,
        [0, b'<', ..] => utf16(bytes, u16::from_be_bytes, "UTF-16BE")?,
        _ => utf8(bytes)?,
    };
    if text.trim().is_empty() {
        return Err(LoadError::Empty);
    }
    Ok(strip_encoding_declaration(text))
}

fn utf8(bytes: &[u8]) -> Result<String, LoadError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => Err(LoadError::Encoding {
            encoding: "UTF-8",
            detail: format!("invalid byte sequence at byte offset {}", e.valid_up_to()),
        }),
    }
}

fn utf16(
    bytes: &[u8],
    unit: fn([u8; 2]) -> u16,
    encoding: &'static str,
) -> Result<String, LoadError> {
    if bytes.len() % 2 != 0 {
        return Err(LoadError::Encoding {
            encoding,
            detail: "odd number of bytes".into(),
        });
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    for (i, r) in char::decode_utf16(units).enumerate() {
        match r {
            Ok(c) => out.push(c),
            Err(_) => {
                return Err(LoadError::Encoding {
                    encoding,
                    detail: format!("unpaired surrogate at byte offset {}", i * 2),
                })
            }
        }
    }
    // A BOM written twice, or one left in front of UTF-16 without a detected BOM.
    if let Some(rest) = out.strip_prefix('\u{FEFF}') {
        out = rest.to_string();
    }
    Ok(out)
}

/// Drops the `encoding="…"` pseudo-attribute from the XML declaration: the text is now
/// Unicode whatever the file said, and parsers may object to `utf-16` in a `str`.
fn strip_encoding_declaration(text: String) -> String {
    if !text.starts_with("<?xml") {
        return text;
    }
    let Some(end) = text.find("?>") else {
        return text;
    };
    let decl = &text[..end];
    let Some(enc) = decl.find("encoding") else {
        return text;
    };
    // Find the quoted value after `encoding` and `=`.
    let after = &decl[enc + "encoding".len()..];
    let Some(q_start) = after.find(['"', '\'']) else {
        return text;
    };
    let quote = after.as_bytes()[q_start] as char;
    let Some(q_len) = after[q_start + 1..].find(quote) else {
        return text;
    };
    let cut_end = enc + "encoding".len() + q_start + 1 + q_len + 1;
    let mut out = String::with_capacity(text.len());
    out.push_str(text[..enc].trim_end());
    out.push_str(&text[cut_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: u64 = 1 << 20;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode(b"<a/>", LIMIT).unwrap(), "<a/>");
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>", LIMIT).unwrap(), "<a/>");
    }

    #[test]
    fn utf16_both_orders() {
        let s = "<?xml version=\"1.0\" encoding=\"utf-16\"?><a>é</a>";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(s.encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(s.encode_utf16().flat_map(|u| u.to_be_bytes()))
            .collect();
        let nobom: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        for b in [le, be, nobom] {
            assert_eq!(
                decode(&b, LIMIT).unwrap(),
                "<?xml version=\"1.0\"?><a>é</a>"
            );
        }
    }

    #[test]
    fn refusals() {
        assert!(matches!(decode(b"", LIMIT), Err(LoadError::Empty)));
        assert!(matches!(
            decode(b"<a>\xFF</a>", LIMIT),
            Err(LoadError::Encoding { .. })
        ));
        assert!(matches!(
            decode(b"<a/>", 2),
            Err(LoadError::TooLarge { size: 4, limit: 2 })
        ));
        assert!(matches!(
            decode(&[0xFF, 0xFE, 0x3C], LIMIT),
            Err(LoadError::Encoding { .. })
        ));
    }

    #[test]
    fn declaration_without_encoding_is_untouched() {
        let s = "<?xml version=\"1.0\"?>\r\n<a/>";
        assert_eq!(decode(s.as_bytes(), LIMIT).unwrap(), s);
    }
}
