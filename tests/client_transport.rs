//! End-to-end tests of the client library against a real `ssisd`: the local service found
//! through its runtime directory and reached over its Unix socket (the caller known by its
//! peer credentials), package bytes both ways, an event stream, `ssisctl` choosing the socket
//! by default, and the credentials message when loopback TCP needs a token.

mod support;

use std::time::Duration;

use ssisd::client::{endpoint, Address, Client, ClientError, Credentials, Endpoint};
use support::{small_package, ssisctl, temp_dir, Options, Service};

/// The local service as clients find it by default: over its socket.
fn local_endpoint(s: &Service) -> Endpoint {
    let e = endpoint::resolve_in(None, &s.runtime_dir).unwrap();
    assert!(
        matches!(e.address, Address::Unix(_)),
        "the local service is reached over its socket, not {e}"
    );
    e
}

fn local_client(s: &Service) -> Client {
    Client::connect_to(local_endpoint(s), &Credentials::default()).unwrap()
}

#[test]
fn talks_over_the_unix_socket() {
    let s = Service::start();
    let c = local_client(&s);
    assert_eq!(c.service_version, env!("CARGO_PKG_VERSION"));
    assert!(c.endpoint().describe().starts_with("unix:"));

    let me = c.request("GET", "whoami", None).unwrap().json().unwrap();
    assert!(!me["identity"].as_str().unwrap_or("").is_empty(), "{me}");
    assert!(
        me["via"].as_str().unwrap_or("").contains("unix socket"),
        "{me}"
    );

    c.request("POST", "folders/File%20System/Socket", None)
        .unwrap();
    let package = small_package("Load");
    c.request("PUT", "packages/File%20System/Socket/Load", Some(&package))
        .unwrap();
    let back = c
        .request("GET", "packages/File%20System/Socket/Load", None)
        .unwrap();
    assert_eq!(back.body, package, "the package comes back byte for byte");
    let head = c
        .raw(
            "HEAD",
            "packages/File%20System/Socket/Load",
            None,
            Duration::from_secs(30),
        )
        .unwrap();
    assert_eq!((head.status, head.body.len()), (200, 0));
    let listing = c
        .request("GET", "folders/File%20System/Socket", None)
        .unwrap()
        .json()
        .unwrap();
    assert!(listing.to_string().contains("\"Load\""), "{listing}");
    c.request("DELETE", "packages/File%20System/Socket/Load", None)
        .unwrap();
    let gone = c
        .request("GET", "packages/File%20System/Socket/Load", None)
        .err()
        .unwrap();
    assert!(
        matches!(gone, ClientError::Api { status: 404, .. }),
        "{gone:?}"
    );
}

#[test]
fn follows_events_over_the_unix_socket() {
    let s = Service::start();
    let c = local_client(&s);
    let newest = c
        .request("GET", "events?limit=1", None)
        .unwrap()
        .json()
        .unwrap();
    let last = newest["events"][0]["id"].as_i64().unwrap_or(0);
    let follower = local_client(&s);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = follower.follow(&format!("events/stream?since_id={last}"), |data| {
            let done = data.contains("Followed");
            let _ = tx.send(data.to_string());
            !done
        });
    });
    c.request("POST", "folders/File%20System/Followed", None)
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let data = rx
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .expect("the folder's event on the stream");
        if data.contains("Followed") {
            let event: serde_json::Value = serde_json::from_str(&data).unwrap();
            assert_eq!(event["event_id"], 1020, "{event}");
            break;
        }
    }
}

#[test]
fn ssisctl_uses_the_socket_by_default() {
    let s = Service::start();
    let out = ssisctl(&s, &["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(" on unix:"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ssisctl(&s, &["whoami"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(" via unix socket"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ssisctl(&s, &["--json", "whoami"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["role"].is_string(), "{v}");
}

#[test]
fn loopback_tcp_without_a_token_says_how_to_get_one() {
    let options = Options {
        env: vec![(
            "SSISD_SERVICE__UNAUTHENTICATED_LOOPBACK".into(),
            "false".into(),
        )],
        ..Options::default()
    };
    let s = Service::start_in(temp_dir(), options);
    let e = endpoint::resolve_in(Some(&format!("http://{}", s.addr)), &s.runtime_dir).unwrap();
    let err = Client::connect_to(e, &Credentials::default())
        .err()
        .expect("loopback TCP needs credentials");
    assert!(
        matches!(err, ClientError::NeedsCredentials { .. }),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("ssisd token create"), "{err}");
}
