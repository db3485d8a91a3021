//! The contract every supervised child meets, modelled on OTP's child specifications: an
//! [`ActorType`] (the configuration section it owns, how that section is checked, and which
//! children a plan needs), the [`ChildSpec`] of one child (key, start/stop [`Phase`], restart
//! type, fingerprint, start function), the [`ChildEnv`] every child is started with (where
//! children are found, the event log, the plan, the supervisor's recipient to start runs, the
//! metrics registry), and
//! [`ServicePlan`], what the service runs. It must not know which actor types exist (the
//! binary's table lists them) nor read configuration files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use ssisd_stores::FolderSpec;

use crate::directory::Directory;
use crate::event_log::EventLogClient;
use crate::metrics::Metrics;
use crate::package::{RunSettings, StartRun};
use crate::supervision::{Backoff, ExitWatch, Intensity, RestartType, StopChild};

/// When a child starts and stops relative to the others. Children start phase by phase in
/// this order and stop in the reverse order; within a phase, in table order (reversed to
/// stop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// What every other child writes to (the event log): up before the "starting" event,
    /// stopped after the "stopped" event, drained last.
    Journal,
    /// What records the others' work (execution history): up before anything runs, stopped
    /// after everything that could still report to it.
    Record,
    /// Everything else (stores, schedulers).
    Serve,
}

/// Starts a child with the watch it must carry; returns how to ask it to stop.
pub type StartChild = Box<dyn Fn(ExitWatch, &ChildEnv) -> Recipient<StopChild>>;

/// One child to run: how to start it and how to recognise that its definition changed.
pub struct ChildSpec {
    /// Unique among the children (`event-log`, `store:<folder>`, …); also the name under which
    /// the child is found in the [`Directory`].
    pub key: String,
    pub phase: Phase,
    pub restart: RestartType,
    /// A reload restarts the child when this changes.
    pub fingerprint: String,
    /// The top-level folder whose health follows this child, if any.
    pub folder: Option<String>,
    /// Starts the actor (registering it with [`register`]) and returns how to stop it.
    pub start: StartChild,
}

/// What a child gets when it starts.
#[derive(Clone)]
pub struct ChildEnv {
    pub directory: Directory,
    pub events: EventLogClient,
    pub plan: Arc<ServicePlan>,
    /// Starts a run as the API does (a scheduler's way to start packages).
    pub supervisor: Recipient<StartRun>,
    /// The service's metrics: a child gets its own set with `env.metrics.get::<TheSet>()`.
    pub metrics: Metrics,
}

/// Records a started child's address under its key and returns its stop recipient: what a
/// [`ChildSpec::start`] function ends with.
pub fn register<A>(env: &ChildEnv, key: &str, addr: Addr<A>) -> Recipient<StopChild>
where
    A: Actor<Context = Context<A>> + Handler<StopChild>,
{
    env.directory.register(key, addr.clone());
    addr.recipient()
}

/// Where a settings section is checked: paths in it are resolved against `base` (the
/// configuration file's directory); files the service keeps go below `data_dir`.
#[derive(Debug, Clone)]
pub struct SettingsContext {
    pub data_dir: PathBuf,
    pub base: PathBuf,
}

/// A setting that is wrong: the key (`history.retention_days`) and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingsError {
    pub key: String,
    pub message: String,
}

impl SettingsError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        SettingsError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// An actor type's own configuration section: read from the file (missing keys take their
/// defaults), checked, and written back by `--check-config`.
pub trait Settings: Serialize + DeserializeOwned + Default + Clone + Send + Sync + 'static {
    /// Checks every value; may complete what depends on the context.
    fn check(&mut self, section: &str, ctx: &SettingsContext) -> Result<(), SettingsError>;
}

/// No section at all.
impl Settings for () {
    fn check(&mut self, _: &str, _: &SettingsContext) -> Result<(), SettingsError> {
        Ok(())
    }
}

/// An actor type as the service's table lists it: one line per type.
pub trait ActorType: 'static {
    /// The configuration section it owns (`history` for `[history]`), if any.
    const SECTION: Option<&'static str>;
    /// Further top-level keys the type owns (`schedule` for `[[schedule]]`): given to its
    /// settings as fields of its section, and written back at the top level.
    const ALSO: &'static [&'static str] = &[];
    type Settings: Settings;
    /// The children the plan needs, with their settings.
    fn children(settings: &Self::Settings, plan: &ServicePlan) -> Vec<ChildSpec>;
}

/// An [`ActorType`] with its types erased, so that one table can hold them all.
#[derive(Clone, Copy)]
pub struct ActorEntry {
    pub section: Option<&'static str>,
    pub also: &'static [&'static str],
    /// Checks a section as written (`None` when absent) and returns its effective value.
    pub check:
        fn(Option<serde_json::Value>, &SettingsContext) -> Result<serde_json::Value, SettingsError>,
    pub children: fn(&ServicePlan) -> Vec<ChildSpec>,
}

impl ActorEntry {
    pub const fn of<T: ActorType>() -> ActorEntry {
        ActorEntry {
            section: T::SECTION,
            also: T::ALSO,
            check: check_section::<T>,
            children: children_of::<T>,
        }
    }
}

impl std::fmt::Debug for ActorEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ActorEntry({:?})", self.section)
    }
}

impl PartialEq for ActorEntry {
    fn eq(&self, other: &Self) -> bool {
        self.section == other.section && std::ptr::fn_addr_eq(self.children, other.children)
    }
}

fn check_section<T: ActorType>(
    written: Option<serde_json::Value>,
    ctx: &SettingsContext,
) -> Result<serde_json::Value, SettingsError> {
    let section = T::SECTION.unwrap_or("");
    let mut settings: T::Settings = match written {
        None => T::Settings::default(),
        Some(v) => {
            serde_json::from_value(v).map_err(|e| SettingsError::new(section, e.to_string()))?
        }
    };
    settings.check(section, ctx)?;
    serde_json::to_value(&settings).map_err(|e| SettingsError::new(section, e.to_string()))
}

fn children_of<T: ActorType>(plan: &ServicePlan) -> Vec<ChildSpec> {
    let settings = plan.settings::<T>();
    T::children(&settings, plan)
}

/// What the service runs: built from configuration by the binary, applied by the supervisor.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    /// The service's own files live below it.
    pub data_dir: PathBuf,
    pub folders: Vec<FolderSpec>,
    pub stop_executing_packages_on_shutdown: bool,
    pub supervision: SupervisionSettings,
    pub runs: RunSettings,
    /// The list of File System store roots the service has used (see
    /// `ssisd_stores::file_system::root`); `None` treats every root as new.
    pub known_store_roots: Option<PathBuf>,
    /// The actor types, in start order within each phase.
    pub actor_types: &'static [ActorEntry],
    /// Each actor type's checked section, by section name.
    pub sections: BTreeMap<String, serde_json::Value>,
}

impl ServicePlan {
    /// The settings of actor type `T` (its defaults when the plan has no section for it).
    pub fn settings<T: ActorType>(&self) -> T::Settings {
        let Some(section) = T::SECTION else {
            return T::Settings::default();
        };
        let mut value = self
            .sections
            .get(section)
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}));
        if let Some(object) = value.as_object_mut() {
            for key in T::ALSO {
                if let Some(v) = self.sections.get(*key) {
                    object.insert((*key).to_string(), v.clone());
                }
            }
        }
        serde_json::from_value(value).unwrap_or_default()
    }

    /// Every child the plan needs, in start order.
    pub fn children(&self) -> Vec<ChildSpec> {
        let mut all: Vec<ChildSpec> = self
            .actor_types
            .iter()
            .flat_map(|t| (t.children)(self))
            .collect();
        all.sort_by_key(|c| c.phase); // stable: table order within a phase
        all
    }

    /// Checks every section of `written` against the table; an unknown section is refused.
    pub fn check_sections(
        table: &'static [ActorEntry],
        mut written: BTreeMap<String, serde_json::Value>,
        ctx: &SettingsContext,
    ) -> Result<BTreeMap<String, serde_json::Value>, SettingsError> {
        let mut checked = BTreeMap::new();
        for t in table {
            if let Some(section) = t.section {
                let mut value = written.remove(section);
                for key in t.also {
                    if value.as_ref().and_then(|v| v.get(*key)).is_some() {
                        return Err(SettingsError::new(
                            format!("{section}.{key}"),
                            format!("write it as its own top-level [[{key}]] sections"),
                        ));
                    }
                    if let Some(v) = written.remove(*key) {
                        value
                            .get_or_insert_with(|| serde_json::json!({}))
                            .as_object_mut()
                            .ok_or_else(|| SettingsError::new(section, "must be a table"))?
                            .insert((*key).to_string(), v);
                    }
                }
                let mut value = (t.check)(value, ctx)?;
                for key in t.also {
                    if let Some(v) = value.as_object_mut().and_then(|o| o.remove(*key)) {
                        checked.insert((*key).to_string(), v);
                    }
                }
                checked.insert(section.to_string(), value);
            }
        }
        if let Some(unknown) = written.keys().next() {
            let known: Vec<&str> = table
                .iter()
                .flat_map(|t| t.section.into_iter().chain(t.also.iter().copied()))
                .collect();
            return Err(SettingsError::new(
                unknown.clone(),
                format!(
                    "is not a section of the configuration (actor sections: {}); check its spelling",
                    known.join(", ")
                ),
            ));
        }
        Ok(checked)
    }

    /// A path below the data directory.
    pub fn data_file(&self, name: impl AsRef<Path>) -> PathBuf {
        self.data_dir.join(name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SupervisionSettings {
    pub intensity: Intensity,
    pub backoff: Backoff,
    /// How often stores check that they are still usable (zero: never).
    pub health_check_interval: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_log::EventLog;
    use crate::store::StoreActor;

    const TABLE: &[ActorEntry] = &[ActorEntry::of::<EventLog>(), ActorEntry::of::<StoreActor>()];

    fn ctx() -> SettingsContext {
        SettingsContext {
            data_dir: PathBuf::from("/data"),
            base: PathBuf::from("/etc"),
        }
    }

    #[test]
    fn sections_take_defaults_are_checked_and_unknown_ones_are_refused() {
        let checked = ServicePlan::check_sections(TABLE, BTreeMap::new(), &ctx()).unwrap();
        assert_eq!(checked["event_log"]["retention"], 100_000);
        assert_eq!(checked.len(), 1, "the store type owns no section");

        let written = [("event_log".to_string(), serde_json::json!({"retention": 0}))];
        let e =
            ServicePlan::check_sections(TABLE, written.into_iter().collect(), &ctx()).unwrap_err();
        assert_eq!(e.key, "event_log.retention");

        let written = [("event_log".to_string(), serde_json::json!({"retension": 5}))];
        let e =
            ServicePlan::check_sections(TABLE, written.into_iter().collect(), &ctx()).unwrap_err();
        assert_eq!(e.key, "event_log");
        assert!(e.message.contains("retension"), "{e}");

        let written = [("evnt_log".to_string(), serde_json::json!({}))];
        let e =
            ServicePlan::check_sections(TABLE, written.into_iter().collect(), &ctx()).unwrap_err();
        assert_eq!(e.key, "evnt_log");
        assert!(e.message.contains("event_log"), "{e}");
    }

    /// A type's further top-level keys (`[[schedule]]` beside `[scheduler]`) reach its
    /// settings and are written back at the top level; inside its section they are refused.
    #[test]
    fn a_type_owns_its_further_top_level_keys() {
        const WITH: &[ActorEntry] = &[ActorEntry::of::<crate::scheduler::Scheduler>()];
        let schedule = serde_json::json!([{
            "name": "n", "package": "File System/A", "cron": "0 3 * * *"
        }]);
        let written = [
            (
                "scheduler".to_string(),
                serde_json::json!({"time_zone": "UTC"}),
            ),
            ("schedule".to_string(), schedule),
        ];
        let checked =
            ServicePlan::check_sections(WITH, written.into_iter().collect(), &ctx()).unwrap();
        assert_eq!(checked["schedule"][0]["name"], "n");
        assert!(checked["scheduler"].get("schedule").is_none());
        let plan_sections = checked.clone();
        let settings: crate::scheduler::SchedulerSettings = {
            let mut v = plan_sections["scheduler"].clone();
            v["schedule"] = plan_sections["schedule"].clone();
            serde_json::from_value(v).unwrap()
        };
        assert_eq!(settings.schedule.len(), 1);

        let written = [("scheduler".to_string(), serde_json::json!({"schedule": []}))];
        let e =
            ServicePlan::check_sections(WITH, written.into_iter().collect(), &ctx()).unwrap_err();
        assert_eq!(e.key, "scheduler.schedule");
        let written = [("schedule".to_string(), serde_json::json!([{"name": "x"}]))];
        let e =
            ServicePlan::check_sections(WITH, written.into_iter().collect(), &ctx()).unwrap_err();
        assert_eq!(e.key, "scheduler", "{e}");
        let written = [("evnt_log".to_string(), serde_json::json!({}))];
        let e =
            ServicePlan::check_sections(TABLE, written.into_iter().collect(), &ctx()).unwrap_err();
        assert_eq!(e.key, "evnt_log");
        assert!(e.message.contains("event_log"), "{e}");
    }
}
