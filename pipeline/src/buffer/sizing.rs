//! How many rows a buffer holds: SSIS's rule of DefaultBufferMaxRows rows unless the estimated
//! row width times that exceeds DefaultBufferSize, in which case fewer rows (never less than
//! one). AutoAdjustBufferSize lets the row count rule alone decide. It must not allocate.

/// The sizing settings of a data flow (defaults as SSIS's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferSizing {
    /// DefaultBufferMaxRows (10000).
    pub max_rows: usize,
    /// DefaultBufferSize in bytes (10485760).
    pub max_bytes: usize,
    /// AutoAdjustBufferSize (false).
    pub auto_adjust: bool,
}

impl Default for BufferSizing {
    fn default() -> Self {
        BufferSizing {
            max_rows: 10_000,
            max_bytes: 10_485_760,
            auto_adjust: false,
        }
    }
}

impl BufferSizing {
    /// Rows per buffer for rows of about `row_width` bytes.
    pub fn rows_for(&self, row_width: usize) -> usize {
        let max_rows = self.max_rows.max(1);
        if self.auto_adjust {
            return max_rows;
        }
        let fit = self.max_bytes / row_width.max(1);
        max_rows.min(fit).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_shrink_to_fit_the_buffer_size() {
        let s = BufferSizing::default();
        assert_eq!(s.rows_for(100), 10_000);
        assert_eq!(s.rows_for(2000), 5242);
        assert_eq!(s.rows_for(100_000_000), 1);
        let auto = BufferSizing {
            auto_adjust: true,
            ..s
        };
        assert_eq!(auto.rows_for(2000), 10_000);
    }
}
