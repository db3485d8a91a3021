//! Fuzzes the running service from its own OpenAPI description with schemathesis (PyPI; installed
//! by scripts/test): every operation with generated and mutated input, authenticated as an
//! administrator with a bearer token. No answer may be a 5xx and no request may hang; the
//! service must still answer and stop cleanly afterwards. Prints SKIPPED without schemathesis.

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

#[test]
fn schemathesis_finds_no_server_error() {
    let Some(mut st) = schemathesis() else {
        println!("SKIPPED: schemathesis is not installed (python3 -m pip install schemathesis)");
        return;
    };
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

    let seconds = std::env::var("SSISD_FUZZ_SECONDS").unwrap_or_else(|_| "60".into());
    let fuzz = |st: &mut Command| {
        let run = st
            .arg("run")
            .arg(s.url("openapi.json"))
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "not_a_server_error"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-time", &seconds])
            .args(["--request-timeout", "15"])
            .args(["--workers", "1"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&run.stdout).to_string();
        (run.status.success(), report)
    };
    let (mut ok, mut report) = fuzz(&mut st);
    // A failure of the fuzzer itself (its "Runtime Error", not a finding about the service) is
    // retried once with a new seed; findings are never retried.
    let finding = |r: &str| r.contains("Server error") || r.contains("timed out");
    if !ok && !finding(&report) && report.contains("Runtime Error") {
        println!("schemathesis failed by itself; retrying once:\n{report}");
        let mut again = schemathesis().unwrap();
        (ok, report) = fuzz(&mut again);
    }
    let tail: Vec<&str> = report.lines().rev().take(30).collect();
    println!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    assert!(ok, "schemathesis found failures:\n{report}");
    assert!(report.contains("passed"), "{report}");

    // Still alive and answering, then a clean stop.
    let (code, _) = curl(&s, &admin, "GET", "status", None);
    assert_eq!(code, 200);
    let status = s.stop();
    assert!(status.success(), "{status:?}\n{}", s.stderr());
    assert!(s.wait_exit(Duration::from_secs(1)).is_some());
}
