//! The service's configuration: our TOML file or a classic `MsDtsSrvr.ini.xml`, layered under
//! `SSISD_*` environment overrides with the `config` crate, checked, and turned into the
//! [`ServicePlan`](ssisd_actors::ServicePlan) the supervisor runs. With no file named, the
//! embedded default applies: the real service's default folders (`MSDB` on the local default
//! instance `.` and a `File System` folder under the data directory). A password never appears
//! here: msdb folders name a file or an environment variable that holds it. One job per file:
//! the file's shape (`sections.rs`), reading and layering (`load.rs`), checking values
//! (`check.rs`), top-level folders (`folders.rs`), what the service runs (`plan.rs`, with the
//! actor table in `actor_table.rs`), the effective configuration printed by `--check-config`
//! (`effective.rs`), access (`access.rs`), who reads the metrics (`metrics.rs`), the classic XML file (`msdtssrvr.rs`), paths and
//! text encodings. This module holds the checked configuration's type; it must not start
//! anything.

pub mod access;
pub mod actor_table;
mod check;
mod effective;
pub mod error;
mod folders;
mod load;
pub mod metrics;
pub mod msdtssrvr;
pub mod paths;
mod plan;
pub mod sections;
pub mod text;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ssisd_stores::FolderSpec;

pub use access::AccessConfig;
pub use check::default_runner;
pub use error::ConfigError;
pub use folders::{default_folders, FolderSection};
pub use load::{load, load_with_env};
pub use metrics::MetricsConfig;
pub use sections::{RawConfig, ServiceSection, SupervisionSection};

/// The port the management API listens on by default (loopback only).
pub const DEFAULT_PORT: u16 = 10135;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogTarget {
    Stderr,
    Journald,
}

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    Embedded,
    Toml(PathBuf),
    MsDtsSrvr(PathBuf),
}

impl std::fmt::Display for ConfigOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigOrigin::Embedded => f.write_str("embedded default (no configuration file)"),
            ConfigOrigin::Toml(p) => write!(f, "{} (TOML)", p.display()),
            ConfigOrigin::MsDtsSrvr(p) => write!(f, "{} (MsDtsSrvr.ini.xml)", p.display()),
        }
    }
}

/// The effective, checked configuration.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub origin: ConfigOrigin,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub runtime_dir: PathBuf,
    pub stop_executing_packages_on_shutdown: bool,
    pub unauthenticated_loopback: bool,
    pub socket: PathBuf,
    pub user: Option<String>,
    pub groups: Vec<String>,
    /// `service.runner_user`.
    pub runner_user: Option<String>,
    /// The runner account's `(uid, gid)` once the service has kept them as its saved ids;
    /// set by `service::run` at start (never read from a file), carried over on reload.
    pub run_as: Option<(u32, u32)>,
    pub allow_root_runners: bool,
    pub access: AccessConfig,
    /// `[metrics]`: who may read `GET /metrics`.
    pub metrics: MetricsConfig,
    pub max_request_bytes: u64,
    pub log: LogTarget,
    pub log_level: String,
    /// The runner program (`service.runner`), resolved.
    pub runner: PathBuf,
    pub stop_grace: Duration,
    pub max_concurrent_packages: usize,
    /// `service.host_names`, lower case.
    pub host_names: Vec<String>,
    /// Each actor type's checked section, by name (see [`actor_table`]).
    pub sections: std::collections::BTreeMap<String, serde_json::Value>,
    pub supervision: SupervisionSection,
    pub folders: Vec<FolderSpec>,
    /// `[[executor]]`, checked (the built-in `local` one first when not named).
    pub executors: Vec<ssisd_actors::executor::ExecutorConfig>,
    /// Each folder's default executor (`[[folder]] executor`), by folder name.
    pub folder_executors: std::collections::BTreeMap<String, String>,
    /// What the reader tolerated (shown by `--check-config`).
    pub warnings: Vec<String>,
}

/// Where hand-started runners register while the service runs.
pub fn registration_dir(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join(ssisd_engine::run_protocol::REGISTRATION_DIR)
}

#[cfg(test)]
mod tests;
