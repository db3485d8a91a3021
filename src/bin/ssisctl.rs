//! `ssisctl`: manage an ssisd service from the command line — the counterpart of connecting to
//! "Integration Services" in Management Studio. Parses arguments (where the service is, which
//! credentials to use) and dispatches to `ssisd::ctl`; it must not talk HTTP or format results
//! itself.
#![allow(unsafe_code)] // restoring SIGPIPE's default disposition (signal(2)) has no safe interface.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use ssisd::client::{Client, ClientError, CredentialOptions, Credentials};
use ssisd::ctl::commands::{self, EventFilter};
use ssisd::ctl::output::Output;

/// Manage stored packages, folders and the event log of an ssisd service.
#[derive(Parser)]
#[command(
    version,
    about,
    after_help = "\
Paths are written as in SSIS (\\MSDB\\Sales\\Load) or with slashes (MSDB/Sales/Load); the first
name is a top-level folder.

Where the service is (--server):
  (nothing), ., (local), localhost, this computer's name
                          the local service's Unix socket (from ssisd.json in the runtime
                          directory), else the TCP address it published
  localhost:PORT          plain HTTP to 127.0.0.1:PORT
  NAME[:PORT]             another computer, over TLS (port 10135 by default)
  http://HOST[:PORT]      plain HTTP (the service accepts it on loopback only)
  https://HOST[:PORT]     TLS
  unix:/path/ssisd.sock   that Unix socket

Credentials: over the Unix socket the service knows you by your account. Over TCP it needs a
token (SSISD_TOKEN, or --token-file / SSISD_TOKEN_FILE; tokens are created on the service's
computer with `ssisd token create`) or a TLS client certificate (--client-cert, --client-key).
The token comes from --token-file, else SSISD_TOKEN, else SSISD_TOKEN_FILE. A service whose
certificate is not signed by a system-trusted authority needs --ca-file.

Examples:
  ssisctl status
  ssisctl whoami
  ssisctl --server dbhost ls -R \"File System\"
  SSISD_TOKEN_FILE=~/.config/ssisd/token ssisctl --server dbhost status
  ssisctl import Load.dtsx \"File System/Sales\"
  ssisctl cp \"\\File System\\Sales\\Load\" \"\\MSDB\\Sales\\Load\"
  ssisctl events --follow --level error

Exit codes: 0 done, 1 failed, 2 refused (bad path, not found, conflict, missing or refused
credentials, not permitted), 69 service not running, 70 incompatible versions."
)]
struct Cli {
    /// The service: NAME[:PORT], http://HOST[:PORT], https://HOST[:PORT] or unix:PATH
    /// (default: this computer's service).
    #[arg(long, short = 'S', global = true, env = "SSISCTL_SERVER")]
    server: Option<String>,
    /// A file whose first line is the bearer token (mode 600) [env: SSISD_TOKEN_FILE]; the
    /// token text itself may be given in SSISD_TOKEN instead.
    #[arg(long, global = true, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// The CA certificate (PEM) to trust the service's certificate by, instead of the system's
    /// [env: SSISD_CA_FILE].
    #[arg(long, global = true, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// A TLS client certificate (PEM) to prove who you are [env: SSISD_CLIENT_CERT].
    #[arg(long, global = true, value_name = "FILE")]
    client_cert: Option<PathBuf>,
    /// The private key (PEM) of --client-cert [env: SSISD_CLIENT_KEY].
    #[arg(long, global = true, value_name = "FILE")]
    client_key: Option<PathBuf>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Version, uptime and the health of each top-level folder.
    #[command(after_help = "Example: ssisctl status")]
    Status,
    /// Who the service takes you for: identity, role, and how you were recognised.
    #[command(
        after_help = "Examples:\n  ssisctl whoami\n  ssisctl --server dbhost --token-file ~/.config/ssisd/token whoami"
    )]
    Whoami,
    /// The top-level folders and their health.
    #[command(after_help = "Example: ssisctl folders --json")]
    Folders,
    /// List a folder (no path: the top-level folders).
    #[command(
        after_help = "Examples:\n  ssisctl ls \"File System\"\n  ssisctl ls -R \\\\MSDB\n  ssisctl ls \"File System/Big\" --limit 100\n  ssisctl --json ls \"File System/Big\" --fields size,modified"
    )]
    Ls {
        path: Option<String>,
        /// Also list every subfolder.
        #[arg(short = 'R', long)]
        recursive: bool,
        /// Show at most this many entries per folder (folders first); prints how to go on.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        limit: Option<u32>,
        /// Go on where a --limit listing stopped (the cursor it printed).
        #[arg(long, requires = "limit")]
        cursor: Option<String>,
        /// Package fields to ask for, comma-separated (with --json; see the API reference).
        #[arg(long)]
        fields: Option<String>,
    },
    /// Create a folder.
    #[command(after_help = "Example: ssisctl mkdir -p \"File System/Sales/2026\"")]
    Mkdir {
        path: String,
        /// Create missing parents too.
        #[arg(short, long)]
        parents: bool,
    },
    /// Delete a folder.
    #[command(after_help = "Example: ssisctl rmdir -r \"File System/Old\"")]
    Rmdir {
        path: String,
        /// Delete its content too.
        #[arg(short, long)]
        recursive: bool,
    },
    /// Rename a folder or package, or move a package to another folder.
    #[command(
        after_help = "Examples:\n  ssisctl mv \"File System/Load\" \"File System/Load Customers\"\n  ssisctl mv \"File System/Load\" \"MSDB/Archive/Load\""
    )]
    Mv {
        from: String,
        to: String,
        /// Replace a package of that name.
        #[arg(long)]
        overwrite: bool,
    },
    /// Delete a package.
    #[command(after_help = "Example: ssisctl rm \"File System/Sales/Load\"")]
    Rm { path: String },
    /// Import a .dtsx file, or deploy a project — an .ispac, or a Visual Studio project folder
    /// (or its .dtproj), packed into an .ispac — into a folder under its own name, or under the
    /// name given.
    #[command(
        after_help = "Examples:\n  ssisctl import Load.dtsx \"File System/Sales\"\n  ssisctl import Load.dtsx \"File System/Sales/Nightly Load\" --overwrite\n  SSIS_PACKAGE_DECRYPT=pw ssisctl import Locked.dtsx \"File System/Sales\" --decrypt\n  ssisctl import Locked.dtsx MSDB/Sales --decrypt --protection-level ServerStorage\n  ssisctl import bin/Development/Sales.ispac \"File System/ETL\"\n  ssisctl import ./Sales \"File System/ETL\"   # the project folder as kept in git\n\nPasswords are never given on the command line: --decrypt reads SSIS_PACKAGE_DECRYPT or asks\non the terminal, and the password of levels 2 and 3 is SSISD_NEW_PACKAGE_PASSWORD, else asked\nfor (else the package password)."
    )]
    Import {
        file: PathBuf,
        path: String,
        #[arg(long)]
        overwrite: bool,
        /// The package is protected with a password: send it (from SSIS_PACKAGE_DECRYPT or a
        /// prompt) so the service checks it opens the package, or opens it for
        /// --protection-level.
        #[arg(long)]
        decrypt: bool,
        /// Store the package with this protection level instead of byte for byte: 0 or
        /// DontSaveSensitive, 2 or EncryptSensitiveWithPassword, 3 or EncryptAllWithPassword,
        /// 5 or ServerStorage (msdb folders only).
        #[arg(long, value_name = "LEVEL")]
        protection_level: Option<String>,
    },
    /// Export a package, byte for byte (to FILE, a directory, or standard output).
    #[command(after_help = "Example: ssisctl export \"File System/Sales/Load\" Load.dtsx")]
    Export { path: String, file: Option<PathBuf> },
    /// Copy a package between any two folders.
    #[command(after_help = "Example: ssisctl cp \"File System/Load\" \"MSDB/Load\"")]
    Cp {
        from: String,
        to: String,
        #[arg(long)]
        overwrite: bool,
    },
    /// Run a stored package through the service — or, with --project, a package of a
    /// deployed project; --wait follows it and exits with dtexec's code (0 success, 1 failure,
    /// 3 cancelled).
    #[command(
        after_help = "Examples:\n  ssisctl run \"File System/Sales/Load\" --set '\\Package.Variables[User::Day].Value;3'\n  ssisctl run \"MSDB/Nightly\" --wait\n  ssisctl run --project \"File System/ETL/Sales\" Master --par '$Project::ApiKey;s3cret' --wait\n  ssisctl run \"File System/Sales/Load\" --on cluster --wait"
    )]
    Run {
        /// The stored package, or with --project the package's name in the project.
        path: String,
        /// A deployed project (`File System/ETL/Sales`) whose package PATH names.
        #[arg(long)]
        project: Option<String>,
        #[arg(long)]
        set: Vec<String>,
        /// A parameter value, as dtexec's /Par takes it (`$Project::Name;value`); passed to
        /// the run privately, never shown.
        #[arg(long = "par")]
        parameters: Vec<String>,
        /// The executor to run it on, as the service's [[executor]] entries name them (such as
        /// a Slurm cluster); default: local.
        #[arg(long = "on", value_name = "NAME")]
        executor: Option<String>,
        #[arg(long)]
        wait: bool,
    },
    /// List running packages.
    Running,
    /// Stop a running package by its execution id.
    Stop { id: String },
    /// The execution history, newest first: every run, or those of the package PATH.
    #[command(
        after_help = "Examples:\n  ssisctl history\n  ssisctl history 'File System/Sales/Load' --status failed --limit 10"
    )]
    History {
        /// A stored package (`File System/Sales/Load`), or the end of its path.
        path: Option<String>,
        /// Only this status (succeeded, failed, canceled, running, ended unexpectedly, …).
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One execution of the history: its status, a per-task duration table and its messages.
    Show { id: String },
    /// Every schedule: when it runs, its next and last run, its runs going now.
    #[command(after_help = "Example: ssisctl schedules")]
    Schedules,
    /// Add, remove, enable, disable or run a schedule.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Show the event log, newest last; --follow keeps printing new events.
    #[command(
        after_help = "Examples:\n  ssisctl events --level error,warning --limit 50\n  ssisctl events --since 2026-11-24T08:00:00Z --source SQLISService\n  ssisctl events --follow"
    )]
    Events {
        #[arg(long, short)]
        follow: bool,
        /// information, warning, error (comma-separated).
        #[arg(long)]
        level: Option<String>,
        /// An event id (events after it) or an RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        source: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Reload the service's configuration (as SIGHUP does).
    #[command(after_help = "Example: ssisctl reload")]
    Reload,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Example: ssisctl completions bash > /etc/bash_completion.d/ssisctl")]
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
enum ScheduleCommand {
    /// Create a schedule that runs the stored package PATH: a cron expression, a systemd
    /// calendar event, or a
    /// frequency (once, daily, weekly, monthly) at a time or every period.
    #[command(
        after_help = "Examples:\n  ssisctl schedule add nightly 'File System/ETL/Load' --cron '0 3 * * *' --time-zone Europe/Berlin\n  ssisctl schedule add office 'File System/ETL/Load' --frequency weekly --days mon,fri --every 15m --from 08:00 --until 18:00\n  ssisctl schedule add month-end 'File System/ETL/Close' --frequency monthly --day-of-month 31 --at 23:00"
    )]
    Add(Box<AddSchedule>),
    /// Delete a schedule made through the API.
    Rm { name: String },
    /// Let a schedule fire again.
    Enable { name: String },
    /// Keep a schedule from firing (it can still be run by hand).
    Disable { name: String },
    /// Run a schedule's package now.
    Run { name: String },
}

#[derive(clap::Args)]
struct AddSchedule {
    name: String,
    path: String,
    /// 5 fields (minute hour day month weekday), or 6 with seconds first.
    #[arg(long)]
    cron: Option<String>,
    /// A systemd calendar event (`Mon..Fri *-*-* 08:00`, `hourly`).
    #[arg(long)]
    calendar: Option<String>,
    /// once, daily, weekly or monthly.
    #[arg(long)]
    frequency: Option<String>,
    /// Time of day, HH:MM[:SS].
    #[arg(long)]
    at: Option<String>,
    /// Repeat every period during the day (15m, 2h, 30s).
    #[arg(long)]
    every: Option<String>,
    #[arg(long)]
    from: Option<String>,
    #[arg(long)]
    until: Option<String>,
    /// For --frequency once: YYYY-MM-DD.
    #[arg(long)]
    date: Option<String>,
    /// For --frequency weekly: mon,tue,…
    #[arg(long, value_delimiter = ',')]
    days: Vec<String>,
    #[arg(long)]
    day_of_month: Option<u32>,
    /// Every N days, weeks or months.
    #[arg(long)]
    interval: Option<u32>,
    #[arg(long)]
    start_date: Option<String>,
    #[arg(long)]
    end_date: Option<String>,
    /// An IANA time zone (Europe/Berlin); default the service's.
    #[arg(long)]
    time_zone: Option<String>,
    /// A /Set value for each run (repeatable).
    #[arg(long)]
    set: Vec<String>,
    #[arg(long)]
    max_active: Option<u32>,
    /// none, last or all.
    #[arg(long)]
    catch_up: Option<String>,
    #[arg(long)]
    retry_attempts: Option<u32>,
    /// Seconds between attempts.
    #[arg(long)]
    retry_interval: Option<u64>,
    /// Create it disabled.
    #[arg(long)]
    disabled: bool,
}

/// The API body of `schedule add`.
fn schedule_body(add: AddSchedule) -> serde_json::Value {
    let AddSchedule {
        name,
        path,
        cron,
        calendar,
        frequency,
        at,
        every,
        from,
        until,
        date,
        days,
        day_of_month,
        interval,
        start_date,
        end_date,
        time_zone,
        set,
        max_active,
        catch_up,
        retry_attempts,
        retry_interval,
        disabled,
    } = add;
    let mut body = serde_json::json!({ "name": name, "package": path });
    let fields = [
        ("cron", cron.map(serde_json::Value::from)),
        ("calendar", calendar.map(serde_json::Value::from)),
        ("frequency", frequency.map(serde_json::Value::from)),
        ("at", at.map(serde_json::Value::from)),
        ("every", every.map(serde_json::Value::from)),
        ("from", from.map(serde_json::Value::from)),
        ("until", until.map(serde_json::Value::from)),
        ("date", date.map(serde_json::Value::from)),
        ("day_of_month", day_of_month.map(serde_json::Value::from)),
        ("interval", interval.map(serde_json::Value::from)),
        ("start_date", start_date.map(serde_json::Value::from)),
        ("end_date", end_date.map(serde_json::Value::from)),
        ("time_zone", time_zone.map(serde_json::Value::from)),
        ("max_active", max_active.map(serde_json::Value::from)),
        ("catch_up", catch_up.map(serde_json::Value::from)),
        (
            "retry_attempts",
            retry_attempts.map(serde_json::Value::from),
        ),
        (
            "retry_interval",
            retry_interval.map(serde_json::Value::from),
        ),
        (
            "days",
            (!days.is_empty()).then(|| serde_json::Value::from(days)),
        ),
        (
            "set",
            (!set.is_empty()).then(|| serde_json::Value::from(set)),
        ),
        (
            "enabled",
            disabled.then_some(serde_json::Value::Bool(false)),
        ),
    ];
    for (key, value) in fields {
        if let Some(v) = value {
            body[key] = v;
        }
    }
    body
}

fn run(cli: Cli) -> Result<u8, ClientError> {
    let out = Output::new(cli.json);
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(
            shell,
            &mut Cli::command(),
            "ssisctl",
            &mut std::io::stdout(),
        );
        return Ok(0);
    }
    let credentials = Credentials::gather(&CredentialOptions {
        token_file: cli.token_file,
        ca_file: cli.ca_file,
        client_cert: cli.client_cert,
        client_key: cli.client_key,
    })?;
    let c = Client::connect_with(cli.server.as_deref(), &credentials)?;
    let done = match cli.command {
        Command::Status => commands::status(&c, &out),
        Command::Whoami => commands::whoami(&c, &out),
        Command::Folders => commands::folders(&c, &out),
        Command::Ls {
            path,
            recursive,
            limit,
            cursor,
            fields,
        } => commands::ls(
            &c,
            &out,
            path.as_deref(),
            recursive,
            &commands::Paging {
                limit: limit.map(|n| n as usize),
                cursor,
                fields,
            },
        ),
        Command::Mkdir { path, parents } => commands::mkdir(&c, &out, &path, parents),
        Command::Rmdir { path, recursive } => commands::rmdir(&c, &out, &path, recursive),
        Command::Mv {
            from,
            to,
            overwrite,
        } => commands::mv(&c, &out, &from, &to, overwrite),
        Command::Rm { path } => commands::rm(&c, &out, &path),
        Command::Import {
            file,
            path,
            overwrite,
            decrypt,
            protection_level,
        } => commands::import(&c, &out, &file, &path, overwrite, decrypt, protection_level),
        Command::Export { path, file } => commands::export(&c, &out, &path, file.as_deref()),
        Command::Cp {
            from,
            to,
            overwrite,
        } => commands::cp(&c, &out, &from, &to, overwrite),
        Command::Run {
            path,
            project,
            set,
            parameters,
            executor,
            wait,
        } => {
            let request = commands::RunRequest {
                package: &path,
                project: project.as_deref(),
                sets: &set,
                parameters: &parameters,
                executor: executor.as_deref(),
            };
            return commands::run(&c, &out, &request, wait);
        }
        Command::Running => commands::running(&c, &out),
        Command::Stop { id } => commands::stop(&c, &out, &id),
        Command::History {
            path,
            status,
            limit,
        } => ssisd::ctl::history::history(&c, &out, path.as_deref(), status.as_deref(), limit),
        Command::Show { id } => ssisd::ctl::history::show(&c, &out, &id),
        Command::Schedules => ssisd::ctl::schedules::list(&c, &out),
        Command::Schedule(command) => match command {
            ScheduleCommand::Rm { name } => ssisd::ctl::schedules::remove(&c, &out, &name),
            ScheduleCommand::Enable { name } => {
                ssisd::ctl::schedules::set_enabled(&c, &out, &name, true)
            }
            ScheduleCommand::Disable { name } => {
                ssisd::ctl::schedules::set_enabled(&c, &out, &name, false)
            }
            ScheduleCommand::Run { name } => ssisd::ctl::schedules::run(&c, &out, &name),
            ScheduleCommand::Add(add) => ssisd::ctl::schedules::add(&c, &out, &schedule_body(*add)),
        },
        Command::Events {
            follow,
            level,
            since,
            source,
            limit,
        } => commands::events(
            &c,
            &out,
            &EventFilter {
                level,
                since,
                source,
                limit,
            },
            follow,
        ),
        Command::Reload => commands::reload(&c, &out),
        Command::Completions { .. } => unreachable!("handled above"),
    };
    done.map(|()| 0)
}

fn main() -> ExitCode {
    // `ssisctl ls | head` ends quietly when the reader goes away, as Unix tools do.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match run(Cli::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("ssisctl: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
