//! Dropping from root to the service account: giving the service's own directories to the
//! account (as systemd's StateDirectory= does: recursively, never following symbolic links),
//! then setgroups, setgid and setuid, and proving root cannot be regained. This must not decide
//! which account or which directories; the configuration names them.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::access::local_user::{self, Account};

/// Why the service could not become its account.
#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    #[error("service.user names root (uid 0); name an unprivileged account")]
    RootAccount,
    #[error("cannot switch to {name} (uid {uid}): ssisd runs as uid {current}, not root; start it as root or as {name}, or leave service.user unset")]
    NotRoot {
        name: String,
        uid: u32,
        current: u32,
    },
    #[error(
        "cannot give {path} to {name}: {source}; check the path, or chown -R {name} it by hand"
    )]
    Chown {
        name: String,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot look up the groups of {name}: {source}")]
    Groups {
        name: String,
        #[source]
        source: local_user::UserError,
    },
    #[error("{call} failed while switching to {name}: {source}; the service must start as root to switch accounts")]
    Switch {
        call: &'static str,
        name: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "after switching to {name} the process still {problem}; refusing to run with privileges"
    )]
    Verify { name: String, problem: String },
}

/// Whether the effective user is root.
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Becomes `account`: first each path in `own` (followed when it is itself a link; nothing
/// below it is) is given recursively to the account's uid and gid where the owner differs, then
/// the supplementary groups become the account's plus `extra_groups`, then gid and uid are
/// set (glibc applies both to every thread). Root is refused as the account. Without root this
/// succeeds only when the process already runs as the account, and changes nothing.
pub fn drop_to(
    account: &Account,
    extra_groups: &[u32],
    own: &[&Path],
) -> Result<(), PrivilegeError> {
    if account.uid == 0 {
        return Err(PrivilegeError::RootAccount);
    }
    if !running_as_root() {
        // SAFETY: getuid/geteuid have no preconditions.
        let (uid, euid) = unsafe { (libc::getuid(), libc::geteuid()) };
        if uid == account.uid && euid == account.uid {
            return Ok(());
        }
        return Err(PrivilegeError::NotRoot {
            name: account.name.clone(),
            uid: account.uid,
            current: euid,
        });
    }
    for path in own {
        chown_tree(path, account.uid, account.gid).map_err(|(path, source)| {
            PrivilegeError::Chown {
                name: account.name.clone(),
                path,
                source,
            }
        })?;
    }
    let mut groups =
        local_user::supplementary_gids(&account.name, account.gid).map_err(|source| {
            PrivilegeError::Groups {
                name: account.name.clone(),
                source,
            }
        })?;
    for g in extra_groups {
        if !groups.contains(g) {
            groups.push(*g);
        }
    }
    switch(account, &groups)?;
    verify(account)
}

fn switch(account: &Account, groups: &[u32]) -> Result<(), PrivilegeError> {
    let fail = |call| PrivilegeError::Switch {
        call,
        name: account.name.clone(),
        source: io::Error::last_os_error(),
    };
    // SAFETY: the pointer and length describe `groups`.
    if unsafe { libc::setgroups(groups.len(), groups.as_ptr()) } != 0 {
        return Err(fail("setgroups"));
    }
    // SAFETY: setgid and setuid have no memory preconditions.
    if unsafe { libc::setgid(account.gid) } != 0 {
        return Err(fail("setgid"));
    }
    // SAFETY: as above.
    if unsafe { libc::setuid(account.uid) } != 0 {
        return Err(fail("setuid"));
    }
    Ok(())
}

fn verify(account: &Account) -> Result<(), PrivilegeError> {
    let problem = |problem: String| PrivilegeError::Verify {
        name: account.name.clone(),
        problem,
    };
    // SAFETY: these getters have no preconditions.
    let ids = unsafe {
        (
            libc::getuid(),
            libc::geteuid(),
            libc::getgid(),
            libc::getegid(),
        )
    };
    let wanted = (account.uid, account.uid, account.gid, account.gid);
    if ids != wanted {
        return Err(problem(format!(
            "has uid {}, euid {}, gid {}, egid {} instead of uid {} and gid {}",
            ids.0, ids.1, ids.2, ids.3, account.uid, account.gid
        )));
    }
    // SAFETY: as above; if this succeeds, the process is root again and the error says so.
    if unsafe { libc::setuid(0) } == 0 {
        return Err(problem(
            "can become root again (setuid(0) succeeded)".into(),
        ));
    }
    Ok(())
}

type ChownResult = Result<(), (PathBuf, io::Error)>;

/// Gives `top` and, when it is a directory, everything below it to uid:gid, changing only
/// entries whose owner or group differs. `top` itself is followed if it is a link; below it,
/// links are changed themselves and never followed, and directories are opened relative to
/// their parent with O_NOFOLLOW, so a link swapped in during the walk cannot redirect it.
pub(crate) fn chown_tree(top: &Path, uid: u32, gid: u32) -> ChownResult {
    let at = |e: io::Error| (top.to_path_buf(), e);
    let meta = match std::fs::metadata(top) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(at(e)),
    };
    if !meta.is_dir() {
        if meta.uid() != uid || meta.gid() != gid {
            std::os::unix::fs::chown(top, Some(uid), Some(gid)).map_err(at)?;
        }
        return Ok(());
    }
    let c_top = CString::new(top.as_os_str().as_bytes()).map_err(|_| {
        at(io::Error::new(
            io::ErrorKind::InvalidInput,
            "path contains NUL",
        ))
    })?;
    // SAFETY: c_top is a valid NUL-terminated path.
    let fd = unsafe {
        libc::open(
            c_top.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(at(io::Error::last_os_error()));
    }
    // SAFETY: fd was just opened and is owned here.
    let dir = unsafe { OwnedFd::from_raw_fd(fd) };
    chown_open_dir(&dir, top, uid, gid)
}

/// Changes the open directory `dir` (at `path`, for messages) and its contents.
fn chown_open_dir(dir: &OwnedFd, path: &Path, uid: u32, gid: u32) -> ChownResult {
    let st = fstat(dir.as_raw_fd()).map_err(|e| (path.to_path_buf(), e))?;
    if st.st_uid != uid || st.st_gid != gid {
        // SAFETY: the descriptor is open.
        if unsafe { libc::fchown(dir.as_raw_fd(), uid, gid) } != 0 {
            return Err((path.to_path_buf(), io::Error::last_os_error()));
        }
    }
    for name in entries(dir).map_err(|e| (path.to_path_buf(), e))? {
        let child = path.join(std::ffi::OsStr::from_bytes(name.as_bytes()));
        let at = |e: io::Error| (child.clone(), e);
        // SAFETY: an all-zero stat is a valid buffer for fstatat.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: the descriptor is open, name is NUL-terminated, st is a valid buffer.
        let rc = unsafe {
            libc::fstatat(
                dir.as_raw_fd(),
                name.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc != 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::NotFound {
                continue;
            }
            return Err(at(e));
        }
        if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            // SAFETY: as above; O_NOFOLLOW refuses a link swapped in since fstatat.
            let fd = unsafe {
                libc::openat(
                    dir.as_raw_fd(),
                    name.as_ptr(),
                    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                )
            };
            if fd >= 0 {
                // SAFETY: fd was just opened and is owned here.
                let sub = unsafe { OwnedFd::from_raw_fd(fd) };
                chown_open_dir(&sub, &child, uid, gid)?;
                continue;
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::ENOENT) => continue,
                // Replaced by something else since fstatat: change that entry itself.
                Some(libc::ELOOP) | Some(libc::ENOTDIR) => {}
                _ => return Err(at(e)),
            }
        } else if st.st_uid == uid && st.st_gid == gid {
            continue;
        }
        // SAFETY: the descriptor is open and name is NUL-terminated; links are not followed.
        let rc = unsafe {
            libc::fchownat(
                dir.as_raw_fd(),
                name.as_ptr(),
                uid,
                gid,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc != 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::NotFound {
                return Err(at(e));
            }
        }
    }
    Ok(())
}

fn fstat(fd: RawFd) -> io::Result<libc::stat> {
    // SAFETY: an all-zero stat is a valid buffer for fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid buffer; an invalid fd is reported as an error.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st)
}

/// The names in an open directory, without `.` and `..`.
fn entries(dir: &OwnedFd) -> io::Result<Vec<CString>> {
    // SAFETY: dup of an open descriptor; the copy is handed to fdopendir, which owns it.
    let copy = unsafe { libc::fcntl(dir.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: copy is an open directory descriptor.
    let stream = unsafe { libc::fdopendir(copy) };
    if stream.is_null() {
        let e = io::Error::last_os_error();
        // SAFETY: fdopendir failed, so copy is still ours to close.
        unsafe { libc::close(copy) };
        return Err(e);
    }
    // SAFETY: the stream is valid; start from the beginning even if the descriptor was read.
    unsafe { libc::rewinddir(stream) };
    let mut names = Vec::new();
    let result = loop {
        // SAFETY: errno is thread-local; clearing it distinguishes the end from an error.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: the stream is valid until closedir below.
        let entry = unsafe { libc::readdir(stream) };
        if entry.is_null() {
            let e = io::Error::last_os_error();
            break if e.raw_os_error().unwrap_or(0) == 0 {
                Ok(())
            } else {
                Err(e)
            };
        }
        // SAFETY: d_name is a NUL-terminated name inside the entry, valid until the next readdir.
        let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
        if name.to_bytes() != b"." && name.to_bytes() != b".." {
            names.push(name.to_owned());
        }
    };
    // SAFETY: the stream is valid and closed once; this also closes `copy`.
    unsafe { libc::closedir(stream) };
    result.map(|()| names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const NOBODY: u32 = 65534;

    fn owner(path: &Path) -> (u32, u32) {
        let m = fs::symlink_metadata(path).unwrap();
        (m.uid(), m.gid())
    }

    fn nobody() -> Account {
        Account {
            name: local_user::account_by_name("nobody")
                .map(|a| a.name)
                .unwrap_or_else(|_| "nobody".into()),
            uid: NOBODY,
            gid: NOBODY,
            home: PathBuf::from("/nonexistent"),
        }
    }

    #[test]
    fn root_is_refused_as_the_account() {
        let root = Account {
            name: "root".into(),
            uid: 0,
            gid: 0,
            home: PathBuf::from("/root"),
        };
        let e = drop_to(&root, &[], &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "service.user names root (uid 0); name an unprivileged account"
        );
    }

    #[test]
    fn without_root_only_the_current_account_is_accepted() {
        if running_as_root() {
            println!("SKIPPED: running as root");
            return;
        }
        // SAFETY: getuid has no preconditions.
        let me = unsafe { libc::getuid() };
        let mut account = nobody();
        account.uid = me;
        assert!(drop_to(&account, &[], &[]).is_ok());
        account.uid = me + 1;
        let e = drop_to(&account, &[], &[]).unwrap_err();
        assert!(matches!(e, PrivilegeError::NotRoot { .. }), "{e}");
    }

    #[test]
    fn chown_tree_gives_everything_below_without_following_links() {
        if !running_as_root() {
            println!("SKIPPED: not root");
            return;
        }
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, "x").unwrap();
        let victim_dir = outside.path().join("victim-dir");
        fs::create_dir(&victim_dir).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("state");
        fs::create_dir_all(top.join("a/b/c")).unwrap();
        fs::write(top.join("a/file"), "1").unwrap();
        fs::write(top.join("a/b/c/deep"), "2").unwrap();
        std::os::unix::fs::symlink(&victim, top.join("a/link-to-file")).unwrap();
        std::os::unix::fs::symlink(&victim_dir, top.join("a/b/link-to-dir")).unwrap();

        chown_tree(&top, NOBODY, NOBODY).unwrap();
        for p in [
            "",
            "a",
            "a/file",
            "a/b",
            "a/b/c",
            "a/b/c/deep",
            "a/link-to-file",
            "a/b/link-to-dir",
        ] {
            assert_eq!(owner(&top.join(p)), (NOBODY, NOBODY), "{p}");
        }
        assert_eq!(owner(&victim), (0, 0));
        assert_eq!(owner(&victim_dir), (0, 0));
        assert_eq!(owner(dir.path()), (0, 0));
        // Again: nothing to change, still fine; a missing path is skipped.
        chown_tree(&top, NOBODY, NOBODY).unwrap();
        chown_tree(&dir.path().join("missing"), NOBODY, NOBODY).unwrap();
        // A single file.
        let single = dir.path().join("single");
        fs::write(&single, "s").unwrap();
        chown_tree(&single, NOBODY, NOBODY).unwrap();
        assert_eq!(owner(&single), (NOBODY, NOBODY));
    }

    /// Switches in a forked child, so the test process keeps its privileges.
    #[test]
    fn drop_to_in_a_child_process() {
        if !running_as_root() {
            println!("SKIPPED: not root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        fs::create_dir_all(state.join("sub")).unwrap();
        let root_only = dir.path().to_path_buf();
        let account = nobody();
        // SAFETY: the child only runs drop_to and then _exit, never returning into the harness.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = match drop_to(&account, &[0], &[&state]) {
                Ok(()) => {
                    // SAFETY: getgroups with a zero count only returns the count.
                    let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
                    let mut groups = vec![0; n.max(0) as usize];
                    // SAFETY: groups has room for n entries.
                    unsafe { libc::getgroups(n, groups.as_mut_ptr()) };
                    // The temporary directory is root's, mode 0700.
                    let can_write_root_file = fs::write(root_only.join("x"), "x").is_ok();
                    if groups.contains(&0) && groups.contains(&NOBODY) && !can_write_root_file {
                        0
                    } else {
                        2
                    }
                }
                Err(_) => 1,
            };
            // SAFETY: ends the child without running the parent's destructors or harness.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: pid is our child; status is a valid out-pointer.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(waited, pid);
        assert!(libc::WIFEXITED(status), "child status {status}");
        assert_eq!(libc::WEXITSTATUS(status), 0, "child failed");
        assert_eq!(owner(&state), (NOBODY, NOBODY));
        assert_eq!(owner(&state.join("sub")), (NOBODY, NOBODY));
        assert!(!dir.path().join("x").exists());
    }
}
