//! The web console's first page load on a folder of 10,000 packages: the requests a browser makes
//! when it opens `/packages/File System/Big` with a session (the page, its style sheet and script,
//! the top-level folders and the folder's first page of 500 entries), timed on the client over
//! loopback, each on a new connection; and, beside it, the whole folder in one listing as a
//! client without paging would ask for it. It prints one table and asserts no timing. The
//! service is started through the shared test support; the packages are written into the File
//! System folder's directory, as an administrator copying files there would.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{ms, percentile, row, run_steps, Row};
use support::{temp_dir, Options, Service};

const PACKAGES: usize = 10_000;
const LOADS: usize = 30;

/// One request on a new connection: (status, body bytes, time to the last byte).
fn fetch(addr: &str, path: &str, headers: &str) -> (u16, usize, Duration) {
    let t = Instant::now();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let elapsed = t.elapsed();
    let head_end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(answer.len());
    let status = std::str::from_utf8(&answer[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer.len() - head_end, elapsed)
}

fn sign_in(s: &Service, token: &str) -> String {
    let mut stream = std::net::TcpStream::connect(&s.addr).unwrap();
    write!(
        stream,
        "POST /session HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        s.addr
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let cookie = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("no session cookie");
    cookie.split(';').next().unwrap().to_string()
}

fn first_page_load(rows: &mut Vec<Row>) {
    let keys = temp_dir();
    let tokens = keys.path().join("tokens");
    let token = support::create_token(&tokens, "bench", "administrator");
    let env = vec![
        (
            "SSISD_ACCESS__TOKENS_FILE".to_string(),
            tokens.display().to_string(),
        ),
        (
            "SSISD_SERVICE__UNAUTHENTICATED_LOOPBACK".to_string(),
            "false".to_string(),
        ),
    ];
    let s = Service::start_in(temp_dir(), Options { config: None, env });
    let big = s.data_dir.join("Packages").join("Big");
    std::fs::create_dir_all(&big).unwrap();
    for i in 0..PACKAGES {
        let name = format!("Load_{i:05}");
        std::fs::write(
            big.join(format!("{name}.dtsx")),
            support::small_package(&name),
        )
        .unwrap();
    }
    let cookie = format!("Cookie: {}\r\n", sign_in(&s, &token));
    let page = [
        "/packages/File%20System/Big",
        "/assets/console-1.css",
        "/assets/console-1.js",
        "/api/v1/folders",
        "/api/v1/folders/File%20System/Big?limit=500",
    ];
    let load = || {
        let mut total = Duration::ZERO;
        let mut bytes = 0;
        for path in page {
            let (status, size, took) = fetch(&s.addr, path, &cookie);
            assert_eq!(status, 200, "{path}");
            total += took;
            bytes += size;
        }
        (total, bytes)
    };
    let (cold, bytes) = load();
    let mut samples = Vec::new();
    for _ in 0..LOADS {
        samples.push(load().0);
    }
    rows.push(row(
        format!("first page load, folder of {PACKAGES} packages: 5 requests (page, CSS, script, folders, first 500 entries), server time"),
        format!(
            "p50 {}, p95 {} (the very first, headers read cold: {})",
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.95)),
            ms(cold)
        ),
        "p50 < 50 ms",
    ));
    rows.push(row(
        "first page load, bytes transferred (bodies, uncompressed)",
        format!("{:.1} KiB", bytes as f64 / 1024.0),
        "—",
    ));
    // After each change to the folder its listing is computed again (the answer cache keeps a
    // folder's listing only while the folder is unchanged).
    let mut changed = Vec::new();
    for i in 0..15 {
        let name = format!("Extra_{i:02}");
        let body = support::small_package(&name);
        let mut stream = std::net::TcpStream::connect(&s.addr).unwrap();
        write!(
            stream,
            "PUT /api/v1/packages/File%20System/Big/{name} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            s.addr,
            body.len()
        )
        .unwrap();
        stream.write_all(&body).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        changed.push(load().0);
    }
    rows.push(row(
        "the same, each right after an import into the folder (its listing computed again)",
        format!(
            "p50 {}, p95 {}",
            ms(percentile(&changed, 0.5)),
            ms(percentile(&changed, 0.95))
        ),
        "p50 < 50 ms",
    ));
    let mut whole = Vec::new();
    let mut whole_bytes = 0;
    for _ in 0..10 {
        let (status, size, took) = fetch(&s.addr, "/api/v1/folders/File%20System/Big", &cookie);
        assert_eq!(status, 200);
        whole.push(took);
        whole_bytes = size;
    }
    rows.push(row(
        format!("beside it: the whole folder in one listing ({PACKAGES} packages, all fields, answer cached)"),
        format!(
            "p50 {}, {:.1} KiB",
            ms(percentile(&whole, 0.5)),
            whole_bytes as f64 / 1024.0
        ),
        "—",
    ));
}

fn main() {
    run_steps(&[("first_page_load", first_page_load)]);
}
