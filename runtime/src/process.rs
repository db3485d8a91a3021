//! Child processes of a run: starting one in its own process group (so the whole group can be
//! signalled) with `PR_SET_PDEATHSIG` (so it dies with us even on SIGKILL), waiting for it
//! while watching a timeout and the cancel token, TERM-then-KILL of its group, and the
//! registry of live groups that the run clears whatever way it ends. It owns process
//! lifetime only; what to run and how to judge the exit code is the Execute Process task's.
// Unsafe code: process groups and signals of child processes (setpgid in pre_exec, killpg), which have no safe interface.
#![allow(unsafe_code)]

use std::collections::HashSet;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::cancel::CancelToken;

/// The process groups started by a run and not yet finished.
#[derive(Debug, Default)]
pub struct ProcessRegistry {
    groups: Mutex<HashSet<i32>>,
}

impl ProcessRegistry {
    fn register(&self, pgid: i32) {
        if let Ok(mut g) = self.groups.lock() {
            g.insert(pgid);
        }
    }

    fn unregister(&self, pgid: i32) {
        if let Ok(mut g) = self.groups.lock() {
            g.remove(&pgid);
        }
    }

    /// Groups still registered.
    pub fn live(&self) -> Vec<i32> {
        match self.groups.lock() {
            Ok(g) => g.iter().copied().collect(),
            Err(p) => p.into_inner().iter().copied().collect(),
        }
    }

    /// Sends SIGKILL to every registered group (the run's last word).
    pub fn kill_all(&self) {
        for pgid in self.live() {
            signal_group(pgid, libc::SIGKILL);
            self.unregister(pgid);
        }
    }
}

/// Sends `sig` to the process group `pgid`.
pub fn signal_group(pgid: i32, sig: i32) {
    if pgid > 1 {
        // SAFETY: kill has no memory-safety preconditions; a negative pid names a group.
        unsafe {
            libc::kill(-pgid, sig);
        }
    }
}

/// What a child reads on its standard input.
#[derive(Debug, Default)]
pub enum ChildInput {
    /// `/dev/null`.
    #[default]
    Null,
    /// These bytes, then the end.
    Bytes(Vec<u8>),
    /// Each chunk as it comes, until every sender is gone (a conversation with the child).
    Stream(mpsc::Receiver<Vec<u8>>),
}

impl From<Option<Vec<u8>>> for ChildInput {
    fn from(b: Option<Vec<u8>>) -> Self {
        b.map(ChildInput::Bytes).unwrap_or(ChildInput::Null)
    }
}

/// What to start.
pub struct ChildSpec {
    pub command: Command,
    pub stdin: ChildInput,
    pub capture_stdout: bool,
    pub capture_stderr: bool,
    /// Stop waiting after this long.
    pub timeout: Option<Duration>,
    /// On timeout, terminate the group (otherwise leave the process running, as SSIS does,
    /// but still fail the task).
    pub terminate_after_timeout: bool,
    /// Between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// At most this many bytes of each captured stream are kept (the rest is read and
    /// counted, so the child never blocks on a full pipe); `None` keeps everything.
    pub output_limit: Option<usize>,
}

/// How a child ended.
#[derive(Debug, Default)]
pub struct ChildOutcome {
    /// The exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timed_out: bool,
    pub cancelled: bool,
    pub pid: u32,
    /// Bytes of standard output and standard error read but not kept (over `output_limit`).
    pub discarded: (u64, u64),
}

/// Reads `pipe` to its end, keeping at most `limit` bytes; returns them and the number of
/// bytes read past the limit.
fn reader(
    pipe: Option<impl Read + Send + 'static>,
    limit: Option<usize>,
) -> Option<std::thread::JoinHandle<(Vec<u8>, u64)>> {
    pipe.map(|mut p| {
        std::thread::spawn(move || {
            let limit = limit.unwrap_or(usize::MAX);
            let mut buf = Vec::new();
            let mut discarded = 0u64;
            let mut chunk = [0u8; 16 * 1024];
            loop {
                match p.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        let keep = n.min(limit.saturating_sub(buf.len()));
                        buf.extend_from_slice(&chunk[..keep]);
                        discarded += (n - keep) as u64;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            (buf, discarded)
        })
    })
}

/// Starts `spec` and waits for it (or for the timeout, or for cancellation).
pub fn run_child(
    mut spec: ChildSpec,
    cancel: &CancelToken,
    registry: &ProcessRegistry,
) -> std::io::Result<ChildOutcome> {
    let cmd = &mut spec.command;
    cmd.process_group(0)
        .stdin(if matches!(spec.stdin, ChildInput::Null) {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stdout(if spec.capture_stdout {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(if spec.capture_stderr {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    // SAFETY: the closure runs in the child between fork and exec and only calls prctl,
    // which is async-signal-safe. The spawning thread waits for the child below, so the
    // parent-death signal fires only when this process dies.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let pgid = pid as i32;
    registry.register(pgid);
    let stdin = child.stdin.take();
    let input = std::mem::take(&mut spec.stdin);
    let writer = stdin.map(|mut s| {
        std::thread::spawn(move || match input {
            ChildInput::Null => {}
            ChildInput::Bytes(bytes) => {
                let _ = s.write_all(&bytes);
            }
            ChildInput::Stream(chunks) => {
                for chunk in chunks {
                    if s.write_all(&chunk).and_then(|_| s.flush()).is_err() {
                        break;
                    }
                }
            }
        })
    });
    let out = reader(child.stdout.take(), spec.output_limit);
    let err = reader(child.stderr.take(), spec.output_limit);
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send(status);
    });
    let started = Instant::now();
    let mut outcome = ChildOutcome {
        pid,
        ..ChildOutcome::default()
    };
    let mut term_sent: Option<Instant> = None;
    let status = loop {
        let mut wait = Duration::from_millis(20);
        if let Some(t) = spec.timeout {
            wait = wait.min(
                t.saturating_sub(started.elapsed())
                    .max(Duration::from_millis(1)),
            );
        }
        match rx.recv_timeout(wait) {
            Ok(s) => break s.ok(),
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Some(at) = term_sent {
            if at.elapsed() >= spec.grace {
                signal_group(pgid, libc::SIGKILL);
            }
            continue;
        }
        if cancel.is_cancelled() {
            outcome.cancelled = true;
            signal_group(pgid, libc::SIGTERM);
            term_sent = Some(Instant::now());
            continue;
        }
        if spec.timeout.is_some_and(|t| started.elapsed() >= t) {
            outcome.timed_out = true;
            if spec.terminate_after_timeout {
                signal_group(pgid, libc::SIGTERM);
                term_sent = Some(Instant::now());
                continue;
            }
            // Left running, as SSIS does; the group is still cleared when the run ends.
            let _ = waiter;
            return Ok(outcome);
        }
    };
    // Whatever the child left in its group goes with it.
    signal_group(pgid, libc::SIGKILL);
    registry.unregister(pgid);
    let _ = waiter.join();
    // A streaming writer may still wait for its next chunk; it ends when its sender does
    // (its pipe is broken now), so it is not waited for.
    drop(writer);
    if let Some(h) = out {
        (outcome.stdout, outcome.discarded.0) = h.join().unwrap_or_default();
    }
    if let Some(h) = err {
        (outcome.stderr, outcome.discarded.1) = h.join().unwrap_or_default();
    }
    if let Some(s) = status {
        outcome.code = s.code();
        outcome.signal = s.signal();
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(args: &[&str]) -> ChildSpec {
        let mut c = Command::new(args[0]);
        c.args(&args[1..]);
        ChildSpec {
            command: c,
            stdin: ChildInput::Null,
            capture_stdout: true,
            capture_stderr: true,
            timeout: None,
            terminate_after_timeout: true,
            grace: Duration::from_millis(500),
            output_limit: None,
        }
    }

    #[test]
    fn output_over_the_limit_is_read_and_counted_not_kept() {
        let mut s = spec(&["/bin/sh", "-c", "head -c 100000 /dev/zero; echo done >&2"]);
        s.output_limit = Some(1000);
        let o = run_child(s, &CancelToken::new(), &ProcessRegistry::default()).expect("spawn");
        assert_eq!(o.code, Some(0));
        assert_eq!(o.stdout.len(), 1000);
        assert_eq!(o.discarded, (99_000, 0));
        assert_eq!(String::from_utf8_lossy(&o.stderr), "done\n");
    }

    #[test]
    fn captures_output_and_exit_code() {
        let mut s = spec(&["/bin/sh", "-c", "read x; echo out $x; echo err >&2; exit 3"]);
        s.stdin = ChildInput::Bytes(b"in\n".to_vec());
        let r = ProcessRegistry::default();
        let o = run_child(s, &CancelToken::new(), &r).expect("spawn");
        assert_eq!(o.code, Some(3));
        assert_eq!(String::from_utf8_lossy(&o.stdout), "out in\n");
        assert_eq!(String::from_utf8_lossy(&o.stderr), "err\n");
        assert!(r.live().is_empty());
    }

    #[test]
    fn timeout_terminates_the_group() {
        let mut s = spec(&["/bin/sh", "-c", "sleep 30 & sleep 30"]);
        s.timeout = Some(Duration::from_millis(100));
        let at = Instant::now();
        let o = run_child(s, &CancelToken::new(), &ProcessRegistry::default()).expect("spawn");
        assert!(o.timed_out);
        assert!(at.elapsed() < Duration::from_secs(5));
        // The killed members may linger as zombies until their new parent reaps them.
        let gone = (0..200).any(|_| {
            // SAFETY: probing a process group with signal 0.
            let alive = unsafe { libc::kill(-(o.pid as i32), 0) } == 0;
            std::thread::sleep(Duration::from_millis(10));
            !alive
        });
        assert!(gone, "the group survived");
    }

    #[test]
    fn cancel_stops_the_child() {
        let t = CancelToken::new();
        let t2 = t.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            t2.cancel();
        });
        let o =
            run_child(spec(&["/bin/sleep", "30"]), &t, &ProcessRegistry::default()).expect("spawn");
        assert!(o.cancelled);
        assert_eq!(o.signal, Some(libc::SIGTERM));
    }
}
