//! End-to-end tests of the Execute Package task with the real `dtexec`: a child run in
//! process with a parameter bound from a parent variable and a parent-variable configuration
//! (its executables in the event stream under the task's path), the same child as its own
//! dtexec (`ExecuteOutOfProcess`), a failing child reached through a FILE connection failing
//! the parent, SIGTERM of a parent whose child is running (in and out of process: exit 3, no
//! process left), and a package that executes itself refused at the depth limit. The
//! packages live in `tests/packages/run/exec_package/`.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{exit_and_text, read_text as read, temp_dir as temp};

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

#[test]
fn child_runs_in_process_with_bindings_and_reports_under_the_task() {
    let d = temp();
    let stream = d.path().join("events.jsonl");
    let target = stream.display().to_string();
    let (code, out) = dtexec(
        "parent.dtsx",
        Some(d.path()),
        &[("SSISD_EVENT_STREAM", target.as_str())],
    );
    assert_eq!(code, 0, "{out}");
    // Target ← User::Dir (parameter binding), Label ← User::Label (parent variable config).
    assert_eq!(read(d.path().join("child.txt")).trim(), "from-parent");
    assert!(d.path().join("after").exists(), "the parent went on");
    let records: Vec<serde_json::Value> = read(stream)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
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
fn child_runs_out_of_process_with_the_same_bindings() {
    let d = temp();
    let (code, out) = dtexec("parent_oop.dtsx", Some(d.path()), &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(read(d.path().join("child.txt")).trim(), "from-parent");
    assert!(d.path().join("after").exists());
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

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only probes; a negative pid probes the process group.
    unsafe { libc::kill(pid, 0) == 0 }
}

fn gone(pid: i32) -> bool {
    (0..300).any(|_| {
        let a = alive(pid);
        std::thread::sleep(Duration::from_millis(10));
        !a
    })
}

/// Starts `name`, waits for the child's sleeping task, SIGTERMs the parent dtexec and
/// returns (exit code, output, sleeping group, the sleeper's parent process).
fn cancel(name: &str) -> (Option<i32>, String, i32, i32) {
    let d = temp();
    let mut child = command(name, Some(d.path()), &[])
        .stdout(Stdio::piped())
        .spawn()
        .expect("dtexec starts");
    let pid_file = d.path().join("pid");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pid_file.exists() {
        assert!(Instant::now() < deadline, "the child task never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let text = read(pid_file);
    let mut ids = text
        .split_whitespace()
        .map(|s| s.parse::<i32>().expect("pid"));
    let (pgid, ppid) = (ids.next().expect("pgid"), ids.next().expect("ppid"));
    assert!(alive(-pgid));
    // SAFETY: signalling the dtexec we started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().expect("wait");
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        use std::io::Read;
        let _ = s.read_to_string(&mut out);
    }
    assert!(!d.path().join("after").exists());
    (status.code(), out, pgid, ppid)
}

#[test]
fn sigterm_cancels_a_parent_with_a_child_running_in_process() {
    let (code, out, pgid, _) = cancel("parent_cancel.dtsx");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("DTSER_CANCELED (3)"), "{out}");
    assert!(gone(-pgid), "process group {pgid} survived the run");
}

#[test]
fn sigterm_cancels_a_parent_with_a_child_dtexec() {
    let (code, out, pgid, child_dtexec) = cancel("parent_cancel_oop.dtsx");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("DTSER_CANCELED (3)"), "{out}");
    assert!(gone(-pgid), "process group {pgid} survived the run");
    assert!(
        gone(-child_dtexec),
        "the child dtexec's group {child_dtexec} survived"
    );
}
