//! End-to-end tests of the Execute Package task with the real `dtexec`: a child run in
//! process with a parameter bound from a parent variable and a parent-variable configuration
//! (its executables in the event stream under the task's path), the same child as its own
//! dtexec (`ExecuteOutOfProcess`) whose events the parent relays into its own stream, a
//! child's errors counting against the parent's MaximumErrorCount and firing its OnError
//! handler (in and out of process alike) unless the child's own OnError handler sets
//! `System::Propagate` to False, a failing child reached through a FILE connection failing
//! the parent, SIGTERM of a parent whose child is running (in and out of process: exit 3, no
//! process left), a package that executes itself refused at the depth limit, and a child
//! stored in SQL Server (msdb) fetched with the login of the task's OLE DB connection (the
//! real fetch only when `SSISD_TEST_MSSQL` names a server). The packages live in
//! `tests/packages/run/exec_package/`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{
    exit_and_text, group_alive, group_gone, read_text as read, sigterm_and_wait, temp_dir as temp,
    wait_for_file,
};

fn command(name: &str, dir: Option<&Path>, env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("/F")
        .arg(format!("tests/packages/run/exec_package/{name}"));
    if let Some(dir) = dir {
        c.arg("/Set").arg(format!(
            "\\Package.Variables[User::Dir].Properties[Value];{}",
            dir.display()
        ));
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn dtexec(name: &str, dir: Option<&Path>, env: &[(&str, &str)]) -> (i32, String) {
    let out = command(name, dir, env).output().expect("dtexec starts");
    exit_and_text(&out)
}

fn records(path: &Path) -> Vec<serde_json::Value> {
    read(path)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
}

/// Runs `name` with `User::Dir` set to a new directory and the event stream written into it;
/// `args` are added to the command line. Returns the directory, the stream file, the exit
/// code and the output.
fn run_streamed(name: &str, args: &[&str]) -> (tempfile::TempDir, PathBuf, i32, String) {
    let d = temp();
    let stream = d.path().join("events.jsonl");
    let target = stream.display().to_string();
    let out = command(
        name,
        Some(d.path()),
        &[("SSISD_EVENT_STREAM", target.as_str())],
    )
    .args(args)
    .output()
    .expect("dtexec starts");
    let (code, text) = exit_and_text(&out);
    (d, stream, code, text)
}

/// `/Set` of the parents' `User::OutOfProcess`: the child in its own dtexec or not.
fn set_out_of_process(value: &str) -> String {
    format!("\\Package.Variables[User::OutOfProcess].Properties[Value];{value}")
}

#[test]
fn child_runs_in_process_with_bindings_and_reports_under_the_task() {
    let (d, stream, code, out) = run_streamed("parent.dtsx", &[]);
    assert_eq!(code, 0, "{out}");
    // Target ← User::Dir (parameter binding), Label ← User::Label (parent variable config).
    assert_eq!(read(d.path().join("child.txt")).trim(), "from-parent");
    assert!(d.path().join("after").exists(), "the parent went on");
    let records = records(&stream);
    assert_eq!(
        records.iter().filter(|r| r["event"] == "run_start").count(),
        1,
        "one run in the stream"
    );
    assert!(records.iter().any(|r| r["event"] == "executable_end"
        && r["path"] == "\\Package\\Run Child\\Package\\Write"
        && r["result"] == "success"));
    assert!(records.iter().any(|r| r["event"] == "executable_end"
        && r["path"] == "\\Package\\Run Child"
        && r["result"] == "success"));
}

#[test]
fn child_runs_out_of_process_with_the_same_bindings_and_its_events_relayed() {
    let (d, stream, code, out) = run_streamed("parent_oop.dtsx", &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(read(d.path().join("child.txt")).trim(), "from-parent");
    assert!(d.path().join("after").exists());
    // The child dtexec wrote its own stream; the parent relayed it into this one, under the
    // task's path, without the child's run_start/run_end.
    let records = records(&stream);
    assert_eq!(
        records.iter().filter(|r| r["event"] == "run_start").count(),
        1,
        "one run in the stream"
    );
    let child = records
        .iter()
        .position(|r| {
            r["event"] == "executable_end"
                && r["path"] == "\\Package\\Run Child\\Package\\Write"
                && r["result"] == "success"
        })
        .expect("the child's task in the parent's stream");
    let task = records
        .iter()
        .position(|r| r["event"] == "executable_end" && r["path"] == "\\Package\\Run Child")
        .expect("the task");
    assert!(child < task, "relayed while the task ran");
    let seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}

#[test]
fn a_childs_errors_count_in_the_parent_in_and_out_of_process() {
    for out_of_process in ["False", "True"] {
        let oop = set_out_of_process(out_of_process);
        // The child tolerates its one error and succeeds; the parent's task does not.
        let (d, stream, code, text) = run_streamed("parent_tolerant.dtsx", &["/Set", &oop]);
        assert_eq!(code, 1, "out of process {out_of_process}: {text}");
        assert!(text.contains("Source: Fails"), "{text}");
        assert!(!d.path().join("after").exists());
        // The parent's OnError handler ran for the child's error, with the child's source.
        assert_eq!(read(d.path().join("onerror.txt")), "Fails\n");
        let records = records(&stream);
        assert!(records.iter().any(|r| r["event"] == "error"
            && r["path"] == "\\Package\\Run Child\\Package\\Fails"
            && r["code"] == "0xC0029151"));
        let end = records
            .iter()
            .find(|r| r["event"] == "run_end")
            .expect("run_end");
        assert_eq!(end["errors"], 1, "{end}");
        assert!(records.iter().any(|r| r["event"] == "executable_end"
            && r["path"] == "\\Package\\Run Child"
            && r["result"] == "failure"));

        // With room for it in MaximumErrorCount the parent goes on.
        let d = temp();
        let out = command("parent_tolerant.dtsx", Some(d.path()), &[])
            .args([
                "/Set",
                &oop,
                "/Set",
                "\\Package\\Run Child.Properties[MaximumErrorCount];2",
                "/Set",
                "\\Package.Properties[MaximumErrorCount];2",
            ])
            .output()
            .expect("dtexec starts");
        let (code, text) = exit_and_text(&out);
        assert_eq!(code, 0, "out of process {out_of_process}: {text}");
        assert!(d.path().join("after").exists());
    }
}

#[test]
fn a_child_handler_that_stops_propagation_keeps_the_error_from_the_parent() {
    for out_of_process in ["False", "True"] {
        let oop = set_out_of_process(out_of_process);
        // The child tolerates its error and its OnError handler sets System::Propagate to
        // False: the parent, at MaximumErrorCount 1, never receives the error.
        let (d, stream, code, text) = run_streamed("parent_stops.dtsx", &["/Set", &oop]);
        assert_eq!(code, 0, "out of process {out_of_process}: {text}");
        assert!(d.path().join("after").exists(), "the parent went on");
        // Still shown on the console and in the stream, marked as stopped.
        assert!(text.contains("Source: Fails"), "{text}");
        assert!(
            !d.path().join("onerror.txt").exists(),
            "the parent's OnError handler ran"
        );
        let records = records(&stream);
        let error = records
            .iter()
            .find(|r| r["event"] == "error" && r["path"] == "\\Package\\Run Child\\Package\\Fails")
            .expect("the child's error in the parent's stream");
        assert_eq!(error["code"], "0xC0029151");
        assert_eq!(error["propagate"], false, "{error}");
        // The child's handler ran before the error was passed on.
        assert!(records.iter().any(|r| r["event"] == "executable_end"
            && r["path"] == "\\Package\\Run Child\\Package.EventHandlers[OnError]\\Stop"
            && r["result"] == "success"));
        let end = records
            .iter()
            .find(|r| r["event"] == "run_end")
            .expect("run_end");
        assert_eq!(end["errors"], 0, "{end}");
        assert_eq!(end["result"], "success", "{end}");
    }
}

#[test]
fn a_failing_child_fails_the_task_and_the_parent() {
    let d = temp();
    let (code, out) = dtexec("parent_fail.dtsx", Some(d.path()), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("The process exit code was \"3\""), "{out}");
    assert!(out.contains("child_fail.dtsx\" failed"), "{out}");
    assert!(
        !d.path().join("after").exists(),
        "success constraint not taken"
    );
}

#[test]
fn a_package_executing_itself_is_refused_at_the_depth_limit() {
    let (code, out) = dtexec("self.dtsx", None, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("nested more than 16 packages deep"), "{out}");
    assert!(out.contains("executes itself"), "{out}");
}

/// Starts `name`, waits for the child's sleeping task, SIGTERMs the parent dtexec and
/// returns (exit code, output, sleeping group, the sleeper's parent process).
/// How long a cancelled run's processes may take to end.
const GONE: Duration = Duration::from_secs(3);

fn cancel(name: &str) -> (Option<i32>, String, i32, i32) {
    let d = temp();
    let mut child = command(name, Some(d.path()), &[])
        .stdout(Stdio::piped())
        .spawn()
        .expect("dtexec starts");
    let pid_file = d.path().join("pid");
    wait_for_file(
        &pid_file,
        Duration::from_secs(20),
        "the child task never started",
    );
    let text = read(pid_file);
    let mut ids = text
        .split_whitespace()
        .map(|s| s.parse::<i32>().expect("pid"));
    let (pgid, ppid) = (ids.next().expect("pgid"), ids.next().expect("ppid"));
    assert!(group_alive(pgid));
    let (status, out) = sigterm_and_wait(&mut child);
    assert!(!d.path().join("after").exists());
    (status.code(), out, pgid, ppid)
}

#[test]
fn sigterm_cancels_a_parent_with_a_child_running_in_process() {
    let (code, out, pgid, _) = cancel("parent_cancel.dtsx");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("DTSER_CANCELED (3)"), "{out}");
    assert!(
        group_gone(pgid, GONE),
        "process group {pgid} survived the run"
    );
}

#[test]
fn sigterm_cancels_a_parent_with_a_child_dtexec() {
    let (code, out, pgid, child_dtexec) = cancel("parent_cancel_oop.dtsx");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("DTSER_CANCELED (3)"), "{out}");
    assert!(
        group_gone(pgid, GONE),
        "process group {pgid} survived the run"
    );
    assert!(
        group_gone(child_dtexec, GONE),
        "the child dtexec's group {child_dtexec} survived"
    );
}

#[test]
fn a_child_in_msdb_is_fetched_with_the_login_of_the_ole_db_connection() {
    // No password in the package (none is ever saved): the fetch says how to give one.
    let (code, out) = dtexec("parent_msdb.dtsx", None, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\\ssisd_test\\child"), "{out}");
    assert!(out.contains("no Password"), "{out}");
    // A server that is not there: the fetch is tried and its error reported.
    let out = command("parent_msdb.dtsx", None, &[])
        .arg("/Conn")
        .arg("Msdb;Data Source=127.0.0.1,1;User ID=etl;Password=x;Provider=SQLNCLI11.1")
        .output()
        .expect("dtexec starts");
    let (code, out) = exit_and_text(&out);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot open msdb on \"127.0.0.1,1\""), "{out}");
}

#[test]
fn a_child_stored_in_msdb_runs_in_and_out_of_process() {
    let Ok(conn) = std::env::var("SSISD_TEST_MSSQL") else {
        println!(
            "SKIPPED: Execute Package from msdb (set SSISD_TEST_MSSQL to an ADO connection string)"
        );
        return;
    };
    let (settings, user, password) = support::mssql_login(&conn);
    let name = format!("ssisd_exec_child_{}", std::process::id());
    let child = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/packages/run/exec_package/child.dtsx"
    );
    let copy = format!("SQL;{name}");
    let login = [
        "/DestServer",
        settings.server.as_str(),
        "/DestUser",
        user.as_str(),
        "/DestPassword",
        password.as_str(),
    ];
    let mut args = vec!["/FILE", child, "/COPY", copy.as_str(), "/Q"];
    args.extend(login);
    let put = support::dtutil(None, &args);
    assert_eq!(put.status.code(), Some(0), "{}", exit_and_text(&put).1);
    for out_of_process in ["False", "True"] {
        let d = temp();
        let out = command("parent_msdb.dtsx", Some(d.path()), &[])
            .arg("/Conn")
            .arg(format!("Msdb;{conn};Provider=MSOLEDBSQL"))
            .arg("/Set")
            .arg(format!(
                "\\Package.Variables[User::ChildPath].Properties[Value];\\{name}"
            ))
            .arg("/Set")
            .arg(set_out_of_process(out_of_process))
            .output()
            .expect("dtexec starts");
        let (code, text) = exit_and_text(&out);
        assert_eq!(code, 0, "out of process {out_of_process}: {text}");
        assert_eq!(read(d.path().join("child.txt")).trim(), "from-msdb-parent");
        assert!(d.path().join("after").exists());
    }
    let mut delete = vec![
        "/SQL",
        name.as_str(),
        "/DELETE",
        "/SourceServer",
        settings.server.as_str(),
        "/SourceUser",
        user.as_str(),
        "/SourcePassword",
        password.as_str(),
    ];
    delete.push("/Q");
    let _ = support::dtutil(None, &delete);
}
