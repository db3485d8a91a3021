//! Process-wide `tracing` set-up: human-readable lines on stderr, or journald when configured
//! (`service.log = "journald"`). `RUST_LOG` overrides the configured level.

use std::io::IsTerminal;

use tracing_subscriber::prelude::*;
use tracing_subscriber::EnvFilter;

use crate::config::LogTarget;

pub fn init(target: LogTarget, level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(format!("{level},actix_server=warn")))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let journald = match target {
        LogTarget::Journald => match tracing_journald::layer() {
            Ok(layer) => Some(layer),
            Err(e) => {
                eprintln!("ssisd: journald is not reachable ({e}); logging to stderr");
                None
            }
        },
        LogTarget::Stderr => None,
    };
    let result = match journald {
        Some(layer) => registry.with(layer).try_init(),
        None => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_target(false)
                    .with_ansi(std::io::stderr().is_terminal())
                    .compact(),
            )
            .try_init(),
    };
    let _ = result;
    std::panic::set_hook(Box::new(|info| {
        tracing::error!("panic: {info}");
    }));
}
