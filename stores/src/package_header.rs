//! The package header reader lives in the engine (`ssisd_engine::header`), beside the loader
//! whose decoder and protection levels it shares; stores use it through this re-export.

pub use ssisd_engine::header::{read_package_header, HeaderError, PackageHeader, ProtectionLevel};
