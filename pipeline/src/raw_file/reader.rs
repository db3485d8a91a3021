//! Opens a raw or cache file and reads it batch by batch: the file must be an Arrow IPC file
//! whose schema carries ssisd's marks (`schema.rs`); anything else — a missing file, an SSIS
//! `.raw`/`.caw` file, a truncated or damaged one — is refused with the reason, which callers
//! place after the component and file name. It must not convert values.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_ipc::reader::FileReader;

use super::schema::from_schema;
use super::{FileKind, RawColumn, RawFileError};

/// An open raw or cache file.
pub struct RawReader {
    path: PathBuf,
    kind: FileKind,
    columns: Vec<RawColumn>,
    inner: FileReader<BufReader<File>>,
}

impl std::fmt::Debug for RawReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawReader")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("columns", &self.columns)
            .finish()
    }
}

impl RawReader {
    /// Opens `path` and checks that it is a file of ssisd's raw format.
    pub fn open(path: &Path) -> Result<RawReader, RawFileError> {
        let file = File::open(path).map_err(RawFileError::Open)?;
        let inner = FileReader::try_new(BufReader::with_capacity(1 << 20, file), None)
            .map_err(RawFileError::NotArrow)?;
        let (kind, columns) = from_schema(inner.schema().as_ref())?;
        Ok(RawReader {
            path: path.to_path_buf(),
            kind,
            columns,
            inner,
        })
    }

    pub fn kind(&self) -> FileKind {
        self.kind
    }

    pub fn columns(&self) -> &[RawColumn] {
        &self.columns
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next batch of rows, `None` at the end.
    pub fn next_batch(&mut self) -> Option<Result<RecordBatch, RawFileError>> {
        self.inner.next().map(|r| r.map_err(RawFileError::Damaged))
    }
}
