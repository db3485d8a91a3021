//! Source components (no inputs): one directory each.

pub mod flat_file;
pub mod raw_file;
