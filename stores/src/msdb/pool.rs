//! Connections to one msdb database and a small pool of them: connections are opened by
//! ssisd-sql (server name and Browser, TLS, login) with the folder's settings, and lent out;
//! they go back to the pool when dropped — unless the borrower marked them broken. It must not
//! know about the msdb schema.

use std::sync::{Arc, Mutex};

use ssisd_sql::error::ConnectError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::unavailable;
use super::settings::SqlServerFolder;
use crate::error::StoreError;

/// One open connection.
pub type Connection = ssisd_sql::tds::TdsClient;

/// A bounded pool of connections to one database.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    settings: SqlServerFolder,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Pool {
    /// A pool that connects lazily.
    pub fn new(settings: SqlServerFolder) -> Self {
        let size = settings.pool_size.max(1) as usize;
        Pool {
            inner: Arc::new(Inner {
                settings,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(size)),
            }),
        }
    }

    pub fn settings(&self) -> &SqlServerFolder {
        &self.inner.settings
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.inner.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Borrows a connection: an idle one, or a new one (waiting while all are lent).
    pub async fn get(&self) -> Result<Pooled, StoreError> {
        let permit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| unavailable(&self.inner.settings.server, "the pool is closed"))?;
        let reused = self.idle().pop();
        let conn = match reused {
            Some(c) => c,
            None => connect(&self.inner.settings).await?,
        };
        Ok(Pooled {
            conn: Some(conn),
            pool: self.clone(),
            broken: false,
            _permit: permit,
        })
    }

    /// Closes every idle connection (after an outage, they are all suspect).
    pub fn clear(&self) {
        self.idle().clear();
    }

    /// Connections waiting in the pool now.
    pub fn idle_count(&self) -> usize {
        self.idle().len()
    }
}

/// A borrowed connection; back to the pool on drop unless [`Pooled::broken`] was called.
pub struct Pooled {
    conn: Option<Connection>,
    pool: Pool,
    broken: bool,
    _permit: OwnedSemaphorePermit,
}

impl Pooled {
    pub fn conn(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("a pooled connection is present until dropped")
    }

    /// Marks the connection unusable (lost, or left in an unknown transaction state).
    pub fn broken(&mut self) {
        self.broken = true;
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            if !self.broken {
                self.pool.idle().push(c);
            }
        }
    }
}

/// Opens one connection with the folder's settings.
pub async fn connect(s: &SqlServerFolder) -> Result<Connection, StoreError> {
    ssisd_sql::tds::connect(&s.tds()).await.map_err(|e| match e {
        ConnectError::NoLogin { server, address } => unavailable(
            &server,
            format!("{address} answers, but no login is configured: set `user` and `password_file` or `password_env` for this folder (integrated authentication is not available in this build)"),
        ),
        other => StoreError::Unavailable(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_server_is_unavailable_with_the_address() {
        let mut s = SqlServerFolder::new("127.0.0.1,1");
        s.connect_timeout_ms = 2000;
        let pool = Pool::new(s);
        let Err(e) = pool.get().await else {
            panic!("something listens on 127.0.0.1:1");
        };
        let text = e.to_string();
        assert!(matches!(e, StoreError::Unavailable(_)), "{text}");
        assert!(text.contains("127.0.0.1") && text.contains(":1"), "{text}");
    }

    #[tokio::test]
    async fn a_missing_login_is_named_once_the_server_answers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let pool = Pool::new(SqlServerFolder::new(format!("127.0.0.1,{port}")));
        let Err(e) = pool.get().await else {
            panic!("connected without a login")
        };
        assert!(e.to_string().contains("no login is configured"), "{e}");
    }
}
