//! The outcome marker of a run directory (`outcome.json`): written by the service once it has
//! recorded how a run ended, so that a run is recorded once. A directory without it after a
//! restart is a run to adopt (alive) or to complete from its event stream (dead).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    /// `succeeded`, `failed`, `cancelled`, `lost`.
    pub outcome: String,
    /// How the runner ended (`exit code 1`, `ended by signal 9`, `vanished`), when known.
    #[serde(default)]
    pub exit: Option<String>,
    /// Its exit code, when the service saw it.
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
}

impl OutcomeRecord {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Option<OutcomeRecord> {
        serde_json::from_slice(bytes).ok()
    }
}
