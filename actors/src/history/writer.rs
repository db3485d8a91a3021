//! Group commit for the execution history: one thread owns the database's write connection
//! and runs every write it is handed. Writes that arrive while a transaction is being
//! committed wait together and then share the next transaction (and its one fsync), each in a
//! savepoint of its own so that one write's failure undoes only that write; each is
//! acknowledged only once the transaction holding it is committed — durable, since the
//! database runs with `synchronous = FULL`. A [`Commit`] is both a future (for actors) and a
//! blocking wait (for blocking threads). This file must not know what the writes are.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::thread;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::db::HistoryError;
use crate::metrics::MetricSet;

/// Most writes in one transaction; more wait for the next.
const MAX_GROUP: usize = 2048;

/// One queued write.
trait Job: Send {
    /// Runs the write inside the group's transaction; whether its changes stay.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the submitter once the transaction's fate is known (`Err`: why it did not
    /// commit).
    fn settle(self: Box<Self>, committed: Result<(), String>);
}

struct Write<T, F> {
    f: Option<F>,
    done: Option<rusqlite::Result<T>>,
    ack: oneshot::Sender<Result<T, HistoryError>>,
    path: PathBuf,
}

impl<T, F> Job for Write<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(f) = self.f.take() else { return false };
        let done = f(conn);
        let ok = done.is_ok();
        self.done = Some(done);
        ok
    }

    fn settle(self: Box<Self>, committed: Result<(), String>) {
        let path = self.path;
        let answer = match (self.done, committed) {
            (Some(Err(e)), _) => Err(e.to_string()),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(e)) => Err(format!("the transaction was not committed: {e}")),
            (None, Ok(())) => Err("the write did not run".to_string()),
        };
        let _ = self
            .ack
            .send(answer.map_err(|message| HistoryError { path, message }));
    }
}

enum Command {
    Write(Box<dyn Job>),
    /// Folds the write-ahead log into the database file (outside any transaction).
    Checkpoint(oneshot::Sender<()>),
}

/// The sending side of the writer thread; the thread ends when every clone is dropped.
#[derive(Clone)]
pub struct Writer {
    path: PathBuf,
    commands: mpsc::Sender<Command>,
    counts: Counts,
}

/// What the writer has committed (`ssisd_history_writes_total`,
/// `ssisd_history_transactions_total`: their ratio is how many writes a transaction groups).
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// Writes committed.
    pub writes: Counter,
    /// Transactions committed (each one fsync).
    pub transactions: Counter,
}

impl MetricSet for Counts {
    fn register(registry: &mut Registry) -> Self {
        let c = Counts::default();
        registry.register(
            "history_writes",
            "Writes committed to the execution history",
            c.writes.clone(),
        );
        registry.register(
            "history_transactions",
            "Transactions (each one fsync) the execution history committed; writes waiting together share one",
            c.transactions.clone(),
        );
        c
    }
}

impl Writer {
    /// Starts the writer thread over `conn`.
    pub fn start(conn: Connection, path: &Path, counts: Counts) -> Result<Writer, HistoryError> {
        let (tx, rx) = mpsc::channel();
        let thread_counts = counts.clone();
        thread::Builder::new()
            .name("ssisd-history".into())
            .spawn(move || write_loop(conn, rx, &thread_counts))
            .map_err(|e| HistoryError {
                path: path.to_path_buf(),
                message: format!("cannot start the writer thread: {e}"),
            })?;
        Ok(Writer {
            path: path.to_path_buf(),
            commands: tx,
            counts,
        })
    }

    /// Writes and transactions committed so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.counts.writes.get(), self.counts.transactions.get())
    }

    /// Queues `f`; the answer comes once the transaction that ran it is durable.
    pub fn submit<T, F>(&self, f: F) -> Commit<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (ack, rx) = oneshot::channel();
        let job = Write {
            f: Some(f),
            done: None,
            ack,
            path: self.path.clone(),
        };
        // A send fails only when the thread is gone; the dropped sender then answers `wait`.
        let _ = self.commands.send(Command::Write(Box::new(job)));
        Commit {
            path: self.path.clone(),
            rx,
        }
    }

    /// Folds the write-ahead log into the database file once what is queued is committed.
    pub async fn checkpoint(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Checkpoint(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// A write's acknowledgement: resolves (or [`Commit::wait`] returns) once the write is durable,
/// or with why it is not.
pub struct Commit<T> {
    path: PathBuf,
    rx: oneshot::Receiver<Result<T, HistoryError>>,
}

impl<T> Commit<T> {
    fn closed(&self) -> HistoryError {
        HistoryError {
            path: self.path.clone(),
            message: "the history's writer stopped before the write was committed".into(),
        }
    }

    /// Waits for the acknowledgement. Blocking: only off async threads.
    pub fn wait(self) -> Result<T, HistoryError> {
        let closed = self.closed();
        self.rx.blocking_recv().unwrap_or(Err(closed))
    }
}

impl<T> Future for Commit<T> {
    type Output = Result<T, HistoryError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Ready(Ok(r)) => Poll::Ready(r),
            Poll::Ready(Err(_)) => Poll::Ready(Err(self.closed())),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn write_loop(mut conn: Connection, rx: mpsc::Receiver<Command>, counts: &Counts) {
    while let Ok(first) = rx.recv() {
        let mut group: Vec<Box<dyn Job>> = Vec::new();
        let mut checkpoints = Vec::new();
        let mut take = |cmd: Command, group: &mut Vec<Box<dyn Job>>| match cmd {
            Command::Write(job) => group.push(job),
            Command::Checkpoint(ack) => checkpoints.push(ack),
        };
        take(first, &mut group);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(cmd) => take(cmd, &mut group),
                Err(_) => break,
            }
        }
        if !group.is_empty() {
            let committed = commit_group(&mut conn, &mut group);
            match &committed {
                Ok(()) => {
                    counts.transactions.inc();
                    counts.writes.inc_by(group.len() as u64);
                }
                Err(e) => {
                    tracing::error!(error = %e, count = group.len(), "execution history commit failed");
                }
            }
            for job in group {
                job.settle(committed.clone());
            }
        }
        if !checkpoints.is_empty() {
            let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
            for ack in checkpoints {
                let _ = ack.send(());
            }
        }
    }
}

/// Runs `group` in one transaction, each job in a savepoint of its own (a failed job's
/// changes are rolled back, the others' kept), and commits.
fn commit_group(conn: &mut Connection, group: &mut [Box<dyn Job>]) -> Result<(), String> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    for job in group.iter_mut() {
        tx.execute_batch("SAVEPOINT job")
            .map_err(|e| e.to_string())?;
        let end = if job.run(&tx) {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        tx.execute_batch(end).map_err(|e| e.to_string())?;
    }
    tx.commit().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::db::{HistoryDb, NewExecution};
    use crate::history::LoggingLevel;
    use chrono::Utc;
    use std::io::BufRead;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    fn execution(i: u64) -> NewExecution {
        NewExecution {
            execution_id: format!("E{i:08}"),
            package: "\\File System\\Load".into(),
            started_by: "api".into(),
            caller: "test".into(),
            pid: None,
            process_start: 0,
            start_time: Utc::now(),
            logging_level: LoggingLevel::Basic,
            sets: Vec::new(),
            events: PathBuf::from(format!("/runs/E{i:08}/events.jsonl")),
        }
    }

    fn open_writer(dir: &Path) -> (Writer, Connection) {
        let path = dir.join("w.db");
        let open = || {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
                 CREATE TABLE IF NOT EXISTS t (v INTEGER PRIMARY KEY);",
            )
            .unwrap();
            c
        };
        (
            Writer::start(open(), &path, Counts::default()).unwrap(),
            open(),
        )
    }

    #[test]
    fn writes_waiting_together_share_a_transaction_and_a_failed_one_is_undone_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (w, read) = open_writer(dir.path());
        let mut pending: Vec<Commit<usize>> = (0..500)
            .map(|v| w.submit(move |c| c.execute("INSERT INTO t VALUES (?1)", [v])))
            .collect();
        // A duplicate key: this write fails, the others in its transaction stay.
        pending.push(w.submit(|c| {
            c.execute("INSERT INTO t VALUES (1000)", [])?;
            c.execute("INSERT INTO t VALUES (7)", [])
        }));
        let results: Vec<_> = pending.into_iter().map(Commit::wait).collect();
        assert!(results[..500]
            .iter()
            .all(|r| r.as_ref().is_ok_and(|n| *n == 1)));
        let failed = results[500].as_ref().unwrap_err();
        assert!(failed.message.contains("UNIQUE"), "{failed}");
        let rows: i64 = read
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 500, "the failed write's first insert is undone");
        let (writes, transactions) = w.counts();
        assert_eq!(writes, 501);
        assert!(
            transactions < 50,
            "500 writes queued at once share transactions ({transactions} used)"
        );
    }

    #[tokio::test]
    async fn commits_resolve_as_futures_and_a_stopped_writer_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (w, _) = open_writer(dir.path());
        let n = w
            .submit(|c| c.execute("INSERT INTO t VALUES (1)", []))
            .await
            .unwrap();
        assert_eq!(n, 1);
        w.checkpoint().await;
        let (tx, rx) = oneshot::channel::<Result<(), HistoryError>>();
        drop(tx);
        let c = Commit {
            path: PathBuf::from("/x"),
            rx,
        };
        assert!(c.await.unwrap_err().message.contains("stopped"));
    }

    /// The child of [`acknowledged_writes_survive_kill_9`]: records executions with 32 in
    /// flight, printing each id once its commit is acknowledged, until it is killed.
    fn child(db_path: &Path) {
        let db = HistoryDb::open(db_path).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let next = Arc::new(AtomicU64::new(0));
        rt.block_on(futures_util::future::join_all((0..32).map(|_| {
            let (db, next) = (db.clone(), next.clone());
            async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    db.begin(execution(i)).await.unwrap();
                    println!("acked E{i:08}");
                }
            }
        })));
    }

    #[test]
    fn acknowledged_writes_survive_kill_9() {
        const CHILD: &str = "SSISD_TEST_HISTORY_WRITER_CHILD";
        if let Some(path) = std::env::var_os(CHILD) {
            child(Path::new(&path));
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("history.db");
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "history::writer::tests::acknowledged_writes_survive_kill_9",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, &db_path)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut acked = Vec::new();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        while acked.len() < 2_000 {
            let line = lines
                .next()
                .expect("the child acknowledges writes")
                .unwrap();
            if let Some(id) = line.strip_prefix("acked ") {
                acked.push(id.to_string());
            }
        }
        child.kill().unwrap(); // SIGKILL, mid-transaction most likely
        child.wait().unwrap();
        // Acknowledgements printed before the kill but not yet read count too.
        acked.extend(
            lines
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("acked ").map(str::to_string)),
        );
        let db = HistoryDb::open(&db_path).unwrap();
        let stored: std::collections::HashSet<String> = db
            .open_executions()
            .unwrap()
            .into_iter()
            .map(|l| l.execution_id)
            .collect();
        let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
        assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
        assert!(stored.len() >= acked.len());
    }
}
