//! Where a client finds the service, from `--server` and what the local service published in
//! `<runtime_dir>/ssisd.json`: the local service's Unix socket by default, plain TCP for
//! `http://` or a local name with a port, TLS for `https://` and for any other computer's name.
//! Resolution only: it looks at files (the published JSON, whether the socket exists) but must
//! not connect, send requests or read credentials.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::config::{paths, DEFAULT_PORT};

/// How to reach the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// The local service's Unix domain socket (the caller is known by its peer credentials).
    Unix(PathBuf),
    /// Plain HTTP over TCP to `host:port` (the service accepts it on loopback only).
    Http { authority: String },
    /// HTTPS to `host:port`; `server_name` is the name the service's certificate must carry.
    Https {
        authority: String,
        server_name: String,
    },
}

/// A service address and how it was chosen (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub address: Address,
    /// What the user asked for, e.g. `dbhost:10135`, or `(local)` when nothing was named.
    pub named: String,
    /// Whether this is the service of this computer.
    pub local: bool,
}

impl Endpoint {
    /// `unix:/run/ssisd/ssisd.sock`, `http://127.0.0.1:10135` or `https://dbhost:10135`.
    pub fn describe(&self) -> String {
        match &self.address {
            Address::Unix(path) => format!("unix:{}", path.display()),
            Address::Http { authority } => format!("http://{authority}"),
            Address::Https { authority, .. } => format!("https://{authority}"),
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A `--server` value that cannot name a service.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("--server \"{given}\": {problem}; write NAME[:PORT], http://HOST[:PORT], https://HOST[:PORT] or unix:/path/to/ssisd.sock")]
    Invalid { given: String, problem: String },
}

fn invalid(given: &str, problem: impl Into<String>) -> EndpointError {
    EndpointError::Invalid {
        given: given.to_string(),
        problem: problem.into(),
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

/// Whether a `host:port` authority names this machine's loopback interface.
pub fn is_loopback_authority(authority: &str) -> bool {
    let Ok((host, _)) = split_host_port(authority, authority) else {
        return false;
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The runtime directory clients look in: `SSISD_SERVICE__RUNTIME_DIR`, else the default.
pub fn runtime_dir() -> PathBuf {
    std::env::var_os("SSISD_SERVICE__RUNTIME_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(paths::default_runtime_dir)
}

/// Resolves `--server` (None: the local service) with the runtime directory of
/// [`runtime_dir`].
pub fn resolve(server: Option<&str>) -> Result<Endpoint, EndpointError> {
    resolve_in(server, &runtime_dir())
}

/// Resolves `--server` (None: the local service) looking for the local service in
/// `runtime_dir`.
pub fn resolve_in(server: Option<&str>, runtime_dir: &Path) -> Result<Endpoint, EndpointError> {
    let given = server.map(str::trim).unwrap_or("");
    if given.is_empty() {
        return Ok(local_default("(local)", runtime_dir));
    }
    if let Some(path) = given.strip_prefix("unix:") {
        let path = path.trim();
        if path.is_empty() {
            return Err(invalid(given, "no socket path after \"unix:\""));
        }
        return Ok(Endpoint {
            address: Address::Unix(PathBuf::from(path)),
            named: given.to_string(),
            local: true,
        });
    }
    if let Some((scheme, rest)) = given.split_once("://") {
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "http" => false,
            "https" => true,
            other => {
                return Err(invalid(
                    given,
                    format!("\"{other}://\" is not a way to reach the service"),
                ))
            }
        };
        // A URL may carry a path (e.g. the published `url`): only the authority counts.
        let authority = rest.split('/').next().unwrap_or("");
        let (host, port) = split_host_port(given, authority)?;
        if host.is_empty() {
            return Err(invalid(given, "no host name"));
        }
        let host = match host {
            "." | "(local)" => "localhost",
            h => h,
        };
        let authority = join_host_port(host, port.unwrap_or(DEFAULT_PORT));
        let address = if tls {
            Address::Https {
                authority,
                server_name: host.to_string(),
            }
        } else {
            Address::Http { authority }
        };
        return Ok(Endpoint {
            address,
            named: given.to_string(),
            local: is_local_name(host),
        });
    }
    let (host, port) = split_host_port(given, given)?;
    if is_local_name(host) {
        let Some(port) = port else {
            return Ok(local_default(given, runtime_dir));
        };
        // A local name with a port: plain TCP on loopback (`https://` asks for TLS).
        let ip = match host.parse::<IpAddr>() {
            Ok(ip) if ip.is_loopback() => ip.to_string(),
            _ => "127.0.0.1".to_string(),
        };
        return Ok(Endpoint {
            address: Address::Http {
                authority: join_host_port(&ip, port),
            },
            named: given.to_string(),
            local: true,
        });
    }
    if host.is_empty() {
        return Err(invalid(given, "no host name"));
    }
    Ok(Endpoint {
        address: Address::Https {
            authority: join_host_port(host, port.unwrap_or(DEFAULT_PORT)),
            server_name: host.to_string(),
        },
        named: given.to_string(),
        local: false,
    })
}

/// What the local service published in `ssisd.json`.
#[derive(Debug, Default)]
struct Published {
    socket: Option<PathBuf>,
    listen: Option<String>,
    tls: bool,
}

/// Read only when root or the reader itself owns it: in a shared directory such as /tmp,
/// another user's file could point the client (and its token) elsewhere.
fn published(runtime_dir: &Path) -> Published {
    use std::os::unix::fs::MetadataExt;
    let file = runtime_dir.join("ssisd.json");
    let me = nix::unistd::geteuid().as_raw();
    let trusted = |p: &Path| {
        std::fs::symlink_metadata(p)
            .map(|m| m.uid() == 0 || m.uid() == me)
            .unwrap_or(false)
    };
    if !trusted(runtime_dir) || !trusted(&file) {
        return Published::default();
    }
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Published::default();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Published::default();
    };
    Published {
        socket: v["socket"].as_str().map(PathBuf::from),
        listen: v["listen"].as_str().map(str::to_string),
        tls: v["tls"].as_bool().unwrap_or(false),
    }
}

/// The local service: its socket if it exists, else the TCP address it published, else the
/// default port on loopback.
fn local_default(named: &str, runtime_dir: &Path) -> Endpoint {
    let p = published(runtime_dir);
    let socket = p
        .socket
        .clone()
        .unwrap_or_else(|| runtime_dir.join("ssisd.sock"));
    let endpoint = |address| Endpoint {
        address,
        named: named.to_string(),
        local: true,
    };
    if std::fs::symlink_metadata(&socket).is_ok() {
        return endpoint(Address::Unix(socket));
    }
    let Some(listen) = p.listen else {
        return endpoint(Address::Http {
            authority: format!("127.0.0.1:{DEFAULT_PORT}"),
        });
    };
    // A service listening on every address is reached on loopback.
    let authority = match listen.parse::<std::net::SocketAddr>() {
        Ok(a) if a.ip().is_unspecified() => {
            let ip: IpAddr = if a.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            };
            std::net::SocketAddr::new(ip, a.port()).to_string()
        }
        _ => listen,
    };
    if p.tls {
        // The certificate of a service reachable from other computers names this computer.
        let name = machine_name();
        let server_name = if name.is_empty() {
            authority
                .rsplit_once(':')
                .map(|(h, _)| h.trim_matches(['[', ']']).to_string())
                .unwrap_or_else(|| "localhost".into())
        } else {
            name
        };
        endpoint(Address::Https {
            authority,
            server_name,
        })
    } else {
        endpoint(Address::Http { authority })
    }
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`, a bare IPv6 address → host and optional port.
fn split_host_port<'a>(
    given: &str,
    text: &'a str,
) -> Result<(&'a str, Option<u16>), EndpointError> {
    let bad_port = |p: &str| invalid(given, format!("\"{p}\" is not a port number (1 to 65535)"));
    let parse_port = |p: &str| match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad_port(p)),
        Ok(port) => Ok(port),
    };
    if let Some(rest) = text.strip_prefix('[') {
        let Some((h, tail)) = rest.split_once(']') else {
            return Err(invalid(
                given,
                "an IPv6 address opened with [ is not closed with ]",
            ));
        };
        return match tail {
            "" => Ok((h, None)),
            t => match t.strip_prefix(':') {
                Some(p) => Ok((h, Some(parse_port(p)?))),
                None => Err(invalid(given, format!("unexpected \"{t}\" after ]"))),
            },
        };
    }
    match text.rsplit_once(':') {
        // More than one colon: a bare IPv6 address without a port.
        Some((h, _)) if h.contains(':') => Ok((text, None)),
        Some((h, p)) => Ok((h, Some(parse_port(p)?))),
        None => Ok((text, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn https(authority: &str, server_name: &str) -> Address {
        Address::Https {
            authority: authority.into(),
            server_name: server_name.into(),
        }
    }

    fn http(authority: &str) -> Address {
        Address::Http {
            authority: authority.into(),
        }
    }

    fn empty_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn names_and_ports() {
        let split = |t| split_host_port(t, t).unwrap();
        assert_eq!(split("db1"), ("db1", None));
        assert_eq!(split("db1:9000"), ("db1", Some(9000)));
        assert_eq!(split("[::1]:9000"), ("::1", Some(9000)));
        assert_eq!(split("fe80::1"), ("fe80::1", None));
        assert!(split_host_port("db1:x", "db1:x").is_err());
        assert!(split_host_port("db1:0", "db1:0").is_err());
        assert!(split_host_port("[::1", "[::1").is_err());
    }

    #[test]
    fn other_computers_are_reached_over_tls() {
        let dir = empty_dir();
        let e = resolve_in(Some("db1"), dir.path()).unwrap();
        assert_eq!(e.address, https("db1:10135", "db1"));
        assert!(!e.local);
        let e = resolve_in(Some("db1:9000"), dir.path()).unwrap();
        assert_eq!(e.address, https("db1:9000", "db1"));
        assert_eq!(e.describe(), "https://db1:9000");
        let e = resolve_in(Some("fe80::1"), dir.path()).unwrap();
        assert_eq!(e.address, https("[fe80::1]:10135", "fe80::1"));
    }

    #[test]
    fn urls_choose_plain_or_tls() {
        let dir = empty_dir();
        let e = resolve_in(Some("http://db1:8080"), dir.path()).unwrap();
        assert_eq!(e.address, http("db1:8080"));
        let e = resolve_in(Some("HTTPS://db1/api/v1/"), dir.path()).unwrap();
        assert_eq!(e.address, https("db1:10135", "db1"));
        let e = resolve_in(Some("https://localhost:10136"), dir.path()).unwrap();
        assert_eq!(e.address, https("localhost:10136", "localhost"));
        assert!(e.local);
        let e = resolve_in(Some("https://[::1]:10136"), dir.path()).unwrap();
        assert_eq!(e.address, https("[::1]:10136", "::1"));
        assert!(resolve_in(Some("ftp://db1"), dir.path()).is_err());
        assert!(resolve_in(Some("https://"), dir.path()).is_err());
    }

    #[test]
    fn local_names_with_a_port_are_plain_loopback() {
        let dir = empty_dir();
        for name in [
            "localhost:10136",
            "(local):10136",
            ".:10136",
            "127.0.0.1:10136",
        ] {
            let e = resolve_in(Some(name), dir.path()).unwrap();
            assert_eq!(e.address, http("127.0.0.1:10136"), "{name}");
            assert!(e.local);
        }
        let e = resolve_in(Some("[::1]:10136"), dir.path()).unwrap();
        assert_eq!(e.address, http("[::1]:10136"));
        let e = resolve_in(Some(&format!("{}:10136", machine_name())), dir.path()).unwrap();
        assert_eq!(e.address, http("127.0.0.1:10136"));
    }

    #[test]
    fn unix_socket_by_name() {
        let dir = empty_dir();
        let e = resolve_in(Some("unix:/run/x/ssisd.sock"), dir.path()).unwrap();
        assert_eq!(e.address, Address::Unix("/run/x/ssisd.sock".into()));
        assert_eq!(e.describe(), "unix:/run/x/ssisd.sock");
        assert!(resolve_in(Some("unix:"), dir.path()).is_err());
    }

    #[test]
    fn local_default_prefers_the_socket() {
        let dir = empty_dir();
        // Nothing published: the default port on loopback.
        for name in [
            None,
            Some("localhost"),
            Some("."),
            Some("(local)"),
            Some("::1"),
        ] {
            let e = resolve_in(name, dir.path()).unwrap();
            assert_eq!(e.address, http("127.0.0.1:10135"), "{name:?}");
            assert!(e.local);
        }
        // Published TCP address, no socket yet.
        std::fs::write(
            dir.path().join("ssisd.json"),
            r#"{"pid":1,"listen":"127.0.0.1:4567","url":"http://127.0.0.1:4567/api/v1/"}"#,
        )
        .unwrap();
        assert_eq!(
            resolve_in(None, dir.path()).unwrap().address,
            http("127.0.0.1:4567")
        );
        // The socket at its default place.
        let sock = dir.path().join("ssisd.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        assert_eq!(
            resolve_in(None, dir.path()).unwrap().address,
            Address::Unix(sock.clone())
        );
        // A published socket path wins.
        let other = dir.path().join("other.sock");
        let _other = std::os::unix::net::UnixListener::bind(&other).unwrap();
        std::fs::write(
            dir.path().join("ssisd.json"),
            format!(
                r#"{{"listen":"127.0.0.1:4567","socket":"{}"}}"#,
                other.display()
            ),
        )
        .unwrap();
        assert_eq!(
            resolve_in(Some("localhost"), dir.path()).unwrap().address,
            Address::Unix(other)
        );
    }

    #[test]
    fn published_tls_listener_without_socket() {
        let dir = empty_dir();
        std::fs::write(
            dir.path().join("ssisd.json"),
            r#"{"listen":"0.0.0.0:10135","tls":true}"#,
        )
        .unwrap();
        let e = resolve_in(None, dir.path()).unwrap();
        match e.address {
            Address::Https { authority, .. } => assert_eq!(authority, "127.0.0.1:10135"),
            other => panic!("{other:?}"),
        }
    }
}
