//! Crash-safe file replacement, the one writer of whole files in the workspace (packages,
//! run state files and registrations, the token file, the service's endpoint file…): write to
//! a temporary file beside the target, fsync it, then move it into place (refusing or
//! replacing an existing file) and fsync the directory. A kill at any moment leaves either the
//! old file or the new one, never a torn one. This module knows nothing of what it writes.
#![allow(unsafe_code)] // renameat2(RENAME_NOREPLACE), which std does not offer.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Prefix of the temporary files this module creates; stores skip and clean them up.
pub const TEMP_PREFIX: &str = ".ssisd-tmp-";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_path(dir: &Path) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{TEMP_PREFIX}{}-{n}", std::process::id()))
}

/// How [`write_atomically_with`] writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Replace an existing target (otherwise `AlreadyExists`).
    pub replace: bool,
    /// The new file's mode (the umask applies when `None`).
    pub mode: Option<u32>,
    /// A replaced file keeps its owner and group, and its mode within `0o640` (a file root
    /// rewrites for the service account stays the service's).
    pub keep_owner: bool,
}

/// Writes `bytes` to `target` atomically. With `replace` false an existing `target` is an
/// `AlreadyExists` error and is left untouched. Returns true if a file was replaced.
pub fn write_atomically(target: &Path, bytes: &[u8], replace: bool) -> io::Result<bool> {
    write_atomically_with(
        target,
        bytes,
        WriteOptions {
            replace,
            ..WriteOptions::default()
        },
    )
}

/// [`write_atomically`] with a mode and the owner rule of [`WriteOptions`].
pub fn write_atomically_with(
    target: &Path,
    bytes: &[u8],
    options: WriteOptions,
) -> io::Result<bool> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    let replace = options.replace;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = temp_path(dir);
    let result = (|| {
        let mut open = OpenOptions::new();
        open.write(true).create_new(true);
        if let Some(mode) = options.mode {
            open.mode(mode);
        }
        let mut f = open.open(&tmp)?;
        if let Some(mode) = options.mode {
            f.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        if options.keep_owner {
            if let Ok(old) = fs::metadata(target) {
                let new = f.metadata()?;
                // Only root can give a file away; anyone else already owns what it writes.
                if old.uid() != new.uid() || old.gid() != new.gid() {
                    std::os::unix::fs::fchown(&f, Some(old.uid()), Some(old.gid()))?;
                }
                f.set_permissions(fs::Permissions::from_mode(old.mode() & 0o640))?;
            }
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        let replaced = if replace {
            let existed = target.exists();
            fs::rename(&tmp, target)?;
            existed
        } else {
            rename_no_replace(&tmp, target)?;
            false
        };
        sync_dir(dir)?;
        Ok(replaced)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Replaces `target` with `bytes` without making it durable: for caches, which may be lost or
/// left unreplaced by a crash but are never seen half-written.
pub fn write_atomically_unsynced(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let tmp = temp_path(dir);
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        drop(f);
        fs::rename(&tmp, target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Renames `from` to `to`, failing with `AlreadyExists` if `to` exists (atomically, for files
/// and directories).
pub fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
    };
    let (f, t) = (c(from)?, c(to)?);
    // SAFETY: both pointers are valid NUL-terminated strings for the duration of the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            f.as_ptr(),
            libc::AT_FDCWD,
            t.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        // File systems without RENAME_NOREPLACE: a hard link is just as atomic for files.
        Some(libc::EINVAL) | Some(libc::ENOSYS) if from.is_file() => {
            fs::hard_link(from, to)?;
            fs::remove_file(from)
        }
        _ => Err(err),
    }
}

/// Makes a directory's entries (creations, renames, deletions) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes temporary files left in `dir` by a process that died mid-write.
pub fn remove_stale_temporaries(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry
            .file_name()
            .as_bytes()
            .starts_with(TEMP_PREFIX.as_bytes())
            && entry.file_type()?.is_file()
        {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_refuses_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.dtsx");
        assert!(!write_atomically(&target, b"one", false).unwrap());
        let err = write_atomically(&target, b"two", false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&target).unwrap(), b"one");
        assert!(write_atomically(&target, b"three", true).unwrap());
        assert_eq!(fs::read(&target).unwrap(), b"three");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
    }

    #[test]
    fn modes_are_exact_and_replaced_files_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("state.json");
        let with = |mode, keep_owner| WriteOptions {
            replace: true,
            mode: Some(mode),
            keep_owner,
        };
        write_atomically_with(&target, b"1", with(0o644, false)).unwrap();
        let mode = || fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(), 0o644);
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(write_atomically_with(&target, b"2", with(0o600, true)).unwrap());
        assert_eq!(mode(), 0o640);
        assert_eq!(fs::read(&target).unwrap(), b"2");
    }

    #[test]
    fn stale_temporaries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(format!("{TEMP_PREFIX}1-1")), b"x").unwrap();
        fs::write(dir.path().join("keep.dtsx"), b"x").unwrap();
        assert_eq!(remove_stale_temporaries(dir.path()).unwrap(), 1);
        assert!(dir.path().join("keep.dtsx").exists());
    }

    #[test]
    fn rename_no_replace_refuses_existing_directories() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        fs::create_dir(dir.path().join("b")).unwrap();
        let err = rename_no_replace(&dir.path().join("a"), &dir.path().join("b")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        rename_no_replace(&dir.path().join("a"), &dir.path().join("c")).unwrap();
        assert!(dir.path().join("c").is_dir());
    }
}
