//! Runs the service: makes its files its own (umask 077), takes the instance lock, opens the
//! listeners (Unix socket, TCP or TLS), drops to the service account when started as root
//! (keeping the runner account's ids for the packages when one is configured), starts the actix system with the
//! Supervisor and the HTTP API (authenticated by `api::auth`), announces readiness (stdout, `ssisd.json`, systemd), then serves until a stop
//! signal, applying reloads in between. Reload reads the configuration again and hands the new
//! plan to the Supervisor; a bad file is refused with an event and changes nothing. This module
//! wires parts together; it must not contain their logic.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use ssisd_actors::event_log::journal::Journal;
use ssisd_actors::supervisor::{Reload, RunnersToStop};
use ssisd_actors::{
    Directory, EventId, EventLogClient, NewEvent, ReloadSummary, Shutdown, Supervisor,
};

use crate::access::owners::Owners;
use crate::api::{self, ApiError, ControlSnapshot, ServiceControl};
use crate::config::{self, ServiceConfig};
use crate::instance_lock::InstanceLock;
use crate::listeners::{self, Listeners};
use crate::signals::{self, Request};
use crate::systemd_notify;

/// Exit codes of `ssisd`.
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const CONFIG: i32 = 2;
    pub const ALREADY_RUNNING: i32 = 3;
}

/// How the service was asked to find its configuration.
#[derive(Clone)]
pub struct ConfigSource {
    pub file: Option<PathBuf>,
}

struct Control {
    source: ConfigSource,
    current: Mutex<ServiceConfig>,
    supervisor: Addr<Supervisor>,
    events: EventLogClient,
    gate: Arc<api::auth::Gate>,
}

impl Control {
    fn current(&self) -> ServiceConfig {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn reload_now(self: Arc<Self>) -> Result<ReloadSummary, String> {
        systemd_notify::notify("RELOADING=1");
        let result = self.clone().reload_inner().await;
        systemd_notify::notify("READY=1");
        result
    }

    async fn reload_inner(self: Arc<Self>) -> Result<ReloadSummary, String> {
        let file = self.source.file.clone();
        let loaded = tokio::task::spawn_blocking(move || config::load(file.as_deref()))
            .await
            .map_err(|e| e.to_string())?;
        let newer = match loaded {
            Ok(c) => c,
            Err(e) => {
                let message = format!(
                    "Configuration reload refused; the previous configuration keeps running. {e}"
                );
                let _ = self
                    .events
                    .append(
                        NewEvent::new(EventId::ConfigReloadRejected, message.clone())
                            .field("ssis_event", e.ssis_event_code()),
                    )
                    .await;
                return Err(message);
            }
        };
        let older = self.current();
        // The runner's ids were kept when the service left root; they cannot change now.
        let mut newer = newer;
        newer.run_as = older.run_as;
        for key in older.restart_only_differences(&newer) {
            self.events.emit(
                NewEvent::new(
                    EventId::ReloadNeedsRestart,
                    format!("{key} changed in the configuration; the change takes effect when the service restarts."),
                )
                .field("key", key),
            );
        }
        let summary = self
            .supervisor
            .send(Reload(newer.plan()))
            .await
            .map_err(|e| format!("the supervisor did not answer: {e}"))?;
        self.gate.update(&newer);
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = newer;
        let _ = self
            .events
            .append(
                NewEvent::new(
                    EventId::ConfigReloaded,
                    format!(
                        "Configuration reloaded: added {:?}, removed {:?}, changed {:?}, retried {:?}.",
                        summary.added, summary.removed, summary.changed, summary.retried
                    ),
                )
                .field("added", summary.added.clone())
                .field("removed", summary.removed.clone())
                .field("changed", summary.changed.clone())
                .field("retried", summary.retried.clone()),
            )
            .await;
        Ok(summary)
    }
}

impl ServiceControl for Arc<Control> {
    fn reload(&self) -> BoxFuture<'static, Result<ReloadSummary, String>> {
        self.clone().reload_now().boxed()
    }

    fn snapshot(&self) -> ControlSnapshot {
        let c = self.current();
        ControlSnapshot {
            origin: c.origin.to_string(),
            stop_executing_packages_on_shutdown: c.stop_executing_packages_on_shutdown,
        }
    }

    fn start_run(
        &self,
        spec: ssisd_actors::package::RunSpec,
    ) -> BoxFuture<'static, Result<String, Option<ssisd_actors::supervisor::RunRefused>>> {
        let supervisor = self.supervisor.clone();
        async move {
            match supervisor
                .send(ssisd_actors::supervisor::StartRun(spec))
                .await
            {
                Ok(r) => r.map_err(Some),
                Err(_) => Err(None),
            }
        }
        .boxed()
    }
}

/// Records a configuration error in the event log of the data directory it would have used, so
/// that a later `ssisd` (or the system log) shows why a start was refused. Best effort.
pub fn record_start_refusal(data_dir: &std::path::Path, config_error: &config::ConfigError) {
    let id = if config_error.ssis_event_code() == 272 {
        EventId::ConfigMissing
    } else {
        EventId::ConfigInvalid
    };
    record_start_failure(
        data_dir,
        Some(NewEvent::new(id, config_error.to_string())),
        &config_error.to_string(),
    );
}

/// Writes 260 (after `first`, if any) straight into the journal, for failures before the
/// actors run. Best effort.
fn record_start_failure(data_dir: &std::path::Path, first: Option<NewEvent>, error: &str) {
    // Only into a data directory of our own: root writing into one the service account owns
    // could be led through a link planted there. Otherwise stderr (and the journal) has it.
    {
        use std::os::unix::fs::MetadataExt;
        let me = crate::access::account_switch::effective_uid();
        match std::fs::symlink_metadata(data_dir) {
            Ok(m) if m.is_dir() && m.uid() == me => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if std::fs::create_dir_all(data_dir).is_err() {
                    return;
                }
            }
            _ => return,
        }
    }
    let run = async {
        let journal = Journal::open(&data_dir.join("events.db"), u64::MAX).ok()?;
        if let Some(first) = first {
            let _ = journal.append(first).await;
        }
        let _ = journal
            .append(NewEvent::new(
                EventId::ServiceStartFailed,
                format!("ssisd failed to start. Error: {error}"),
            ))
            .await;
        journal.close().await;
        Some(())
    };
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        let _ = rt.block_on(run);
    }
}

/// Runs the service until stopped. Returns the process exit code.
pub fn run(mut cfg: ServiceConfig, source: ConfigSource) -> anyhow::Result<i32> {
    use crate::access::{account_switch, data_dir, dynamic_runner};
    // Before any file is created: what the service creates is its own alone (directories that
    // others must reach get their modes explicitly).
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    if let Some(runner) = &cfg.runner_user {
        if !account_switch::running_as_root() {
            let euid = account_switch::effective_uid();
            let e = config::ConfigError::Key {
                origin: cfg.origin.to_string(),
                key: "service.runner_user".into(),
                message: format!("packages run as {runner} only when ssisd starts as root (with service.user set), and it runs as uid {euid}; start it as root (the shipped systemd unit does) or remove service.runner_user"),
            };
            eprintln!("ssisd: configuration error: {e}");
            record_start_refusal(&cfg.data_dir, &e);
            return Ok(exit::CONFIG);
        }
    }
    let stop_requests = signals::listen().context("cannot install signal handlers")?;
    // Clients reach the socket and read ssisd.json in the runtime directory.
    data_dir::create_dir_with_mode(&cfg.runtime_dir, 0o755).with_context(|| {
        format!(
            "cannot create runtime directory {}; create it or set service.runtime_dir",
            cfg.runtime_dir.display()
        )
    })?;
    if let Some(parent) = cfg.socket.parent() {
        data_dir::create_dir_with_mode(parent, 0o755).with_context(|| {
            format!(
                "cannot create the directory of service.socket {}",
                cfg.socket.display()
            )
        })?;
    }
    let lock = match InstanceLock::acquire(&cfg.runtime_dir) {
        Ok(lock) => lock,
        Err(e @ crate::instance_lock::LockError::AlreadyRunning { .. }) => {
            eprintln!("ssisd: {e}");
            return Ok(exit::ALREADY_RUNNING);
        }
        Err(e) => return Err(e.into()),
    };
    data_dir::create_dir_with_mode(&cfg.data_dir, 0o700).with_context(|| {
        format!(
            "cannot create data directory {}; create it or set service.data_dir",
            cfg.data_dir.display()
        )
    })?;
    // Until the drop, root must not write below a data directory that belongs to the service
    // account (a link planted there would lead it anywhere): such failures go to stderr only.
    let may_record = !account_switch::running_as_root() || cfg.user.is_none();
    let opened = match listeners::open(&cfg) {
        Ok(l) => l,
        Err(e) => {
            if may_record {
                record_start_failure(&cfg.data_dir, None, &e.to_string());
            }
            eprintln!("ssisd: {e}");
            return Ok(exit::FAILED);
        }
    };
    let (dropped, run_as) = match drop_privileges(&cfg) {
        Ok(d) => d,
        Err(e) => {
            if may_record {
                record_start_failure(&cfg.data_dir, None, &e);
            }
            eprintln!("ssisd: {e}");
            return Ok(exit::FAILED);
        }
    };
    // Root with no account named for packages: they run as a dynamic unprivileged id.
    let run_as = match run_as {
        None if account_switch::running_as_root() && !cfg.allow_root_runners => {
            match dynamic_runner::allocate(&cfg.data_dir) {
                Ok(r) => Some((r.id, r.id)),
                Err(e) => {
                    let message = format!("cannot choose an unprivileged id for the packages the service runs: {e}; or let them run as root with service.allow_root_runners = true");
                    record_start_failure(&cfg.data_dir, None, &message);
                    eprintln!("ssisd: {message}");
                    return Ok(exit::FAILED);
                }
            }
        }
        other => other,
    };
    cfg.run_as = run_as;
    if let Err(e) =
        data_dir::protect_data_dir(&cfg.data_dir, &cfg.plan().runs.dir, run_as.is_some())
    {
        let message = format!(
            "cannot make data directory {} the service's own: {e}; it must belong to the account ssisd runs as (chown -R it), or set service.data_dir",
            cfg.data_dir.display()
        );
        record_start_failure(&cfg.data_dir, None, &message);
        eprintln!("ssisd: {message}");
        return Ok(exit::FAILED);
    }
    let owners = match Owners::open(&cfg.data_dir.join("owners.db")) {
        Ok(o) => Arc::new(o),
        Err(e) => {
            let message = format!("cannot open the package owner records: {e}");
            record_start_failure(&cfg.data_dir, None, &message);
            eprintln!("ssisd: {message}");
            return Ok(exit::FAILED);
        }
    };

    let system = actix_rt::System::new();
    let (code, runners) = system.block_on(serve(
        cfg,
        source,
        lock,
        stop_requests,
        opened,
        owners,
        dropped,
    ))?;
    // Last of all (stop_executing_packages_on_shutdown): the runners are told to cancel by a
    // forked process once this one has gone, so that their reactions do not hold up this exit;
    // the service does not wait for them. Arranged before the runtime is dropped, which waits
    // for work still on its blocking pool (the stop bound ends the process if that takes too
    // long): the runners are told however this process ends.
    ssisd_actors::stop_broadcast::signal_after_exit(runners);
    drop(system);
    Ok(code)
}

/// How long a stop may take from the stop signal to the end of the process, whatever request
/// handlers are still doing (reading a large body, parsing on the blocking pool).
pub const STOP_BOUND: Duration = Duration::from_secs(5);

/// How long a client may take to send a request's head on a connection it opened.
pub const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Ends the process [`STOP_BOUND`] from now if it has not ended by itself: the runtimes wait
/// for their blocking work when dropped, and nothing may make a stop wait forever. What was
/// acknowledged is already on disk (the event log commits before it answers).
fn bound_the_stop() {
    let started = std::thread::Builder::new()
        .name("ssisd-stop-bound".into())
        .spawn(|| {
            std::thread::sleep(STOP_BOUND);
            eprintln!(
                "ssisd: the stop did not finish within {} s (a request handler was still busy); exiting now",
                STOP_BOUND.as_secs()
            );
            // The documented stop bound: the one exit outside the binaries besides a second
            // stop signal's.
            #[allow(clippy::exit)]
            std::process::exit(exit::OK);
        });
    if let Err(e) = started {
        eprintln!("ssisd: cannot bound the stop: {e}");
    }
}

/// What the drop announces, and the runner account's `(uid, gid)`.
type Dropped = (Option<String>, Option<(u32, u32)>);

/// When started as root with `service.user`, hands the data and runtime directories to that
/// account and becomes it, keeping `service.runner_user`'s ids as the saved ids when that is
/// another account. Returns what to announce (None when nothing was dropped) and the runner's
/// `(uid, gid)` for the runs (None: runs are the service's own account).
fn drop_privileges(cfg: &ServiceConfig) -> Result<Dropped, String> {
    use crate::access::{account_switch, local_user};
    let Some(user) = &cfg.user else {
        return Ok((None, None));
    };
    let account = local_user::account_by_name(user).map_err(|e| {
        format!("service.user {user}: {e}; create the account (useradd --system {user}) or change service.user")
    })?;
    if !account_switch::running_as_root() {
        // Started by an unprivileged user (or by systemd's User=): nothing to drop.
        return Ok((None, None));
    }
    let runner = match &cfg.runner_user {
        Some(name) => Some(local_user::account_by_name(name).map_err(|e| {
            format!("service.runner_user {name}: {e}; create the account (useradd --system {name}) or change service.runner_user")
        })?),
        None => None,
    }
    .filter(|r| r.uid != account.uid || r.uid == 0);
    let groups = cfg
        .groups
        .iter()
        .map(|g| {
            local_user::group_gid(g)
                .map_err(|e| format!("service.groups: {g}: {e}; create the group or remove it"))
        })
        .collect::<Result<Vec<u32>, String>>()?;
    // The socket is inside the runtime directory, or root's (mode 666) elsewhere.
    let own: Vec<(&'static str, &std::path::Path)> = vec![
        ("service.data_dir", &cfg.data_dir),
        ("service.runtime_dir", &cfg.runtime_dir),
    ];
    account_switch::drop_to(&account, &groups, runner.as_ref(), &own)
        .map_err(|e| format!("cannot become service.user {user}: {e}"))?;
    let mut message = format!(
        "ssisd dropped its root privileges and runs as {} (uid {}, gid {}).",
        account.name, account.uid, account.gid
    );
    if let Some(r) = &runner {
        message.push_str(&format!(
            " Packages it starts run as {} (uid {}, gid {}).",
            r.name, r.uid, r.gid
        ));
    }
    Ok((Some(message), runner.map(|r| (r.uid, r.gid))))
}

/// Who the packages the service starts run as, for the start-up lines.
fn runners_text(cfg: &ServiceConfig) -> String {
    use crate::access::account_switch;
    match (cfg.run_as, &cfg.runner_user) {
        (Some((uid, gid)), Some(name)) => format!("{name} (uid {uid}, gid {gid}; service.runner_user)"),
        (Some((uid, gid)), None) => format!(
            "uid {uid}, gid {gid} (a dynamic id with no account, kept in {}; name an account with service.user and service.runner_user)",
            cfg.data_dir.join(crate::access::dynamic_runner::ID_FILE).display()
        ),
        (None, _) if account_switch::running_as_root() => {
            "root (service.allow_root_runners = true)".to_string()
        }
        (None, _) => {
            let (uids, _) = account_switch::ids();
            format!("the service's own account (uid {})", uids.1)
        }
    }
}

/// When packages run as another id that cannot reach their run directories (a directory above
/// the data directory closed to others), what to change.
fn runners_blocked(cfg: &ServiceConfig) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let (uid, _) = cfg.run_as?;
    let mut dir = cfg.data_dir.parent();
    while let Some(d) = dir {
        if let Ok(m) = std::fs::metadata(d) {
            if m.mode() & 0o001 == 0 && m.uid() != uid {
                return Some(format!(
                    "packages run as uid {uid} cannot reach the data directory {} because {} (mode {:04o}) is closed to other users; runs will fail until `chmod o+x {}`, or set service.data_dir to a directory below open ones",
                    cfg.data_dir.display(),
                    d.display(),
                    m.mode() & 0o7777,
                    d.display()
                ));
            }
        }
        dir = d.parent();
    }
    None
}

async fn serve(
    cfg: ServiceConfig,
    source: ConfigSource,
    lock: InstanceLock,
    mut requests: tokio::sync::mpsc::UnboundedReceiver<Request>,
    opened: Listeners,
    owners: Arc<Owners>,
    dropped: Option<String>,
) -> anyhow::Result<(i32, RunnersToStop)> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let directory = Directory::new();
    let events = EventLogClient::new(directory.clone());
    let metrics = ssisd_actors::Metrics::new();
    metrics.collect(ssisd_actors::metrics::DirectoryCollector(directory.clone()));
    let supervisor = Supervisor::new(cfg.plan(), directory.clone(), metrics.clone()).start();
    // The supervisor answers only once its start-up (event log, 256, every store actor) is
    // done: the API is not announced before each folder has an actor to queue requests on.
    let _ = supervisor.send(ssisd_actors::supervisor::CurrentPlan).await;
    let gate = Arc::new(api::auth::Gate::new(&cfg, events.clone()));
    let control = Arc::new(Control {
        source,
        current: Mutex::new(cfg.clone()),
        supervisor: supervisor.clone(),
        events: events.clone(),
        gate: gate.clone(),
    });
    if let Some(message) = dropped {
        let _ = events
            .append(NewEvent::new(EventId::PrivilegesDropped, message))
            .await;
    }
    if cfg.unauthenticated_loopback {
        let _ = events
            .append(NewEvent::new(
                EventId::UnauthenticatedAccessEnabled,
                format!("service.unauthenticated_loopback is true: requests to {} over plain TCP from this machine act as administrator without credentials.", opened.tcp_addr),
            ))
            .await;
    }
    let runs_refused = (crate::access::account_switch::running_as_root()
        && !cfg.allow_root_runners
        && cfg.run_as.is_none())
        .then(|| {
            "the service runs as root, and packages it starts would too; set service.user to an unprivileged account (recommended) or service.allow_root_runners = true".to_string()
        });

    let state = web::Data::new(api::AppState {
        directory: directory.clone(),
        events: events.clone(),
        control: Arc::new(control.clone()),
        started,
        started_at,
        listen: Arc::new(std::sync::OnceLock::new()),
        data_dir: cfg.data_dir.display().to_string(),
        max_request_bytes: cfg.max_request_bytes,
        gate,
        owners,
        locks: Default::default(),
        listings: Default::default(),
        http_metrics: metrics.get(),
        metrics,
        runs_refused,
        console_sessions: Default::default(),
        hosts: api::guard::HostPolicy::new(opened.tcp_addr, opened.tls.is_some(), &cfg.host_names),
    });
    let query_errors = web::QueryConfig::default()
        .error_handler(|e, _| ApiError::bad_request(format!("bad query string: {e}")).into());
    let Listeners {
        unix,
        socket_file,
        tcp,
        tcp_addr,
        tls,
    } = opened;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let built = {
        let state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(api::auth::authenticate))
                .wrap(actix_web::middleware::from_fn(api::guard::check))
                .wrap(actix_web::middleware::from_fn(api::json_errors))
                .wrap(actix_web::middleware::from_fn(api::check_client_version))
                .wrap(actix_web::middleware::from_fn(api::log_server_errors))
                .wrap(actix_web::middleware::DefaultHeaders::new().add((
                    crate::client::version::SERVICE_HEADER,
                    crate::client::version::VERSION,
                )))
                .app_data(state.clone())
                .app_data(query_errors.clone())
                .wrap(actix_web::middleware::from_fn(api::metrics::measure))
                .configure(crate::console::configure)
                .configure(api::configure)
        })
        .on_connect(api::auth::on_connect)
        .workers(2)
        // A request's head may take this long after its connection opened: a browser on a
        // loaded machine opens connections ahead and may use them seconds later (5 s, the
        // default, answered such pages 408 and their live views never started).
        .client_request_timeout(REQUEST_HEAD_TIMEOUT)
        .disable_signals()
        .shutdown_timeout(0);
        server.listen_uds(unix).and_then(|server| match tls {
            Some(tls) => server.listen_rustls_0_23(tcp, tls),
            None => server.listen(tcp),
        })
    };
    let server = match built {
        Ok(s) => s,
        Err(e) => {
            let message = format!("cannot serve on {tcp_addr}: {e}; choose another service.listen");
            let _ = events
                .append(NewEvent::new(
                    EventId::ServiceStartFailed,
                    format!("ssisd failed to start. Error: {message}"),
                ))
                .await;
            let runners = supervisor.send(Shutdown).await.unwrap_or_default();
            eprintln!("ssisd: {message}");
            return Ok((exit::FAILED, runners));
        }
    };
    // The API reports the real address (the configured port may be 0).
    let listen_text = tcp_addr.to_string();
    let _ = state.listen.set(listen_text.clone());
    // Changes a crash interrupted are completed or rolled back before any request is served.
    api::journal::recover(state.clone()).await;
    let server = server.run();
    let server_handle = server.handle();
    actix_rt::spawn(server);

    let _ = lock.publish_endpoint(&serde_json::json!({
        "pid": std::process::id(),
        "listen": listen_text,
        "url": format!("{scheme}://{listen_text}/api/v1/"),
        "socket": socket_file.0,
        "tls": scheme == "https",
        "data_dir": cfg.data_dir,
        "version": env!("CARGO_PKG_VERSION"),
    }));
    let _ = events
        .append(
            NewEvent::new(
                EventId::ServiceStarted,
                format!(
                    "ssisd {} started; API on {scheme}://{listen_text}/api/v1/ and unix:{}.",
                    env!("CARGO_PKG_VERSION"),
                    socket_file.0.display()
                ),
            )
            .field("listen", listen_text.clone())
            .field("socket", socket_file.0.display().to_string())
            .field("configuration", cfg.origin.to_string())
            .field("packages_run_as", runners_text(&cfg)),
        )
        .await;
    println!(
        "ssisd {} listening on {scheme}://{listen_text}/api/v1/",
        env!("CARGO_PKG_VERSION")
    );
    println!("ssisd socket: {}", socket_file.0.display());
    println!("ssisd data directory: {}", cfg.data_dir.display());
    println!("ssisd configuration: {}", cfg.origin);
    println!("ssisd packages run as: {}", runners_text(&cfg));
    if let Some(warning) = runners_blocked(&cfg) {
        println!("ssisd warning: {warning}");
        tracing::warn!("{warning}");
    }
    println!("ssisd ready (pid {})", std::process::id());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    systemd_notify::notify("READY=1");

    while let Some(request) = requests.recv().await {
        match request {
            Request::Reload => {
                let _ = control.clone().reload_now().await;
            }
            Request::Stop => break,
        }
    }
    systemd_notify::notify("STOPPING=1");
    bound_the_stop();
    server_handle.stop(false).await;
    let runners = supervisor.send(Shutdown).await.unwrap_or_default();
    drop(socket_file);
    drop(lock);
    actix_rt::System::current().stop();
    Ok((exit::OK, runners))
}
