//! Executors: where a run's runner actually runs. The Package actor (one per run) never starts
//! or signals a runner itself; it asks the run's [`Executor`] to submit the run, to tell how it
//! stands, to cancel it (TERM, then kill after the grace period) and, after a restart, to list
//! the runs the engine still holds for this service instance. `local` (a runner process on this
//! machine) is the default; other kinds hand runs to an existing cluster engine. This file owns
//! the contract, the one registry of kinds ([`KINDS`]: adding a kind is its own file or
//! directory plus one line there) and the named, checked configuration entries; it must not
//! know about HTTP or configuration files (the binary hands it `[[executor]]` as values).

pub mod fetch;
pub mod handles;
pub mod kubernetes;
pub mod local;
pub mod run_dir;
pub mod slurm;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ssisd_engine::run_protocol::RunState;

use crate::package::{RunSettings, RunSpec};

/// The executor every run uses unless it names another.
pub const DEFAULT: &str = "local";

/// Every kind of executor, by `kind` name. Adding one: its own file or directory in
/// `executor/` and one line here.
pub const KINDS: &[Kind] = &[local::KIND, slurm::KIND, kubernetes::KIND];

/// Builds an executor of a kind from its checked entry.
pub type Build = fn(&ExecutorConfig, &RunSettings) -> Result<Arc<dyn Executor>, SetupError>;

/// Why an `[[executor]]` entry cannot be used: its settings are refused (what is wrong, naming
/// the key as written, and what to write instead), or its engine's client cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);

/// One kind of executor: how its settings are checked and how an executor is built from them.
#[derive(Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    /// Checks the kind's own settings as written (every key of the `[[executor]]` entry but
    /// `name`, `kind` and `capacity`); returns them with defaults filled in. Errors name the
    /// key (`slurm.partition`) as written relative to the entry.
    pub check: fn(&serde_json::Value) -> Result<serde_json::Value, SetupError>,
    /// Builds the executor from checked settings.
    pub build: Build,
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kind({})", self.name)
    }
}

/// The kind named `name`.
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// Every kind's name, for error messages.
pub fn kind_names() -> String {
    KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}

/// One `[[executor]]` entry, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutorConfig {
    pub name: String,
    pub kind: String,
    /// Most runs this executor holds at once (queued and running on the engine); further runs
    /// wait in the service, shown as `queued`. `None`: no limit of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<usize>,
    /// The kind's own settings, checked, defaults filled in.
    #[serde(flatten)]
    pub settings: BTreeMap<String, serde_json::Value>,
}

impl ExecutorConfig {
    /// The built-in `local` entry (used when the configuration names none).
    pub fn default_local() -> ExecutorConfig {
        ExecutorConfig {
            name: DEFAULT.into(),
            kind: local::KIND.name.into(),
            capacity: None,
            settings: BTreeMap::new(),
        }
    }

    /// Checks entries as written: names unique and well formed, kinds known, each kind's
    /// settings checked; adds the `local` entry when none is named so. Errors name the entry
    /// (`executor[1].kind`).
    pub fn check_all(
        written: Vec<serde_json::Value>,
    ) -> Result<Vec<ExecutorConfig>, (String, String)> {
        let mut out: Vec<ExecutorConfig> = Vec::new();
        for (i, entry) in written.into_iter().enumerate() {
            let at = |key: &str| format!("executor[{i}].{key}");
            let serde_json::Value::Object(mut map) = entry else {
                return Err((format!("executor[{i}]"), "must be a table".into()));
            };
            let name = match map.remove("name") {
                Some(serde_json::Value::String(s)) => s,
                Some(_) => return Err((at("name"), "must be a string".into())),
                None => {
                    return Err((
                        at("name"),
                        "is missing; every [[executor]] needs a name runs choose it by".into(),
                    ))
                }
            };
            let name_ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !name_ok {
                return Err((
                    at("name"),
                    format!("\"{name}\" is not a valid executor name: use 1 to 64 letters, digits, '-' or '_'"),
                ));
            }
            if out.iter().any(|e| e.name == name) {
                return Err((
                    at("name"),
                    format!("the executor \"{name}\" is defined twice; give each [[executor]] its own name"),
                ));
            }
            let kind_name = match map.remove("kind") {
                Some(serde_json::Value::String(s)) => s,
                Some(_) => return Err((at("kind"), "must be a string".into())),
                None => return Err((at("kind"), format!("is missing; one of: {}", kind_names()))),
            };
            let Some(kind) = kind(&kind_name) else {
                return Err((
                    at("kind"),
                    format!(
                        "\"{kind_name}\" is not a kind of executor; known kinds: {}",
                        kind_names()
                    ),
                ));
            };
            if name == DEFAULT && kind.name != local::KIND.name {
                return Err((
                    at("name"),
                    format!("\"{DEFAULT}\" is the built-in local executor's name; name this {kind_name} executor otherwise"),
                ));
            }
            let capacity = match map.remove("capacity") {
                None => None,
                Some(v) => match v.as_u64() {
                    Some(n) if n >= 1 => Some(n as usize),
                    _ => {
                        return Err((
                            at("capacity"),
                            format!("{v} is not a whole number of runs of at least 1"),
                        ))
                    }
                },
            };
            let settings = (kind.check)(&serde_json::Value::Object(map))
                .map_err(|e| (format!("executor[{i}] ({name})"), e.0))?;
            let settings = match settings {
                serde_json::Value::Object(m) => m.into_iter().collect(),
                _ => BTreeMap::new(),
            };
            out.push(ExecutorConfig {
                name,
                kind: kind.name.into(),
                capacity,
                settings,
            });
        }
        if !out.iter().any(|e| e.name == DEFAULT) {
            out.insert(0, ExecutorConfig::default_local());
        }
        Ok(out)
    }
}

/// What a submission hands the executor.
pub struct Submission<'a> {
    pub spec: &'a RunSpec,
    pub settings: &'a RunSettings,
    /// This service instance's id (labels on the engine).
    pub instance: &'a str,
}

/// How a run stands on its executor.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Accepted but not started (the engine's reason, such as `Resources`).
    Queued(String),
    Running,
    Ended(Exit),
}

/// How a runner ended, as far as its executor can tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Not our child, or not waitable: it is simply gone.
    Vanished,
    NotStarted(String),
    /// The engine ended the run itself; its state decides (`NODE_FAIL`, `TIMEOUT`, …).
    Engine {
        state: String,
        reason: String,
        outcome: EngineOutcome,
    },
}

/// What an engine's own final state means for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineOutcome {
    Failed,
    Cancelled,
    /// Ended unexpectedly (node lost, preempted): never run again by itself.
    Lost,
}

impl Exit {
    pub fn code(&self) -> Option<i32> {
        match self {
            Exit::Code(c) => Some(*c),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Exit::Code(c) => format!("exit code {c}"),
            Exit::Signal(s) => format!("ended by signal {s}"),
            Exit::Vanished => "vanished".into(),
            Exit::NotStarted(why) => format!("not started: {why}"),
            Exit::Engine { state, reason, .. } if reason.is_empty() || reason == "None" => {
                format!("engine state {state}")
            }
            Exit::Engine { state, reason, .. } => format!("engine state {state} ({reason})"),
        }
    }
}

/// Which way a run is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancel {
    /// Ask the runner to stop (SIGTERM): it cancels the package and records the run's end.
    Term,
    /// End it now.
    Kill,
}

/// A run the engine holds for this service instance, found by its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub execution_id: String,
    pub external_id: String,
}

/// Why an executor could not submit, cancel or list runs.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// The run's directory or files could not be prepared.
    #[error(transparent)]
    RunDir(#[from] run_dir::RunDirError),
    /// The runner process could not be started.
    #[error(transparent)]
    Spawn(#[from] local::SpawnError),
    /// The run's fetch grant could not be made.
    #[error(transparent)]
    Grant(#[from] fetch::GrantError),
    /// A run file (its arguments, a job script) could not be written.
    #[error("cannot write {what}: {source}")]
    Write {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The engine refused or failed: its own words (a command's output, an API server's
    /// message) with what to change.
    #[error("{0}")]
    Engine(String),
    /// The service instance id (kept with the handles) could not be read.
    #[error(transparent)]
    Instance(handles::HandleError),
    /// The run's handle could not be recorded before submission.
    #[error("the run's handle could not be kept: {0}")]
    Handle(#[source] handles::HandleError),
    /// The service is stopping: its blocking pool no longer runs work.
    #[error("the blocking pool is gone")]
    PoolGone,
}

/// An executor: submits, watches, cancels and lists the runs it owns. Every method may block
/// (it runs commands or system calls): callers run them off the async threads.
pub trait Executor: Send + Sync + fmt::Debug {
    /// Prepares the run's directory and starts (or hands over) the run; returns the run's
    /// state record with `executor` and `external_id` set. Errors are the engine's own words.
    fn submit(&self, run: &Submission<'_>) -> Result<RunState, ExecutorError>;
    /// How the run stands now.
    fn status(&self, run: &RunState) -> Status;
    /// Stops the run (see [`Cancel`]); errors are logged by the caller.
    fn cancel(&self, run: &RunState, how: Cancel) -> Result<(), ExecutorError>;
    /// The runs of instance `instance` the engine holds (after a restart: those submitted
    /// whose handle lacks its external id).
    fn list(&self, instance: &str) -> Result<Vec<Owned>, ExecutorError>;
    /// Where the run's directory is (the runner's files and event stream).
    fn run_dir(&self, runs: &RunSettings, execution_id: &str) -> std::path::PathBuf {
        runs.dir.join(execution_id)
    }
    /// How long a run may wait on the engine before it starts; past it the run is cancelled
    /// and fails with the engine's reason.
    fn pending_timeout(&self) -> Option<Duration> {
        None
    }
    /// How often [`Executor::status`] is worth asking.
    fn status_every(&self) -> Duration {
        Duration::ZERO
    }
    /// At the service's exit: the process (group) to SIGTERM as the very last act, if the
    /// run is a local process; engines are cancelled through [`Executor::cancel`] instead.
    fn exit_signal_target(&self, _run: &RunState) -> Option<i32> {
        None
    }
}

/// A configured executor with its capacity.
#[derive(Debug)]
pub struct Entry {
    pub config: ExecutorConfig,
    pub executor: Arc<dyn Executor>,
    /// Free places when the executor has a capacity.
    pub slots: Option<Arc<tokio::sync::Semaphore>>,
}

/// Every configured executor, by name.
#[derive(Debug, Clone, Default)]
pub struct Executors(BTreeMap<String, Arc<Entry>>);

impl Executors {
    /// Builds the entries of `settings.executors`, keeping those of `previous` whose
    /// configuration did not change (their runs keep their places).
    pub fn build(settings: &RunSettings, previous: Option<&Executors>) -> Executors {
        let mut map = BTreeMap::new();
        let configs = if settings.executors.is_empty() {
            vec![ExecutorConfig::default_local()]
        } else {
            settings.executors.clone()
        };
        for config in configs {
            if let Some(old) = previous.and_then(|p| p.0.get(&config.name)) {
                if old.config == config {
                    map.insert(config.name.clone(), old.clone());
                    continue;
                }
            }
            let Some(kind) = kind(&config.kind) else {
                continue;
            };
            match (kind.build)(&config, settings) {
                Ok(executor) => {
                    let slots = config
                        .capacity
                        .map(|n| Arc::new(tokio::sync::Semaphore::new(n)));
                    map.insert(
                        config.name.clone(),
                        Arc::new(Entry {
                            config,
                            executor,
                            slots,
                        }),
                    );
                }
                Err(why) => {
                    tracing::error!(executor = config.name, "the executor cannot be used: {why}")
                }
            }
        }
        Executors(map)
    }

    pub fn get(&self, name: &str) -> Option<Arc<Entry>> {
        self.0.get(name).cloned()
    }

    pub fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    pub fn entries(&self) -> impl Iterator<Item = &Arc<Entry>> {
        self.0.values()
    }
}

/// The service instance's label for a run on an engine: `ssisd-<instance>-<execution id>`
/// (the execution id alone is unique per instance; the instance keeps two services apart).
pub fn run_label(instance: &str, execution_id: &str) -> String {
    format!("ssisd-{instance}-{execution_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_checked_with_their_place_in_the_error() {
        let ok = ExecutorConfig::check_all(vec![serde_json::json!({
            "name": "cluster", "kind": "slurm", "capacity": 4, "partition": "debug"
        })])
        .unwrap();
        assert_eq!(ok[0].name, "local", "the built-in local executor is added");
        assert_eq!(ok[1].capacity, Some(4));
        assert_eq!(ok[1].settings["partition"], "debug");

        let e = ExecutorConfig::check_all(vec![serde_json::json!({"name": "x", "kind": "kube"})])
            .unwrap_err();
        assert_eq!(e.0, "executor[0].kind");
        assert!(e.1.contains("local, slurm, kubernetes"), "{}", e.1);

        let e = ExecutorConfig::check_all(vec![
            serde_json::json!({"name": "a", "kind": "local"}),
            serde_json::json!({"name": "a", "kind": "local"}),
        ])
        .unwrap_err();
        assert_eq!(e.0, "executor[1].name");

        let e =
            ExecutorConfig::check_all(vec![serde_json::json!({"name": "a b", "kind": "local"})])
                .unwrap_err();
        assert!(e.1.contains("not a valid executor name"), "{}", e.1);

        let e = ExecutorConfig::check_all(vec![
            serde_json::json!({"name": "c", "kind": "slurm", "partiton": "x"}),
        ])
        .unwrap_err();
        assert!(e.1.contains("partiton"), "{}", e.1);

        let e = ExecutorConfig::check_all(vec![
            serde_json::json!({"name": "c", "kind": "local", "capacity": 0}),
        ])
        .unwrap_err();
        assert_eq!(e.0, "executor[0].capacity");

        let e =
            ExecutorConfig::check_all(vec![serde_json::json!({"name": "local", "kind": "slurm"})])
                .unwrap_err();
        assert_eq!(e.0, "executor[0].name");
    }
}
