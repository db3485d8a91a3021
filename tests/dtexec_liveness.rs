//! End-to-end tests that a `dtexec` run ends by itself and says what happens as it happens:
//! event handlers whose own tasks fail (OnError and OnTaskFailed re-raising each other, the
//! real corpus package that used to hang, `/M 1` where the handler's task needs the slot its
//! failing task holds), one handler fired from two parallel branches keeping each run's
//! system variables apart, SIGTERM while a handler runs, console output reaching a pipe
//! before the run ends, and load and validation errors reaching the event stream. The
//! packages live in `tests/packages/run/`.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{read_text as read, sigterm_and_wait, temp_dir as temp, wait_for_file};

/// The bound the hang tests give a run that used to hang forever: its real duration is a few
/// milliseconds of work plus process start-up.
const MUST_END_WITHIN: Duration = Duration::from_secs(5);

fn command(package: &Path, dir: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("/F")
        .arg(package)
        .arg("/Set")
        .arg(format!(
            "\\Package.Variables[User::Dir].Properties[Value];{}",
            dir.display()
        ))
        .args(extra);
    c
}

fn run_package(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/packages/run")
        .join(name)
}

/// Starts `c` with its output in `out`, waits until it ends or `MUST_END_WITHIN` passes; a run
/// still going then is killed and the test fails. Returns the exit code and the output.
fn run_bounded(mut c: Command, out: &Path) -> (i32, String) {
    let file = std::fs::File::create(out).expect("output file");
    let err = file.try_clone().expect("output file");
    let mut child = c
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("dtexec starts");
    let deadline = Instant::now() + MUST_END_WITHIN;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (status.code().unwrap_or(-1), read(out));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "dtexec did not end within {MUST_END_WITHIN:?}; its output:\n{}",
                read(out)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn failing_on_error_and_on_task_failed_handlers_end_the_run() {
    let d = temp();
    let c = command(&run_package("handler_chain.dtsx"), d.path(), &[]);
    let (code, out) = run_bounded(c, &d.path().join("out.txt"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DTSER_FAILURE (1)"), "{out}");
    // OnError ran for the task, and for OnTaskFailed's task (started by the task's own
    // failure, outside any OnError run); never for its own task. OnTaskFailed likewise.
    assert_eq!(
        read(d.path().join("onerror.txt")),
        "Fails\nFailedStep\n",
        "{out}"
    );
    assert_eq!(
        read(d.path().join("ontaskfailed.txt")),
        "ErrorStep\nFails\n",
        "{out}"
    );
}

#[test]
fn a_handler_task_runs_on_the_slot_of_the_task_that_failed() {
    // With one slot, the OnError handler's task would wait forever for the slot its failing
    // task holds while it waits for the handler.
    let d = temp();
    let c = command(&run_package("failure.dtsx"), d.path(), &["/M", "1"]);
    let (code, out) = run_bounded(c, &d.path().join("out.txt"));
    assert_eq!(code, 1, "{out}");
    assert!(read(d.path().join("onerror.txt")).starts_with("Fails "));
    let d = temp();
    let c = command(&run_package("handler_chain.dtsx"), d.path(), &["/M", "1"]);
    let (code, out) = run_bounded(c, &d.path().join("out.txt"));
    assert_eq!(code, 1, "{out}");
}

#[test]
fn the_corpus_package_with_failing_handlers_ends_by_itself() {
    let Some(dir) = support::corpus("dtsx") else {
        return;
    };
    let package = dir.join("pedbir__Framework__Agresso_Master.dtsx");
    let d = temp();
    // Its connection uses Windows authentication, which validation refuses on Linux: a SQL
    // Server login on a loopback port where nothing listens lets it run, and fail at once —
    // the task, then the OnError and OnTaskFailed handlers' own Execute SQL tasks.
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.arg("/F").arg(&package).args([
        "/Conn",
        "DWH_0_Admin;Data Source=127.0.0.1,1;User ID=ssisd;Password=unused;Provider=SQLNCLI11",
    ]);
    let (code, out) = run_bounded(c, &d.path().join("out.txt"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DTSER_FAILURE (1)"), "{out}");
    assert!(out.contains("Source: EST Log Package Error"), "{out}");
    assert!(out.contains("Source: EST Log Task Failed"), "{out}");
}

#[test]
fn parallel_runs_of_one_handler_each_see_their_own_event() {
    let d = temp();
    let c = command(&run_package("handler_parallel.dtsx"), d.path(), &[]);
    let (code, out) = run_bounded_long(c, &d.path().join("out.txt"));
    assert_eq!(code, 1, "{out}");
    let mut lines: Vec<String> = read(d.path().join("onerror.txt"))
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("First ") && lines[0].contains("exit code was 3"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("Second ") && lines[1].contains("exit code was 4"),
        "{lines:?}"
    );
}

/// As [`run_bounded`], for a package that sleeps on purpose: only a hang fails it.
fn run_bounded_long(c: Command, out: &Path) -> (i32, String) {
    let mut child = spawn_piped(c);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut text = String::new();
            if let Some(mut s) = child.stdout.take() {
                let _ = std::io::Read::read_to_string(&mut s, &mut text);
            }
            let _ = std::fs::write(out, &text);
            return (status.code().unwrap_or(-1), text);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dtexec did not end");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn_piped(mut c: Command) -> Child {
    c.stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dtexec starts")
}

#[test]
fn output_reaches_a_pipe_while_the_run_goes_on_and_sigterm_ends_a_handler() {
    let d = temp();
    let mut child = spawn_piped(command(&run_package("handler_cancel.dtsx"), d.path(), &[]));
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The handler is running (and sleeps for minutes): the run is far from its end.
    wait_for_file(
        &d.path().join("started"),
        Duration::from_secs(30),
        "the OnError handler never started",
    );
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !seen.iter().any(|l: &String| l.starts_with("Started:")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("nothing came through the pipe while the run went on: {seen:?}"),
        }
    }
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the run ended before its output was read"
    );
    assert!(seen.iter().any(|l| l.contains("Execute Package Utility")));
    let (status, _) = sigterm_and_wait(&mut child);
    let _ = reader.join();
    let rest: Vec<String> = rx.try_iter().collect();
    assert_eq!(status.code(), Some(3), "{seen:?} {rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("DTSER_CANCELED (3)")),
        "{rest:?}"
    );
}

/// The records of the event stream dtexec wrote to `path`.
fn records(path: &Path) -> Vec<serde_json::Value> {
    read(path)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn load_and_validation_errors_are_in_the_event_stream() {
    let d = temp();
    let stream = d.path().join("invalid.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["/F", "tests/packages/bad_expression.dtsx"])
        .env("SSISD_EVENT_STREAM", &stream)
        .output()
        .expect("dtexec starts");
    assert_eq!(out.status.code(), Some(1));
    let r = records(&stream);
    let errors: Vec<_> = r.iter().filter(|x| x["event"] == "error").collect();
    assert!(!errors.is_empty(), "{r:?}");
    let console = String::from_utf8_lossy(&out.stdout);
    for e in &errors {
        let description = e["description"].as_str().expect("description");
        assert!(console.contains(description), "{description} not printed");
    }
    let last = r.last().expect("records");
    assert_eq!(last["event"], "run_end");
    assert_eq!(last["result"], "failure");
    assert_eq!(last["errors"], errors.len());

    let stream = d.path().join("missing.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_dtexec"))
        .args(["/F", "/nonexistent/none.dtsx"])
        .env("SSISD_EVENT_STREAM", &stream)
        .output()
        .expect("dtexec starts");
    assert_eq!(out.status.code(), Some(4));
    let r = records(&stream);
    assert_eq!(r[0]["event"], "error", "{r:?}");
    assert_eq!(r[0]["code"], "0xC0011007");
    assert_eq!(r[1]["event"], "run_end");
    assert_eq!(r[1]["result"], "failure");
}
