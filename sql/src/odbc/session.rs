//! An ODBC connection driven from async code: ODBC calls block, so an [`OdbcSession`] keeps its
//! connection on a thread of its own and runs the work it is given there, one piece at a time,
//! in order; the async caller awaits the answer without blocking its runtime (actor handlers,
//! the tokio side of a pipeline). [`OdbcSession::query`] streams a result set as
//! [`RowBatch`]es through a bounded channel, so at most a few batches wait in memory however
//! large the result. Dropping the session ends the thread and closes the connection.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::connect::{connect, OdbcConnection};
use super::reader::{OdbcBatches, ReadOptions};
use crate::batch::{ColumnInfo, RowBatch};
use crate::error::{ConnectError, QueryError};
use crate::provider::OdbcTarget;

type Job = Box<dyn FnOnce(&mut OdbcConnection) + Send>;

/// The session's thread ended (its connection is gone).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the ODBC session to {0} has ended")]
pub struct SessionClosed(pub String);

/// One ODBC connection on its own thread.
pub struct OdbcSession {
    jobs: std::sync::mpsc::Sender<Job>,
    target: String,
}

/// A result set arriving batch by batch.
pub struct BatchStream {
    pub columns: Arc<[ColumnInfo]>,
    rx: mpsc::Receiver<Result<RowBatch, QueryError>>,
}

impl BatchStream {
    /// The next batch; `None` after the last.
    pub async fn next_batch(&mut self) -> Result<Option<RowBatch>, QueryError> {
        self.rx.recv().await.transpose()
    }
}

impl OdbcSession {
    /// Connects on a new thread and waits for the login.
    pub async fn open(
        target: OdbcTarget,
        login_timeout: Option<Duration>,
    ) -> Result<OdbcSession, ConnectError> {
        let (ready_tx, ready_rx) = oneshot::channel();
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        let described = target.describe();
        std::thread::Builder::new()
            .name("odbc-session".into())
            .spawn(move || match connect(&target, login_timeout) {
                Ok(mut conn) => {
                    let _ = ready_tx.send(Ok(()));
                    for job in rx {
                        job(&mut conn);
                    }
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            })
            .map_err(|e| ConnectError::OdbcEnvironment(format!("cannot start a thread: {e}")))?;
        match ready_rx.await {
            Ok(Ok(())) => Ok(OdbcSession {
                jobs,
                target: described,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ConnectError::Odbc {
                target: described,
                message: "the connecting thread ended without an answer".into(),
            }),
        }
    }

    /// Runs `work` with the connection on the session's thread and returns what it returns.
    pub async fn run<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut OdbcConnection) -> R + Send + 'static,
    ) -> Result<R, SessionClosed> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = tx.send(work(conn));
        });
        self.jobs
            .send(job)
            .map_err(|_| SessionClosed(self.target.clone()))?;
        rx.await.map_err(|_| SessionClosed(self.target.clone()))
    }

    /// Runs `sql` and streams its first result set; at most `depth` batches wait unread. A
    /// statement without a result set gives no columns and no batches.
    pub async fn query(
        &self,
        sql: impl Into<String>,
        options: ReadOptions,
        depth: usize,
    ) -> Result<BatchStream, QueryError> {
        let sql = sql.into();
        let (columns_tx, columns_rx) = oneshot::channel::<Result<Arc<[ColumnInfo]>, QueryError>>();
        let (tx, rx) = mpsc::channel(depth.max(1));
        let job: Job = Box::new(move |conn| {
            let cursor = match conn.execute(&sql, (), None) {
                Ok(Some(cursor)) => cursor,
                Ok(None) => {
                    let _ = columns_tx.send(Ok(Arc::from(Vec::new())));
                    return;
                }
                Err(e) => {
                    let _ = columns_tx.send(Err(e.into()));
                    return;
                }
            };
            let mut batches = match OdbcBatches::new(cursor, options) {
                Ok(b) => b,
                Err(e) => {
                    let _ = columns_tx.send(Err(e));
                    return;
                }
            };
            let _ = columns_tx.send(Ok(batches.columns().clone()));
            loop {
                match batches.next_batch() {
                    Ok(Some(batch)) => {
                        if tx.blocking_send(Ok(batch)).is_err() {
                            return; // the reader went away
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| QueryError::ConnectionLost {
                message: SessionClosed(self.target.clone()).to_string(),
            })?;
        let columns = columns_rx.await.map_err(|_| QueryError::ConnectionLost {
            message: SessionClosed(self.target.clone()).to_string(),
        })??;
        Ok(BatchStream { columns, rx })
    }
}
