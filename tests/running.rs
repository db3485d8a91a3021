//! End-to-end tests of running packages through the real `ssisd` and `dtexec`: start, list,
//! details and stop through the API; the 12288–12291 events with their fields; a runner killed
//! by a signal recorded as lost; the documented shutdown with
//! `stop_executing_packages_on_shutdown` true and false (runners outlive the service);
//! re-adoption after a restart; the `max_concurrent_packages` limit; a hand-started `dtexec`
//! that registers; `ssisctl run --wait`; and a package that fails validation, whose errors
//! reach the run's events, the outcome event and `ssisctl run --wait`.

mod support;

use std::time::{Duration, Instant};

use support::{
    events_of, http, import_test_package, json, kill_group, pid_alive, running, start_run,
    temp_dir, wait_event, Options, Service,
};

const WAIT: Duration = Duration::from_secs(20);

fn with_packages(s: &Service) {
    Service::eventually(WAIT, || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    for p in ["sleep_long", "sleep_short", "quick", "fails", "invalid"] {
        import_test_package(s, &format!("running/{p}.dtsx"), &format!("File System/{p}"));
    }
}

fn started(s: &Service, package: &str) -> String {
    let (code, answer) = start_run(s, package);
    assert_eq!(code, 201, "{answer}");
    answer["id"].as_str().unwrap().to_string()
}

/// Waits until the run is listed as running with a pid and its task executing.
fn running_pid(s: &Service, id: &str) -> i32 {
    Service::eventually(WAIT, || {
        running(s).into_iter().find(|r| {
            r["id"] == id
                && r["state"] == "running"
                && r["executing"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|p| p == "\\Package\\Step"))
        })
    })["pid"]
        .as_i64()
        .unwrap() as i32
}

fn env(pairs: &[(&str, &str)]) -> Options {
    Options {
        env: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Options::default()
    }
}

#[test]
fn start_list_details_stop_and_the_package_events() {
    let s = Service::start();
    with_packages(&s);

    let ok = started(&s, "File System/quick");
    let e = wait_event(&s, 12289, &ok, WAIT);
    assert_eq!(e["source"], "SQLISPackage");
    assert_eq!(e["fields"]["package"], "\\File System\\quick");
    let start = wait_event(&s, 12288, &ok, WAIT);
    assert!(start["fields"]["pid"].as_i64().unwrap() > 0);
    // A run belongs to the caller who started it (here the unauthenticated loopback admin).
    assert_eq!(start["fields"]["user"], "unauthenticated-loopback");

    let bad = started(&s, "File System/fails");
    let e = wait_event(&s, 12291, &bad, WAIT);
    assert_eq!(e["level"], "error");
    let errors = e["fields"]["errors"].to_string();
    assert!(errors.contains("Step"), "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("exit code 1"),
        "{e}"
    );

    let long = started(&s, "File System/sleep_long");
    let pid = running_pid(&s, &long);
    let list = running(&s);
    let r = list.iter().find(|r| r["id"] == long.as_str()).unwrap();
    assert_eq!(r["package"], "\\File System\\sleep_long");
    assert_eq!(r["source"], "service");
    assert!(r["started_at"].is_string());
    let (code, body) = http(&s, "GET", &format!("running/{long}"), None);
    assert_eq!(code, 200);
    assert!(json(&body)["recent_messages"].is_array());
    let run_dir = s.data_dir.join("runs").join(&long);
    assert!(run_dir.join("state.json").is_file());
    assert!(run_dir.join("package.dtsx").is_file());

    let t = Instant::now();
    let (code, body) = http(&s, "POST", &format!("running/{long}/stop"), None);
    assert_eq!(code, 202, "{}", String::from_utf8_lossy(&body));
    assert!(t.elapsed() < Duration::from_secs(1));
    let e = wait_event(&s, 12290, &long, WAIT);
    assert_eq!(e["fields"]["outcome"], "cancelled");
    assert!(!pid_alive(pid));
    assert!(running(&s).iter().all(|r| r["id"] != long.as_str()));
    let (code, _) = http(&s, "GET", &format!("running/{long}"), None);
    assert_eq!(code, 404);
    let (code, _) = start_run(&s, "File System/missing");
    assert_eq!(code, 404);
}

#[test]
fn a_runner_killed_by_a_signal_is_lost() {
    let s = Service::start();
    with_packages(&s);
    let id = started(&s, "File System/sleep_long");
    let pid = running_pid(&s, &id);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let e = wait_event(&s, 1030, &id, WAIT);
    assert_eq!(e["fields"]["outcome"], "lost");
    assert!(e["message"].as_str().unwrap().contains("signal 9"), "{e}");
    kill_group(pid);
}

#[test]
fn sigterm_stops_runs_without_waiting_and_they_end_cancelled() {
    let temp = temp_dir();
    let dir = temp.path().to_path_buf();
    let mut s = Service::spawn(&dir, &Options::default()).unwrap();
    with_packages(&s);
    let ids: Vec<String> = (0..3)
        .map(|_| started(&s, "File System/sleep_long"))
        .collect();
    let pids: Vec<i32> = ids.iter().map(|id| running_pid(&s, id)).collect();
    let t = Instant::now();
    let status = s.stop();
    assert!(status.success());
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    for id in &ids {
        let events = s.data_dir.join("runs").join(id).join("events.jsonl");
        Service::eventually(WAIT, || {
            let text = std::fs::read_to_string(&events).ok()?;
            text.contains("\"run_end\"").then_some(())
        });
        let text = std::fs::read_to_string(&events).unwrap();
        assert!(text.contains("\"result\":\"canceled\""), "{text}");
    }
    Service::eventually(WAIT, || pids.iter().all(|p| !pid_alive(*p)).then_some(()));
    let s = Service::spawn(&dir, &Options::default()).unwrap();
    for id in &ids {
        assert_eq!(events_of(&s, 336, Some(id)).len(), 1);
        let e = wait_event(&s, 12290, id, WAIT);
        assert_eq!(e["fields"]["outcome"], "cancelled");
    }
    assert!(running(&s).is_empty());
}

/// With `stop_executing_packages_on_shutdown` false: starts a service in a new directory,
/// starts `package` and stops the service (cleanly) while it runs. Returns the service's
/// directory, the options to start it again there, the execution id and the runner's pid.
fn stopped_leaving_a_run(package: &str) -> (tempfile::TempDir, Options, String, i32) {
    let temp = temp_dir();
    let opts = env(&[(
        "SSISD_SERVICE__STOP_EXECUTING_PACKAGES_ON_SHUTDOWN",
        "false",
    )]);
    let mut s = Service::spawn(temp.path(), &opts).unwrap();
    with_packages(&s);
    let id = started(&s, package);
    let pid = running_pid(&s, &id);
    assert!(s.stop().success());
    (temp, opts, id, pid)
}

#[test]
fn with_the_flag_false_runners_finish_normally_after_the_service_exits() {
    let (dir, opts, id, pid) = stopped_leaving_a_run("File System/sleep_short");
    assert!(pid_alive(pid), "the runner is not touched");
    Service::eventually(WAIT, || (!pid_alive(pid)).then_some(()));
    let s = Service::spawn(dir.path(), &opts).unwrap();
    let e = wait_event(&s, 12289, &id, WAIT);
    assert_eq!(e["fields"]["outcome"], "succeeded");
    assert!(events_of(&s, 336, Some(&id)).is_empty());
}

#[test]
fn a_restarted_service_adopts_live_runs_and_can_stop_them() {
    let (dir, opts, id, pid) = stopped_leaving_a_run("File System/sleep_long");
    let s = Service::spawn(dir.path(), &opts).unwrap();
    let adopted = Service::eventually(WAIT, || {
        running(&s).into_iter().find(|r| r["id"] == id.as_str())
    });
    assert_eq!(adopted["pid"], pid);
    let (code, _) = http(&s, "POST", &format!("running/{id}/stop"), None);
    assert_eq!(code, 202);
    wait_event(&s, 12290, &id, WAIT);
    kill_group(pid);
}

#[test]
fn runs_past_max_concurrent_packages_are_refused_with_429() {
    let s = Service::start_in(
        temp_dir(),
        env(&[("SSISD_SERVICE__MAX_CONCURRENT_PACKAGES", "1")]),
    );
    with_packages(&s);
    let id = started(&s, "File System/sleep_long");
    let (code, answer) = start_run(&s, "File System/sleep_long");
    assert_eq!(code, 429, "{answer}");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("max_concurrent_packages"));
    let pid = running_pid(&s, &id);
    http(&s, "POST", &format!("running/{id}/stop"), None);
    wait_event(&s, 12290, &id, WAIT);
    kill_group(pid);
}

#[test]
fn a_hand_started_dtexec_registers_is_listed_and_can_be_stopped() {
    let s = Service::start();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/packages/running/sleep_long.dtsx");
    let mut dtexec = std::process::Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .arg("/F")
        .arg(&file)
        .env("SSISD_SERVICE__RUNTIME_DIR", &s.runtime_dir)
        .env_remove("SSISD_EVENT_STREAM")
        .env_remove("SSISD_RUN_BY_SERVICE")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = dtexec.id() as i32;
    let listed = Service::eventually(WAIT, || {
        running(&s)
            .into_iter()
            .find(|r| r["pid"] == pid && r["source"] == "dtexec")
    });
    assert!(!listed["user"].as_str().unwrap().is_empty());
    let id = listed["id"].as_str().unwrap().to_string();
    let (code, _) = http(&s, "POST", &format!("running/{id}/stop"), None);
    assert_eq!(code, 202);
    let status = dtexec.wait().unwrap();
    assert_eq!(status.code(), Some(3), "dtexec ends cancelled");
    let e = wait_event(&s, 12290, &id, WAIT);
    assert_eq!(e["fields"]["source"], "dtexec");
    assert_eq!(wait_event(&s, 12288, &id, WAIT)["fields"]["pid"], pid);
}

#[test]
fn a_dtexec_without_a_service_runs_unmonitored() {
    let dir = temp_dir();
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/running/quick.dtsx");
    let t = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .arg("/F")
        .arg(&file)
        .env("SSISD_SERVICE__RUNTIME_DIR", dir.path().join("nothing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(!dir.path().join("nothing").exists());
}

#[test]
fn ssisctl_run_wait_returns_the_package_exit_code() {
    let s = Service::start();
    with_packages(&s);
    let ok = support::ssisctl(&s, &["run", "File System/quick", "--wait"]);
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("success"));
    assert!(String::from_utf8_lossy(&ok.stderr).contains("\\Package\\Step"));
    let bad = support::ssisctl(&s, &["run", "File System/fails", "--wait"]);
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");

    let started = support::ssisctl(&s, &["run", "File System/sleep_long"]);
    assert_eq!(started.status.code(), Some(0));
    let id = String::from_utf8_lossy(&started.stdout).trim().to_string();
    let pid = running_pid(&s, &id);
    let list = support::ssisctl(&s, &["running"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains(&id));
    let stop = support::ssisctl(&s, &["stop", &id]);
    assert_eq!(stop.status.code(), Some(0), "{stop:?}");
    wait_event(&s, 12290, &id, WAIT);
    kill_group(pid);
}

#[test]
fn validation_errors_reach_the_run_events_and_ssisctl() {
    let s = Service::start();
    with_packages(&s);
    let id = started(&s, "File System/invalid");
    let e = wait_event(&s, 12291, &id, WAIT);
    let errors = e["fields"]["errors"].to_string();
    assert!(errors.contains("NoSuchVariable"), "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("NoSuchVariable"),
        "{e}"
    );
    let run = support::ssisctl(&s, &["run", "File System/invalid", "--wait"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert_eq!(run.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("failure"), "{stdout}{stderr}");
    assert!(!stdout.contains("without a result"), "{stdout}{stderr}");
    assert!(stderr.contains("NoSuchVariable"), "{stdout}{stderr}");
}

#[test]
fn a_running_package_shows_its_errors_so_far() {
    let s = Service::start();
    with_packages(&s);
    import_test_package(
        &s,
        "running/fails_then_sleeps.dtsx",
        "File System/fails_then_sleeps",
    );
    let id = started(&s, "File System/fails_then_sleeps");
    let pid = running_pid(&s, &id);
    let (code, body) = http(&s, "GET", &format!("running/{id}"), None);
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    let v = json(&body);
    let errors = v["errors"].to_string();
    assert!(
        errors.contains("Broken") && errors.contains("exit code was"),
        "{v}"
    );
    http(&s, "POST", &format!("running/{id}/stop"), None);
    wait_event(&s, 12290, &id, WAIT);
    kill_group(pid);
}
