//! Where a client finds the service: `--server NAME[:PORT]` as SSIS users connect by computer
//! name, or by default the local service — the address it published in `ssisd.json` under the
//! runtime directory, else `localhost` on the default port. The local machine's own names
//! (`.`, `(local)`, `localhost`, its host name) mean the local service. Resolution only; no
//! requests are made here.

use std::path::PathBuf;

use crate::config::{paths, DEFAULT_PORT};

/// A service address and how it was chosen (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `host:port` to connect to.
    pub authority: String,
    /// What the user asked for, e.g. `localhost` or `dbhost:10135`.
    pub named: String,
    pub local: bool,
}

impl Endpoint {
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1/", self.authority)
    }
}

fn machine_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn is_local_name(host: &str) -> bool {
    let h = host.trim().to_ascii_lowercase();
    matches!(
        h.as_str(),
        "" | "." | "(local)" | "localhost" | "127.0.0.1" | "::1" | "[::1]"
    ) || h == machine_name().to_ascii_lowercase()
}

/// The address the local service published, if it runs (runtime directory from
/// `SSISD_SERVICE__RUNTIME_DIR` or the default).
fn published_local() -> Option<String> {
    let dir = std::env::var_os("SSISD_SERVICE__RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(paths::default_runtime_dir);
    let text = std::fs::read_to_string(dir.join("ssisd.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["listen"].as_str().map(str::to_string)
}

/// Resolves `--server` (None: the local service).
pub fn resolve(server: Option<&str>) -> Endpoint {
    let named = server.unwrap_or("localhost").trim().to_string();
    let (host, port) = split_host_port(&named);
    if is_local_name(host) {
        if port.is_none() {
            if let Some(published) = published_local() {
                return Endpoint {
                    authority: published,
                    named,
                    local: true,
                };
            }
        }
        let port = port.unwrap_or(DEFAULT_PORT);
        return Endpoint {
            authority: format!("127.0.0.1:{port}"),
            named,
            local: true,
        };
    }
    let port = port.unwrap_or(DEFAULT_PORT);
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Endpoint {
        authority: format!("{host}:{port}"),
        named,
        local: false,
    }
}

/// `host`, `host:port`, `[v6]:port` → host and optional port.
fn split_host_port(text: &str) -> (&str, Option<u16>) {
    if let Some(rest) = text.strip_prefix('[') {
        if let Some((h, tail)) = rest.split_once(']') {
            return (h, tail.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
    }
    match text.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (text, None),
        },
        _ => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ports() {
        assert_eq!(split_host_port("db1"), ("db1", None));
        assert_eq!(split_host_port("db1:9000"), ("db1", Some(9000)));
        assert_eq!(split_host_port("[::1]:9000"), ("::1", Some(9000)));
        let e = resolve(Some("db1:9000"));
        assert_eq!(e.authority, "db1:9000");
        assert!(!e.local);
        assert!(resolve(Some("(local):9001")).local);
        assert_eq!(resolve(Some(".:9001")).authority, "127.0.0.1:9001");
        assert!(resolve(Some(&machine_name())).local);
    }
}
