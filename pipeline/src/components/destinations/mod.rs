//! Destination components (no outputs but error outputs): one directory each.

pub mod flat_file;
pub mod raw_file;
pub mod trash;
