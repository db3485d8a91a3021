//! Run handles: for every run the service hands to an executor, its handle — executor,
//! external id, service instance id, execution id, and the run's state record — kept in SQLite
//! (`<data_dir>/executors.db`) from **before** the submission until the run's outcome is
//! recorded, so a service that stops at any moment finds its runs on the engines again: a
//! handle without an external id is looked for by its labels. The database also keeps this
//! service instance's id (made once, at first use). It owns the table only; every call blocks
//! and runs off the async threads.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use ssisd_engine::run_protocol::RunState;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS handles (
    execution_id TEXT PRIMARY KEY,
    executor TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    external_id TEXT,
    state TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
";

/// Why the handle table cannot be opened, read or written; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error("cannot create {}: {source}", .dir.display())]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open {}: {source}", .path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no connection")]
    NoConnection,
    #[error("{}: {source}", .path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

/// A persisted handle.
#[derive(Debug, Clone, PartialEq)]
pub struct Handle {
    pub execution_id: String,
    pub executor: String,
    pub instance_id: String,
    pub external_id: Option<String>,
    pub state: RunState,
}

/// The handle table (opened on first use).
#[derive(Debug)]
pub struct Handles {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

impl Handles {
    pub fn new(path: &Path) -> Handles {
        Handles {
            path: path.to_path_buf(),
            conn: Mutex::new(None),
        }
    }

    fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> Result<R, HandleError> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            if let Some(parent) = self.path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| HandleError::CreateDir {
                    dir: parent.to_path_buf(),
                    source,
                })?;
            }
            *guard = Some(crate::sqlite::open(&self.path, SCHEMA).map_err(|source| {
                HandleError::Open {
                    path: self.path.clone(),
                    source,
                }
            })?);
        }
        let conn = guard.as_ref().ok_or(HandleError::NoConnection)?;
        f(conn).map_err(|source| HandleError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

    /// This service instance's id: twelve hex digits made at first use and kept.
    pub fn instance_id(&self) -> Result<String, HandleError> {
        self.with(|c| {
            if let Some(id) = c
                .query_row(
                    "SELECT value FROM meta WHERE key = 'instance_id'",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
            {
                return Ok(id);
            }
            let id: String = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
            c.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('instance_id', ?1)",
                params![id],
            )?;
            c.query_row(
                "SELECT value FROM meta WHERE key = 'instance_id'",
                [],
                |r| r.get::<_, String>(0),
            )
        })
    }

    /// Records (or replaces) the handle of `state`'s run; durable when it returns.
    pub fn record(
        &self,
        executor: &str,
        instance: &str,
        state: &RunState,
    ) -> Result<(), HandleError> {
        let json = String::from_utf8(state.to_json()).unwrap_or_default();
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO handles (execution_id, executor, instance_id, external_id, state, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    state.execution_id,
                    executor,
                    instance,
                    state.external_id,
                    json,
                    chrono::Utc::now().to_rfc3339()
                ],
            )
            .map(drop)
        })
    }

    /// Forgets a run's handle (its outcome is recorded).
    pub fn remove(&self, execution_id: &str) -> Result<(), HandleError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM handles WHERE execution_id = ?1",
                params![execution_id],
            )
            .map(drop)
        })
    }

    /// Every handle kept.
    pub fn all(&self) -> Result<Vec<Handle>, HandleError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT execution_id, executor, instance_id, external_id, state FROM handles ORDER BY recorded_at",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (execution_id, executor, instance_id, external_id, state) = row?;
                if let Some(state) = RunState::from_json(state.as_bytes()) {
                    out.push(Handle {
                        execution_id,
                        executor,
                        instance_id,
                        external_id,
                        state,
                    });
                }
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(id: &str, external: Option<&str>) -> RunState {
        RunState {
            execution_id: id.into(),
            pid: 0,
            start_time: 0,
            package: "\\File System\\p".into(),
            user: "u".into(),
            source: "service".into(),
            started_at: chrono::Utc::now(),
            events: PathBuf::from("/r/events.jsonl"),
            group: false,
            how: "api".into(),
            sets: Vec::new(),
            executor: Some("cluster".into()),
            external_id: external.map(str::to_string),
        }
    }

    #[test]
    fn handles_survive_a_reopen_and_the_instance_keeps_its_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("executors.db");
        let h = Handles::new(&path);
        let instance = h.instance_id().unwrap();
        assert_eq!(instance.len(), 12);
        h.record("cluster", &instance, &state("A", None)).unwrap();
        h.record("cluster", &instance, &state("A", Some("17")))
            .unwrap();
        h.record("cluster", &instance, &state("B", None)).unwrap();
        h.remove("B").unwrap();
        drop(h);
        let h = Handles::new(&path);
        assert_eq!(h.instance_id().unwrap(), instance);
        let all = h.all().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].external_id.as_deref(), Some("17"));
        assert_eq!(all[0].state.external_id.as_deref(), Some("17"));
        assert_eq!(all[0].instance_id, instance);
    }
}
