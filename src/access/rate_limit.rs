//! Failed-authentication limiting per peer: after `max_failures` failures within a fixed window
//! (starting at the peer's first failure) the peer is refused for one window. Memory is bounded
//! (at most `MAX_PEERS` peers: expired ones are evicted first, then the least recently seen).
//! Time is passed in, so decisions are pure and testable; this must not know what a peer is
//! (an address, a uid) or how a refusal is reported.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most peers tracked at once.
pub const MAX_PEERS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct PeerState {
    window_start: Instant,
    failures: u32,
    limited_until: Option<Instant>,
    last_seen: Instant,
}

impl PeerState {
    fn fresh(now: Instant) -> PeerState {
        PeerState {
            window_start: now,
            failures: 0,
            limited_until: None,
            last_seen: now,
        }
    }

    /// When nothing about this peer matters any more.
    fn expires(&self, window: Duration) -> Instant {
        let window_end = self.window_start + window;
        match self.limited_until {
            Some(until) if until > window_end => until,
            _ => window_end,
        }
    }
}

/// Counts authentication failures per peer and refuses peers that failed too often.
pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    peers: Mutex<HashMap<String, PeerState>>,
}

impl FailureLimiter {
    /// `max_failures` failures within `window` limit a peer for `window`; 0 never limits.
    pub fn new(max_failures: u32, window: Duration) -> FailureLimiter {
        FailureLimiter {
            max_failures,
            window,
            peers: Mutex::new(HashMap::new()),
        }
    }

    fn peers(&self) -> std::sync::MutexGuard<'_, HashMap<String, PeerState>> {
        self.peers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ok when `peer` may try to authenticate; Err(how long until it may) when limited.
    pub fn check(&self, peer: &str, now: Instant) -> Result<(), Duration> {
        match self.peers().get(peer).and_then(|s| s.limited_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt. True when this failure makes `peer` limited (the count within
    /// the window reached `max_failures`); false otherwise, including while already limited.
    pub fn record_failure(&self, peer: &str, now: Instant) -> bool {
        if self.max_failures == 0 {
            return false;
        }
        let mut peers = self.peers();
        if !peers.contains_key(peer) {
            make_room(&mut peers, now, self.window);
        }
        let state = peers
            .entry(peer.to_string())
            .or_insert_with(|| PeerState::fresh(now));
        state.last_seen = state.last_seen.max(now);
        match state.limited_until {
            Some(until) if until > now => return false,
            Some(_) => *state = PeerState::fresh(now),
            None if now.saturating_duration_since(state.window_start) >= self.window => {
                *state = PeerState::fresh(now)
            }
            None => {}
        }
        state.failures = state.failures.saturating_add(1);
        if state.failures >= self.max_failures {
            state.limited_until = Some(now + self.window);
            return true;
        }
        false
    }

    /// Forgets `peer`'s failures after it authenticated.
    pub fn record_success(&self, peer: &str) {
        self.peers().remove(peer);
    }

    /// How many peers are tracked.
    pub fn tracked(&self) -> usize {
        self.peers().len()
    }
}

/// Makes room for one more peer: drops expired peers, then the least recently seen.
fn make_room(peers: &mut HashMap<String, PeerState>, now: Instant, window: Duration) {
    if peers.len() < MAX_PEERS {
        return;
    }
    peers.retain(|_, s| s.expires(window) > now);
    while peers.len() >= MAX_PEERS {
        let oldest = peers
            .iter()
            .min_by_key(|(_, s)| s.last_seen)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => peers.remove(&k),
            None => break,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn limits_after_max_failures_within_the_window() {
        let limiter = FailureLimiter::new(3, MIN);
        let t0 = Instant::now();
        assert!(limiter.check("10.0.0.1", t0).is_ok());
        assert!(!limiter.record_failure("10.0.0.1", t0));
        assert!(!limiter.record_failure("10.0.0.1", t0 + Duration::from_secs(10)));
        assert!(limiter
            .check("10.0.0.1", t0 + Duration::from_secs(10))
            .is_ok());
        let t3 = t0 + Duration::from_secs(20);
        assert!(limiter.record_failure("10.0.0.1", t3));
        assert_eq!(limiter.check("10.0.0.1", t3), Err(MIN));
        assert_eq!(
            limiter.check("10.0.0.1", t3 + Duration::from_secs(15)),
            Err(Duration::from_secs(45))
        );
        // Other peers are unaffected.
        assert!(limiter.check("10.0.0.2", t3).is_ok());
        // Further failures while limited do not report again nor extend the limit.
        assert!(!limiter.record_failure("10.0.0.1", t3 + Duration::from_secs(30)));
        assert_eq!(
            limiter.check("10.0.0.1", t3 + Duration::from_secs(30)),
            Err(Duration::from_secs(30))
        );
        // After the limit, a fresh window.
        let later = t3 + MIN;
        assert!(limiter.check("10.0.0.1", later).is_ok());
        assert!(!limiter.record_failure("10.0.0.1", later));
        assert!(!limiter.record_failure("10.0.0.1", later));
        assert!(limiter.record_failure("10.0.0.1", later));
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let limiter = FailureLimiter::new(2, MIN);
        let t0 = Instant::now();
        assert!(!limiter.record_failure("p", t0));
        assert!(!limiter.record_failure("p", t0 + MIN));
        assert!(limiter.check("p", t0 + MIN).is_ok());
        assert!(limiter.record_failure("p", t0 + MIN + Duration::from_secs(59)));
    }

    #[test]
    fn success_forgets_failures() {
        let limiter = FailureLimiter::new(2, MIN);
        let t0 = Instant::now();
        assert!(!limiter.record_failure("p", t0));
        limiter.record_success("p");
        assert!(!limiter.record_failure("p", t0));
        assert!(limiter.record_failure("p", t0));
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn zero_never_limits() {
        let limiter = FailureLimiter::new(0, MIN);
        let t0 = Instant::now();
        for _ in 0..100 {
            assert!(!limiter.record_failure("p", t0));
        }
        assert!(limiter.check("p", t0).is_ok());
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn memory_is_bounded_expired_first_then_oldest() {
        let limiter = FailureLimiter::new(1, MIN);
        let t0 = Instant::now();
        // A limited peer seen early, then the table filled with peers seen later.
        assert!(limiter.record_failure("early", t0));
        for i in 1..MAX_PEERS {
            limiter.record_failure(&format!("p{i}"), t0 + Duration::from_millis(i as u64));
        }
        assert_eq!(limiter.tracked(), MAX_PEERS);
        // Nothing has expired: the least recently seen ("early") goes.
        let t1 = t0 + Duration::from_secs(30);
        assert!(limiter.record_failure("new", t1));
        assert_eq!(limiter.tracked(), MAX_PEERS);
        assert!(limiter.check("early", t1).is_ok());
        assert!(limiter.check("p1", t1).is_err());
        // Later still, all but "new" have expired and are dropped together.
        let t2 = t0 + MIN + Duration::from_secs(20);
        assert!(limiter.record_failure("newer", t2));
        assert_eq!(limiter.tracked(), 2);
        assert!(limiter.check("new", t2).is_err());
        assert!(limiter.check("newer", t2).is_err());
    }

    #[test]
    fn limiter_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<FailureLimiter>();
    }
}
