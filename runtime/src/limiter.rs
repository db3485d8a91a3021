//! MaxConcurrentExecutables: a counting semaphore that tasks take a slot of while they run
//! (containers do not, so nested containers can never starve their own children). Waiting
//! gives up when the run is cancelled. It owns the counting only.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::cancel::CancelToken;

#[derive(Debug)]
pub struct Limiter {
    capacity: usize,
    used: Mutex<usize>,
    freed: Condvar,
}

/// A held slot; dropping it frees the slot.
pub struct Slot<'a>(&'a Limiter);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut u) = self.0.used.lock() {
            *u = u.saturating_sub(1);
        }
        self.0.freed.notify_one();
    }
}

impl Limiter {
    pub fn new(capacity: usize) -> Limiter {
        Limiter {
            capacity: capacity.max(1),
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Takes a slot, or `None` if the run is cancelled while waiting.
    pub fn acquire(&self, cancel: &CancelToken) -> Option<Slot<'_>> {
        let mut used = match self.used.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        loop {
            if cancel.is_cancelled() {
                return None;
            }
            if *used < self.capacity {
                *used += 1;
                return Some(Slot(self));
            }
            used = match self.freed.wait_timeout(used, Duration::from_millis(20)) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }
}

/// The effective MaxConcurrentExecutables: `/M` first, then the package's; -1 (or 0) means
/// the number of processors plus two.
pub fn effective(option: Option<i32>, package: i32) -> usize {
    let v = option.unwrap_or(package);
    if v > 0 {
        v as usize
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            + 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_defaults() {
        let l = Limiter::new(1);
        let c = CancelToken::new();
        let s = l.acquire(&c);
        assert!(s.is_some());
        c.cancel();
        assert!(l.acquire(&c).is_none());
        drop(s);
        assert_eq!(effective(Some(4), -1), 4);
        assert!(effective(None, -1) >= 3);
    }
}
