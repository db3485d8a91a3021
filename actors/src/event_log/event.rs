//! What an event is: the record as stored and served ([`Event`]), the record as written by a
//! producer ([`NewEvent`]), and a query over stored events ([`EventQuery`]). Plain data only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ids::{EventId, Level};

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Monotonic, never reused (also after retention removed older events).
    pub id: i64,
    pub time: DateTime<Utc>,
    pub level: Level,
    pub source: String,
    pub event_id: u32,
    pub message: String,
    pub fields: Map<String, Value>,
}

/// An event before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub level: Level,
    pub source: &'static str,
    pub event_id: u32,
    pub message: String,
    pub fields: Map<String, Value>,
}

impl NewEvent {
    pub fn new(id: EventId, message: impl Into<String>) -> Self {
        NewEvent {
            level: id.level(),
            source: id.source(),
            event_id: id.code(),
            message: message.into(),
            fields: Map::new(),
        }
    }

    pub fn field(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(key.to_string(), value.into());
        self
    }
}

/// A filter over stored events. Newest first unless `oldest_first`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventQuery {
    /// Only events with an id greater than this.
    pub after_id: Option<i64>,
    /// Only events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only these levels (all when empty).
    pub levels: Vec<Level>,
    /// Only these sources (all when empty).
    pub sources: Vec<String>,
    /// Only these numeric event ids (all when empty).
    pub event_ids: Vec<u32>,
    pub limit: usize,
    pub oldest_first: bool,
}
