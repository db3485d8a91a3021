//! The caches one package run keeps in memory, by Cache connection manager name: each holds the
//! reference rows and their index on the manager's index columns, published whole by a Cache
//! Transform when its data flow succeeds (a failed fill publishes nothing) or by the first
//! Lookup that loads the manager's cache file; Lookups in later data flows share them until the
//! run ends. As in SSIS only one Cache Transform may write a given cache in a run: the first one
//! claims it, others are refused; the same transform running again (in a loop) refills it. The
//! memory of a cache between data flows belongs to the run, not to a data flow's budget; each
//! data flow that uses it reserves its size while it runs. It must not build tables or indexes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::reference::{KeyIndex, ReferenceTable};

/// A cache another Cache Transform already writes in this run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cache is already written by \"{writer}\"")]
pub struct CacheClaimed {
    /// The path of the Cache Transform that claimed the cache first.
    pub writer: String,
}

/// A filled cache: its rows and the index on its index columns (in index-position order).
#[derive(Debug, Clone)]
pub struct CachedReference {
    pub table: Arc<ReferenceTable>,
    pub index: Arc<KeyIndex>,
    /// The table columns the index keys are, in index-position order.
    pub key_columns: Vec<usize>,
}

impl CachedReference {
    /// Bytes the rows and the index hold.
    pub fn memory_size(&self) -> usize {
        self.table.memory_size() + self.index.memory_size()
    }
}

#[derive(Default)]
struct Entry {
    writer: Option<String>,
    filled: Option<CachedReference>,
}

/// The caches of one package run.
#[derive(Default)]
pub struct CacheStore {
    entries: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for CacheStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheStore").finish_non_exhaustive()
    }
}

impl CacheStore {
    pub fn new() -> Arc<CacheStore> {
        Arc::new(CacheStore::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes `writer` (a Cache Transform's path) the writer of `cache`; `Err` names the one
    /// that already is.
    pub fn claim(&self, cache: &str, writer: &str) -> Result<(), CacheClaimed> {
        let mut m = self.lock();
        let e = m.entry(cache.to_string()).or_default();
        match &e.writer {
            Some(w) if w != writer => Err(CacheClaimed { writer: w.clone() }),
            _ => {
                e.writer = Some(writer.to_string());
                Ok(())
            }
        }
    }

    /// Publishes the rows of `cache`, replacing earlier ones.
    pub fn publish(&self, cache: &str, filled: CachedReference) {
        self.lock().entry(cache.to_string()).or_default().filled = Some(filled);
    }

    /// The rows of `cache`, if filled in this run.
    pub fn get(&self, cache: &str) -> Option<CachedReference> {
        self.lock().get(cache).and_then(|e| e.filled.clone())
    }
}
