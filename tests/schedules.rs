//! End-to-end tests of schedules through the real `ssisd`, its runners and `ssisctl`: a
//! schedule every second fires real package runs recorded in the history as started by
//! `schedule:<name>`; a schedule whose run is still going skips (event 1061 and a canceled
//! execution); bad definitions are refused with what and where; run now; a SIGHUP re-reads
//! `[[schedule]]`, keeps the API's schedules and refuses an invalid section keeping the running
//! set; a restart keeps the API's schedules; `ssisctl schedules` and `ssisctl schedule …`.

mod support;

use std::time::Duration;

use support::{events_of, http, import_test_package, json, ssisctl, temp_dir, Options, Service};

const WAIT: Duration = Duration::from_secs(30);

fn ready(s: &Service) {
    Service::eventually(WAIT, || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
}

fn post(s: &Service, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let (code, answer) = http(s, "POST", path, Some(body.to_string().as_bytes()));
    (
        code,
        serde_json::from_slice(&answer).unwrap_or(serde_json::Value::Null),
    )
}

fn get(s: &Service, path: &str) -> (u16, serde_json::Value) {
    let (code, body) = http(s, "GET", path, None);
    (
        code,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

/// The events `code` of schedule `name`.
fn schedule_events(s: &Service, code: u32, name: &str) -> Vec<serde_json::Value> {
    events_of(s, code, None)
        .into_iter()
        .filter(|e| e["fields"]["schedule"] == name)
        .collect()
}

fn names(s: &Service) -> Vec<String> {
    let (code, v) = get(s, "schedules");
    assert_eq!(code, 200, "{v}");
    v["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_schedule_every_second_runs_its_package_and_one_still_running_skips() {
    let s = Service::start();
    ready(&s);
    import_test_package(&s, "running/quick.dtsx", "File System/quick");
    import_test_package(&s, "running/sleep_short.dtsx", "File System/sleepy");

    let (code, v) = post(
        &s,
        "schedules",
        serde_json::json!({
            "name": "every-second", "package": "File System/quick", "cron": "* * * * * *",
            "time_zone": "Europe/Berlin",
        }),
    );
    assert_eq!(code, 201, "{v}");
    assert!(v["next_run"].is_string(), "{v}");
    assert_eq!(v["source"], "api");
    assert_eq!(v["effective_time_zone"], "Europe/Berlin");

    // A real run, recorded as started by the schedule.
    let fired = Service::eventually(WAIT, || {
        schedule_events(&s, 1060, "every-second").into_iter().next()
    });
    let id = fired["fields"]["execution_id"]
        .as_str()
        .unwrap()
        .to_string();
    let e = Service::eventually(WAIT, || {
        let (code, e) = get(&s, &format!("executions/{id}"));
        (code == 200 && !e["end_time"].is_null()).then_some(e)
    });
    assert_eq!(e["started_by"], "schedule:every-second");
    assert_eq!(e["status"], "succeeded", "{e}");
    assert_eq!(e["package"], "\\File System\\quick");
    // It keeps firing.
    Service::eventually(WAIT, || {
        (schedule_events(&s, 1060, "every-second").len() >= 3).then_some(())
    });
    let (code, _) = http(&s, "DELETE", "schedules/every-second", None);
    assert_eq!(code, 204);
    let (code, _) = get(&s, "schedules/every-second");
    assert_eq!(code, 404);

    // A run of about a second, due every second, max_active 1: due times meanwhile skip.
    let (code, v) = post(
        &s,
        "schedules",
        serde_json::json!({
            "name": "slow", "package": "File System/sleepy", "cron": "* * * * * *",
        }),
    );
    assert_eq!(code, 201, "{v}");
    let skip = Service::eventually(WAIT, || {
        schedule_events(&s, 1061, "slow").into_iter().next()
    });
    assert_eq!(skip["level"], "warning", "{skip}");
    assert!(
        skip["message"].as_str().unwrap().contains("max_active 1"),
        "{skip}"
    );
    // The history notes the skip as a canceled execution started by the schedule.
    Service::eventually(WAIT, || {
        let (_, v) = get(&s, "executions?status=canceled&limit=100");
        v["executions"]
            .as_array()?
            .iter()
            .find(|e| e["started_by"] == "schedule:slow")
            .cloned()
    });
    // Run now is refused while its run is going (as Agent refuses sp_start_job).
    let (_, v) = get(&s, "schedules/slow");
    assert!(v["last_run"].is_string(), "{v}");
    let out = ssisctl(&s, &["schedule", "disable", "slow"]);
    assert!(out.status.success(), "{out:?}");
    let (_, v) = get(&s, "schedules/slow");
    assert_eq!(v["enabled"], false, "{v}");
    assert!(v["next_run"].is_null(), "{v}");
    let fired = schedule_events(&s, 1060, "slow").len();
    std::thread::sleep(Duration::from_secs(3));
    // Disabled: no more due runs (one may have been starting as it was disabled).
    assert!(schedule_events(&s, 1060, "slow").len() <= fired + 1);
    let run_now = Service::eventually(WAIT, || {
        let (code, v) = post(&s, "schedules/slow/run", serde_json::json!({}));
        (code == 201).then_some(v)
    });
    let id = run_now["id"].as_str().unwrap().to_string();
    let e = Service::eventually(WAIT, || {
        let (code, e) = get(&s, &format!("executions/{id}"));
        (code == 200 && !e["end_time"].is_null()).then_some(e)
    });
    assert_eq!(e["started_by"], "schedule:slow");

    let out = ssisctl(&s, &["schedules"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains("slow") && text.contains("cron * * * * * *"),
        "{text}"
    );
    // The fires and the skip are counted for GET /metrics (by outcome, never by name).
    let metrics = ureq::get(&format!("http://{}/metrics", s.addr))
        .call()
        .expect("GET /metrics answers")
        .into_string()
        .expect("text");
    for outcome in ["fired", "skipped"] {
        let line = format!("ssisd_schedule_events_total{{outcome=\"{outcome}\"}} ");
        let n: f64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {line} in\n{metrics}"));
        assert!(n >= 1.0, "{line}{n}");
    }
    let out = ssisctl(&s, &["schedule", "rm", "slow"]);
    assert!(out.status.success(), "{out:?}");
    assert!(names(&s).is_empty());
}

#[test]
fn bad_schedules_are_refused_with_what_and_where() {
    let s = Service::start();
    ready(&s);
    import_test_package(&s, "running/quick.dtsx", "File System/quick");
    let base =
        serde_json::json!({ "name": "n", "package": "File System/quick", "cron": "0 3 * * *" });
    let cases = [
        (serde_json::json!({ "cron": "61 * * * *" }), 400, "cron"),
        (
            serde_json::json!({ "time_zone": "Mars/Olympus" }),
            400,
            "time_zone",
        ),
        (
            serde_json::json!({ "package": "File System/nope" }),
            400,
            "does not exist",
        ),
        (
            serde_json::json!({ "package": "Nowhere/quick" }),
            400,
            "Nowhere",
        ),
        (
            serde_json::json!({ "cron": null, "frequency": "weekly", "at": "03:00" }),
            400,
            "days",
        ),
        (
            serde_json::json!({ "cron": null, "calendar": "Mon..Fri 25:00" }),
            400,
            "calendar",
        ),
        (serde_json::json!({ "name": "a/b" }), 400, "name"),
        (serde_json::json!({ "cronn": "x" }), 400, "cronn"),
    ];
    for (change, status, word) in cases {
        let mut body = base.clone();
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let (code, v) = post(&s, "schedules", body.clone());
        assert_eq!(code, status, "{body}: {v}");
        assert!(
            v["message"].as_str().unwrap_or("").contains(word),
            "{body}: {v}"
        );
    }
    let (code, _) = post(&s, "schedules", base.clone());
    assert_eq!(code, 201);
    let (code, v) = post(&s, "schedules", base.clone());
    assert_eq!(code, 409, "{v}");
    assert!(v["message"].as_str().unwrap().contains("exists"), "{v}");
    let (code, v) = get(&s, "schedules/missing");
    assert_eq!(code, 404, "{v}");
    let (code, v) = post(&s, "schedules/missing/run", serde_json::json!({}));
    assert_eq!(code, 404, "{v}");
    // The refusal names the key in ssisctl's output too.
    let out = ssisctl(
        &s,
        &[
            "schedule",
            "add",
            "x",
            "File System/quick",
            "--cron",
            "* * *",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cron"),
        "{out:?}"
    );
    let out = ssisctl(
        &s,
        &[
            "schedule",
            "add",
            "office",
            "File System/quick",
            "--frequency",
            "weekly",
            "--days",
            "mon,fri",
            "--every",
            "15m",
            "--from",
            "08:00",
            "--until",
            "18:00",
            "--time-zone",
            "America/New_York",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let (_, v) = get(&s, "schedules/office");
    assert_eq!(v["every"], "15m", "{v}");
    assert!(v["next_run"].is_string(), "{v}");
    let out = ssisctl(
        &s,
        &[
            "schedule",
            "add",
            "weekday-mornings",
            "File System/quick",
            "--calendar",
            "Mon..Fri *-*-* 08:00",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let out = ssisctl(&s, &["schedules"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("calendar Mon..Fri *-*-* 08:00"),
        "{out:?}"
    );
}

fn write_config(path: &std::path::Path, schedules: &str) {
    std::fs::write(
        path,
        format!("[scheduler]\ntime_zone = \"UTC\"\n\n{schedules}"),
    )
    .unwrap();
}

#[test]
fn reload_rereads_schedule_sections_keeps_api_schedules_and_a_restart_keeps_them() {
    let temp = temp_dir();
    let config = temp.path().join("ssisd.toml");
    write_config(
        &config,
        "[[schedule]]\nname = \"from-file\"\npackage = \"File System/quick\"\ncron = \"0 3 * * *\"\n",
    );
    let options = Options {
        config: Some(config.clone()),
        env: Vec::new(),
    };
    let mut s = Service::spawn(temp.path(), &options).unwrap();
    ready(&s);
    import_test_package(&s, "running/quick.dtsx", "File System/quick");
    let (code, v) = post(
        &s,
        "schedules",
        serde_json::json!({
            "name": "api-one", "package": "File System/quick",
            "frequency": "daily", "at": "04:30", "time_zone": "Asia/Tokyo",
        }),
    );
    assert_eq!(code, 201, "{v}");
    let next = v["next_run"].clone();
    assert_eq!(names(&s), ["api-one", "from-file"]);
    let (_, v) = get(&s, "schedules/from-file");
    assert_eq!(v["source"], "configuration");
    // A configured schedule is changed in the file, not through the API.
    let (code, v) = http(
        &s,
        "PUT",
        "schedules/from-file",
        Some(br#"{"package": "File System/quick", "cron": "0 4 * * *"}"#),
    );
    assert_eq!(code, 409, "{}", String::from_utf8_lossy(&v));
    let (code, _) = http(&s, "DELETE", "schedules/from-file", None);
    assert_eq!(code, 409);
    // An API schedule of a configured name is refused.
    let (code, _) = post(
        &s,
        "schedules",
        serde_json::json!({ "name": "from-file", "package": "File System/quick", "cron": "0 3 * * *" }),
    );
    assert_eq!(code, 409);

    // An invalid [[schedule]] on reload: refused, the running set kept.
    write_config(
        &config,
        "[[schedule]]\nname = \"broken\"\npackage = \"File System/quick\"\ncron = \"0 99 * * *\"\n",
    );
    let rejected = events_of(&s, 1002, None).len();
    s.signal(libc::SIGHUP);
    let e = Service::eventually(WAIT, || {
        let all = events_of(&s, 1002, None);
        (all.len() > rejected).then(|| all[0].clone())
    });
    assert!(
        e["message"].as_str().unwrap().contains("schedule[0].cron"),
        "{e}"
    );
    assert_eq!(names(&s), ["api-one", "from-file"]);

    // A valid change: the file's set replaced, the API's kept.
    write_config(
        &config,
        "[[schedule]]\nname = \"second\"\npackage = \"File System/quick\"\nfrequency = \"monthly\"\nday_of_month = 31\nat = \"23:00\"\n",
    );
    s.signal(libc::SIGHUP);
    Service::eventually(WAIT, || (names(&s) == ["api-one", "second"]).then_some(()));
    let (_, v) = get(&s, "schedules/api-one");
    assert_eq!(v["next_run"], next, "{v}");

    // A restart keeps the API's schedule, its next run and its owner.
    assert!(s.stop().success());
    let s = Service::spawn(temp.path(), &options).unwrap();
    ready(&s);
    assert_eq!(names(&s), ["api-one", "second"]);
    let (_, v) = get(&s, "schedules/api-one");
    assert_eq!(v["next_run"], next, "{v}");
    assert_eq!(v["owner"], "unauthenticated-loopback", "{v}");
    let out = ssisctl(&s, &["--json", "schedules"]);
    assert!(out.status.success(), "{out:?}");
    let listed = json(&out.stdout);
    assert_eq!(listed["schedules"].as_array().unwrap().len(), 2);
}

#[test]
fn a_failed_run_is_retried_and_missed_runs_are_caught_up_after_a_restart() {
    let temp = temp_dir();
    let options = Options::default();
    let mut s = Service::spawn(temp.path(), &options).unwrap();
    ready(&s);
    import_test_package(&s, "running/fails.dtsx", "File System/fails");
    import_test_package(&s, "running/quick.dtsx", "File System/quick");

    // Due once (in two seconds); its run fails and is tried once more a second later.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).format("%H:%M:%S");
    let (code, v) = post(
        &s,
        "schedules",
        serde_json::json!({
            "name": "flaky", "package": "File System/fails", "frequency": "daily",
            "at": at.to_string(), "time_zone": "UTC", "retry_attempts": 1, "retry_interval": 1,
        }),
    );
    assert_eq!(code, 201, "{v}");
    let failed = Service::eventually(WAIT, || {
        schedule_events(&s, 1062, "flaky")
            .into_iter()
            .find(|e| e["fields"]["retrying"] == true)
    });
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("retrying in 1 s"),
        "{failed}"
    );
    Service::eventually(WAIT, || {
        schedule_events(&s, 1060, "flaky")
            .into_iter()
            .find(|e| e["fields"]["reason"] == "retry")
    });
    // The retry fails too, and there is no third attempt.
    Service::eventually(WAIT, || {
        schedule_events(&s, 1062, "flaky")
            .into_iter()
            .find(|e| e["fields"]["retrying"] == false)
    });
    let (code, _) = http(&s, "DELETE", "schedules/flaky", None);
    assert_eq!(code, 204);

    // Every two seconds with catch_up = last: down for seven seconds, one run makes up.
    let (code, v) = post(
        &s,
        "schedules",
        serde_json::json!({
            "name": "catcher", "package": "File System/quick", "cron": "*/2 * * * * *",
            "catch_up": "last",
        }),
    );
    assert_eq!(code, 201, "{v}");
    Service::eventually(WAIT, || {
        schedule_events(&s, 1060, "catcher").into_iter().next()
    });
    assert!(s.stop().success());
    std::thread::sleep(Duration::from_secs(7));
    let s = Service::spawn(temp.path(), &options).unwrap();
    let missed = Service::eventually(WAIT, || {
        schedule_events(&s, 1063, "catcher").into_iter().next()
    });
    assert!(
        missed["fields"]["missed"].as_u64().unwrap() >= 2,
        "{missed}"
    );
    assert_eq!(missed["fields"]["runs"], 1, "{missed}");
    Service::eventually(WAIT, || {
        schedule_events(&s, 1060, "catcher")
            .into_iter()
            .find(|e| e["fields"]["reason"] == "catch-up")
    });
}
