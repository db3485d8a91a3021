//! Helpers for the unit tests of the account switch and the data directory: file owners and
//! modes, the `nobody` account, and running a closure in a forked child so that the test
//! process keeps its privileges. Tests only.
#![allow(unsafe_code)] // fork, waitpid and _exit around a test's child process.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::access::local_user::{self, Account};

pub const NOBODY: u32 = 65534;

pub fn owner(path: &Path) -> (u32, u32) {
    let m = fs::symlink_metadata(path).unwrap();
    (m.uid(), m.gid())
}

pub fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

pub fn nobody() -> Account {
    Account {
        name: local_user::account_by_name("nobody")
            .map(|a| a.name)
            .unwrap_or_else(|_| "nobody".into()),
        uid: NOBODY,
        gid: NOBODY,
        home: PathBuf::from("/nonexistent"),
    }
}

/// Runs `f` in a forked child (so the test process keeps its privileges) and returns its
/// exit code.
pub fn in_child(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child only runs `f` and then _exit, never returning into the harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = f();
        // SAFETY: ends the child without running the parent's destructors or harness.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: pid is our child; status is a valid out-pointer.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status), "child status {status}");
    libc::WEXITSTATUS(status)
}
