//! Access control end to end: every role × every API operation, allowed or refused with a 403
//! and a reason, over the Unix socket (peer credentials of real local users — root only may act
//! as other users, so those parts print SKIPPED otherwise) and over TLS with bearer tokens and a
//! test CA; unauthenticated and wrong-token requests; rate limiting; client certificates;
//! revocation; the non-loopback start without TLS refused; the service account; packages run as
//! the runner account, apart from the service's data; links never followed while root.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{create_token, curl, is_root, json, small_package, Options, Service, TestPki, Via};

/// The four kinds of caller of the matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Admin,
    Operator,
    /// The limited user who imported the packages of the matrix.
    Owner,
    /// Another limited user.
    Other,
}

const ALL: [Who; 4] = [Who::Admin, Who::Operator, Who::Owner, Who::Other];

impl Who {
    fn tag(self) -> &'static str {
        match self {
            Who::Admin => "a",
            Who::Operator => "o",
            Who::Owner => "l",
            Who::Other => "x",
        }
    }
}

/// How each caller reaches the service in one transport.
trait Callers {
    fn via(&self, who: Who) -> Via<'_>;
}

/// Unix socket: root, and three uids without passwd entries (known as `uid:N`).
struct SocketCallers;
const OPERATOR_UID: u32 = 4_100_001;
const OWNER_UID: u32 = 4_100_002;
const OTHER_UID: u32 = 4_100_003;
const REFUSED_UID: u32 = 4_100_004;

impl Callers for SocketCallers {
    fn via(&self, who: Who) -> Via<'_> {
        Via::Socket(match who {
            Who::Admin => None,
            Who::Operator => Some((OPERATOR_UID, OPERATOR_UID)),
            Who::Owner => Some((OWNER_UID, OWNER_UID)),
            Who::Other => Some((OTHER_UID, OTHER_UID)),
        })
    }
}

/// TLS with one bearer token per caller.
struct TokenCallers {
    tokens: [String; 4],
    ca: PathBuf,
}

impl Callers for TokenCallers {
    fn via(&self, who: Who) -> Via<'_> {
        let i = ALL.iter().position(|w| *w == who).unwrap();
        Via::Tcp {
            token: Some(&self.tokens[i]),
            ca: Some(&self.ca),
            client_cert: None,
        }
    }
}

fn call(
    s: &Service,
    c: &dyn Callers,
    who: Who,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> (u16, serde_json::Value) {
    let (code, bytes) = curl(s, &c.via(who), method, path, body);
    let v = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (code, v)
}

/// Runs the whole role × operation matrix; returns the failures (empty when all hold).
fn matrix(s: &Service, c: &dyn Callers, owner_identity: &str) -> Vec<String> {
    let pkg = small_package("P");
    let long = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/running/sleep_long.dtsx"),
    )
    .unwrap();
    let mut failures = Vec::new();
    // Set-up: the administrator makes the folder and one package; the owner imports the rest.
    let setup = |who, method, path: &str, body: Option<&[u8]>, want: u16| {
        let (code, v) = call(s, c, who, method, path, body);
        assert_eq!(code, want, "set-up {method} {path}: {v}");
    };
    setup(Who::Admin, "POST", "folders/File%20System/M", None, 201);
    setup(
        Who::Admin,
        "PUT",
        "packages/File%20System/M/adminpkg",
        Some(&pkg),
        201,
    );
    setup(
        Who::Owner,
        "PUT",
        "packages/File%20System/M/exp",
        Some(&pkg),
        201,
    );
    setup(
        Who::Owner,
        "PUT",
        "packages/File%20System/M/run",
        Some(&pkg),
        201,
    );
    setup(
        Who::Owner,
        "PUT",
        "packages/File%20System/M/long",
        Some(&long),
        201,
    );
    for who in ALL {
        let folder = format!("folders/File%20System/M/rf_{}", who.tag());
        setup(Who::Admin, "POST", &folder, None, 201);
        let inside = format!("packages/File%20System/M/rf_{}/p", who.tag());
        setup(Who::Admin, "PUT", &inside, Some(&pkg), 201);
        for prefix in ["ren", "del", "ovw", "mv"] {
            let path = format!("packages/File%20System/M/{prefix}_{}", who.tag());
            setup(Who::Owner, "PUT", &path, Some(&pkg), 201);
        }
    }

    type Row = (
        &'static str,
        &'static str,
        String,
        Option<Vec<u8>>,
        [u16; 4],
    );
    let rows = |who: Who| -> Vec<Row> {
        let t = who.tag();
        let body = |v: serde_json::Value| Some(v.to_string().into_bytes());
        vec![
            ("status", "GET", "status".into(), None, [200, 200, 200, 200]),
            ("whoami", "GET", "whoami".into(), None, [200, 200, 200, 200]),
            (
                "top-level folders",
                "GET",
                "folders".into(),
                None,
                [200, 200, 200, 200],
            ),
            (
                "list folder",
                "GET",
                "folders/File%20System/M".into(),
                None,
                [200, 200, 200, 200],
            ),
            (
                "package exists",
                "HEAD",
                "packages/File%20System/M/exp".into(),
                None,
                [200, 200, 200, 200],
            ),
            (
                "export own",
                "GET",
                "packages/File%20System/M/exp".into(),
                None,
                [200, 200, 200, 403],
            ),
            (
                "export other's",
                "GET",
                "packages/File%20System/M/adminpkg".into(),
                None,
                [200, 200, 403, 403],
            ),
            (
                "import",
                "PUT",
                format!("packages/File%20System/M/new_{t}"),
                Some(pkg.clone()),
                [201, 403, 201, 201],
            ),
            (
                "replace",
                "PUT",
                format!("packages/File%20System/M/ovw_{t}?overwrite=true"),
                Some(pkg.clone()),
                [200, 403, 200, 403],
            ),
            (
                "rename package",
                "PATCH",
                format!("packages/File%20System/M/ren_{t}"),
                body(serde_json::json!({"name": format!("ren2_{t}")})),
                [200, 403, 200, 403],
            ),
            (
                "delete package",
                "DELETE",
                format!("packages/File%20System/M/del_{t}"),
                None,
                [204, 403, 204, 403],
            ),
            (
                "create folder",
                "POST",
                format!("folders/File%20System/M/f_{t}"),
                None,
                [201, 403, 201, 201],
            ),
            (
                "rename folder",
                "PATCH",
                format!("folders/File%20System/M/f_{t}"),
                body(serde_json::json!({"name": format!("g_{t}")})),
                [200, 403, 200, 200],
            ),
            (
                "delete folder",
                "DELETE",
                format!("folders/File%20System/M/g_{t}"),
                None,
                [204, 403, 204, 204],
            ),
            (
                "delete folder with content",
                "DELETE",
                format!("folders/File%20System/M/rf_{t}?recursive=true"),
                None,
                [204, 403, 403, 403],
            ),
            (
                "copy",
                "POST",
                "copy".into(),
                body(
                    serde_json::json!({"from": "File System/M/exp", "to": format!("File System/M/cp_{t}")}),
                ),
                [201, 403, 201, 403],
            ),
            (
                "move",
                "POST",
                "move".into(),
                body(
                    serde_json::json!({"from": format!("File System/M/mv_{t}"), "to": format!("File System/M/mvd_{t}")}),
                ),
                [201, 403, 201, 403],
            ),
            (
                "run",
                "POST",
                "running".into(),
                body(serde_json::json!({"package": "File System/M/run"})),
                [201, 201, 201, 403],
            ),
            (
                "list runs",
                "GET",
                "running".into(),
                None,
                [200, 200, 200, 200],
            ),
            (
                "read events",
                "GET",
                "events?limit=5".into(),
                None,
                [200, 200, 403, 403],
            ),
            (
                "reload",
                "POST",
                "reload".into(),
                None,
                [200, 403, 403, 403],
            ),
        ]
    };
    for who in ALL {
        let i = ALL.iter().position(|w| *w == who).unwrap();
        for (name, method, path, body, want) in rows(who) {
            let (code, v) = call(s, c, who, method, &path, body.as_deref());
            if code != want[i] {
                failures.push(format!(
                    "{who:?} {name} ({method} {path}): got {code}, expected {}: {v}",
                    want[i]
                ));
            } else if code == 403 {
                let reason = v["message"].as_str().unwrap_or("");
                if reason.is_empty() {
                    failures.push(format!("{who:?} {name}: 403 without a reason"));
                }
            }
        }
    }

    // Runs: the owner starts a long run; who may see and stop it.
    let (code, started) = call(
        s,
        c,
        Who::Owner,
        "POST",
        "running",
        Some(br#"{"package": "File System/M/long"}"#),
    );
    assert_eq!(code, 201, "{started}");
    let id = started["id"].as_str().unwrap().to_string();
    assert_eq!(started["user"], owner_identity);
    for (who, want) in [
        (Who::Admin, 200),
        (Who::Operator, 200),
        (Who::Owner, 200),
        (Who::Other, 403),
    ] {
        let (code, v) = call(s, c, who, "GET", &format!("running/{id}"), None);
        if code != want {
            failures.push(format!(
                "{who:?} view run: got {code}, expected {want}: {v}"
            ));
        }
        let (_, list) = call(s, c, who, "GET", "running", None);
        let listed = list["running"]
            .as_array()
            .map(|a| a.iter().any(|r| r["id"] == id.as_str()))
            .unwrap_or(false);
        if listed != (want == 200) {
            failures.push(format!("{who:?} run list shows the owner's run: {listed}"));
        }
    }
    let (code, v) = call(
        s,
        c,
        Who::Other,
        "POST",
        &format!("running/{id}/stop"),
        None,
    );
    if code != 403 {
        failures.push(format!("Other stop run: got {code}: {v}"));
    }
    let (code, v) = call(
        s,
        c,
        Who::Operator,
        "POST",
        &format!("running/{id}/stop"),
        None,
    );
    if code != 202 {
        failures.push(format!("Operator stop run: got {code}: {v}"));
    }

    // Every change carries the caller's identity in the event log.
    let (_, events) = call(
        s,
        c,
        Who::Admin,
        "GET",
        "events?event_id=1023&limit=1000",
        None,
    );
    let by_owner = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["fields"]["identity"] == owner_identity)
        .count();
    if by_owner == 0 {
        failures.push(format!("no import event names {owner_identity}: {events}"));
    }
    let (_, denials) = call(
        s,
        c,
        Who::Admin,
        "GET",
        "events?event_id=1042&limit=1000",
        None,
    );
    if denials["events"].as_array().map_or(0, Vec::len) == 0 {
        failures.push("no access-denied event (1042) was written".into());
    }
    let (_, stops) = call(
        s,
        c,
        Who::Admin,
        "GET",
        "events?event_id=1032&limit=10",
        None,
    );
    if stops["events"].as_array().map_or(0, Vec::len) == 0 {
        failures.push("no stop-requested event (1032) was written".into());
    }
    failures
}

fn access_service(extra_env: &[(&str, String)], config: Option<PathBuf>) -> Service {
    let temp = support::temp_dir();
    // Other local users must reach the socket below the temporary directory.
    std::fs::set_permissions(
        temp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut env = vec![(
        "SSISD_SERVICE__UNAUTHENTICATED_LOOPBACK".to_string(),
        "false".to_string(),
    )];
    env.extend(extra_env.iter().map(|(k, v)| (k.to_string(), v.clone())));
    Service::start_in(temp, Options { config, env })
}

fn write_config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = support::temp_dir();
    let p = dir.path().join("ssisd.toml");
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

#[test]
fn role_matrix_over_the_unix_socket() {
    if !is_root() {
        println!("SKIPPED: acting as other local users needs root");
        return;
    }
    // Members of the admin group are administrators: Debian's `adm` group (gid 4) stands in.
    let adm = std::fs::read_to_string("/etc/group")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("adm:x:4:"));
    let (_cfg_dir, cfg) = write_config(&format!(
        "[access]\nlocal_role = \"limited-user\"\nadmin_group = \"adm\"\n\
         [[access.identity]]\nname = \"uid:{OPERATOR_UID}\"\nrole = \"operator\"\n\
         [[access.identity]]\nname = \"uid:{REFUSED_UID}\"\nrole = \"none\"\n"
    ));
    let s = access_service(&[], Some(cfg));
    let failures = matrix(&s, &SocketCallers, &format!("uid:{OWNER_UID}"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let (code, who) = call(&s, &SocketCallers, Who::Operator, "GET", "whoami", None);
    assert_eq!(code, 200);
    assert_eq!(who["identity"], format!("uid:{OPERATOR_UID}"));
    assert_eq!(who["role"], "operator");
    assert!(
        who["via"]
            .as_str()
            .unwrap()
            .starts_with("unix socket (uid 4100001"),
        "{who}"
    );
    let (code, admin) = call(&s, &SocketCallers, Who::Admin, "GET", "whoami", None);
    assert_eq!((code, admin["role"].as_str()), (200, Some("administrator")));

    if adm {
        let (code, body) = curl(
            &s,
            &Via::Socket(Some((REFUSED_UID + 1, 4))),
            "GET",
            "whoami",
            None,
        );
        assert_eq!(code, 200);
        assert_eq!(
            json(&body)["role"],
            "administrator",
            "a member of admin_group"
        );
    } else {
        println!("SKIPPED: no adm group (gid 4) to test access.admin_group with");
    }

    // A local user whose role is "none" is refused everything, with the reason.
    let (code, body) = curl(
        &s,
        &Via::Socket(Some((REFUSED_UID, REFUSED_UID))),
        "GET",
        "status",
        None,
    );
    assert_eq!(code, 403);
    assert!(String::from_utf8_lossy(&body).contains("has no access"));
}

fn tls_env(pki: &TestPki, tokens: &Path) -> Vec<(&'static str, String)> {
    vec![
        (
            "SSISD_ACCESS__TLS_CERTIFICATE",
            pki.cert.display().to_string(),
        ),
        ("SSISD_ACCESS__TLS_KEY", pki.key.display().to_string()),
        ("SSISD_ACCESS__CLIENT_CA", pki.ca.display().to_string()),
        ("SSISD_ACCESS__TOKENS_FILE", tokens.display().to_string()),
    ]
}

#[test]
fn role_matrix_over_tls_with_tokens() {
    let pki = TestPki::new();
    let tokens = pki.dir.path().join("tokens");
    let made = [
        create_token(&tokens, "ana", "administrator"),
        create_token(&tokens, "oscar", "operator"),
        create_token(&tokens, "lena", "limited-user"),
        create_token(&tokens, "xavier", "limited-user"),
    ];
    let s = access_service(&tls_env(&pki, &tokens), None);
    assert!(s.tls, "the TCP listener should speak TLS");
    let callers = TokenCallers {
        tokens: made.clone(),
        ca: pki.ca.clone(),
    };
    let failures = matrix(&s, &callers, "lena");
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let (_, who) = call(&s, &callers, Who::Operator, "GET", "whoami", None);
    assert_eq!(who["identity"], "oscar");
    assert!(who["via"].as_str().unwrap().starts_with("token "), "{who}");

    // No credentials over TLS: 401 with a way forward.
    let anonymous = Via::Tcp {
        token: None,
        ca: Some(&pki.ca),
        client_cert: None,
    };
    let (code, body) = curl(&s, &anonymous, "GET", "status", None);
    assert_eq!(code, 401);
    assert!(String::from_utf8_lossy(&body).contains("ssisd token create"));

    // ssisctl reaches it by name over TLS with a token and the CA, as a remote client does.
    let port = s.addr.rsplit(':').next().unwrap().to_string();
    let ssisctl = |token: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ssisctl"));
        c.args([
            "--server",
            &format!("https://localhost:{port}"),
            "--ca-file",
        ])
        .arg(&pki.ca)
        .arg("whoami")
        .env_remove("SSISD_TOKEN")
        .env_remove("SSISD_TOKEN_FILE");
        if let Some(t) = token {
            c.env("SSISD_TOKEN", t);
        }
        c.output().unwrap()
    };
    let out = ssisctl(Some(&made[1]));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("oscar (operator)"), "{said}");
    let out = ssisctl(None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ssisd token create"));

    // The secrets never reach the event log.
    let (_, events) = call(&s, &callers, Who::Admin, "GET", "events?limit=5000", None);
    let text = events.to_string();
    for t in &made {
        let secret = t.rsplit('_').next().unwrap();
        assert!(!text.contains(secret), "a token secret is in the event log");
    }
}

#[test]
fn client_certificates_map_to_identities() {
    let pki = TestPki::new();
    let tokens = pki.dir.path().join("tokens");
    let (_cfg_dir, cfg) = write_config(
        "[[access.certificate]]\nname = \"etl-host\"\nidentity = \"etl\"\nrole = \"operator\"\n",
    );
    let s = access_service(&tls_env(&pki, &tokens), Some(cfg));
    let (cert, key) = pki.client("etl-host");
    let mapped = Via::Tcp {
        token: None,
        ca: Some(&pki.ca),
        client_cert: Some((&cert, &key)),
    };
    let (code, body) = curl(&s, &mapped, "GET", "whoami", None);
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    let who = json(&body);
    assert_eq!(who["identity"], "etl");
    assert_eq!(who["role"], "operator");
    // An operator may not import.
    let (code, _) = curl(
        &s,
        &mapped,
        "PUT",
        "packages/File%20System/x",
        Some(&small_package("x")),
    );
    assert_eq!(code, 403);

    let (cert, key) = pki.client("stranger");
    let unmapped = Via::Tcp {
        token: None,
        ca: Some(&pki.ca),
        client_cert: Some((&cert, &key)),
    };
    let (code, body) = curl(&s, &unmapped, "GET", "whoami", None);
    assert_eq!(code, 401);
    assert!(String::from_utf8_lossy(&body).contains("not mapped"));
}

#[test]
fn wrong_tokens_are_rate_limited_and_logged_without_secrets() {
    let dir = support::temp_dir();
    let tokens = dir.path().join("tokens");
    let good = create_token(&tokens, "ana", "administrator");
    let s = access_service(
        &[
            ("SSISD_ACCESS__TOKENS_FILE", tokens.display().to_string()),
            ("SSISD_ACCESS__MAX_FAILED_AUTHENTICATIONS", "3".into()),
        ],
        None,
    );
    let wrong =
        "ssisd_000000000000_00000000000000000000000000000000000000000000000000000000deadbeef";
    let with = |token| Via::Tcp {
        token: Some(token),
        ca: None,
        client_cert: None,
    };
    for _ in 0..3 {
        let (code, _) = curl(&s, &with(wrong), "GET", "status", None);
        assert_eq!(code, 401);
    }
    let (code, body) = curl(&s, &with(wrong), "GET", "status", None);
    assert_eq!(code, 429, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("retry in"));
    // A guesser does not lock out the rightful users of that address: a good token passes,
    // another wrong one is still refused.
    let (code, _) = curl(&s, &with(&good), "GET", "status", None);
    assert_eq!(code, 200);
    let (code, _) = curl(&s, &with(wrong), "GET", "status", None);
    assert_eq!(code, 429);
    // The Unix socket is not affected; the events name the peer, never the token.
    let (code, events) = curl(
        &s,
        &Via::Socket(None),
        "GET",
        "events?event_id=1040,1041&limit=100",
        None,
    );
    assert_eq!(code, 200);
    let events = json(&events);
    let list = events["events"].as_array().unwrap();
    assert_eq!(
        list.iter().filter(|e| e["event_id"] == 1040).count(),
        3,
        "{events}"
    );
    assert_eq!(
        list.iter().filter(|e| e["event_id"] == 1041).count(),
        1,
        "{events}"
    );
    assert!(!events.to_string().contains("deadbeef"));
}

#[test]
fn revoked_tokens_stop_working_without_a_restart() {
    let dir = support::temp_dir();
    let tokens = dir.path().join("tokens");
    let token = create_token(&tokens, "etl", "operator");
    let s = access_service(
        &[("SSISD_ACCESS__TOKENS_FILE", tokens.display().to_string())],
        None,
    );
    let via = Via::Tcp {
        token: Some(&token),
        ca: None,
        client_cert: None,
    };
    let (code, body) = curl(&s, &via, "GET", "whoami", None);
    assert_eq!(code, 200);
    assert_eq!(json(&body)["identity"], "etl");
    let out = Command::new(support::ssisd_bin())
        .args(["token", "--tokens-file"])
        .arg(&tokens)
        .args(["revoke", "etl"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = Command::new(support::ssisd_bin())
        .args(["token", "--tokens-file"])
        .arg(&tokens)
        .arg("list")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("etl"));
    let (code, _) = curl(&s, &via, "GET", "whoami", None);
    assert_eq!(code, 401);
}

#[test]
fn plain_loopback_needs_credentials_unless_configured() {
    let s = access_service(&[], None);
    let anonymous = Via::Tcp {
        token: None,
        ca: None,
        client_cert: None,
    };
    let (code, _) = curl(&s, &anonymous, "GET", "status", None);
    assert_eq!(code, 401);
    // The local socket works for the test's own user.
    let (code, body) = curl(&s, &Via::Socket(None), "GET", "whoami", None);
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    assert!(json(&body)["via"]
        .as_str()
        .unwrap()
        .starts_with("unix socket"));
    // The OpenAPI description is public.
    let (code, _) = curl(&s, &anonymous, "GET", "openapi.json", None);
    assert_eq!(code, 200);

    // With service.unauthenticated_loopback = true, plain loopback acts as administrator and
    // the event log says so.
    let open = Service::start();
    let (code, body) = curl(&open, &anonymous, "GET", "whoami", None);
    assert_eq!(code, 200);
    let who = json(&body);
    assert_eq!(who["role"], "administrator");
    assert!(who["via"]
        .as_str()
        .unwrap()
        .starts_with("unauthenticated loopback"));
    assert!(open.event_codes(50).contains(&1043));
}

#[test]
fn a_non_loopback_address_without_tls_is_refused() {
    let dir = support::temp_dir();
    let check = |env: &[(&str, &str)]| {
        let mut c = Command::new(support::ssisd_bin());
        c.env_remove("SSISD_CONFIG")
            .env("SSISD_SERVICE__DATA_DIR", dir.path().join("data"))
            .env("SSISD_SERVICE__RUNTIME_DIR", dir.path().join("run"))
            .env("SSISD_SERVICE__LISTEN", "0.0.0.0:0");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = check(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("service.listen") && err.contains("TLS"),
        "{err}"
    );
    assert!(err.contains("a way to authenticate"), "{err}");
    let (code, err) = check(&[("SSISD_ACCESS__TOKENS_FILE", "/nonexistent/tokens")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("TLS (access.tls_certificate"), "{err}");
    assert!(!err.contains("a way to authenticate"), "{err}");
}

#[test]
fn root_drops_to_the_service_account() {
    if !is_root() {
        println!("SKIPPED: dropping privileges needs root");
        return;
    }
    let s = access_service(
        &[
            ("SSISD_SERVICE__USER", "nobody".into()),
            ("SSISD_SERVICE__ALLOW_ROOT_RUNNERS", "false".into()),
        ],
        None,
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.pid())).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    let uids: Vec<&str> = uid_line.split_whitespace().skip(1).collect();
    assert!(uids.iter().all(|u| *u != "0"), "{uid_line}");
    let meta = std::fs::metadata(&s.data_dir).unwrap();
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&meta).to_string(),
        uids[0]
    );
    // Root still administers it through the socket; runs are allowed (they run as nobody).
    let (code, body) = curl(&s, &Via::Socket(None), "GET", "whoami", None);
    assert_eq!(code, 200);
    assert_eq!(json(&body)["role"], "administrator");
    let (code, body) = curl(&s, &Via::Socket(None), "GET", "events?event_id=1044", None);
    assert_eq!(code, 200);
    assert_eq!(json(&body)["events"].as_array().unwrap().len(), 1);
}

/// Root without `service.user`, `service.runner_user` or `service.allow_root_runners`: runs are
/// not refused (they were once, at the first run); they take a dynamic unprivileged id instead.
#[test]
fn runs_of_a_root_service_without_the_setting_take_a_dynamic_id() {
    if !is_root() {
        println!("SKIPPED: the service runs as root only when the tests do");
        return;
    }
    let s = access_service(
        &[("SSISD_SERVICE__ALLOW_ROOT_RUNNERS", "false".into())],
        None,
    );
    assert!(
        s.banner
            .iter()
            .any(|l| l.starts_with("ssisd packages run as: uid ")),
        "{:?}",
        s.banner
    );
    let (code, _) = curl(
        &s,
        &Via::Socket(None),
        "PUT",
        "packages/File%20System/p",
        Some(&small_package("p")),
    );
    assert_eq!(code, 201);
    let (code, body) = curl(
        &s,
        &Via::Socket(None),
        "POST",
        "running",
        Some(br#"{"package": "File System/p"}"#),
    );
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
}

/// An existing unprivileged account other than `nobody` to run packages as: (name, uid, gid).
fn runner_account() -> Option<(String, u32, u32)> {
    ["daemon", "games", "bin", "www-data"]
        .iter()
        .find_map(|name| {
            let a = ssisd::access::local_user::account_by_name(name).ok()?;
            (a.uid != 0 && a.uid != 65534).then_some((a.name, a.uid, a.gid))
        })
}

/// Events with this id, read over the socket as root (the access services refuse plain TCP).
fn socket_events(s: &Service, code: u32, execution_id: &str) -> Vec<serde_json::Value> {
    let (status, body) = curl(
        s,
        &Via::Socket(None),
        "GET",
        &format!("events?event_id={code}&limit=1000"),
        None,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    json(&body)["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["fields"]["execution_id"] == execution_id)
        .collect()
}

/// Starts a stored package over the socket as root; returns the execution id.
fn socket_run(s: &Service, package: &str) -> String {
    let body = serde_json::json!({ "package": package }).to_string();
    let (code, answer) = curl(
        s,
        &Via::Socket(None),
        "POST",
        "running",
        Some(body.as_bytes()),
    );
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&answer));
    json(&answer)["id"].as_str().unwrap().to_string()
}

fn mode_of(p: &Path) -> u32 {
    std::os::unix::fs::MetadataExt::mode(&std::fs::symlink_metadata(p).unwrap()) & 0o7777
}

fn owner_of(p: &Path) -> u32 {
    std::os::unix::fs::MetadataExt::uid(&std::fs::symlink_metadata(p).unwrap())
}

/// The (real, effective, saved) ids of a process from a `Uid:` or `Gid:` line of its status.
fn proc_ids(pid: i32, field: &str) -> Vec<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect()
}

#[test]
fn packages_run_as_the_runner_account_apart_from_the_service() {
    use std::time::Duration;
    if !is_root() {
        println!("SKIPPED: running packages as another account needs root");
        return;
    }
    let Some((runner, runner_uid, runner_gid)) = runner_account() else {
        println!("SKIPPED: no unprivileged account besides nobody (daemon, games, bin, www-data)");
        return;
    };
    let s = access_service(
        &[
            ("SSISD_SERVICE__USER", "nobody".into()),
            ("SSISD_SERVICE__RUNNER_USER", runner.clone()),
            ("SSISD_SERVICE__ALLOW_ROOT_RUNNERS", "false".into()),
        ],
        None,
    );
    // The service: nobody, with the runner's ids as saved ids only, no supplementary group.
    assert_eq!(proc_ids(s.pid(), "Uid:"), [65534, 65534, runner_uid, 65534]);
    assert_eq!(proc_ids(s.pid(), "Gid:"), [65534, 65534, runner_gid, 65534]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.pid())).unwrap();
    let groups = status.lines().find(|l| l.starts_with("Groups:")).unwrap();
    assert_eq!(groups.trim(), "Groups:", "{groups}");

    // What the package's process may do, written where the test lets anyone write.
    let out_dir = support::temp_dir();
    std::fs::set_permissions(
        out_dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let out = out_dir.path().join("out");
    std::fs::write(&out, "").unwrap();
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let data = s.data_dir.display().to_string();
    let o = out.display().to_string();
    let script = [
        format!("id -u > {o}"),
        format!("id -G >> {o}"),
        format!("cat {data}/owners.db > /dev/null 2>&1; echo $? >> {o}"),
        format!("cat {data}/events.db > /dev/null 2>&1; echo $? >> {o}"),
        format!("(: > {data}/Packages/intruder.dtsx) 2>/dev/null; echo $? >> {o}"),
        format!("ls {data}/runs > /dev/null 2>&1; echo $? >> {o}"),
        format!("(: > ./here) 2>/dev/null; echo $? >> {o}"),
        format!("cat ./package.dtsx > /dev/null; echo $? >> {o}"),
    ]
    .join("; ")
    .replace('&', "&amp;")
    .replace('>', "&gt;");
    let package = format!(
        r#"<?xml version="1.0"?>
<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package" DTS:CreationName="Microsoft.Package" DTS:DTSID="{{44444444-0000-4000-8000-000000000001}}" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="apart" DTS:ProtectionLevel="0">
  <DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>
  <DTS:Variables></DTS:Variables>
  <DTS:Executables><DTS:Executable DTS:refId="Package\Step" DTS:CreationName="Microsoft.ExecuteProcess" DTS:DTSID="{{44444444-0000-4000-8000-000000000002}}" DTS:ExecutableType="Microsoft.ExecuteProcess" DTS:ObjectName="Step"><DTS:Variables /><DTS:ObjectData><ExecuteProcessData Executable="/bin/sh" Arguments='-c "{script}"' /></DTS:ObjectData></DTS:Executable></DTS:Executables>
  <DTS:PrecedenceConstraints></DTS:PrecedenceConstraints>
</DTS:Executable>
"#
    );
    let (code, body) = curl(
        &s,
        &Via::Socket(None),
        "PUT",
        "packages/File%20System/apart",
        Some(package.as_bytes()),
    );
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
    let id = socket_run(&s, "File System/apart");
    // The run's events reached the service: it succeeded.
    let done = Service::eventually(Duration::from_secs(30), || {
        socket_events(&s, 12289, &id)
            .into_iter()
            .next()
            .or_else(|| {
                let failed = socket_events(&s, 12291, &id);
                assert!(failed.is_empty(), "the run failed: {failed:?}");
                None
            })
    });
    assert_eq!(done["fields"]["outcome"], "succeeded", "{done}");
    let said = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 8, "{said}");
    assert_eq!(lines[0], runner_uid.to_string(), "the runner's uid: {said}");
    assert_eq!(
        lines[1],
        runner_gid.to_string(),
        "the runner's groups only: {said}"
    );
    for (i, what) in [
        (2, "read owners.db"),
        (3, "read events.db"),
        (4, "write the Packages folder"),
        (5, "list the runs"),
        (6, "create a file in its run directory"),
    ] {
        assert_ne!(lines[i], "0", "the runner could {what}: {said}");
    }
    assert_eq!(lines[7], "0", "the runner reads its package: {said}");
    assert!(!s.data_dir.join("Packages/intruder.dtsx").exists());

    // Modes: the service's files are its own; the run directory is traversable only.
    let run_dir = s.data_dir.join("runs").join(&id);
    let stream = std::fs::read_to_string(run_dir.join("events.jsonl")).unwrap();
    assert!(
        stream.contains("\"run_end\"") && stream.contains("\"success\""),
        "the runner appended its event stream: {stream}"
    );
    for (p, mode) in [
        (s.data_dir.clone(), 0o711),
        (s.data_dir.join("runs"), 0o711),
        (run_dir.clone(), 0o711),
        (run_dir.join("package.dtsx"), 0o644),
        (run_dir.join("events.jsonl"), 0o622),
        (run_dir.join("stdout.log"), 0o622),
        (run_dir.join("stderr.log"), 0o622),
        (s.data_dir.join("owners.db"), 0o600),
        (s.data_dir.join("events.db"), 0o600),
        (s.data_dir.join("Packages"), 0o700),
        (s.data_dir.join("Packages/apart.dtsx"), 0o600),
    ] {
        assert_eq!(mode_of(&p), mode, "{}", p.display());
        assert_eq!(owner_of(&p), 65534, "{}", p.display());
    }

    // A runner of another account is still stopped through the API.
    let sleep = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/running/sleep_long.dtsx"),
    )
    .unwrap();
    let (code, _) = curl(
        &s,
        &Via::Socket(None),
        "PUT",
        "packages/File%20System/sleep_long",
        Some(&sleep),
    );
    assert_eq!(code, 201);
    let running_pid = |id: &str| {
        Service::eventually(Duration::from_secs(20), || {
            let (_, body) = curl(
                &s,
                &Via::Socket(None),
                "GET",
                &format!("running/{id}"),
                None,
            );
            let run = serde_json::from_slice::<serde_json::Value>(&body).ok()?;
            if run["state"] == "running" {
                run["pid"].as_i64()
            } else {
                None
            }
        }) as i32
    };
    let id = socket_run(&s, "File System/sleep_long");
    let pid = running_pid(&id);
    assert_eq!(proc_ids(pid, "Uid:"), [runner_uid; 4]);
    let (code, _) = curl(
        &s,
        &Via::Socket(None),
        "POST",
        &format!("running/{id}/stop"),
        None,
    );
    assert_eq!(code, 202);
    let stopped = Service::eventually(Duration::from_secs(20), || {
        socket_events(&s, 12290, &id).into_iter().next()
    });
    assert_eq!(stopped["fields"]["outcome"], "cancelled", "{stopped}");
    Service::eventually(Duration::from_secs(10), || {
        (!support::pid_alive(pid)).then_some(())
    });
    // And told to stop when the service stops.
    let id = socket_run(&s, "File System/sleep_long");
    let pid = running_pid(&id);
    let mut s = s;
    assert!(s.stop().success());
    Service::eventually(Duration::from_secs(10), || {
        (!support::pid_alive(pid)).then_some(())
    });
}

#[test]
fn links_in_the_runtime_and_data_directories_are_not_followed() {
    if !is_root() {
        println!("SKIPPED: only root follows links into others' files");
        return;
    }
    let outside = support::temp_dir();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let victim_dir = outside.path().join("victim-dir");
    std::fs::create_dir(&victim_dir).unwrap();
    std::fs::write(victim_dir.join("inside"), "precious").unwrap();
    let linked = outside.path().join("hard-linked");
    std::fs::write(&linked, "precious").unwrap();
    let untouched = |why: &str| {
        for p in [&victim, &victim_dir, &victim_dir.join("inside"), &linked] {
            assert_eq!(owner_of(p), 0, "{why}: {}", p.display());
        }
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious",
            "{why}"
        );
    };
    let env = |extra: &[(&str, &str)]| Options {
        config: None,
        env: [
            ("SSISD_SERVICE__USER", "nobody"),
            ("SSISD_SERVICE__UNAUTHENTICATED_LOOPBACK", "false"),
            ("SSISD_SERVICE__ALLOW_ROOT_RUNNERS", "false"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    };

    // A link in place of the lock file: the start is refused, the file it names untouched.
    let temp = support::temp_dir();
    std::fs::create_dir(temp.path().join("run")).unwrap();
    std::os::unix::fs::symlink(&victim, temp.path().join("run/ssisd.lock")).unwrap();
    let refused = Service::spawn(temp.path(), &env(&[]))
        .err()
        .expect("a start");
    assert!(refused.contains("symbolic link"), "{refused}");
    untouched("lock link");

    // Links and a hard link inside the data directory: given away themselves, never what they
    // name.
    std::fs::remove_file(temp.path().join("run/ssisd.lock")).unwrap();
    let data = temp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::os::unix::fs::symlink(&victim, data.join("link-to-file")).unwrap();
    std::os::unix::fs::symlink(&victim_dir, data.join("link-to-dir")).unwrap();
    std::fs::hard_link(&linked, data.join("hard")).unwrap();
    let mut s = Service::spawn(temp.path(), &env(&[])).unwrap();
    assert_eq!(owner_of(&data), 65534);
    assert_eq!(owner_of(&data.join("link-to-file")), 65534);
    assert_eq!(owner_of(&data.join("link-to-dir")), 65534);
    untouched("data links");
    assert!(s.stop().success());

    // The data directory itself a link: refused, naming the setting.
    let temp = support::temp_dir();
    std::os::unix::fs::symlink(&victim_dir, temp.path().join("data")).unwrap();
    let refused = Service::spawn(temp.path(), &env(&[]))
        .err()
        .expect("a start");
    assert!(
        refused.contains("service.data_dir") && refused.contains("symbolic link"),
        "{refused}"
    );
    untouched("data directory link");

    // A data directory that belongs to someone else: refused, naming the setting.
    let temp = support::temp_dir();
    let data = temp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("theirs"), "x").unwrap();
    std::os::unix::fs::chown(&data, Some(4_100_020), Some(4_100_020)).unwrap();
    let refused = Service::spawn(temp.path(), &env(&[]))
        .err()
        .expect("a start");
    assert!(
        refused.contains("service.data_dir") && refused.contains("uid 4100020"),
        "{refused}"
    );
    assert_eq!(owner_of(&data.join("theirs")), 0);
}

#[test]
fn a_runner_account_needs_the_start_as_root() {
    use std::os::unix::process::CommandExt;
    let temp = support::temp_dir();
    std::fs::set_permissions(
        temp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let mut cmd = Command::new(support::ssisd_bin());
    cmd.env_remove("SSISD_CONFIG")
        .env("SSISD_SERVICE__DATA_DIR", temp.path().join("data"))
        .env("SSISD_SERVICE__RUNTIME_DIR", temp.path().join("run"))
        .env("SSISD_SERVICE__LISTEN", "127.0.0.1:0")
        .env("SSISD_SERVICE__USER", "nobody")
        .env("SSISD_SERVICE__RUNNER_USER", "daemon");
    if is_root() {
        // As an ordinary account, which root may become.
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("service.runner_user") && err.contains("as root"),
        "{err}"
    );
    assert!(!temp.path().join("run/ssisd.lock").exists());
}

#[test]
fn an_open_event_stream_ends_when_its_token_is_revoked() {
    let dir = support::temp_dir();
    let tokens = dir.path().join("tokens");
    let token = create_token(&tokens, "watcher", "operator");
    let s = access_service(
        &[("SSISD_ACCESS__TOKENS_FILE", tokens.display().to_string())],
        None,
    );
    let port = s.addr.rsplit(':').next().unwrap().to_string();
    let out = dir.path().join("stream.txt");
    let mut follower = Command::new("curl")
        .args(["-sN", "--max-time", "30", "-H"])
        .arg(format!("Authorization: Bearer {token}"))
        .arg(format!(
            "http://localhost:{port}/api/v1/events/stream?since_id=0"
        ))
        .stdout(std::fs::File::create(&out).unwrap())
        .spawn()
        .unwrap();
    // The stream is open once the backlog arrived.
    Service::eventually(std::time::Duration::from_secs(10), || {
        std::fs::read_to_string(&out)
            .ok()
            .filter(|t| t.contains("data:"))
    });
    let revoked = Command::new(support::ssisd_bin())
        .args(["token", "--tokens-file"])
        .arg(&tokens)
        .args(["revoke", "watcher"])
        .output()
        .unwrap();
    assert!(revoked.status.success());
    let ended = Service::eventually(std::time::Duration::from_secs(10), || {
        follower.try_wait().unwrap()
    });
    assert!(ended.success(), "curl ended with {ended:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("event: end") && text.contains("the token was revoked"),
        "{text}"
    );
}
