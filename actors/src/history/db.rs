//! The durable store of execution history: an SQLite database (WAL, `synchronous=FULL`, so a
//! committed row survives a kill) beside the event log. It records executions, turns a run's
//! stream records into messages, executable statistics and data-flow rows at the run's logging
//! level — each batch in one transaction together with the stream offset it reached, so a
//! record is stored exactly once however often reading stops and starts — completes
//! executions, answers queries and applies retention (by age and by count, oldest first, never
//! a running execution). Blocking: the actor calls it off its thread. It must not know about
//! actors or HTTP.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::writer::{Commit, Counts, Writer};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use ssisd_engine::model::ExecResult;
use ssisd_engine::run_protocol::stream::{result_text, Body, Record};

use super::model::{
    DataStatistic, Execution, ExecutionQuery, LoggingLevel, Message, MessageType, Statistic, Status,
};

#[derive(Debug, Clone, thiserror::Error)]
#[error("execution history database {path}: {message}")]
pub struct HistoryError {
    pub path: PathBuf,
    pub message: String,
}

/// An execution as recorded when its run begins.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExecution {
    pub execution_id: String,
    pub package: String,
    pub started_by: String,
    pub caller: String,
    pub pid: Option<i64>,
    /// The runner's process start time (liveness), 0 when unknown.
    pub process_start: u64,
    pub start_time: DateTime<Utc>,
    pub logging_level: LoggingLevel,
    /// Already masked.
    pub sets: Vec<String>,
    /// The run's event stream.
    pub events: PathBuf,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    pub status: Status,
    pub end_time: DateTime<Utc>,
    pub exit_code: Option<i64>,
    pub exit: Option<String>,
}

/// A running execution being read: where its stream is and how far it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    pub row: i64,
    pub execution_id: String,
    pub events: PathBuf,
    pub offset: u64,
    pub level: LoggingLevel,
    pub pid: Option<i64>,
    pub process_start: u64,
    /// The stream's `run_end` result, once read.
    pub run_result: Option<String>,
}

/// A handle to the open database; cloning shares it.
#[derive(Clone)]
pub struct HistoryDb {
    path: PathBuf,
    writer: Writer,
    reader: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = OFF;
CREATE TABLE IF NOT EXISTS executions (
    row           INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id  TEXT    NOT NULL UNIQUE,
    package       TEXT    NOT NULL,
    package_name  TEXT,
    package_id    TEXT,
    status        INTEGER NOT NULL,
    start_us      INTEGER NOT NULL,
    end_us        INTEGER,
    started_by    TEXT    NOT NULL,
    caller        TEXT    NOT NULL,
    pid           INTEGER,
    process_start INTEGER NOT NULL DEFAULT 0,
    exit_code     INTEGER,
    exit          TEXT,
    logging_level TEXT    NOT NULL,
    sets          TEXT    NOT NULL,
    errors        INTEGER NOT NULL DEFAULT 0,
    warnings      INTEGER NOT NULL DEFAULT 0,
    events        TEXT    NOT NULL,
    events_offset INTEGER NOT NULL DEFAULT 0,
    run_result    TEXT
);
CREATE INDEX IF NOT EXISTS executions_start ON executions(start_us);
CREATE INDEX IF NOT EXISTS executions_open ON executions(end_us) WHERE end_us IS NULL;
CREATE TABLE IF NOT EXISTS messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    execution    INTEGER NOT NULL,
    time_us      INTEGER NOT NULL,
    message_type INTEGER NOT NULL,
    source       TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    code         TEXT,
    message      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_execution ON messages(execution, id);
CREATE TABLE IF NOT EXISTS statistics (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    execution   INTEGER NOT NULL,
    path        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    start_us    INTEGER NOT NULL,
    end_us      INTEGER,
    duration_ms REAL,
    result      INTEGER
);
CREATE INDEX IF NOT EXISTS statistics_execution ON statistics(execution, path);
CREATE TABLE IF NOT EXISTS data_statistics (
    execution   INTEGER NOT NULL,
    task_path   TEXT    NOT NULL,
    task_name   TEXT    NOT NULL,
    path_id     INTEGER NOT NULL,
    path_name   TEXT    NOT NULL,
    component   TEXT    NOT NULL,
    input       TEXT    NOT NULL,
    rows_sent   INTEGER NOT NULL,
    time_us     INTEGER NOT NULL,
    PRIMARY KEY (execution, task_path, path_id)
);
";

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn time_of(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_default()
}

fn result_code(r: ExecResult) -> i64 {
    match r {
        ExecResult::Success => 0,
        ExecResult::Failure => 1,
        ExecResult::Completion => 2,
        ExecResult::Canceled => 3,
    }
}

fn result_name(code: i64) -> Option<&'static str> {
    ExecResult::from_code(code).map(result_text)
}

impl HistoryDb {
    /// Opens (creating if needed) the database at `path`. Blocking.
    pub fn open(path: &Path) -> Result<HistoryDb, HistoryError> {
        HistoryDb::open_counted(path, Counts::default())
    }

    /// Opens the database, its writer counting what it commits in `counts`. Blocking.
    pub fn open_counted(path: &Path, counts: Counts) -> Result<HistoryDb, HistoryError> {
        let fail = |message: String| HistoryError {
            path: path.to_path_buf(),
            message,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
        }
        let open = || crate::sqlite::open(path, SCHEMA).map_err(|e| fail(e.to_string()));
        let writer = open()?;
        let reader = open()?;
        Ok(HistoryDb {
            path: path.to_path_buf(),
            writer: Writer::start(writer, path, counts)?,
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, e: impl std::fmt::Display) -> HistoryError {
        HistoryError {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Queues a write; it shares the next transaction with the writes waiting beside it.
    fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> Commit<R> {
        self.writer.submit(f)
    }

    fn read<R>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> Result<R, HistoryError> {
        let conn = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        f(&conn).map_err(|e| self.error(e))
    }

    /// Records a run that began (status running); a run already recorded (adopted after a
    /// restart) keeps its row. Answers, once durable, what to read of it.
    pub fn begin(&self, e: NewExecution) -> Commit<Live> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO executions (execution_id, package, status, start_us, started_by,
                     caller, pid, process_start, logging_level, sets, events)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT(execution_id) DO UPDATE SET pid = excluded.pid,
                     process_start = excluded.process_start",
                params![
                    e.execution_id,
                    e.package,
                    Status::Running.code(),
                    micros(e.start_time),
                    e.started_by,
                    e.caller,
                    e.pid,
                    e.process_start as i64,
                    e.logging_level.name(),
                    serde_json::to_string(&e.sets).unwrap_or_default(),
                    e.events.display().to_string(),
                ],
            )?;
            live_of(tx, &e.execution_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
        })
    }

    /// The executions not yet ended (to read on, or to complete after a restart).
    pub fn open_executions(&self) -> Result<Vec<Live>, HistoryError> {
        self.read(|c| {
            let mut stmt =
                c.prepare("SELECT execution_id FROM executions WHERE end_us IS NULL ORDER BY row")?;
            let ids: Vec<String> = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut all = Vec::new();
            for id in ids {
                all.extend(live_of(c, &id)?);
            }
            Ok(all)
        })
    }

    /// Stores the records read from `live`'s stream from `live.offset` up to `offset`
    /// (complete lines only), atomically with the new offset. Answers the updated state once
    /// durable. When the stored offset is no longer `live.offset` (another reader stored
    /// those lines first), nothing is stored and the answer is the stored state, to read on
    /// from: a record is stored once.
    pub fn ingest(&self, live: &Live, records: Vec<Record>, offset: u64) -> Commit<Live> {
        let live = live.clone();
        self.write(move |tx| {
            let stored: Option<i64> = tx
                .prepare_cached("SELECT events_offset FROM executions WHERE row = ?1")?
                .query_row([live.row], |r| r.get(0))
                .optional()?;
            if stored != Some(live.offset as i64) {
                return Ok(live_of(tx, &live.execution_id)?.unwrap_or_else(|| live.clone()));
            }
            let mut next = live.clone();
            for r in &records {
                apply(tx, live.row, live.level, r, &mut next.run_result)?;
            }
            tx.prepare_cached(
                "UPDATE executions SET events_offset = ?1, run_result = ?2 WHERE row = ?3",
            )?
            .execute(params![offset as i64, next.run_result, live.row])?;
            next.offset = offset;
            Ok(next)
        })
    }

    /// Completes an execution (once: an ended execution keeps its first ending).
    pub fn end(&self, execution_id: &str, ending: &Ending) -> Commit<bool> {
        let execution_id = execution_id.to_string();
        let ending = ending.clone();
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE executions SET status = ?1, end_us = MAX(?2, start_us), exit_code = ?3,
                     exit = ?4
                 WHERE execution_id = ?5 AND end_us IS NULL",
                params![
                    ending.status.code(),
                    micros(ending.end_time),
                    ending.exit_code,
                    ending.exit,
                    execution_id
                ],
            )?;
            Ok(n > 0)
        })
    }

    /// Executions matching `q`, newest first.
    pub fn executions(&self, q: &ExecutionQuery) -> Result<Vec<Execution>, HistoryError> {
        self.read(|c| {
            let mut sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE 1 = 1");
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            if let Some(p) = &q.package {
                sql.push_str(
                    " AND (package = ? COLLATE NOCASE OR package LIKE ? ESCAPE '!' COLLATE NOCASE)",
                );
                args.push(p.clone().into());
                let escaped = p.replace('!', "!!").replace('%', "!%").replace('_', "!_");
                args.push(format!("%\\{escaped}").into());
            }
            if let Some(s) = q.status {
                sql.push_str(" AND status = ?");
                args.push(s.code().into());
            }
            if let Some(t) = q.since {
                sql.push_str(" AND start_us >= ?");
                args.push(micros(t).into());
            }
            sql.push_str(" ORDER BY start_us DESC, row DESC LIMIT ?");
            args.push((q.limit.max(1) as i64).into());
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args), execution_of)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    pub fn execution(&self, id: &str) -> Result<Option<Execution>, HistoryError> {
        self.read(|c| {
            c.query_row(
                &format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE execution_id = ?1"),
                [id],
                execution_of,
            )
            .optional()
        })
    }

    /// One execution's messages in order (at most `limit`, after message id `after`).
    pub fn messages(
        &self,
        id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Message>, HistoryError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT m.id, m.time_us, m.message_type, m.source, m.path, m.code, m.message
                 FROM messages m JOIN executions e ON e.row = m.execution
                 WHERE e.execution_id = ?1 AND m.id > ?2 ORDER BY m.id LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![id, after, limit as i64], |r| {
                    let kind: i64 = r.get(2)?;
                    Ok(Message {
                        id: r.get(0)?,
                        time: time_of(r.get(1)?),
                        message_type: kind,
                        message_type_name: MessageType::name_of(kind),
                        source: r.get(3)?,
                        path: r.get(4)?,
                        code: r.get(5)?,
                        message: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// One execution's executable statistics, in start order, and its data-flow rows.
    pub fn statistics(
        &self,
        id: &str,
    ) -> Result<(Vec<Statistic>, Vec<DataStatistic>), HistoryError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT s.path, s.name, s.kind, s.start_us, s.end_us, s.duration_ms, s.result
                 FROM statistics s JOIN executions e ON e.row = s.execution
                 WHERE e.execution_id = ?1 ORDER BY s.id",
            )?;
            let stats = stmt
                .query_map([id], |r| {
                    let result: Option<i64> = r.get(6)?;
                    Ok(Statistic {
                        path: r.get(0)?,
                        name: r.get(1)?,
                        kind: r.get(2)?,
                        start_time: time_of(r.get(3)?),
                        end_time: r.get::<_, Option<i64>>(4)?.map(time_of),
                        duration_ms: r.get(5)?,
                        result: result.and_then(result_name).map(str::to_string),
                        result_code: result,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt = c.prepare_cached(
                "SELECT d.task_path, d.task_name, d.path_id, d.path_name, d.component, d.input,
                        d.rows_sent, d.time_us
                 FROM data_statistics d JOIN executions e ON e.row = d.execution
                 WHERE e.execution_id = ?1 ORDER BY d.task_path, d.path_id",
            )?;
            let data = stmt
                .query_map([id], |r| {
                    Ok(DataStatistic {
                        task_path: r.get(0)?,
                        task_name: r.get(1)?,
                        path_id: r.get(2)?,
                        path_name: r.get(3)?,
                        destination_component: r.get(4)?,
                        input: r.get(5)?,
                        rows_sent: r.get(6)?,
                        time: time_of(r.get(7)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((stats, data))
        })
    }

    /// Removes ended executions (and all they hold) started before `older_than`, and beyond
    /// the newest `keep`, oldest first. Returns how many were removed.
    pub fn retain(&self, older_than: Option<DateTime<Utc>>, keep: u64) -> Commit<usize> {
        self.write(move |tx| {
            let cutoff_row: Option<i64> = tx
                .query_row(
                    "SELECT row FROM executions ORDER BY row DESC LIMIT 1 OFFSET ?1",
                    [keep.saturating_sub(1).min(i64::MAX as u64) as i64],
                    |r| r.get(0),
                )
                .optional()?;
            let by_count = cutoff_row.map(|r| r - 1).unwrap_or(0).max(0);
            let before = older_than.map(micros).unwrap_or(i64::MIN);
            let condition = "end_us IS NOT NULL AND (row <= ?1 OR start_us < ?2)";
            for table in ["messages", "statistics", "data_statistics"] {
                tx.execute(
                    &format!(
                        "DELETE FROM {table} WHERE execution IN
                         (SELECT row FROM executions WHERE {condition})"
                    ),
                    params![by_count, before],
                )?;
            }
            tx.execute(
                &format!("DELETE FROM executions WHERE {condition}"),
                params![by_count, before],
            )
        })
    }

    /// Makes the write-ahead log part of the database file (on close), once what is queued
    /// is committed.
    pub async fn checkpoint(&self) {
        self.writer.checkpoint().await
    }
}

const EXECUTION_COLUMNS: &str = "execution_id, package, package_name, package_id, status,
    start_us, end_us, started_by, caller, pid, exit_code, exit, logging_level, sets, errors,
    warnings";

fn execution_of(r: &rusqlite::Row) -> rusqlite::Result<Execution> {
    let status = Status::from_code(r.get(4)?).unwrap_or(Status::Created);
    let start: i64 = r.get(5)?;
    let end: Option<i64> = r.get(6)?;
    let level: String = r.get(12)?;
    let sets: String = r.get(13)?;
    Ok(Execution {
        id: r.get(0)?,
        package: r.get(1)?,
        package_name: r.get(2)?,
        package_id: r.get(3)?,
        status,
        status_code: status.code(),
        start_time: time_of(start),
        end_time: end.map(time_of),
        duration_ms: end.map(|e| (e - start) / 1000),
        started_by: r.get(7)?,
        caller: r.get(8)?,
        pid: r.get(9)?,
        exit_code: r.get(10)?,
        exit: r.get(11)?,
        logging_level: LoggingLevel::parse(&level).unwrap_or_default(),
        sets: serde_json::from_str(&sets).unwrap_or_default(),
        errors: r.get(14)?,
        warnings: r.get(15)?,
    })
}

fn live_of(c: &Connection, id: &str) -> rusqlite::Result<Option<Live>> {
    c.query_row(
        "SELECT row, events, events_offset, logging_level, pid, process_start, run_result
         FROM executions WHERE execution_id = ?1",
        [id],
        |r| {
            let level: String = r.get(3)?;
            Ok(Live {
                row: r.get(0)?,
                execution_id: id.to_string(),
                events: PathBuf::from(r.get::<_, String>(1)?),
                offset: r.get::<_, i64>(2)?.max(0) as u64,
                level: LoggingLevel::parse(&level).unwrap_or_default(),
                pid: r.get(4)?,
                process_start: r.get::<_, i64>(5)?.max(0) as u64,
                run_result: r.get(6)?,
            })
        },
    )
    .optional()
}

/// Where a record's rows go: the execution's row, its logging level, the record's time.
#[derive(Clone, Copy)]
struct At {
    row: i64,
    level: LoggingLevel,
    time: i64,
}

fn message(
    tx: &Connection,
    at: At,
    kind: MessageType,
    (source, path): (&str, &str),
    code: Option<String>,
    text: &str,
) -> rusqlite::Result<()> {
    let At { row, level, time } = at;
    if !level.keeps(kind) {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO messages (execution, time_us, message_type, source, path, code, message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![row, time, kind.code(), source, path, code, text])?;
    Ok(())
}

/// Stores what one record says at `level`.
fn apply(
    tx: &Connection,
    row: i64,
    level: LoggingLevel,
    r: &Record,
    run_result: &mut Option<String>,
) -> rusqlite::Result<()> {
    let time = micros(r.time.with_timezone(&Utc));
    let at = At { row, level, time };
    match &r.body {
        Body::RunStart {
            package,
            package_id,
            ..
        } => {
            tx.execute(
                "UPDATE executions SET package_name = ?1, package_id = ?2 WHERE row = ?3",
                params![package, package_id, row],
            )?;
        }
        Body::RunEnd {
            result,
            errors,
            warnings,
            ..
        } => {
            *run_result = Some(result_text(*result).to_string());
            tx.execute(
                "UPDATE executions SET errors = ?1, warnings = ?2 WHERE row = ?3",
                params![*errors as i64, *warnings as i64, row],
            )?;
        }
        Body::ExecutableStart {
            path, name, kind, ..
        } => {
            if level.keeps_statistics() {
                tx.prepare_cached(
                    "INSERT INTO statistics (execution, path, name, kind, start_us)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![row, path, name, kind, time])?;
            }
            message(
                tx,
                at,
                MessageType::PreExecute,
                (name, path),
                None,
                &format!("{name}: pre-execute ({kind})"),
            )?;
        }
        Body::ExecutableEnd {
            path,
            name,
            result,
            duration_ms,
            ..
        } => {
            let mut kind = String::new();
            if level.keeps_statistics() {
                let open: Option<(i64, String)> = tx
                    .prepare_cached(
                        "SELECT id, kind FROM statistics WHERE execution = ?1 AND path = ?2
                         AND end_us IS NULL ORDER BY id DESC LIMIT 1",
                    )?
                    .query_row(params![row, path], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((id, k)) = open {
                    kind = k;
                    tx.prepare_cached(
                        "UPDATE statistics SET end_us = ?1, duration_ms = ?2, result = ?3
                         WHERE id = ?4",
                    )?
                    .execute(params![
                        time,
                        duration_ms,
                        result_code(*result),
                        id
                    ])?;
                }
            }
            message(
                tx,
                at,
                MessageType::PostExecute,
                (name, path),
                None,
                &format!(
                    "{name}: post-execute, {} in {duration_ms:.3} ms",
                    result_text(*result)
                ),
            )?;
            if *result == ExecResult::Failure && kind == "Task" {
                message(
                    tx,
                    at,
                    MessageType::TaskFailed,
                    (name, path),
                    None,
                    &format!("{name}: the task failed"),
                )?;
            }
        }
        Body::Error(m) | Body::Warning(m) | Body::Information(m) => {
            let kind = match &r.body {
                Body::Error(_) => MessageType::Error,
                Body::Warning(_) => MessageType::Warning,
                _ => MessageType::Information,
            };
            message(
                tx,
                at,
                kind,
                (&m.source, &m.path),
                Some(format!("0x{:08X}", m.code)),
                &m.description,
            )?;
        }
        Body::Progress {
            source,
            path,
            description,
            percent,
        } => message(
            tx,
            at,
            MessageType::Progress,
            (source, path),
            None,
            &format!("{description} ({percent}%)"),
        )?,
        Body::VariableChanged {
            variable,
            value,
            path,
        } => message(
            tx,
            at,
            MessageType::VariableValueChanged,
            ("", path),
            None,
            &format!("{variable} = {value}"),
        )?,
        Body::PipelineRows {
            source,
            path,
            path_id,
            path_name,
            component,
            input,
            rows,
            ..
        } => {
            if level.keeps_data_statistics() {
                tx.prepare_cached(
                    "INSERT INTO data_statistics (execution, task_path, task_name, path_id,
                         path_name, component, input, rows_sent, time_us)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT(execution, task_path, path_id) DO UPDATE SET
                         rows_sent = MAX(rows_sent, excluded.rows_sent), time_us = excluded.time_us",
                )?
                .execute(params![
                    row,
                    path,
                    source,
                    path_id,
                    path_name,
                    component,
                    input,
                    *rows as i64,
                    time
                ])?;
            }
        }
        Body::PipelineComponentTime { .. } => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, body: &str) -> Record {
        let line =
            format!("{{\"schema\":1,\"seq\":{seq},\"time\":\"2026-01-01T00:00:0{seq}Z\",{body}}}");
        Record::parse(line.as_bytes()).unwrap_or_else(|| panic!("{line}"))
    }

    fn new(id: &str, level: LoggingLevel) -> NewExecution {
        NewExecution {
            execution_id: id.into(),
            package: "\\File System\\Sales\\Load".into(),
            started_by: "api".into(),
            caller: "alice".into(),
            pid: Some(42),
            process_start: 7,
            start_time: Utc.timestamp_micros(1_000_000).unwrap(),
            logging_level: level,
            sets: vec!["\\Package.Variables[User::P].Properties[Value];********".into()],
            events: PathBuf::from("/runs/E/events.jsonl"),
        }
    }

    #[test]
    fn records_become_messages_statistics_and_rows_at_their_level() {
        let dir = tempfile::tempdir().unwrap();
        let db = HistoryDb::open(&dir.path().join("history.db")).unwrap();
        let records = [
            record(
                1,
                r#""event":"run_start","package":"Load","package_id":"{1}","execution_id":"E","file":null,"max_concurrent":4"#,
            ),
            record(
                2,
                r#""event":"executable_start","path":"\\Package\\T","name":"T","id":"{2}","kind":"Task""#,
            ),
            record(
                3,
                r#""event":"error","code":"0xC0029151","source":"T","path":"\\Package\\T","description":"bad""#,
            ),
            record(
                4,
                r#""event":"executable_end","path":"\\Package\\T","name":"T","id":"{2}","result":"failure","duration_ms":1.5"#,
            ),
            record(
                5,
                r#""event":"pipeline_rows","source":"T","path":"\\Package\\T","path_id":9,"path_name":"Out","component":"Dest","input":"In","rows":10,"buffers":1,"final":true"#,
            ),
            record(
                6,
                r#""event":"run_end","result":"failure","duration_ms":5,"errors":1,"warnings":0"#,
            ),
        ];
        for (id, level, messages, stats, rows) in [
            ("B", LoggingLevel::Basic, 4, 1, 1),
            ("P", LoggingLevel::Performance, 2, 1, 1),
            ("V", LoggingLevel::Verbose, 4, 1, 1),
            ("N", LoggingLevel::None, 0, 0, 0),
        ] {
            let live = db.begin(new(id, level)).wait().unwrap();
            let live = db.ingest(&live, records[..3].to_vec(), 100).wait().unwrap();
            let live = db.ingest(&live, records[3..].to_vec(), 200).wait().unwrap();
            assert_eq!(live.run_result.as_deref(), Some("failure"));
            assert_eq!(db.messages(id, 0, 100).unwrap().len(), messages, "{id}");
            let (s, d) = db.statistics(id).unwrap();
            assert_eq!((s.len(), d.len()), (stats, rows), "{id}");
            let again = db.begin(new(id, level)).wait().unwrap();
            assert_eq!(
                again.offset, 200,
                "an adopted run reads on where it stopped"
            );
        }
        let m = db.messages("B", 0, 100).unwrap();
        let kinds: Vec<i64> = m.iter().map(|m| m.message_type).collect();
        assert_eq!(kinds, [30, 120, 40, 130]);
        let (s, _) = db.statistics("B").unwrap();
        assert_eq!(s[0].result.as_deref(), Some("failure"));
        assert_eq!(s[0].duration_ms, Some(1.5));

        let ending = Ending {
            status: Status::Failed,
            end_time: Utc.timestamp_micros(3_000_000).unwrap(),
            exit_code: Some(1),
            exit: Some("exit code 1".into()),
        };
        assert!(db.end("B", &ending).wait().unwrap());
        assert!(
            !db.end("B", &ending).wait().unwrap(),
            "an ending is recorded once"
        );
        let e = db.execution("B").unwrap().unwrap();
        assert_eq!(
            (e.status, e.duration_ms, e.errors),
            (Status::Failed, Some(2000), 1)
        );
        assert_eq!(e.package_name.as_deref(), Some("Load"));
        assert_eq!(db.open_executions().unwrap().len(), 3);

        let q = |package: Option<&str>, status| ExecutionQuery {
            package: package.map(str::to_string),
            status,
            since: None,
            limit: 50,
        };
        assert_eq!(
            db.executions(&q(None, None)).unwrap()[0].id,
            "N",
            "newest first"
        );
        assert_eq!(
            db.executions(&q(Some("load"), Some(Status::Failed)))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            db.executions(&q(Some("Sales\\Load"), None)).unwrap().len(),
            4
        );
        assert_eq!(
            db.executions(&q(Some("ales\\Load"), None)).unwrap().len(),
            0
        );

        for id in ["P", "V", "N"] {
            db.end(id, &ending).wait().unwrap();
        }
        assert_eq!(db.retain(None, 2).wait().unwrap(), 2, "the oldest two go");
        let left: Vec<String> = db
            .executions(&q(None, None))
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(left, ["N", "V"]);
        assert!(db.messages("B", 0, 100).unwrap().is_empty());
        assert_eq!(
            db.retain(Some(Utc::now()), 1000).wait().unwrap(),
            2,
            "by age"
        );
    }
}
