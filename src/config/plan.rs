//! What the checked configuration makes the service run (the supervisor's plan: folders,
//! supervision, runs, the actor table and each actor type's section), and which settings a
//! reload cannot change.

use std::time::Duration;

use ssisd_actors::package::RunSettings;
use ssisd_actors::supervision::{Backoff, Intensity};
use ssisd_actors::{ServicePlan, SupervisionSettings};
use ssisd_stores::msdb::settings::PasswordSource;
use ssisd_stores::{FolderLocation, SqlServerFolder};

use super::{actor_table, registration_dir, ServiceConfig};

impl ServiceConfig {
    /// What the supervisor runs.
    pub fn plan(&self) -> ServicePlan {
        let s = &self.supervision;
        ServicePlan {
            data_dir: self.data_dir.clone(),
            actor_types: actor_table::ACTORS,
            sections: self.sections.clone(),
            folders: self.folders.clone(),
            stop_executing_packages_on_shutdown: self.stop_executing_packages_on_shutdown,
            supervision: SupervisionSettings {
                intensity: Intensity {
                    max_restarts: s.max_restarts,
                    period: Duration::from_secs_f64(s.period_seconds),
                },
                backoff: Backoff {
                    initial: Duration::from_millis(s.backoff_initial_ms),
                    max: Duration::from_millis(s.backoff_max_ms),
                },
                health_check_interval: Duration::from_secs_f64(s.health_check_seconds),
            },
            known_store_roots: Some(self.data_dir.join("store-roots")),
            runs: RunSettings {
                dir: self.data_dir.join("runs"),
                runner: self.runner.clone(),
                stop_grace: self.stop_grace,
                max_concurrent: self.max_concurrent_packages,
                registration_dir: registration_dir(&self.runtime_dir),
                run_as: self.run_as,
                executors: self.executors.clone(),
                folder_executors: self.folder_executors.clone(),
                hidden_env: self
                    .folders
                    .iter()
                    .filter_map(|f| match &f.location {
                        FolderLocation::SqlServer(SqlServerFolder {
                            password: PasswordSource::Env(name),
                            ..
                        }) => Some(name.clone()),
                        _ => None,
                    })
                    .collect(),
            },
        }
    }

    /// Settings that a reload cannot change while the service runs.
    pub fn restart_only_differences(&self, newer: &ServiceConfig) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if self.listen != newer.listen {
            keys.push("service.listen");
        }
        if self.data_dir != newer.data_dir {
            keys.push("service.data_dir");
        }
        if self.runtime_dir != newer.runtime_dir {
            keys.push("service.runtime_dir");
        }
        if self.socket != newer.socket {
            keys.push("service.socket");
        }
        if self.user != newer.user || self.groups != newer.groups {
            keys.push("service.user");
        }
        if self.runner_user != newer.runner_user {
            keys.push("service.runner_user");
        }
        if self.access.tls != newer.access.tls {
            keys.push("access.tls_certificate");
        }
        if self.max_request_bytes != newer.max_request_bytes {
            keys.push("service.max_request_bytes");
        }
        if self.host_names != newer.host_names {
            keys.push("service.host_names");
        }
        if self.log != newer.log || self.log_level != newer.log_level {
            keys.push("service.log");
        }
        keys
    }
}
