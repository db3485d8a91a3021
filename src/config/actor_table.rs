//! The one place that maps configuration to actors: the table of actor types the service runs,
//! one line per type, in start order within each phase. A type's line brings its children
//! (from the plan) and its own configuration section (`[event_log]`, `[history]`, …: read,
//! checked and printed by `--check-config` through the type's settings). Adding an actor type
//! is its file in `actors/` plus one line here. This file must not hold settings or checks.

use ssisd_actors::child::ActorEntry;
use ssisd_actors::event_log::EventLog;
use ssisd_actors::history::History;
use ssisd_actors::scheduler::Scheduler;
use ssisd_actors::store::StoreActor;

/// Every actor type of the service.
pub const ACTORS: &[ActorEntry] = &[
    ActorEntry::of::<EventLog>(),
    ActorEntry::of::<History>(),
    ActorEntry::of::<StoreActor>(),
    ActorEntry::of::<Scheduler>(),
];
