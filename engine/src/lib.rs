//! The package engine: everything about an SSIS package that needs no service — reading `.dtsx`
//! files of every format into one model, projects of the project deployment model (folders,
//! `.dtproj`, `.ispac`) applied to their packages, the SSIS expression language, and `dtexec`'s
//! command line. Running a package is the `ssisd-runtime` crate above this one. It must not know about
//! actors, HTTP, where packages are stored, or how a package runs.
pub mod cli;
pub mod expr;
pub mod header;
pub mod load;
pub mod model;
pub mod project;
pub mod protection;
pub mod run_protocol;
pub mod types;
pub mod validate;
pub mod xml_limits;
pub use load::{load_dtsconfig, load_package, load_package_file, LoadError, LoadOptions};
