//! Which records of a run's event stream were already taken, by sequence number: a stream read
//! again (after a restart, or from an engine that delivers a record twice) changes nothing the
//! second time. The runtime numbers records 1, 2, 3… but its writer thread may put them in the
//! file slightly out of order, so this keeps the highest number below which everything was
//! seen plus the numbers seen above it (bounded: past the bound, the oldest gap is given up as
//! records that were dropped). It owns that bookkeeping only.

use std::collections::BTreeSet;

/// Most numbers kept above the contiguous floor.
const KEPT_ABOVE: usize = 4096;

#[derive(Debug, Default)]
pub struct SeenRecords {
    /// Every number up to this one was seen.
    floor: u64,
    above: BTreeSet<u64>,
}

impl SeenRecords {
    /// Whether `seq` is seen for the first time (and marks it seen). Records without a number
    /// (0) are always taken.
    pub fn first_time(&mut self, seq: u64) -> bool {
        if seq == 0 {
            return true;
        }
        if seq <= self.floor || !self.above.insert(seq) {
            return false;
        }
        while self.above.remove(&(self.floor + 1)) {
            self.floor += 1;
        }
        if self.above.len() > KEPT_ABOVE {
            // A gap that never filled: those records were dropped by the runner.
            if let Some(first) = self.above.pop_first() {
                self.floor = first;
                while self.above.remove(&(self.floor + 1)) {
                    self.floor += 1;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_number_is_taken_once_in_any_order() {
        let mut seen = SeenRecords::default();
        assert!(seen.first_time(1));
        assert!(seen.first_time(3));
        assert!(seen.first_time(2));
        assert!(!seen.first_time(3));
        assert!(!seen.first_time(1));
        assert!(seen.first_time(0) && seen.first_time(0));
        assert_eq!(seen.floor, 3);
        // A gap (record 4 dropped) stays bounded.
        for n in 5..(5 + KEPT_ABOVE as u64 + 10) {
            assert!(seen.first_time(n));
        }
        assert!(seen.above.len() <= KEPT_ABOVE);
        assert!(!seen.first_time(5));
    }
}
