//! The cost of access control per request: `GET /whoami` through the client library over each
//! transport — the Unix socket (peer credentials), loopback TCP with a bearer token, loopback
//! TCP without credentials (`unauthenticated_loopback`), and TLS with a bearer token — each
//! request on a new connection, as command-line clients make them. It prints one table and
//! asserts no timing. The services are started through the shared test support.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{ms, percentile, row, run_steps, Row};
use ssisd::client::credentials::{Credentials, Token};
use ssisd::client::Client;
use support::{temp_dir, Options, Service, TestPki};

const REQUESTS: usize = 300;

/// A bearer token for an administrator, created in the tokens file `tokens`.
fn token(tokens: &Path) -> Token {
    Token::parse(
        &support::create_token(tokens, "bench", "administrator"),
        "bench",
    )
    .unwrap()
}

/// A service on loopback with the tokens file `tokens` and `env` added to its environment;
/// returns it and its TCP port.
fn start(tokens: &Path, env: &[(&str, String)]) -> (Service, String) {
    let mut env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    env.push((
        "SSISD_ACCESS__TOKENS_FILE".into(),
        tokens.display().to_string(),
    ));
    let s = Service::start_in(temp_dir(), Options { config: None, env });
    let port = s.addr.rsplit(':').next().unwrap().to_string();
    (s, port)
}

/// Times `REQUESTS` requests on a connected client: p50 and p95.
fn measure(rows: &mut Vec<Row>, what: &str, server: &str, credentials: &Credentials) {
    let client =
        Client::connect_with(Some(server), credentials).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut samples = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let t = Instant::now();
        client.request("GET", "whoami", None).unwrap();
        samples.push(t.elapsed());
    }
    let per: Duration = samples.iter().sum::<Duration>() / REQUESTS as u32;
    rows.push(row(
        format!("GET /whoami, new connection each, {what}"),
        format!(
            "p50 {}, p95 {}, mean {}",
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.95)),
            ms(per)
        ),
        "—",
    ));
}

fn plain(rows: &mut Vec<Row>) {
    let dir = temp_dir();
    let tokens = dir.path().join("tokens");
    let t = token(&tokens);
    let (s, port) = start(&tokens, &[]);
    let none = Credentials::default();
    measure(
        rows,
        "Unix socket (peer credentials)",
        &format!("unix:{}", s.socket().display()),
        &none,
    );
    measure(
        rows,
        "loopback TCP, no credentials (unauthenticated_loopback)",
        &format!("http://127.0.0.1:{port}"),
        &none,
    );
    let with_token = Credentials {
        token: Some(t),
        ..Credentials::default()
    };
    measure(
        rows,
        "loopback TCP, bearer token",
        &format!("http://127.0.0.1:{port}"),
        &with_token,
    );
}

fn tls(rows: &mut Vec<Row>) {
    let pki = TestPki::new();
    let tokens = pki.dir.path().join("tokens");
    let t = token(&tokens);
    let (_s, port) = start(
        &tokens,
        &[
            ("SSISD_SERVICE__UNAUTHENTICATED_LOOPBACK", "false".into()),
            (
                "SSISD_ACCESS__TLS_CERTIFICATE",
                pki.cert.display().to_string(),
            ),
            ("SSISD_ACCESS__TLS_KEY", pki.key.display().to_string()),
        ],
    );
    let credentials = Credentials {
        token: Some(t),
        ca_file: Some(pki.ca.clone()),
        client_cert: None,
    };
    measure(
        rows,
        "TLS 1.3 + bearer token (full handshake)",
        &format!("https://localhost:{port}"),
        &credentials,
    );
}

fn main() {
    run_steps(&[("plain", plain), ("tls", tls)]);
}
