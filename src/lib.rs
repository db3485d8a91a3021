//! The `ssisd` service as a library for its binaries and tests: configuration loading, the
//! instance lock, signals, the management HTTP API, and the wiring that runs them with the
//! actors. The actors live in `actors/`, package stores in `stores/`, packages in `engine/`.

pub mod access;
pub mod api;
pub mod client;
pub mod config;
pub mod console;
pub mod ctl;
pub mod dtutil;
pub mod import_protection;
pub mod instance_lock;
pub mod listeners;
pub mod logging;
pub mod package_password;
pub mod package_source;
pub mod service;
pub mod signals;
pub mod systemd_notify;
