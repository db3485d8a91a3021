//! The durable store behind the event log: an SQLite database (WAL, `synchronous=FULL`) under
//! the data directory, written by one thread that commits appends in groups — every append
//! waiting at the same moment shares one transaction and one fsync, so throughput grows with
//! concurrency while each acknowledged event is on disk. Retention removes the oldest events.
//! Committed events are broadcast to live followers and emitted through `tracing`.
//! This module owns SQLite; it must not know about actors or HTTP.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, params_from_iter, Connection};
use tokio::sync::{broadcast, oneshot};

use super::event::{Event, EventQuery, NewEvent};
use super::ids::Level;

/// Largest group committed in one transaction.
const MAX_GROUP: usize = 4096;
/// Live followers further behind than this are told they lagged (they then re-read the log).
const BROADCAST_CAPACITY: usize = 8192;

#[derive(Debug, Clone, thiserror::Error)]
pub enum JournalError {
    #[error("event log database {path}: {message}")]
    Database { path: PathBuf, message: String },
    #[error("the event log is closed")]
    Closed,
}

enum Command {
    Append(NewEvent, oneshot::Sender<Result<Event, JournalError>>),
    Close(oneshot::Sender<()>),
}

/// A handle to an open journal. Cloning shares the same writer thread.
#[derive(Clone)]
pub struct Journal {
    path: PathBuf,
    commands: mpsc::Sender<Command>,
    reader: Arc<Mutex<Connection>>,
    live: broadcast::Sender<Event>,
}

fn db_error(path: &Path) -> impl Fn(rusqlite::Error) -> JournalError + '_ {
    move |e| JournalError::Database {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The journal's schema: durable commits in a write-ahead log.
const SCHEMA: &str = "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         CREATE TABLE IF NOT EXISTS events (
             id       INTEGER PRIMARY KEY AUTOINCREMENT,
             time_us  INTEGER NOT NULL,
             level    INTEGER NOT NULL,
             source   TEXT    NOT NULL,
             event_id INTEGER NOT NULL,
             message  TEXT    NOT NULL,
             fields   TEXT    NOT NULL
         );
         CREATE INDEX IF NOT EXISTS events_time ON events(time_us);";

fn open_connection(path: &Path) -> Result<Connection, JournalError> {
    crate::sqlite::open(path, SCHEMA).map_err(db_error(path))
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`, keeping at most `retention` events.
    /// Blocking: call it from a blocking context.
    pub fn open(path: &Path, retention: u64) -> Result<Journal, JournalError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| JournalError::Database {
                path: path.to_path_buf(),
                message: format!("cannot create directory {}: {e}", dir.display()),
            })?;
        }
        let writer = open_connection(path)?;
        let reader = open_connection(path)?;
        let (tx, rx) = mpsc::channel();
        let (live, _) = broadcast::channel(BROADCAST_CAPACITY);
        let writer_live = live.clone();
        let writer_path = path.to_path_buf();
        thread::Builder::new()
            .name("ssisd-event-log".into())
            .spawn(move || write_loop(writer, &writer_path, retention.max(1), rx, writer_live))
            .map_err(|e| JournalError::Database {
                path: path.to_path_buf(),
                message: format!("cannot start writer thread: {e}"),
            })?;
        Ok(Journal {
            path: path.to_path_buf(),
            commands: tx,
            reader: Arc::new(Mutex::new(reader)),
            live,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends an event; resolves once it is durable, with its id.
    pub async fn append(&self, event: NewEvent) -> Result<Event, JournalError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Append(event, tx))
            .map_err(|_| JournalError::Closed)?;
        rx.await.map_err(|_| JournalError::Closed)?
    }

    /// Commits everything queued, then stops the writer. Appends after this fail with `Closed`.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Close(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Follows committed events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.live.subscribe()
    }

    /// Reads stored events. Blocking: call it from a blocking context.
    pub fn query_blocking(&self, q: &EventQuery) -> Result<Vec<Event>, JournalError> {
        let conn = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        query(&conn, &self.path, q)
    }

    /// The id of the newest stored event (0 when empty). Blocking.
    pub fn last_id_blocking(&self) -> Result<i64, JournalError> {
        let conn = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        conn.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))
            .map_err(db_error(&self.path))
    }
}

fn write_loop(
    mut conn: Connection,
    path: &Path,
    retention: u64,
    rx: mpsc::Receiver<Command>,
    live: broadcast::Sender<Event>,
) {
    let mut closing: Vec<oneshot::Sender<()>> = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut group = Vec::new();
        let mut push = |cmd: Command, group: &mut Vec<_>| match cmd {
            Command::Append(e, ack) => group.push((e, ack)),
            Command::Close(ack) => closing.push(ack),
        };
        push(first, &mut group);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(cmd) => push(cmd, &mut group),
                Err(_) => break,
            }
        }
        if !group.is_empty() {
            let events: Vec<NewEvent> = group.iter().map(|(e, _)| e.clone()).collect();
            match commit_group(&mut conn, path, &events, retention) {
                Ok(stored) => {
                    for ((_, ack), event) in group.into_iter().zip(stored) {
                        trace_event(&event);
                        let _ = live.send(event.clone());
                        let _ = ack.send(Ok(event));
                    }
                }
                Err(err) => {
                    tracing::error!(error = %err, count = group.len(), "event log write failed");
                    for (event, ack) in group {
                        tracing::error!(
                            event_id = event.event_id,
                            source = event.source,
                            "not stored: {}",
                            event.message
                        );
                        let _ = ack.send(Err(err.clone()));
                    }
                }
            }
        }
        if !closing.is_empty() {
            break;
        }
    }
    drop(rx);
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
    drop(conn);
    for ack in closing {
        let _ = ack.send(());
    }
}

fn commit_group(
    conn: &mut Connection,
    path: &Path,
    events: &[NewEvent],
    retention: u64,
) -> Result<Vec<Event>, JournalError> {
    let err = db_error(path);
    // Time and id are assigned together, under the database's write lock (taken before the
    // clock is read, so no other writer of the file can commit in between), never earlier
    // than the newest stored time: id order is time order, whoever writes and whatever the
    // wall clock does. Times are kept in microseconds, as stored.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(&err)?;
    let mut last_us: i64 = tx
        .query_row("SELECT COALESCE(MAX(time_us), 0) FROM events", [], |r| {
            r.get(0)
        })
        .map_err(&err)?;
    let mut stored = Vec::with_capacity(events.len());
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO events (time_us, level, source, event_id, message, fields)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(&err)?;
        for e in events {
            last_us = next_time_us(Utc::now().timestamp_micros(), last_us);
            let time = micros_to_time(last_us);
            let fields = serde_json::Value::Object(e.fields.clone()).to_string();
            insert
                .execute(params![
                    last_us,
                    e.level as i64,
                    e.source,
                    e.event_id,
                    e.message,
                    fields
                ])
                .map_err(&err)?;
            stored.push(Event {
                id: tx.last_insert_rowid(),
                time,
                level: e.level,
                source: e.source.to_string(),
                event_id: e.event_id,
                message: e.message.clone(),
                fields: e.fields.clone(),
            });
        }
        if let Some(last) = stored.last() {
            let keep_from = last.id - retention as i64;
            if keep_from > 0 {
                tx.prepare_cached("DELETE FROM events WHERE id <= ?1")
                    .and_then(|mut s| s.execute([keep_from]))
                    .map_err(&err)?;
            }
        }
    }
    tx.commit().map_err(&err)?;
    Ok(stored)
}

fn query(conn: &Connection, path: &Path, q: &EventQuery) -> Result<Vec<Event>, JournalError> {
    let mut sql = String::from(
        "SELECT id, time_us, level, source, event_id, message, fields FROM events WHERE 1=1",
    );
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(id) = q.after_id {
        sql.push_str(" AND id > ?");
        args.push(id.into());
    }
    if let Some(t) = q.since {
        sql.push_str(" AND time_us >= ?");
        args.push(t.timestamp_micros().into());
    }
    if let Some(t) = q.until {
        sql.push_str(" AND time_us <= ?");
        args.push(t.timestamp_micros().into());
    }
    let mut list = |column: &str, values: Vec<rusqlite::types::Value>| {
        if !values.is_empty() {
            sql.push_str(&format!(
                " AND {column} IN ({})",
                vec!["?"; values.len()].join(",")
            ));
            args.extend(values);
        }
    };
    list(
        "level",
        q.levels.iter().map(|l| (*l as i64).into()).collect(),
    );
    list(
        "source",
        q.sources.iter().map(|s| s.clone().into()).collect(),
    );
    list(
        "event_id",
        q.event_ids.iter().map(|i| (*i as i64).into()).collect(),
    );
    sql.push_str(if q.oldest_first {
        " ORDER BY id ASC"
    } else {
        " ORDER BY id DESC"
    });
    sql.push_str(" LIMIT ?");
    args.push((q.limit.max(1) as i64).into());
    let err = db_error(path);
    let mut stmt = conn.prepare_cached(&sql).map_err(&err)?;
    let rows = stmt
        .query_map(params_from_iter(args), |r| {
            let time_us: i64 = r.get(1)?;
            let fields: String = r.get(6)?;
            Ok(Event {
                id: r.get(0)?,
                time: micros_to_time(time_us),
                level: Level::from_code(r.get(2)?),
                source: r.get(3)?,
                event_id: r.get(4)?,
                message: r.get(5)?,
                fields: serde_json::from_str(&fields).unwrap_or_default(),
            })
        })
        .map_err(&err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(&err)
}

/// The time of the next event: now, or the newest stored time when the clock is behind it.
fn next_time_us(now_us: i64, last_us: i64) -> i64 {
    now_us.max(last_us)
}

fn micros_to_time(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_default()
}

/// Every stored event also goes to `tracing` (stderr or journald, as configured).
fn trace_event(e: &Event) {
    let fields = serde_json::Value::Object(e.fields.clone());
    match e.level {
        Level::Information => {
            tracing::info!(target: "ssisd::event", id = e.id, event_id = e.event_id, source = %e.source, fields = %fields, "{}", e.message)
        }
        Level::Warning => {
            tracing::warn!(target: "ssisd::event", id = e.id, event_id = e.event_id, source = %e.source, fields = %fields, "{}", e.message)
        }
        Level::Error => {
            tracing::error!(target: "ssisd::event", id = e.id, event_id = e.event_id, source = %e.source, fields = %fields, "{}", e.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_log::ids::EventId;

    #[test]
    fn the_clock_going_back_does_not_reorder_events() {
        assert_eq!(next_time_us(100, 50), 100);
        assert_eq!(next_time_us(40, 50), 50);
    }

    /// Many producers and two writers on one file (a restarted event log while the old one
    /// drains): ids in order are times in order, and what followers were sent is what the
    /// database gives back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn id_order_is_time_order_under_concurrency() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let a = Journal::open(&path, 100_000).unwrap();
        let b = Journal::open(&path, 100_000).unwrap();
        let mut live = a.subscribe();
        let mut tasks = Vec::new();
        for t in 0..16 {
            let j = if t % 2 == 0 { a.clone() } else { b.clone() };
            tasks.push(tokio::spawn(async move {
                for i in 0..40 {
                    j.append(NewEvent::new(EventId::ServiceStarting, format!("{t}/{i}")))
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let q = EventQuery {
            limit: 10_000,
            oldest_first: true,
            ..EventQuery::default()
        };
        let all = a.query_blocking(&q).unwrap();
        assert_eq!(all.len(), 640);
        for pair in all.windows(2) {
            assert!(pair[0].id < pair[1].id);
            assert!(
                pair[0].time <= pair[1].time,
                "event {} at {} before event {} at {}",
                pair[0].id,
                pair[0].time,
                pair[1].id,
                pair[1].time
            );
        }
        let first_live = live.recv().await.unwrap();
        let stored = all.iter().find(|e| e.id == first_live.id).unwrap();
        assert_eq!(first_live.time, stored.time);
    }

    #[tokio::test]
    async fn appends_are_durable_ordered_and_queryable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let j = Journal::open(&path, 1000).unwrap();
        let a = j
            .append(NewEvent::new(EventId::ServiceStarting, "a"))
            .await
            .unwrap();
        let b = j
            .append(NewEvent::new(EventId::ConfigInvalid, "b").field("file", "x.toml"))
            .await
            .unwrap();
        assert!(b.id > a.id);
        j.close().await;
        assert!(j
            .append(NewEvent::new(EventId::ServiceStarting, "late"))
            .await
            .is_err());

        let j = Journal::open(&path, 1000).unwrap();
        let all = j
            .query_blocking(&EventQuery {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            all.iter().map(|e| e.message.as_str()).collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert_eq!(all[0].fields["file"], "x.toml");
        let errors = j
            .query_blocking(&EventQuery {
                levels: vec![Level::Error],
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(errors.len(), 1);
        let after = j
            .query_blocking(&EventQuery {
                after_id: Some(a.id),
                oldest_first: true,
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(after[0].id, b.id);
        let c = j
            .append(NewEvent::new(EventId::ServiceStopped, "c"))
            .await
            .unwrap();
        assert!(c.id > b.id, "ids keep growing after reopen");
    }

    #[tokio::test]
    async fn retention_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("e.db"), 5).unwrap();
        for i in 0..12 {
            j.append(NewEvent::new(EventId::FolderCreated, format!("{i}")))
                .await
                .unwrap();
        }
        let all = j
            .query_blocking(&EventQuery {
                limit: 100,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[0].message, "11");
        assert_eq!(all[4].message, "7");
    }

    #[tokio::test]
    async fn concurrent_appends_share_commits() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("e.db"), 100_000).unwrap();
        let mut live = j.subscribe();
        let futures: Vec<_> = (0..500)
            .map(|i| j.append(NewEvent::new(EventId::FolderCreated, format!("{i}"))))
            .collect();
        let stored = futures_util::future::join_all(futures).await;
        assert!(stored.iter().all(Result::is_ok));
        assert_eq!(j.last_id_blocking().unwrap(), 500);
        assert_eq!(live.recv().await.unwrap().id, 1);
    }
}
