//! Opening one SQL Server connection (async, tokio): the server name resolved (`.`, `(local)`,
//! this machine → localhost; `HOST\INSTANCE` → its port from the SQL Server Browser; `HOST,PORT`),
//! TCP with the settings' time limit, TLS and the SQL Server login through tiberius, one
//! redirection followed (Azure SQL gateways redirect). Every failure is a [`ConnectError`]
//! naming the server as written and the address tried. It must not pool or retry.

use tiberius::{AuthMethod, Client};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use super::config::base_config;
use super::settings::{Authentication, TdsSettings};
use crate::browser;
use crate::error::ConnectError;
use crate::server_name::{machine_name, parse_server_name};

/// One open SQL Server connection.
pub type TdsClient = Client<Compat<TcpStream>>;

/// The host and port a server name leads to (asking the Browser for named instances).
pub async fn resolve(s: &TdsSettings) -> Result<(String, u16), ConnectError> {
    let server = s.server.clone();
    let target = parse_server_name(&s.server, &machine_name()).map_err(|source| {
        ConnectError::ServerName {
            server: server.clone(),
            source,
        }
    })?;
    let port = match (&target.instance, target.needs_browser()) {
        (Some(instance), true) => browser::lookup_port(&target.host, instance, s.connect_timeout)
            .await
            .map_err(|source| ConnectError::Browser {
                server: server.clone(),
                source,
            })?,
        _ => target.fixed_port(),
    };
    Ok((target.host, port))
}

/// Opens one connection with `s`.
pub async fn connect(s: &TdsSettings) -> Result<TdsClient, ConnectError> {
    let server = s.server.clone();
    let wait = s.connect_timeout;
    let (mut host, mut port) = resolve(s).await?;
    for _ in 0..2 {
        let address = format!("{host}:{port}");
        let tcp = tokio::time::timeout(wait, TcpStream::connect((host.as_str(), port)))
            .await
            .map_err(|_| ConnectError::NoAnswer {
                server: server.clone(),
                address: address.clone(),
                wait,
            })?
            .map_err(|e| ConnectError::Unreachable {
                server: server.clone(),
                address: address.clone(),
                message: e.to_string(),
            })?;
        let _ = tcp.set_nodelay(true);
        let auth = match s.authentication {
            Authentication::Integrated => {
                return Err(ConnectError::Integrated {
                    server: server.clone(),
                })
            }
            Authentication::SqlServer => {
                let user = s.user.as_deref().ok_or_else(|| ConnectError::NoLogin {
                    server: server.clone(),
                    address: address.clone(),
                })?;
                let password = s
                    .password
                    .read(user)
                    .map_err(|source| ConnectError::Password {
                        server: server.clone(),
                        source,
                    })?;
                AuthMethod::sql_server(user, password.expose())
            }
        };
        let mut config = base_config(s, &host, port);
        config.authentication(auth);
        match tokio::time::timeout(wait, Client::connect(config, tcp.compat_write())).await {
            Err(_) => {
                return Err(ConnectError::LoginTimeout {
                    server,
                    address,
                    wait,
                })
            }
            Ok(Ok(client)) => return Ok(client),
            Ok(Err(tiberius::error::Error::Routing { host: h, port: p })) => {
                host = h;
                port = p;
            }
            Ok(Err(tiberius::error::Error::Server(t))) => {
                return Err(ConnectError::LoginRefused {
                    server,
                    address,
                    database: s.database.clone(),
                    code: t.code(),
                    message: t.message().to_string(),
                })
            }
            Ok(Err(e)) => {
                return Err(ConnectError::Login {
                    server,
                    address,
                    message: e.to_string(),
                })
            }
        }
    }
    Err(ConnectError::Redirects { server })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn an_unreachable_server_is_named_with_the_address() {
        let mut s = TdsSettings::new("127.0.0.1,1");
        s.connect_timeout = Duration::from_secs(2);
        let Err(e) = connect(&s).await else {
            panic!("something listens on 127.0.0.1:1");
        };
        assert!(e.is_unreachable(), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("SQL Server \"127.0.0.1,1\"") && text.contains("127.0.0.1:1"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_missing_login_is_named_once_the_server_answers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let Err(e) = connect(&TdsSettings::new(format!("127.0.0.1,{port}"))).await else {
            panic!("connected without a login")
        };
        assert!(matches!(e, ConnectError::NoLogin { .. }), "{e}");
    }

    #[tokio::test]
    async fn a_named_instance_asks_the_browser() {
        // Nothing answers SSRP on loopback: the Browser's silence is the error, with the host.
        let mut s = TdsSettings::new("127.0.0.1\\SQLEXPRESS");
        s.connect_timeout = Duration::from_millis(300);
        let e = connect(&s).await.unwrap_err();
        assert!(matches!(e, ConnectError::Browser { .. }), "{e}");
        assert!(e.to_string().contains("127.0.0.1"), "{e}");
    }
}
