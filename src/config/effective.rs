//! The effective configuration as the checked configuration writes itself: the file's shape
//! with every default and path resolved (what `ssisd --check-config` prints, and what loads
//! back to the same configuration). It must not check anything.

use serde::{Serialize, Serializer};

use super::folders::folder_section;
use super::sections::{RawConfig, ServiceSection};
use super::ServiceConfig;

impl ServiceConfig {
    /// The configuration as a file would say it.
    pub fn effective(&self) -> RawConfig {
        RawConfig {
            service: ServiceSection {
                listen: self.listen.to_string(),
                data_dir: Some(self.data_dir.display().to_string()),
                runtime_dir: Some(self.runtime_dir.display().to_string()),
                stop_executing_packages_on_shutdown: self.stop_executing_packages_on_shutdown,
                unauthenticated_loopback: self.unauthenticated_loopback,
                socket: Some(self.socket.display().to_string()),
                user: self.user.clone(),
                groups: self.groups.clone(),
                runner_user: self.runner_user.clone(),
                allow_root_runners: self.allow_root_runners,
                max_request_bytes: self.max_request_bytes,
                log: self.log,
                log_level: self.log_level.clone(),
                runner: Some(self.runner.display().to_string()),
                stop_grace_seconds: self.stop_grace.as_secs_f64(),
                max_concurrent_packages: self.max_concurrent_packages,
                host_names: self.host_names.clone(),
            },
            supervision: self.supervision.clone(),
            access: self.access.to_section(),
            metrics: self.metrics.to_section(),
            folder: Some(
                self.folders
                    .iter()
                    .map(|f| {
                        let mut section = folder_section(f);
                        section.executor = self.folder_executors.get(&f.name).cloned();
                        section
                    })
                    .collect(),
            ),
            executor: Some(
                self.executors
                    .iter()
                    .filter_map(|e| serde_json::to_value(e).ok())
                    .collect(),
            ),
            sections: self.sections.clone(),
        }
    }

    /// The effective configuration as TOML, every path resolved.
    pub fn to_toml(&self) -> String {
        let mut out = format!("# effective configuration, from {}\n", self.origin);
        for w in &self.warnings {
            out.push_str(&format!("# warning: {w}\n"));
        }
        out.push_str(
            &toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot print: {e}\n")),
        );
        out
    }
}

impl Serialize for ServiceConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.effective().serialize(s)
    }
}
