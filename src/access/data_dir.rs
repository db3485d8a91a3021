//! The data and runtime directories as the service's own: creating them with their modes,
//! handing them to the service account when it starts as root (as systemd's StateDirectory=
//! does: recursively, never following a symbolic link, not even at the top, never through a
//! hard-linked file, and never a directory that is not the service's own), and removing group
//! and world access below the data directory. Every entry is reached relative to an open
//! descriptor of its parent (nix's openat, fstat, fchownat and directory reading), so a link
//! swapped in during the walk cannot redirect it. This must not decide which directories or
//! which account; the configuration names them, and the switch of account is
//! `account_switch.rs`'s.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{FileStat, Mode, SFlag};
use nix::unistd::{Gid, Uid};

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

/// Why a directory was not handed to the service account.
#[derive(Debug, thiserror::Error)]
pub enum HandOverError {
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
}

/// Gives each `(key, path)` of `own` (`key` names the setting, for errors) recursively to
/// `name`'s `uid` and `gid` where the owner differs — refused when the path is a symbolic link
/// or not a dedicated directory (a system directory, writable by every user, or owned by
/// someone other than root and the account).
pub fn hand_over(
    own: &[(&'static str, &Path)],
    name: &str,
    uid: u32,
    gid: u32,
) -> Result<(), HandOverError> {
    for (key, path) in own {
        chown_tree(path, uid, gid).map_err(|failure| match failure {
            ChownFailure::Io(path, source) => HandOverError::Chown {
                name: name.to_string(),
                path,
                source,
            },
            ChownFailure::Link => HandOverError::Link {
                key,
                path: path.to_path_buf(),
            },
            ChownFailure::NotDedicated(reason) => HandOverError::NotDedicated {
                key,
                path: path.to_path_buf(),
                name: name.to_string(),
                reason,
            },
        })?;
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
/// O_NOFOLLOW and changed through that descriptor. Regular files with more than one link are
/// left alone (one of their names may be outside the tree). A directory `top` must be
/// dedicated: not a system directory, not writable by every user, owned by root or by `uid`.
/// A missing `top` is fine.
pub(crate) fn chown_tree(top: &Path, uid: u32, gid: u32) -> ChownResult {
    let at = |e: Errno| ChownFailure::Io(top.to_path_buf(), e.into());
    if let Some(reason) = shared_directory(top) {
        return Err(ChownFailure::NotDedicated(reason));
    }
    let handle = match nix::fcntl::open(
        top,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(()),
        Err(e) => return Err(at(e)),
    };
    let st = nix::sys::stat::fstat(&handle).map_err(at)?;
    match kind(&st) {
        SFlag::S_IFLNK => Err(ChownFailure::Link),
        SFlag::S_IFDIR => {
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
            let dir = nix::fcntl::openat(
                &handle,
                ".",
                OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(at)?;
            chown_open_dir(&dir, top, uid, gid)
        }
        _ => chown_handle(&handle, &st, uid, gid).map_err(at),
    }
}

/// The file type bits of a stat.
fn kind(st: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits())
}

fn ids(uid: u32, gid: u32) -> (Option<Uid>, Option<Gid>) {
    (Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)))
}

/// Changes the entry behind an O_PATH descriptor (a link itself, never its target), unless it
/// is a regular file with other names or already has the owner.
fn chown_handle(handle: &OwnedFd, st: &FileStat, uid: u32, gid: u32) -> Result<(), Errno> {
    if kind(st) == SFlag::S_IFREG && st.st_nlink > 1 {
        return Ok(());
    }
    if st.st_uid == uid && st.st_gid == gid {
        return Ok(());
    }
    let (owner, group) = ids(uid, gid);
    nix::unistd::fchownat(
        handle,
        "",
        owner,
        group,
        AtFlags::AT_EMPTY_PATH | AtFlags::AT_SYMLINK_NOFOLLOW,
    )
}

/// Changes the open directory `dir` (at `path`, for messages) and its contents.
fn chown_open_dir(dir: &OwnedFd, path: &Path, uid: u32, gid: u32) -> ChownResult {
    let at = |e: Errno| ChownFailure::Io(path.to_path_buf(), e.into());
    let st = nix::sys::stat::fstat(dir).map_err(at)?;
    if st.st_uid != uid || st.st_gid != gid {
        let (owner, group) = ids(uid, gid);
        nix::unistd::fchown(dir, owner, group).map_err(at)?;
    }
    for name in entries(dir).map_err(|e| ChownFailure::Io(path.to_path_buf(), e))? {
        let child = path.join(std::ffi::OsStr::from_bytes(name.as_bytes()));
        let at = |e: Errno| ChownFailure::Io(child.clone(), e.into());
        // O_NOFOLLOW|O_DIRECTORY opens a real directory only (a link or anything else fails).
        match nix::fcntl::openat(
            dir,
            name.as_c_str(),
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(sub) => {
                chown_open_dir(&sub, &child, uid, gid)?;
                continue;
            }
            Err(Errno::ENOENT) => continue,
            // Not a directory (or a link to one): the entry itself.
            Err(Errno::ELOOP | Errno::ENOTDIR) => {}
            Err(e) => return Err(at(e)),
        }
        // O_PATH|O_NOFOLLOW refers to the entry itself, a link included.
        let handle = match nix::fcntl::openat(
            dir,
            name.as_c_str(),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(h) => h,
            Err(Errno::ENOENT) => continue,
            Err(e) => return Err(at(e)),
        };
        let st = nix::sys::stat::fstat(&handle).map_err(at)?;
        if kind(&st) == SFlag::S_IFDIR {
            // Became a directory since: its contents are left as they are this time.
            continue;
        }
        chown_handle(&handle, &st, uid, gid).map_err(at)?;
    }
    Ok(())
}

/// The names in an open directory, without `.` and `..` (read through a duplicate of the
/// descriptor, which the directory stream owns).
fn entries(dir: &OwnedFd) -> io::Result<Vec<CString>> {
    let copy = dir.as_fd().try_clone_to_owned()?;
    let mut stream = Dir::from_fd(copy).map_err(io::Error::from)?;
    let mut names = Vec::new();
    for entry in stream.iter() {
        let entry = entry.map_err(io::Error::from)?;
        let name = entry.file_name();
        if name.to_bytes() != b"." && name.to_bytes() != b".." {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::account_switch::running_as_root;
    use crate::access::test_support::{in_child, mode, owner, NOBODY};
    use std::fs;

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
            nix::sys::stat::umask(Mode::from_bits_truncate(0o077));
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
}
