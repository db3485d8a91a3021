//! The out-of-process child host shared by the tasks that run part of their work in another
//! process (Execute Package's `ExecuteOutOfProcess` child `dtexec`, the Script Task's Mono
//! host): the child starts in its own process group, registered with the run's process
//! registry (so the run's cancellation and its end reach it, TERM then KILL after the grace),
//! dies with us (`PR_SET_PDEATHSIG`), gets its input on standard input and talks back on a
//! channel pipe it inherits under a number named in its environment; a reader thread cuts that
//! channel into frames ([`Framing`]) and hands each to the caller as it arrives, so the
//! child's events reach the run while it is still running. Captured standard output and error
//! are bounded ([`HostedChild::output_limit`]), and so is every frame. It owns the process,
//! the pipes and their limits; what the frames mean, and how the exit is judged, is the
//! caller's. (Process lifetime itself is `crate::process`.)
//!
//! Parent-to-child traffic is one request on standard input ([`run`]), or a conversation
//! ([`converse`]: frames written to standard input while the child runs, frames read back one
//! at a time, both bounded so neither side outruns the other — a Script Component's batches).

mod frames;
mod pipe;

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use frames::{Decoder, Framing, Oversized};
pub use pipe::{channel_pipe, inherit_in};

use crate::cancel::CancelToken;
use crate::process::{run_child, ChildInput, ChildOutcome, ChildSpec, ProcessRegistry};

/// How long the reader waits for the last frames once the child has ended (a grandchild
/// that kept the channel open must not hold the task).
pub const DRAIN_LIMIT: Duration = Duration::from_secs(2);
/// The default bound of one frame.
pub const DEFAULT_FRAME_LIMIT: usize = 64 * 1024 * 1024;
/// The default bound of the captured standard output and standard error, each.
pub const DEFAULT_OUTPUT_LIMIT: usize = 1024 * 1024;

/// A child to host.
pub struct HostedChild {
    /// Program, arguments, environment and directory (the rest is set by [`run`]).
    pub command: Command,
    /// The environment variable that tells the child the number of its channel's write end.
    pub channel_env: &'static str,
    /// How that number is written in the variable (`fd:3`, `3`, …).
    pub channel_value: fn(RawFd) -> String,
    pub framing: Framing,
    /// The longest frame accepted.
    pub frame_limit: usize,
    /// What the child reads on its standard input ([`converse`] replaces it with the
    /// conversation's stream).
    pub stdin: ChildInput,
    /// At most this many bytes of standard output and of standard error are kept.
    pub output_limit: usize,
    /// Between SIGTERM and SIGKILL when the run is cancelled.
    pub grace: Duration,
}

/// How a hosted child ended.
#[derive(Debug, Default)]
pub struct HostedOutcome {
    /// Exit code or signal, captured output, cancellation.
    pub process: ChildOutcome,
    /// Why the channel stopped being read before it closed (a frame over the limit, a
    /// partial frame at the end); frames after the problem were not delivered.
    pub channel_error: Option<String>,
}

/// Starts `child`, passes each frame of its channel to `on_frame` (on a reader thread, in
/// order) and waits for it to end or for `cancel`.
pub fn run(
    mut child: HostedChild,
    cancel: &CancelToken,
    registry: &ProcessRegistry,
    on_frame: &(dyn Fn(&[u8]) + Sync),
) -> std::io::Result<HostedOutcome> {
    let (read, write) = channel_pipe()?;
    let write_fd = write.as_raw_fd();
    child
        .command
        .env(child.channel_env, (child.channel_value)(write_fd));
    inherit_in(&mut child.command, write_fd);
    let spec = ChildSpec {
        command: child.command,
        stdin: child.stdin,
        capture_stdout: true,
        capture_stderr: true,
        timeout: None,
        terminate_after_timeout: false,
        grace: child.grace,
        output_limit: Some(child.output_limit),
    };
    let ended = Mutex::new(None);
    let decoder = Decoder::new(child.framing, child.frame_limit);
    let (started, channel_error) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| read_frames(read, decoder, on_frame, &ended));
        let started = run_child(spec, cancel, registry);
        // Our copy of the write end goes, so the pipe ends when the child's copy does.
        drop(write);
        if let Ok(mut g) = ended.lock() {
            *g = Some(Instant::now());
        }
        let channel_error = reader.join().unwrap_or_else(|_| {
            Some("the reader of the child's channel stopped unexpectedly".to_string())
        });
        (started, channel_error)
    });
    Ok(HostedOutcome {
        process: started?,
        channel_error,
    })
}

/// Frames in flight each way in a [`Conversation`].
const IN_FLIGHT: usize = 2;

/// A hosted child talked to while it runs.
pub struct Conversation {
    input: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    frames: Option<std::sync::mpsc::Receiver<Vec<u8>>>,
    /// Stops the child (tripped by the run's cancellation too).
    stop: CancelToken,
    ended: Option<std::thread::JoinHandle<std::io::Result<HostedOutcome>>>,
}

/// Starts `child` for a conversation: [`Conversation::send`] writes length-prefixed frames to
/// its standard input, [`Conversation::recv`] reads its channel's frames in order. The run's
/// `cancel` and [`Conversation::kill`] stop it (TERM, then KILL after the grace); its group is
/// registered with `registry` for the run's last word.
pub fn converse(
    mut child: HostedChild,
    cancel: &CancelToken,
    registry: std::sync::Arc<ProcessRegistry>,
) -> Conversation {
    let (to_child, from_parent) = std::sync::mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
    let (to_parent, from_child) = std::sync::mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
    child.stdin = ChildInput::Stream(from_parent);
    let stop = CancelToken::new();
    let (run_cancel, watched) = (cancel.clone(), stop.clone());
    std::thread::spawn(move || {
        while !watched.is_cancelled() {
            if run_cancel.sleep(Duration::from_millis(200)) {
                watched.cancel();
            }
        }
    });
    let own = stop.clone();
    let ended = std::thread::spawn(move || {
        run(child, &own, &registry, &|f| {
            // A parent that stopped listening has lost interest in the rest.
            let _ = to_parent.send(f.to_vec());
        })
    });
    Conversation {
        input: Some(to_child),
        frames: Some(from_child),
        stop,
        ended: Some(ended),
    }
}

/// The child no longer reads its input (it ended or closed it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("its standard input is closed")]
pub struct InputClosed;

impl Conversation {
    /// Writes one frame (its length first); `Err` once the child no longer reads.
    pub fn send(&mut self, body: &[u8]) -> Result<(), InputClosed> {
        let mut framed = (body.len() as u32).to_le_bytes().to_vec();
        framed.extend_from_slice(body);
        match &self.input {
            Some(tx) => tx.send(framed).map_err(|_| InputClosed),
            None => Err(InputClosed),
        }
    }

    /// The next frame from the child; `None` once its channel has closed.
    pub fn recv(&mut self) -> Option<Vec<u8>> {
        self.frames.as_ref()?.recv().ok()
    }

    /// Closes the child's input and waits for it to end.
    pub fn finish(&mut self) -> std::io::Result<HostedOutcome> {
        self.input = None;
        self.frames = None;
        let outcome = match self.ended.take() {
            Some(h) => h.join().unwrap_or_else(|_| {
                Err(std::io::Error::other(
                    "the child's waiter stopped unexpectedly",
                ))
            }),
            None => Ok(HostedOutcome::default()),
        };
        self.stop.cancel();
        outcome
    }

    /// Stops the child now and waits for it.
    pub fn kill(&mut self) {
        self.stop.cancel();
        let _ = self.finish();
    }
}

impl Drop for Conversation {
    fn drop(&mut self) {
        if self.ended.is_some() {
            self.kill();
        }
    }
}

/// Reads the channel until it closes (or, once `ended` is set, for at most [`DRAIN_LIMIT`])
/// and passes each frame to `on_frame`; returns why it stopped delivering early, if it did.
fn read_frames(
    read: OwnedFd,
    mut decoder: Decoder,
    on_frame: &(dyn Fn(&[u8]) + Sync),
    ended: &Mutex<Option<Instant>>,
) -> Option<String> {
    let mut file = File::from(read);
    let mut chunk = [0u8; 64 * 1024];
    let mut problem: Option<String> = None;
    let mut deliver = |f: &[u8]| on_frame(f);
    loop {
        let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLIN)];
        let ready = match poll(&mut fds, PollTimeout::from(100u16)) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
        };
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
                // After a problem the channel is drained (so the child never blocks on it)
                // but nothing more is believed.
                if problem.is_none() {
                    if let Err(e) = decoder.push(&chunk[..n], &mut deliver) {
                        problem = Some(e.to_string());
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if problem.is_none() {
        if let Err(size) = decoder.finish(&mut deliver) {
            problem = Some(format!(
                "the child's channel ended inside a frame ({size} bytes of it arrived)"
            ));
        }
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(script: &str, framing: Framing) -> HostedChild {
        let mut command = Command::new("/bin/sh");
        command.args(["-c", script]);
        HostedChild {
            command,
            channel_env: "TEST_CHANNEL",
            channel_value: |fd| fd.to_string(),
            framing,
            frame_limit: 1024,
            stdin: ChildInput::Bytes(b"request".to_vec()),
            output_limit: 100,
            grace: Duration::from_millis(200),
        }
    }

    #[test]
    fn frames_arrive_in_order_and_stdin_is_the_request() {
        let got = Mutex::new(Vec::new());
        let out = run(
            child(
                r#"read -r req; printf 'one\n%s\n' "$req" >&"$TEST_CHANNEL"; echo printed"#,
                Framing::Lines,
            ),
            &CancelToken::new(),
            &ProcessRegistry::default(),
            &|f| {
                got.lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(f).to_string())
            },
        )
        .expect("runs");
        assert_eq!(out.process.code, Some(0));
        assert_eq!(out.channel_error, None);
        assert_eq!(*got.lock().expect("lock"), vec!["one", "request"]);
        assert_eq!(String::from_utf8_lossy(&out.process.stdout), "printed\n");
    }

    #[test]
    fn an_oversized_frame_is_reported_and_the_child_still_ends() {
        let out = run(
            child(
                r#"printf '\377\377\0\0' >&"$TEST_CHANNEL"; head -c 70000 /dev/zero >&"$TEST_CHANNEL"; exit 4"#,
                Framing::LengthPrefixed,
            ),
            &CancelToken::new(),
            &ProcessRegistry::default(),
            &|_| panic!("no frame is delivered"),
        )
        .expect("runs");
        assert_eq!(out.process.code, Some(4));
        let e = out.channel_error.expect("reported");
        assert!(e.contains("65535 bytes"), "{e}");
    }

    #[test]
    fn output_is_bounded_and_cancellation_stops_the_child() {
        let token = CancelToken::new();
        let t = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            t.cancel();
        });
        let out = run(
            child("head -c 5000 /dev/zero; exec sleep 30", Framing::Lines),
            &token,
            &ProcessRegistry::default(),
            &|_| {},
        )
        .expect("runs");
        assert!(out.process.cancelled);
        assert_eq!(out.process.stdout.len(), 100);
        assert_eq!(out.process.discarded.0, 4900);
    }

    #[test]
    fn a_conversation_answers_each_frame_and_ends_with_its_input() {
        // The child echoes each 4-byte frame (length 4) back on its channel.
        let mut c = child(
            r#"f=$(mktemp); while head -c 8 > "$f" && [ -s "$f" ]; do cat "$f" >&"$TEST_CHANNEL"; done; rm -f "$f""#,
            Framing::LengthPrefixed,
        );
        c.stdin = ChildInput::Null;
        let mut conv = converse(
            c,
            &CancelToken::new(),
            std::sync::Arc::new(ProcessRegistry::default()),
        );
        for word in [b"ping", b"pong"] {
            conv.send(word).expect("sent");
            assert_eq!(conv.recv().expect("answered"), word.to_vec());
        }
        let out = conv.finish().expect("ends");
        assert_eq!(out.process.code, Some(0));
        assert_eq!(out.channel_error, None);
    }

    #[test]
    fn a_conversation_is_stopped_by_the_runs_cancellation() {
        let token = CancelToken::new();
        let mut conv = converse(
            child("exec sleep 30", Framing::LengthPrefixed),
            &token,
            std::sync::Arc::new(ProcessRegistry::default()),
        );
        token.cancel();
        assert_eq!(conv.recv(), None);
        assert!(conv.finish().expect("ends").process.cancelled);
    }
}
