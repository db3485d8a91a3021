//! The per-user cache of the Script Task: the built script host (one directory per hash of its
//! sources) and the script assemblies (one file per hash of what they were built from), under
//! `SSISD_SCRIPT_CACHE`, else `$XDG_CACHE_HOME/ssisd`, else `~/.cache/ssisd`, else
//! `/var/tmp/ssisd-cache-<uid>`. The root is private to its owner (0700, owned by us):
//! assemblies found there are run, so nobody else may put one there. Everything is published
//! by rename, so a reader never sees half a file and two runs building the same thing at once
//! both end with one good copy. It owns the places and the publishing; what is built is the
//! caller's.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Why the script cache cannot be used or written.
#[derive(Debug, thiserror::Error)]
pub enum ScriptCacheError {
    #[error("the script cache {} cannot be created: {source}", .dir.display())]
    Create {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the script cache {} cannot be read: {source}", .dir.display())]
    Read {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The root is not a directory of ours closed to others: nothing in it may be run.
    #[error(
        "the script cache {} must be a directory owned by this account (uid {uid}) that \
         others cannot write to; remove it or set SSISD_SCRIPT_CACHE to another directory",
        .dir.display()
    )]
    NotPrivate { dir: PathBuf, uid: u32 },
    #[error("no work directory in the script cache {}: {source}", .root.display())]
    WorkDir {
        root: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing or renaming a file or directory of the cache, named.
    #[error("{}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The cache root, created private when missing.
pub fn root() -> Result<PathBuf, ScriptCacheError> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let uid = nix::unistd::geteuid().as_raw();
    let dir = env("SSISD_SCRIPT_CACHE")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("ssisd")))
        .or_else(|| env("HOME").map(|h| h.join(".cache").join("ssisd")))
        .filter(|d| d.is_absolute())
        .unwrap_or_else(|| PathBuf::from(format!("/var/tmp/ssisd-cache-{uid}")));
    private_dir(&dir, uid)?;
    Ok(dir)
}

/// Creates `dir` (0700) when missing, and checks that it is ours and closed to others.
fn private_dir(dir: &Path, uid: u32) -> Result<(), ScriptCacheError> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| ScriptCacheError::Create {
                dir: dir.to_path_buf(),
                source,
            })?;
    }
    let m = fs::symlink_metadata(dir).map_err(|source| ScriptCacheError::Read {
        dir: dir.to_path_buf(),
        source,
    })?;
    if !m.is_dir() || m.uid() != uid || m.mode() & 0o022 != 0 {
        return Err(ScriptCacheError::NotPrivate {
            dir: dir.to_path_buf(),
            uid,
        });
    }
    Ok(())
}

/// A hex digest of `parts` (each length-prefixed, so boundaries count).
pub fn digest(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh private work directory inside `root` (removed when dropped).
pub fn work_dir(root: &Path) -> Result<tempfile::TempDir, ScriptCacheError> {
    tempfile::Builder::new()
        .prefix(".build-")
        .tempdir_in(root)
        .map_err(|source| ScriptCacheError::WorkDir {
            root: root.to_path_buf(),
            source,
        })
}

/// A [`ScriptCacheError::Write`] naming `path`.
fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> ScriptCacheError + '_ {
    move |source| ScriptCacheError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` as `path`, atomically (a temporary file in the same directory, renamed).
pub fn publish_file(path: &Path, bytes: &[u8]) -> Result<(), ScriptCacheError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(write_error(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".part-")
        .tempfile_in(dir)
        .map_err(write_error(dir))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(write_error(path))?;
    let _ = tmp
        .as_file()
        .set_permissions(fs::Permissions::from_mode(0o600));
    tmp.persist(path).map_err(|e| write_error(path)(e.error))?;
    Ok(())
}

/// Moves the finished directory `built` to `target`; when another run published it first,
/// theirs stays and ours goes.
pub fn publish_dir(built: tempfile::TempDir, target: &Path) -> Result<(), ScriptCacheError> {
    let from = built.keep();
    match fs::rename(&from, target) {
        Ok(()) => Ok(()),
        Err(_) if target.is_dir() => {
            let _ = fs::remove_dir_all(&from);
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&from);
            Err(write_error(target)(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_depend_on_boundaries() {
        assert_ne!(digest(&[b"ab", b"c"]), digest(&[b"a", b"bc"]));
        assert_eq!(digest(&[b"x"]).len(), 32);
    }

    #[test]
    fn a_cache_others_can_write_is_refused() {
        let d = tempfile::tempdir().expect("temp");
        let uid = nix::unistd::geteuid().as_raw();
        let open = d.path().join("open");
        fs::create_dir(&open).expect("mkdir");
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).expect("chmod");
        let e = private_dir(&open, uid).unwrap_err().to_string();
        assert!(e.contains("others cannot write"), "{e}");
        let fresh = d.path().join("a/b");
        private_dir(&fresh, uid).expect("created");
        assert_eq!(fs::metadata(&fresh).expect("meta").mode() & 0o777, 0o700);
    }

    #[test]
    fn files_and_directories_are_published_whole() {
        let d = tempfile::tempdir().expect("temp");
        let f = d.path().join("x/y.dll");
        publish_file(&f, b"MZ").expect("published");
        assert_eq!(fs::read(&f).expect("read"), b"MZ");
        let target = d.path().join("host");
        let a = work_dir(d.path()).expect("work");
        fs::write(a.path().join("one"), b"1").expect("write");
        publish_dir(a, &target).expect("first");
        let b = work_dir(d.path()).expect("work");
        fs::write(b.path().join("two"), b"2").expect("write");
        publish_dir(b, &target).expect("second keeps the first");
        assert!(target.join("one").is_file());
        assert!(!target.join("two").exists());
    }
}
