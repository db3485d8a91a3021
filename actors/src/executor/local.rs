//! The `local` executor: the runner (`dtexec` or a configured equivalent) as a process of this
//! machine, started in its own session with its output in files of the run's directory (a
//! stored package as `package.dtsx`, a package of a deployed project as `project.ispac` and
//! `/Package`, the run's parameters in `SSISD_PARAMETERS`, never on the command line) — as the
//! runner account when the service keeps one as its saved ids, in a directory that account may
//! traverse but not list. Its own runners are reaped with `waitpid`; adopted ones (after a
//! restart, or hand-started) are watched through `/proc` (pid and start time). Stopping is a
//! signal to the runner's process group. It must not know about the Package actor's view or
//! events.
// Unsafe code: the runner's pre_exec: between fork and exec only raw, async-signal-safe system calls (setsid, setgroups, setresgid, setresuid) may run; per-thread raw calls are right in the single-threaded child.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use ssisd_engine::cli::{encode_parameters, PARAMETERS_ENV};
use ssisd_engine::run_protocol::{self as protocol, process_start_time, RunState, STATE_FILE};

use super::run_dir::{create_file, prepare, RunDirError, RunModes};
use super::{
    Cancel, Executor, ExecutorConfig, ExecutorError, Exit, Kind, Owned, SetupError, Status,
    Submission,
};
use crate::package::{send_signal, write_atomic, RunSettings, RunSpec};

pub const KIND: Kind = Kind {
    name: "local",
    check: |v| check_settings(v).map_err(SetupError),
    build: |c, r| build(c, r).map_err(SetupError),
};

fn check_settings(settings: &serde_json::Value) -> Result<serde_json::Value, String> {
    match settings.as_object() {
        Some(m) if m.is_empty() => Ok(serde_json::json!({})),
        Some(m) => Err(format!(
            "the local executor takes no settings besides name, kind and capacity; remove {}",
            m.keys().cloned().collect::<Vec<_>>().join(", ")
        )),
        None => Err("must be a table".into()),
    }
}

fn build(_: &ExecutorConfig, _: &RunSettings) -> Result<Arc<dyn Executor>, String> {
    Ok(Arc::new(Local::default()))
}

/// Runner processes on this machine.
#[derive(Debug, Default)]
pub struct Local {
    /// The runners this service started, by execution id, until reaped.
    children: Mutex<HashMap<String, std::process::Child>>,
}

impl Executor for Local {
    fn submit(&self, run: &Submission<'_>) -> Result<RunState, ExecutorError> {
        let (child, state) = spawn_runner(run.spec, run.settings)?;
        self.children
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(run.spec.id.clone(), child);
        Ok(state)
    }

    fn status(&self, run: &RunState) -> Status {
        let mut children = self.children.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(child) = children.get_mut(&run.execution_id) {
            let exit = match child.try_wait() {
                Ok(Some(status)) => Some(exit_of(status)),
                Ok(None) => None,
                Err(_) => Some(Exit::Vanished),
            };
            return match exit {
                Some(e) => {
                    children.remove(&run.execution_id);
                    Status::Ended(e)
                }
                None => Status::Running,
            };
        }
        drop(children);
        if process_start_time(run.pid) == Some(run.start_time) {
            Status::Running
        } else {
            Status::Ended(Exit::Vanished)
        }
    }

    fn cancel(&self, run: &RunState, how: Cancel) -> Result<(), ExecutorError> {
        if let Some(target) = signal_target(run) {
            send_signal(
                target,
                match how {
                    Cancel::Term => libc::SIGTERM,
                    Cancel::Kill => libc::SIGKILL,
                },
            );
        }
        Ok(())
    }

    /// Local runs are found again from their run directories' state files (and hand-started
    /// ones from their registrations), not from an engine.
    fn list(&self, _: &str) -> Result<Vec<Owned>, ExecutorError> {
        Ok(Vec::new())
    }

    fn exit_signal_target(&self, run: &RunState) -> Option<i32> {
        signal_target(run)
    }
}

/// The runner's process group (or pid, when it does not lead one).
fn signal_target(run: &RunState) -> Option<i32> {
    (run.pid > 1).then(|| if run.group { -run.pid } else { run.pid })
}

fn exit_of(status: std::process::ExitStatus) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => Exit::Code(c),
        (None, Some(s)) => Exit::Signal(s),
        _ => Exit::Vanished,
    }
}

/// Why a runner did not start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// Its directory or files.
    #[error(transparent)]
    RunDir(#[from] RunDirError),
    #[error("cannot start {}: {source}", .runner.display())]
    Start {
        runner: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Started as the runner account (uid, gid).
    #[error("cannot start {} as uid {uid}, gid {gid}: {source}", .runner.display())]
    StartAs {
        runner: std::path::PathBuf,
        uid: u32,
        gid: u32,
        #[source]
        source: std::io::Error,
    },
}

/// Prepares the run's directory (see [`super::run_dir`]) and starts the runner in its own
/// session (stdin from /dev/null, output to files, cwd the run's directory), as the runner
/// account when there is one; then writes the state file.
pub fn spawn_runner(
    spec: &RunSpec,
    settings: &RunSettings,
) -> Result<(std::process::Child, RunState), SpawnError> {
    use std::os::unix::process::CommandExt;
    let modes = RunModes::new(settings.run_as.is_some());
    let prepared = prepare(&settings.dir, spec, &modes)?;
    let (dir, file, events) = (prepared.dir, prepared.file, prepared.events);
    let mut cmd = std::process::Command::new(&settings.runner);
    match &spec.project {
        Some(p) => cmd
            .arg("/Project")
            .arg(&file)
            .arg("/Package")
            .arg(&p.package),
        None => cmd.arg("/F").arg(&file),
    };
    if !spec.parameters.is_empty() {
        cmd.env(PARAMETERS_ENV, encode_parameters(&spec.parameters));
    }
    for s in &spec.sets {
        cmd.arg("/Set").arg(s);
    }
    if let Some(r) = &spec.reporting {
        cmd.arg("/Reporting").arg(r);
    }
    cmd.current_dir(&dir)
        .env(protocol::STREAM_ENV, &events)
        .env(protocol::EXECUTION_ID_ENV, &spec.id)
        .env(protocol::RUN_BY_SERVICE_ENV, "1")
        .stdin(std::process::Stdio::null())
        .stdout(create_file(&dir.join("stdout.log"), modes.output)?)
        .stderr(create_file(&dir.join("stderr.log"), modes.output)?);
    for name in &settings.hidden_env {
        cmd.env_remove(name);
    }
    let run_as = settings.run_as;
    // SAFETY: only async-signal-safe system calls run between fork and exec: setsid, then the
    // raw setgroups (a service still root drops its supplementary groups; one that left root has
    // only service.groups and could not change them), setresgid and setresuid (this child has
    // one thread, so the per-thread calls change the whole process; the service holds the
    // runner's ids as its saved ids, or is root, so they are allowed).
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some((uid, gid)) = run_as {
                if libc::geteuid() == 0
                    && libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>()) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                let (uid, gid) = (uid as libc::c_long, gid as libc::c_long);
                if libc::syscall(libc::SYS_setresgid, gid, gid, gid) != 0
                    || libc::syscall(libc::SYS_setresuid, uid, uid, uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|source| match run_as {
        Some((uid, gid)) => SpawnError::StartAs {
            runner: settings.runner.clone(),
            uid,
            gid,
            source,
        },
        None => SpawnError::Start {
            runner: settings.runner.clone(),
            source,
        },
    })?;
    let pid = child.id() as i32;
    let state = RunState {
        execution_id: spec.id.clone(),
        pid,
        start_time: process_start_time(pid).unwrap_or(0),
        package: spec.package.clone(),
        user: spec.user.clone(),
        source: "service".into(),
        started_at: Utc::now(),
        events,
        group: true,
        how: spec.how.clone(),
        sets: spec.sets.clone(),
        executor: None,
        external_id: None,
    };
    let _ = write_atomic(&dir.join(STATE_FILE), &state.to_json());
    Ok((child, state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A runner that prints its environment and ids, started as the service or "as another
    /// account" that is this one (switching to one's own ids is allowed without privilege).
    #[test]
    fn runners_get_their_directory_modes_and_not_the_hidden_variables() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let runner = dir.path().join("runner.sh");
        std::fs::write(&runner, "#!/bin/sh\n/usr/bin/env\n/usr/bin/id -u\n").unwrap();
        std::fs::set_permissions(&runner, std::fs::Permissions::from_mode(0o755)).unwrap();
        // SAFETY: getuid/getgid have no preconditions.
        let me = unsafe { (libc::getuid(), libc::getgid()) };
        for (n, run_as) in [None, Some(me)].into_iter().enumerate() {
            let settings = RunSettings {
                dir: dir.path().join("runs"),
                runner: runner.clone(),
                stop_grace: Duration::from_secs(1),
                max_concurrent: 1,
                registration_dir: dir.path().join("registrations"),
                run_as,
                hidden_env: vec!["PATH".into()],
                executors: Vec::new(),
                folder_executors: Default::default(),
            };
            let spec = RunSpec {
                id: format!("run-{n}"),
                package: "\\File System\\p".into(),
                bytes: b"<package/>".to_vec(),
                project: None,
                sets: Vec::new(),
                parameters: Vec::new(),
                reporting: None,
                user: "tester".into(),
                how: "api".into(),
                logging_level: None,
                executor: None,
            };
            let (mut child, state) = spawn_runner(&spec, &settings).unwrap();
            assert!(child.wait().unwrap().success());
            let run_dir = settings.dir.join(&spec.id);
            let mode = |name: &str| std::fs::metadata(run_dir.join(name)).unwrap().mode() & 0o7777;
            let (d, p, o) = if run_as.is_some() {
                (0o711, 0o644, 0o622)
            } else {
                (0o700, 0o600, 0o600)
            };
            assert_eq!(std::fs::metadata(&settings.dir).unwrap().mode() & 0o7777, d);
            assert_eq!(mode(""), d);
            assert_eq!(mode("package.dtsx"), p);
            for f in ["events.jsonl", "stdout.log", "stderr.log"] {
                assert_eq!(mode(f), o, "{f}");
            }
            assert_eq!(state.events, run_dir.join("events.jsonl"));
            let out = std::fs::read_to_string(run_dir.join("stdout.log")).unwrap();
            assert!(
                out.contains(&format!("SSISD_EXECUTION_ID={}", spec.id)),
                "{out}"
            );
            assert!(!out.lines().any(|l| l.starts_with("PATH=")), "{out}");
            assert!(out.ends_with(&format!("{}\n", me.0)), "{out}");
            assert_eq!(
                std::fs::read(run_dir.join("package.dtsx")).unwrap(),
                b"<package/>"
            );
        }
    }
}
