//! The web console end to end: its answers over HTTP (security headers, sign-in redirect, not
//! served on the Unix socket, a session's changes need the CSRF token), then one browser session
//! of Playwright driving Debian's Chromium headless (`tests/console_browser.py`) against a real
//! ssisd with tokens for an administrator, an operator and a limited user. Screenshots go to a
//! temporary directory, or to `SSISD_CONSOLE_SCREENSHOTS` when set (docs/console/ is made so).

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{browser_available, create_token, Options, Service};

fn console_service() -> (Service, tempfile::TempDir, [String; 3]) {
    let keys = support::temp_dir();
    let tokens = keys.path().join("tokens");
    let made = [
        create_token(&tokens, "ana", "administrator"),
        create_token(&tokens, "oscar", "operator"),
        create_token(&tokens, "lena", "limited-user"),
    ];
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
    let s = Service::start_in(support::temp_dir(), Options { config: None, env });
    (s, keys, made)
}

/// One plain HTTP/1.1 request; the whole answer as text (status line, headers, body).
fn raw(addr: &str, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn get(s: &Service, path: &str, extra: &str) -> String {
    raw(
        &s.addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\n{extra}Connection: close\r\n\r\n",
            s.addr
        ),
    )
}

fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split("\r\n\r\n").next()?;
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn pages_sessions_and_the_socket() {
    let (s, _keys, [admin, operator, _]) = console_service();

    // Without a session: the sign-in page, with the security headers.
    let answer = get(&s, "/packages/File%20System", "");
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    assert_eq!(
        header(&answer, "location"),
        Some("/login?next=%2Fpackages%2FFile%2520System")
    );
    let login = get(&s, "/login", "");
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    let csp = header(&login, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(&login, "x-frame-options"), Some("DENY"));
    let missing = get(&s, "/no/such/it's&more", "");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(header(&missing, "content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(missing.contains("/no/such/it's&amp;more"), "{missing}");
    let script = get(&s, "/assets/console-2.js", "");
    assert!(script.starts_with("HTTP/1.1 200"), "{script}");
    assert!(header(&script, "content-type")
        .unwrap()
        .starts_with("text/javascript"));

    // Signing in: a bad token is refused; a good one gets an HttpOnly SameSite=Strict cookie.
    let sign_in = |token: &str| {
        raw(
            &s.addr,
            &format!(
                "POST /session HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                s.addr
            ),
        )
    };
    assert!(sign_in("ssisd_nope_nope").starts_with("HTTP/1.1 401"));
    let answer = sign_in(&admin);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let cookie = header(&answer, "set-cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!answer.contains(&admin), "the token is never sent back");
    let session = cookie.split(';').next().unwrap().to_string();

    // The page names the caller and carries the CSRF token; never the bearer token.
    let page = get(&s, "/packages", &format!("Cookie: {session}\r\n"));
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("data-role=\"administrator\""), "{page}");
    assert!(!page.contains(&admin));
    let csrf = page
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    assert_eq!(csrf.len(), 64);

    // With the session the API answers; a change needs the CSRF token.
    let whoami = get(&s, "/api/v1/whoami", &format!("Cookie: {session}\r\n"));
    assert!(whoami.contains("\"identity\":\"ana\""), "{whoami}");
    let create = |with_csrf: bool| {
        let extra = if with_csrf {
            format!("X-CSRF-Token: {csrf}\r\n")
        } else {
            String::new()
        };
        raw(
            &s.addr,
            &format!(
                "POST /api/v1/folders/File%20System/Made%20In%20Console HTTP/1.1\r\nHost: {}\r\nCookie: {session}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n",
                s.addr
            ),
        )
    };
    let refused = create(false);
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(refused.contains("X-CSRF-Token"), "{refused}");
    let made = create(true);
    assert!(made.starts_with("HTTP/1.1 201"), "{made}");

    // Renaming a folder (the console's "Rename folder"): also a change, also needs the token.
    let rename = |session: &str, csrf: Option<&str>, from: &str, to: &str| {
        let extra = csrf
            .map(|c| format!("X-CSRF-Token: {c}\r\n"))
            .unwrap_or_default();
        let body = format!(r#"{{"name":"{to}"}}"#);
        raw(
            &s.addr,
            &format!(
                "PATCH /api/v1/folders/File%20System/{from} HTTP/1.1\r\nHost: {}\r\nCookie: {session}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                s.addr,
                body.len()
            ),
        )
    };
    let refused = rename(&session, None, "Made%20In%20Console", "Renamed <&> 'x'");
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    let renamed = rename(
        &session,
        Some(&csrf),
        "Made%20In%20Console",
        "Renamed & 'x'",
    );
    assert!(renamed.starts_with("HTTP/1.1 200"), "{renamed}");
    assert!(
        renamed.contains(r"\\File System\\Renamed & 'x'"),
        "{renamed}"
    );
    let listing = get(
        &s,
        "/api/v1/folders/File%20System",
        &format!("Cookie: {session}\r\n"),
    );
    assert!(
        listing.contains("Renamed & 'x'") && !listing.contains("Made In Console"),
        "{listing}"
    );

    // A schedule checked as it is typed (`?dry_run=true`): the service's own errors, or its next
    // run times; nothing stored.
    let package = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/running/quick.dtsx"),
    )
    .unwrap();
    let imported = raw(
        &s.addr,
        &format!(
            "PUT /api/v1/packages/File%20System/quick HTTP/1.1\r\nHost: {}\r\nCookie: {session}\r\nX-CSRF-Token: {csrf}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{package}",
            s.addr,
            package.len()
        ),
    );
    assert!(imported.starts_with("HTTP/1.1 201"), "{imported}");
    let dry_run = |def: &str| {
        raw(
            &s.addr,
            &format!(
                "POST /api/v1/schedules?dry_run=true HTTP/1.1\r\nHost: {}\r\nCookie: {session}\r\nX-CSRF-Token: {csrf}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{def}",
                s.addr,
                def.len()
            ),
        )
    };
    let bad = dry_run(r#"{"name":"nightly","package":"File System/quick","cron":"*/2 *"}"#);
    assert!(
        bad.starts_with("HTTP/1.1 400") && bad.contains("cron"),
        "{bad}"
    );
    let missing = dry_run(r#"{"name":"nightly","package":"File System/nope","cron":"0 3 * * *"}"#);
    assert!(
        missing.starts_with("HTTP/1.1 400") && missing.contains("does not exist"),
        "{missing}"
    );
    let good = dry_run(
        r#"{"name":"nightly","package":"File System/quick","cron":"0 3 * * *","time_zone":"Europe/Paris"}"#,
    );
    assert!(good.starts_with("HTTP/1.1 200"), "{good}");
    let preview: serde_json::Value =
        serde_json::from_str(good.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(preview["effective_time_zone"], "Europe/Paris", "{good}");
    assert_eq!(preview["next_runs"].as_array().unwrap().len(), 5, "{good}");
    let stored = get(
        &s,
        "/api/v1/schedules/nightly",
        &format!("Cookie: {session}\r\n"),
    );
    assert!(stored.starts_with("HTTP/1.1 404"), "{stored}");

    // A session of an operator offers no import; the role check stays the API's.
    let answer = sign_in(&operator);
    let op_session = header(&answer, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = get(&s, "/packages", &format!("Cookie: {op_session}\r\n"));
    let can = page
        .split("data-can=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap();
    assert!(can.split(' ').any(|a| a == "run"), "{can}");
    assert!(
        !can.split(' ')
            .any(|a| a == "import" || a == "change" || a == "folders"),
        "{can}"
    );
    // Not offered folder changes, and refused one anyway, CSRF token or not.
    let op_csrf = page
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let refused = rename(&op_session, Some(&op_csrf), "Renamed%20%26%20'x'", "Mine");
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");

    // Signing out ends the session.
    let out = raw(
        &s.addr,
        &format!(
            "DELETE /session HTTP/1.1\r\nHost: {}\r\nCookie: {session}\r\nX-CSRF-Token: {csrf}\r\nConnection: close\r\n\r\n",
            s.addr
        ),
    );
    assert!(out.starts_with("HTTP/1.1 204"), "{out}");
    let after = get(&s, "/api/v1/whoami", &format!("Cookie: {session}\r\n"));
    assert!(after.starts_with("HTTP/1.1 401"), "{after}");

    // The Unix socket does not serve the console.
    let mut unix = UnixStream::connect(s.socket()).unwrap();
    unix.write_all(b"GET /packages HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    unix.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(answer.contains("TCP listener only"), "{answer}");
}

#[test]
fn console_in_chromium() {
    if let Err(missing) = browser_available() {
        if std::env::var_os("CI").is_some() {
            panic!("the browser test cannot run: {missing}; ./scripts/test installs it");
        }
        println!("SKIPPED: the console browser test: {missing} (./scripts/test installs it)");
        return;
    }
    let (s, keys, [admin, operator, limited]) = console_service();
    let shots = std::env::var("SSISD_CONSOLE_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| keys.path().join("screenshots"));
    let tokens = serde_json::json!({"admin": admin, "operator": operator, "limited": limited});
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new("python3")
        .arg(root.join("tests/console_browser.py"))
        .env("SSISD_URL", format!("http://{}", s.addr))
        .env("SSISD_TOKENS", tokens.to_string())
        .env("SSISD_FIXTURES", root.join("tests/packages/running"))
        .env("SSISD_SHOTS", &shots)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(keys.path().join("browser.out")).unwrap())
        .stderr(std::fs::File::create(keys.path().join("browser.err")).unwrap())
        .spawn()
        .expect("python3 could not be started");
    // Bounded: a hung browser is killed and the test fails with what it printed.
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = std::fs::read_to_string(keys.path().join("browser.out")).unwrap_or_default();
    let err = std::fs::read_to_string(keys.path().join("browser.err")).unwrap_or_default();
    println!("{out}");
    assert!(
        status.is_some_and(|s| s.success()),
        "the browser test failed ({status:?}):\n{out}\n{err}\nservice stderr:\n{}",
        s.stderr()
    );
}
