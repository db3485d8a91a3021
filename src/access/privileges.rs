//! Dropping from root to the service account, and keeping packages apart from it. The service's
//! own directories are given to the account (as systemd's StateDirectory= does: recursively, but
//! never following a symbolic link, not even at the top, never through a hard-linked file, and
//! never a directory that is not the service's own), then the supplementary groups, gids and
//! uids are set and root is proved out of reach. With a runner account, its uid and gid stay
//! only as the saved ids, so that runners can take them (`ssisd_actors::package`) and the
//! service can become nothing else. Also the modes that keep the data directory the service's:
//! created directories, and group or world access removed below it. This must not decide which
//! accounts or which directories; the configuration names them.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use crate::access::local_user::{self, Account};

/// Directories that are never one service's own: giving one of them away recursively would
/// hand the system to the service account.
const SHARED_DIRECTORIES: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib64",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/run/user",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/lib",
    "/usr/local",
    "/usr/share",
    "/var",
    "/var/cache",
    "/var/lib",
    "/var/local",
    "/var/log",
    "/var/mail",
    "/var/opt",
    "/var/run",
    "/var/spool",
    "/var/tmp",
];

/// Why the service could not become its account.
#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    #[error("service.user names root (uid 0); name an unprivileged account")]
    RootAccount,
    #[error("service.runner_user {name} has uid 0 (root); packages must not run as root: name an unprivileged account other than service.user (e.g. ssisd-run, created with `useradd --system ssisd-run`)")]
    RootRunner { name: String },
    #[error("cannot switch to {name} (uid {uid}): ssisd runs as uid {current}, not root; start it as root or as {name}, or leave service.user unset")]
    NotRoot {
        name: String,
        uid: u32,
        current: u32,
    },
    #[error("service.runner_user {runner} needs ssisd to start as root (it runs as uid {current}): only then can it keep {runner}'s ids for the packages; start it as root with service.user set, or remove service.runner_user")]
    RunnerNeedsRoot { runner: String, current: u32 },
    #[error(
        "cannot give {path} to {name}: {source}; check the path, or chown -R {name} it by hand"
    )]
    Chown {
        name: String,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{key} {path} is a symbolic link; ssisd never follows links while it is root: set {key} to the directory itself")]
    Link { key: &'static str, path: PathBuf },
    #[error("{key} {path} is {reason}, not a directory of ssisd's own; it would be given to {name} recursively: set {key} to a dedicated directory (e.g. /var/lib/ssisd or /run/ssisd)")]
    NotDedicated {
        key: &'static str,
        path: PathBuf,
        name: String,
        reason: String,
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

/// Becomes `account`. First each `(key, path)` of `own` (`key` names the setting, for errors)
/// is given recursively to the account's uid and gid where the owner differs — refused when the
/// path is a symbolic link or not a dedicated directory (a system directory, writable by every
/// user, or owned by someone other than root and the account). Then the supplementary groups
/// are set, then gids and uids (glibc applies them to every thread).
///
/// Without `runner`, the groups are the account's plus `extra_groups`, and all three uids and
/// gids become the account's. With a `runner` (another account), the supplementary groups are
/// `extra_groups` alone — runners inherit them and cannot shed them — and the runner's uid and
/// gid are kept as the saved ids: a runner can later take them, and the service can become
/// neither root nor anyone else. Root is refused as either account. Without root this succeeds
/// only without a runner and when the process already runs as the account, changing nothing.
pub fn drop_to(
    account: &Account,
    extra_groups: &[u32],
    runner: Option<&Account>,
    own: &[(&'static str, &Path)],
) -> Result<(), PrivilegeError> {
    if account.uid == 0 {
        return Err(PrivilegeError::RootAccount);
    }
    if let Some(r) = runner {
        if r.uid == 0 {
            return Err(PrivilegeError::RootRunner {
                name: r.name.clone(),
            });
        }
    }
    // The same account twice is no separation: the service's own ids.
    let runner = runner.filter(|r| r.uid != account.uid);
    if !running_as_root() {
        // SAFETY: getuid/geteuid have no preconditions.
        let (uid, euid) = unsafe { (libc::getuid(), libc::geteuid()) };
        if let Some(r) = runner {
            return Err(PrivilegeError::RunnerNeedsRoot {
                runner: r.name.clone(),
                current: euid,
            });
        }
        if uid == account.uid && euid == account.uid {
            return Ok(());
        }
        return Err(PrivilegeError::NotRoot {
            name: account.name.clone(),
            uid: account.uid,
            current: euid,
        });
    }
    for (key, path) in own {
        chown_tree(path, account.uid, account.gid).map_err(|failure| match failure {
            ChownFailure::Io(path, source) => PrivilegeError::Chown {
                name: account.name.clone(),
                path,
                source,
            },
            ChownFailure::Link => PrivilegeError::Link {
                key,
                path: path.to_path_buf(),
            },
            ChownFailure::NotDedicated(reason) => PrivilegeError::NotDedicated {
                key,
                path: path.to_path_buf(),
                name: account.name.clone(),
                reason,
            },
        })?;
    }
    let mut groups = match runner {
        Some(_) => Vec::new(),
        None => local_user::supplementary_gids(&account.name, account.gid).map_err(|source| {
            PrivilegeError::Groups {
                name: account.name.clone(),
                source,
            }
        })?,
    };
    for g in extra_groups {
        if !groups.contains(g) {
            groups.push(*g);
        }
    }
    let saved = runner.map_or((account.uid, account.gid), |r| (r.uid, r.gid));
    switch(account, &groups, saved)?;
    verify(account, &groups, saved)
}

/// setgroups, setresgid, setresuid, in that order (each later one needs the privilege the
/// earlier ones keep). `saved` is the (uid, gid) kept as the saved set-user and set-group ids.
fn switch(account: &Account, groups: &[u32], saved: (u32, u32)) -> Result<(), PrivilegeError> {
    let fail = |call| PrivilegeError::Switch {
        call,
        name: account.name.clone(),
        source: io::Error::last_os_error(),
    };
    // SAFETY: the pointer and length describe `groups`.
    if unsafe { libc::setgroups(groups.len(), groups.as_ptr()) } != 0 {
        return Err(fail("setgroups"));
    }
    // SAFETY: setresgid and setresuid have no memory preconditions.
    if unsafe { libc::setresgid(account.gid, account.gid, saved.1) } != 0 {
        return Err(fail("setresgid"));
    }
    // SAFETY: as above.
    if unsafe { libc::setresuid(account.uid, account.uid, saved.0) } != 0 {
        return Err(fail("setresuid"));
    }
    Ok(())
}

/// The real, effective and saved user ids, then the same for groups.
pub fn ids() -> ((u32, u32, u32), (u32, u32, u32)) {
    let (mut ru, mut eu, mut su) = (0, 0, 0);
    let (mut rg, mut eg, mut sg) = (0, 0, 0);
    // SAFETY: the pointers are valid out-parameters; these calls cannot fail with them.
    unsafe {
        libc::getresuid(&mut ru, &mut eu, &mut su);
        libc::getresgid(&mut rg, &mut eg, &mut sg);
    }
    ((ru, eu, su), (rg, eg, sg))
}

/// The supplementary group ids of the process.
fn current_groups() -> Vec<u32> {
    // SAFETY: a zero count only returns the number of groups.
    let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    let mut groups = vec![0; n.max(0) as usize];
    // SAFETY: groups has room for n entries.
    let n = unsafe { libc::getgroups(n, groups.as_mut_ptr()) };
    groups.truncate(n.max(0) as usize);
    groups
}

fn verify(account: &Account, groups: &[u32], saved: (u32, u32)) -> Result<(), PrivilegeError> {
    let problem = |problem: String| PrivilegeError::Verify {
        name: account.name.clone(),
        problem,
    };
    let (uids, gids) = ids();
    let wanted = (
        (account.uid, account.uid, saved.0),
        (account.gid, account.gid, saved.1),
    );
    if (uids, gids) != wanted {
        return Err(problem(format!(
            "has uids (real, effective, saved) {uids:?} and gids {gids:?} instead of {:?} and {:?}",
            wanted.0, wanted.1
        )));
    }
    let mut have = current_groups();
    let mut want = groups.to_vec();
    have.sort_unstable();
    have.dedup();
    want.sort_unstable();
    want.dedup();
    if have != want {
        return Err(problem(format!(
            "has the supplementary groups {have:?} instead of {want:?}"
        )));
    }
    // SAFETY: as above; if this succeeds, the process is root again and the error says so.
    if unsafe { libc::setuid(0) } == 0 {
        return Err(problem(
            "can become root again (setuid(0) succeeded)".into(),
        ));
    }
    // SAFETY: as above (-1 leaves the real and saved ids as they are).
    if unsafe { libc::setresuid(u32::MAX, 0, u32::MAX) } == 0 {
        return Err(problem(
            "can become root again (setresuid(-1, 0, -1) succeeded)".into(),
        ));
    }
    Ok(())
}

/// Creates `path` with `mode` when it is missing, with any missing parent as 0755 (so that
/// accounts that must reach something below can traverse them; the umask is not applied to
/// either). An existing `path` is left as it is.
pub fn create_dir_with_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if std::fs::symlink_metadata(path).is_ok() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            create_dir_with_mode(parent, 0o755)?;
        }
    }
    match std::fs::DirBuilder::new().mode(mode).create(path) {
        Ok(()) => std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets the data directory's mode — 0711 when packages run as another account (which must
/// reach its run directory but list nothing), 0700 otherwise — and removes group and world
/// access from everything below it except `runs`, whose modes the runs set themselves. Files
/// left readable by an older version or another umask become the service's alone; below a
/// directory that is already private nothing is walked (nobody else can reach it). Call it as
/// the service account: links are not followed, and what it does not own it cannot change
/// (such entries are left as they are).
pub fn protect_data_dir(data_dir: &Path, runs: &Path, runner_separate: bool) -> io::Result<()> {
    let mode = if runner_separate { 0o711 } else { 0o700 };
    let meta = std::fs::symlink_metadata(data_dir)?;
    if meta.mode() & 0o7777 != mode {
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(mode))?;
    }
    tighten_below(data_dir, runs);
    Ok(())
}

fn tighten_below(dir: &Path, skip: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path == skip {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 == 0 {
            // Already private: nothing below a private directory is reachable by others, so
            // a start after the first one does not walk the whole tree again.
            continue;
        }
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & !0o077));
        if meta.is_dir() {
            tighten_below(&path, skip);
        }
    }
}

/// Why a tree was not given away.
#[derive(Debug)]
pub(crate) enum ChownFailure {
    Io(PathBuf, io::Error),
    /// The top path is a symbolic link.
    Link,
    /// The top path is not a directory of the service's own; the reason says what it is.
    NotDedicated(String),
}

type ChownResult = Result<(), ChownFailure>;

/// What makes `top` a directory no service may take, from its path alone: a system directory
/// (after resolving `..` and links in its parents).
pub(crate) fn shared_directory(top: &Path) -> Option<String> {
    let mut normal = PathBuf::from("/");
    for c in top.components() {
        match c {
            Component::ParentDir => {
                normal.pop();
            }
            Component::Normal(n) => normal.push(n),
            _ => {}
        }
    }
    let real = std::fs::canonicalize(top).ok();
    for p in std::iter::once(&normal).chain(real.as_ref()) {
        if SHARED_DIRECTORIES.iter().any(|s| Path::new(s) == p) {
            return Some(format!("the system directory {}", p.display()));
        }
    }
    None
}

/// Gives `top` and, when it is a directory, everything below it to uid:gid, changing only
/// entries whose owner or group differs. Nothing is followed: `top` must not be a link, links
/// below it are changed themselves, and every entry is opened relative to its parent with
/// O_NOFOLLOW and changed through that descriptor, so a link swapped in during the walk cannot
/// redirect it. Regular files with more than one link are left alone (one of their names may be
/// outside the tree). A directory `top` must be dedicated: not a system directory, not writable
/// by every user, owned by root or by `uid`. A missing `top` is fine.
pub(crate) fn chown_tree(top: &Path, uid: u32, gid: u32) -> ChownResult {
    let at = |e: io::Error| ChownFailure::Io(top.to_path_buf(), e);
    if let Some(reason) = shared_directory(top) {
        return Err(ChownFailure::NotDedicated(reason));
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
            libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        let e = io::Error::last_os_error();
        return match e.kind() {
            io::ErrorKind::NotFound => Ok(()),
            _ => Err(at(e)),
        };
    }
    // SAFETY: fd was just opened and is owned here.
    let handle = unsafe { OwnedFd::from_raw_fd(fd) };
    let st = fstat(handle.as_raw_fd()).map_err(at)?;
    match st.st_mode & libc::S_IFMT {
        libc::S_IFLNK => Err(ChownFailure::Link),
        libc::S_IFDIR => {
            if st.st_uid != 0 && st.st_uid != uid {
                return Err(ChownFailure::NotDedicated(format!(
                    "owned by uid {} (neither root nor the service account)",
                    st.st_uid
                )));
            }
            if st.st_mode & 0o002 != 0 {
                return Err(ChownFailure::NotDedicated(format!(
                    "writable by every user (mode {:04o})",
                    st.st_mode & 0o7777
                )));
            }
            // The very directory checked above, opened for reading.
            // SAFETY: the handle is open; "." is NUL-terminated.
            let fd = unsafe {
                libc::openat(
                    handle.as_raw_fd(),
                    c".".as_ptr(),
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
        _ => chown_handle(&handle, &st, uid, gid).map_err(at),
    }
}

/// Changes the entry behind an O_PATH descriptor (a link itself, never its target), unless it
/// is a regular file with other names or already has the owner.
fn chown_handle(handle: &OwnedFd, st: &libc::stat, uid: u32, gid: u32) -> io::Result<()> {
    if st.st_mode & libc::S_IFMT == libc::S_IFREG && st.st_nlink > 1 {
        return Ok(());
    }
    if st.st_uid == uid && st.st_gid == gid {
        return Ok(());
    }
    // SAFETY: the descriptor is open; the empty path with AT_EMPTY_PATH names it.
    let rc = unsafe {
        libc::fchownat(
            handle.as_raw_fd(),
            c"".as_ptr(),
            uid,
            gid,
            libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Changes the open directory `dir` (at `path`, for messages) and its contents.
fn chown_open_dir(dir: &OwnedFd, path: &Path, uid: u32, gid: u32) -> ChownResult {
    let st = fstat(dir.as_raw_fd()).map_err(|e| ChownFailure::Io(path.to_path_buf(), e))?;
    if st.st_uid != uid || st.st_gid != gid {
        // SAFETY: the descriptor is open.
        if unsafe { libc::fchown(dir.as_raw_fd(), uid, gid) } != 0 {
            return Err(ChownFailure::Io(
                path.to_path_buf(),
                io::Error::last_os_error(),
            ));
        }
    }
    for name in entries(dir).map_err(|e| ChownFailure::Io(path.to_path_buf(), e))? {
        let child = path.join(std::ffi::OsStr::from_bytes(name.as_bytes()));
        let at = |e: io::Error| ChownFailure::Io(child.clone(), e);
        // SAFETY: the descriptor is open and name is NUL-terminated; O_NOFOLLOW|O_DIRECTORY
        // opens a real directory only (a link or anything else fails).
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
            // Not a directory (or a link to one): the entry itself.
            Some(libc::ELOOP) | Some(libc::ENOTDIR) => {}
            _ => return Err(at(e)),
        }
        // SAFETY: as above; O_PATH|O_NOFOLLOW refers to the entry itself, a link included.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                name.as_ptr(),
                libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::NotFound {
                continue;
            }
            return Err(at(e));
        }
        // SAFETY: fd was just opened and is owned here.
        let handle = unsafe { OwnedFd::from_raw_fd(fd) };
        let st = fstat(handle.as_raw_fd()).map_err(at)?;
        if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            // Became a directory since: its contents are left as they are this time.
            continue;
        }
        chown_handle(&handle, &st, uid, gid).map_err(at)?;
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

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().mode() & 0o7777
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

    /// Runs `f` in a forked child (so the test process keeps its privileges) and returns its
    /// exit code.
    fn in_child(f: impl FnOnce() -> i32) -> i32 {
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

    #[test]
    fn root_is_refused_as_the_account_and_as_the_runner() {
        let root = Account {
            name: "root".into(),
            uid: 0,
            gid: 0,
            home: PathBuf::from("/root"),
        };
        let e = drop_to(&root, &[], None, &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "service.user names root (uid 0); name an unprivileged account"
        );
        let e = drop_to(&nobody(), &[], Some(&root), &[]).unwrap_err();
        assert!(matches!(e, PrivilegeError::RootRunner { .. }), "{e}");
        assert!(e.to_string().contains("service.runner_user root"), "{e}");
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
        assert!(drop_to(&account, &[], None, &[]).is_ok());
        let mut runner = nobody();
        runner.uid = me + 2;
        let e = drop_to(&account, &[], Some(&runner), &[]).unwrap_err();
        assert!(matches!(e, PrivilegeError::RunnerNeedsRoot { .. }), "{e}");
        account.uid = me + 1;
        let e = drop_to(&account, &[], None, &[]).unwrap_err();
        assert!(matches!(e, PrivilegeError::NotRoot { .. }), "{e}");
    }

    #[test]
    fn system_directories_are_never_dedicated() {
        for p in [
            "/",
            "/var/lib",
            "/var/lib/",
            "/tmp",
            "/run",
            "/home",
            "/etc",
            "/var/lib/ssisd/..",
            "/var/lib/../lib/.",
        ] {
            assert!(shared_directory(Path::new(p)).is_some(), "{p}");
        }
        for p in ["/var/lib/ssisd", "/run/ssisd", "/srv/ssisd/data"] {
            assert_eq!(shared_directory(Path::new(p)), None, "{p}");
        }
        // The refusal comes before anything is looked at, root or not.
        assert!(matches!(
            chown_tree(Path::new("/var/lib"), NOBODY, NOBODY),
            Err(ChownFailure::NotDedicated(_))
        ));
    }

    #[test]
    fn created_directories_get_their_mode_despite_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        // In a child: the umask is the whole process's, and other tests may run in threads.
        let code = in_child(|| {
            // SAFETY: umask has no preconditions.
            unsafe { libc::umask(0o077) };
            i32::from(create_dir_with_mode(&deep, 0o711).is_err())
        });
        assert_eq!(code, 0);
        assert_eq!(mode(&deep), 0o711);
        assert_eq!(mode(&dir.path().join("a")), 0o755);
        assert_eq!(mode(&dir.path().join("a/b")), 0o755);
        fs::set_permissions(&deep, fs::Permissions::from_mode(0o700)).unwrap();
        create_dir_with_mode(&deep, 0o711).unwrap();
        assert_eq!(mode(&deep), 0o700, "an existing directory is left alone");
    }

    #[test]
    fn the_data_directory_becomes_the_services_alone() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let runs = data.join("runs");
        fs::create_dir_all(data.join("Packages/Sales")).unwrap();
        fs::create_dir_all(runs.join("r1")).unwrap();
        fs::write(data.join("owners.db"), "o").unwrap();
        fs::write(data.join("Packages/Sales/p.dtsx"), "p").unwrap();
        fs::write(runs.join("r1/package.dtsx"), "p").unwrap();
        let outside = dir.path().join("outside");
        fs::write(&outside, "x").unwrap();
        std::os::unix::fs::symlink(&outside, data.join("link")).unwrap();
        for p in [&data, &data.join("Packages"), &data.join("Packages/Sales")] {
            fs::set_permissions(p, fs::Permissions::from_mode(0o755)).unwrap();
        }
        for p in [
            data.join("owners.db"),
            data.join("Packages/Sales/p.dtsx"),
            runs.join("r1/package.dtsx"),
            outside.clone(),
        ] {
            fs::set_permissions(p, fs::Permissions::from_mode(0o644)).unwrap();
        }
        fs::set_permissions(&runs, fs::Permissions::from_mode(0o711)).unwrap();

        protect_data_dir(&data, &runs, true).unwrap();
        assert_eq!(mode(&data), 0o711);
        assert_eq!(mode(&data.join("owners.db")), 0o600);
        assert_eq!(mode(&data.join("Packages")), 0o700);
        assert_eq!(mode(&data.join("Packages/Sales")), 0o700);
        assert_eq!(mode(&data.join("Packages/Sales/p.dtsx")), 0o600);
        assert_eq!(mode(&runs), 0o711, "runs keep the modes they set");
        assert_eq!(mode(&runs.join("r1/package.dtsx")), 0o644);
        assert_eq!(mode(&outside), 0o644, "links are not followed");
        protect_data_dir(&data, &runs, false).unwrap();
        assert_eq!(mode(&data), 0o700);
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
        let linked = outside.path().join("hard-linked");
        fs::write(&linked, "h").unwrap();

        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("state");
        fs::create_dir_all(top.join("a/b/c")).unwrap();
        fs::write(top.join("a/file"), "1").unwrap();
        fs::write(top.join("a/b/c/deep"), "2").unwrap();
        std::os::unix::fs::symlink(&victim, top.join("a/link-to-file")).unwrap();
        std::os::unix::fs::symlink(&victim_dir, top.join("a/b/link-to-dir")).unwrap();
        fs::hard_link(&linked, top.join("a/hard")).unwrap();

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
        assert_eq!(owner(&linked), (0, 0), "a hard-linked file is left alone");
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

    #[test]
    fn chown_tree_refuses_links_and_directories_of_others() {
        if !running_as_root() {
            println!("SKIPPED: not root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::create_dir(&real).unwrap();
        fs::write(real.join("f"), "f").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(matches!(
            chown_tree(&link, NOBODY, NOBODY),
            Err(ChownFailure::Link)
        ));
        let file_link = dir.path().join("file-link");
        std::os::unix::fs::symlink(real.join("f"), &file_link).unwrap();
        assert!(matches!(
            chown_tree(&file_link, NOBODY, NOBODY),
            Err(ChownFailure::Link)
        ));
        assert_eq!(owner(&real), (0, 0));
        assert_eq!(owner(&real.join("f")), (0, 0));

        std::os::unix::fs::chown(&real, Some(4_100_009), Some(4_100_009)).unwrap();
        match chown_tree(&real, NOBODY, NOBODY) {
            Err(ChownFailure::NotDedicated(reason)) => {
                assert!(reason.contains("uid 4100009"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        std::os::unix::fs::chown(&real, Some(0), Some(0)).unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o1777)).unwrap();
        match chown_tree(&real, NOBODY, NOBODY) {
            Err(ChownFailure::NotDedicated(reason)) => {
                assert!(reason.contains("writable by every user"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(owner(&real.join("f")), (0, 0));
        // The service account's own directory is fine.
        fs::set_permissions(&real, fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&real, Some(NOBODY), Some(NOBODY)).unwrap();
        chown_tree(&real, NOBODY, NOBODY).unwrap();
        assert_eq!(owner(&real.join("f")), (NOBODY, NOBODY));
    }

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
        let code =
            in_child(
                || match drop_to(&account, &[0], None, &[("state", state.as_path())]) {
                    Ok(()) => {
                        let groups = current_groups();
                        // The temporary directory is root's, mode 0700.
                        let can_write_root_file = fs::write(root_only.join("x"), "x").is_ok();
                        let ((_, _, su), _) = ids();
                        if groups.contains(&0)
                            && groups.contains(&NOBODY)
                            && !can_write_root_file
                            && su == NOBODY
                        {
                            0
                        } else {
                            2
                        }
                    }
                    Err(_) => 1,
                },
            );
        assert_eq!(code, 0, "child failed");
        assert_eq!(owner(&state), (NOBODY, NOBODY));
        assert_eq!(owner(&state.join("sub")), (NOBODY, NOBODY));
        assert!(!dir.path().join("x").exists());
    }

    /// With a runner: the runner's ids are only the saved ones; the service cannot become root,
    /// a process can take the runner's ids for good, and the groups are the extra ones alone.
    #[test]
    fn drop_to_keeps_the_runner_as_saved_ids_only() {
        if !running_as_root() {
            println!("SKIPPED: not root");
            return;
        }
        let Ok(runner) = local_user::account_by_name("daemon") else {
            println!("SKIPPED: no account named daemon");
            return;
        };
        let account = nobody();
        let code = in_child(|| {
            if let Err(e) = drop_to(&account, &[4_100_010], Some(&runner), &[]) {
                eprintln!("{e}");
                return 1;
            }
            let (uids, gids) = ids();
            if uids != (NOBODY, NOBODY, runner.uid) || gids != (NOBODY, NOBODY, runner.gid) {
                eprintln!("{uids:?} {gids:?}");
                return 2;
            }
            if current_groups() != [4_100_010] {
                eprintln!("{:?}", current_groups());
                return 3;
            }
            // SAFETY: setuid has no preconditions; it must fail.
            if unsafe { libc::setuid(0) } == 0 {
                return 4;
            }
            // What a runner does before exec: all three ids become the runner's.
            // SAFETY: raw per-thread set*id calls; this child has one thread.
            let switched = unsafe {
                libc::syscall(libc::SYS_setresgid, runner.gid, runner.gid, runner.gid) == 0
                    && libc::syscall(libc::SYS_setresuid, runner.uid, runner.uid, runner.uid) == 0
            };
            let (uids, _) = ids();
            // SAFETY: as above; the service account is out of reach now.
            let back = unsafe { libc::setuid(NOBODY) } == 0;
            if !switched || uids != (runner.uid, runner.uid, runner.uid) || back {
                return 5;
            }
            0
        });
        assert_eq!(code, 0, "child failed");
    }
}
