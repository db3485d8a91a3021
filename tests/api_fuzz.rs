//! Fuzzes the running service from its own OpenAPI description with schemathesis (PyPI; installed
//! by scripts/test): every operation with generated and mutated input, authenticated as an
//! administrator with a bearer token. No answer may be a 5xx, a status code or body the
//! description does not give, or a hang; then the same requests as a hostile web page would
//! send them (a foreign Origin: no change succeeds; a foreign Host: all refused — the checks
//! are in tests/api_fuzz_hooks.py). A data flow runs while the fuzzer starts, its id the example
//! of `GET /running/{id}`, so that a run's details with rows per path are checked too. Bounded by `SSISD_FUZZ_SECONDS` (default 60 for the first
//! run, a third and a quarter of it for the others). The service must still answer and stop
//! cleanly afterwards. Prints SKIPPED without schemathesis.

mod support;

use std::process::Command;
use std::time::Duration;

use support::{curl, Service, Via};

/// The schemathesis command line: `python3 -m schemathesis.cli` (works wherever pip put the
/// package, whether or not its `st` script is on PATH).
fn schemathesis() -> Option<Command> {
    let works = Command::new("python3")
        .args(["-m", "schemathesis.cli", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    works.then(|| {
        let mut c = Command::new("python3");
        c.args(["-m", "schemathesis.cli"]);
        c
    })
}

/// The number in schemathesis's "N generated" summary line.
fn generated(report: &str) -> u64 {
    report
        .lines()
        .rev()
        .filter_map(|l| l.trim().split_once(" generated"))
        .find_map(|(n, _)| n.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn schemathesis_finds_no_server_error() {
    if schemathesis().is_none() {
        println!("SKIPPED: schemathesis is not installed (python3 -m pip install schemathesis)");
        return;
    }
    let dir = support::temp_dir();
    let tokens = dir.path().join("tokens");
    let token = support::create_token(&tokens, "fuzzer", "administrator");
    let mut s = Service::start_in(
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
    // A folder and a package, so that generated paths sometimes name real things.
    let admin = Via::Tcp {
        token: Some(&token),
        ca: None,
        client_cert: None,
    };
    curl(&s, &admin, "POST", "folders/File%20System/F", None);
    curl(
        &s,
        &admin,
        "PUT",
        "packages/File%20System/F/P",
        Some(&support::small_package("P")),
    );

    // A data flow running while the fuzzer starts, so that `GET /running/{id}` answers with a
    // run and its rows per path too: its id becomes the operation's example.
    let input = support::temp_dir();
    support::orders::write_orders(&input.path().join("orders.csv"), 1_500_000);
    let orders = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/packages/data_flow/orders_2016.dtsx"),
    )
    .unwrap();
    let (code, _) = curl(
        &s,
        &admin,
        "PUT",
        "packages/File%20System/F/orders",
        Some(&orders),
    );
    assert!(code < 300, "{code}");
    let run = serde_json::json!({
        "package": "File System/F/orders",
        "set": support::orders::sets(input.path()),
    });
    let (code, started) = curl(
        &s,
        &admin,
        "POST",
        "running",
        Some(run.to_string().as_bytes()),
    );
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&started));
    let run_id = support::json(&started)["id"].as_str().unwrap().to_string();
    Service::eventually(Duration::from_secs(60), || {
        let (_, v) = curl(&s, &admin, "GET", &format!("running/{run_id}"), None);
        let v = support::json(&v);
        v["rows_per_path"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
            .then_some(())
    });

    // The description as served, read once: the hostile runs below send a foreign Host, which
    // the service would refuse for the description too.
    let spec = dir.path().join("openapi.json");
    let (code, body) = support::http(&s, "GET", "openapi.json", None);
    assert_eq!(code, 200);
    let mut description: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let params = description["paths"]["/api/v1/running/{id}"]["get"]["parameters"]
        .as_array_mut()
        .expect("GET /running/{id} has parameters");
    for p in params.iter_mut().filter(|p| p["name"] == "id") {
        p["example"] = serde_json::json!(run_id);
    }
    std::fs::write(&spec, description.to_string()).unwrap();
    let base = format!("http://{}", s.addr);
    let seconds: u64 = std::env::var("SSISD_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let hooks_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let fuzz = |hostile: &str, headers: &[String], checks: &str, seconds: u64| {
        let mut st = schemathesis().unwrap();
        st.arg("run")
            .arg(&spec)
            .args(["--url", &base])
            .args(["-H", &format!("Authorization: Bearer {token}")]);
        for h in headers {
            st.args(["-H", h]);
        }
        let run = st
            .args(["--checks", checks])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-time", &seconds.to_string()])
            .args(["--request-timeout", "15"])
            .args(["--workers", "1"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .env("SCHEMATHESIS_HOOKS", "api_fuzz_hooks")
            .env("PYTHONPATH", &hooks_dir)
            .env("SSISD_FUZZ_HOSTILE", hostile)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&run.stdout).to_string()
            + &String::from_utf8_lossy(&run.stderr);
        (run.status.success(), report)
    };
    // A failure of the fuzzer itself (its "Runtime Error", not a finding about the service) is
    // retried once with a new seed; findings are never retried.
    let run = |name: &str, hostile: &str, headers: &[String], checks: &str, seconds: u64| {
        let (mut ok, mut report) = fuzz(hostile, headers, checks, seconds);
        let finding = |r: &str| r.contains("Server error") || r.contains("timed out");
        if !ok && !finding(&report) && report.contains("Runtime Error") {
            println!("schemathesis failed by itself; retrying once:\n{report}");
            (ok, report) = fuzz(hostile, headers, checks, seconds);
        }
        let tail: Vec<&str> = report.lines().rev().take(12).collect();
        println!(
            "--- {name}:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
        assert!(ok, "schemathesis ({name}) found failures:\n{report}");
        assert!(report.contains("passed"), "{report}");
        generated(&report)
    };
    // Every operation as described: no 5xx, no status code or answer the description does not
    // give, the media types it names, 405 for methods it does not list.
    let described = run(
        "the API as described",
        "",
        &[],
        "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,unsupported_method",
        seconds,
    );
    // As a page of another web site would send them: no change may succeed.
    let cross_site = run(
        "changes from a foreign origin",
        "origin",
        &["Origin: http://evil.example".to_string()],
        "not_a_server_error,cross_site_changes_are_refused",
        (seconds / 3).max(10),
    );
    // Through a DNS name re-pointed at the service: every request is refused.
    let port = s.addr.rsplit(':').next().unwrap().to_string();
    let rebound = run(
        "a foreign Host (DNS rebinding)",
        "host",
        &[format!("Host: evil.example:{port}")],
        "not_a_server_error,foreign_host_is_refused",
        (seconds / 4).max(10),
    );
    println!(
        "schemathesis: {} generated requests as described, {cross_site} from a foreign origin, {rebound} with a foreign Host; 0 server errors, 0 hangs",
        described
    );

    // Still alive and answering, then a clean stop.
    let (code, _) = curl(&s, &admin, "GET", "status", None);
    assert_eq!(code, 200);
    let status = s.stop();
    assert!(status.success(), "{status:?}\n{}", s.stderr());
    assert!(s.wait_exit(Duration::from_secs(1)).is_some());
}
