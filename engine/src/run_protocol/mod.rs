//! The run protocol: the on-disk contract between the service and the runners (`dtexec`) it
//! starts or that register with it, as typed serde records — the event stream's records
//! ([`stream`]), a run's state file and a hand-started runner's registration ([`state`]), the
//! service's outcome marker ([`outcome`]), how `/Set` values are shown ([`mask`]), the file names and environment variables both sides
//! use, and the liveness rule (pid plus process start time). It lives in the model crate
//! because both the runner (through the runtime) and the service (through the actors) use it;
//! it must not start processes, follow files or decide anything about a run.

pub mod fetch;
pub mod mask;
pub mod outcome;
pub mod state;
pub mod stream;

pub use mask::mask_set;
pub use outcome::OutcomeRecord;
pub use state::{process_start_time, RunState};
pub use stream::{Body, MessageRecord, Record, SCHEMA};

/// The event stream's target: `<path>` or `fd:<n>`.
pub const STREAM_ENV: &str = "SSISD_EVENT_STREAM";
/// Set to `1` for `variable_changed` records.
pub const STREAM_VARIABLES_ENV: &str = "SSISD_EVENT_STREAM_VARIABLES";
/// The execution id the service gave the run.
pub const EXECUTION_ID_ENV: &str = "SSISD_EXECUTION_ID";
/// Set by the service for the runners it starts (they do not register).
pub const RUN_BY_SERVICE_ENV: &str = "SSISD_RUN_BY_SERVICE";
/// Set by an Execute Package task for the dtexec it starts (the child's nesting depth).
pub const CHILD_DEPTH_ENV: &str = "SSISD_EXECUTE_PACKAGE_DEPTH";

/// A run directory's files (below the service's runs directory, one directory per run).
pub const STATE_FILE: &str = "state.json";
pub const OUTCOME_FILE: &str = "outcome.json";
pub const EVENTS_FILE: &str = "events.jsonl";

/// The registration directory below the service's runtime directory, and a runner's files in
/// it (`<pid>.json`, and `<pid>.events.jsonl` when it had no stream of its own).
pub const REGISTRATION_DIR: &str = "runs";

pub fn registration_file(pid: i32) -> String {
    format!("{pid}.json")
}

pub fn registration_stream(pid: i32) -> String {
    format!("{pid}.events.jsonl")
}
