//! One service per machine (per runtime directory): an exclusive `flock` on
//! `<runtime_dir>/ssisd.lock` holding the owner's pid. The kernel releases the lock however the
//! owner ends (kill -9 included), so a stale file never blocks a new start. Beside it,
//! `ssisd.json` tells clients where the running service listens. Nothing else lives here.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("ssisd is already running (pid {pid}; lock {path}); stop it first (kill -TERM {pid} or systemctl stop ssisd), or give this one another service.runtime_dir")]
    AlreadyRunning { pid: String, path: PathBuf },
    #[error("cannot use runtime directory {path}: {source}; create it or set service.runtime_dir (SSISD_SERVICE__RUNTIME_DIR)")]
    RuntimeDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Held for the life of the service.
pub struct InstanceLock {
    /// Held for the lock, which ends with the descriptor.
    _file: Flock<File>,
    dir: PathBuf,
}

impl InstanceLock {
    pub fn acquire(runtime_dir: &Path) -> Result<InstanceLock, LockError> {
        let dir_error = |source| LockError::RuntimeDir {
            path: runtime_dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(runtime_dir).map_err(dir_error)?;
        let refuse = |why: String| {
            dir_error(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                why,
            ))
        };
        let meta = fs::symlink_metadata(runtime_dir).map_err(dir_error)?;
        let me = nix::unistd::geteuid().as_raw();
        if !meta.is_dir() {
            return Err(refuse(
                "it is not a directory (a symbolic link is not accepted)".into(),
            ));
        }
        if me != 0 && meta.uid() != me {
            return Err(refuse(format!(
                "it belongs to uid {}, not to you (uid {me}); in a shared place such as /tmp another user could stand in for the service — set service.runtime_dir or XDG_RUNTIME_DIR",
                meta.uid()
            )));
        }
        if meta.uid() == me && meta.mode() & 0o755 != 0o755 {
            // Local clients of every account must reach the socket inside it.
            fs::set_permissions(runtime_dir, fs::Permissions::from_mode(0o755))
                .map_err(dir_error)?;
        }
        let path = runtime_dir.join("ssisd.lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            // Never through a link: the directory may belong to the service account, and this
            // may run as root.
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(dir_error)?;
        let meta = file.metadata().map_err(dir_error)?;
        if !meta.is_file() || meta.nlink() != 1 {
            return Err(refuse(format!(
                "{} is not a plain file of its own (a hard link or special file); remove it",
                path.display()
            )));
        }
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((mut file, Errno::EWOULDBLOCK)) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim().to_string();
                return Err(LockError::AlreadyRunning {
                    pid: if pid.is_empty() {
                        "unknown".into()
                    } else {
                        pid
                    },
                    path,
                });
            }
            Err((_, e)) => return Err(dir_error(e.into())),
        };
        file.set_len(0).map_err(dir_error)?;
        file.seek(SeekFrom::Start(0)).map_err(dir_error)?;
        writeln!(file, "{}", std::process::id()).map_err(dir_error)?;
        file.sync_all().map_err(dir_error)?;
        Ok(InstanceLock {
            _file: file,
            dir: runtime_dir.to_path_buf(),
        })
    }

    /// Publishes where the service listens (`ssisd.json`), atomically.
    pub fn publish_endpoint(&self, json: &serde_json::Value) -> std::io::Result<()> {
        use ssisd_stores::atomic_file::{write_atomically_with, WriteOptions};
        let options = WriteOptions {
            replace: true,
            mode: Some(0o644),
            keep_owner: false,
        };
        write_atomically_with(
            &self.dir.join("ssisd.json"),
            &serde_json::to_vec_pretty(json)?,
            options,
        )
        .map(drop)
    }
}

impl Drop for InstanceLock {
    fn drop(&mut self) {
        // The lock goes with the descriptor, after this.
        let _ = fs::remove_file(self.dir.join("ssisd.json"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_first_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = InstanceLock::acquire(dir.path()).unwrap();
        match InstanceLock::acquire(dir.path()) {
            Err(LockError::AlreadyRunning { pid, .. }) => {
                assert_eq!(pid, std::process::id().to_string())
            }
            other => panic!("expected AlreadyRunning, got {:?}", other.err()),
        }
        drop(first);
        InstanceLock::acquire(dir.path()).unwrap();
    }
}
