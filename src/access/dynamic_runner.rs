//! The dynamic runner account: when ssisd runs as root with no account named for packages (no
//! `service.user`, no `service.runner_user`, `service.allow_root_runners` false — the embedded
//! default started as root, as in a container), packages run as an unused uid and gid taken from
//! the range systemd reserves for dynamic service users (61184–65519), as `DynamicUser=` does:
//! no passwd or group entry is created, nothing on the system is changed. The id is chosen once
//! per data directory and kept in `<data_dir>/dynamic-runner-id`, so that a restart (and files
//! a package left behind) keep the same owner. This decides only which id; taking it is the
//! runner's (`ssisd_actors::package`), and when to use one is the service's.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::local_user::{self, UserError};

/// The first id of the range reserved for dynamic service users (systemd's `DynamicUser=`).
pub const FIRST: u32 = 61184;
/// The last id of that range.
pub const LAST: u32 = 65519;
/// The file in the data directory that remembers the id chosen.
pub const ID_FILE: &str = "dynamic-runner-id";
/// Where systemd keeps a lock file per dynamic id it has handed out.
const SYSTEMD_LOCKS: &str = "/run/systemd/dynamic-uid";

/// The account runners take: the same number as uid and gid, with no name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynamicRunner {
    pub id: u32,
    /// Whether the id was chosen now rather than read back from the data directory.
    pub new: bool,
}

/// Why no id could be had.
#[derive(Debug, thiserror::Error)]
pub enum DynamicRunnerError {
    #[error("every id from {FIRST} to {LAST} is in use (by an account, a group, a process or systemd); name an account for packages instead: start ssisd with service.user = \"ssisd\" and service.runner_user = \"ssisd-run\" (create them with useradd --system)")]
    Exhausted,
    #[error("cannot tell whether id {id} is free: {source}")]
    Lookup {
        id: u32,
        #[source]
        source: UserError,
    },
    #[error("cannot record the runner id in {path}: {source}; the data directory must be writable by ssisd")]
    Record {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The id runners of the service keeping `data_dir` use: the recorded one while no account or
/// group has taken it since, otherwise a free one, recorded for the next start.
pub fn allocate(data_dir: &Path) -> Result<DynamicRunner, DynamicRunnerError> {
    let file = data_dir.join(ID_FILE);
    if let Some(id) = recorded(&file) {
        // A process running as it may be one of our own runs, still alive: only the user and
        // group databases can take a recorded id away.
        if !named(id)? {
            return Ok(DynamicRunner { id, new: false });
        }
    }
    let span = LAST - FIRST + 1;
    let start = fnv1a(data_dir.as_os_str().as_encoded_bytes()) % span;
    for step in 0..span {
        let id = FIRST + (start + step) % span;
        if !named(id)? && !held_by_systemd(id) && !running_as(id) {
            record(&file, id)?;
            return Ok(DynamicRunner { id, new: true });
        }
    }
    Err(DynamicRunnerError::Exhausted)
}

/// The id written in `file`, when it holds one of the range.
fn recorded(file: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(file).ok()?;
    let id: u32 = text.trim().parse().ok()?;
    (FIRST..=LAST).contains(&id).then_some(id)
}

/// Whether an account or a group has `id`.
fn named(id: u32) -> Result<bool, DynamicRunnerError> {
    let lookup = |source| DynamicRunnerError::Lookup { id, source };
    Ok(local_user::uid_has_account(id).map_err(lookup)?
        || local_user::gid_has_group(id).map_err(lookup)?)
}

/// Whether systemd has handed `id` to a service of its own.
fn held_by_systemd(id: u32) -> bool {
    Path::new(SYSTEMD_LOCKS).join(id.to_string()).exists()
}

/// Whether a process runs with `id` as its effective uid (the owner of its /proc directory).
fn running_as(id: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|e| {
        e.file_name()
            .as_encoded_bytes()
            .iter()
            .all(u8::is_ascii_digit)
            && e.metadata().is_ok_and(|m| m.uid() == id)
    })
}

/// Writes `id` to `file` atomically (a temporary file moved into place).
fn record(file: &Path, id: u32) -> Result<(), DynamicRunnerError> {
    let fail = |source| DynamicRunnerError::Record {
        path: file.to_path_buf(),
        source,
    };
    ssisd_stores::atomic_file::write_atomically(file, format!("{id}\n").as_bytes(), true)
        .map(drop)
        .map_err(fail)
}

/// FNV-1a: a stable start for the search, so that a data directory finds the same id again.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_chosen_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = allocate(dir.path()).unwrap();
        assert!(first.new);
        assert!((FIRST..=LAST).contains(&first.id), "{first:?}");
        assert!(!named(first.id).unwrap());
        let again = allocate(dir.path()).unwrap();
        assert_eq!(
            again,
            DynamicRunner {
                id: first.id,
                new: false
            }
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(ID_FILE)).unwrap(),
            format!("{}\n", first.id)
        );
    }

    #[test]
    fn a_recorded_id_outside_the_range_or_taken_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(ID_FILE);
        for bad in ["0", "65534", "banana", "1000"] {
            std::fs::write(&file, bad).unwrap();
            let r = allocate(dir.path()).unwrap();
            assert!(r.new && (FIRST..=LAST).contains(&r.id), "{bad}: {r:?}");
        }
        // An id some account has (root's group 0 is outside the range, so take an account of
        // the range if this machine has one; otherwise the rule is shown by `named`).
        assert!(named(0).unwrap(), "root is named");
    }

    #[test]
    fn the_search_starts_where_the_directory_says() {
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_ne!(fnv1a(b"/var/lib/ssisd"), fnv1a(b"/srv/ssisd"));
    }
}
