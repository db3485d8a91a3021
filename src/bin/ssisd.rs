//! `ssisd`: the SSIS service. Parses the command line, loads the configuration (refusing a bad
//! file with exit code 2), then runs the service until SIGTERM/SIGINT; SIGHUP reloads.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ssisd::config;
use ssisd::service::{self, exit, ConfigSource};

/// The SSIS service for Linux: manages stored and running SSIS packages.
#[derive(Parser)]
#[command(
    version,
    about,
    after_help = "\
Examples:
  ssisd                                   run on the embedded default (no file)
  ssisd --config /etc/ssisd/ssisd.toml    run with a TOML configuration
  ssisd --config MsDtsSrvr.ini.xml        run with a classic SSIS service configuration
  ssisd --check-config --config FILE      print the effective configuration, or the error

Environment: SSISD_CONFIG names the file; SSISD_<SECTION>__<KEY> overrides a key,
e.g. SSISD_SERVICE__LISTEN=127.0.0.1:9000. Signals: TERM/INT stop, HUP reloads."
)]
struct Args {
    /// Configuration file: ssisd TOML or MsDtsSrvr.ini.xml.
    #[arg(long, short = 'c', env = "SSISD_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    /// Print the effective configuration and exit (0), or name what is wrong (exit 2).
    #[arg(long)]
    check_config: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let file = args.config.filter(|p| !p.as_os_str().is_empty());
    let cfg = match config::load(file.as_deref()) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("ssisd: configuration error: {e}");
            if !args.check_config {
                let data_dir = std::env::var_os("SSISD_SERVICE__DATA_DIR")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .unwrap_or_else(config::paths::default_data_dir);
                service::record_start_refusal(&data_dir, &e);
            }
            return ExitCode::from(exit::CONFIG as u8);
        }
    };
    if args.check_config {
        print!("{}", cfg.to_toml());
        return ExitCode::SUCCESS;
    }
    ssisd::logging::init(cfg.log, &cfg.log_level);
    for w in &cfg.warnings {
        tracing::warn!("configuration: {w}");
    }
    match service::run(cfg, ConfigSource { file }) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("ssisd: {e:#}");
            ExitCode::from(exit::FAILED as u8)
        }
    }
}
