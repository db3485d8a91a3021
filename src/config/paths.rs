//! Default locations (data, runtime) for a system service and for an ordinary user, and the
//! resolution of paths written in configuration files — relative to the file's directory, with
//! Windows `..\Packages` spellings from `MsDtsSrvr.ini.xml` turned into Linux paths. Pure
//! functions of their inputs and the environment; nothing is created here.

use std::path::{Component, Path, PathBuf};

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn env_dir(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// `/var/lib/ssisd` for a system service (root); `$XDG_DATA_HOME/ssisd` or
/// `~/.local/share/ssisd` for a user.
pub fn default_data_dir() -> PathBuf {
    if is_root() {
        return PathBuf::from("/var/lib/ssisd");
    }
    env_dir("XDG_DATA_HOME")
        .or_else(|| env_dir("HOME").map(|h| h.join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("/tmp"))
        .join("ssisd")
}

/// `/run/ssisd` for a system service (machine-wide); `$XDG_RUNTIME_DIR/ssisd` or
/// `/tmp/ssisd-<uid>` for a user.
pub fn default_runtime_dir() -> PathBuf {
    if is_root() {
        return PathBuf::from("/run/ssisd");
    }
    env_dir("XDG_RUNTIME_DIR")
        .map(|d| d.join("ssisd"))
        .unwrap_or_else(|| PathBuf::from(format!("/tmp/ssisd-{}", nix::unistd::getuid())))
}

/// A path written in a configuration file that cannot be a Linux path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the path is empty")]
    Empty,
    #[error("\"{0}\" is a Windows drive path; write a Linux path (absolute, or relative to the configuration file's directory)")]
    WindowsDrive(String),
    #[error("\"{0}\" is a Windows network (UNC) path; mount the share and write its Linux path")]
    Unc(String),
}

/// Turns a path written in a configuration file into an absolute Linux path: backslashes become
/// slashes, a relative path is taken from `base` (the file's directory), `.`/`..` are resolved
/// lexically. Windows drive and UNC paths cannot be mapped and are refused.
pub fn resolve(written: &str, base: &Path) -> Result<PathBuf, PathError> {
    let trimmed = written.trim();
    if trimmed.is_empty() {
        return Err(PathError::Empty);
    }
    let bytes = trimmed.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err(PathError::WindowsDrive(trimmed.to_string()));
    }
    if trimmed.starts_with("\\\\") {
        return Err(PathError::Unc(trimmed.to_string()));
    }
    let unix = trimmed.replace('\\', "/");
    let path = Path::new(&unix);
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    Ok(normalize(&joined))
}

/// Removes `.` and resolves `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_relative_paths_resolve_against_the_file_directory() {
        let base = Path::new("/opt/ssis/DTS/Binn");
        assert_eq!(
            resolve("..\\Packages", base).unwrap(),
            Path::new("/opt/ssis/DTS/Packages")
        );
        assert_eq!(
            resolve("Packages", base).unwrap(),
            Path::new("/opt/ssis/DTS/Binn/Packages")
        );
        assert_eq!(resolve("/srv/pk", base).unwrap(), Path::new("/srv/pk"));
        assert_eq!(
            resolve("./a/../b", base).unwrap(),
            Path::new("/opt/ssis/DTS/Binn/b")
        );
    }

    #[test]
    fn windows_drive_and_unc_paths_are_refused() {
        let base = Path::new("/etc");
        assert!(resolve("C:\\Program Files\\x", base)
            .unwrap_err()
            .to_string()
            .contains("drive"));
        assert!(resolve("\\\\server\\share", base)
            .unwrap_err()
            .to_string()
            .contains("UNC"));
        assert!(resolve("  ", base).is_err());
    }
}
