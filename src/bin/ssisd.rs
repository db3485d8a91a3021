//! `ssisd`: the SSIS service. Parses the command line, loads the configuration (refusing a bad
//! file with exit code 2), then runs the service until SIGTERM/SIGINT; SIGHUP reloads.
//! `ssisd token create|list|revoke` manages the bearer tokens of `access.tokens_file`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ssisd::access::{tokens, Role};
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
  ssisd token create --identity etl --role operator   make a bearer token (printed once)
  ssisd token list                        tokens of access.tokens_file (never the secrets)
  ssisd token revoke etl                  revoke by token id or by identity

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

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the bearer tokens remote clients authenticate with.
    Token {
        /// The token file (default: access.tokens_file of the configuration).
        #[arg(long, global = true, value_name = "FILE")]
        tokens_file: Option<PathBuf>,
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token for an identity; the token is printed once and stored only hashed.
    Create {
        #[arg(long)]
        identity: String,
        /// administrator, operator or limited-user.
        #[arg(long)]
        role: String,
    },
    /// List tokens: id, role, created, identity.
    List,
    /// Revoke the token with this id, or every token of this identity.
    Revoke { id_or_identity: String },
}

fn token_command(
    file: Option<&std::path::Path>,
    tokens_file: Option<PathBuf>,
    action: TokenAction,
) -> ExitCode {
    let path = match tokens_file {
        Some(p) => p,
        None => match config::load(file) {
            Ok(cfg) => match cfg.access.tokens_file {
                Some(p) => p,
                None => {
                    eprintln!("ssisd token: no tokens file: set access.tokens_file in the configuration ({}) or pass --tokens-file", cfg.origin);
                    return ExitCode::from(exit::CONFIG as u8);
                }
            },
            Err(e) => {
                eprintln!("ssisd token: configuration error: {e}");
                return ExitCode::from(exit::CONFIG as u8);
            }
        },
    };
    let result = match action {
        TokenAction::Create { identity, role } => {
            let Some(role) = Role::parse(&role) else {
                eprintln!("ssisd token: \"{role}\" is not a role; use administrator, operator or limited-user");
                return ExitCode::from(exit::CONFIG as u8);
            };
            tokens::create(&path, &identity, role).map(|(entry, token)| {
                eprintln!(
                    "token {} for {} ({}) added to {}; it is shown once — give it to the client (SSISD_TOKEN or --token-file):",
                    entry.id,
                    entry.identity,
                    entry.role,
                    path.display()
                );
                println!("{token}");
            })
        }
        TokenAction::List => tokens::list(&path).map(|entries| {
            println!("{:<14} {:<14} {:<26} IDENTITY", "ID", "ROLE", "CREATED");
            for e in entries {
                println!(
                    "{:<14} {:<14} {:<26} {}",
                    e.id,
                    e.role.as_str(),
                    e.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    e.identity
                );
            }
        }),
        TokenAction::Revoke { id_or_identity } => {
            tokens::revoke(&path, &id_or_identity).map(|gone| {
                for e in gone {
                    println!("revoked {} ({}, {})", e.id, e.identity, e.role);
                }
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ssisd token: {e}");
            ExitCode::from(exit::FAILED as u8)
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let file = args.config.filter(|p| !p.as_os_str().is_empty());
    if let Some(Command::Token {
        tokens_file,
        action,
    }) = args.command
    {
        return token_command(file.as_deref(), tokens_file, action);
    }
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
