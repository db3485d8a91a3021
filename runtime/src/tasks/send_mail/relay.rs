//! A loopback relay that makes a running send interruptible: lettre's blocking SMTP client
//! talks to a listener on 127.0.0.1 (which accepts one connection, and only one made by this
//! process), and the relay carries the bytes to and from the real server over a connection it
//! opens itself. Shutting the relay down shuts both sockets, which ends whatever read or write
//! the client is blocked in, so cancelling a run does not wait for the server. STARTTLS passes
//! through untouched: the client checks the certificate against the server's own name. It owns
//! the sockets and their threads; the SMTP conversation is lettre's.

use std::io;
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the listener waits for the client's connection.
const ACCEPT_LIMIT: Duration = Duration::from_secs(60);
/// How long connecting to one address of the server may take.
const CONNECT_LIMIT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    /// Clones of the open sockets, to shut them down from the task's thread.
    sockets: Mutex<Vec<TcpStream>>,
    /// Why the server could not be reached.
    error: Mutex<Option<String>>,
}

impl Shared {
    /// Keeps a clone of `s` for [`Relay::shut`]; false when the relay is already shut (and
    /// then `s` is shut too).
    fn keep(&self, s: &TcpStream) -> bool {
        if let Ok(clone) = s.try_clone() {
            if let Ok(mut g) = self.sockets.lock() {
                g.push(clone);
            }
        }
        if self.stop.load(Ordering::SeqCst) {
            let _ = s.shutdown(Shutdown::Both);
            return false;
        }
        true
    }

    fn shut_all(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let sockets = match self.sockets.lock() {
            Ok(g) => g
                .iter()
                .filter_map(|s| s.try_clone().ok())
                .collect::<Vec<_>>(),
            Err(_) => Vec::new(),
        };
        for s in sockets {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// A running relay to one SMTP server; shut when dropped.
pub struct Relay {
    port: u16,
    shared: Arc<Shared>,
}

impl Relay {
    /// Listens on 127.0.0.1 and relays its one connection to `host:port`.
    pub fn start(host: &str, port: u16) -> io::Result<Relay> {
        // The relay takes only this process's own connection, which it recognises through
        // /proc; without /proc it would have to trust any local process, so it refuses.
        for needed in ["/proc/net/tcp", "/proc/self/fd"] {
            std::fs::metadata(needed).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("{needed} cannot be read ({e}); Send Mail needs /proc to tell its own connection from other local processes'"),
                )
            })?;
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let inner = shared.clone();
        let host = host.to_string();
        std::thread::Builder::new()
            .name("ssisd-smtp-relay".into())
            .spawn(move || serve(listener, local, &host, port, &inner))?;
        Ok(Relay {
            port: local.port(),
            shared,
        })
    }

    /// The port the client connects to on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Why the server could not be reached, if it could not.
    pub fn error(&self) -> Option<String> {
        self.shared.error.lock().ok().and_then(|g| g.clone())
    }

    /// Accepts nothing more and shuts both connections: a client blocked on them returns.
    pub fn shut(&self) {
        self.shared.shut_all();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shut();
    }
}

fn serve(listener: TcpListener, local: SocketAddr, host: &str, port: u16, shared: &Shared) {
    let deadline = Instant::now() + ACCEPT_LIMIT;
    let client = loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        match listener.accept() {
            // Anyone on this machine can connect to a loopback port: serve only our client.
            Ok((stream, peer)) if made_here(peer, local) => break stream,
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    };
    drop(listener);
    if client.set_nonblocking(false).is_err() || !shared.keep(&client) {
        return;
    }
    let upstream = match connect(host, port) {
        Ok(s) => s,
        Err(e) => {
            if let Ok(mut g) = shared.error.lock() {
                *g = Some(e);
            }
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
    };
    if !shared.keep(&upstream) {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let (Ok(mut from_server), Ok(mut to_client)) = (upstream.try_clone(), client.try_clone())
    else {
        shared.shut_all();
        return;
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            let _ = io::copy(&mut from_server, &mut to_client);
            let _ = to_client.shutdown(Shutdown::Both);
            let _ = from_server.shutdown(Shutdown::Both);
        });
        let (mut from_client, mut to_server) = (&client, &upstream);
        let _ = io::copy(&mut from_client, &mut to_server);
        let _ = client.shutdown(Shutdown::Both);
        let _ = upstream.shutdown(Shutdown::Both);
    });
}

/// Connects to the first address of `host:port` that answers.
fn connect(host: &str, port: u16) -> Result<TcpStream, String> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    let mut last = format!("{host} has no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_LIMIT) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    Err(last)
}

/// Whether the connection from `peer` to our listener at `local` was made by this process: its
/// socket, found in `/proc/net/tcp` by its two addresses, is one of our descriptors. Where
/// `/proc` cannot tell, the connection is refused.
fn made_here(peer: SocketAddr, local: SocketAddr) -> bool {
    let (SocketAddr::V4(peer), SocketAddr::V4(local)) = (peer, local) else {
        return false;
    };
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let Some(inode) = table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let here = parse_proc_addr(f.get(1)?)?;
        let there = parse_proc_addr(f.get(2)?)?;
        (here == (*peer.ip(), peer.port()) && there == (*local.ip(), local.port()))
            .then(|| f.get(9).map(|s| s.to_string()))
            .flatten()
    }) else {
        return false;
    };
    let wanted = format!("socket:[{inode}]");
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return false;
    };
    fds.filter_map(Result::ok)
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .any(|target| target.as_os_str() == wanted.as_str())
}

/// `0100007F:1F90` (the address as the kernel prints it, then the port) → 127.0.0.1:8080.
fn parse_proc_addr(text: &str) -> Option<(Ipv4Addr, u16)> {
    let (ip, port) = text.split_once(':')?;
    let ip = u32::from_str_radix(ip, 16).ok()?;
    let port = u16::from_str_radix(port, 16).ok()?;
    Some((Ipv4Addr::from(ip.to_ne_bytes()), port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_connection_from_another_process_is_refused() {
        let server = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let port = server.local_addr().expect("addr").port();
        let echo = std::thread::spawn(move || {
            let (mut s, _) = server.accept().expect("accept");
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).expect("read");
            s.write_all(&buf).expect("write");
        });
        let relay = Relay::start("127.0.0.1", port).expect("relay");
        // Another process connects first: it is closed without reaching the server.
        let foreign = std::process::Command::new("timeout")
            .arg("5")
            .arg("bash")
            .arg("-c")
            .arg(format!(
                "exec 3<>/dev/tcp/127.0.0.1/{}; echo stolen >&3; cat <&3; echo closed",
                relay.port()
            ))
            .output()
            .expect("bash");
        assert_eq!(String::from_utf8_lossy(&foreign.stdout).trim(), "closed");
        // This process's own connection is then relayed.
        let mut client = TcpStream::connect((Ipv4Addr::LOCALHOST, relay.port())).expect("connect");
        client.write_all(b"hello").expect("write");
        let mut back = [0u8; 5];
        client.read_exact(&mut back).expect("read");
        assert_eq!(&back, b"hello");
        echo.join().expect("server");
    }

    #[test]
    fn bytes_cross_both_ways_and_shutting_down_ends_a_blocked_read() {
        // A server that echoes one line, then stays silent.
        let server = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let port = server.local_addr().expect("addr").port();
        let echo = std::thread::spawn(move || {
            let (mut s, _) = server.accept().expect("accept");
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).expect("read");
            s.write_all(&buf).expect("write");
            // Hold the connection open until the relay shuts it.
            let _ = s.read(&mut buf);
        });
        let relay = Relay::start("127.0.0.1", port).expect("relay");
        let mut client = TcpStream::connect((Ipv4Addr::LOCALHOST, relay.port())).expect("connect");
        client.write_all(b"hello").expect("write");
        let mut back = [0u8; 5];
        client.read_exact(&mut back).expect("read");
        assert_eq!(&back, b"hello");
        let at = Instant::now();
        let relay = Arc::new(relay);
        let r2 = relay.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            r2.shut();
        });
        // Blocks until the relay is shut.
        let n = client.read(&mut back).unwrap_or(0);
        assert_eq!(n, 0);
        assert!(at.elapsed() < Duration::from_secs(5));
        echo.join().expect("echo");
        assert_eq!(relay.error(), None);
    }

    #[test]
    fn an_unreachable_server_is_reported() {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let relay = Relay::start("127.0.0.1", port).expect("relay");
        let mut client = TcpStream::connect((Ipv4Addr::LOCALHOST, relay.port())).expect("connect");
        let mut buf = [0u8; 1];
        assert_eq!(client.read(&mut buf).unwrap_or(0), 0);
        let e = relay.error().expect("error");
        assert!(e.contains("cannot connect to 127.0.0.1"), "{e}");
    }

    #[test]
    fn proc_addresses() {
        let (ip, port) =
            parse_proc_addr(&format!("{:08X}:1F90", u32::from_ne_bytes([127, 0, 0, 1])))
                .expect("parses");
        assert_eq!((ip, port), (Ipv4Addr::LOCALHOST, 8080));
        assert!(parse_proc_addr("zz").is_none());
    }
}
