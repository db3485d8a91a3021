//! Hostile input against a real service, over loopback and its Unix socket: cross-site and DNS
//! rebinding requests on every listener, names too long for the file system, packages built to
//! make parsers quadratic or recurse without end, a stop signal in the middle of such an
//! upload, run requests the runner's command line cannot carry, and methods a route lacks.
//! Every answer must be a documented 4xx naming the limit — never a 5xx, a hang or a crash.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::{http, json, Service};

/// One raw HTTP/1.1 request with exactly these header lines (the test controls `Host`,
/// `Origin` and `Content-Type` itself); returns the status and the body.
fn raw(s: &Service, method: &str, path: &str, headers: &[&str], body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{method} /api/v1/{path} HTTP/1.1\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn host(s: &Service) -> String {
    format!("Host: {}", s.addr)
}

fn port(s: &Service) -> &str {
    s.addr.rsplit(':').next().unwrap()
}

fn folder_exists(s: &Service, name: &str) -> bool {
    http(s, "GET", &format!("folders/File%20System/{name}"), None).0 == 200
}

/// A form post from any web page the user opens used to create folders through the
/// unauthenticated loopback listener (201).
#[test]
fn cross_site_requests_are_refused_on_the_loopback_listener() {
    let s = Service::start();
    let h = host(&s);
    let form = ["Content-Type: application/x-www-form-urlencoded"];

    // A browser's form post: foreign Origin, form body.
    let (code, body) = raw(
        &s,
        "POST",
        "folders/File%20System/Evil",
        &[&h, "Origin: http://evil.example", form[0]],
        b"a=b",
    );
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("evil.example"), "{body}");
    assert!(!folder_exists(&s, "Evil"));

    // The same with no Origin (a non-browser client): the form media type is refused.
    let (code, body) = raw(
        &s,
        "POST",
        "folders/File%20System/Evil",
        &[&h, form[0]],
        b"a=b",
    );
    assert_eq!(code, 415, "{body}");
    assert!(body.contains("application/json"), "{body}");
    assert!(!folder_exists(&s, "Evil"));

    // Runs too: a text/plain post (what fetch() sends without asking) is refused.
    let start = br#"{"package":"File System/x"}"#;
    let (code, body) = raw(
        &s,
        "POST",
        "running",
        &[&h, "Origin: null", "Content-Type: text/plain"],
        start,
    );
    assert_eq!(code, 403, "{body}");
    let (code, _) = raw(
        &s,
        "POST",
        "running",
        &[&h, "Content-Type: text/plain"],
        start,
    );
    assert_eq!(code, 415);
    let (code, body) = raw(
        &s,
        "PUT",
        "packages/File%20System/P",
        &[&h, "Content-Type: multipart/form-data; boundary=x"],
        &support::small_package("P"),
    );
    assert_eq!(code, 415, "{body}");

    // A page of another site that asks with fetch() (Sec-Fetch-Site).
    let (code, _) = raw(
        &s,
        "DELETE",
        "folders/File%20System/Evil",
        &[&h, "Sec-Fetch-Site: cross-site"],
        b"",
    );
    assert_eq!(code, 403);

    // DNS rebinding: evil.example re-pointed at 127.0.0.1 is "same origin" for the browser,
    // but the Host it sends is its own name.
    let evil_host = format!("Host: evil.example:{}", port(&s));
    let (code, body) = raw(&s, "GET", "status", &[&evil_host], b"");
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("service.host_names"), "{body}");
    let (code, _) = raw(
        &s,
        "POST",
        "folders/File%20System/Evil",
        &[
            &evil_host,
            &format!("Origin: http://evil.example:{}", port(&s)),
        ],
        b"",
    );
    assert_eq!(code, 400);
    let (code, _) = raw(&s, "GET", "status", &["Host: localhost:1"], b"");
    assert_eq!(code, 400, "another port is another origin");
    assert!(!folder_exists(&s, "Evil"));

    // The service's own origin, names and media types pass.
    let own = format!("Origin: http://localhost:{}", port(&s));
    let (code, body) = raw(
        &s,
        "POST",
        "folders/File%20System/Mine",
        &[&format!("Host: localhost:{}", port(&s)), &own],
        b"",
    );
    assert_eq!(code, 201, "{body}");
    let (code, body) = raw(
        &s,
        "PATCH",
        "folders/File%20System/Mine",
        &[&h, "Content-Type: application/json; charset=utf-8", &own],
        br#"{"name":"Mine2"}"#,
    );
    assert_eq!(code, 200, "{body}");
    let (code, _) = raw(
        &s,
        "GET",
        "status",
        &[&h, "Origin: http://evil.example"],
        b"",
    );
    assert_eq!(
        code, 200,
        "reads carry no change; the browser keeps their answers from the page"
    );
}

/// The same rules on the Unix socket and on a listener that needs a bearer token.
#[test]
fn cross_site_requests_are_refused_on_authenticated_listeners() {
    let dir = support::temp_dir();
    let tokens = dir.path().join("tokens");
    let token = support::create_token(&tokens, "ops", "administrator");
    let s = Service::start_in(
        support::temp_dir(),
        support::Options {
            config: None,
            env: vec![
                (
                    "SSISD_SERVICE__UNAUTHENTICATED_LOOPBACK".into(),
                    "false".into(),
                ),
                (
                    "SSISD_ACCESS__TOKENS_FILE".into(),
                    tokens.display().to_string(),
                ),
            ],
        },
    );
    let bearer = format!("Authorization: Bearer {token}");
    let h = host(&s);
    let (code, _) = raw(&s, "POST", "folders/File%20System/A", &[&h, &bearer], b"");
    assert_eq!(code, 201);
    let (code, body) = raw(
        &s,
        "POST",
        "folders/File%20System/B",
        &[&h, &bearer, "Origin: http://evil.example"],
        b"",
    );
    assert_eq!(code, 403, "{body}");
    let (code, _) = raw(
        &s,
        "GET",
        "status",
        &[&format!("Host: rebound.example:{}", port(&s)), &bearer],
        b"",
    );
    assert_eq!(code, 400);

    // The socket: curl with a forged Host and Origin.
    let sock = |extra: &[&str], method: &str, path: &str| {
        let mut cmd = std::process::Command::new("curl");
        cmd.args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method])
            .arg("--unix-socket")
            .arg(s.socket());
        for e in extra {
            cmd.args(["-H", e]);
        }
        cmd.arg(format!("http://localhost/api/v1/{path}"));
        let out = cmd.output().expect("curl");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(sock(&[], "GET", "status"), "200");
    assert_eq!(sock(&["Host: evil.example"], "GET", "status"), "400");
    assert_eq!(
        sock(
            &["Origin: http://evil.example"],
            "POST",
            "folders/File%20System/C"
        ),
        "403"
    );
    assert_eq!(sock(&[], "POST", "folders/File%20System/C"), "201");
}

/// 128 emoji (512 bytes) or 100 × € (300 bytes) answered 500 ENAMETOOLONG; every place a
/// name becomes a file name answers 400 naming the limit.
#[test]
fn names_too_long_for_the_file_system_are_refused_with_400() {
    let s = Service::start();
    let emoji = "%F0%9F%98%80".repeat(128);
    let euro = "%E2%82%AC".repeat(100);
    assert_eq!(http(&s, "POST", "folders/File%20System/F", None).0, 201);
    for name in [&emoji, &euro] {
        let (code, body) = http(
            &s,
            "PUT",
            &format!("packages/File%20System/F/{name}"),
            Some(&support::small_package("P")),
        );
        let text = String::from_utf8_lossy(&body);
        assert_eq!(code, 400, "{text}");
        assert!(text.contains("250 bytes"), "{text}");
        let (code, body) = http(&s, "POST", &format!("folders/File%20System/{name}"), None);
        assert_eq!(code, 400, "{}", String::from_utf8_lossy(&body));
    }
    let (code, _) = http(
        &s,
        "PUT",
        "packages/File%20System/F/P",
        Some(&support::small_package("P")),
    );
    assert_eq!(code, 201);
    let long = "\u{20AC}".repeat(100);
    let rename = serde_json::json!({ "name": long }).to_string();
    for path in ["packages/File%20System/F/P", "folders/File%20System/F"] {
        let (code, body) = http(&s, "PATCH", path, Some(rename.as_bytes()));
        assert_eq!(code, 400, "{path}: {}", String::from_utf8_lossy(&body));
    }
    let copy =
        serde_json::json!({ "from": "File System/F/P", "to": format!("File System/F/{long}") })
            .to_string();
    assert_eq!(http(&s, "POST", "copy", Some(copy.as_bytes())).0, 400);
    let run = serde_json::json!({ "package": format!("File System/F/{long}") }).to_string();
    let (code, body) = http(&s, "POST", "running", Some(run.as_bytes()));
    assert_eq!(code, 400, "{}", String::from_utf8_lossy(&body));
}

/// A PUT of a large package, with room for a loaded machine (the request is bounded, not
/// timed: the answer must come, whatever its speed).
fn put_large(s: &Service, path: &str, body: &[u8]) -> (u16, String) {
    let result = ureq::put(&s.url(path))
        .set("Content-Type", "application/xml")
        .timeout(Duration::from_secs(300))
        .send_bytes(body);
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("PUT {path}: {e}"),
    };
    let status = response.status();
    (status, response.into_string().unwrap_or_default())
}

fn attribute_bomb(n: usize) -> Vec<u8> {
    let attrs: String = (0..n).map(|i| format!(" a{i}=\"\"")).collect();
    String::from_utf8(support::small_package("Bomb"))
        .unwrap()
        .replacen("DTS:refId=", &format!("{attrs} DTS:refId="), 1)
        .into_bytes()
}

fn depth_bomb(n: usize) -> Vec<u8> {
    String::from_utf8(support::small_package("Deep"))
        .unwrap()
        .replacen(
            "</DTS:Executable>",
            &format!("{}{}</DTS:Executable>", "<a>".repeat(n), "</a>".repeat(n)),
            1,
        )
        .into_bytes()
}

/// A million attributes on one element (12 MB, under the body limit) never got an answer; a
/// package 200,000 elements deep was stored, then crashed dtexec.
#[test]
fn packages_built_to_hang_or_crash_parsers_are_refused_naming_the_limit() {
    let s = Service::start();
    let (code, text) = put_large(
        &s,
        "packages/File%20System/Bomb",
        &attribute_bomb(1_000_000),
    );
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("more than 256 attributes"), "{text}");

    let (code, text) = put_large(&s, "packages/File%20System/Deep", &depth_bomb(200_000));
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("more than 256 deep"), "{text}");

    // A package the size of the body limit, wide but plausible: parsed (stored) or refused
    // with a 4xx that names why — answered either way.
    let limit = 64 * 1024 * 1024;
    let small = String::from_utf8(support::small_package("Big")).unwrap();
    let element = "<DTS:Variable DTS:ObjectName=\"v\" DTS:Namespace=\"User\"/>\n";
    let room = limit - small.len();
    let filler = element.repeat(room / element.len());
    let big = small.replacen(
        "</DTS:Executable>",
        &format!("{filler}</DTS:Executable>"),
        1,
    );
    assert!(big.len() <= limit);
    let (code, text) = put_large(&s, "packages/File%20System/Big", big.as_bytes());
    assert!(code == 201 || (400..500).contains(&code), "{code} {text}");
    // Over the limit: refused from its Content-Length, before the body is read (the service
    // may close the connection without reading it, so the body is not sent).
    drop(big);
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "PUT /api/v1/packages/File%20System/Over HTTP/1.1\r\nHost: {}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        s.addr,
        limit + 1024
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Still answering.
    assert_eq!(http(&s, "GET", "status", None).0, 200);
}

/// dtexec aborted (SIGABRT, stack overflow) on a package 200,000 elements deep.
#[test]
fn dtexec_ends_an_implausibly_deep_package_with_a_load_error() {
    let dir = support::temp_dir();
    let file = dir.path().join("deep.dtsx");
    std::fs::write(&file, depth_bomb(200_000)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .arg("/F")
        .arg(&file)
        .output()
        .unwrap();
    let (code, text) = support::exit_and_text(&out);
    assert_eq!(code, 5, "{text}");
    assert!(text.contains("more than 256 deep"), "{text}");

    std::fs::write(&file, attribute_bomb(1_000_000)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .arg("/F")
        .arg(&file)
        .output()
        .unwrap();
    let (code, text) = support::exit_and_text(&out);
    assert_eq!(code, 5, "{text}");
    assert!(text.contains("256 attributes"), "{text}");
}

/// SIGTERM while such an upload was being parsed: "ssisd stopped" was logged and the process
/// never ended.
#[test]
fn a_stop_during_a_hostile_upload_ends_the_service() {
    let mut s = Service::start();
    let url = s.url("packages/File%20System/Bomb");
    let bomb = attribute_bomb(1_000_000);
    let upload = std::thread::spawn(move || {
        let _ = ureq::put(&url)
            .set("Content-Type", "application/xml")
            .timeout(Duration::from_secs(60))
            .send_bytes(&bomb);
    });
    std::thread::sleep(Duration::from_millis(300));
    s.signal(libc::SIGTERM);
    // The documented bound (5 s), with room for a loaded machine.
    let status = s.wait_exit(Duration::from_secs(20));
    assert!(status.is_some(), "ssisd did not end after SIGTERM");
    upload.join().unwrap();
}

/// A 200,000-character `reporting` value was accepted (201), then the runner could not start
/// ("Argument list too long").
#[test]
fn run_requests_are_checked_before_they_are_accepted() {
    let s = Service::start();
    support::import_test_package(&s, "valid.dtsx", "File System/Seq");
    for body in [
        serde_json::json!({ "package": "File System/Seq", "reporting": "E".repeat(200_000) }),
        serde_json::json!({ "package": "File System/Seq", "reporting": "QZ" }),
        serde_json::json!({ "package": "File System/Seq", "set": ["no separator"] }),
        serde_json::json!({ "package": "File System/Seq", "set": vec!["\\Package.Variables[User::V].Value;1"; 300] }),
    ] {
        let (code, answer) = http(&s, "POST", "running", Some(body.to_string().as_bytes()));
        let text = String::from_utf8_lossy(&answer);
        assert_eq!(code, 400, "{text}");
        assert!(text.contains("run request is refused"), "{text}");
    }
    assert!(support::running(&s).is_empty());
}

/// Methods a route lacks: 405 with `Allow` and the JSON error body (404 on the fixed routes
/// and an empty body elsewhere before).
#[test]
fn methods_a_route_lacks_answer_405_with_allow() {
    let s = Service::start();
    for (method, path, allowed) in [
        ("DELETE", "status", "GET"),
        ("PUT", "running", "GET, POST"),
        ("POST", "folders/File%20System/F", ""),
        ("POST", "packages/File%20System/P", "PUT"),
        ("GET", "running/x/stop", "POST"),
        ("PATCH", "events", "GET"),
    ] {
        let (code, body) = raw(&s, method, path, &[&host(&s)], b"");
        if allowed.is_empty() {
            assert_ne!(code, 405, "{method} {path}");
            continue;
        }
        assert_eq!(code, 405, "{method} {path}: {body}");
        let v = json(body.as_bytes());
        assert_eq!(v["status"], 405, "{body}");
        assert!(
            v["message"].as_str().unwrap().contains(allowed),
            "{method} {path}: {body}"
        );
    }
    let response = ureq::request("DELETE", &s.url("status")).call();
    let Err(ureq::Error::Status(405, r)) = response else {
        panic!("DELETE /status is not 405");
    };
    assert_eq!(r.header("Allow"), Some("GET"));
}
