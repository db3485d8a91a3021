//! End-to-end tests of the `slurm` executor on a real one-machine Slurm cluster (Debian's
//! munged, slurmctld and slurmd, started per test by `support::slurm::Cluster` and stopped
//! when it drops): a package run on Slurm succeeds (`ssisctl run --on … --wait`, its events,
//! the execution history), a failing package fails with its errors, a stopped run is
//! cancelled and its job ends, a job Slurm refuses (no such partition) fails at once with
//! Slurm's own words, an unknown executor is refused, runs past the executor's capacity wait
//! as queued, and a restarted service re-adopts its runs from their persisted handles without
//! a second job (also when the service stopped in the middle of a submission), a node taken
//! down ends a run as lost, and a schedule sends its runs to its executor. Without root or
//! the daemons each test prints SKIPPED.

mod support;

use std::time::Duration;

use support::slurm::Cluster;
use support::{
    execution_id_in, exit_and_text, http, import_test_package, json, running, ssisctl, temp_dir,
    wait_event, Options, Service,
};

const WAIT: Duration = Duration::from_secs(60);

fn cluster() -> Option<Cluster> {
    match Cluster::start() {
        Ok(c) => Some(c),
        Err(why) => {
            println!("SKIPPED: {why}");
            None
        }
    }
}

/// Writes the service's configuration (the cluster's executors) and returns its options.
fn options(dir: &std::path::Path, executors: &str, extra_env: &[(&str, &str)]) -> Options {
    let config = dir.join("ssisd.toml");
    std::fs::write(&config, executors).unwrap();
    Options {
        config: Some(config),
        env: extra_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn with_packages(s: &Service) {
    Service::eventually(Duration::from_secs(20), || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    for p in ["sleep_long", "quick", "fails"] {
        import_test_package(s, &format!("running/{p}.dtsx"), &format!("File System/{p}"));
    }
}

/// Starts `package` on `executor`; the answer's status and body.
fn start_on(s: &Service, package: &str, executor: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({ "package": package, "executor": executor }).to_string();
    let (code, body) = http(s, "POST", "running", Some(body.as_bytes()));
    (code, json(&body))
}

fn started_on(s: &Service, package: &str, executor: &str) -> String {
    let (code, answer) = start_on(s, package, executor);
    assert_eq!(code, 201, "{answer}");
    assert_eq!(answer["executor"], executor);
    answer["id"].as_str().unwrap().to_string()
}

/// Waits until run `id` is listed running on Slurm with its step executing; its job id.
fn running_job(s: &Service, id: &str) -> String {
    let r = Service::eventually(WAIT, || {
        running(s).into_iter().find(|r| {
            r["id"] == id
                && r["state"] == "running"
                && r["executing"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|p| p == "\\Package\\Step"))
        })
    });
    r["external_id"].as_str().unwrap().to_string()
}

#[test]
fn packages_run_on_slurm_succeed_fail_stop_and_refusals_are_immediate() {
    let Some(cluster) = cluster() else { return };
    let temp = temp_dir();
    let config = cluster.executor_toml("cluster", "capacity = 2")
        + &cluster.executor_toml("nowhere", "partition = \"no_such_partition\"")
        + &cluster.executor_toml("broken", "runner = \"/nonexistent/dtexec\"")
        + &cluster.executor_toml(
            "later",
            "sbatch_options = [\"--begin=now+3600\"]\npending_timeout_seconds = 4",
        );
    let opts = options(temp.path(), &config, &[]);
    let s = Service::start_in(temp, opts);
    with_packages(&s);

    // Success, followed by ssisctl run --wait, recorded in the history.
    let out = ssisctl(
        &s,
        &["run", "File System/quick", "--on", "cluster", "--wait"],
    );
    let (code, text) = exit_and_text(&out);
    assert_eq!(code, 0, "{text}\n{}", cluster.logs());
    let id = execution_id_in(&text);
    let ok = wait_event(&s, 12289, &id, WAIT);
    assert_eq!(ok["fields"]["executor"], "cluster");
    let (code, body) = http(&s, "GET", &format!("executions/{id}"), None);
    assert_eq!(code, 200);
    let execution = json(&body);
    assert!(execution.to_string().contains("succeeded"), "{execution}");
    let jobs = cluster.jobs();
    let label_suffix = format!("-{id}");
    let job = jobs
        .iter()
        .find(|(_, name, _)| name.starts_with("ssisd-") && name.ends_with(&label_suffix))
        .unwrap_or_else(|| panic!("a job labelled with the run: {jobs:?}"));
    assert_eq!(job.2, "COMPLETED");
    let run_dir = s.data_dir.join("runs").join(&id);
    let script = std::fs::read_to_string(run_dir.join("job.sh")).unwrap();
    assert!(
        !script.contains("/F"),
        "no argument in the job script: {script}"
    );

    // A failing package fails with its own errors.
    let bad = started_on(&s, "File System/fails", "cluster");
    let e = wait_event(&s, 12291, &bad, WAIT);
    assert!(e["fields"]["errors"].to_string().contains("Step"), "{e}");

    // A stopped run is cancelled and its job ends.
    let long = started_on(&s, "File System/sleep_long", "cluster");
    let job = running_job(&s, &long);
    let (code, _) = http(&s, "POST", &format!("running/{long}/stop"), None);
    assert_eq!(code, 202);
    let e = wait_event(&s, 12290, &long, WAIT);
    assert_eq!(e["fields"]["outcome"], "cancelled");
    let state = cluster.job_state(&job);
    assert!(
        !["RUNNING", "PENDING"].contains(&state.as_str()),
        "job {job} is {state}"
    );

    // Slurm refuses the job: the run fails at once with Slurm's words; nothing stays there.
    let refused = started_on(&s, "File System/quick", "nowhere");
    let e = wait_event(&s, 12291, &refused, Duration::from_secs(20));
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("Invalid partition name specified"),
        "{message}"
    );
    assert!(cluster
        .jobs()
        .iter()
        .all(|(_, name, _)| !name.ends_with(&format!("-{refused}"))));

    // A job Slurm holds back is listed as queued with Slurm's reason; past the pending
    // timeout it is cancelled there and the run fails as not started.
    let held = started_on(&s, "File System/quick", "later");
    let queued = Service::eventually(WAIT, || {
        running(&s)
            .into_iter()
            .find(|r| r["id"] == held.as_str() && r["state"] == "queued")
    });
    assert!(
        queued["queued_reason"]
            .as_str()
            .unwrap()
            .contains("BeginTime"),
        "{queued}"
    );
    let job = queued["external_id"].as_str().unwrap().to_string();
    let e = wait_event(&s, 12291, &held, WAIT);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("did not start it within 4 s"),
        "{e}"
    );
    Service::eventually(WAIT, || {
        (cluster.job_state(&job) == "CANCELLED").then_some(())
    });

    // A runner that cannot start on the node: its words come back with the failure.
    let broken = started_on(&s, "File System/quick", "broken");
    let e = wait_event(&s, 12291, &broken, WAIT);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/dtexec: No such file or directory"),
        "{e}"
    );

    // An executor that is not configured is refused before anything starts.
    let (code, answer) = start_on(&s, "File System/quick", "elsewhere");
    assert_eq!(code, 400, "{answer}");
    assert!(
        answer.to_string().contains("cluster"),
        "the answer names the executors: {answer}"
    );

    // Past the capacity (2), a run waits in the service, listed as queued.
    let a = started_on(&s, "File System/sleep_long", "cluster");
    let b = started_on(&s, "File System/sleep_long", "cluster");
    let c = started_on(&s, "File System/sleep_long", "cluster");
    running_job(&s, &a);
    running_job(&s, &b);
    let queued = running(&s)
        .into_iter()
        .find(|r| r["id"] == c.as_str())
        .unwrap();
    assert_eq!(queued["state"], "queued", "{queued}");
    assert!(
        queued["queued_reason"]
            .as_str()
            .unwrap()
            .contains("capacity")
            || queued["queued_reason"]
                .as_str()
                .unwrap()
                .contains("at most")
    );
    let (code, _) = http(&s, "POST", &format!("running/{a}/stop"), None);
    assert_eq!(code, 202);
    running_job(&s, &c);
    for id in [&b, &c] {
        http(&s, "POST", &format!("running/{id}/stop"), None);
    }
    for id in [&a, &b, &c] {
        wait_event(&s, 12290, id, WAIT);
    }
}

#[test]
fn a_restarted_service_readopts_its_slurm_runs_without_a_second_job() {
    let Some(cluster) = cluster() else { return };
    let temp = temp_dir();
    let opts = options(
        temp.path(),
        &cluster.executor_toml("cluster", ""),
        &[(
            "SSISD_SERVICE__STOP_EXECUTING_PACKAGES_ON_SHUTDOWN",
            "false",
        )],
    );
    let mut s = Service::spawn(temp.path(), &opts).unwrap();
    with_packages(&s);
    let id = started_on(&s, "File System/sleep_long", "cluster");
    let job = running_job(&s, &id);
    assert!(s.stop().success());
    assert_eq!(cluster.job_state(&job), "RUNNING", "the job is not touched");

    let s = Service::spawn(temp.path(), &opts).unwrap();
    let adopted = Service::eventually(WAIT, || {
        running(&s)
            .into_iter()
            .find(|r| r["id"] == id.as_str() && r["state"] == "running")
    });
    assert_eq!(adopted["external_id"], job.as_str());
    assert_eq!(adopted["executor"], "cluster");
    // A controller that goes away for a while ends nothing: the run stays running.
    let mut cluster = cluster;
    cluster.stop_controller();
    std::thread::sleep(Duration::from_secs(2));
    assert!(running(&s)
        .iter()
        .any(|r| r["id"] == id.as_str() && r["state"] == "running"));
    cluster.start_controller();
    assert_eq!(cluster.job_state(&job), "RUNNING");
    let (code, _) = http(&s, "POST", &format!("running/{id}/stop"), None);
    assert_eq!(code, 202);
    let e = wait_event(&s, 12290, &id, WAIT);
    assert_eq!(e["fields"]["outcome"], "cancelled");
    // The history followed the run across the restart: cancelled, not "ended unexpectedly".
    let execution = Service::eventually(WAIT, || {
        let (code, body) = http(&s, "GET", &format!("executions/{id}"), None);
        let v = json(&body);
        (code == 200 && v.to_string().contains("canceled")).then_some(v)
    });
    assert!(
        !execution.to_string().contains("ended unexpectedly"),
        "{execution}"
    );
    let labelled: Vec<_> = cluster
        .jobs()
        .into_iter()
        .filter(|(_, name, _)| name.ends_with(&format!("-{id}")))
        .collect();
    assert_eq!(labelled.len(), 1, "one job, never a second: {labelled:?}");
    // The handle is forgotten once the outcome is recorded.
    Service::eventually(WAIT, || {
        let db = rusqlite::Connection::open(s.data_dir.join("executors.db")).ok()?;
        let n: i64 = db
            .query_row("SELECT count(*) FROM handles", [], |r| r.get(0))
            .ok()?;
        (n == 0).then_some(())
    });
}

/// With `stop_executing_packages_on_shutdown` (the default), the service's stop cancels its
/// runs on Slurm too (TERM through scancel, without waiting for them); the next start records
/// them as cancelled.
#[test]
fn the_service_stop_cancels_its_slurm_runs_and_the_next_start_records_them() {
    let Some(cluster) = cluster() else { return };
    let temp = temp_dir();
    let opts = options(temp.path(), &cluster.executor_toml("cluster", ""), &[]);
    let mut s = Service::spawn(temp.path(), &opts).unwrap();
    with_packages(&s);
    let id = started_on(&s, "File System/sleep_long", "cluster");
    let job = running_job(&s, &id);
    assert!(s.stop().success());
    Service::eventually(WAIT, || {
        let state = cluster.job_state(&job);
        (!["RUNNING", "PENDING", "COMPLETING"].contains(&state.as_str())).then_some(())
    });
    let s = Service::spawn(temp.path(), &opts).unwrap();
    let e = wait_event(&s, 12290, &id, WAIT);
    assert_eq!(e["fields"]["outcome"], "cancelled");
    assert_eq!(support::events_of(&s, 336, Some(&id)).len(), 1);
}

/// A service that stopped between recording a run's handle and Slurm's answer finds the run
/// again by its job name, or — when Slurm holds no job for it — records it as failed without
/// starting; either way nothing runs twice.
#[test]
fn handles_without_a_job_id_are_found_by_their_labels_or_recorded_as_not_started() {
    let Some(cluster) = cluster() else { return };
    let temp = temp_dir();
    let opts = options(temp.path(), &cluster.executor_toml("cluster", ""), &[]);
    let mut s = Service::spawn(temp.path(), &opts).unwrap();
    with_packages(&s);
    let first = started_on(&s, "File System/quick", "cluster");
    wait_event(&s, 12289, &first, WAIT);
    assert!(s.stop().success());

    // As a stop in the middle of a submission leaves them: handles without a job id, one of
    // whose jobs Slurm did accept.
    let db = rusqlite::Connection::open(s.data_dir.join("executors.db")).unwrap();
    let instance: String = db
        .query_row(
            "SELECT value FROM meta WHERE key = 'instance_id'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let runs = s.data_dir.join("runs");
    for id in ["ORPHAN-1", "LABELLED-1"] {
        std::fs::create_dir_all(runs.join(id)).unwrap();
        std::fs::write(runs.join(id).join("events.jsonl"), "").unwrap();
        let state = serde_json::json!({
            "execution_id": id, "pid": 0, "start_time": 0,
            "package": "\\File System\\sleep_long", "user": "tester", "source": "service",
            "started_at": "2026-01-01T00:00:00Z",
            "events": runs.join(id).join("events.jsonl"),
            "how": "api", "executor": "cluster"
        });
        db.execute(
            "INSERT INTO handles (execution_id, executor, instance_id, external_id, state, recorded_at) VALUES (?1, 'cluster', ?2, NULL, ?3, '2026-01-01T00:00:00Z')",
            rusqlite::params![id, instance, state.to_string()],
        )
        .unwrap();
    }
    drop(db);
    let job = cluster
        .run(
            "sbatch",
            &[
                "--parsable",
                "--no-requeue",
                &format!("--job-name=ssisd-{instance}-LABELLED-1"),
                "--output=/dev/null",
                "--wrap=exec sleep 120",
            ],
        )
        .trim()
        .to_string();

    let s = Service::spawn(temp.path(), &opts).unwrap();
    let e = wait_event(&s, 12291, "ORPHAN-1", WAIT);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("holds no job for it"),
        "{e}"
    );
    let adopted = Service::eventually(WAIT, || {
        running(&s)
            .into_iter()
            .find(|r| r["id"] == "LABELLED-1" && r["state"] == "running")
    });
    assert_eq!(adopted["external_id"], job.as_str());
    let (code, _) = http(&s, "POST", "running/LABELLED-1/stop", None);
    assert_eq!(code, 202);
    let e = wait_event(&s, 12290, "LABELLED-1", WAIT);
    assert_eq!(e["fields"]["outcome"], "cancelled");
    let labelled = cluster
        .jobs()
        .into_iter()
        .filter(|(_, name, _)| name.ends_with("-LABELLED-1"))
        .count();
    assert_eq!(labelled, 1);
}

/// A node taken down under a run ends it as lost (Slurm's `NODE_FAIL`, with the reason), and
/// it is not run again: the job is never requeued.
#[test]
fn a_run_whose_node_goes_down_is_lost_and_not_run_again() {
    let Some(cluster) = cluster() else { return };
    let temp = temp_dir();
    let opts = options(temp.path(), &cluster.executor_toml("cluster", ""), &[]);
    let s = Service::spawn(temp.path(), &opts).unwrap();
    with_packages(&s);
    let id = started_on(&s, "File System/sleep_long", "cluster");
    let job = running_job(&s, &id);
    cluster.run(
        "scontrol",
        &["update", "NodeName=n1", "State=DOWN", "Reason=power_lost"],
    );
    let e = wait_event(&s, 1030, &id, WAIT);
    assert_eq!(e["fields"]["outcome"], "lost");
    assert!(
        e["fields"]["exit"].as_str().unwrap().contains("NODE_FAIL"),
        "{e}"
    );
    assert_eq!(cluster.job_state(&job), "NODE_FAIL");
    let labelled = cluster
        .jobs()
        .into_iter()
        .filter(|(_, name, _)| name.ends_with(&format!("-{id}")))
        .count();
    assert_eq!(labelled, 1, "never a second job");
}

/// A schedule's `executor` sends its runs to Slurm, and so does a folder's for runs of its
/// packages that name none.
#[test]
fn a_schedule_and_a_folder_send_their_runs_to_their_executor() {
    let Some(cluster) = cluster() else { return };
    let temp = temp_dir();
    let config = cluster.executor_toml("cluster", "")
        + "[[schedule]]\nname = \"on-cluster\"\npackage = \"File System/quick\"\ncron = \"* * * * * *\"\nexecutor = \"cluster\"\n"
        + "[[folder]]\nkind = \"file-system\"\nname = \"File System\"\nstore_path = \"packages\"\n"
        + "[[folder]]\nkind = \"file-system\"\nname = \"Nightly\"\nstore_path = \"nightly\"\nexecutor = \"cluster\"\n";
    let opts = options(temp.path(), &config, &[]);
    let s = Service::spawn(temp.path(), &opts).unwrap();
    with_packages(&s);
    let done = Service::eventually(WAIT, || {
        support::events_of(&s, 12289, None)
            .into_iter()
            .find(|e| e["fields"]["executor"] == "cluster")
    });
    let id = done["fields"]["execution_id"].as_str().unwrap();
    assert!(
        cluster
            .jobs()
            .iter()
            .any(|(_, name, state)| name.ends_with(&format!("-{id}")) && state == "COMPLETED"),
        "{:?}",
        cluster.jobs()
    );

    Service::eventually(Duration::from_secs(20), || {
        (s.folder_state("Nightly").as_deref() == Some("available")).then_some(())
    });
    import_test_package(&s, "running/quick.dtsx", "Nightly/quick");
    let body = serde_json::json!({ "package": "Nightly/quick" }).to_string();
    let (code, answer) = http(&s, "POST", "running", Some(body.as_bytes()));
    assert_eq!(code, 201);
    let id = json(&answer)["id"].as_str().unwrap().to_string();
    let e = wait_event(&s, 12289, &id, WAIT);
    assert_eq!(e["fields"]["executor"], "cluster");
}

/// A loopback port free at the moment (the service listens on it, so that the executor's
/// `service_url` can name it before the service starts).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A variable of the environment of the runner of run `id` (read from /proc, as root).
fn runner_env(id: &str, name: &str) -> Option<String> {
    let marker = format!("SSISD_EXECUTION_ID={id}");
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let vars: Vec<String> = environ
            .split(|b| *b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        if vars.contains(&marker) {
            if let Some(v) = vars
                .iter()
                .find_map(|v| v.strip_prefix(&format!("{name}=")))
            {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// `GET` with an optional bearer token: status, `X-Content-SHA256` and body.
fn get_with(url: &str, token: Option<&str>) -> (u16, Option<String>, Vec<u8>) {
    let mut req = ureq::get(url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let answer = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{url}: {e}"),
    };
    let status = answer.status();
    let sha = answer.header("X-Content-SHA256").map(str::to_string);
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut answer.into_reader(), &mut body).unwrap();
    (status, sha, body)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_fetch_transport_hands_the_package_to_its_run_only_and_checks_its_hash() {
    let Some(cluster) = cluster() else { return };
    let temp = temp_dir();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let config = cluster.executor_toml(
        "fetching",
        &format!("transport = \"fetch\"\nservice_url = \"{url}\""),
    );
    let listen = format!("127.0.0.1:{port}");
    let opts = options(
        temp.path(),
        &config,
        &[("SSISD_SERVICE__LISTEN", listen.as_str())],
    );
    let s = Service::start_in(temp, opts);
    with_packages(&s);

    // The run fetches its package and arguments; none of them is left in its directory, and
    // its grant ends with it.
    let out = ssisctl(
        &s,
        &["run", "File System/quick", "--on", "fetching", "--wait"],
    );
    let (code, text) = exit_and_text(&out);
    assert_eq!(code, 0, "{text}\n{}", cluster.logs());
    let id = execution_id_in(&text);
    let run_dir = s.data_dir.join("runs").join(&id);
    assert!(!run_dir.join("arguments").exists());
    // Revoked once the outcome is recorded (just after ssisctl heard of the end).
    Service::eventually(Duration::from_secs(20), || {
        (!run_dir.join("fetch.json").exists()).then_some(())
    });
    let script = std::fs::read_to_string(run_dir.join("job.sh")).unwrap();
    assert!(!script.contains("./arguments"), "{script}");

    // While a run is in progress its token opens its package; no other token does.
    let long = started_on(&s, "File System/sleep_long", "fetching");
    running_job(&s, &long);
    let token = runner_env(&long, "SSISD_RUN_TOKEN").expect("the runner has its token");
    let expected = runner_env(&long, "SSISD_PACKAGE_SHA256").unwrap();
    let package_url = format!("{url}/api/v1/runs/{long}/package");
    let (code, sha, body) = get_with(&package_url, Some(&token));
    assert_eq!(code, 200);
    assert_eq!(sha.as_deref(), Some(expected.as_str()));
    assert_eq!(sha256_hex(&body), expected);
    let (code, _, body) = get_with(&format!("{url}/api/v1/runs/{long}/arguments"), Some(&token));
    assert_eq!(code, 200);
    assert_eq!(json(&body)["file"], "package.dtsx");
    let (code, _, _) = get_with(&package_url, Some(&"0".repeat(64)));
    assert_eq!(code, 401, "a wrong token");
    let (code, _, _) = get_with(&package_url, None);
    assert_eq!(code, 401, "no token");
    let (code, _, _) = get_with(&format!("{url}/api/v1/runs/{id}/package"), Some(&token));
    assert_eq!(code, 403, "another (ended) run");

    // A package whose hash is not the submitted one is not run.
    let dtexec = support::ssisd_bin().with_file_name("dtexec");
    let out = std::process::Command::new(&dtexec)
        .env("SSISD_FETCH_URL", &url)
        .env("SSISD_EXECUTION_ID", &long)
        .env("SSISD_RUN_TOKEN", &token)
        .env("SSISD_PACKAGE_SHA256", "0".repeat(64))
        .env_remove("SSISD_EVENT_STREAM")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("has SHA-256 {expected}")),
        "{stderr}"
    );
    assert!(stderr.contains("the run is not started"), "{stderr}");

    // An ended run's token opens nothing any more.
    let (code, _) = http(&s, "POST", &format!("running/{long}/stop"), None);
    assert_eq!(code, 202);
    wait_event(&s, 12290, &long, WAIT);
    let (code, _, _) = get_with(&package_url, Some(&token));
    assert_eq!(code, 403, "the run ended");
}
