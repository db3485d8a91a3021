//! End-to-end tests of a data flow's progress through the real `ssisd`, `dtexec` and `ssisctl`:
//! while a data flow of a few hundred thousand rows runs, `GET /api/v1/running/{id}` shows
//! running counts of rows per path; once it has ended the execution's statistics hold the exact
//! totals of every path (as `ssisctl show` prints them); and `ssisctl run --wait` prints the
//! rows per path as they go and the totals at the end.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::orders::{sets, write_orders};
use support::{http, import_test_package, json, ssisctl, Service};

const WAIT: Duration = Duration::from_secs(60);

fn get(s: &Service, path: &str) -> (u16, serde_json::Value) {
    let (code, body) = http(s, "GET", path, None);
    (
        code,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

fn lines(p: &Path) -> u64 {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .count() as u64
}

#[test]
fn rows_per_path_show_while_a_data_flow_runs_and_exactly_once_it_ended() {
    let s = Service::start();
    Service::eventually(WAIT, || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    import_test_package(&s, "data_flow/orders_2016.dtsx", "File System/orders");
    let d = support::temp_dir();
    const N: u32 = 400_000;
    let big = write_orders(&d.path().join("orders.csv"), N);
    let other = N as u64 - big;

    let body = serde_json::json!({ "package": "File System/orders", "set": sets(d.path()) });
    let (code, answer) = http(&s, "POST", "running", Some(body.to_string().as_bytes()));
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&answer));
    let id = json(&answer)["id"].as_str().unwrap().to_string();

    // Polls while it runs: some path must show a running count short of its total.
    let started = Instant::now();
    let mut running_counts = Vec::new();
    let mut last = serde_json::Value::Null;
    while started.elapsed() < WAIT {
        let (code, v) = get(&s, &format!("running/{id}"));
        if code == 404 {
            break;
        }
        assert_eq!(code, 200, "{v}");
        for p in v["rows_per_path"].as_array().expect("rows_per_path") {
            for field in ["task_path", "path_name", "destination_component", "input"] {
                assert!(p[field].is_string(), "{field}: {p}");
            }
            assert!(p["buffers"].is_u64() && p["path_id"].is_i64(), "{p}");
            if p["final"] == false && p["rows"].as_u64().unwrap_or(0) > 0 {
                running_counts.push(p.clone());
            }
        }
        last = v;
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !running_counts.is_empty(),
        "no running count was seen while the data flow ran; last view: {last}"
    );
    let c = &running_counts[0];
    assert_eq!(c["task_path"], "\\Package\\Load", "{c}");
    assert!(c["rows"].as_u64().unwrap() < N as u64, "{c}");

    // The totals, exact, in the execution's statistics.
    let e = Service::eventually(WAIT, || {
        let (code, e) = get(&s, &format!("executions/{id}"));
        (code == 200 && !e["end_time"].is_null()).then_some(e)
    });
    assert_eq!(e["status"], "succeeded", "{e}");
    let (code, st) = get(&s, &format!("executions/{id}/statistics"));
    assert_eq!(code, 200);
    let rows = |name: &str| {
        st["data_flow"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["path_name"] == name)
            .and_then(|p| p["rows_sent"].as_u64())
            .unwrap_or_else(|| panic!("{name}: {st}"))
    };
    assert_eq!(rows("Flat File Source Output"), N as u64, "{st}");
    assert_eq!(rows("Derived Column Output"), N as u64, "{st}");
    assert_eq!(rows("Multicast Output 1"), N as u64, "{st}");
    assert_eq!(rows("Multicast Output 2"), N as u64, "{st}");
    assert_eq!(rows("Big orders"), big, "{st}");
    assert_eq!(rows("Other orders"), other, "{st}");
    // The files agree (big.csv has a header row).
    assert_eq!(lines(&d.path().join("big.csv")), big + 1);
    assert_eq!(lines(&d.path().join("small.csv")), other);

    let out = ssisctl(&s, &["show", &id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Big orders") && text.contains(&big.to_string()),
        "{text}"
    );

    // `ssisctl run --wait` prints the rows per path as they go, then the totals.
    let small = 2_000;
    let big = write_orders(&d.path().join("orders.csv"), small);
    let mut args = vec!["run", "File System/orders", "--wait"];
    let sets = sets(d.path());
    for s in &sets {
        args.extend(["--set", s]);
    }
    let out = ssisctl(&s, &args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for needle in [
        format!(
            "\\Package\\Load: \"Big orders\" → Write big.Flat File Destination Input: {big} rows in 1 buffers (total)"
        ),
        format!("\"Flat File Source Output\" → Derive.Derived Column Input: {small} rows"),
        format!(
            "\"Other orders\" → Write other.Flat File Destination Input: {} rows",
            small as u64 - big
        ),
    ] {
        assert!(err.contains(&needle), "{needle}\n{err}");
    }
}
