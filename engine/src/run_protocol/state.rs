//! A run's state file (`state.json` in the run's directory, written by the service when it
//! starts the runner) and a hand-started runner's registration (`<pid>.json` in the
//! registration directory, written by `dtexec`): the same record, read back on adoption. And
//! the liveness rule both sides apply: a run is alive when its pid is a process that started
//! at the recorded time (a reused pid has another start time).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the service knows of a runner, from its state file or registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub execution_id: String,
    pub pid: i32,
    /// Field 22 of `/proc/<pid>/stat`: tells a live runner from a reused pid.
    pub start_time: u64,
    pub package: String,
    pub user: String,
    /// `service` (started by the service, in its run directory) or `dtexec` (started by hand).
    pub source: String,
    pub started_at: DateTime<Utc>,
    /// The event stream the runner writes.
    pub events: PathBuf,
    /// Whether the runner leads its own process group (signals go to the group).
    #[serde(default)]
    pub group: bool,
    /// How the run was started: `api`, `schedule:<name>`, `dtexec`.
    #[serde(default)]
    pub how: String,
    /// The run's `/Set` options as given (the service masks sensitive values before it shows
    /// or records them).
    #[serde(default)]
    pub sets: Vec<String>,
    /// The executor the service handed the run to (`local` when absent: a process here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
    /// The run's id on its executor's engine (a Slurm job id); absent for a local process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl RunState {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Reads a state file's bytes; `None` for anything that is not one.
    pub fn from_json(bytes: &[u8]) -> Option<RunState> {
        serde_json::from_slice(bytes).ok()
    }

    /// Whether the runner is still the live process the record names.
    pub fn alive(&self) -> bool {
        process_start_time(self.pid) == Some(self.start_time)
    }
}

/// Field 22 (start time in clock ticks since boot) of `/proc/<pid>/stat`; `None` when the
/// process is gone or a zombie.
pub fn process_start_time(pid: i32) -> Option<u64> {
    if pid <= 0 {
        return None;
    }
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_of_older_services_still_read() {
        let old = br#"{"execution_id":"E","pid":1,"start_time":2,"package":"p","user":"u",
            "source":"service","started_at":"2026-01-01T00:00:00Z","events":"/r/events.jsonl"}"#;
        let s = RunState::from_json(old).unwrap();
        assert!(!s.group && s.how.is_empty() && s.sets.is_empty());
        assert!(s.executor.is_none() && s.external_id.is_none());
        assert_eq!(RunState::from_json(&s.to_json()), Some(s));
        assert!(RunState::from_json(b"{}").is_none());
    }

    #[test]
    fn start_time_of_this_process() {
        assert!(process_start_time(std::process::id() as i32).is_some());
        assert!(process_start_time(i32::MAX).is_none());
        assert!(process_start_time(0).is_none());
    }
}
