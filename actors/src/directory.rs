//! Where the service's children can be found now: one generic map from a child's key
//! (`event-log`, `store:<folder>`, `history`, `run:<id>`) to its current address, written by
//! the children the supervisor starts, plus the health of each top-level folder and the views
//! of the runs. Restarts change the addresses, so callers (the HTTP API, other actors) look
//! them up here on every request instead of keeping one. It knows no actor type. Short,
//! non-async critical sections only.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use actix::{Actor, Addr};
use chrono::{DateTime, Utc};
use serde::Serialize;
use ssisd_stores::FolderSpec;

use crate::package::{RunObserver, RunView};

/// The health of one top-level folder, as status shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "lowercase")]
pub enum FolderHealth {
    Starting,
    Available,
    /// Its store ended unexpectedly and is being restarted.
    Restarting(String),
    /// It cannot be served now (unreachable server, missing store root).
    Unavailable(String),
    /// It can be listed and read, not changed (read-only mount, immutable directory).
    #[serde(rename = "read-only")]
    ReadOnly(String),
    /// It exceeded its restart intensity; a reload (SIGHUP) tries again.
    Failed(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct FolderStatus {
    pub name: String,
    pub kind: &'static str,
    /// Whether its store compares names without regard to case (msdb).
    #[serde(skip)]
    pub names_ignore_case: bool,
    pub location: String,
    pub health: FolderHealth,
    pub since: DateTime<Utc>,
}

#[derive(Clone)]
struct FolderEntry {
    spec: FolderSpec,
    health: FolderHealth,
    since: DateTime<Utc>,
}

#[derive(Default)]
struct Inner {
    /// Each running child's address (an `Addr<A>`), by key.
    children: HashMap<String, Arc<dyn Any + Send + Sync>>,
    folders: Vec<FolderEntry>,
    /// The runs' views, by execution id (their actors are children `run:<id>`).
    runs: BTreeMap<String, Arc<Mutex<RunView>>>,
    /// Children that hear of every run's beginning and end, by key.
    run_observers: BTreeMap<String, RunObserver>,
}

/// Shared, cheap to clone.
#[derive(Clone, Default)]
pub struct Directory {
    inner: Arc<RwLock<Inner>>,
}

impl Directory {
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Records `addr` as the child `key` (replacing an earlier generation's).
    pub fn register<A: Actor>(&self, key: &str, addr: Addr<A>) {
        self.write()
            .children
            .insert(key.to_string(), Arc::new(addr));
    }

    /// Forgets the child `key` (and its run observer).
    pub fn unregister(&self, key: &str) {
        let mut inner = self.write();
        inner.children.remove(key);
        inner.run_observers.remove(key);
    }

    /// Records child `key` as a run observer (replacing an earlier generation's).
    pub fn add_run_observer(&self, key: &str, observer: RunObserver) {
        self.write().run_observers.insert(key.to_string(), observer);
    }

    /// The keys of the run observers.
    pub fn run_observers(&self) -> Vec<String> {
        self.read().run_observers.keys().cloned().collect()
    }

    /// The current run observer `key`.
    pub fn run_observer(&self, key: &str) -> Option<RunObserver> {
        self.read().run_observers.get(key).cloned()
    }

    /// The current address of child `key`, if it runs and is an `A`.
    pub fn lookup<A: Actor>(&self, key: &str) -> Option<Addr<A>> {
        self.read()
            .children
            .get(key)
            .and_then(|a| a.downcast_ref::<Addr<A>>())
            .cloned()
    }

    /// Replaces the folder list (configuration order), keeping the state of unchanged folders.
    pub fn set_folders(&self, specs: &[FolderSpec]) {
        let mut inner = self.write();
        let old = std::mem::take(&mut inner.folders);
        inner.folders = specs
            .iter()
            .map(|spec| {
                old.iter()
                    .find(|e| &e.spec == spec)
                    .cloned()
                    .unwrap_or_else(|| FolderEntry {
                        spec: spec.clone(),
                        health: FolderHealth::Starting,
                        since: Utc::now(),
                    })
            })
            .collect();
    }

    fn with_folder<R>(&self, name: &str, f: impl FnOnce(&mut FolderEntry) -> R) -> Option<R> {
        let mut inner = self.write();
        inner
            .folders
            .iter_mut()
            .find(|e| e.spec.name == name)
            .map(f)
    }

    pub fn set_health(&self, name: &str, health: FolderHealth) {
        self.with_folder(name, |e| {
            if e.health != health {
                e.health = health;
                e.since = Utc::now();
            }
        });
    }

    /// Finds a top-level folder by name: exact match first, then ignoring case (SSIS folder
    /// names are case-insensitive on Windows).
    pub fn folder(&self, name: &str) -> Option<FolderStatus> {
        let inner = self.read();
        let entry = inner
            .folders
            .iter()
            .find(|e| e.spec.name == name)
            .or_else(|| {
                inner
                    .folders
                    .iter()
                    .find(|e| e.spec.name.eq_ignore_ascii_case(name))
            })?;
        Some(status_of(entry))
    }

    pub fn folders(&self) -> Vec<FolderStatus> {
        self.read().folders.iter().map(status_of).collect()
    }

    /// Records a run's view (its actor registers as child `run:<id>`).
    pub fn add_run(&self, id: &str, view: Arc<Mutex<RunView>>) {
        self.write().runs.insert(id.to_string(), view);
    }

    pub fn remove_run(&self, id: &str) {
        let mut inner = self.write();
        inner.runs.remove(id);
        inner.children.remove(&format!("run:{id}"));
    }

    pub fn run_count(&self) -> usize {
        self.read().runs.len()
    }

    /// Every run now, oldest first.
    pub fn runs(&self) -> Vec<RunView> {
        let mut all: Vec<RunView> = self
            .read()
            .runs
            .values()
            .map(|v| v.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect();
        all.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        all
    }

    /// One run's view.
    pub fn run(&self, id: &str) -> Option<RunView> {
        let inner = self.read();
        let view = inner.runs.get(id)?;
        let view = view.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Some(view)
    }
}

fn status_of(e: &FolderEntry) -> FolderStatus {
    FolderStatus {
        name: e.spec.name.clone(),
        kind: e.spec.kind(),
        names_ignore_case: e.spec.names_ignore_case(),
        location: e.spec.location_text(),
        health: e.health.clone(),
        since: e.since,
    }
}
