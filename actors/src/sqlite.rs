//! How the actors open their SQLite databases (the event log, the execution history, the
//! schedules): read-write, created when missing, a 5 s busy timeout, and a close that does not
//! checkpoint — every commit is already durable in the write-ahead log, the next open reads it,
//! and the service's exit does not wait for a checkpoint (SQLite's automatic checkpoints still
//! bound the log). Then the caller's schema. It owns only the opening; each database's schema,
//! pragmas and errors are its owner's.

use std::path::Path;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

/// Opens (creating) the database at `path` and runs `schema` on it. Blocking.
pub fn open(path: &Path, schema: &str) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    conn.execute_batch(schema)?;
    Ok(conn)
}
