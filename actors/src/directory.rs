//! Where the service's children can be found now. The supervisor is the only writer: it records
//! each top-level folder with its current store actor and health, and the current event-log
//! actor; restarts change the addresses, so callers (the HTTP API, other actors) look them up
//! here on every request instead of keeping an address. Short, non-async critical sections only.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use actix::Addr;
use chrono::{DateTime, Utc};
use serde::Serialize;
use ssisd_stores::FolderSpec;

use crate::event_log::EventLog;
use crate::package::{PackageActor, RunView};
use crate::store::StoreActor;

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
    store: Option<Addr<StoreActor>>,
    health: FolderHealth,
    since: DateTime<Utc>,
}

#[derive(Default)]
struct Inner {
    event_log: Option<Addr<EventLog>>,
    folders: Vec<FolderEntry>,
    runs: BTreeMap<String, RunEntry>,
}

#[derive(Clone)]
struct RunEntry {
    view: Arc<Mutex<RunView>>,
    actor: Addr<PackageActor>,
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

    pub fn event_log(&self) -> Option<Addr<EventLog>> {
        self.read().event_log.clone()
    }

    pub fn set_event_log(&self, addr: Option<Addr<EventLog>>) {
        self.write().event_log = addr;
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
                        store: None,
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

    pub fn set_store(&self, name: &str, store: Option<Addr<StoreActor>>) {
        self.with_folder(name, |e| e.store = store);
    }

    /// Finds a top-level folder by name: exact match first, then ignoring case (SSIS folder
    /// names are case-insensitive on Windows).
    pub fn folder(&self, name: &str) -> Option<(FolderStatus, Option<Addr<StoreActor>>)> {
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
        Some((status_of(entry), entry.store.clone()))
    }

    pub fn folders(&self) -> Vec<FolderStatus> {
        self.read().folders.iter().map(status_of).collect()
    }

    /// Records a run's actor and the view it keeps up to date.
    pub fn add_run(&self, id: &str, view: Arc<Mutex<RunView>>, actor: Addr<PackageActor>) {
        self.write()
            .runs
            .insert(id.to_string(), RunEntry { view, actor });
    }

    pub fn remove_run(&self, id: &str) {
        self.write().runs.remove(id);
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
            .map(|e| e.view.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect();
        all.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        all
    }

    /// One run's view and actor.
    pub fn run(&self, id: &str) -> Option<(RunView, Addr<PackageActor>)> {
        let inner = self.read();
        let e = inner.runs.get(id)?;
        let view = e.view.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Some((view, e.actor.clone()))
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
