//! Packages dtexec fetched from a store and runs from a private local copy: the directory that
//! holds those copies (`$TMPDIR/ssisd-dtexec-XXXXXX` from mkdtemp, mode 0700, removed when dtexec ends), and
//! the [`MsdbResolver`] that the engine calls for Execute Package children stored in SQL
//! Server — it reads the login from the task's OLE DB connection string and fetches the
//! package with `package_source`. It must not interpret packages.

use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use ssisd::package_source::{fetch_sql_blocking, login_from_connection_string, strip_dtsx};
use ssisd_runtime::{PackageResolver, ResolveError, StoredPackageRequest};

static PRIVATE: std::sync::OnceLock<std::io::Result<PathBuf>> = std::sync::OnceLock::new();

/// This dtexec's directory of package copies: made once with `mkdtemp` (a fresh,
/// unpredictable name, mode 0700, so no other process or user can stand in for it).
pub fn private_dir() -> std::io::Result<PathBuf> {
    PRIVATE
        .get_or_init(|| {
            let template = std::env::temp_dir().join("ssisd-dtexec-XXXXXX");
            nix::unistd::mkdtemp(&template).map_err(std::io::Error::from)
        })
        .as_ref()
        .map(|dir| dir.to_path_buf())
        .map_err(|e| std::io::Error::new(e.kind(), e.to_string()))
}

/// Removes the private directory when dropped (at the end of `dtexec::run`).
pub struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(Ok(dir)) = PRIVATE.get() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

static COPIES: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` as `<name>.dtsx` in a fresh subdirectory of the private directory (so
/// children fetched at the same time never share a file) and returns its path.
pub fn keep_copy(name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let root = private_dir()?;
    let n = COPIES.fetch_add(1, Ordering::Relaxed);
    let dir = root.join(n.to_string());
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    let file = dir.join(format!("{}.dtsx", file_name(name)));
    std::fs::write(&file, bytes)?;
    Ok(file)
}

/// The last segment of a store path, without `.dtsx`, safe as a file name.
pub fn file_name(path: &str) -> String {
    let last = path.rsplit(['\\', '/']).find(|s| !s.is_empty());
    let name = strip_dtsx(last.unwrap_or("package"));
    if name.is_empty() || name == "." || name == ".." {
        "package".to_string()
    } else {
        name.to_string()
    }
}

/// Fetches Execute Package children stored in msdb, with the login of the task's OLE DB
/// connection manager.
pub struct MsdbResolver;

impl MsdbResolver {
    fn fetch(request: &StoredPackageRequest) -> Result<Vec<u8>, String> {
        let found =
            login_from_connection_string(&request.connection_string).map_err(|e| e.to_string())?;
        // SIGTERM (or a parent's cancellation) ends a fetch from a stalled server at once.
        fetch_sql_blocking(
            &found.login,
            found.trust_server_certificate,
            &request.package_path,
            || request.cancel.is_cancelled(),
        )
        .map_err(|e| e.message)
    }
}

impl PackageResolver for MsdbResolver {
    fn fetch_msdb(&self, request: &StoredPackageRequest) -> Result<PathBuf, ResolveError> {
        let bytes = Self::fetch(request).map_err(|e| ResolveError::Store(e.into()))?;
        keep_copy(&request.package_path, &bytes).map_err(|source| ResolveError::Keep {
            dir: std::env::temp_dir().display().to_string(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_private_and_never_collide() {
        let _cleanup = Cleanup;
        let a = keep_copy("\\Sales\\Load.dtsx", b"one").expect("copy");
        let b = keep_copy("\\Sales\\Load", b"two").expect("copy");
        assert_ne!(a, b);
        assert!(a.ends_with("Load.dtsx") && b.ends_with("Load.dtsx"));
        let dir = private_dir().expect("private directory");
        assert!(a.starts_with(&dir));
        assert_eq!(std::fs::read(&b).expect("read"), b"two");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&dir).expect("dir").permissions(),
        );
        assert_eq!(mode & 0o777, 0o700);
        assert_eq!(file_name("\\.."), "package");
    }

    #[test]
    fn a_fetch_from_a_stalled_server_ends_when_the_run_is_cancelled() {
        // A "server" that accepts and never answers.
        let stalled = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = stalled.local_addr().expect("addr").port();
        let _held = std::thread::spawn(move || {
            let kept: Vec<_> = stalled.incoming().take(4).collect();
            std::thread::sleep(std::time::Duration::from_secs(30));
            drop(kept);
        });
        let cancel = ssisd_runtime::CancelToken::new();
        let tripper = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            tripper.cancel();
        });
        let e = MsdbResolver
            .fetch_msdb(&StoredPackageRequest {
                connection: "Msdb".into(),
                connection_string: format!(
                    "Data Source=127.0.0.1,{port};User ID=etl;Password=p;Provider=SQLNCLI11.1;"
                ),
                package_path: "\\Sales\\Load".into(),
                cancel,
            })
            .unwrap_err();
        // Ended by the cancellation, not by a timeout or an answer.
        assert!(e.to_string().contains("cancelled"), "{e}");
    }

    #[test]
    fn a_connection_without_password_is_refused_before_any_network() {
        let e = MsdbResolver
            .fetch_msdb(&StoredPackageRequest {
                connection: "Msdb".into(),
                connection_string: "Data Source=db1;User ID=etl;Provider=SQLNCLI11.1;".into(),
                package_path: "\\Sales\\Load".into(),
                cancel: ssisd_runtime::CancelToken::new(),
            })
            .unwrap_err();
        assert!(e.to_string().contains("no Password"), "{e}");
    }
}
