//! Erlang/OTP supervision rules that actix does not give by itself: restart types, restart
//! intensity per period, back-off between restarts, and [`ExitWatch`] — the guard each child
//! carries so that its supervisor hears of its end however it ends (asked to stop, failed, or
//! panicked in a handler: the actor is then dropped without a clean stop, and the guard reports
//! it as a crash). This module holds the rules only; which children exist is the supervisor's.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix::prelude::*;

/// When a child that ended is started again (OTP's restart types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartType {
    /// Always restarted (Store, EventLog).
    Permanent,
    /// Restarted only after an abnormal end.
    Transient,
    /// Never restarted; its end is a result (Package actors).
    Temporary,
}

/// At most `max_restarts` restarts within `period`; one more and the child is marked failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intensity {
    pub max_restarts: u32,
    pub period: Duration,
}

/// Delay before restart number `n` (1-based): `initial * 2^(n-1)`, capped at `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    pub fn delay(&self, restart: u32) -> Duration {
        let factor = 1u32
            .checked_shl(restart.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// The restarts of one child within the current period.
#[derive(Debug, Default, Clone)]
pub struct RestartHistory {
    times: VecDeque<Instant>,
}

impl RestartHistory {
    /// Records a restart at `now`. Returns the number of restarts in the period including this
    /// one, or `None` when that exceeds the intensity (the child must be marked failed).
    pub fn record(&mut self, now: Instant, intensity: Intensity) -> Option<u32> {
        while let Some(&t) = self.times.front() {
            if now.duration_since(t) > intensity.period {
                self.times.pop_front();
            } else {
                break;
            }
        }
        self.times.push_back(now);
        let n = self.times.len() as u32;
        (n <= intensity.max_restarts).then_some(n)
    }

    pub fn clear(&mut self) {
        self.times.clear();
    }
}

/// How a child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitReason {
    /// Its supervisor asked it to stop.
    Requested,
    /// It finished its work normally (a temporary child's result).
    Normal,
    /// It detected a failure and stopped itself.
    Failed(String),
    /// It was dropped without stopping cleanly: a panic in a handler or a dead arbiter.
    Crashed,
}

/// Sent to the supervisor when a child ends.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct ChildExited {
    pub key: String,
    pub generation: u64,
    pub reason: ExitReason,
}

/// Carried by every supervised child; reports the child's end when dropped.
pub struct ExitWatch {
    key: String,
    generation: u64,
    to: Option<Recipient<ChildExited>>,
    reason: ExitReason,
}

impl ExitWatch {
    pub fn new(key: impl Into<String>, generation: u64, to: Recipient<ChildExited>) -> Self {
        ExitWatch {
            key: key.into(),
            generation,
            to: Some(to),
            reason: ExitReason::Crashed,
        }
    }

    /// A watch that reports to nobody (for children run outside a supervisor, e.g. in tests).
    pub fn detached(key: impl Into<String>) -> Self {
        ExitWatch {
            key: key.into(),
            generation: 0,
            to: None,
            reason: ExitReason::Crashed,
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The child is stopping because it was asked to.
    pub fn requested(&mut self) {
        self.reason = ExitReason::Requested;
    }

    /// The child is stopping because its work is done.
    pub fn normal(&mut self) {
        self.reason = ExitReason::Normal;
    }

    /// The child is stopping because of `why`.
    pub fn failed(&mut self, why: impl Into<String>) {
        self.reason = ExitReason::Failed(why.into());
    }
}

impl Drop for ExitWatch {
    fn drop(&mut self) {
        if let Some(to) = self.to.take() {
            to.do_send(ChildExited {
                key: std::mem::take(&mut self.key),
                generation: self.generation,
                reason: self.reason.clone(),
            });
        }
    }
}

/// Asks a child to stop; answered once it has recorded the request (it stops right after).
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct StopChild;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intensity_counts_restarts_within_the_period() {
        let intensity = Intensity {
            max_restarts: 2,
            period: Duration::from_secs(5),
        };
        let mut h = RestartHistory::default();
        let t0 = Instant::now();
        assert_eq!(h.record(t0, intensity), Some(1));
        assert_eq!(h.record(t0 + Duration::from_secs(1), intensity), Some(2));
        assert_eq!(h.record(t0 + Duration::from_secs(2), intensity), None);
        let mut h = RestartHistory::default();
        assert_eq!(h.record(t0, intensity), Some(1));
        assert_eq!(h.record(t0 + Duration::from_secs(6), intensity), Some(1));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        assert_eq!(b.delay(1), Duration::from_millis(100));
        assert_eq!(b.delay(2), Duration::from_millis(200));
        assert_eq!(b.delay(4), Duration::from_millis(800));
        assert_eq!(b.delay(5), Duration::from_millis(1000));
        assert_eq!(b.delay(64), Duration::from_millis(1000));
    }
}
