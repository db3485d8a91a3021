//! The `.ispac` container: a zip archive (Visual Studio writes it through System.IO.Packaging,
//! so part names are URI-escaped — `Load%20Sales.dtsx` — and a `[Content_Types].xml` part
//! names the content types) holding `@Project.manifest`, `Project.params`, the `.conmgr` files
//! and the packages. This file owns the archive only: listing its parts by their unescaped
//! names, reading one within a size limit, and writing an archive. The zip format itself is the
//! `zip` crate's; it must not interpret the parts.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

/// The part that lists content types in an archive written by System.IO.Packaging.
pub const CONTENT_TYPES: &str = "[Content_Types].xml";

/// Characters escaped in part names: what RFC 3986 does not allow unescaped in a path segment.
const PART_NAME: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The archive's name for a file name (`Load Sales.dtsx` → `Load%20Sales.dtsx`).
pub fn part_name(file: &str) -> String {
    if file == CONTENT_TYPES {
        return file.to_string();
    }
    utf8_percent_encode(file, PART_NAME).to_string()
}

/// The file name of a part (`Load%20Sales.dtsx` → `Load Sales.dtsx`); names that are not
/// valid escapes are kept as written.
pub fn file_name(part: &str) -> String {
    let part = part.trim_start_matches('/');
    match percent_decode_str(part).decode_utf8() {
        Ok(s) => s.into_owned(),
        Err(_) => part.to_string(),
    }
}

/// An archive in memory with its parts indexed by unescaped file name.
pub struct Archive {
    bytes: Vec<u8>,
    /// File name → index of the zip entry.
    parts: BTreeMap<String, usize>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("bytes", &self.bytes.len())
            .field("parts", &self.parts)
            .finish()
    }
}

impl Archive {
    /// Reads the archive's directory. `Err` says why the bytes are not a zip archive.
    pub fn new(bytes: Vec<u8>) -> Result<Archive, zip::result::ZipError> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.as_slice()))?;
        let mut parts = BTreeMap::new();
        for i in 0..zip.len() {
            let entry = zip.by_index_raw(i)?;
            if entry.is_dir() {
                continue;
            }
            parts.insert(file_name(entry.name()), i);
        }
        Ok(Archive { bytes, parts })
    }

    /// The file names of the parts, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.parts.keys().map(String::as_str)
    }

    /// The bytes of the part named `file`; `Ok(None)` when there is none, `Err` when it cannot
    /// be read or unpacks to more than `limit` bytes (checked while reading, whatever the
    /// archive's directory claims).
    pub fn read(&self, file: &str, limit: u64) -> Result<Option<Vec<u8>>, ReadError> {
        let Some(&index) = self.parts.get(file) else {
            return Ok(None);
        };
        let mut zip = zip::ZipArchive::new(Cursor::new(self.bytes.as_slice()))
            .map_err(|e| ReadError::Damaged(e.to_string()))?;
        let entry = zip
            .by_index(index)
            .map_err(|e| ReadError::Damaged(e.to_string()))?;
        let mut out = Vec::new();
        entry
            .take(limit.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| ReadError::Damaged(e.to_string()))?;
        if out.len() as u64 > limit {
            return Err(ReadError::TooLarge);
        }
        Ok(Some(out))
    }
}

/// Why a part could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    Damaged(String),
    TooLarge,
}

/// The `[Content_Types].xml` part: every part of a project archive is XML.
fn content_types(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut extensions: Vec<&str> = files
        .iter()
        .filter_map(|(name, _)| name.rsplit_once('.').map(|(_, ext)| ext))
        .collect();
    extensions.sort_unstable();
    extensions.dedup();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Types \
         xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
    );
    for ext in extensions {
        let ext = ext
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;");
        out.push_str(&format!(
            "<Default Extension=\"{ext}\" ContentType=\"text/xml\" />"
        ));
    }
    out.push_str("</Types>");
    out.into_bytes()
}

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum IspacWriteError {
    #[error(transparent)]
    Zip(#[from] zip::result::ZipError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Writes an archive of `files` (file name, bytes), deflated, with the content-types part.
pub fn write(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, IspacWriteError> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let types = content_types(files);
    for (name, bytes) in files
        .iter()
        .map(|(n, b)| (part_name(n), b.as_slice()))
        .chain(std::iter::once((
            CONTENT_TYPES.to_string(),
            types.as_slice(),
        )))
    {
        zip.start_file(name, options)?;
        zip.write_all(bytes)?;
    }
    let cursor = zip.finish()?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_are_escaped_and_unescaped() {
        assert_eq!(part_name("Load Sales.dtsx"), "Load%20Sales.dtsx");
        assert_eq!(part_name("@Project.manifest"), "@Project.manifest");
        assert_eq!(part_name("Ventes été.dtsx"), "Ventes%20%C3%A9t%C3%A9.dtsx");
        assert_eq!(file_name("Ventes%20%C3%A9t%C3%A9.dtsx"), "Ventes été.dtsx");
        assert_eq!(file_name("/Project.params"), "Project.params");
        assert_eq!(file_name("bad%ZZ.dtsx"), "bad%ZZ.dtsx");
    }

    #[test]
    fn written_archives_read_back_within_limits() {
        let files = vec![
            ("Load Sales.dtsx".to_string(), b"<a/>".to_vec()),
            ("Project.params".to_string(), vec![b'x'; 5000]),
        ];
        let bytes = write(&files).expect("writes");
        let a = Archive::new(bytes).expect("reads");
        let names: Vec<&str> = a.names().collect();
        assert_eq!(
            names,
            vec!["Load Sales.dtsx", "Project.params", CONTENT_TYPES]
        );
        assert_eq!(
            a.read("Load Sales.dtsx", 100).unwrap().unwrap(),
            b"<a/>".to_vec()
        );
        assert_eq!(a.read("Project.params", 4999), Err(ReadError::TooLarge));
        assert_eq!(a.read("Missing.dtsx", 100), Ok(None));
        let types = String::from_utf8(a.read(CONTENT_TYPES, 10_000).unwrap().unwrap()).unwrap();
        assert!(types.contains("Extension=\"dtsx\""), "{types}");
        assert!(types.contains("Extension=\"params\""), "{types}");
    }

    #[test]
    fn bytes_that_are_not_a_zip_are_refused() {
        assert!(Archive::new(b"<DTS:Executable/>".to_vec()).is_err());
    }
}
