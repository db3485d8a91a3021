//! ssisd's raw file format, shared by the Raw File source and destination and by Cache
//! connection managers that keep their data in a file. SSIS's own `.raw` and `.caw` layouts are
//! private and undocumented, so ssisd does not read or write them; it uses the Arrow IPC *file*
//! format (readable by any Arrow tool) with its own metadata, documented in
//! `docs/raw-files.md`: the schema says `ssisd.format` = [`FORMAT`], `ssisd.version` =
//! [`VERSION`] and `ssisd.kind` (`raw` or `cache`), and every field carries its SSIS type
//! (`ssis.type` code, length, precision, scale, code page, and for caches its index position).
//! A file without those marks, of another version or with an unknown type is refused with a
//! clear error. `schema.rs` maps columns to and from the schema, `reader.rs` opens and checks a
//! file, `writer.rs` writes one without ever leaving a torn file under the target name. It must
//! not know components.

pub mod reader;
pub mod schema;
pub mod writer;

use ssisd_engine::types::DataType;

/// The value of the schema's `ssisd.format` metadata.
pub const FORMAT: &str = "ssisd-raw";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Rows written by a Raw File destination.
    Raw,
    /// The contents of a Cache connection manager (a `.caw` file's role).
    Cache,
}

impl FileKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            FileKind::Raw => "raw",
            FileKind::Cache => "cache",
        }
    }
}

/// One column of a raw or cache file.
#[derive(Debug, Clone, PartialEq)]
pub struct RawColumn {
    pub name: String,
    pub data_type: DataType,
    /// Cache files: the index position (1, 2, … for key columns, 0 for others).
    pub index_position: u32,
}

impl RawColumn {
    pub fn new(name: &str, data_type: DataType) -> RawColumn {
        RawColumn {
            name: name.to_string(),
            data_type,
            index_position: 0,
        }
    }
}
