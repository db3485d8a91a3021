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

use std::path::PathBuf;

use arrow_schema::ArrowError;
use ssisd_engine::types::DataType;

/// The value of the schema's `ssisd.format` metadata.
pub const FORMAT: &str = "ssisd-raw";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// Why a raw or cache file cannot be read or written. The text says what is wrong with "it";
/// callers place it after the component and file name.
#[derive(Debug, thiserror::Error)]
pub enum RawFileError {
    #[error("cannot open it: {0}")]
    Open(#[source] std::io::Error),
    /// Not an Arrow IPC file at all.
    #[error("it is not a raw file ssisd can read (not an Arrow IPC file, or a damaged one: {0}); SSIS's own raw and cache files cannot be read, write the file with an ssisd Raw File destination or Cache Transform")]
    NotArrow(#[source] ArrowError),
    /// A batch that cannot be read.
    #[error("it is damaged: {0}")]
    Damaged(#[source] ArrowError),
    /// An Arrow IPC file without ssisd's format mark.
    #[error("it is an Arrow IPC file but not one ssisd wrote (its schema has no \"{}\" = \"{}\" mark); SSIS's own raw and cache files cannot be read, write the file with an ssisd Raw File destination or Cache Transform", schema::KEY_FORMAT, FORMAT)]
    NotSsisd,
    /// Another version of the format.
    #[error("it is version {0} of ssisd's raw file format, and this ssisd reads version {VERSION}", VERSION = VERSION)]
    Version(u32),
    /// A kind mark other than raw or cache.
    #[error("its kind \"{0}\" is neither \"raw\" nor \"cache\"")]
    Kind(String),
    /// A column without its SSIS type code.
    #[error("its column \"{0}\" has no SSIS type")]
    NoType(String),
    #[error("its column \"{column}\" has the unknown SSIS type code {code}")]
    UnknownType { column: String, code: i32 },
    /// A column whose Arrow type is not the one its SSIS type maps to.
    #[error("its column \"{column}\" is declared {declared} but stored as Arrow {stored}")]
    StoredAs {
        column: String,
        declared: DataType,
        stored: arrow_schema::DataType,
    },
    #[error("it already exists and the write option is \"Create once\"; delete it or use \"Create always\"")]
    Exists,
    #[error("it does not exist, and the write option adds rows to an existing file; create it first with \"Create always\" or \"Create once\"")]
    Missing,
    /// Appending to a file of the other kind.
    #[error("it is a {} file, not a {} file", .found.as_str(), .wanted.as_str())]
    WrongKind { found: FileKind, wanted: FileKind },
    /// Appending rows whose columns differ; holds the first difference.
    #[error("its columns do not match the rows to append: {0}")]
    Columns(String),
    /// The temporary file beside the target cannot be created.
    #[error("cannot create a file beside it ({}): {source}; check that its folder exists and is writable", .temp.display())]
    CreateTemp {
        temp: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start writing it: {0}")]
    Start(#[source] ArrowError),
    /// Copying the rows of the file appended to failed.
    #[error("cannot copy its existing rows: {0}")]
    Copy(#[source] Box<RawFileError>),
    #[error("the file is already closed")]
    Closed,
    #[error("it appeared while the rows were written and the write option is \"Create once\"")]
    AppearedMeanwhile,
    #[error(transparent)]
    Arrow(#[from] ArrowError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

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
