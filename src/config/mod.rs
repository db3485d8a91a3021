//! The service's configuration: our TOML file or a classic `MsDtsSrvr.ini.xml`, layered under
//! `SSISD_*` environment overrides with the `config` crate, checked, and turned into the
//! [`ServicePlan`] the supervisor runs. With no file named, the embedded default applies: the
//! real service's default folders (`MSDB` on the local default instance `.` and a `File System`
//! folder under the data directory). A password never appears here: msdb folders name a file or
//! an environment variable that holds it. This module must not start anything.

pub mod access;
pub mod actor_table;
pub mod error;
pub mod msdtssrvr;
pub mod paths;
pub mod text;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ssisd_actors::child::SettingsContext;
use ssisd_actors::package::RunSettings;
use ssisd_actors::supervision::{Backoff, Intensity};
use ssisd_actors::{ServicePlan, SupervisionSettings};
use ssisd_stores::msdb::settings::{
    Authentication, Encrypt, PasswordSource, DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_POOL_SIZE,
    INTEGRATED_REFUSED,
};
use ssisd_stores::{CreateRoot, FolderLocation, FolderSpec, SqlServerFolder};

pub use access::AccessConfig;
pub use error::ConfigError;

/// The port the management API listens on by default (loopback only).
pub const DEFAULT_PORT: u16 = 10135;
const ENV_PREFIX: &str = "SSISD";
const ENV_SEPARATOR: &str = "__";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogTarget {
    Stderr,
    Journald,
}

/// `[service]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceSection {
    pub listen: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_dir: Option<String>,
    pub stop_executing_packages_on_shutdown: bool,
    /// Plain loopback TCP without credentials, acting as administrator (default false).
    pub unauthenticated_loopback: bool,
    /// The Unix socket local clients use (default `<runtime_dir>/ssisd.sock`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket: Option<String>,
    /// The account to drop to when started as root (the counterpart of NETWORK SERVICE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Supplementary groups added to the account's own when dropping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The account packages started by the service run as, kept apart from the service's data
    /// (needs the start as root with `user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_user: Option<String>,
    /// Lets runners run as root when the service itself runs as root (default false: refused).
    pub allow_root_runners: bool,
    pub max_request_bytes: u64,
    pub log: LogTarget,
    pub log_level: String,
    /// The program that runs packages (default: `dtexec` beside `ssisd`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    /// Seconds between SIGTERM and SIGKILL when a running package is stopped.
    pub stop_grace_seconds: f64,
    /// Most packages running at once; more are refused (HTTP 429).
    pub max_concurrent_packages: usize,
    /// Names clients may use for this machine in `Host` and `Origin` besides `localhost`,
    /// IP addresses and the machine's host name (DNS names of the service behind a load
    /// balancer or in a certificate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_names: Vec<String>,
}

impl Default for ServiceSection {
    fn default() -> Self {
        ServiceSection {
            listen: format!("127.0.0.1:{DEFAULT_PORT}"),
            data_dir: None,
            runtime_dir: None,
            stop_executing_packages_on_shutdown: true,
            unauthenticated_loopback: false,
            socket: None,
            user: None,
            groups: Vec::new(),
            runner_user: None,
            allow_root_runners: false,
            max_request_bytes: 64 * 1024 * 1024,
            log: LogTarget::Stderr,
            log_level: "info".into(),
            runner: None,
            stop_grace_seconds: 10.0,
            max_concurrent_packages: 1000,
            host_names: Vec::new(),
        }
    }
}

/// `[supervision]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupervisionSection {
    pub max_restarts: u32,
    pub period_seconds: f64,
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
    pub health_check_seconds: f64,
}

impl Default for SupervisionSection {
    fn default() -> Self {
        SupervisionSection {
            max_restarts: 3,
            period_seconds: 30.0,
            backoff_initial_ms: 100,
            backoff_max_ms: 5_000,
            health_check_seconds: 5.0,
        }
    }
}

/// `[[folder]]`. The msdb keys (`server` and the ones after it) belong to `kind = "sql-server"`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FolderSection {
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_path: Option<String>,
    /// When a file-system folder's directory may be created: `first-use` (default: only when
    /// the service never used it), `always`, `never`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_store_path: Option<CreateRoot>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Refused when set: a password is never written in a configuration file.
    #[serde(skip_serializing)]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_server_certificate: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install_compat_schema: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout_seconds: Option<f64>,
}

/// The msdb keys, for "belongs to sql-server" errors.
const SQL_SERVER_KEYS: &[&str] = &[
    "server",
    "database",
    "authentication",
    "user",
    "password",
    "password_file",
    "password_env",
    "encrypt",
    "trust_server_certificate",
    "ca_file",
    "install_compat_schema",
    "pool_size",
    "connect_timeout_seconds",
];

impl FolderSection {
    /// The msdb keys this section sets.
    fn sql_server_keys_set(&self) -> Vec<&'static str> {
        let set = [
            self.server.is_some(),
            self.database.is_some(),
            self.authentication.is_some(),
            self.user.is_some(),
            self.password.is_some(),
            self.password_file.is_some(),
            self.password_env.is_some(),
            self.encrypt.is_some(),
            self.trust_server_certificate.is_some(),
            self.ca_file.is_some(),
            self.install_compat_schema.is_some(),
            self.pool_size.is_some(),
            self.connect_timeout_seconds.is_some(),
        ];
        SQL_SERVER_KEYS
            .iter()
            .zip(set)
            .filter(|(_, s)| *s)
            .map(|(k, _)| *k)
            .collect()
    }
}

/// The file's content as written (before defaults of paths are applied).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RawConfig {
    pub service: ServiceSection,
    pub supervision: SupervisionSection,
    pub access: access::AccessSection,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<Vec<FolderSection>>,
    /// The actor types' own sections (`[event_log]`, …), checked by their settings; any other
    /// key is refused as an unknown section.
    #[serde(flatten)]
    pub sections: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    Embedded,
    Toml(PathBuf),
    MsDtsSrvr(PathBuf),
}

impl std::fmt::Display for ConfigOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigOrigin::Embedded => f.write_str("embedded default (no configuration file)"),
            ConfigOrigin::Toml(p) => write!(f, "{} (TOML)", p.display()),
            ConfigOrigin::MsDtsSrvr(p) => write!(f, "{} (MsDtsSrvr.ini.xml)", p.display()),
        }
    }
}

/// The effective, checked configuration.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub origin: ConfigOrigin,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub runtime_dir: PathBuf,
    pub stop_executing_packages_on_shutdown: bool,
    pub unauthenticated_loopback: bool,
    pub socket: PathBuf,
    pub user: Option<String>,
    pub groups: Vec<String>,
    /// `service.runner_user`.
    pub runner_user: Option<String>,
    /// The runner account's `(uid, gid)` once the service has kept them as its saved ids;
    /// set by `service::run` at start (never read from a file), carried over on reload.
    pub run_as: Option<(u32, u32)>,
    pub allow_root_runners: bool,
    pub access: AccessConfig,
    pub max_request_bytes: u64,
    pub log: LogTarget,
    pub log_level: String,
    /// The runner program (`service.runner`), resolved.
    pub runner: PathBuf,
    pub stop_grace: Duration,
    pub max_concurrent_packages: usize,
    /// `service.host_names`, lower case.
    pub host_names: Vec<String>,
    /// Each actor type's checked section, by name (see [`actor_table`]).
    pub sections: std::collections::BTreeMap<String, serde_json::Value>,
    pub supervision: SupervisionSection,
    pub folders: Vec<FolderSpec>,
    /// What the reader tolerated (shown by `--check-config`).
    pub warnings: Vec<String>,
}

/// Loads the configuration: `file` as named by `--config`/`SSISD_CONFIG`, or the embedded
/// default when `None`; environment overrides on top.
pub fn load(file: Option<&Path>) -> Result<ServiceConfig, ConfigError> {
    load_with_env(file, std::env::vars())
}

/// [`load`] with an explicit environment (for tests).
pub fn load_with_env(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<ServiceConfig, ConfigError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let (origin, base, file_layer, mut warnings) = match file {
        None => (ConfigOrigin::Embedded, cwd, None, Vec::new()),
        Some(path) => {
            let path = if path.is_absolute() {
                path.to_path_buf()
            } else {
                cwd.join(path)
            };
            let bytes = std::fs::read(&path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    ConfigError::Missing(path.clone())
                } else {
                    ConfigError::Unreadable {
                        path: path.clone(),
                        source: e,
                    }
                }
            })?;
            // UTF-8, or UTF-16 as Windows editors save MsDtsSrvr.ini.xml; the mark is dropped.
            let text = text::decode(&bytes)
                .map_err(|e| ConfigError::invalid(&path, e.to_string()))?
                .text;
            let base = path.parent().map(Path::to_path_buf).unwrap_or(cwd);
            if msdtssrvr::looks_like_xml(&text) {
                let xml = msdtssrvr::parse(&text, &path)
                    .map_err(|e| ConfigError::invalid(&path, e.to_string()))?;
                let mut raw = RawConfig::default();
                if let Some(stop) = xml.stop_executing_packages_on_shutdown {
                    raw.service.stop_executing_packages_on_shutdown = stop;
                }
                raw.folder = xml
                    .folders
                    .map(|folders| folders.iter().map(folder_section).collect());
                let layer = config::Config::try_from(&raw)
                    .map_err(|e| ConfigError::invalid(&path, e.to_string()))?;
                (
                    ConfigOrigin::MsDtsSrvr(path),
                    base,
                    Some(Layer::Built(layer)),
                    xml.warnings,
                )
            } else {
                let text = text.trim_start_matches('\u{feff}').to_string();
                // The toml crate reports syntax errors with line and column.
                toml::from_str::<toml::Table>(&text)
                    .map_err(|e| ConfigError::invalid(&path, format!("not valid TOML: {e}")))?;
                (
                    ConfigOrigin::Toml(path),
                    base,
                    Some(Layer::Toml(text)),
                    Vec::new(),
                )
            }
        }
    };

    let env_map: std::collections::HashMap<String, String> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}_")) && k.contains(ENV_SEPARATOR))
        .collect();
    let mut builder = config::Config::builder();
    match file_layer {
        Some(Layer::Toml(text)) => {
            builder = builder.add_source(config::File::from_str(&text, config::FileFormat::Toml))
        }
        Some(Layer::Built(c)) => builder = builder.add_source(c),
        None => {}
    }
    builder = builder.add_source(
        config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("_")
            .separator(ENV_SEPARATOR)
            .try_parsing(true)
            .source(Some(env_map)),
    );
    let origin_text = match &origin {
        ConfigOrigin::Embedded => "environment (SSISD_*)".to_string(),
        ConfigOrigin::Toml(p) | ConfigOrigin::MsDtsSrvr(p) => {
            format!(
                "configuration file {} or environment (SSISD_*)",
                p.display()
            )
        }
    };
    let raw: RawConfig = builder
        .build()
        .and_then(|c| c.try_deserialize())
        .map_err(|e| match &origin {
            ConfigOrigin::Toml(p) | ConfigOrigin::MsDtsSrvr(p) => {
                ConfigError::invalid(p, e.to_string())
            }
            ConfigOrigin::Embedded => ConfigError::Key {
                origin: origin_text.clone(),
                key: "(environment)".into(),
                message: e.to_string(),
            },
        })?;
    let mut cfg = check(raw, origin, &base, &origin_text)?;
    cfg.warnings.append(&mut warnings);
    Ok(cfg)
}

enum Layer {
    Toml(String),
    Built(config::Config),
}

/// A folder as the configuration writes it. For msdb folders every setting is written out
/// (so `--check-config` shows the effective values); the password's *source* is shown, never a
/// password.
fn folder_section(spec: &FolderSpec) -> FolderSection {
    match &spec.location {
        FolderLocation::FileSystem { store_path, create } => FolderSection {
            kind: "file-system".into(),
            name: spec.name.clone(),
            store_path: Some(store_path.display().to_string()),
            create_store_path: Some(*create),
            ..FolderSection::default()
        },
        FolderLocation::SqlServer(f) => FolderSection {
            kind: "sql-server".into(),
            name: spec.name.clone(),
            server: Some(f.server.clone()),
            database: Some(f.database.clone()),
            authentication: Some(f.authentication.as_str().into()),
            user: f.user.clone(),
            password_file: match &f.password {
                PasswordSource::File(p) => Some(p.display().to_string()),
                _ => None,
            },
            password_env: match &f.password {
                PasswordSource::Env(n) => Some(n.clone()),
                _ => None,
            },
            encrypt: Some(
                match f.encrypt {
                    Encrypt::Required => "required",
                    Encrypt::Optional => "optional",
                    Encrypt::Off => "off",
                }
                .into(),
            ),
            trust_server_certificate: Some(f.trust_server_certificate),
            ca_file: f.ca_file.as_ref().map(|p| p.display().to_string()),
            install_compat_schema: Some(f.install_compat_schema),
            pool_size: Some(f.pool_size),
            connect_timeout_seconds: Some(f.connect_timeout_ms as f64 / 1000.0),
            ..FolderSection::default()
        },
    }
}

fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = text.trim().parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Some(port) = text.trim().strip_prefix("localhost:") {
        if let Ok(port) = port.parse::<u16>() {
            return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
        }
    }
    Err(format!(
        "\"{text}\" is not an address and port such as \"127.0.0.1:{DEFAULT_PORT}\" or \"[::1]:{DEFAULT_PORT}\""
    ))
}

/// Applies path defaults and checks every value.
fn check(
    raw: RawConfig,
    origin: ConfigOrigin,
    base: &Path,
    origin_text: &str,
) -> Result<ServiceConfig, ConfigError> {
    let key_error = |key: &str, message: String| ConfigError::Key {
        origin: origin_text.to_string(),
        key: key.to_string(),
        message,
    };
    let s = &raw.service;
    let listen = parse_listen(&s.listen).map_err(|m| key_error("service.listen", m))?;
    let (access, mut warnings) =
        access::check(&raw.access, listen, s.unauthenticated_loopback, base)
            .map_err(|e| key_error(&e.key, e.message))?;
    let dir =
        |key: &str, value: &Option<String>, default: PathBuf| -> Result<PathBuf, ConfigError> {
            match value {
                Some(v) => paths::resolve(v, base).map_err(|e| key_error(key, e.to_string())),
                None => Ok(default),
            }
        };
    let data_dir = dir("service.data_dir", &s.data_dir, paths::default_data_dir())?;
    let runtime_dir = dir(
        "service.runtime_dir",
        &s.runtime_dir,
        paths::default_runtime_dir(),
    )?;
    let socket = dir("service.socket", &s.socket, runtime_dir.join("ssisd.sock"))?;
    let user = s.user.clone().filter(|u| !u.trim().is_empty());
    if user.as_deref() == Some("root") {
        return Err(key_error(
            "service.user",
            "names root; name an unprivileged account (e.g. ssisd, created with `useradd --system ssisd`) or leave it unset".into(),
        ));
    }
    if user.is_none() && !s.groups.is_empty() {
        return Err(key_error(
            "service.groups",
            "supplementary groups apply when dropping to service.user, which is not set".into(),
        ));
    }
    let runner_user = s.runner_user.clone().filter(|u| !u.trim().is_empty());
    if let Some(runner) = &runner_user {
        if runner == "root" {
            return Err(key_error(
                "service.runner_user",
                "names root; packages must not run as root: name an unprivileged account other than service.user (e.g. ssisd-run, created with `useradd --system ssisd-run`) or leave it unset".into(),
            ));
        }
        if user.is_none() {
            return Err(key_error(
                "service.runner_user",
                "packages run as another account only when ssisd starts as root and drops to service.user, which is not set; set service.user too (e.g. ssisd) or remove service.runner_user".into(),
            ));
        }
        if user.as_ref() == Some(runner) {
            warnings.push(format!("service.runner_user is service.user ({runner}): packages run as the service's account and can change its data; name a separate account to keep them apart"));
        }
    }
    if !s.unauthenticated_loopback && listen.ip().is_loopback() && s.allow_root_runners {
        warnings.push("service.allow_root_runners is true: packages started by the service run as root when the service does".into());
    }
    let mut host_names = Vec::new();
    for (i, name) in s.host_names.iter().enumerate() {
        let ok = !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !ok {
            return Err(key_error(
                &format!("service.host_names[{i}]"),
                format!("\"{name}\" is not a DNS host name (letters, digits, '-' and '.', without port or scheme)"),
            ));
        }
        host_names.push(name.to_ascii_lowercase());
    }
    if s.max_request_bytes == 0 {
        return Err(key_error(
            "service.max_request_bytes",
            "must be greater than 0".into(),
        ));
    }
    let runner = match &s.runner {
        Some(r) => {
            paths::resolve(r, base).map_err(|e| key_error("service.runner", e.to_string()))?
        }
        None => default_runner(),
    };
    if !(s.stop_grace_seconds >= 0.0 && s.stop_grace_seconds.is_finite()) {
        return Err(key_error(
            "service.stop_grace_seconds",
            "must be 0 or a positive number of seconds".into(),
        ));
    }
    if s.max_concurrent_packages == 0 {
        return Err(key_error(
            "service.max_concurrent_packages",
            "must be at least 1".into(),
        ));
    }
    let sections = ServicePlan::check_sections(
        actor_table::ACTORS,
        raw.sections.clone(),
        &SettingsContext {
            data_dir: data_dir.clone(),
            base: base.to_path_buf(),
        },
    )
    .map_err(|e| key_error(&e.key, e.message))?;
    let sup = &raw.supervision;
    if !(sup.period_seconds > 0.0 && sup.period_seconds.is_finite()) {
        return Err(key_error(
            "supervision.period_seconds",
            "must be a positive number of seconds".into(),
        ));
    }
    if !(sup.health_check_seconds >= 0.0 && sup.health_check_seconds.is_finite()) {
        return Err(key_error(
            "supervision.health_check_seconds",
            "must be 0 (off) or a positive number of seconds".into(),
        ));
    }
    if sup.backoff_max_ms < sup.backoff_initial_ms {
        return Err(key_error(
            "supervision.backoff_max_ms",
            "must not be less than backoff_initial_ms".into(),
        ));
    }
    let folders = match &raw.folder {
        None => default_folders(&data_dir),
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, f)| folder_spec(f, base).map_err(|m| key_error(&format!("folder[{i}]"), m)))
            .collect::<Result<Vec<_>, _>>()?,
    };
    for (i, f) in folders.iter().enumerate() {
        if folders[..i]
            .iter()
            .any(|g| g.name.eq_ignore_ascii_case(&f.name))
        {
            return Err(key_error(
                &format!("folder[{i}].name"),
                format!("two top-level folders are named \"{}\"; folder names must be unique (ignoring case)", f.name),
            ));
        }
    }
    Ok(ServiceConfig {
        origin,
        listen,
        data_dir,
        runtime_dir,
        stop_executing_packages_on_shutdown: s.stop_executing_packages_on_shutdown,
        unauthenticated_loopback: s.unauthenticated_loopback,
        socket,
        user,
        groups: s.groups.clone(),
        runner_user,
        run_as: None,
        allow_root_runners: s.allow_root_runners,
        access,
        max_request_bytes: s.max_request_bytes,
        log: s.log,
        log_level: s.log_level.clone(),
        runner,
        stop_grace: Duration::from_secs_f64(s.stop_grace_seconds),
        max_concurrent_packages: s.max_concurrent_packages,
        host_names,
        sections,
        supervision: raw.supervision.clone(),
        folders,
        warnings,
    })
}

/// Where hand-started runners register while the service runs.
pub fn registration_dir(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("runs")
}

/// `dtexec` in the directory of the running program (installed beside `ssisd`).
pub fn default_runner() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("dtexec")))
        .unwrap_or_else(|| PathBuf::from("dtexec"))
}

/// The real service's default top-level folders: `MSDB` on the local default instance and
/// `File System`. The local MSDB folder trusts the local server's certificate (the connection
/// never leaves the machine; SQL Server's own certificate is self-signed by default); it needs a
/// login from a configuration file to be usable, and shows unavailable with the reason until then.
pub fn default_folders(data_dir: &Path) -> Vec<FolderSpec> {
    let mut msdb = SqlServerFolder::new(".");
    msdb.trust_server_certificate = true;
    vec![
        FolderSpec {
            name: "MSDB".into(),
            location: FolderLocation::SqlServer(msdb),
        },
        FolderSpec {
            name: "File System".into(),
            location: FolderLocation::FileSystem {
                store_path: data_dir.join("Packages"),
                create: Default::default(),
            },
        },
    ]
}

fn folder_spec(f: &FolderSection, base: &Path) -> Result<FolderSpec, String> {
    let location = match f.kind.as_str() {
        "file-system" => {
            if let Some(key) = f.sql_server_keys_set().first() {
                return Err(format!("folder \"{}\": `{key}` belongs to kind \"sql-server\"; a file-system folder has `store_path`", f.name));
            }
            let written = f.store_path.as_deref().ok_or_else(|| {
                format!(
                    "folder \"{}\" of kind \"file-system\" needs `store_path`",
                    f.name
                )
            })?;
            FolderLocation::FileSystem {
                store_path: paths::resolve(written, base)
                    .map_err(|m| format!("folder \"{}\": store_path: {m}", f.name))?,
                create: f.create_store_path.unwrap_or_default(),
            }
        }
        "sql-server" => {
            if f.create_store_path.is_some() {
                return Err(format!(
                    "folder \"{}\": `create_store_path` belongs to kind \"file-system\"",
                    f.name
                ));
            }
            if f.store_path.is_some() {
                return Err(format!("folder \"{}\": `store_path` belongs to kind \"file-system\"; a sql-server folder has `server`", f.name));
            }
            FolderLocation::SqlServer(sql_server_folder(f, base)?)
        }
        other => {
            return Err(format!(
                "folder \"{}\": kind \"{other}\" is unknown; use \"file-system\" or \"sql-server\"",
                f.name
            ))
        }
    };
    let spec = FolderSpec {
        name: f.name.clone(),
        location,
    };
    spec.validate()
        .map_err(|m| format!("folder \"{}\": {m}", f.name))?;
    Ok(spec)
}

/// The msdb settings of a `sql-server` folder; errors name the key.
fn sql_server_folder(f: &FolderSection, base: &Path) -> Result<SqlServerFolder, String> {
    let name = &f.name;
    let server = f
        .server
        .clone()
        .ok_or_else(|| format!("folder \"{name}\" of kind \"sql-server\" needs `server`"))?;
    let mut s = SqlServerFolder::new(server);
    if f.password.is_some() {
        return Err(format!("folder \"{name}\": `password` is not accepted: a password is never written in the configuration; put it in a file readable only by the service and name it with `password_file`, or name an environment variable with `password_env`"));
    }
    if let Some(db) = &f.database {
        s.database = db.clone();
    }
    s.authentication = match f.authentication.as_deref() {
        None | Some("sql-server") => Authentication::SqlServer,
        Some("integrated") => {
            return Err(format!(
                "folder \"{name}\": `authentication`: {INTEGRATED_REFUSED}"
            ))
        }
        Some(other) => {
            return Err(format!(
                "folder \"{name}\": `authentication` = \"{other}\" is unknown; use \"sql-server\" (\"integrated\" is not available in this build)"
            ))
        }
    };
    s.user = f.user.clone().filter(|u| !u.trim().is_empty());
    s.password = match (&f.password_file, &f.password_env) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "folder \"{name}\": `password_file` and `password_env` exclude each other; keep one"
            ))
        }
        (Some(file), None) => PasswordSource::File(
            paths::resolve(file, base)
                .map_err(|m| format!("folder \"{name}\": `password_file`: {m}"))?,
        ),
        (None, Some(var)) if var.trim().is_empty() => {
            return Err(format!("folder \"{name}\": `password_env` is empty"))
        }
        (None, Some(var)) => PasswordSource::Env(var.clone()),
        (None, None) => PasswordSource::None,
    };
    if s.user.is_none() && s.password != PasswordSource::None {
        return Err(format!(
            "folder \"{name}\": a password source is set but `user` is missing"
        ));
    }
    if let Some(e) = &f.encrypt {
        s.encrypt = match e.as_str() {
            "required" => Encrypt::Required,
            "optional" => Encrypt::Optional,
            "off" => Encrypt::Off,
            other => {
                return Err(format!(
                    "folder \"{name}\": `encrypt` = \"{other}\" is unknown; use \"required\", \"optional\" or \"off\""
                ))
            }
        };
    }
    if let Some(t) = f.trust_server_certificate {
        s.trust_server_certificate = t;
    }
    if let Some(ca) = &f.ca_file {
        s.ca_file = Some(
            paths::resolve(ca, base).map_err(|m| format!("folder \"{name}\": `ca_file`: {m}"))?,
        );
    }
    if let Some(i) = f.install_compat_schema {
        s.install_compat_schema = i;
    }
    if let Some(n) = f.pool_size {
        if n == 0 || n > 64 {
            return Err(format!(
                "folder \"{name}\": `pool_size` must be between 1 and 64 (default {DEFAULT_POOL_SIZE})"
            ));
        }
        s.pool_size = n;
    }
    if let Some(t) = f.connect_timeout_seconds {
        if !(t > 0.0 && t.is_finite() && t <= 600.0) {
            return Err(format!(
                "folder \"{name}\": `connect_timeout_seconds` must be a number of seconds between 0 and 600 (default {DEFAULT_CONNECT_TIMEOUT_SECONDS})"
            ));
        }
        s.connect_timeout_ms = (t * 1000.0).round().max(1.0) as u64;
    }
    Ok(s)
}

impl ServiceConfig {
    /// What the supervisor runs.
    pub fn plan(&self) -> ServicePlan {
        let s = &self.supervision;
        ServicePlan {
            data_dir: self.data_dir.clone(),
            actor_types: actor_table::ACTORS,
            sections: self.sections.clone(),
            folders: self.folders.clone(),
            stop_executing_packages_on_shutdown: self.stop_executing_packages_on_shutdown,
            supervision: SupervisionSettings {
                intensity: Intensity {
                    max_restarts: s.max_restarts,
                    period: Duration::from_secs_f64(s.period_seconds),
                },
                backoff: Backoff {
                    initial: Duration::from_millis(s.backoff_initial_ms),
                    max: Duration::from_millis(s.backoff_max_ms),
                },
                health_check_interval: Duration::from_secs_f64(s.health_check_seconds),
            },
            known_store_roots: Some(self.data_dir.join("store-roots")),
            runs: RunSettings {
                dir: self.data_dir.join("runs"),
                runner: self.runner.clone(),
                stop_grace: self.stop_grace,
                max_concurrent: self.max_concurrent_packages,
                registration_dir: registration_dir(&self.runtime_dir),
                run_as: self.run_as,
                hidden_env: self
                    .folders
                    .iter()
                    .filter_map(|f| match &f.location {
                        FolderLocation::SqlServer(SqlServerFolder {
                            password: PasswordSource::Env(name),
                            ..
                        }) => Some(name.clone()),
                        _ => None,
                    })
                    .collect(),
            },
        }
    }

    /// The effective configuration as TOML, every path resolved.
    pub fn to_toml(&self) -> String {
        let raw = RawConfig {
            service: ServiceSection {
                listen: self.listen.to_string(),
                data_dir: Some(self.data_dir.display().to_string()),
                runtime_dir: Some(self.runtime_dir.display().to_string()),
                stop_executing_packages_on_shutdown: self.stop_executing_packages_on_shutdown,
                unauthenticated_loopback: self.unauthenticated_loopback,
                socket: Some(self.socket.display().to_string()),
                user: self.user.clone(),
                groups: self.groups.clone(),
                runner_user: self.runner_user.clone(),
                allow_root_runners: self.allow_root_runners,
                max_request_bytes: self.max_request_bytes,
                log: self.log,
                log_level: self.log_level.clone(),
                runner: Some(self.runner.display().to_string()),
                stop_grace_seconds: self.stop_grace.as_secs_f64(),
                max_concurrent_packages: self.max_concurrent_packages,
                host_names: self.host_names.clone(),
            },
            supervision: self.supervision.clone(),
            access: self.access.to_section(),
            folder: Some(self.folders.iter().map(folder_section).collect()),
            sections: self.sections.clone(),
        };
        let mut out = format!("# effective configuration, from {}\n", self.origin);
        for w in &self.warnings {
            out.push_str(&format!("# warning: {w}\n"));
        }
        out.push_str(
            &toml::to_string_pretty(&raw).unwrap_or_else(|e| format!("# cannot print: {e}\n")),
        );
        out
    }

    /// Settings that a reload cannot change while the service runs.
    pub fn restart_only_differences(&self, newer: &ServiceConfig) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if self.listen != newer.listen {
            keys.push("service.listen");
        }
        if self.data_dir != newer.data_dir {
            keys.push("service.data_dir");
        }
        if self.runtime_dir != newer.runtime_dir {
            keys.push("service.runtime_dir");
        }
        if self.socket != newer.socket {
            keys.push("service.socket");
        }
        if self.user != newer.user || self.groups != newer.groups {
            keys.push("service.user");
        }
        if self.runner_user != newer.runner_user {
            keys.push("service.runner_user");
        }
        if self.access.tls != newer.access.tls {
            keys.push("access.tls_certificate");
        }
        if self.max_request_bytes != newer.max_request_bytes {
            keys.push("service.max_request_bytes");
        }
        if self.host_names != newer.host_names {
            keys.push("service.host_names");
        }
        if self.log != newer.log || self.log_level != newer.log_level {
            keys.push("service.log");
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env() -> Vec<(String, String)> {
        Vec::new()
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn embedded_default_has_msdb_on_the_local_instance_and_a_file_system_folder() {
        let c = load_with_env(None, no_env()).unwrap();
        assert_eq!(c.origin, ConfigOrigin::Embedded);
        assert_eq!(c.listen.port(), DEFAULT_PORT);
        assert!(c.listen.ip().is_loopback());
        assert_eq!(c.folders.len(), 2);
        assert_eq!(c.folders[0].name, "MSDB");
        let FolderLocation::SqlServer(msdb) = &c.folders[0].location else {
            panic!("{:?}", c.folders[0]);
        };
        assert_eq!(msdb.server, ".");
        assert_eq!(msdb.database, "msdb");
        assert_eq!(c.folders[1].name, "File System");
        assert_eq!(
            c.folders[1].location,
            FolderLocation::FileSystem {
                store_path: c.data_dir.join("Packages"),
                create: Default::default(),
            }
        );
        assert!(c.stop_executing_packages_on_shutdown);
    }

    #[test]
    fn toml_with_relative_paths_and_env_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "ssisd.toml",
            r#"
[service]
listen = "127.0.0.1:9000"
data_dir = "data"
stop_executing_packages_on_shutdown = false

[[folder]]
kind = "file-system"
name = "Files"
store_path = "pk"

[[folder]]
kind = "sql-server"
name = "MSDB"
server = "."
"#,
        );
        let env = vec![
            (
                "SSISD_SERVICE__LISTEN".to_string(),
                "127.0.0.1:9100".to_string(),
            ),
            ("SSISD_EVENT_LOG__RETENTION".to_string(), "77".to_string()),
            ("SSISD_CONFIG".to_string(), "/ignored".to_string()),
            ("SSISD_TEST_MSSQL".to_string(), "x".to_string()),
        ];
        let c = load_with_env(Some(&p), env).unwrap();
        assert_eq!(c.listen.port(), 9100);
        assert_eq!(c.sections["event_log"]["retention"], 77);
        assert_eq!(c.data_dir, dir.path().join("data"));
        assert!(!c.stop_executing_packages_on_shutdown);
        assert_eq!(
            c.folders[0].location,
            FolderLocation::FileSystem {
                store_path: dir.path().join("pk"),
                create: Default::default(),
            }
        );
        assert_eq!(c.folders[1].kind(), "sql-server");
        let printed = c.to_toml();
        assert!(
            printed.contains("9100")
                && printed.contains("[[folder]]")
                && printed.contains("[event_log]\nretention = 77"),
            "{printed}"
        );
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("[service]\nlisten = \"nope\"\n", "service.listen"),
            ("[service]\nlisten = \"10.1.2.3:80\"\n", "needs TLS"),
            ("[service]\nlisen = \"127.0.0.1:1\"\n", "lisen"),
            ("[service\n", "not valid TOML"),
            ("[service]\nstop_executing_packages_on_shutdown = \"maybe\"\n", "stop_executing_packages_on_shutdown"),
            ("[service]\nuser = \"root\"\n", "service.user"),
            ("[access]\nlocal_role = \"boss\"\n", "access.local_role"),
            ("[[folder]]\nkind = \"ftp\"\nname = \"x\"\n", "ftp"),
            ("[[folder]]\nkind = \"file-system\"\nname = \"x\"\n", "store_path"),
            ("[[folder]]\nkind = \"file-system\"\nname = \"a/b\"\nstore_path = \"p\"\n", "not allowed"),
            ("[[folder]]\nkind = \"file-system\"\nname = \"A\"\nstore_path = \"p\"\n[[folder]]\nkind = \"file-system\"\nname = \"a\"\nstore_path = \"q\"\n", "unique"),
            ("[evnt_log]\nretention = 5\n", "key `evnt_log`: is not a section"),
            ("[event_log]\nretention = 0\n", "key `event_log.retention`: must be at least 1"),
            ("[event_log]\nkeep = 0\n", "unknown field `keep`"),
        ];
        for (text, needle) in cases {
            let p = write(dir.path(), "bad.toml", text);
            let e = load_with_env(Some(&p), no_env()).unwrap_err().to_string();
            assert!(e.contains(needle), "{text:?} gave: {e}");
            assert!(e.contains("bad.toml"), "{text:?} gave: {e}");
        }
        let e = load_with_env(Some(&dir.path().join("absent.toml")), no_env()).unwrap_err();
        assert!(matches!(e, ConfigError::Missing(_)));
        assert_eq!(e.ssis_event_code(), 272);
    }

    #[test]
    fn sql_server_folder_keys() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "msdb.toml",
            r#"
[[folder]]
kind = "sql-server"
name = "Sales MSDB"
server = "tcp:sql01\\SALES,1533"
database = "ssis_store"
user = "ssis_svc"
password_file = "secrets/msdb.pw"
encrypt = "optional"
ca_file = "ca.pem"
install_compat_schema = true
pool_size = 8
connect_timeout_seconds = 2.5

[[folder]]
kind = "sql-server"
name = "Local"
server = "."
user = "sa"
password_env = "MSDB_PASSWORD"
trust_server_certificate = true
encrypt = "off"
"#,
        );
        let c = load_with_env(Some(&p), no_env()).unwrap();
        let FolderLocation::SqlServer(a) = &c.folders[0].location else {
            panic!()
        };
        assert_eq!(a.server, "tcp:sql01\\SALES,1533");
        assert_eq!(a.database, "ssis_store");
        assert_eq!(a.user.as_deref(), Some("ssis_svc"));
        assert_eq!(
            a.password,
            PasswordSource::File(dir.path().join("secrets/msdb.pw"))
        );
        assert_eq!(a.encrypt, Encrypt::Optional);
        assert_eq!(a.ca_file, Some(dir.path().join("ca.pem")));
        assert!(a.install_compat_schema && !a.trust_server_certificate);
        assert_eq!((a.pool_size, a.connect_timeout_ms), (8, 2500));
        let FolderLocation::SqlServer(b) = &c.folders[1].location else {
            panic!()
        };
        assert_eq!(b.password, PasswordSource::Env("MSDB_PASSWORD".into()));
        assert_eq!(
            (b.encrypt, b.trust_server_certificate),
            (Encrypt::Off, true)
        );
        assert_eq!(b.database, "msdb");
        assert_eq!(c.folders[1].location_text(), ".");
        assert_eq!(
            c.folders[0].location_text(),
            "tcp:sql01\\SALES,1533 (database ssis_store)"
        );

        // The effective configuration shows where the password is, and reloads identically.
        let printed = c.to_toml();
        assert!(
            printed.contains("password_env = \"MSDB_PASSWORD\""),
            "{printed}"
        );
        assert!(printed.contains("msdb.pw"), "{printed}");
        let again = write(dir.path(), "again.toml", &printed);
        let c2 = load_with_env(Some(&again), no_env()).unwrap();
        assert_eq!(c2.folders, c.folders);
    }

    #[test]
    fn sql_server_folder_errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let base = "[[folder]]\nkind = \"sql-server\"\nname = \"M\"\nserver = \".\"\n";
        let cases = [
            ("password = \"hunter2\"\n", "`password` is not accepted"),
            ("authentication = \"integrated\"\n", "GSSAPI"),
            ("authentication = \"windows\"\n", "`authentication`"),
            (
                "user = \"u\"\npassword_file = \"a\"\npassword_env = \"B\"\n",
                "exclude each other",
            ),
            ("password_env = \"B\"\n", "`user` is missing"),
            ("encrypt = \"always\"\n", "`encrypt`"),
            ("ca_file = \"ca.txt\"\n", ".pem"),
            (
                "ca_file = \"ca.pem\"\ntrust_server_certificate = true\n",
                "exclude each other",
            ),
            ("pool_size = 0\n", "`pool_size`"),
            (
                "connect_timeout_seconds = -1\n",
                "`connect_timeout_seconds`",
            ),
            ("databse = \"x\"\n", "databse"),
        ];
        for (extra, needle) in cases {
            let p = write(dir.path(), "bad.toml", &format!("{base}{extra}"));
            let e = load_with_env(Some(&p), no_env()).unwrap_err().to_string();
            assert!(e.contains(needle), "{extra:?} gave: {e}");
            assert!(!e.contains("hunter2"), "a password is never repeated: {e}");
        }
        let p = write(
            dir.path(),
            "bad.toml",
            "[[folder]]\nkind = \"sql-server\"\nname = \"M\"\nserver = \"np:pipe\"\n",
        );
        let e = load_with_env(Some(&p), no_env()).unwrap_err().to_string();
        assert!(e.contains("named pipes"), "{e}");
        let p = write(
            dir.path(),
            "bad.toml",
            "[[folder]]\nkind = \"file-system\"\nname = \"F\"\nstore_path = \"p\"\ndatabase = \"x\"\n",
        );
        let e = load_with_env(Some(&p), no_env()).unwrap_err().to_string();
        assert!(e.contains("`database` belongs to kind"), "{e}");
    }

    #[test]
    fn corpus_msdtssrvr_files_load() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/msdtssrvr");
        let Ok(entries) = std::fs::read_dir(&corpus) else {
            println!("SKIPPED: corpus not found at {}", corpus.display());
            return;
        };
        let mut n = 0;
        for e in entries {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".xml") {
                let c = load_with_env(Some(&p), no_env())
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                assert!(matches!(c.origin, ConfigOrigin::MsDtsSrvr(_)));
                assert_eq!(c.folders.len(), 2);
                n += 1;
            }
        }
        assert!(n >= 2);
    }
}

#[cfg(test)]
mod shipped_files {
    use super::*;

    #[test]
    fn the_shipped_configuration_files_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let toml = load_with_env(Some(&dir.join("ssisd.toml")), Vec::new()).unwrap();
        assert_eq!(toml.listen.port(), DEFAULT_PORT);
        assert_eq!(
            toml.folders.len(),
            2,
            "the commented TOML gives the default folders (MSDB and File System)"
        );
        let xml = load_with_env(Some(&dir.join("MsDtsSrvr.ini.xml")), Vec::new()).unwrap();
        assert_eq!(xml.folders.len(), 2);
        assert_eq!(
            xml.folders[1].location,
            FolderLocation::FileSystem {
                store_path: Path::new(env!("CARGO_MANIFEST_DIR")).join("Packages"),
                create: Default::default(),
            }
        );
    }
}

#[cfg(test)]
mod runner_user {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn runner_user_from_the_environment_and_its_checks() {
        let c = load_with_env(
            None,
            env(&[
                ("SSISD_SERVICE__USER", "ssisd"),
                ("SSISD_SERVICE__RUNNER_USER", "ssisd-run"),
            ]),
        )
        .unwrap();
        assert_eq!(c.runner_user.as_deref(), Some("ssisd-run"));
        assert_eq!(c.run_as, None, "resolved by the service at start, not here");
        assert!(c.to_toml().contains("runner_user = \"ssisd-run\""));
        let mut later = c.clone();
        later.runner_user = Some("other".into());
        assert!(c
            .restart_only_differences(&later)
            .contains(&"service.runner_user"));

        let e = load_with_env(None, env(&[("SSISD_SERVICE__RUNNER_USER", "ssisd-run")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("service.runner_user") && e.contains("service.user"),
            "{e}"
        );
        let e = load_with_env(
            None,
            env(&[
                ("SSISD_SERVICE__USER", "ssisd"),
                ("SSISD_SERVICE__RUNNER_USER", "root"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("service.runner_user") && e.contains("root"),
            "{e}"
        );
        let same = load_with_env(
            None,
            env(&[
                ("SSISD_SERVICE__USER", "ssisd"),
                ("SSISD_SERVICE__RUNNER_USER", "ssisd"),
            ]),
        )
        .unwrap();
        assert!(
            same.warnings.iter().any(|w| w.contains("runner_user")),
            "{:?}",
            same.warnings
        );
    }

    #[test]
    fn runners_do_not_inherit_msdb_password_variables() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ssisd.toml");
        std::fs::write(
            &p,
            "[[folder]]\nkind = \"sql-server\"\nname = \"MSDB\"\nserver = \".\"\nuser = \"u\"\npassword_env = \"MSDB_PASSWORD\"\n",
        )
        .unwrap();
        let c = load_with_env(Some(&p), Vec::new()).unwrap();
        assert_eq!(c.plan().runs.hidden_env, ["MSDB_PASSWORD"]);
    }
}
