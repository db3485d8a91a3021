//! The Scheduler's metrics: what happened when schedules came due — fired, skipped (still
//! running at `max_active`), failed (could not start, or the run failed), missed while the
//! service was down. Labelled by outcome only, never by schedule name (ten thousand schedules
//! must not become ten thousand series). Counted where the Scheduler writes the matching event
//! (1060–1063); it must not count anything else.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use crate::metrics::MetricSet;

/// What became of a due time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Fired,
    Skipped,
    Failed,
    Missed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Fired => "fired",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::Missed => "missed",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Clone)]
pub struct ScheduleMetrics {
    pub schedules: Family<OutcomeLabels, Counter>,
}

impl MetricSet for ScheduleMetrics {
    fn register(registry: &mut Registry) -> Self {
        let schedules = Family::default();
        registry.register(
            "schedule_events",
            "Schedules' due times by what became of them: fired, skipped, failed, missed",
            schedules.clone(),
        );
        ScheduleMetrics { schedules }
    }
}

impl ScheduleMetrics {
    /// Counts `n` due times with `outcome`.
    pub fn count(&self, outcome: Outcome, n: u64) {
        self.schedules
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str().to_string(),
            })
            .inc_by(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;

    #[test]
    fn outcomes_are_counted_under_their_label() {
        let m = Metrics::new();
        let s = m.get::<ScheduleMetrics>();
        s.count(Outcome::Fired, 2);
        s.count(Outcome::Skipped, 1);
        let text = m.encode();
        assert!(
            text.contains("ssisd_schedule_events_total{outcome=\"fired\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("ssisd_schedule_events_total{outcome=\"skipped\"} 1"),
            "{text}"
        );
    }
}
