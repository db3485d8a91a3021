//! Announces a hand-started dtexec to a running `ssisd`, so that it shows in the running list
//! and can be stopped from the API: when `<runtime_dir>/ssisd.json` names a live service, a
//! registration file `<runtime_dir>/runs/<pid>.json` (pid, process start time, package, user,
//! event-stream path) is written and the event stream is pointed at a file the service can
//! follow (unless `SSISD_EVENT_STREAM` already names one). The record and the names are the run
//! protocol's (`ssisd_engine::run_protocol`); the file is written by the one atomic writer.
//! Runs the service started itself,
//! child dtexecs of Execute Package tasks (their parent relays their events), and any failure
//! here, change nothing: the run goes on unmonitored. It must not talk to the
//! service over the network or decide anything about the run.

use std::path::{Path, PathBuf};

use ssisd_engine::run_protocol::{
    process_start_time, registration_file, registration_stream, RunState, CHILD_DEPTH_ENV,
    RUN_BY_SERVICE_ENV, STREAM_ENV,
};

fn runtime_dir() -> PathBuf {
    std::env::var_os("SSISD_SERVICE__RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(ssisd::config::paths::default_runtime_dir)
}

fn service_alive(runtime: &Path) -> bool {
    let Ok(bytes) = std::fs::read(runtime.join("ssisd.json")) else {
        return false;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    v["pid"]
        .as_i64()
        .is_some_and(|pid| process_start_time(pid as i32).is_some())
}

fn user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| format!("uid {}", nix::unistd::getuid()))
}

/// Registers this run with the service if one is up, with its `/Set` options (the service
/// masks sensitive values). Call before the event stream is opened.
pub fn register(package_file: &str, sets: &[String]) {
    // A child dtexec of an Execute Package task is part of its parent's run, whose stream
    // carries its events.
    if std::env::var_os(RUN_BY_SERVICE_ENV).is_some() || std::env::var_os(CHILD_DEPTH_ENV).is_some()
    {
        return;
    }
    let runtime = runtime_dir();
    if !service_alive(&runtime) {
        return;
    }
    let dir = ssisd::config::registration_dir(&runtime);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let pid = std::process::id() as i32;
    let Some(start_time) = process_start_time(pid) else {
        return;
    };
    let events = match std::env::var(STREAM_ENV) {
        Ok(t) if !t.starts_with("fd:") && !t.is_empty() => PathBuf::from(t),
        _ => {
            let p = dir.join(registration_stream(pid));
            // Only this thread runs now: the run and its stream have not started.
            std::env::set_var(STREAM_ENV, &p);
            p
        }
    };
    let events = std::path::absolute(&events).unwrap_or(events);
    let state = RunState {
        execution_id: format!("dtexec-{pid}-{start_time}"),
        pid,
        start_time,
        package: package_file.to_string(),
        user: user(),
        source: "dtexec".into(),
        started_at: chrono::Utc::now(),
        events,
        group: false,
        how: "dtexec".into(),
        sets: sets.to_vec(),
        executor: None,
        external_id: None,
    };
    let _ = ssisd_stores::atomic_file::write_atomically(
        &dir.join(registration_file(pid)),
        &state.to_json(),
        true,
    );
}
