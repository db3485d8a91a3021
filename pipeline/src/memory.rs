//! The memory budget of one data flow (default 256 MiB): every buffer in flight between threads
//! holds a [`Reservation`] against it, and a producer whose next buffer would pass the budget
//! waits until downstream frees memory — back-pressure by bytes on top of the bounded channels.
//! Blocking components (Sort, Aggregate) ask with [`MemoryBudget::try_reserve_held`] and spill
//! to the [`MemoryBudget::spill_dirs`] (BufferTempStoragePath, else the system temp directory)
//! when refused (`spill.rs` writes the files). Rows a component holds may take at most
//! [`HELD_SHARE`] of the budget, so that buffers in flight always find room: a producer
//! waiting for memory that only a blocked consumer could free would never wake. It owns the
//! accounting only; it must not allocate buffers or write files.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Default budget per data flow.
pub const DEFAULT_BUDGET: usize = 256 * 1024 * 1024;

/// The share of the budget (in quarters) that rows held by blocking components may take.
pub const HELD_SHARE: usize = 3;

#[derive(Debug)]
struct State {
    used: usize,
    peak: usize,
}

/// The budget shared by the threads of one data flow.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: usize,
    state: Mutex<State>,
    freed: Condvar,
    spill_dirs: Vec<PathBuf>,
    waits: AtomicUsize,
}

/// Bytes held against a budget; released on drop.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<MemoryBudget>,
    bytes: usize,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.release(self.bytes);
    }
}

impl Reservation {
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl MemoryBudget {
    /// A budget of `limit` bytes; `temp` is BufferTempStoragePath (`;`-separated, empty = the
    /// system temp directory).
    pub fn new(limit: usize, temp: &str) -> Arc<MemoryBudget> {
        let mut spill_dirs: Vec<PathBuf> = temp
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect();
        if spill_dirs.is_empty() {
            spill_dirs.push(std::env::temp_dir());
        }
        Arc::new(MemoryBudget {
            limit: limit.max(1),
            state: Mutex::new(State { used: 0, peak: 0 }),
            freed: Condvar::new(),
            spill_dirs,
            waits: AtomicUsize::new(0),
        })
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes reserved now.
    pub fn used(&self) -> usize {
        self.state.lock().map(|s| s.used).unwrap_or(0)
    }

    /// The most ever reserved at once.
    pub fn peak(&self) -> usize {
        self.state.lock().map(|s| s.peak).unwrap_or(0)
    }

    /// How many times a producer had to wait for memory.
    pub fn waits(&self) -> usize {
        self.waits.load(Ordering::Relaxed)
    }

    /// Where blocking components spill.
    pub fn spill_dirs(&self) -> &[PathBuf] {
        &self.spill_dirs
    }

    /// Reserves `bytes` if the budget allows it now (for components that can spill instead).
    pub fn try_reserve(self: &Arc<Self>, bytes: usize) -> Option<Reservation> {
        let mut s = self.state.lock().ok()?;
        if s.used + bytes > self.limit && s.used > 0 {
            return None;
        }
        s.used += bytes;
        s.peak = s.peak.max(s.used);
        Some(Reservation {
            budget: self.clone(),
            bytes,
        })
    }

    /// Reserves `bytes` for rows a blocking component holds, if the held share of the budget
    /// ([`HELD_SHARE`] quarters, counting everything reserved) allows it now; `None` means
    /// spill. Unlike [`MemoryBudget::try_reserve`] it refuses even when nothing is reserved, so
    /// that a component asks again after spilling what it held.
    pub fn try_reserve_held(self: &Arc<Self>, bytes: usize) -> Option<Reservation> {
        let mut s = self.state.lock().ok()?;
        if s.used + bytes > self.limit / 4 * HELD_SHARE {
            return None;
        }
        s.used += bytes;
        s.peak = s.peak.max(s.used);
        Some(Reservation {
            budget: self.clone(),
            bytes,
        })
    }

    /// Reserves `bytes`, waiting while the budget is exhausted — unless nothing is reserved
    /// (a single buffer larger than the budget must still flow) or `stop` is set.
    pub fn reserve(self: &Arc<Self>, bytes: usize, stop: &AtomicBool) -> Reservation {
        let mut waited = false;
        let mut s = match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        while s.used > 0 && s.used + bytes > self.limit && !stop.load(Ordering::Relaxed) {
            waited = true;
            s = match self.freed.wait_timeout(s, Duration::from_millis(50)) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        if waited {
            self.waits.fetch_add(1, Ordering::Relaxed);
        }
        s.used += bytes;
        s.peak = s.peak.max(s.used);
        Reservation {
            budget: self.clone(),
            bytes,
        }
    }

    fn release(&self, bytes: usize) {
        if let Ok(mut s) = self.state.lock() {
            s.used = s.used.saturating_sub(bytes);
        }
        self.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_count_and_release() {
        let b = MemoryBudget::new(100, "");
        let stop = AtomicBool::new(false);
        let r1 = b.reserve(60, &stop);
        assert!(b.try_reserve(50).is_none());
        let r2 = b.try_reserve(40).expect("fits");
        assert_eq!(b.used(), 100);
        drop(r1);
        drop(r2);
        assert_eq!(b.used(), 0);
        assert_eq!(b.peak(), 100);
        // A buffer bigger than the whole budget still flows when nothing else is held.
        let big = b.reserve(1000, &stop);
        assert_eq!(big.bytes(), 1000);
        assert_eq!(b.spill_dirs(), &[std::env::temp_dir()]);
    }

    #[test]
    fn held_rows_leave_a_quarter_for_buffers_in_flight() {
        let b = MemoryBudget::new(100, "");
        let held = b.try_reserve_held(70).expect("fits in three quarters");
        assert!(b.try_reserve_held(10).is_none());
        drop(held);
        assert!(b.try_reserve_held(76).is_none());
        assert!(b.try_reserve(25).is_some());
    }

    #[test]
    fn a_waiting_producer_resumes_when_memory_is_freed() {
        let b = MemoryBudget::new(100, "/a;/b");
        assert_eq!(b.spill_dirs().len(), 2);
        let stop = Arc::new(AtomicBool::new(false));
        let held = b.reserve(90, &stop);
        let b2 = b.clone();
        let s2 = stop.clone();
        let t = std::thread::spawn(move || b2.reserve(50, &s2).bytes());
        std::thread::sleep(Duration::from_millis(100));
        drop(held);
        assert_eq!(t.join().expect("joins"), 50);
        assert_eq!(b.waits(), 1);
    }
}
