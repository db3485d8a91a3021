//! The text of a configuration file from its bytes, in the encodings Windows editors save:
//! UTF-8 with or without a byte-order mark, UTF-16 little- or big-endian with a mark (Notepad's
//! "Unicode" and "Unicode big endian"), and UTF-16 without a mark when the file starts with `<`
//! (the detection XML itself prescribes, appendix F of the XML specification). Decoding is
//! encoding_rs's; this only chooses the encoding and names where the bytes stop being text. It
//! must not interpret the text.

use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// The decoded text and the encoding it was read in.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
}

/// Why the bytes are not text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not {encoding} text (byte {offset}); save the file as UTF-8 (or UTF-16 with a byte-order mark)")]
pub struct NotText {
    pub encoding: &'static str,
    pub offset: usize,
}

/// Decodes `bytes`: a byte-order mark decides, then `<` written in UTF-16, else UTF-8. The
/// mark is not part of the text.
pub fn decode(bytes: &[u8]) -> Result<Decoded, NotText> {
    let (encoding, skip) = match Encoding::for_bom(bytes) {
        Some(found) => found,
        None if bytes.starts_with(&[b'<', 0]) => (UTF_16LE, 0),
        None if bytes.starts_with(&[0, b'<']) => (UTF_16BE, 0),
        None => (UTF_8, 0),
    };
    let body = &bytes[skip..];
    if encoding == UTF_8 {
        return match std::str::from_utf8(body) {
            Ok(text) => Ok(Decoded {
                text: text.to_string(),
                encoding,
            }),
            Err(e) => Err(NotText {
                encoding: "UTF-8",
                offset: skip + e.valid_up_to(),
            }),
        };
    }
    let not_text = |offset| NotText {
        encoding: encoding.name(),
        offset,
    };
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(body.len())
        .ok_or_else(|| not_text(skip))?;
    let mut text = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(body, &mut text, true);
    match result {
        DecoderResult::InputEmpty => Ok(Decoded { text, encoding }),
        DecoderResult::Malformed(bad, _) => Err(not_text(skip + read - usize::from(bad))),
        // The buffer was sized for the whole input, so this cannot happen; say where it stopped.
        DecoderResult::OutputFull => Err(not_text(skip + read)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let units = std::iter::once(0xFEFF)
            .filter(|_| bom)
            .chain(text.encode_utf16());
        for u in units {
            out.extend(if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf8_with_and_without_a_mark() {
        let d = decode("<a>é</a>".as_bytes()).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), ("<a>é</a>", UTF_8));
        let mut marked = vec![0xEF, 0xBB, 0xBF];
        marked.extend_from_slice("<a/>".as_bytes());
        assert_eq!(decode(&marked).unwrap().text, "<a/>");
    }

    #[test]
    fn utf16_both_orders_with_a_mark_and_xml_without() {
        let text = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\n<a>ETL01\\INST2 €</a>";
        for big in [false, true] {
            for bom in [true, false] {
                let d = decode(&utf16(text, big, bom)).unwrap();
                assert_eq!(d.text, text, "big {big} bom {bom}");
                assert_eq!(d.encoding, if big { UTF_16BE } else { UTF_16LE });
            }
        }
    }

    #[test]
    fn bytes_that_are_not_text_are_located() {
        assert_eq!(
            decode(b"<a>\xff</a>").unwrap_err(),
            NotText {
                encoding: "UTF-8",
                offset: 3
            }
        );
        // An unpaired surrogate in UTF-16LE after the mark and two characters.
        let mut bytes = utf16("<a", false, true);
        bytes.extend([0x00, 0xDC, b'>', 0]);
        let e = decode(&bytes).unwrap_err();
        assert_eq!(e.encoding, "UTF-16LE");
        assert_eq!(e.offset, 6, "{e}");
        assert!(e.to_string().contains("not UTF-16LE text (byte 6)"), "{e}");
    }
}
