//! End-to-end tests of MSDB folders through the real `ssisd` binary, on a machine without SQL
//! Server: the embedded default's `MSDB` folder and a configured `sql-server` folder on an
//! unreachable address show `unavailable` with the reason, are retried without being
//! restarted, and never stop the File System folders from working. Tests against a real
//! server live in `stores/tests/msdb_server.rs` (run when `SSISD_TEST_MSSQL` is set).

mod support;

use std::time::Duration;

use support::{http, json, small_package, temp_dir, Options, Service};

fn health(s: &Service, name: &str) -> serde_json::Value {
    let status = json(&http(s, "GET", "status", None).1);
    status["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no folder {name}: {status}"))["health"]
        .clone()
}

fn wait_state(s: &Service, name: &str, state: &str) -> serde_json::Value {
    Service::eventually(Duration::from_secs(10), || {
        let h = health(s, name);
        (h["state"] == state).then_some(h)
    })
}

fn file_system_still_serves(s: &Service, folder: &str) {
    let url = folder.replace(' ', "%20");
    let bytes = small_package("Still Here");
    assert_eq!(
        http(
            s,
            "PUT",
            &format!("packages/{url}/Still%20Here"),
            Some(&bytes)
        )
        .0,
        201
    );
    assert_eq!(
        http(s, "GET", &format!("packages/{url}/Still%20Here"), None).1,
        bytes
    );
}

#[test]
fn the_default_msdb_folder_is_unavailable_with_a_reason_and_file_system_works() {
    let mut s = Service::start();
    wait_state(&s, "File System", "available");
    let h = wait_state(&s, "MSDB", "unavailable");
    let detail = h["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("unavailable: ") && detail.contains("SQL Server \".\""),
        "{detail}"
    );
    file_system_still_serves(&s, "File System");

    let (code, body) = http(&s, "GET", "folders/MSDB", None);
    assert_eq!(code, 503);
    let message = json(&body)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("MSDB") && message.contains("SQL Server"),
        "{message}"
    );
    assert_eq!(
        http(&s, "PUT", "packages/MSDB/P", Some(&small_package("P"))).0,
        503
    );

    // Retried in the background: still alive and unavailable, one event, no restarts.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(health(&s, "MSDB")["state"], "unavailable");
    let codes = s.event_codes(200);
    assert_eq!(codes.iter().filter(|c| **c == 1014).count(), 1, "{codes:?}");
    assert!(
        !codes.contains(&1012) && !codes.contains(&1013),
        "{codes:?}"
    );
    assert_eq!(s.stop().code(), Some(0));
}

#[test]
fn an_unreachable_sql_server_folder_is_unavailable_and_the_service_keeps_serving() {
    let temp = temp_dir();
    let config = temp.path().join("ssisd.toml");
    std::fs::write(
        &config,
        r#"
[supervision]
max_restarts = 1
period_seconds = 60
health_check_seconds = 0.1

[[folder]]
kind = "file-system"
name = "Files"
store_path = "pk"

[[folder]]
kind = "sql-server"
name = "Remote MSDB"
server = "127.0.0.1,1"
user = "ssis"
password_env = "SSISD_TEST_MSDB_PASSWORD"
connect_timeout_seconds = 1
"#,
    )
    .unwrap();

    // --check-config names where the password is, never the password.
    let out = std::process::Command::new(support::ssisd_bin())
        .env_remove("SSISD_CONFIG")
        .env("SSISD_TEST_MSDB_PASSWORD", "Never-Printed-42")
        .args(["--check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("password_env = \"SSISD_TEST_MSDB_PASSWORD\""),
        "{text}"
    );
    assert!(text.contains("server = \"127.0.0.1,1\""), "{text}");
    assert!(!text.contains("Never-Printed-42"), "{text}");

    let mut s = Service::start_in(
        temp,
        Options {
            config: Some(config),
            env: vec![("SSISD_TEST_MSDB_PASSWORD".into(), "Never-Printed-42".into())],
        },
    );
    wait_state(&s, "Files", "available");
    let h = wait_state(&s, "Remote MSDB", "unavailable");
    let detail = h["detail"].as_str().unwrap();
    assert!(detail.contains("127.0.0.1:1"), "{detail}");

    // Several retry rounds later (restart intensity 1): still unavailable, never failed.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(health(&s, "Remote MSDB")["state"], "unavailable");
    file_system_still_serves(&s, "Files");
    assert_eq!(http(&s, "GET", "folders/Remote%20MSDB", None).0, 503);
    let codes = s.event_codes(500);
    assert!(
        !codes.contains(&1012) && !codes.contains(&1013),
        "{codes:?}"
    );
    assert_eq!(codes.iter().filter(|c| **c == 1014).count(), 1, "{codes:?}");
    let (_, body) = http(&s, "GET", "events?event_id=1014", None);
    let event = &json(&body)["events"][0];
    assert!(event["message"].as_str().unwrap().contains("Remote MSDB"));

    assert!(
        !s.stderr().contains("Never-Printed-42"),
        "the password is never logged"
    );
    assert_eq!(s.stop().code(), Some(0));
}
