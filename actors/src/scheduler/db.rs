//! The scheduler's durable store: an SQLite database beside the event log and the history
//! (WAL, `synchronous=FULL`; closing does not checkpoint) holding the schedules made through the
//! API (their definitions, owner and times) and, for every schedule, the last due time it acted
//! on and its last run — what `catch_up` and `last_run` need after a restart. Blocking: the
//! actor calls it off its thread. It must not know about actors or HTTP.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::definition::ScheduleDef;

#[derive(Debug, Clone, thiserror::Error)]
#[error("schedule database {path}: {message}")]
pub struct ScheduleDbError {
    pub path: PathBuf,
    pub message: String,
}

/// A schedule made through the API.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSchedule {
    pub def: ScheduleDef,
    pub owner: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

/// What a schedule last did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleState {
    /// The last due time acted on (fired, skipped or missed on purpose).
    pub last_due: Option<DateTime<Utc>>,
    /// When its last run started, and its execution id.
    pub last_run: Option<DateTime<Utc>>,
    pub last_execution: Option<String>,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS api_schedules (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    owner TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schedule_state (
    name TEXT PRIMARY KEY,
    last_due TEXT,
    last_run TEXT,
    last_execution TEXT
);
";

/// A handle to the open database; cloning shares it.
#[derive(Clone)]
pub struct ScheduleDb {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

fn time(text: Option<String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl ScheduleDb {
    pub fn open(path: &Path) -> Result<ScheduleDb, ScheduleDbError> {
        let fail = |message: String| ScheduleDbError {
            path: path.to_path_buf(),
            message,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
        }
        let c = crate::sqlite::open(path, SCHEMA).map_err(|e| fail(e.to_string()))?;
        Ok(ScheduleDb {
            path: path.to_path_buf(),
            conn: Arc::new(Mutex::new(c)),
        })
    }

    fn fail(&self, e: impl std::fmt::Display) -> ScheduleDbError {
        ScheduleDbError {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every schedule made through the API. A definition that no longer reads is reported
    /// by name and left in place.
    pub fn api_schedules(&self) -> Result<(Vec<StoredSchedule>, Vec<String>), ScheduleDbError> {
        let c = self.conn();
        let mut stmt = c
            .prepare("SELECT name, definition, owner, created, modified FROM api_schedules ORDER BY name")
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.fail(e))?;
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for row in rows {
            let (name, definition, owner, created, modified) = row.map_err(|e| self.fail(e))?;
            match serde_json::from_str::<ScheduleDef>(&definition) {
                Ok(def) => good.push(StoredSchedule {
                    def,
                    owner,
                    created: time(Some(created)).unwrap_or_else(Utc::now),
                    modified: time(Some(modified)).unwrap_or_else(Utc::now),
                }),
                Err(e) => bad.push(format!("{name}: {e}")),
            }
        }
        Ok((good, bad))
    }

    /// Creates or replaces an API schedule.
    pub fn put(&self, s: &StoredSchedule) -> Result<(), ScheduleDbError> {
        let definition = serde_json::to_string(&s.def).map_err(|e| self.fail(e))?;
        self.conn()
            .execute(
                "INSERT INTO api_schedules (name, definition, owner, created, modified)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(name) DO UPDATE SET definition = ?2, modified = ?5",
                params![
                    s.def.name,
                    definition,
                    s.owner,
                    s.created.to_rfc3339(),
                    s.modified.to_rfc3339()
                ],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Removes an API schedule and its state.
    pub fn remove(&self, name: &str) -> Result<(), ScheduleDbError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.fail(e))?;
        tx.execute("DELETE FROM api_schedules WHERE name = ?1", [name])
            .map_err(|e| self.fail(e))?;
        tx.execute("DELETE FROM schedule_state WHERE name = ?1", [name])
            .map_err(|e| self.fail(e))?;
        tx.commit().map_err(|e| self.fail(e))
    }

    /// Every schedule's state, by name.
    pub fn states(
        &self,
    ) -> Result<std::collections::HashMap<String, ScheduleState>, ScheduleDbError> {
        let c = self.conn();
        let mut stmt = c
            .prepare("SELECT name, last_due, last_run, last_execution FROM schedule_state")
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    ScheduleState {
                        last_due: time(r.get(1)?),
                        last_run: time(r.get(2)?),
                        last_execution: r.get(3)?,
                    },
                ))
            })
            .map_err(|e| self.fail(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.fail(e))
    }

    /// Records states in one transaction.
    pub fn save_states(&self, states: &[(String, ScheduleState)]) -> Result<(), ScheduleDbError> {
        if states.is_empty() {
            return Ok(());
        }
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.fail(e))?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO schedule_state (name, last_due, last_run, last_execution)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(name) DO UPDATE SET last_due = ?2, last_run = ?3, last_execution = ?4",
                )
                .map_err(|e| self.fail(e))?;
            for (name, s) in states {
                stmt.execute(params![
                    name,
                    s.last_due.map(|t| t.to_rfc3339()),
                    s.last_run.map(|t| t.to_rfc3339()),
                    s.last_execution
                ])
                .map_err(|e| self.fail(e))?;
            }
        }
        tx.commit().map_err(|e| self.fail(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_and_states_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("schedules.db");
        let db = ScheduleDb::open(&path).unwrap();
        let def: ScheduleDef = serde_json::from_value(serde_json::json!({
            "name": "n", "package": "File System/A", "cron": "* * * * *"
        }))
        .unwrap();
        let now = Utc::now();
        db.put(&StoredSchedule {
            def: def.clone(),
            owner: "alice".into(),
            created: now,
            modified: now,
        })
        .unwrap();
        let state = ScheduleState {
            last_due: Some(now),
            last_run: Some(now),
            last_execution: Some("E1".into()),
        };
        db.save_states(&[("n".into(), state.clone())]).unwrap();
        drop(db);
        let db = ScheduleDb::open(&path).unwrap();
        let (list, bad) = db.api_schedules().unwrap();
        assert!(bad.is_empty());
        assert_eq!(list[0].def, def);
        assert_eq!(list[0].owner, "alice");
        let got = &db.states().unwrap()["n"];
        assert_eq!(got.last_execution.as_deref(), Some("E1"));
        db.remove("n").unwrap();
        assert!(db.api_schedules().unwrap().0.is_empty());
        assert!(db.states().unwrap().is_empty());
    }
}
