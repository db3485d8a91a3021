//! A run's directory as every executor prepares it before the runner starts: created with the
//! modes the runner account needs (traversable only, when runners run as another account), the
//! package (`package.dtsx`) or project (`project.ispac`) written, and the event stream and
//! output files created empty (the runner appends; it could not create them). It owns the
//! files and their modes only, not how the runner is started.

use std::io::Write;
use std::path::{Path, PathBuf};

use ssisd_engine::run_protocol::EVENTS_FILE;

use crate::package::RunSpec;

/// Modes of a run's directory and files: with a runner account, the directory is traversable
/// only, the package readable and the output files appendable by it (the service owns them all
/// and is the only reader); without one, the service's alone.
pub struct RunModes {
    pub dir: u32,
    pub package: u32,
    pub output: u32,
}

impl RunModes {
    pub fn new(separate_runner: bool) -> RunModes {
        if separate_runner {
            RunModes {
                dir: 0o711,
                package: 0o644,
                output: 0o622,
            }
        } else {
            RunModes {
                dir: 0o700,
                package: 0o600,
                output: 0o600,
            }
        }
    }
}

/// Why a run's directory or one of its files cannot be made; each names the path.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    #[error("cannot create {}: {source}", .path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set the mode of {}: {source}", .path.display())]
    Mode {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The directory of all runs cannot be made or given its mode.
    #[error("cannot prepare {}: {source}", .dir.display())]
    Prepare {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The directory of all runs is something else.
    #[error("{} is not a directory; remove it so that runs can be kept there", .0.display())]
    NotADirectory(PathBuf),
}

/// A prepared run directory.
pub struct Prepared {
    pub dir: PathBuf,
    /// `package.dtsx` or `project.ispac`.
    pub file: PathBuf,
    pub events: PathBuf,
}

/// Creates `<runs>/<id>/` with the package and empty stream and output files.
pub fn prepare(runs: &Path, spec: &RunSpec, modes: &RunModes) -> Result<Prepared, RunDirError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    prepare_runs_dir(runs, modes.dir)?;
    let dir = runs.join(&spec.id);
    std::fs::DirBuilder::new()
        .mode(modes.dir)
        .create(&dir)
        .and_then(|()| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(modes.dir)))
        .map_err(|source| RunDirError::Create {
            path: dir.clone(),
            source,
        })?;
    let (file, bytes) = match &spec.project {
        Some(p) => (dir.join("project.ispac"), &p.ispac),
        None => (dir.join("package.dtsx"), &spec.bytes),
    };
    create_file(&file, modes.package)?
        .write_all(bytes)
        .map_err(|source| RunDirError::Write {
            path: file.clone(),
            source,
        })?;
    let events = dir.join(EVENTS_FILE);
    create_file(&events, modes.output)?;
    Ok(Prepared { dir, file, events })
}

/// Creates a file that must not exist yet, with exactly `mode` (the umask is undone).
pub fn create_file(path: &Path, mode: u32) -> Result<std::fs::File, RunDirError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|source| RunDirError::Create {
            path: path.to_path_buf(),
            source,
        })?;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(|source| RunDirError::Mode {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(file)
}

/// Makes sure the directory of all runs exists with `mode` (it may predate a runner account).
fn prepare_runs_dir(dir: &Path, mode: u32) -> Result<(), RunDirError> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let fail = |source: std::io::Error| RunDirError::Prepare {
        dir: dir.to_path_buf(),
        source,
    };
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {
            if m.mode() & 0o7777 != mode {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
                    .map_err(fail)?;
            }
            Ok(())
        }
        Ok(_) => Err(RunDirError::NotADirectory(dir.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(mode)
                .create(dir)
                .map_err(fail)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).map_err(fail)
        }
        Err(e) => Err(fail(e)),
    }
}
