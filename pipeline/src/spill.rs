//! Spill files of blocking components: buffers written to a temporary file in one of the data
//! flow's spill directories (BufferTempStoragePath, else the system temp directory) as an Arrow
//! IPC stream, and read back in the same order, buffer by buffer. A spill file is removed when
//! its [`SpillFile`] (or an unfinished [`SpillWriter`]) is dropped — at the end of the run, on
//! failure and on cancel alike — so a component that drops its state in `abort` leaves nothing
//! behind. It must not decide when to spill (components do, asking the memory budget).

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchOptions};
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{ArrowError, Field, Schema, SchemaRef};
use tempfile::{NamedTempFile, TempPath};

use crate::buffer::types::arrow_type;
use crate::buffer::{Buffer, Layout};
use crate::memory::MemoryBudget;

/// A spill file that cannot be created, written or read back.
#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    /// No temporary file could be made in the spill directory.
    #[error("cannot create a spill file in \"{}\" ({source}); set BufferTempStoragePath to a writable directory with free space", .dir.display())]
    Create {
        dir: PathBuf,
        source: std::io::Error,
    },
    /// A buffer's columns do not make an Arrow batch.
    #[error("cannot spill a buffer: {0}")]
    Batch(#[source] ArrowError),
    /// Writing or finishing the file failed.
    #[error("cannot write the spill file {}: {source}", .path.display())]
    Write { path: PathBuf, source: ArrowError },
    /// The file cannot be opened again.
    #[error("cannot read the spill file {}: {source}", .path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file's stream cannot be read.
    #[error("cannot read the spill file {}: {source}", .path.display())]
    Read { path: PathBuf, source: ArrowError },
}

/// The read buffer of a spill file being read back: small, since a merge reads many at once.
pub const READ_BUFFER: usize = 64 * 1024;

/// Spreads spill files over the directories in turn.
static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// The Arrow schema of buffers of `layout` (columns named by position: names need not be
/// unique in a layout).
fn schema(layout: &Layout) -> SchemaRef {
    Arc::new(Schema::new(
        layout
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| Field::new(format!("c{i}"), arrow_type(&c.data_type), true))
            .collect::<Vec<_>>(),
    ))
}

/// A spill file being written.
pub struct SpillWriter {
    writer: StreamWriter<BufWriter<File>>,
    path: TempPath,
    layout: Arc<Layout>,
    schema: SchemaRef,
    rows: u64,
}

/// A finished spill file; removed when dropped.
#[derive(Debug)]
pub struct SpillFile {
    path: TempPath,
    layout: Arc<Layout>,
    rows: u64,
    bytes: u64,
}

impl SpillWriter {
    /// Creates a spill file for buffers of `layout`. `what` names the component (part of the
    /// file name, so a look at the directory says whose files they are).
    pub fn create(
        budget: &MemoryBudget,
        layout: Arc<Layout>,
        what: &str,
    ) -> Result<SpillWriter, SpillError> {
        let dirs = budget.spill_dirs();
        let dir = &dirs[NEXT_DIR.fetch_add(1, Ordering::Relaxed) % dirs.len().max(1)];
        let prefix: String = what
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(32)
            .collect();
        let file = tempfile::Builder::new()
            .prefix(&format!("ssisd-spill-{prefix}-"))
            .suffix(".arrows")
            .tempfile_in(dir)
            .map_err(|source| SpillError::Create {
                dir: dir.clone(),
                source,
            })?;
        let (file, path): (File, TempPath) = NamedTempFile::into_parts(file);
        let schema = schema(&layout);
        let writer =
            StreamWriter::try_new(BufWriter::with_capacity(READ_BUFFER * 4, file), &schema)
                .map_err(|source| SpillError::Write {
                    path: path.to_path_buf(),
                    source,
                })?;
        Ok(SpillWriter {
            writer,
            path,
            layout,
            schema,
            rows: 0,
        })
    }

    /// Appends a buffer.
    pub fn write(&mut self, buffer: &Buffer) -> Result<(), SpillError> {
        let batch = RecordBatch::try_new_with_options(
            self.schema.clone(),
            buffer.columns().to_vec(),
            &RecordBatchOptions::new().with_row_count(Some(buffer.rows())),
        )
        .map_err(SpillError::Batch)?;
        self.writer
            .write(&batch)
            .map_err(|source| SpillError::Write {
                path: self.path.to_path_buf(),
                source,
            })?;
        self.rows += buffer.rows() as u64;
        Ok(())
    }

    /// Finishes the file.
    pub fn finish(mut self) -> Result<SpillFile, SpillError> {
        self.writer.finish().map_err(|source| SpillError::Write {
            path: self.path.to_path_buf(),
            source,
        })?;
        let bytes = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        Ok(SpillFile {
            path: self.path,
            layout: self.layout,
            rows: self.rows,
            bytes,
        })
    }
}

impl SpillFile {
    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Reads the buffers back, in the order they were written.
    pub fn reader(&self) -> Result<SpillReader, SpillError> {
        let file = File::open(&self.path).map_err(|source| SpillError::Open {
            path: self.path.to_path_buf(),
            source,
        })?;
        let reader = StreamReader::try_new(BufReader::with_capacity(READ_BUFFER, file), None)
            .map_err(|source| SpillError::Read {
                path: self.path.to_path_buf(),
                source,
            })?;
        Ok(SpillReader {
            reader,
            layout: self.layout.clone(),
            path: self.path.to_path_buf(),
        })
    }
}

/// Reads a spill file buffer by buffer.
pub struct SpillReader {
    reader: StreamReader<BufReader<File>>,
    layout: Arc<Layout>,
    path: PathBuf,
}

impl SpillReader {
    /// The next buffer, or `None` at the end.
    pub fn next_buffer(&mut self) -> Result<Option<Buffer>, SpillError> {
        match self.reader.next() {
            None => Ok(None),
            Some(Err(source)) => Err(SpillError::Read {
                path: self.path.clone(),
                source,
            }),
            Some(Ok(batch)) => {
                let rows = batch.num_rows();
                Ok(Some(Buffer::new(
                    self.layout.clone(),
                    batch.columns().to_vec(),
                    rows,
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{buffer_of, rows_of};
    use ssisd_engine::types::{DataType, Value};

    #[test]
    fn buffers_round_trip_and_the_file_goes_with_its_owner() {
        let dir = tempfile::tempdir().expect("dir");
        let budget = MemoryBudget::new(1 << 20, dir.path().to_str().expect("utf8"));
        let b = buffer_of(
            &[(1, "n", DataType::I4), (2, "s", DataType::WStr { len: 5 })],
            &[
                vec![Value::I4(1), Value::WStr("a".into())],
                vec![Value::Null(DataType::I4), Value::WStr("bé".into())],
            ],
        );
        let mut w = SpillWriter::create(&budget, b.layout().clone(), "Sort rows").expect("create");
        w.write(&b).expect("write");
        w.write(&b).expect("write");
        let f = w.finish().expect("finish");
        assert_eq!(f.rows(), 4);
        assert!(f
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("ssisd-spill-Sort_rows-")));
        let mut r = f.reader().expect("reader");
        let first = r.next_buffer().expect("read").expect("a buffer");
        assert_eq!(rows_of(&first), rows_of(&b));
        assert!(r.next_buffer().expect("read").is_some());
        assert!(r.next_buffer().expect("read").is_none());
        let path = f.path().to_path_buf();
        drop(r);
        drop(f);
        assert!(!path.exists());
        // An unfinished writer removes its file too.
        let w = SpillWriter::create(&budget, b.layout().clone(), "x").expect("create");
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }

    #[test]
    fn an_unwritable_directory_is_named() {
        let budget = MemoryBudget::new(1 << 20, "/nonexistent/ssisd-spill");
        let layout = Arc::new(Layout::default());
        let e = SpillWriter::create(&budget, layout, "Sort")
            .err()
            .expect("fails");
        assert!(matches!(e, SpillError::Create { .. }), "{e}");
        let e = e.to_string();
        assert!(e.contains("/nonexistent/ssisd-spill"), "{e}");
        assert!(e.contains("BufferTempStoragePath"), "{e}");
    }
}
