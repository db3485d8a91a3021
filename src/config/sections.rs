//! The configuration file's shape as written: `[service]`, `[supervision]`, `[access]`,
//! `[metrics]`,
//! `[[folder]]`, `[[executor]]` (kept as values for the executor kinds' settings to read) and
//! the actor types' own sections (kept as values for their settings to read).
//! Defaults live here; checks do not (`check.rs`).

use serde::{Deserialize, Serialize};

use super::folders::FolderSection;
use super::{access, LogTarget, DEFAULT_PORT};

/// `[service]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceSection {
    pub listen: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_dir: Option<String>,
    pub stop_executing_packages_on_shutdown: bool,
    /// Plain loopback TCP without credentials, acting as administrator (default false).
    pub unauthenticated_loopback: bool,
    /// The Unix socket local clients use (default `<runtime_dir>/ssisd.sock`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket: Option<String>,
    /// The account to drop to when started as root (the counterpart of NETWORK SERVICE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Supplementary groups added to the account's own when dropping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The account packages started by the service run as, kept apart from the service's data
    /// (needs the start as root with `user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_user: Option<String>,
    /// Lets runners run as root when the service itself runs as root (default false: refused).
    pub allow_root_runners: bool,
    pub max_request_bytes: u64,
    pub log: LogTarget,
    pub log_level: String,
    /// The program that runs packages (default: `dtexec` beside `ssisd`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    /// Seconds between SIGTERM and SIGKILL when a running package is stopped.
    pub stop_grace_seconds: f64,
    /// Most packages running at once; more are refused (HTTP 429).
    pub max_concurrent_packages: usize,
    /// Names clients may use for this machine in `Host` and `Origin` besides `localhost`,
    /// IP addresses and the machine's host name (DNS names of the service behind a load
    /// balancer or in a certificate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_names: Vec<String>,
}

impl Default for ServiceSection {
    fn default() -> Self {
        ServiceSection {
            listen: format!("127.0.0.1:{DEFAULT_PORT}"),
            data_dir: None,
            runtime_dir: None,
            stop_executing_packages_on_shutdown: true,
            unauthenticated_loopback: false,
            socket: None,
            user: None,
            groups: Vec::new(),
            runner_user: None,
            allow_root_runners: false,
            max_request_bytes: 64 * 1024 * 1024,
            log: LogTarget::Stderr,
            log_level: "info".into(),
            runner: None,
            stop_grace_seconds: 10.0,
            max_concurrent_packages: 1000,
            host_names: Vec::new(),
        }
    }
}

/// `[supervision]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupervisionSection {
    pub max_restarts: u32,
    pub period_seconds: f64,
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
    pub health_check_seconds: f64,
}

impl Default for SupervisionSection {
    fn default() -> Self {
        SupervisionSection {
            max_restarts: 3,
            period_seconds: 30.0,
            backoff_initial_ms: 100,
            backoff_max_ms: 5_000,
            health_check_seconds: 5.0,
        }
    }
}

/// The file's content as written (before defaults of paths are applied).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RawConfig {
    pub service: ServiceSection,
    pub supervision: SupervisionSection,
    pub access: access::AccessSection,
    pub metrics: super::metrics::MetricsSection,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<Vec<FolderSection>>,
    /// `[[executor]]`: where runs run (name, kind, capacity and the kind's own settings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executor: Option<Vec<serde_json::Value>>,
    /// The actor types' own sections (`[event_log]`, …), checked by their settings; any other
    /// key is refused as an unknown section.
    #[serde(flatten)]
    pub sections: std::collections::BTreeMap<String, serde_json::Value>,
}
