//! Writes a raw or cache file so that a failure never leaves a torn file under the target's
//! name: rows go to a temporary file beside the target, which is flushed, fsynced and renamed
//! into place only by [`RawWriter::finish`] (for "create once", linked into place so that a
//! file that appeared meanwhile is not replaced); [`RawWriter::abort`] removes it. Appending
//! copies the existing file's batches into the new file first (after checking that its kind
//! and columns match), because an Arrow IPC file ends with a footer that cannot be extended in
//! place; "truncate and append" checks the columns the same way and keeps none of the rows.
//! It must not know components.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_ipc::writer::FileWriter;
use arrow_schema::SchemaRef;

use super::reader::RawReader;
use super::schema::to_schema;
use super::{FileKind, RawColumn, RawFileError};

/// How the target file is treated (the Raw File destination's WriteOption).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Create always: replace whatever is there.
    CreateAlways,
    /// Create once: fail if the file exists.
    CreateOnce,
    /// Append: keep the existing rows (columns must match).
    Append,
    /// Truncate and append: drop the existing rows (columns must match).
    TruncateAppend,
}

impl WriteMode {
    /// From the WriteOption value (0 create always, 1 create once, 2 append, 3 truncate and
    /// append).
    pub fn from_option(v: i64) -> Option<WriteMode> {
        Some(match v {
            0 => WriteMode::CreateAlways,
            1 => WriteMode::CreateOnce,
            2 => WriteMode::Append,
            3 => WriteMode::TruncateAppend,
            _ => return None,
        })
    }
}

/// A file being written.
pub struct RawWriter {
    target: PathBuf,
    temp: PathBuf,
    mode: WriteMode,
    schema: SchemaRef,
    inner: Option<FileWriter<BufWriter<File>>>,
    rows: u64,
}

/// A temporary name beside `target` that no other writer uses.
fn temp_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "output".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    target.with_file_name(format!(
        ".{name}.ssisd-{}-{nanos}.partial",
        std::process::id()
    ))
}

/// Describes how `found` differs from `wanted`, or `None` when they match.
fn column_difference(wanted: &[RawColumn], found: &[RawColumn]) -> Option<String> {
    if wanted.len() != found.len() {
        return Some(format!(
            "the file has {} columns and the rows to write have {}",
            found.len(),
            wanted.len()
        ));
    }
    for (w, f) in wanted.iter().zip(found) {
        if w.name != f.name {
            return Some(format!(
                "the file's column \"{}\" is where the rows have \"{}\"",
                f.name, w.name
            ));
        }
        if w.data_type != f.data_type {
            return Some(format!(
                "the column \"{}\" is {} in the file and {} in the rows to write",
                w.name, f.data_type, w.data_type
            ));
        }
    }
    None
}

impl RawWriter {
    /// Starts writing `columns` to `target` (nothing appears under `target` before
    /// [`RawWriter::finish`]).
    pub fn create(
        target: &Path,
        kind: FileKind,
        columns: &[RawColumn],
        mode: WriteMode,
    ) -> Result<RawWriter, RawFileError> {
        let exists = target.exists();
        let mut existing: Option<RawReader> = None;
        match mode {
            WriteMode::CreateAlways => {}
            WriteMode::CreateOnce if exists => return Err(RawFileError::Exists),
            WriteMode::CreateOnce => {}
            WriteMode::Append | WriteMode::TruncateAppend => {
                if !exists {
                    return Err(RawFileError::Missing);
                }
                let r = RawReader::open(target)?;
                if r.kind() != kind {
                    return Err(RawFileError::WrongKind {
                        found: r.kind(),
                        wanted: kind,
                    });
                }
                if let Some(d) = column_difference(columns, r.columns()) {
                    return Err(RawFileError::Columns(d));
                }
                if mode == WriteMode::Append {
                    existing = Some(r);
                }
            }
        }
        let schema = std::sync::Arc::new(to_schema(kind, columns));
        let temp = temp_name(target);
        let file = File::create(&temp).map_err(|source| RawFileError::CreateTemp {
            temp: temp.clone(),
            source,
        })?;
        let inner = FileWriter::try_new(BufWriter::with_capacity(1 << 20, file), &schema);
        let inner = match inner {
            Ok(w) => w,
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                return Err(RawFileError::Start(e));
            }
        };
        let mut w = RawWriter {
            target: target.to_path_buf(),
            temp,
            mode,
            schema,
            inner: Some(inner),
            rows: 0,
        };
        if let Some(mut r) = existing {
            while let Some(batch) = r.next_batch() {
                let copied = batch.and_then(|b| {
                    let b = RecordBatch::try_new(w.schema.clone(), b.columns().to_vec())?;
                    w.write(&b)
                });
                if let Err(e) = copied {
                    w.abort();
                    return Err(RawFileError::Copy(Box::new(e)));
                }
            }
        }
        Ok(w)
    }

    /// The schema batches must have.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Rows written so far (copied rows included).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), RawFileError> {
        let Some(w) = self.inner.as_mut() else {
            return Err(RawFileError::Closed);
        };
        w.write(batch)?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Ends the file and puts it in place of the target.
    pub fn finish(mut self) -> Result<u64, RawFileError> {
        let result = self.finish_inner();
        if result.is_err() {
            let _ = std::fs::remove_file(&self.temp);
        }
        result
    }

    fn finish_inner(&mut self) -> Result<u64, RawFileError> {
        let Some(mut w) = self.inner.take() else {
            return Err(RawFileError::Closed);
        };
        w.finish()?;
        let mut buffered = w.into_inner()?;
        buffered.flush()?;
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        if self.mode == WriteMode::CreateOnce {
            std::fs::hard_link(&self.temp, &self.target).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    RawFileError::AppearedMeanwhile
                } else {
                    RawFileError::Io(e)
                }
            })?;
            let _ = std::fs::remove_file(&self.temp);
        } else {
            std::fs::rename(&self.temp, &self.target)?;
        }
        if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(self.rows)
    }

    /// Drops what was written; the target is untouched.
    pub fn abort(&mut self) {
        self.inner = None;
        let _ = std::fs::remove_file(&self.temp);
    }
}

impl Drop for RawWriter {
    fn drop(&mut self) {
        if self.inner.is_some() {
            self.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Int32Array, StringArray};
    use ssisd_engine::types::DataType;
    use std::sync::Arc;

    fn cols() -> Vec<RawColumn> {
        vec![
            RawColumn::new("Id", DataType::I4),
            RawColumn::new("Name", DataType::WStr { len: 20 }),
        ]
    }

    fn batch(w: &RawWriter, ids: &[i32], names: &[&str]) -> RecordBatch {
        let a: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from(ids.to_vec())),
            Arc::new(StringArray::from(names.to_vec())),
        ];
        RecordBatch::try_new(w.schema().clone(), a).expect("batch")
    }

    fn read_ids(path: &Path) -> Vec<i32> {
        let mut r = RawReader::open(path).expect("opens");
        let mut out = Vec::new();
        while let Some(b) = r.next_batch() {
            let b = b.expect("batch");
            let a = b
                .column(0)
                .as_any()
                .downcast_ref::<Int32Array>()
                .expect("i32");
            out.extend(a.values().iter().copied());
        }
        out
    }

    #[test]
    fn every_write_option_behaves() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("t.raw");
        // Append to a missing file is refused; create once creates.
        assert!(
            RawWriter::create(&p, FileKind::Raw, &cols(), WriteMode::Append)
                .err()
                .expect("refused")
                .to_string()
                .contains("does not exist")
        );
        let mut w =
            RawWriter::create(&p, FileKind::Raw, &cols(), WriteMode::CreateOnce).expect("w");
        let b = batch(&w, &[1, 2], &["a", "b"]);
        w.write(&b).expect("writes");
        assert!(!p.exists(), "nothing under the target before finish");
        assert_eq!(w.finish().expect("finish"), 2);
        assert_eq!(read_ids(&p), vec![1, 2]);
        assert!(
            RawWriter::create(&p, FileKind::Raw, &cols(), WriteMode::CreateOnce)
                .err()
                .expect("refused")
                .to_string()
                .contains("already exists")
        );
        // Append keeps the rows, truncate-and-append drops them.
        let mut w = RawWriter::create(&p, FileKind::Raw, &cols(), WriteMode::Append).expect("w");
        let b = batch(&w, &[3], &["c"]);
        w.write(&b).expect("writes");
        assert_eq!(w.finish().expect("finish"), 3);
        assert_eq!(read_ids(&p), vec![1, 2, 3]);
        let mut w =
            RawWriter::create(&p, FileKind::Raw, &cols(), WriteMode::TruncateAppend).expect("w");
        let b = batch(&w, &[9], &["z"]);
        w.write(&b).expect("writes");
        w.finish().expect("finish");
        assert_eq!(read_ids(&p), vec![9]);
        // Columns must match to append; an aborted write leaves the file as it was.
        let other = vec![
            RawColumn::new("Id", DataType::I8),
            RawColumn::new("Name", DataType::WStr { len: 20 }),
        ];
        assert!(
            RawWriter::create(&p, FileKind::Raw, &other, WriteMode::Append)
                .err()
                .expect("refused")
                .to_string()
                .contains("DT_I8")
        );
        let mut w =
            RawWriter::create(&p, FileKind::Raw, &cols(), WriteMode::CreateAlways).expect("w");
        let b = batch(&w, &[5], &["e"]);
        w.write(&b).expect("writes");
        w.abort();
        assert_eq!(read_ids(&p), vec![9]);
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }

    #[test]
    fn files_that_are_not_ours_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("x.raw");
        std::fs::write(&p, b"DTS raw file bytes").expect("write");
        let e = RawReader::open(&p).expect_err("refused");
        assert!(
            e.to_string().contains("not a raw file ssisd can read"),
            "{e}"
        );
        let e = RawReader::open(&dir.path().join("missing.raw")).expect_err("refused");
        assert!(e.to_string().contains("cannot open it"), "{e}");
    }
}
