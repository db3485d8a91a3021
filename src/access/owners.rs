//! Who owns each stored package: the identity recorded when it was imported, kept in SQLite
//! (`<data_dir>/owners.db`, WAL, synchronous=FULL) and moved along with renames and moves.
//! A package is named by its top-level folder and its path inside it (names joined with '/'),
//! compared exactly. The same database holds the *intents* of changes in progress (opaque
//! text written by `api::journal` before it touches a store), so that an owner change and the
//! end of its intent commit together. Calls block; async callers run them on a blocking
//! thread. This must not decide what an owner may do, nor know how stores keep packages or
//! what an intent means.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

/// The schema this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS owners (
    folder TEXT NOT NULL,
    path   TEXT NOT NULL,
    owner  TEXT NOT NULL,
    PRIMARY KEY (folder, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS intents (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    body    TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
";

/// A change to the owner records, applied in one transaction (with the end of an intent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerChange {
    None,
    /// `identity` owns package `path` of `folder`.
    Set {
        folder: String,
        path: String,
        owner: String,
    },
    Remove {
        folder: String,
        path: String,
    },
    /// A package moved or renamed: the destination gets the source's owner (or none).
    Move {
        from_folder: String,
        from_path: String,
        to_folder: String,
        to_path: String,
    },
    /// A folder renamed: every package at or below `old` moves below `new`.
    RenamePrefix {
        folder: String,
        old: String,
        new: String,
    },
    /// A folder deleted: every package at or below `prefix` is forgotten.
    RemovePrefix {
        folder: String,
        prefix: String,
    },
}

/// An intent not yet completed or rolled back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingIntent {
    pub id: i64,
    pub body: String,
}

/// Why the owners database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum OwnersError {
    #[error("owners database {path}: cannot {action}: {source}; check that the file and its directory are writable by the service, or move a damaged file aside (owners then become unknown)")]
    Sqlite {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("owners database {path} has schema version {found}, newer than this ssisd understands ({SCHEMA_VERSION}); upgrade ssisd or restore the database it wrote")]
    NewerSchema { path: PathBuf, found: i64 },
}

/// The package owners of one service. Send + Sync; share it in an `Arc`.
pub struct Owners {
    path: PathBuf,
    conn: Mutex<Connection>,
}

/// The range of paths below `prefix/` on the binary collation ('0' follows '/'), so no
/// character in a name is special.
fn under(prefix: &str) -> (String, String) {
    (format!("{prefix}/"), format!("{prefix}0"))
}

/// `path` (which is `old` or below `old/`; anything when `old` is empty, the folder's root)
/// moved to the same place under `new`.
fn replace_prefix(path: &str, old: &str, new: &str) -> String {
    let rest = &path[old.len()..];
    let rest = if old.is_empty() {
        rest
    } else {
        rest.strip_prefix('/').unwrap_or(rest)
    };
    match (new.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (false, true) => new.to_string(),
        (false, false) => format!("{new}/{rest}"),
    }
}

impl Owners {
    /// Opens (creating when missing) the database at `path`.
    pub fn open(path: &Path) -> Result<Owners, OwnersError> {
        let err = |action| {
            let path = path.to_path_buf();
            move |source| OwnersError::Sqlite {
                path,
                action,
                source,
            }
        };
        let conn = Connection::open(path).map_err(err("open"))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(err("configure"))?;
        conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))
            .map_err(err("switch to WAL"))?;
        conn.execute_batch("PRAGMA synchronous=FULL;")
            .map_err(err("configure"))?;
        // Closing leaves the write-ahead log for the next open (commits are durable in it), so
        // the service's exit does not wait for a checkpoint.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .map_err(err("configure"))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err("read the schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(OwnersError::NewerSchema {
                path: path.to_path_buf(),
                found: version,
            });
        }
        if version < SCHEMA_VERSION {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(err("create the schema"))?;
        }
        Ok(Owners {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self, action: &'static str) -> impl FnOnce(rusqlite::Error) -> OwnersError + '_ {
        move |source| OwnersError::Sqlite {
            path: self.path.clone(),
            action,
            source,
        }
    }

    /// Runs `f` in one immediate transaction.
    fn write<T>(
        &self,
        action: &'static str,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, OwnersError> {
        let mut conn = self.conn();
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        result.map_err(self.err(action))
    }

    /// The recorded owner of package `path` in `folder`.
    pub fn owner(&self, folder: &str, path: &str) -> Result<Option<String>, OwnersError> {
        self.conn()
            .query_row(
                "SELECT owner FROM owners WHERE folder = ?1 AND path = ?2",
                params![folder, path],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("read an owner"))
    }

    /// The owners of the packages directly in `parent_path` of `folder` ("" for the folder's
    /// root), keyed by package path.
    pub fn owners_in(
        &self,
        folder: &str,
        parent_path: &str,
    ) -> Result<HashMap<String, String>, OwnersError> {
        let conn = self.conn();
        let read = || -> rusqlite::Result<HashMap<String, String>> {
            let mut out = HashMap::new();
            let (skip, rows): (usize, Vec<(String, String)>) = if parent_path.is_empty() {
                let mut stmt = conn.prepare("SELECT path, owner FROM owners WHERE folder = ?1")?;
                let rows = stmt
                    .query_map(params![folder], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                (0, rows)
            } else {
                let (low, high) = under(parent_path);
                let mut stmt = conn.prepare(
                    "SELECT path, owner FROM owners WHERE folder = ?1 AND path >= ?2 AND path < ?3",
                )?;
                let rows = stmt
                    .query_map(params![folder, low, high], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                (low.len(), rows)
            };
            for (path, owner) in rows {
                if path.len() > skip && !path[skip..].contains('/') {
                    out.insert(path, owner);
                }
            }
            Ok(out)
        };
        read().map_err(self.err("list owners"))
    }

    /// Records `identity` as the owner of package `path` in `folder`, replacing any owner.
    pub fn set(&self, folder: &str, path: &str, identity: &str) -> Result<(), OwnersError> {
        self.apply(&OwnerChange::Set {
            folder: folder.into(),
            path: path.into(),
            owner: identity.into(),
        })
    }

    /// Forgets the owner of package `path` in `folder`.
    pub fn remove(&self, folder: &str, path: &str) -> Result<(), OwnersError> {
        self.apply(&OwnerChange::Remove {
            folder: folder.into(),
            path: path.into(),
        })
    }

    /// A package renamed inside `folder`: `new_path` gets `old_path`'s owner (or none, when
    /// `old_path` had none).
    pub fn rename(&self, folder: &str, old_path: &str, new_path: &str) -> Result<(), OwnersError> {
        self.move_between(folder, old_path, folder, new_path)
    }

    /// A folder renamed inside `folder`: every package at `old_prefix` or below `old_prefix/`
    /// moves to the same place under `new_prefix`, keeping its owner (an empty prefix is the
    /// folder's root).
    pub fn rename_prefix(
        &self,
        folder: &str,
        old_prefix: &str,
        new_prefix: &str,
    ) -> Result<(), OwnersError> {
        self.apply(&OwnerChange::RenamePrefix {
            folder: folder.into(),
            old: old_prefix.into(),
            new: new_prefix.into(),
        })
    }

    /// A folder deleted inside `folder`: forgets every package at `prefix` or below `prefix/`
    /// (everything in `folder` when `prefix` is empty).
    pub fn remove_prefix(&self, folder: &str, prefix: &str) -> Result<(), OwnersError> {
        self.apply(&OwnerChange::RemovePrefix {
            folder: folder.into(),
            prefix: prefix.into(),
        })
    }

    /// A package moved, possibly to another top-level folder: the destination gets the
    /// source's owner (or none, when the source had none).
    pub fn move_between(
        &self,
        from_folder: &str,
        from_path: &str,
        to_folder: &str,
        to_path: &str,
    ) -> Result<(), OwnersError> {
        self.apply(&OwnerChange::Move {
            from_folder: from_folder.into(),
            from_path: from_path.into(),
            to_folder: to_folder.into(),
            to_path: to_path.into(),
        })
    }

    /// Applies one change in its own transaction.
    pub fn apply(&self, change: &OwnerChange) -> Result<(), OwnersError> {
        self.write("update owners", |tx| apply(tx, change))
    }

    /// Records an intent (durably, before the change it announces starts); returns its id.
    pub fn begin_intent(&self, body: &str) -> Result<i64, OwnersError> {
        self.write("record an intent", |tx| {
            tx.execute("INSERT INTO intents (body) VALUES (?1)", params![body])?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Ends an intent whose change happened: applies its owner change and forgets the intent
    /// in one transaction. An intent already ended changes nothing (so settling twice is
    /// harmless).
    pub fn complete_intent(&self, id: i64, change: &OwnerChange) -> Result<(), OwnersError> {
        self.write("complete an intent", |tx| {
            if tx.execute("DELETE FROM intents WHERE id = ?1", params![id])? == 1 {
                apply(tx, change)?;
            }
            Ok(())
        })
    }

    /// Ends an intent whose change did not happen.
    pub fn abandon_intent(&self, id: i64) -> Result<(), OwnersError> {
        self.write("abandon an intent", |tx| {
            tx.execute("DELETE FROM intents WHERE id = ?1", params![id])
                .map(drop)
        })
    }

    /// Intents not yet ended, oldest first.
    pub fn pending_intents(&self) -> Result<Vec<PendingIntent>, OwnersError> {
        let conn = self.conn();
        let read = || -> rusqlite::Result<Vec<PendingIntent>> {
            let mut stmt = conn.prepare("SELECT id, body FROM intents ORDER BY id")?;
            let rows = stmt.query_map([], |r| {
                Ok(PendingIntent {
                    id: r.get(0)?,
                    body: r.get(1)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(self.err("read intents"))
    }
}

fn apply(tx: &Transaction<'_>, change: &OwnerChange) -> rusqlite::Result<()> {
    match change {
        OwnerChange::None => Ok(()),
        OwnerChange::Set {
            folder,
            path,
            owner,
        } => upsert(tx, folder, path, owner),
        OwnerChange::Remove { folder, path } => tx
            .execute(
                "DELETE FROM owners WHERE folder = ?1 AND path = ?2",
                params![folder, path],
            )
            .map(drop),
        OwnerChange::Move {
            from_folder,
            from_path,
            to_folder,
            to_path,
        } => {
            if from_folder == to_folder && from_path == to_path {
                return Ok(());
            }
            let old: Option<String> = tx
                .query_row(
                    "SELECT owner FROM owners WHERE folder = ?1 AND path = ?2",
                    params![from_folder, from_path],
                    |r| r.get(0),
                )
                .optional()?;
            tx.execute(
                "DELETE FROM owners WHERE folder = ?1 AND path = ?2",
                params![from_folder, from_path],
            )?;
            match old {
                Some(owner) => upsert(tx, to_folder, to_path, &owner),
                None => tx
                    .execute(
                        "DELETE FROM owners WHERE folder = ?1 AND path = ?2",
                        params![to_folder, to_path],
                    )
                    .map(drop),
            }
        }
        OwnerChange::RenamePrefix { folder, old, new } => {
            if old == new {
                return Ok(());
            }
            let rows = rows_under(tx, folder, old)?;
            delete_under(tx, folder, old)?;
            for (path, owner) in &rows {
                upsert(tx, folder, &replace_prefix(path, old, new), owner)?;
            }
            Ok(())
        }
        OwnerChange::RemovePrefix { folder, prefix } => delete_under(tx, folder, prefix).map(drop),
    }
}

fn upsert(tx: &Transaction<'_>, folder: &str, path: &str, owner: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO owners (folder, path, owner) VALUES (?1, ?2, ?3)
         ON CONFLICT (folder, path) DO UPDATE SET owner = excluded.owner",
        params![folder, path, owner],
    )
    .map(drop)
}

/// The condition for "at `?2` or below `?2/`" (`?3`..`?4` from `under`); every path in the
/// folder when the prefix is empty.
const AT_OR_UNDER: &str = "folder = ?1 AND (?2 = '' OR path = ?2 OR (path >= ?3 AND path < ?4))";

fn rows_under(
    tx: &Transaction<'_>,
    folder: &str,
    prefix: &str,
) -> rusqlite::Result<Vec<(String, String)>> {
    let (low, high) = under(prefix);
    let mut stmt = tx.prepare(&format!(
        "SELECT path, owner FROM owners WHERE {AT_OR_UNDER}"
    ))?;
    let rows = stmt.query_map(params![folder, prefix, low, high], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    rows.collect()
}

fn delete_under(tx: &Transaction<'_>, folder: &str, prefix: &str) -> rusqlite::Result<usize> {
    let (low, high) = under(prefix);
    tx.execute(
        &format!("DELETE FROM owners WHERE {AT_OR_UNDER}"),
        params![folder, prefix, low, high],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, Owners) {
        let dir = tempfile::tempdir().unwrap();
        let owners = Owners::open(&dir.path().join("owners.db")).unwrap();
        (dir, owners)
    }

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(p, o)| (p.to_string(), o.to_string()))
            .collect()
    }

    #[test]
    fn set_owner_remove() {
        let (_dir, o) = open();
        assert_eq!(o.owner("File System", "a").unwrap(), None);
        o.set("File System", "a", "alice").unwrap();
        o.set("MSDB", "a", "bob").unwrap();
        assert_eq!(
            o.owner("File System", "a").unwrap().as_deref(),
            Some("alice")
        );
        assert_eq!(o.owner("MSDB", "a").unwrap().as_deref(), Some("bob"));
        assert_eq!(o.owner("File System", "A").unwrap(), None, "case-sensitive");
        o.set("File System", "a", "carol").unwrap();
        assert_eq!(
            o.owner("File System", "a").unwrap().as_deref(),
            Some("carol")
        );
        o.remove("File System", "a").unwrap();
        o.remove("File System", "a").unwrap();
        assert_eq!(o.owner("File System", "a").unwrap(), None);
        assert_eq!(o.owner("MSDB", "a").unwrap().as_deref(), Some("bob"));
    }

    #[test]
    fn owners_directly_in_a_folder() {
        let (_dir, o) = open();
        for (p, who) in [
            ("top", "a"),
            ("x/p1", "b"),
            ("x/p2", "c"),
            ("x/sub/p3", "d"),
            ("x0", "e"),
            ("x.y/p", "f"),
            ("%/p", "g"),
            ("_/p", "h"),
        ] {
            o.set("F", p, who).unwrap();
        }
        o.set("G", "x/other", "z").unwrap();
        assert_eq!(
            o.owners_in("F", "").unwrap(),
            map(&[("top", "a"), ("x0", "e")])
        );
        assert_eq!(
            o.owners_in("F", "x").unwrap(),
            map(&[("x/p1", "b"), ("x/p2", "c")])
        );
        assert_eq!(
            o.owners_in("F", "x/sub").unwrap(),
            map(&[("x/sub/p3", "d")])
        );
        assert_eq!(o.owners_in("F", "%").unwrap(), map(&[("%/p", "g")]));
        assert_eq!(o.owners_in("F", "_").unwrap(), map(&[("_/p", "h")]));
        assert!(o.owners_in("F", "missing").unwrap().is_empty());
        assert!(o.owners_in("H", "").unwrap().is_empty());
    }

    #[test]
    fn rename_moves_the_row() {
        let (_dir, o) = open();
        o.set("F", "old", "alice").unwrap();
        o.set("F", "new", "stale").unwrap();
        o.rename("F", "old", "new").unwrap();
        assert_eq!(o.owner("F", "old").unwrap(), None);
        assert_eq!(o.owner("F", "new").unwrap().as_deref(), Some("alice"));
        // Unknown source: the destination's owner becomes unknown too.
        o.set("F", "dest", "stale").unwrap();
        o.rename("F", "nobody-knows", "dest").unwrap();
        assert_eq!(o.owner("F", "dest").unwrap(), None);
        // Renaming onto itself keeps it.
        o.rename("F", "new", "new").unwrap();
        assert_eq!(o.owner("F", "new").unwrap().as_deref(), Some("alice"));
    }

    #[test]
    fn folder_rename_and_removal_use_exact_prefixes() {
        let (_dir, o) = open();
        for (p, who) in [
            ("a%", "pct"),
            ("a%/p", "pct-child"),
            ("a%/s/q", "pct-grandchild"),
            ("ab/p", "not-under-pct"),
            ("a_/p", "underscore"),
            ("a_b/p", "not-under-underscore"),
            ("a%b", "sibling"),
            ("a%0", "zero-sibling"),
        ] {
            o.set("F", p, who).unwrap();
        }
        o.set("G", "a%/p", "other-folder").unwrap();
        o.rename_prefix("F", "a%", "n_").unwrap();
        assert_eq!(o.owner("F", "n_").unwrap().as_deref(), Some("pct"));
        assert_eq!(o.owner("F", "n_/p").unwrap().as_deref(), Some("pct-child"));
        assert_eq!(
            o.owner("F", "n_/s/q").unwrap().as_deref(),
            Some("pct-grandchild")
        );
        assert_eq!(o.owner("F", "a%/p").unwrap(), None);
        for kept in ["ab/p", "a_/p", "a_b/p", "a%b", "a%0"] {
            assert!(o.owner("F", kept).unwrap().is_some(), "{kept}");
        }
        assert_eq!(
            o.owner("G", "a%/p").unwrap().as_deref(),
            Some("other-folder")
        );

        o.remove_prefix("F", "a_").unwrap();
        assert_eq!(o.owner("F", "a_/p").unwrap(), None);
        assert!(o.owner("F", "a_b/p").unwrap().is_some());
        o.remove_prefix("F", "n_").unwrap();
        assert!(o.owners_in("F", "n_").unwrap().is_empty());
        assert_eq!(o.owner("F", "n_").unwrap(), None);
        o.remove_prefix("F", "n_").unwrap();
        o.rename_prefix("F", "missing", "x").unwrap();
        assert!(o.owners_in("F", "x").unwrap().is_empty());
        // Into a new parent, deeper.
        o.rename_prefix("F", "ab", "deep/er/ab").unwrap();
        assert_eq!(
            o.owner("F", "deep/er/ab/p").unwrap().as_deref(),
            Some("not-under-pct")
        );
    }

    #[test]
    fn empty_prefixes_are_the_folder_root() {
        assert_eq!(replace_prefix("a/b", "a", "x/y"), "x/y/b");
        assert_eq!(replace_prefix("a", "a", "x"), "x");
        assert_eq!(replace_prefix("a/b", "", "x"), "x/a/b");
        assert_eq!(replace_prefix("a/b", "a", ""), "b");
        let (_dir, o) = open();
        o.set("F", "p", "alice").unwrap();
        o.set("F", "s/q", "bob").unwrap();
        o.set("G", "r", "carol").unwrap();
        o.rename_prefix("F", "", "moved").unwrap();
        assert_eq!(o.owner("F", "moved/p").unwrap().as_deref(), Some("alice"));
        assert_eq!(o.owner("F", "moved/s/q").unwrap().as_deref(), Some("bob"));
        o.remove_prefix("F", "").unwrap();
        assert!(o.owners_in("F", "moved").unwrap().is_empty());
        assert_eq!(o.owner("G", "r").unwrap().as_deref(), Some("carol"));
    }

    #[test]
    fn moves_between_folders() {
        let (_dir, o) = open();
        o.set("File System", "p", "alice").unwrap();
        o.move_between("File System", "p", "MSDB", "q/p").unwrap();
        assert_eq!(o.owner("File System", "p").unwrap(), None);
        assert_eq!(o.owner("MSDB", "q/p").unwrap().as_deref(), Some("alice"));
        o.move_between("MSDB", "q/p", "File System", "p").unwrap();
        assert_eq!(
            o.owner("File System", "p").unwrap().as_deref(),
            Some("alice")
        );
        assert_eq!(o.owner("MSDB", "q/p").unwrap(), None);
    }

    #[test]
    fn intents_end_with_their_owner_change_in_one_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owners.db");
        let o = Owners::open(&path).unwrap();
        let a = o.begin_intent("first").unwrap();
        let b = o.begin_intent("second").unwrap();
        assert!(b > a);
        drop(o);
        // Intents survive a restart; ids are never reused.
        let o = Owners::open(&path).unwrap();
        let pending = o.pending_intents().unwrap();
        assert_eq!(
            pending.iter().map(|p| p.body.as_str()).collect::<Vec<_>>(),
            ["first", "second"]
        );
        o.complete_intent(
            a,
            &OwnerChange::Set {
                folder: "F".into(),
                path: "p".into(),
                owner: "alice".into(),
            },
        )
        .unwrap();
        assert_eq!(o.owner("F", "p").unwrap().as_deref(), Some("alice"));
        // Ended once: a second completion changes nothing.
        o.remove("F", "p").unwrap();
        o.complete_intent(
            a,
            &OwnerChange::Set {
                folder: "F".into(),
                path: "p".into(),
                owner: "alice".into(),
            },
        )
        .unwrap();
        assert_eq!(o.owner("F", "p").unwrap(), None);
        o.abandon_intent(b).unwrap();
        assert!(o.pending_intents().unwrap().is_empty());
        let c = o.begin_intent("third").unwrap();
        assert!(c > b);
    }

    #[test]
    fn survives_reopening_and_refuses_newer_schemas() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owners.db");
        {
            let o = Owners::open(&path).unwrap();
            o.set("F", "p", "alice").unwrap();
        }
        let o = Owners::open(&path).unwrap();
        assert_eq!(o.owner("F", "p").unwrap().as_deref(), Some("alice"));
        let mode: String = o
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        o.conn().execute_batch("PRAGMA user_version = 99").unwrap();
        drop(o);
        let e = Owners::open(&path).err().unwrap().to_string();
        assert!(
            e.contains("schema version 99") && e.contains("owners.db"),
            "{e}"
        );
    }

    #[test]
    fn unopenable_paths_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("owners.db");
        let e = Owners::open(&path).err().unwrap().to_string();
        assert!(
            e.starts_with(&format!("owners database {}", path.display())),
            "{e}"
        );
        assert!(e.contains("cannot open"), "{e}");
    }

    #[test]
    fn shared_between_threads() {
        fn check<T: Send + Sync>() {}
        check::<Owners>();
        let (_dir, o) = open();
        let o = std::sync::Arc::new(o);
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let o = o.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        o.set("F", &format!("t{t}/p{i}"), &format!("u{t}")).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        for t in 0..4 {
            assert_eq!(o.owners_in("F", &format!("t{t}")).unwrap().len(), 25);
        }
    }
}
