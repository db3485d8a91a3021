//! The metrics of package runs, kept by the Package actors: runs started (by how they were
//! started), runs finished (by outcome) with their durations, and the rows the runs' data
//! flows sent down their paths (from the running totals of `pipeline_rows` records in each
//! run's event stream). How many run now is read from the directory at scrape time
//! (`metrics::DirectoryCollector`). It must not decide anything about runs.

use std::collections::HashMap;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::metrics::MetricSet;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HowLabels {
    /// `api`, `schedule:<name>`, `dtexec`.
    pub how: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `succeeded`, `failed`, `cancelled`, `lost`.
    pub outcome: String,
}

/// Upper bounds of the run-duration buckets, in seconds: from a tenth of a second to six hours.
const DURATION_BUCKETS: [f64; 14] = [
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 21600.0,
];

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// Run counters and the duration histogram.
#[derive(Clone)]
pub struct RunMetrics {
    pub started: Family<HowLabels, Counter>,
    pub finished: Family<OutcomeLabels, Counter>,
    pub duration: Family<OutcomeLabels, Histogram, fn() -> Histogram>,
    pub rows: Counter,
}

impl MetricSet for RunMetrics {
    fn register(registry: &mut Registry) -> Self {
        let m = RunMetrics {
            started: Family::default(),
            finished: Family::default(),
            duration: Family::new_with_constructor(duration_histogram),
            rows: Counter::default(),
        };
        registry.register(
            "runs_started",
            "Package runs started, by how (api, schedule:<name>, dtexec; adopted runs count again after a restart)",
            m.started.clone(),
        );
        registry.register(
            "runs_finished",
            "Package runs finished, by outcome (succeeded, failed, cancelled, lost)",
            m.finished.clone(),
        );
        registry.register_with_unit(
            "run_duration",
            "How long finished runs took, from start to end, by outcome",
            Unit::Seconds,
            m.duration.clone(),
        );
        registry.register(
            "data_flow_rows",
            "Rows sent down data-flow paths (a row that crosses three paths counts three times)",
            m.rows.clone(),
        );
        m
    }
}

impl RunMetrics {
    pub fn started(&self, how: &str) {
        self.started
            .get_or_create(&HowLabels {
                how: how.to_string(),
            })
            .inc();
    }

    pub fn finished(&self, outcome: &str, seconds: f64) {
        let labels = OutcomeLabels {
            outcome: outcome.to_string(),
        };
        self.finished.get_or_create(&labels).inc();
        self.duration
            .get_or_create(&labels)
            .observe(seconds.max(0.0));
    }
}

/// One run's data-flow rows: turns the running totals its stream reports per path into
/// increments of [`RunMetrics::rows`].
#[derive(Debug, Default)]
pub struct RowTotals {
    /// The last total seen, by (task path, path id).
    seen: HashMap<(String, i64), u64>,
}

impl RowTotals {
    /// A running total for one path; returns the rows it adds.
    pub fn take(&mut self, task_path: &str, path_id: i64, total: u64) -> u64 {
        let last = self
            .seen
            .entry((task_path.to_string(), path_id))
            .or_insert(0);
        let added = total.saturating_sub(*last);
        *last = (*last).max(total);
        added
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;

    #[test]
    fn running_totals_count_each_row_once() {
        let mut t = RowTotals::default();
        assert_eq!(t.take("\\Package\\DFT", 9, 100), 100);
        assert_eq!(t.take("\\Package\\DFT", 9, 250), 150);
        assert_eq!(
            t.take("\\Package\\DFT", 9, 250),
            0,
            "a repeated total adds none"
        );
        assert_eq!(t.take("\\Package\\DFT", 10, 5), 5, "another path");
        assert_eq!(t.take("\\Package\\Loop\\DFT", 9, 7), 7, "another task");
    }

    #[test]
    fn runs_are_counted_by_how_and_outcome_with_durations() {
        let m = Metrics::new();
        let r = m.get::<RunMetrics>();
        r.started("api");
        r.finished("succeeded", 0.3);
        r.finished("failed", 42.0);
        r.rows.inc_by(10);
        let text = m.encode();
        assert!(
            text.contains(r#"ssisd_runs_started_total{how="api"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"ssisd_runs_finished_total{outcome="failed"} 1"#));
        assert!(
            text.contains(r#"ssisd_run_duration_seconds_bucket{le="0.5",outcome="succeeded"} 1"#)
                || text.contains(
                    r#"ssisd_run_duration_seconds_bucket{outcome="succeeded",le="0.5"} 1"#
                ),
            "{text}"
        );
        assert!(text.contains(r#"ssisd_run_duration_seconds_count{outcome="failed"} 1"#));
        assert!(text.contains("ssisd_data_flow_rows_total 10"));
    }
}
