//! Connections to one SQL Server database and a small pool of them. It resolves the server
//! name (asking the SQL Server Browser for named instances), connects over TCP with the folder's
//! TLS and login settings, and lends connections that go back to the pool when dropped — unless
//! the borrower marked them broken. It must not know about the msdb schema.

use std::sync::{Arc, Mutex};

use tiberius::{AuthMethod, Client, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use super::browser;
use super::error::unavailable;
use super::server_name::{machine_name, parse_server_name};
use super::settings::{Authentication, Encrypt, SqlServerFolder, INTEGRATED_REFUSED};
use crate::error::StoreError;

/// One open connection.
pub type Connection = Client<Compat<TcpStream>>;

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

/// The tiberius configuration of a folder, without the login.
fn base_config(s: &SqlServerFolder, host: &str, port: u16) -> Config {
    let mut config = Config::new();
    config.host(host);
    config.port(port);
    config.database(&s.database);
    config.application_name("ssisd");
    config.encryption(match s.encrypt {
        Encrypt::Required => EncryptionLevel::Required,
        Encrypt::Optional => EncryptionLevel::On,
        Encrypt::Off => EncryptionLevel::Off,
    });
    if s.trust_server_certificate {
        config.trust_cert();
    } else if let Some(ca) = &s.ca_file {
        config.trust_cert_ca(ca.display().to_string());
    }
    config
}

/// Opens one connection with the folder's settings.
pub async fn connect(s: &SqlServerFolder) -> Result<Connection, StoreError> {
    let server = s.server.as_str();
    let target = parse_server_name(server, &machine_name()).map_err(|e| unavailable(server, e))?;
    let wait = s.connect_timeout();
    let port = match (&target.instance, target.needs_browser()) {
        (Some(instance), true) => browser::lookup_port(&target.host, instance, wait)
            .await
            .map_err(|e| unavailable(server, e))?,
        _ => target.fixed_port(),
    };
    let mut host = target.host.clone();
    let mut port = port;
    // A server may redirect the login elsewhere once (Azure SQL gateways do).
    for _ in 0..2 {
        let tcp = tokio::time::timeout(wait, TcpStream::connect((host.as_str(), port)))
            .await
            .map_err(|_| {
                unavailable(
                    server,
                    format!(
                        "no answer from {host}:{port} within {} ms",
                        wait.as_millis()
                    ),
                )
            })?
            .map_err(|e| unavailable(server, format!("cannot connect to {host}:{port}: {e}")))?;
        let _ = tcp.set_nodelay(true);
        let auth = match s.authentication {
            Authentication::Integrated => return Err(unavailable(server, INTEGRATED_REFUSED)),
            Authentication::SqlServer => {
                let user = s.user.as_deref().ok_or_else(|| {
                    unavailable(
                        server,
                        format!("{host}:{port} answers, but no login is configured: set `user` and `password_file` or `password_env` for this folder (integrated authentication is not available in this build)"),
                    )
                })?;
                let password = s.password.read(user).map_err(|e| unavailable(server, e))?;
                AuthMethod::sql_server(user, password.expose())
            }
        };
        let mut config = base_config(s, &host, port);
        config.authentication(auth);
        match tokio::time::timeout(wait, Client::connect(config, tcp.compat_write())).await {
            Err(_) => {
                return Err(unavailable(
                    server,
                    format!(
                        "login to {host}:{port} took more than {} ms",
                        wait.as_millis()
                    ),
                ))
            }
            Ok(Ok(client)) => return Ok(client),
            Ok(Err(tiberius::error::Error::Routing { host: h, port: p })) => {
                host = h;
                port = p;
            }
            Ok(Err(tiberius::error::Error::Server(t))) => {
                return Err(unavailable(
                    server,
                    format!(
                        "login to {host}:{port} (database {}) refused: error {}: {}",
                        s.database,
                        t.code(),
                        t.message()
                    ),
                ))
            }
            Ok(Err(e)) => {
                return Err(unavailable(
                    server,
                    format!("cannot log in to {host}:{port}: {e}"),
                ))
            }
        }
    }
    Err(unavailable(
        server,
        "the server redirected the login more than once",
    ))
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
