//! Running the child package as its own `dtexec` (`ExecuteOutOfProcess`): the `dtexec` next
//! to the current executable, started in its own process group and registered with the run's
//! process registry (so cancellation, and the run's end, reach it), with the package as `/F`
//! or `/Project` and `/Package`, the bindings as `/Set` arguments, parameter values in
//! `SSISD_PARAMETERS` (never on the command line), the run's package path as `/PackagePath`,
//! and the nesting depth in the environment. The child writes its
//! event stream to a pipe (`SSISD_EVENT_STREAM=fd:<n>`); a reader thread parses the records
//! and hands them to the [`ChildSink`], so the child's events reach the parent's console and
//! stream under the task's path and its errors count here as they do in process. It owns the
//! command line, the pipe and the reading of dtexec's exit code; process lifetime is
//! `run::process`.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::depth::DEPTH_ENV;
use super::sink::ChildSink;
use crate::event_stream::{self, parse_record};
use crate::events::EventSink;
use crate::process::{run_child, ChildSpec};
use crate::tasks::{TaskContext, TaskOutcome};
use ssisd_engine::cli::{encode_parameters, PARAMETERS_ENV};
use ssisd_engine::model::Package;
use ssisd_engine::project::Project;

/// How long the reader waits for the last records once the child has ended.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// A pipe for the child's stream: (read end, write end), both close-on-exec, the write end
/// numbered 3 or above so that the child's standard streams cannot take its number.
fn stream_pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    let (read, mut write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    if write.as_raw_fd() < 3 {
        // SAFETY: F_DUPFD_CLOEXEC creates a new descriptor we then own.
        let high = unsafe { libc::fcntl(write.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
        if high == -1 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `high` is a fresh descriptor owned by nobody else.
        write = unsafe { OwnedFd::from_raw_fd(high) };
    }
    Ok((read, write))
}

/// Reads the child's records until the pipe closes (or, once `ended` is set, for at most
/// [`DRAIN_LIMIT`]) and passes each to `sink`.
fn relay_records(read: OwnedFd, sink: &dyn EventSink, ended: &Mutex<Option<Instant>>) {
    let fd = read.as_raw_fd();
    let mut file = File::from(read);
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let deliver = |line: &[u8]| {
        if let Some(event) = std::str::from_utf8(line).ok().and_then(parse_record) {
            sink.emit(&event);
        }
    };
    loop {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll reads and writes exactly the one pollfd it is given.
        let ready = unsafe { libc::poll(&mut pfd, 1, 100) };
        if ready < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        if ready == 0 {
            let over = match ended.lock() {
                Ok(g) => g.is_some_and(|at| at.elapsed() >= DRAIN_LIMIT),
                Err(_) => true,
            };
            if over {
                break;
            }
            continue;
        }
        match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                pending.extend_from_slice(&chunk[..n]);
                while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    deliver(&line);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if !pending.is_empty() {
        deliver(&pending);
    }
}

/// The `dtexec` beside the running executable.
pub fn dtexec_path() -> Result<PathBuf, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("the running executable cannot be located: {e}"))?;
    let dir = exe
        .parent()
        .ok_or_else(|| "the running executable has no directory".to_string())?;
    let dtexec = dir.join("dtexec");
    if dtexec.is_file() {
        Ok(dtexec)
    } else {
        Err(format!("there is no dtexec in {}", dir.display()))
    }
}

/// Where the child dtexec takes its package from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `/F <file>`.
    File(PathBuf),
    /// `/Project <location> /Package <file>`, with the project parameter values the parent
    /// runs with that differ from the project's own.
    Project {
        project: PathBuf,
        package: String,
        parameters: Vec<(String, String)>,
    },
}

/// The child dtexec's command line, and the `/Par` arguments it gets through
/// [`PARAMETERS_ENV`] rather than on the command line, which every local user can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildCommand {
    pub args: Vec<String>,
    pub parameters: Vec<String>,
}

/// The `$Project::` values of `package` (a package of `project`, after its overrides) that
/// differ from the values the project itself gives.
pub fn project_values(package: &Package, project: &Project) -> Vec<(String, String)> {
    let Some(scope) = &package.project else {
        return Vec::new();
    };
    scope
        .parameters
        .iter()
        .filter(|p| {
            project
                .parameters()
                .iter()
                .find(|o| o.name == p.name)
                .is_none_or(|o| o.value != p.value)
        })
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect()
}

/// dtexec's command for the child `source` with the parameter and property bindings and the
/// run's package path.
pub fn command(
    source: &Source,
    parameters: &[(String, String)],
    sets: &[(String, String)],
    package_path: &[PathBuf],
) -> ChildCommand {
    let mut args = Vec::new();
    let mut values = Vec::new();
    match source {
        Source::File(file) => {
            args.push("/F".to_string());
            args.push(file.display().to_string());
        }
        Source::Project {
            project,
            package,
            parameters,
        } => {
            args.extend([
                "/Project".to_string(),
                project.display().to_string(),
                "/Package".to_string(),
                package.clone(),
            ]);
            for (name, value) in parameters {
                values.push(format!("$Project::{name};{value}"));
            }
        }
    }
    for (name, value) in parameters {
        values.push(format!("$Package::{name};{value}"));
    }
    for (path, value) in sets {
        args.push("/Set".into());
        args.push(format!("{path};{value}"));
    }
    for dir in package_path {
        args.push("/PackagePath".into());
        args.push(format!("\"{}\"", dir.display()));
    }
    ChildCommand {
        args,
        parameters: values,
    }
}

/// The `Description:` lines of dtexec's console output (its errors), at most `limit`.
fn descriptions(stdout: &[u8], limit: usize) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Description:"))
        .map(str::trim)
        .take(limit)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Runs `args` with the `dtexec` beside us, relaying its events, and judges its exit code.
pub fn run(ctx: &TaskContext<'_>, child: ChildCommand, child_depth: usize) -> TaskOutcome {
    let program = match dtexec_path() {
        Ok(p) => p,
        Err(e) => {
            return ctx.fail(&format!(
                "The child package cannot run out of process: {e}."
            ))
        }
    };
    let (read, write) = match stream_pipe() {
        Ok(p) => p,
        Err(e) => {
            return ctx.fail(&format!(
                "The child package cannot run out of process: no pipe for its events: {e}."
            ))
        }
    };
    let write_fd = write.as_raw_fd();
    let mut command = Command::new(&program);
    command
        .args(&child.args)
        .env(PARAMETERS_ENV, encode_parameters(&child.parameters))
        .env(DEPTH_ENV, child_depth.to_string())
        .env(event_stream::ENV_VAR, format!("fd:{write_fd}"))
        .env("SSISD_EVENT_STREAM_VARIABLES", "1");
    // SAFETY: the closure runs in the child between fork and exec and only calls fcntl, which
    // is async-signal-safe: the stream's write end (close-on-exec in this process, so no
    // other child inherits it) stays open across exec in this one.
    unsafe {
        command.pre_exec(move || {
            if libc::fcntl(write_fd, libc::F_SETFD, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let spec = ChildSpec {
        command,
        stdin: None,
        capture_stdout: true,
        capture_stderr: true,
        timeout: None,
        terminate_after_timeout: false,
        grace: ctx.run_options().kill_grace,
    };
    let sink = ChildSink::new(ctx);
    let ended = Mutex::new(None);
    let started = std::thread::scope(|scope| {
        let reader = scope.spawn(|| relay_records(read, &sink, &ended));
        let started = run_child(spec, ctx.cancel_token(), ctx.processes());
        // Our copy of the write end goes, so the pipe ends when the child's copy does.
        drop(write);
        if let Ok(mut g) = ended.lock() {
            *g = Some(Instant::now());
        }
        let _ = reader.join();
        started
    });
    let out = match started {
        Ok(o) => o,
        Err(e) => {
            return ctx.fail(&format!(
                "The child dtexec ({}) could not be started: {e}.",
                program.display()
            ))
        }
    };
    if out.cancelled || ctx.is_cancelled() {
        return TaskOutcome::Canceled;
    }
    match out.code {
        Some(0) => TaskOutcome::Success,
        code => {
            // Its errors came through the stream; the console text is the fallback.
            let errors = if sink.errors() == 0 {
                descriptions(&out.stdout, 5)
            } else {
                String::new()
            };
            let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
            let why = match code {
                Some(3) => "was cancelled".to_string(),
                Some(c) => format!("failed (dtexec exit code {c})"),
                None => format!("was ended by signal {}", out.signal.unwrap_or(0)),
            };
            ctx.fail(&format!(
                "The child package run out of process {why}{}{}",
                if errors.is_empty() {
                    String::new()
                } else {
                    format!(": {errors}")
                },
                if stderr.is_empty() {
                    String::new()
                } else {
                    format!(" ({stderr})")
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::RunEvent;

    #[test]
    fn bindings_become_parameters_and_set() {
        let c = command(
            &Source::File(PathBuf::from("/p/child.dtsx")),
            &[("Target".into(), "/tmp/a;b".into())],
            &[(
                "\\Package.Variables[User::X].Properties[Value]".into(),
                "7".into(),
            )],
            &[PathBuf::from("/srv/more children")],
        );
        assert_eq!(
            c.args,
            vec![
                "/F",
                "/p/child.dtsx",
                "/Set",
                "\\Package.Variables[User::X].Properties[Value];7",
                "/PackagePath",
                "\"/srv/more children\""
            ]
        );
        // Values go through the environment, not the command line.
        assert_eq!(c.parameters, vec!["$Package::Target;/tmp/a;b"]);
        let c = command(
            &Source::Project {
                project: PathBuf::from("/p/Sales.ispac"),
                package: "Load.dtsx".into(),
                parameters: vec![("Password".into(), "s3cret".into())],
            },
            &[],
            &[],
            &[],
        );
        assert_eq!(
            c.args,
            vec!["/Project", "/p/Sales.ispac", "/Package", "Load.dtsx"]
        );
        assert_eq!(c.parameters, vec!["$Project::Password;s3cret"]);
        assert!(!c.args.iter().any(|a| a.contains("s3cret")));
    }

    #[derive(Default)]
    struct Collect(Mutex<Vec<RunEvent>>);

    impl EventSink for Collect {
        fn emit(&self, event: &RunEvent) {
            if let Ok(mut g) = self.0.lock() {
                g.push(event.clone());
            }
        }
    }

    #[test]
    fn records_on_the_pipe_are_relayed_whole_and_in_order() {
        use crate::events::EventBody;
        let (read, write) = stream_pipe().expect("pipe");
        assert!(write.as_raw_fd() >= 3);
        let line = |percent: i32| {
            let e = RunEvent::now(EventBody::Progress {
                source: "T".into(),
                path: "\\Package\\T".into(),
                description: "d".into(),
                percent,
            });
            format!("{}\n", event_stream::record(&e, 1))
        };
        let sink = Collect::default();
        let ended = Mutex::new(None);
        std::thread::scope(|s| {
            let reader = s.spawn(|| relay_records(read, &sink, &ended));
            let mut w = File::from(write);
            let text = format!("{}not a record\n{}", line(10), line(20));
            // Split inside a record: the reader must join the pieces.
            let (a, b) = text.as_bytes().split_at(17);
            std::io::Write::write_all(&mut w, a).expect("write");
            std::thread::sleep(Duration::from_millis(50));
            std::io::Write::write_all(&mut w, b).expect("write");
            drop(w);
            reader.join().expect("reader");
        });
        let got: Vec<i32> = sink
            .0
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|e| match e.body {
                EventBody::Progress { percent, .. } => Some(percent),
                _ => None,
            })
            .collect();
        assert_eq!(got, vec![10, 20]);
    }

    #[test]
    fn error_descriptions_are_collected() {
        let out =
            b"Error: 2026\n   Code: 0x1\n   Description: it broke\nWarning\n   Description: two\n";
        assert_eq!(descriptions(out, 5), "it broke | two");
        assert_eq!(descriptions(out, 1), "it broke");
    }
}
