//! Fills a cache from its cache file: the file must be an ssisd raw file of kind `cache` (a
//! file written by a Raw File destination is refused, as SSIS refuses them) whose columns match
//! the Cache connection manager's — names, types and index positions; its rows are gathered
//! into a reference table with their memory reserved against the data flow's budget and
//! indexed on the index columns (a repeated key keeps its first row and is counted). It must
//! not know which component asked.

use std::path::Path;
use std::sync::Arc;

use super::manager::CacheSpec;
use super::store::CachedReference;
use crate::memory::{MemoryBudget, Reservation};
use crate::raw_file::reader::RawReader;
use crate::raw_file::{FileKind, RawFileError};
use crate::reference::table::{reserve, MemoryRefused};
use crate::reference::{GatherError, KeyIndex, KeyIndexError, TableBuilder};

/// Why a cache file cannot fill its cache. The text says what is wrong with "it"; the caller
/// names the cache and the file.
#[derive(Debug, thiserror::Error)]
pub enum CacheLoadError {
    /// The file cannot be opened or is not a readable raw file.
    #[error(transparent)]
    File(#[from] RawFileError),
    /// A raw file of kind `raw`, not `cache`.
    #[error("it was written by a Raw File destination, and a Cache connection manager reads only cache files (written by a Cache Transform)")]
    NotCache,
    /// The file's columns, then the manager's, each as `name type (index n), …`.
    #[error("its columns [{found}] are not the connection manager's [{wanted}]; refill the cache or update the manager's columns")]
    Columns { found: String, wanted: String },
    #[error(transparent)]
    Index(#[from] KeyIndexError),
    /// The data flow's memory budget cannot hold the rows or their index.
    #[error(transparent)]
    Memory(#[from] MemoryRefused),
    #[error(transparent)]
    Gather(#[from] GatherError),
}

/// A cache read from its file.
pub struct Loaded {
    pub cache: CachedReference,
    pub reserved: Vec<Reservation>,
    /// Rows not indexed because an earlier row had the same key.
    pub duplicates: u64,
}

/// Reads the cache file of `spec`. Errors say what is wrong without naming the file (the
/// caller does).
pub fn load_file(spec: &CacheSpec, budget: &Arc<MemoryBudget>) -> Result<Loaded, CacheLoadError> {
    let mut r = RawReader::open(Path::new(&spec.file_path))?;
    if r.kind() != FileKind::Cache {
        return Err(CacheLoadError::NotCache);
    }
    let found = r.columns().to_vec();
    if found.len() != spec.columns.len()
        || found.iter().zip(&spec.columns).any(|(f, w)| {
            !f.name.eq_ignore_ascii_case(&w.name)
                || f.data_type != w.data_type
                || f.index_position != w.index_position
        })
    {
        let show = |c: &[crate::raw_file::RawColumn]| {
            c.iter()
                .map(|c| format!("{} {} (index {})", c.name, c.data_type, c.index_position))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(CacheLoadError::Columns {
            found: show(&found),
            wanted: show(&spec.columns),
        });
    }
    let key_columns = spec.index_columns();
    let types: Vec<_> = key_columns
        .iter()
        .map(|&i| spec.columns[i].data_type)
        .collect();
    let mut index = KeyIndex::new(&types)?;
    let mut builder = TableBuilder::new(spec.columns.clone());
    let mut duplicates = 0u64;
    while let Some(batch) = r.next_batch() {
        let batch = batch?;
        let keys: Vec<_> = key_columns
            .iter()
            .map(|&i| batch.column(i).clone())
            .collect();
        let fresh = index.insert(&keys, builder.rows())?;
        duplicates += fresh.iter().filter(|f| !**f).count() as u64;
        builder.push(batch.columns().to_vec(), budget)?;
    }
    let (table, mut reserved) = builder.finish()?;
    reserved.push(reserve(budget, index.memory_size(), table.memory_size())?);
    Ok(Loaded {
        cache: CachedReference {
            table: Arc::new(table),
            index: Arc::new(index),
            key_columns,
        },
        reserved,
        duplicates,
    })
}
