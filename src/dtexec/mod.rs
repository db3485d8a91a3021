//! The `dtexec` program, binary-only: the sequence of one run (parse, help, refuse what is
//! not implemented, load the `/F` package, validate, print) in `run.rs`, running a valid
//! package in `execute.rs`, announcing a hand-started run to a running service in
//! `register.rs`, private copies of stored packages and the msdb resolver for Execute Package
//! children in `stored.rs`, the `/Sum` tally in `summary.rs`, the turning of a
//! validation report into console messages and stream records in `report.rs`, the event
//! stream opened before loading in `stream.rs`, and the fetch step of a runner started without
//! the service's files (`fetch.rs`). The checks themselves live in
//! `ssisd_engine::validate`; this module must not validate anything itself.

mod execute;
pub mod fetch;
mod register;
mod report;
mod run;
mod stored;
mod stream;
mod summary;

pub use run::run;
