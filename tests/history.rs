//! End-to-end tests of the execution history through the real `ssisd`, `dtexec` and
//! `ssisctl`: every run — started through the API or a hand-started `dtexec` that registered —
//! gets an execution with the catalog's status, its messages with their message types, its
//! per-executable statistics and its masked `/Set` options; filters and their refusals; the
//! logging level `none`; `ssisctl history` and `ssisctl show`; and a history that survives a
//! kill -9 of the service, completing a run that ended while the service was down.

mod support;

use std::time::Duration;

use support::{
    http, import_test_package, json, pid_alive, ssisctl, temp_dir, wait_event, Options, Service,
};

const WAIT: Duration = Duration::from_secs(30);

fn with_packages(s: &Service) {
    Service::eventually(WAIT, || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    for p in ["quick", "fails"] {
        import_test_package(s, &format!("running/{p}.dtsx"), &format!("File System/{p}"));
    }
    // A run long enough to outlive a killed service.
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/packages/running/sleep_short.dtsx"),
    )
    .unwrap();
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace("Arguments='1'", "Arguments='3'");
    let (code, body) = http(
        s,
        "PUT",
        "packages/File%20System/sleep_three?overwrite=true",
        Some(text.as_bytes()),
    );
    assert!(code < 300, "{code} {}", String::from_utf8_lossy(&body));
}

fn start(s: &Service, body: serde_json::Value) -> String {
    let (code, answer) = http(s, "POST", "running", Some(body.to_string().as_bytes()));
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&answer));
    json(&answer)["id"].as_str().unwrap().to_string()
}

fn get(s: &Service, path: &str) -> (u16, serde_json::Value) {
    let (code, body) = http(s, "GET", path, None);
    let v = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (code, v)
}

/// Waits until execution `id` has ended; returns it.
fn ended(s: &Service, id: &str) -> serde_json::Value {
    Service::eventually(WAIT, || {
        let (code, e) = get(s, &format!("executions/{id}"));
        (code == 200 && !e["end_time"].is_null()).then_some(e)
    })
}

#[test]
fn every_run_gets_an_execution_with_messages_statistics_and_masked_sets() {
    let s = Service::start();
    with_packages(&s);
    let ok = start(&s, serde_json::json!({ "package": "File System/quick" }));
    let bad = start(
        &s,
        serde_json::json!({
            "package": "File System/fails",
            "set": ["\\Package.Variables[User::DbPassword].Properties[Value];s3cret"],
        }),
    );
    let quiet = start(
        &s,
        serde_json::json!({ "package": "File System/quick", "logging_level": "none" }),
    );
    let e = ended(&s, &ok);
    assert_eq!(e["status"], "succeeded");
    assert_eq!(e["status_code"], 7);
    assert_eq!(e["started_by"], "api");
    assert_eq!(e["caller"], "unauthenticated-loopback");
    assert_eq!(e["exit_code"], 0);
    assert_eq!(e["package"], "\\File System\\quick");
    assert_eq!(e["package_name"], "quick");
    assert!(e["pid"].as_i64().unwrap() > 0);
    let e = ended(&s, &bad);
    assert_eq!(e["status"], "failed");
    assert_eq!(e["status_code"], 4);
    let sets = e["sets"].to_string();
    assert!(
        sets.contains("DbPassword") && !sets.contains("s3cret"),
        "{sets}"
    );
    assert!(sets.contains("********"), "{sets}");
    ended(&s, &quiet);

    let (code, m) = get(&s, &format!("executions/{bad}/messages"));
    assert_eq!(code, 200);
    let kinds: Vec<i64> = m["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_type"].as_i64().unwrap())
        .collect();
    assert!(kinds.contains(&120), "an error message: {m}");
    let (_, m) = get(&s, &format!("executions/{ok}/messages"));
    let kinds: Vec<i64> = m["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_type"].as_i64().unwrap())
        .collect();
    assert!(
        kinds.contains(&30) && kinds.contains(&40),
        "pre- and post-execute: {m}"
    );
    let (_, m) = get(&s, &format!("executions/{quiet}/messages"));
    assert_eq!(m["messages"], serde_json::json!([]), "logging level none");

    let (code, st) = get(&s, &format!("executions/{ok}/statistics"));
    assert_eq!(code, 200);
    let step = st["executables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["path"] == "\\Package\\Step")
        .cloned()
        .unwrap_or_else(|| panic!("{st}"));
    assert_eq!(step["result"], "success");
    assert!(step["duration_ms"].as_f64().unwrap() >= 0.0);

    // Newest first; filters.
    let (_, all) = get(&s, "executions");
    let ids: Vec<&str> = all["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [quiet.as_str(), bad.as_str(), ok.as_str()]);
    let (_, failed) = get(&s, "executions?status=failed");
    assert_eq!(failed["executions"].as_array().unwrap().len(), 1);
    let (_, quick) = get(&s, "executions?package=File%20System/quick&limit=1");
    assert_eq!(quick["executions"][0]["id"], quiet.as_str());
    let (_, later) = get(&s, "executions?since=2999-01-01T00:00:00Z");
    assert_eq!(later["executions"], serde_json::json!([]));
    for (query, needle) in [
        ("status=done", "status=\"done\""),
        ("since=yesterday", "since=\"yesterday\""),
        ("limit=0", "limit=0"),
        ("colour=red", "colour"),
    ] {
        let (code, e) = get(&s, &format!("executions?{query}"));
        assert_eq!(code, 400, "{query}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(needle),
            "{query}: {e}"
        );
    }
    let (code, _) = get(&s, "executions/NO-SUCH-ID");
    assert_eq!(code, 404);
    let (code, e) = http(
        &s,
        "POST",
        "running",
        Some(br#"{"package":"File System/quick","logging_level":"loud"}"#),
    );
    assert_eq!(code, 400, "{}", String::from_utf8_lossy(&e));

    // The command line.
    let out = ssisctl(&s, &["history", "File System/fails"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&bad) && !text.contains(&ok), "{text}");
    assert!(text.contains("failed"), "{text}");
    let out = ssisctl(&s, &["show", &ok]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("\\Package\\Step") && text.contains("succeeded"),
        "{text}"
    );
    assert!(text.contains("post-execute"), "{text}");
}

#[test]
fn a_hand_started_dtexec_that_registered_is_in_the_history() {
    let s = Service::start();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/packages/running/sleep_short.dtsx");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .arg("/F")
        .arg(&file)
        .env("SSISD_SERVICE__RUNTIME_DIR", &s.runtime_dir)
        .env_remove("SSISD_EVENT_STREAM")
        .env_remove("SSISD_RUN_BY_SERVICE")
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let e = Service::eventually(WAIT, || {
        let (_, all) = get(&s, "executions?status=succeeded");
        all["executions"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["started_by"] == "dtexec").cloned())
    });
    assert!(
        e["package"].as_str().unwrap().ends_with("sleep_short.dtsx"),
        "{e}"
    );
}

#[test]
fn the_history_survives_kill_9_and_completes_a_run_that_ended_while_the_service_was_down() {
    let temp = temp_dir();
    let opts = Options {
        env: vec![(
            "SSISD_SERVICE__STOP_EXECUTING_PACKAGES_ON_SHUTDOWN".into(),
            "false".into(),
        )],
        ..Options::default()
    };
    let mut s = Service::spawn(temp.path(), &opts).unwrap();
    with_packages(&s);
    let done = start(&s, serde_json::json!({ "package": "File System/quick" }));
    wait_event(&s, 12289, &done, WAIT);
    let id = start(
        &s,
        serde_json::json!({ "package": "File System/sleep_three" }),
    );
    let pid = Service::eventually(WAIT, || {
        let (_, e) = get(&s, &format!("executions/{id}"));
        e["pid"].as_i64().filter(|_| e["status"] == "running")
    }) as i32;
    s.signal(libc::SIGKILL);
    s.wait_exit(WAIT).expect("the service ends on SIGKILL");
    Service::eventually(WAIT, || (!pid_alive(pid)).then_some(()));

    let s = Service::spawn(temp.path(), &opts).unwrap();
    let e = ended(&s, &id);
    assert_eq!(e["status"], "succeeded", "{e}");
    let (_, m) = get(&s, &format!("executions/{id}/messages"));
    assert!(
        m["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["message_type"] == 40 && m["path"] == "\\Package\\Step"),
        "the stream written while the service was down is in the history: {m}"
    );
    let e = ended(&s, &done);
    assert_eq!(
        e["status"], "succeeded",
        "an acknowledged execution is kept: {e}"
    );
}
