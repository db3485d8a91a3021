//! Opens what the API listens on, before the service drops its privileges: the Unix socket
//! local clients use (a stale file from a dead service is replaced — the instance lock proves
//! no other service owns it — and any local user may connect: the peer's credentials decide
//! what it may do) and the TCP listener, with its TLS configuration read from files root may
//! be the only one to read. It serves nothing itself.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use crate::config::ServiceConfig;

/// The opened listeners.
pub struct Listeners {
    pub unix: UnixListener,
    pub socket_file: SocketFile,
    pub tcp: TcpListener,
    pub tcp_addr: SocketAddr,
    /// With TLS, the TCP listener speaks HTTPS only.
    pub tls: Option<rustls::ServerConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("cannot create the Unix socket {path}: {source}; check service.socket and that its directory is writable")]
    Socket {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}; choose another service.listen")]
    Tcp {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Tls(String),
}

fn bind_socket(path: &Path) -> Result<UnixListener, ListenError> {
    let err = |source| ListenError::Socket {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()) => {
            std::fs::remove_file(path).map_err(err)?;
        }
        Ok(_) => {
            return Err(err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a file that is not a socket is in the way; remove it",
            )))
        }
        Err(_) => {}
    }
    // The socket is created with mode 0666 through the umask, not chmod afterwards: a chmod by
    // name could be redirected through a link put in its place.
    // The process's file-creation mask, swapped for the bind and restored right after.
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o111));
    let bound = UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let listener = bound.map_err(err)?;
    listener.set_nonblocking(true).map_err(err)?;
    Ok(listener)
}

/// Opens the Unix socket, the TCP listener and the TLS configuration.
pub fn open(cfg: &ServiceConfig) -> Result<Listeners, ListenError> {
    let tls = match &cfg.access.tls {
        Some(files) => Some(
            crate::access::tls::server_config(
                &files.certificate,
                &files.key,
                files.client_ca.as_deref(),
            )
            .map_err(|e| ListenError::Tls(format!("TLS for service.listen: {e}")))?,
        ),
        None => None,
    };
    let unix = bind_socket(&cfg.socket)?;
    let tcp_err = |source| ListenError::Tcp {
        addr: cfg.listen,
        source,
    };
    let tcp = TcpListener::bind(cfg.listen).map_err(tcp_err)?;
    tcp.set_nonblocking(true).map_err(tcp_err)?;
    let tcp_addr = tcp.local_addr().map_err(tcp_err)?;
    Ok(Listeners {
        unix,
        socket_file: SocketFile(cfg.socket.clone()),
        tcp,
        tcp_addr,
        tls,
    })
}

/// Removes the socket file when the service ends (the listener itself closes with its
/// descriptor).
pub struct SocketFile(pub PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
