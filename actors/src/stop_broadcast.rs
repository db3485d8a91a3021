//! The stop broadcast to running packages when the service ends: every runner gets SIGTERM,
//! and the service does not wait for any of them (as SSIS documents for its service stop).
//!
//! The signals are sent by a small process forked at the very end, which waits until the
//! service process has gone (the write end of a pipe only the service holds reaches end of
//! file) and then signals every runner. Signalling first would wake hundreds of runners that
//! all cancel at once and starve the service's own exit of processor time: with 500 runs in
//! flight on two cores that turned a 10 ms stop into 300 ms. The runners are told a few
//! milliseconds later instead, and the stop is as fast as an idle one.
//!
//! What runs in the forked process must be async-signal-safe (the service has other threads
//! at the moment of the fork): no allocation, no locks — only `read`, `kill`, raw `setresuid`
//! and `_exit` over a list built before the fork. This module must not do anything else there.

// fork, pipe2, kill and raw setresuid: system calls in a forked process where only
// async-signal-safe calls are allowed, which rules out the allocating wrappers.
#![allow(unsafe_code)]

use crate::supervisor::RunnersToStop;

/// Arranges for every runner in `runners` to get SIGTERM as soon as this process has exited.
/// Returns at once. When the signaller cannot be forked, the runners are signalled here and
/// now instead (slower to stop, never a runner left untold).
pub fn signal_after_exit(runners: RunnersToStop) {
    if runners.0.is_empty() {
        return;
    }
    let mut fds = [0; 2];
    // SAFETY: pipe2(2) writes two descriptors into a live two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        eprintln!(
            "ssisd: cannot create the stop broadcast's pipe ({}); signalling runners now",
            std::io::Error::last_os_error()
        );
        runners.signal();
        return;
    }
    let [read_end, write_end] = fds;
    let targets: &[i32] = &runners.0;
    // SAFETY: the child only calls async-signal-safe functions on memory allocated before the
    // fork (`targets`, the descriptors), then `_exit`s: see `signaller`.
    match unsafe { libc::fork() } {
        0 => {
            // SAFETY: closing our copy of a descriptor this function created.
            unsafe { libc::close(write_end) };
            signaller(read_end, targets)
        }
        -1 => {
            eprintln!(
                "ssisd: cannot fork the stop broadcast ({}); signalling runners now",
                std::io::Error::last_os_error()
            );
            // SAFETY: closing descriptors this function created and nothing else uses.
            unsafe {
                libc::close(read_end);
                libc::close(write_end);
            }
            runners.signal();
        }
        _ => {
            // The write end stays open until the process ends: its end of file is the
            // signaller's cue.
            // SAFETY: closing the parent's copy of the read end, which it never uses.
            unsafe { libc::close(read_end) };
        }
    }
}

/// The forked signaller: waits for the service to end, signals every runner, exits.
fn signaller(cue: i32, targets: &[i32]) -> ! {
    let mut byte = [0u8; 1];
    loop {
        // SAFETY: read(2) into a live stack buffer.
        let n = unsafe { libc::read(cue, byte.as_mut_ptr().cast(), 1) };
        if n == 0 || (n < 0 && errno() != libc::EINTR) {
            break;
        }
    }
    for &target in targets {
        if (-1..=1).contains(&target) {
            continue;
        }
        // SAFETY: kill(2) has no memory-safety preconditions.
        if unsafe { libc::kill(target, libc::SIGTERM) } != 0 && errno() == libc::EPERM {
            kill_as_saved_user(target);
        }
    }
    // SAFETY: _exit(2) ends the process without running the parent's destructors or atexit
    // handlers, which must not run twice.
    unsafe { libc::_exit(0) }
}

/// A runner that runs as another account was started with that account as the saved uid (see
/// the package actor's signalling): the kill is retried with the effective uid switched to it,
/// then switched back (raw system calls: this process is single-threaded and must not allocate).
fn kill_as_saved_user(target: i32) {
    const UNCHANGED: libc::c_long = u32::MAX as libc::c_long;
    let (mut real, mut effective, mut saved) = (0, 0, 0);
    // SAFETY: valid out-pointers; raw setresuid and kill touch no memory of ours.
    unsafe {
        libc::getresuid(&mut real, &mut effective, &mut saved);
        if saved == effective {
            return;
        }
        if libc::syscall(
            libc::SYS_setresuid,
            UNCHANGED,
            saved as libc::c_long,
            UNCHANGED,
        ) != 0
        {
            return;
        }
        libc::kill(target, libc::SIGTERM);
        libc::syscall(
            libc::SYS_setresuid,
            UNCHANGED,
            effective as libc::c_long,
            UNCHANGED,
        );
    }
}

fn errno() -> i32 {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() }
}
