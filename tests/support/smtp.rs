//! A real SMTP server for end-to-end tests: aiosmtpd with the handler in
//! `tests/support_smtp/`, started on a free loopback port, and the messages it received.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A test SMTP server, killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> Option<u16> {
    TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()
        .map(|a| a.port())
}

/// Starts `python3 -m aiosmtpd` on a free loopback port with the handler of
/// `tests/support_smtp/save_to_dir.py`, which writes each message into `dir` as `<n>.eml` and its
/// envelope as `<n>.json`; `Err` when it cannot be started (the caller prints SKIPPED).
pub fn start_server(dir: &Path) -> Result<Server, String> {
    let port = free_port().ok_or("no free port")?;
    let root = env!("CARGO_MANIFEST_DIR");
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "save_to_dir.SaveToDir"])
        .arg(dir)
        .env("PYTHONPATH", Path::new(root).join("tests/support_smtp"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("python3 cannot be started: {e}"))?;
    let mut server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(server);
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!("aiosmtpd exited with {status} (is it installed?)"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("aiosmtpd did not listen within 10 seconds".into())
}

/// The received messages as (envelope JSON, raw message), whichever order they came in.
pub fn received(dir: &Path, n: usize) -> Vec<(serde_json::Value, String)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while (1..=n).any(|i| !dir.join(format!("{i}.eml")).exists()) {
        assert!(Instant::now() < deadline, "fewer than {n} messages arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    (1..=n)
        .map(|i| {
            let env = std::fs::read_to_string(dir.join(format!("{i}.json"))).expect("envelope");
            let raw = std::fs::read(dir.join(format!("{i}.eml"))).expect("message");
            (
                serde_json::from_str(&env).expect("JSON"),
                String::from_utf8_lossy(&raw).into_owned(),
            )
        })
        .collect()
}
