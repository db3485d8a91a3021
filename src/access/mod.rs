//! Access control: who a caller is (Unix-socket peer credentials, bearer tokens, TLS client
//! certificates, or unauthenticated loopback when allowed), what its role lets it do, and the
//! pieces that support both — the token file, failed-authentication rate limiting, package
//! ownership, TLS configuration, the data directory's ownership and modes, dropping to the service
//! account, and the dynamic id packages run as under a root service. One concern per file;
//! nothing here knows HTTP routes or how stores keep packages.

pub mod account_switch;
pub mod data_dir;
pub mod dynamic_runner;
pub mod local_user;
pub mod owners;
pub mod rate_limit;
pub mod role;
pub mod tls;
pub mod tokens;

#[cfg(test)]
mod test_support;

pub use role::{
    authorize, may_read_metrics, Denied, Facts, MetricsRefusal, Operation, Principal, Role,
};
