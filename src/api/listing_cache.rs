//! Answers of folder listings kept for as long as their folder does not change: each is kept
//! with the folder's version (`PackageStore::folder_version`) and served again only at that
//! same version, so a warm listing of a large folder costs no directory read and no JSON
//! encoding. An answer made while the folder changed is not kept. Bounded in entries and bytes;
//! the oldest goes first. It only keeps bytes: listing, permissions and encoding are
//! `folders.rs`'s.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;

/// The most answers kept.
const MAX_ENTRIES: usize = 64;
/// The most bytes kept, all answers together.
const MAX_BYTES: usize = 128 << 20;

struct Kept {
    key: String,
    version: u64,
    body: Bytes,
}

/// Kept listing answers, oldest first.
#[derive(Default)]
pub struct ListingCache {
    kept: Mutex<VecDeque<Kept>>,
}

impl ListingCache {
    /// The answer kept for `key` at `version`.
    pub fn get(&self, key: &str, version: u64) -> Option<Bytes> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .find(|k| k.key == key && k.version == version)
            .map(|k| k.body.clone())
    }

    /// Keeps `body` as the answer for `key` at `version`, replacing an older one.
    pub fn put(&self, key: String, version: u64, body: Bytes) {
        if body.len() > MAX_BYTES / 4 {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|k| k.key != key);
        kept.push_back(Kept { key, version, body });
        let mut total: usize = kept.iter().map(|k| k.body.len()).sum();
        while kept.len() > MAX_ENTRIES || total > MAX_BYTES {
            match kept.pop_front() {
                Some(k) => total -= k.body.len(),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_served_only_at_their_version_and_bounded() {
        let c = ListingCache::default();
        c.put("a".into(), 1, Bytes::from_static(b"one"));
        assert_eq!(c.get("a", 1).as_deref(), Some(&b"one"[..]));
        assert!(c.get("a", 2).is_none());
        c.put("a".into(), 2, Bytes::from_static(b"two"));
        assert!(c.get("a", 1).is_none());
        for i in 0..MAX_ENTRIES + 5 {
            c.put(format!("k{i}"), 1, Bytes::from_static(b"x"));
        }
        assert!(c.get("a", 2).is_none(), "the oldest went first");
        assert_eq!(c.kept.lock().unwrap().len(), MAX_ENTRIES);
    }
}
