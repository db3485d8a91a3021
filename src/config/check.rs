//! Checking the configuration as written: path defaults applied, every value checked with an
//! error naming the key and what to do, the actor types' sections checked by their own settings
//! (through the actor table) and `[[executor]]` by the executor kinds (through their registry),
//! into the [`ServiceConfig`] the service runs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ssisd_actors::child::SettingsContext;
use ssisd_actors::executor::ExecutorConfig;
use ssisd_actors::ServicePlan;

use super::folders::{default_folders, folder_spec};
use super::sections::RawConfig;
use super::{access, actor_table, paths, ConfigError, ConfigOrigin, ServiceConfig, DEFAULT_PORT};

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
pub(crate) fn check(
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
    let metrics = raw
        .metrics
        .check()
        .map_err(|(key, message)| key_error(&key, message))?;
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
            .map(|(i, f)| {
                folder_spec(f, base).map_err(|m| key_error(&format!("folder[{i}]"), m.to_string()))
            })
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
    let executors = ExecutorConfig::check_all(raw.executor.clone().unwrap_or_default())
        .map_err(|(key, message)| key_error(&key, message))?;
    let unknown_executor = |key: String, name: &str| {
        let known: Vec<&str> = executors.iter().map(|e| e.name.as_str()).collect();
        key_error(
            &key,
            format!(
                "there is no executor named \"{name}\" (configured: {}); add an [[executor]] entry or name one of them",
                known.join(", ")
            ),
        )
    };
    // A folder's runs go by default to an executor the configuration names.
    let mut folder_executors = std::collections::BTreeMap::new();
    for (i, f) in raw.folder.iter().flatten().enumerate() {
        if let Some(name) = &f.executor {
            if !executors.iter().any(|e| &e.name == name) {
                return Err(unknown_executor(format!("folder[{i}].executor"), name));
            }
            folder_executors.insert(f.name.clone(), name.clone());
        }
    }
    // A schedule's runs go to an executor the configuration names.
    if let Some(schedules) = sections.get("schedule").and_then(|v| v.as_array()) {
        for (i, schedule) in schedules.iter().enumerate() {
            if let Some(name) = schedule.get("executor").and_then(|e| e.as_str()) {
                if !executors.iter().any(|e| e.name == name) {
                    return Err(unknown_executor(format!("schedule[{i}].executor"), name));
                }
            }
        }
    }
    Ok(ServiceConfig {
        executors,
        folder_executors,
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
        metrics,
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

/// `dtexec` in the directory of the running program (installed beside `ssisd`).
pub fn default_runner() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("dtexec")))
        .unwrap_or_else(|| PathBuf::from("dtexec"))
}
