//! The partial cache of a Lookup (CacheType 1): the reference rows found for the keys seen so
//! far, and — in their own share of the space, `NoMatchCachePercentage` — the keys the
//! database had no row for, so that a repeated miss is not asked again. Each share holds at
//! most its bytes (keys and values counted); when a new entry does not fit, the least recently
//! used entries of that share are evicted first, as SSIS's partial cache evicts least-used
//! rows. A share of 0 bytes caches nothing (with NoMatchCachePercentage 0 every miss is asked
//! again). Keys are Arrow row-format bytes (equal exactly when every key value is equal). It
//! must not run queries.

use std::collections::BTreeMap;

use hashbrown::HashMap;
use ssisd_engine::types::Value;

/// What the cache knows about a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Cached {
    /// The reference row's copied values.
    Found(Vec<Value>),
    /// The database has no row for the key.
    Missing,
}

struct Entry {
    tick: u64,
    bytes: usize,
    value: Option<Vec<Value>>,
}

/// One least-recently-used share.
struct Share {
    limit: usize,
    bytes: usize,
    entries: HashMap<Box<[u8]>, Entry>,
    /// Use order: tick → key.
    order: BTreeMap<u64, Box<[u8]>>,
    evicted: u64,
}

impl Share {
    fn new(limit: usize) -> Share {
        Share {
            limit,
            bytes: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            evicted: 0,
        }
    }

    fn get(&mut self, key: &[u8], tick: u64) -> Option<Option<Vec<Value>>> {
        let e = self.entries.get_mut(key)?;
        let old = std::mem::replace(&mut e.tick, tick);
        if let Some(k) = self.order.remove(&old) {
            self.order.insert(tick, k);
        }
        Some(e.value.clone())
    }

    fn put(&mut self, key: &[u8], value: Option<Vec<Value>>, tick: u64) {
        let bytes = entry_size(key, value.as_deref());
        if bytes > self.limit {
            return;
        }
        if let Some(old) = self.entries.remove(key) {
            self.order.remove(&old.tick);
            self.bytes -= old.bytes;
        }
        while self.bytes + bytes > self.limit {
            let Some((_, k)) = self.order.pop_first() else {
                break;
            };
            if let Some(e) = self.entries.remove(&k) {
                self.bytes -= e.bytes;
                self.evicted += 1;
            }
        }
        let key: Box<[u8]> = key.into();
        self.order.insert(tick, key.clone());
        self.entries.insert(key, Entry { tick, bytes, value });
        self.bytes += bytes;
    }
}

/// Bytes an entry is counted as.
fn entry_size(key: &[u8], value: Option<&[Value]>) -> usize {
    let overhead = 64;
    overhead
        + key.len() * 2
        + value
            .map(|v| v.iter().map(value_size).sum::<usize>())
            .unwrap_or(0)
}

fn value_size(v: &Value) -> usize {
    std::mem::size_of::<Value>()
        + match v {
            Value::Str(s) | Value::WStr(s) => s.len(),
            Value::Bytes(b) => b.len(),
            _ => 0,
        }
}

/// The partial cache: found rows and misses, each in its share.
pub struct PartialCache {
    found: Share,
    missing: Share,
    tick: u64,
}

/// What the cache did, for the end-of-run message.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub rows: usize,
    pub misses: usize,
    pub bytes: usize,
    pub evicted: u64,
}

impl PartialCache {
    /// A cache of `limit` bytes, `miss_percent` of them for misses.
    pub fn new(limit: usize, miss_percent: u8) -> PartialCache {
        let miss = limit / 100 * usize::from(miss_percent.min(100));
        PartialCache {
            found: Share::new(limit - miss),
            missing: Share::new(miss),
            tick: 0,
        }
    }

    /// What is cached for `key`, marking it used.
    pub fn get(&mut self, key: &[u8]) -> Option<Cached> {
        self.tick += 1;
        if let Some(v) = self.found.get(key, self.tick) {
            return Some(v.map(Cached::Found).unwrap_or(Cached::Missing));
        }
        self.missing.get(key, self.tick).map(|_| Cached::Missing)
    }

    /// Remembers what the database answered for `key`.
    pub fn put(&mut self, key: &[u8], answer: Cached) {
        self.tick += 1;
        match answer {
            Cached::Found(values) => self.found.put(key, Some(values), self.tick),
            Cached::Missing => self.missing.put(key, None, self.tick),
        }
    }

    pub fn usage(&self) -> Usage {
        Usage {
            rows: self.found.entries.len(),
            misses: self.missing.entries.len(),
            bytes: self.found.bytes + self.missing.bytes,
            evicted: self.found.evicted + self.missing.evicted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: i32) -> Vec<Value> {
        vec![Value::I4(n), Value::WStr(format!("name {n}"))]
    }

    #[test]
    fn the_least_recently_used_rows_go_first() {
        let one = entry_size(b"k1", Some(&row(1)));
        let mut c = PartialCache::new(one * 2 + 10, 0);
        c.put(b"k1", Cached::Found(row(1)));
        c.put(b"k2", Cached::Found(row(2)));
        // k1 is used, so k2 is the least recently used when k3 comes.
        assert_eq!(c.get(b"k1"), Some(Cached::Found(row(1))));
        c.put(b"k3", Cached::Found(row(3)));
        assert_eq!(c.get(b"k2"), None);
        assert_eq!(c.get(b"k1"), Some(Cached::Found(row(1))));
        assert_eq!(c.get(b"k3"), Some(Cached::Found(row(3))));
        let u = c.usage();
        assert_eq!((u.rows, u.evicted), (2, 1));
        assert!(u.bytes <= one * 2 + 10);
    }

    #[test]
    fn misses_are_kept_only_in_their_share() {
        let mut none = PartialCache::new(100_000, 0);
        none.put(b"gone", Cached::Missing);
        assert_eq!(
            none.get(b"gone"),
            None,
            "NoMatchCachePercentage 0 keeps no misses"
        );
        let mut some = PartialCache::new(100_000, 25);
        some.put(b"gone", Cached::Missing);
        assert_eq!(some.get(b"gone"), Some(Cached::Missing));
        assert_eq!(some.usage().misses, 1);
    }
}
