//! The event log's metrics: events stored, by level (information, warning, error). Counted
//! by the EventLog actor once an event is durable; it must not count anything else.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::ids::Level;
use crate::metrics::MetricSet;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LevelLabels {
    pub level: String,
}

#[derive(Clone)]
pub struct EventMetrics {
    pub events: Family<LevelLabels, Counter>,
}

impl MetricSet for EventMetrics {
    fn register(registry: &mut Registry) -> Self {
        let events = Family::default();
        registry.register(
            "events",
            "Events stored in the service's event log, by level",
            events.clone(),
        );
        EventMetrics { events }
    }
}

impl EventMetrics {
    pub fn stored(&self, level: Level) {
        self.events
            .get_or_create(&LevelLabels {
                level: level.as_str().to_string(),
            })
            .inc();
    }
}
