//! The cache of package headers for File System stores. Reading a header means opening and
//! parsing a file, so each one is kept by file identity (inode, size, mtime): in memory while
//! the store is open, and per directory in a hidden file (`.ssisd-headers`) so the first
//! listing after a start does not re-read every package. A changed file (other size or mtime)
//! is read again; the saved file is only a hint — unreadable, torn or foreign content is
//! ignored and rewritten. It must not decide what a listing contains.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::atomic_file;
use crate::package_header::PackageHeader;

/// The per-directory file holding the cached headers.
pub const CACHE_FILE: &str = ".ssisd-headers";
/// Format of [`CACHE_FILE`]; another number is ignored. Version 1 flattened the fingerprint
/// into each entry, which made serde buffer every entry before reading it (several times
/// slower to load at 10,000 packages).
const CACHE_VERSION: u32 = 2;

/// What identifies one version of a file.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Fingerprint {
    pub ino: u64,
    pub len: u64,
    pub mtime_ns: i64,
}

impl Fingerprint {
    pub fn of(m: &fs::Metadata) -> Self {
        Fingerprint {
            ino: m.ino(),
            len: m.len(),
            mtime_ns: m.mtime().saturating_mul(1_000_000_000) + m.mtime_nsec(),
        }
    }
}

/// A header, or why the file is not a readable package.
pub type Header = Arc<Result<PackageHeader, String>>;

#[derive(Clone)]
struct Cached {
    fp: Fingerprint,
    header: Header,
}

/// The cached headers of one directory, by file name.
#[derive(Default)]
struct DirCache {
    files: HashMap<String, Cached>,
    /// Whether the saved file was read (once per directory while the store is open).
    loaded: bool,
    /// Entries changed since the saved file was written.
    dirty: bool,
}

#[derive(Serialize, Deserialize)]
struct SavedEntry {
    file: String,
    fp: Fingerprint,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    header: Option<PackageHeader>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    error: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    version: u32,
    entries: Vec<SavedEntry>,
}

/// All directories' cached headers of one store.
#[derive(Default)]
pub struct HeaderCache {
    dirs: Mutex<HashMap<PathBuf, DirCache>>,
    saving: AtomicBool,
}

impl HeaderCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<PathBuf, DirCache>> {
        self.dirs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Looks up the headers of `files` (name, fingerprint) in `dir`, loading the directory's
    /// saved cache the first time. Returns one slot per file; `None` where the file must be
    /// read.
    pub fn lookup(&self, dir: &Path, files: &[(&str, Fingerprint)]) -> Vec<Option<Header>> {
        let loaded = self.lock().get(dir).is_some_and(|d| d.loaded);
        if !loaded {
            let saved = load(dir);
            let mut dirs = self.lock();
            let entry = dirs.entry(dir.to_path_buf()).or_default();
            if !entry.loaded {
                entry.loaded = true;
                for (name, cached) in saved {
                    entry.files.entry(name).or_insert(cached);
                }
            }
        }
        let dirs = self.lock();
        let Some(d) = dirs.get(dir) else {
            return vec![None; files.len()];
        };
        files
            .iter()
            .map(|(name, fp)| match d.files.get(*name) {
                Some(c) if c.fp == *fp => Some(c.header.clone()),
                _ => None,
            })
            .collect()
    }

    /// Records freshly read headers.
    pub fn store(&self, dir: &Path, fresh: Vec<(String, Fingerprint, Header)>) {
        if fresh.is_empty() {
            return;
        }
        let mut dirs = self.lock();
        let d = dirs.entry(dir.to_path_buf()).or_default();
        for (name, fp, header) in fresh {
            d.files.insert(name, Cached { fp, header });
        }
        d.dirty = true;
    }

    /// Forgets one file (deleted or renamed).
    pub fn forget(&self, dir: &Path, file: &str) {
        if let Some(d) = self.lock().get_mut(dir) {
            if d.files.remove(file).is_some() {
                d.dirty = true;
            }
        }
    }

    /// Forgets a directory and everything below it (deleted or renamed).
    pub fn forget_tree(&self, dir: &Path) {
        self.lock().retain(|d, _| !d.starts_with(dir));
    }

    /// Whether `dir` has entries that are not in its saved file.
    pub fn is_dirty(&self, dir: &Path) -> bool {
        self.lock().get(dir).is_some_and(|d| d.dirty)
    }

    /// Writes `dir`'s saved cache, keeping only the files present in `present`. One save at a
    /// time per store; a save that cannot be written (read-only store) is skipped.
    pub fn save(&self, dir: &Path, present: &[(String, Fingerprint)]) {
        if self.saving.swap(true, Ordering::AcqRel) {
            return;
        }
        let saved = {
            let mut dirs = self.lock();
            dirs.get_mut(dir).map(|d| {
                d.dirty = false;
                let entries = present
                    .iter()
                    .filter_map(|(name, fp)| {
                        let c = d.files.get(name)?;
                        (c.fp == *fp).then(|| {
                            let (header, error) = match c.header.as_ref() {
                                Ok(h) => (Some(h.clone()), None),
                                Err(e) => (None, Some(e.clone())),
                            };
                            SavedEntry {
                                file: name.clone(),
                                fp: c.fp,
                                header,
                                error,
                            }
                        })
                    })
                    .collect();
                Saved {
                    version: CACHE_VERSION,
                    entries,
                }
            })
        };
        if let Some(saved) = saved {
            if let Ok(bytes) = serde_json::to_vec(&saved) {
                // A cache needs no fsync: a torn or lost file is only read again.
                let _ = atomic_file::write_atomically_unsynced(&dir.join(CACHE_FILE), &bytes);
            }
        }
        self.saving.store(false, Ordering::Release);
    }
}

/// Reads a directory's saved cache; anything unreadable is an empty cache.
fn load(dir: &Path) -> Vec<(String, Cached)> {
    let Ok(bytes) = fs::read(dir.join(CACHE_FILE)) else {
        return Vec::new();
    };
    let Ok(saved) = serde_json::from_slice::<Saved>(&bytes) else {
        return Vec::new();
    };
    if saved.version != CACHE_VERSION {
        return Vec::new();
    }
    saved
        .entries
        .into_iter()
        .filter_map(|e| {
            let header = match (e.header, e.error) {
                (Some(h), None) => Ok(h),
                (None, Some(err)) => Err(err),
                _ => return None,
            };
            Some((
                e.file,
                Cached {
                    fp: e.fp,
                    header: Arc::new(header),
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_headers_are_used_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let fp = Fingerprint {
            ino: 1,
            len: 10,
            mtime_ns: 5,
        };
        let header = PackageHeader {
            name: Some("P".into()),
            ..PackageHeader::default()
        };
        let cache = HeaderCache::default();
        assert_eq!(cache.lookup(dir.path(), &[("a.dtsx", fp)]), vec![None]);
        cache.store(
            dir.path(),
            vec![
                ("a.dtsx".into(), fp, Arc::new(Ok(header.clone()))),
                ("b.dtsx".into(), fp, Arc::new(Err("broken".into()))),
            ],
        );
        assert!(cache.is_dirty(dir.path()));
        cache.save(dir.path(), &[("a.dtsx".into(), fp), ("b.dtsx".into(), fp)]);
        assert!(!cache.is_dirty(dir.path()));

        // A new cache (a restart) finds them in the saved file.
        let again = HeaderCache::default();
        let changed = Fingerprint { len: 11, ..fp };
        let found = again.lookup(dir.path(), &[("a.dtsx", fp), ("b.dtsx", changed)]);
        assert_eq!(found[0].as_deref(), Some(&Ok(header)));
        assert!(found[1].is_none(), "a changed file is read again");

        // Garbage in the saved file is an empty cache.
        fs::write(dir.path().join(CACHE_FILE), b"{not json").unwrap();
        let third = HeaderCache::default();
        assert_eq!(third.lookup(dir.path(), &[("a.dtsx", fp)]), vec![None]);
    }
}
