//! End-to-end tests of running packages with the real `dtexec` binary: For Loop with Execute
//! Process, Foreach over files with File System tasks, failures with OnError and failure
//! constraints, MaximumErrorCount via /Set, parallel branches that overlap in time,
//! a task disabled with `/Set …Properties[Disable]`, cancellation by SIGTERM leaving no child
//! behind, variable shadowing with captured stdout,
//! execution values written to ExecValueVariable (the task's own and forced ones),
//! `/WarnAsError` leaving warnings raised while running alone (as SSIS), the `/Sum` summary, and the JSON
//! event stream. The packages live in `tests/packages/run/`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{
    exit_and_text, group_alive, group_gone, read_text as read, sigterm_and_wait, temp_dir as temp,
    wait_for_file,
};

/// Runs dtexec on `tests/packages/run/<name>` with `User::Dir` set to `dir`.
fn dtexec(name: &str, dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out: Output = command(name, dir, extra, env)
        .output()
        .expect("dtexec starts");
    exit_and_text(&out)
}

fn command(name: &str, dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("/F")
        .arg(format!("tests/packages/run/{name}"))
        .arg("/Set")
        .arg(format!(
            "\\Package.Variables[User::Dir].Properties[Value];{}",
            dir.display()
        ))
        .args(extra);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

#[test]
fn for_loop_runs_execute_process_each_iteration() {
    let d = temp();
    let (code, out) = dtexec("for_loop_process.dtsx", d.path(), &[], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("DTSER_SUCCESS (0)"), "{out}");
    for i in 0..3 {
        assert_eq!(
            read(d.path().join(format!("file{i}.txt"))).trim(),
            i.to_string()
        );
    }
    assert!(!d.path().join("file3.txt").exists());
}

#[test]
fn failure_runs_on_error_and_the_failure_path_then_fails_the_package() {
    let d = temp();
    let (code, out) = dtexec("failure.dtsx", d.path(), &[], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("The process exit code was \"3\""), "{out}");
    assert!(out.contains("DTSER_FAILURE (1)"), "{out}");
    assert!(d.path().join("recovered").exists(), "failure constraint");
    assert!(
        !d.path().join("success-path").exists(),
        "success constraint"
    );
    let onerror = read(d.path().join("onerror.txt"));
    assert!(onerror.starts_with("Fails "), "{onerror}");
    // MaximumErrorCount 2: the same failure no longer fails the package.
    let d2 = temp();
    let (code, out) = dtexec(
        "failure.dtsx",
        d2.path(),
        &["/Set", "\\Package.Properties[MaxErrorCount];2"],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(d2.path().join("recovered").exists());
}

#[test]
fn set_disables_a_task_by_the_ssis_property_name() {
    let d = temp();
    let (code, out) = dtexec(
        "failure.dtsx",
        d.path(),
        &["/Set", "\\Package\\Fails.Properties[Disable];True"],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    // A disabled task counts as a success for its constraints.
    assert!(d.path().join("success-path").exists(), "{out}");
    assert!(!d.path().join("recovered").exists(), "{out}");
}

#[test]
fn foreach_copies_matching_files_then_empties_the_folder() {
    let d = temp();
    let input = d.path().join("in");
    std::fs::create_dir(&input).expect("mkdir");
    for f in ["b.txt", "a.txt", "c.log"] {
        std::fs::write(input.join(f), f).expect("write");
    }
    let (code, out) = dtexec("foreach_files.dtsx", d.path(), &[], &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(read(d.path().join("seen.txt")), "a;b;");
    assert_eq!(read(d.path().join("out/a.txt")), "a.txt");
    assert_eq!(read(d.path().join("out/b.txt")), "b.txt");
    assert!(!d.path().join("out/c.log").exists());
    assert_eq!(std::fs::read_dir(&input).expect("ls").count(), 0);
}

fn nanos(p: PathBuf) -> u128 {
    read(p).trim().parse().expect("timestamp")
}

#[test]
fn unconstrained_tasks_overlap_and_max_concurrent_one_serialises_them() {
    let d = temp();
    let at = Instant::now();
    let (code, out) = dtexec("parallel.dtsx", d.path(), &[], &[]);
    assert_eq!(code, 0, "{out}");
    let span = |n: &str| {
        (
            nanos(d.path().join(format!("{n}.start"))),
            nanos(d.path().join(format!("{n}.end"))),
        )
    };
    let (a, b, c) = (span("A"), span("B"), span("C"));
    assert!(a.0 < b.1 && b.0 < a.1, "A and B did not overlap");
    assert!(a.0 < c.1 && c.0 < a.1, "A and C did not overlap");
    assert!(
        at.elapsed() < Duration::from_millis(1100),
        "{:?}",
        at.elapsed()
    );
    let d1 = temp();
    let (code, out) = dtexec("parallel.dtsx", d1.path(), &["/M", "1"], &[]);
    assert_eq!(code, 0, "{out}");
    let mut spans: Vec<(u128, u128)> = ["A", "B", "C"]
        .iter()
        .map(|n| {
            (
                nanos(d1.path().join(format!("{n}.start"))),
                nanos(d1.path().join(format!("{n}.end"))),
            )
        })
        .collect();
    spans.sort();
    assert!(
        spans[0].1 <= spans[1].0 && spans[1].1 <= spans[2].0,
        "{spans:?}"
    );
}

#[test]
fn sigterm_cancels_with_exit_3_and_leaves_no_child() {
    let d = temp();
    let mut child = command("cancel.dtsx", d.path(), &[], &[])
        .stdout(Stdio::piped())
        .spawn()
        .expect("dtexec starts");
    let pid_file = d.path().join("pid");
    wait_for_file(&pid_file, Duration::from_secs(10), "the task never started");
    let pgid: i32 = read(pid_file).trim().parse().expect("pid");
    assert!(group_alive(pgid));
    let (status, out) = sigterm_and_wait(&mut child);
    assert_eq!(status.code(), Some(3), "{out}");
    assert!(out.contains("DTSER_CANCELED (3)"), "{out}");
    assert!(!d.path().join("never").exists());
    assert!(
        group_gone(pgid, Duration::from_secs(2)),
        "process group {pgid} survived the run"
    );
}

#[test]
fn inner_variables_shadow_outer_ones_and_stdout_is_captured() {
    let d = temp();
    let (code, out) = dtexec("variables.dtsx", d.path(), &[], &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        read(d.path().join("result.txt")),
        "outer|inner-changed|Variables"
    );
}

#[test]
fn event_stream_records_the_run() {
    let d = temp();
    let stream = d.path().join("events.jsonl");
    let target = stream.display().to_string();
    let (code, out) = dtexec(
        "failure.dtsx",
        d.path(),
        &[],
        &[("SSISD_EVENT_STREAM", target.as_str())],
    );
    assert_eq!(code, 1, "{out}");
    let records: Vec<serde_json::Value> = read(stream)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(records.iter().all(|r| r["schema"] == 1));
    assert_eq!(
        records.first().map(|r| r["event"].clone()),
        Some("run_start".into())
    );
    let last = records.last().expect("records");
    assert_eq!(last["event"], "run_end");
    assert_eq!(last["result"], "failure");
    assert_eq!(last["dropped"], 0);
    assert!(records.iter().any(|r| r["event"] == "error"
        && r["path"] == "\\Package\\Fails"
        && r["code"] == "0xC0029151"));
    assert!(records.iter().any(|r| r["event"] == "executable_end"
        && r["name"] == "Recover"
        && r["result"] == "success"));
    // A reader that is not there (a missing directory) does not disturb the run.
    let (code, out) = dtexec(
        "for_loop_process.dtsx",
        d.path(),
        &[],
        &[("SSISD_EVENT_STREAM", "/nonexistent/dir/events")],
    );
    assert_eq!(code, 0, "{out}");
}

#[test]
fn unimplemented_task_kinds_are_refused_by_name() {
    let d = temp();
    let pkg = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/run/one_task.dtsx"),
    )
    .expect("read")
    .replace("Microsoft.ExecuteProcess", "Microsoft.FtpTask");
    let file = d.path().join("ftp.dtsx");
    std::fs::write(&file, pkg).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .arg("/F")
        .arg(&file)
        .output()
        .expect("dtexec");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FTP tasks are not supported"), "{text}");
}

#[test]
fn execution_values_reach_the_exec_value_variable() {
    // Exit code 7 into User::Code (and a constraint reading it), a forced String value into
    // User::Forced, the File System task's one operation into the variable named by DTSID,
    // and a task without execution value leaving its variable alone.
    let d = temp();
    let (code, out) = dtexec("exec_value.dtsx", d.path(), &[], &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(read(d.path().join("result.txt")), "7|forty-two|1|5");

    // The forced value and its type through /Set.
    let d = temp();
    let (code, out) = dtexec(
        "exec_value.dtsx",
        d.path(),
        &[
            "/Set",
            "\\Package\\Forced.Properties[ForcedExecutionValue];99",
            "/Set",
            "\\Package\\Forced.Properties[ForcedExecutionValueType];Int32",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(read(d.path().join("result.txt")), "7|99|1|5");

    // A forced value that does not fit its type, or a variable that is not there, fails
    // the task with a clear error.
    let d = temp();
    let (code, out) = dtexec(
        "exec_value.dtsx",
        d.path(),
        &[
            "/Set",
            "\\Package\\Forced.Properties[ExecValueType];11",
            "/Set",
            "\\Package\\Forced.Properties[ExecValue];maybe",
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the forced execution value cannot be used"),
        "{out}"
    );
    let (code, out) = dtexec(
        "exec_value.dtsx",
        d.path(),
        &[
            "/Set",
            "\\Package\\Exit 7.Properties[ExecValueVariable];User::Nope",
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ExecValueVariable \"User::Nope\""), "{out}");
}

#[test]
fn warn_as_error_leaves_warnings_raised_while_running_alone() {
    // The child's parent-variable configuration reads a variable the parent lacks: a warning
    // raised by the Execute Package task at run time, not at validation. SSIS's /WarnAsError
    // fails a package on validation warnings only; a run-time warning stays a warning.
    for extra in [&[][..], &["/W"][..]] {
        let d = temp();
        let (code, out) = dtexec("runtime_warning.dtsx", d.path(), extra, &[]);
        assert_eq!(code, 0, "{extra:?}: {out}");
        assert!(
            out.contains("Warning: ") && out.contains("Code: 0x80019040"),
            "{out}"
        );
        assert!(!out.contains("Code: 0xC0019040"), "{out}");
        assert!(d.path().join("after").exists());
    }
}

#[test]
fn sum_prints_a_summary_of_the_run() {
    let d = temp();
    let (code, out) = dtexec("failure.dtsx", d.path(), &["/Sum"], &[]);
    assert_eq!(code, 1, "{out}");
    // Fails, Recover and the OnError handler's Record ran; OnSuccess did not.
    let expected =
        "Summary:\n   Executables run: 3 (2 succeeded, 1 failed, 0 completed, 0 canceled)\n   \
                    Event handlers run: 1\n   Errors: 1\n   Warnings: 0\nEnd Summary\n\
                    DTExec: The package execution returned DTSER_FAILURE (1).";
    assert!(out.contains(expected), "{out}");
    let (_, out) = dtexec("failure.dtsx", d.path(), &[], &[]);
    assert!(!out.contains("Summary:"), "{out}");
}
