//! The root directory of a File System store and how it is told apart from an empty stand-in.
//! A store root holds a marker file (`.ssisd-store`); the service keeps a list of the roots it
//! has used (`known roots`, one absolute path a line). A root is created only when it was never
//! used before (or when the folder's configuration asks for it every time): a root that has
//! gone missing — an unmounted file system, a directory renamed away — or an empty mount point
//! without the marker is *unavailable*, never silently replaced by a new empty directory. This
//! module also probes whether the root can be written. It knows nothing of packages.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::atomic_file;
use crate::error::StoreError;

/// The marker file in every store root.
pub const MARKER: &str = ".ssisd-store";

const MARKER_TEXT: &str =
    "This directory is an ssisd File System store (its packages are the .dtsx files below it).\n\
Keep this file: ssisd uses it to tell the store from an empty directory in its place, such as\n\
the mount point of a file system that is not mounted.\n";

/// When a missing store root may be created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CreateRoot {
    /// Only when the service has never used this root: once it has, a missing root (or one
    /// without its marker) is unavailable until it comes back.
    #[default]
    FirstUse,
    /// Whenever it is missing (a scratch store whose packages may be lost).
    Always,
    /// Never: the directory must be made by the administrator.
    Never,
}

/// How a store root is opened.
#[derive(Debug, Clone, Default)]
pub struct RootPolicy {
    pub create: CreateRoot,
    /// The file listing the roots already used; without it every root counts as new.
    pub known_roots: Option<PathBuf>,
}

/// Serialises changes to known-roots files within the process.
static KNOWN_ROOTS_LOCK: Mutex<()> = Mutex::new(());

fn known_roots(file: &Path) -> Vec<PathBuf> {
    fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .collect()
}

fn is_known(policy: &RootPolicy, root: &Path) -> bool {
    policy
        .known_roots
        .as_deref()
        .is_some_and(|f| known_roots(f).iter().any(|r| r == root))
}

/// Adds `root` to the known roots (atomically, kept when already there).
fn remember(policy: &RootPolicy, root: &Path) -> io::Result<()> {
    let Some(file) = policy.known_roots.as_deref() else {
        return Ok(());
    };
    let _guard = KNOWN_ROOTS_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let mut roots = known_roots(file);
    if roots.iter().any(|r| r == root) {
        return Ok(());
    }
    roots.push(root.to_path_buf());
    let mut text = String::new();
    for r in roots {
        text.push_str(&r.to_string_lossy());
        text.push('\n');
    }
    atomic_file::write_atomically(file, text.as_bytes(), true).map(drop)
}

/// Whether an error means "this cannot be written now" rather than a fault.
pub fn is_read_only_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EROFS) | Some(libc::EPERM) | Some(libc::EACCES)
    )
}

/// The reason a write was refused, for people.
pub fn read_only_reason(root: &Path, e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EROFS) => format!(
            "the file system of store path {} is mounted read-only",
            root.display()
        ),
        Some(libc::EPERM) => format!(
            "store path {} refuses changes (an immutable directory or file: see lsattr)",
            root.display()
        ),
        _ => format!(
            "store path {} is not writable by the account ssisd runs as",
            root.display()
        ),
    }
}

fn unavailable(root: &Path, what: &str) -> StoreError {
    StoreError::Unavailable(format!("store path {} {what}", root.display()))
}

fn missing(root: &Path) -> StoreError {
    unavailable(
        root,
        "is missing (an unmounted file system, or a directory renamed or deleted); ssisd does not re-create a store it has used: bring it back (mount it, rename it back), or set create_store_path = \"always\" for this folder",
    )
}

fn unmarked(root: &Path) -> StoreError {
    unavailable(
        root,
        &format!(
            "is there but is not the store ssisd used: its marker file {MARKER} is missing (an unmounted file system leaves its empty mount point); mount the store back, or, if this directory is now meant to be the store, create the marker (touch {})",
            root.join(MARKER).display()
        ),
    )
}

/// Writes the marker; a store that cannot be written now stays unmarked (and unknown) until a
/// later check succeeds.
fn mark(root: &Path, policy: &RootPolicy) -> Result<bool, StoreError> {
    match atomic_file::write_atomically(&root.join(MARKER), MARKER_TEXT.as_bytes(), true) {
        Ok(_) => {}
        Err(e) if is_read_only_error(&e) => return Ok(false),
        Err(e) => {
            return Err(unavailable(
                root,
                &format!("cannot hold its marker file {MARKER}: {e}"),
            ))
        }
    }
    remember(policy, root).map_err(|e| {
        unavailable(
            root,
            &format!("cannot be recorded as a known store root: {e}"),
        )
    })?;
    Ok(true)
}

/// Makes `root` usable as a store under `policy`: creates it when allowed, adopts an existing
/// directory the service has not used before, and refuses a missing or unmarked root it has
/// used. Returns whether the root carries its marker.
pub fn prepare(root: &Path, policy: &RootPolicy) -> Result<bool, StoreError> {
    let known = is_known(policy, root);
    match fs::metadata(root) {
        Ok(m) if m.is_dir() => {
            if root.join(MARKER).is_file() {
                if !known {
                    // Marked by another service or before the list existed: remember it.
                    let _ = remember(policy, root);
                }
                return Ok(true);
            }
            if known && policy.create != CreateRoot::Always {
                return Err(unmarked(root));
            }
            mark(root, policy)
        }
        Ok(_) => Err(unavailable(root, "is not a directory")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let may_create = match policy.create {
                CreateRoot::Always => true,
                CreateRoot::FirstUse => !known,
                CreateRoot::Never => false,
            };
            if !may_create {
                return Err(if known {
                    missing(root)
                } else {
                    unavailable(
                        root,
                        "does not exist, and this folder is configured not to create it (create_store_path = \"never\"); create the directory",
                    )
                });
            }
            fs::create_dir_all(root)
                .map_err(|e| unavailable(root, &format!("cannot be created: {e}")))?;
            mark(root, policy)
        }
        Err(e) => Err(unavailable(root, &format!("cannot be opened: {e}"))),
    }
}

/// Confirms that `root` is still the store (cheap: one `stat`). `marked` says whether the
/// marker was written when the store was opened.
pub fn verify(root: &Path, marked: bool) -> Result<(), StoreError> {
    let probe = if marked {
        root.join(MARKER)
    } else {
        root.to_path_buf()
    };
    match fs::metadata(&probe) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::metadata(root) {
            Ok(m) if m.is_dir() => Err(unmarked(root)),
            Ok(_) => Err(unavailable(root, "is not a directory")),
            Err(_) => Err(missing(root)),
        },
        Err(e) => Err(unavailable(root, &format!("cannot be read: {e}"))),
    }
}

/// Whether the root can be changed now: `Ok`, or [`StoreError::ReadOnly`] with the reason.
pub fn probe_writable(root: &Path) -> Result<(), StoreError> {
    use rustix::fs::{access, Access};
    match access(root, Access::WRITE_OK | Access::EXEC_OK) {
        Ok(()) => Ok(()),
        Err(errno) => {
            let e = io::Error::from(errno);
            if is_read_only_error(&e) {
                Err(StoreError::ReadOnly(read_only_reason(root, &e)))
            } else {
                Err(unavailable(root, &format!("cannot be checked: {e}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(dir: &Path, create: CreateRoot) -> RootPolicy {
        RootPolicy {
            create,
            known_roots: Some(dir.join("known-roots")),
        }
    }

    #[test]
    fn a_new_root_is_created_once_and_never_as_a_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("pk");
        let p = policy(dir.path(), CreateRoot::FirstUse);
        assert!(prepare(&root, &p).unwrap());
        assert!(root.join(MARKER).is_file());
        verify(&root, true).unwrap();
        // Renamed away: missing, and not re-created.
        fs::rename(&root, dir.path().join("elsewhere")).unwrap();
        let e = verify(&root, true).unwrap_err().to_string();
        assert!(e.contains("is missing"), "{e}");
        let e = prepare(&root, &p).unwrap_err().to_string();
        assert!(e.contains("does not re-create"), "{e}");
        assert!(!root.exists());
        // An empty directory in its place (an unmounted mount point) is not the store.
        fs::create_dir(&root).unwrap();
        let e = prepare(&root, &p).unwrap_err().to_string();
        assert!(e.contains("marker"), "{e}");
        assert!(verify(&root, true).is_err());
        fs::remove_dir(&root).unwrap();
        // Back where it was: usable again.
        fs::rename(dir.path().join("elsewhere"), &root).unwrap();
        assert!(prepare(&root, &p).unwrap());
        // With `always`, a missing root is made again.
        fs::remove_dir_all(&root).unwrap();
        assert!(prepare(&root, &policy(dir.path(), CreateRoot::Always)).unwrap());
    }

    #[test]
    fn existing_unmarked_directories_are_adopted_and_never_is_never() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("old");
        fs::create_dir(&root).unwrap();
        fs::write(root.join("a.dtsx"), b"x").unwrap();
        assert!(prepare(&root, &policy(dir.path(), CreateRoot::FirstUse)).unwrap());
        assert!(root.join(MARKER).is_file());
        let other = dir.path().join("never");
        let e = prepare(&other, &policy(dir.path(), CreateRoot::Never))
            .unwrap_err()
            .to_string();
        assert!(e.contains("create the directory"), "{e}");
        assert!(!other.exists());
        let known = fs::read_to_string(dir.path().join("known-roots")).unwrap();
        assert_eq!(known.lines().count(), 1, "{known}");
    }
}
