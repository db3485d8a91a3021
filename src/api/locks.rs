//! Changes are serialised per folder: a request that changes a package holds its folder (and
//! every folder above it) shared and the package itself exclusively; one that deletes, renames
//! or creates a folder holds that folder exclusively. So a folder is never deleted or renamed
//! while a package is being written into it or below it, two changes of one package never
//! interleave, and the owner records are updated inside the same hold as the store — every
//! race ends in one of the documented answers (404, 409), never in a half-done change. Reads
//! take no lock. Locks are taken in one global order, so holders never deadlock; a lock that
//! cannot be had within [`WAIT`] answers 503. This module only locks; it must not touch stores.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

use super::error::ApiError;

/// Longest wait for a lock before answering 503.
pub const WAIT: Duration = Duration::from_secs(30);

/// One lockable thing: a folder (its names from the top-level folder down) or a package in
/// one. Names are folded to lower case where the store ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LockKey {
    top: String,
    folder: Vec<String>,
    package: Option<String>,
}

impl LockKey {
    pub fn folder(top: &str, folder: Vec<String>) -> Self {
        LockKey {
            top: top.to_string(),
            folder,
            package: None,
        }
    }

    pub fn package(top: &str, folder: Vec<String>, name: String) -> Self {
        LockKey {
            top: top.to_string(),
            folder,
            package: Some(name),
        }
    }

    /// The folders above this key (the top-level folder's root first), held shared.
    fn ancestors(&self) -> Vec<LockKey> {
        let depth = match self.package {
            Some(_) => self.folder.len() + 1,
            None => self.folder.len(),
        };
        (0..depth)
            .map(|n| LockKey::folder(&self.top, self.folder[..n].to_vec()))
            .collect()
    }
}

enum Guard {
    Shared(#[allow(dead_code)] OwnedRwLockReadGuard<()>),
    Exclusive(#[allow(dead_code)] OwnedRwLockWriteGuard<()>),
}

type Table = Mutex<HashMap<LockKey, Arc<RwLock<()>>>>;

/// The lock table of one service.
#[derive(Default)]
pub struct PathLocks {
    table: Arc<Table>,
}

/// Locks held until dropped.
pub struct Held {
    guards: Vec<Guard>,
    keys: Vec<LockKey>,
    table: Arc<Table>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.guards.clear();
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        for k in &self.keys {
            if table.get(k).is_some_and(|l| Arc::strong_count(l) == 1) {
                table.remove(k);
            }
        }
    }
}

impl PathLocks {
    /// Holds every key in `exclusive` exclusively and the folders above them shared, waiting
    /// at most [`WAIT`].
    pub async fn hold(&self, exclusive: &[LockKey]) -> Result<Held, ApiError> {
        // Exclusive wins where one key is asked both ways; BTreeMap gives the global order.
        let mut wanted: BTreeMap<LockKey, bool> = BTreeMap::new();
        for key in exclusive {
            for a in key.ancestors() {
                wanted.entry(a).or_insert(false);
            }
            wanted.insert(key.clone(), true);
        }
        let locks: Vec<(LockKey, bool, Arc<RwLock<()>>)> = {
            let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
            wanted
                .into_iter()
                .map(|(k, excl)| {
                    let lock = table.entry(k.clone()).or_default().clone();
                    (k, excl, lock)
                })
                .collect()
        };
        let keys: Vec<LockKey> = locks.iter().map(|(k, _, _)| k.clone()).collect();
        let mut held = Held {
            guards: Vec::with_capacity(locks.len()),
            keys,
            table: self.table.clone(),
        };
        let acquire = async {
            for (_, excl, lock) in locks {
                held.guards.push(if excl {
                    Guard::Exclusive(lock.write_owned().await)
                } else {
                    Guard::Shared(lock.read_owned().await)
                });
            }
        };
        match tokio::time::timeout(WAIT, acquire).await {
            Ok(()) => Ok(held),
            Err(_) => Err(ApiError::unavailable(format!(
                "the folder is busy with other changes (waited {} s); retry",
                WAIT.as_secs()
            ))
            .with_header("Retry-After", "1")),
        }
    }

    /// How many keys are in the table (for tests: all are gone when nothing is held).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn a_folder_change_waits_for_package_changes_below_it() {
        let locks = Arc::new(PathLocks::default());
        let put = locks
            .hold(&[LockKey::package("F", v(&["a", "b"]), "P".into())])
            .await
            .unwrap();
        // Another package in the same folder: no wait.
        let other = locks
            .hold(&[LockKey::package("F", v(&["a", "b"]), "Q".into())])
            .await
            .unwrap();
        drop(other);
        // Deleting folder a waits for the write below it.
        let l2 = locks.clone();
        let delete =
            tokio::spawn(async move { l2.hold(&[LockKey::folder("F", v(&["a"]))]).await.unwrap() });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!delete.is_finished());
        drop(put);
        let held = delete.await.unwrap();
        // While the folder is held, a write into it waits.
        let l3 = locks.clone();
        let late = tokio::spawn(async move {
            l3.hold(&[LockKey::package("F", v(&["a"]), "P".into())])
                .await
                .unwrap()
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!late.is_finished());
        drop(held);
        drop(late.await.unwrap());
        assert_eq!(locks.len(), 0, "unused keys leave the table");
    }

    #[tokio::test]
    async fn opposite_orders_do_not_deadlock() {
        let locks = Arc::new(PathLocks::default());
        let a = LockKey::package("F", v(&["x"]), "A".into());
        let b = LockKey::package("G", v(&["y"]), "B".into());
        let mut tasks = Vec::new();
        for i in 0..50 {
            let (l, a, b) = (locks.clone(), a.clone(), b.clone());
            tasks.push(tokio::spawn(async move {
                let keys = if i % 2 == 0 { [a, b] } else { [b, a] };
                let _h = l.hold(&keys).await.unwrap();
                tokio::task::yield_now().await;
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(locks.len(), 0);
    }
}
