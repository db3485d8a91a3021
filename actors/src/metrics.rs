//! The service's metrics: one registry (the `prometheus-client` crate) shared by every part of
//! the service and handed to children through `ChildEnv`. Each part declares its metrics as a
//! [`MetricSet`] in its own file and gets them with one line, `env.metrics.get::<TheSet>()`:
//! the set is registered on first use and every later call (a restarted actor, another
//! worker) gets handles to the same metrics, so a restart neither duplicates nor resets them.
//! Updating a metric is an atomic operation on a shared handle — no message, no lock on the
//! hot path. What is read from the directory at scrape time (runs now, folder health) is
//! collected by [`DirectoryCollector`]. This file must not know which actor types exist.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::directory::{Directory, FolderHealth};

/// Every metric's name starts with this (`ssisd_runs_started_total`, …).
pub const PREFIX: &str = "ssisd";

/// The media type of [`Metrics::encode`]'s text (the OpenMetrics text format, which
/// Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A group of metrics one part of the service keeps: created and registered once, then cloned
/// (its fields are shared handles).
pub trait MetricSet: Clone + Send + Sync + 'static {
    /// Creates the metrics and registers them in `registry` (names without the prefix).
    fn register(registry: &mut Registry) -> Self;
}

/// The shared registry; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Mutex<Registry>,
    sets: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            inner: Arc::new(Inner {
                registry: Mutex::new(Registry::with_prefix(PREFIX)),
                sets: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The metric set `T`, registered on first use.
    pub fn get<T: MetricSet>(&self) -> T {
        let mut sets = self.inner.sets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(set) = sets
            .get(&TypeId::of::<T>())
            .and_then(|s| s.downcast_ref::<T>())
        {
            return set.clone();
        }
        let mut registry = self
            .inner
            .registry
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let set = T::register(&mut registry);
        sets.insert(TypeId::of::<T>(), Box::new(set.clone()));
        set
    }

    /// Adds a collector (metrics computed at each scrape). Once per service.
    pub fn collect(&self, collector: impl Collector) {
        self.inner
            .registry
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .register_collector(Box::new(collector));
    }

    /// Every metric in the OpenMetrics text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self
            .inner
            .registry
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FolderLabels {
    folder: String,
    kind: String,
    state: String,
}

/// What the directory says at scrape time: the runs now and each top-level folder's health.
pub struct DirectoryCollector(pub Directory);

impl std::fmt::Debug for DirectoryCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirectoryCollector")
    }
}

/// Every state a folder's health can be in, so each folder has one series per state (1 for
/// the current one, 0 for the others) and a query never sees a state vanish.
const FOLDER_STATES: [&str; 6] = [
    "starting",
    "available",
    "restarting",
    "unavailable",
    "read-only",
    "failed",
];

fn state_name(h: &FolderHealth) -> &'static str {
    match h {
        FolderHealth::Starting => "starting",
        FolderHealth::Available => "available",
        FolderHealth::Restarting(_) => "restarting",
        FolderHealth::Unavailable(_) => "unavailable",
        FolderHealth::ReadOnly(_) => "read-only",
        FolderHealth::Failed(_) => "failed",
    }
}

impl Collector for DirectoryCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let running: Gauge = Gauge::default();
        running.set(self.0.run_count() as i64);
        running.encode(encoder.encode_descriptor(
            "runs_running",
            "Package runs running now",
            None,
            running.metric_type(),
        )?)?;

        let folders: Family<FolderLabels, Gauge> = Family::default();
        for f in self.0.folders() {
            let now = state_name(&f.health);
            for state in FOLDER_STATES {
                folders
                    .get_or_create(&FolderLabels {
                        folder: f.name.clone(),
                        kind: f.kind.to_string(),
                        state: state.to_string(),
                    })
                    .set(i64::from(state == now));
            }
        }
        folders.encode(encoder.encode_descriptor(
            "folder_state",
            "Health of each top-level folder's store: 1 for its current state, 0 for the others (available is the usable one)",
            None,
            folders.metric_type(),
        )?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::counter::Counter;

    #[derive(Clone)]
    struct Fires {
        fires: Counter,
    }

    impl MetricSet for Fires {
        fn register(registry: &mut Registry) -> Self {
            let fires = Counter::default();
            registry.register("test_fires", "Fires", fires.clone());
            Fires { fires }
        }
    }

    #[test]
    fn a_set_is_registered_once_and_shared() {
        let m = Metrics::new();
        m.get::<Fires>().fires.inc();
        // A restarted actor gets the same counter, not a second registration.
        m.get::<Fires>().fires.inc();
        let text = m.encode();
        assert_eq!(text.matches("# TYPE ssisd_test_fires counter").count(), 1);
        assert!(text.contains("ssisd_test_fires_total 2"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn the_directory_collector_reports_runs_and_every_folder_state() {
        let d = Directory::new();
        d.set_folders(&[ssisd_stores::FolderSpec {
            name: "File System".into(),
            location: ssisd_stores::FolderLocation::FileSystem {
                store_path: "/srv/packages".into(),
                create: Default::default(),
            },
        }]);
        d.set_health("File System", FolderHealth::Available);
        let m = Metrics::new();
        m.collect(DirectoryCollector(d));
        let text = m.encode();
        assert!(text.contains("ssisd_runs_running 0"), "{text}");
        assert!(
            text.contains(
                r#"ssisd_folder_state{folder="File System",kind="file-system",state="available"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"state="failed"} 0"#), "{text}");
    }
}
