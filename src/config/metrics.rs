//! `[metrics]`: who may read `GET /metrics`. By default a caller on this machine (plain TCP
//! from a loopback address, also without credentials, or the Unix socket) and an
//! administrator from anywhere; `role` lowers the role a caller from elsewhere needs, and
//! `enabled = false` turns the route off. Shape, defaults and checks; it must not decide a
//! request (that is `access::role::may_read_metrics`).

use serde::{Deserialize, Serialize};

use crate::access::Role;

/// `[metrics]` as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Serve `GET /metrics` (default true).
    pub enabled: bool,
    /// Callers on this machine may read the metrics whoever they are, loopback TCP callers
    /// without credentials (default true).
    pub loopback: bool,
    /// The least role a caller from elsewhere needs: `administrator` (default), `operator` or
    /// `limited-user`.
    pub role: String,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            enabled: true,
            loopback: true,
            role: Role::Administrator.as_str().to_string(),
        }
    }
}

/// `[metrics]`, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsConfig {
    pub enabled: bool,
    pub loopback: bool,
    pub role: Role,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            loopback: true,
            role: Role::Administrator,
        }
    }
}

impl MetricsSection {
    /// Checks the section; an error names the key and what to write.
    pub fn check(&self) -> Result<MetricsConfig, (String, String)> {
        let role = Role::parse(&self.role).ok_or_else(|| {
            (
                "metrics.role".to_string(),
                format!(
                    "\"{}\" is not a role; write \"administrator\", \"operator\" or \"limited-user\"",
                    self.role
                ),
            )
        })?;
        Ok(MetricsConfig {
            enabled: self.enabled,
            loopback: self.loopback,
            role,
        })
    }
}

impl MetricsConfig {
    /// The section that says this configuration.
    pub fn to_section(&self) -> MetricsSection {
        MetricsSection {
            enabled: self.enabled,
            loopback: self.loopback,
            role: self.role.as_str().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_check_and_print_back() {
        let c = MetricsSection::default().check().unwrap();
        assert_eq!(c, MetricsConfig::default());
        assert_eq!(c.to_section(), MetricsSection::default());
        let op = MetricsSection {
            role: "db_ssisoperator".into(),
            ..Default::default()
        };
        assert_eq!(op.check().unwrap().role, Role::Operator);
        let bad = MetricsSection {
            role: "root".into(),
            ..Default::default()
        };
        let (key, message) = bad.check().unwrap_err();
        assert_eq!(key, "metrics.role");
        assert!(message.contains("\"root\" is not a role"), "{message}");
    }
}
