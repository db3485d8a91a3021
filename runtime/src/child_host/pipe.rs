//! The channel pipe between a run and a hosted child: a pipe whose write end the child inherits
//! under a number of at least 3 (so that its standard streams cannot take it), close-on-exec in
//! this process so that no other child inherits it, and made inheritable only in the one child
//! that owns it (between fork and exec). It owns those descriptor rules; what travels on the
//! pipe is the caller's.
// Unsafe code: pipe2/fcntl descriptor plumbing and the pre_exec hook that keeps the write end
// open across exec in one child, which have no safe interface that keeps these rules.
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// A pipe for a child's channel: (read end, write end), both close-on-exec, the write end
/// numbered 3 or above.
pub fn channel_pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
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

/// Makes `fd` survive the exec of `command` (and only of that command).
pub fn inherit_in(command: &mut Command, fd: RawFd) {
    // SAFETY: the closure runs in the child between fork and exec and only calls fcntl, which
    // is async-signal-safe: the descriptor (close-on-exec in this process, so no other child
    // inherits it) stays open across exec in this one.
    unsafe {
        command.pre_exec(move || {
            if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_write_end_is_above_the_standard_streams_and_close_on_exec() {
        let (read, write) = channel_pipe().expect("pipe");
        assert!(write.as_raw_fd() >= 3);
        for fd in [read.as_raw_fd(), write.as_raw_fd()] {
            // SAFETY: reading the flags of a descriptor we own.
            let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
            assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
        }
    }
}
