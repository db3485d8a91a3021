//! How a `ServerName` (as `MsDtsSrvr.ini.xml`, SSMS and `dtutil /SourceServer` write it) names a
//! SQL Server instance: `.`, `(local)`, `localhost` and this machine's name mean the local
//! default instance; `HOST\INSTANCE` is found through the SQL Server Browser; `HOST,PORT` names
//! a TCP port; a `tcp:` prefix is accepted. This module only parses and classifies the text; it
//! must not open sockets (`tds/connect.rs` does, asking [`crate::browser`] for named instances).
#![allow(unsafe_code)] // gethostname(2), which std does not offer.

use std::fmt;

/// The default TCP port of a default instance.
pub const DEFAULT_PORT: u16 = 1433;

/// A parsed server name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTarget {
    /// The host to connect to (`localhost` for the local machine).
    pub host: String,
    /// The instance name, when one is given (`HOST\INSTANCE`).
    pub instance: Option<String>,
    /// An explicit port (`HOST,PORT`); it wins over the instance name, as in SQL clients.
    pub port: Option<u16>,
    /// The name meant this machine (`.`, `(local)`, `localhost`, the machine's name).
    pub local: bool,
}

impl ServerTarget {
    /// True when the SQL Server Browser must be asked for the port.
    pub fn needs_browser(&self) -> bool {
        self.port.is_none() && self.instance.is_some()
    }

    /// The port to use when no browser lookup is needed.
    pub fn fixed_port(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_PORT)
    }
}

impl fmt::Display for ServerTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.host)?;
        if let Some(i) = &self.instance {
            write!(f, "\\{i}")?;
        }
        if let Some(p) = self.port {
            write!(f, ",{p}")?;
        }
        Ok(())
    }
}

/// Why a server name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerNameError {
    #[error("the server name is empty")]
    Empty,
    #[error("server name \"{0}\": the {1} protocol is not available on Linux; use TCP (HOST, HOST\\INSTANCE or HOST,PORT)")]
    Protocol(String, &'static str),
    #[error("server name \"{0}\": \"{1}\" is not a port number (1-65535)")]
    Port(String, String),
    #[error("server name \"{0}\": the instance name is empty")]
    EmptyInstance(String),
    #[error("server name \"{0}\": the host name is empty")]
    EmptyHost(String),
}

/// Parses a server name. `machine` is this computer's name (compared ignoring case).
pub fn parse_server_name(text: &str, machine: &str) -> Result<ServerTarget, ServerNameError> {
    let original = text.trim();
    if original.is_empty() {
        return Err(ServerNameError::Empty);
    }
    let mut rest = original;
    if let Some((prefix, after)) = rest.split_once(':') {
        match prefix.to_ascii_lowercase().as_str() {
            "tcp" => rest = after,
            "np" => return Err(ServerNameError::Protocol(original.into(), "named pipes")),
            "lpc" => return Err(ServerNameError::Protocol(original.into(), "shared memory")),
            "admin" => {
                return Err(ServerNameError::Protocol(
                    original.into(),
                    "dedicated administrator connection",
                ))
            }
            // `host:port` is not SQL Server syntax, but an IPv6 literal contains colons: leave
            // anything else to the rules below.
            _ => {}
        }
    }
    let rest = rest.trim();
    let (before_port, port) = match rest.rsplit_once(',') {
        Some((head, p)) => {
            let p = p.trim();
            let port = p
                .parse::<u16>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ServerNameError::Port(original.into(), p.into()))?;
            (head.trim(), Some(port))
        }
        None => (rest, None),
    };
    let (host, instance) = match before_port.split_once('\\') {
        Some((h, i)) => {
            let i = i.trim();
            if i.is_empty() {
                return Err(ServerNameError::EmptyInstance(original.into()));
            }
            (h.trim(), Some(i.to_string()))
        }
        None => (before_port, None),
    };
    if host.is_empty() {
        return Err(ServerNameError::EmptyHost(original.into()));
    }
    // MSSQLSERVER is the default instance's own name.
    let instance = instance.filter(|i| !i.eq_ignore_ascii_case("MSSQLSERVER"));
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let local = is_local(host, machine);
    // Loopback literals stay as written; names of this machine become `localhost`.
    let literal = host.parse::<std::net::IpAddr>().is_ok();
    Ok(ServerTarget {
        host: if local && !literal {
            "localhost".to_string()
        } else {
            host.to_string()
        },
        instance,
        port,
        local,
    })
}

fn is_local(host: &str, machine: &str) -> bool {
    let short = |h: &str| h.split('.').next().unwrap_or(h).to_ascii_lowercase();
    host == "."
        || host.eq_ignore_ascii_case("(local)")
        || host.eq_ignore_ascii_case("localhost")
        || host == "127.0.0.1"
        || host == "::1"
        || (!machine.is_empty()
            && (host.eq_ignore_ascii_case(machine) || short(host) == short(machine)))
}

/// This computer's host name, or an empty string when it cannot be read.
pub fn machine_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> ServerTarget {
        parse_server_name(text, "build-box.example.com").unwrap()
    }

    #[test]
    fn local_spellings_mean_the_local_default_instance() {
        for name in [
            ".",
            "(local)",
            "(LOCAL)",
            "localhost",
            "LocalHost",
            "build-box",
            "BUILD-BOX",
            "build-box.example.com",
            "tcp:.",
            " . ",
            ".\\MSSQLSERVER",
        ] {
            let t = p(name);
            assert!(t.local, "{name}");
            assert_eq!(t.host, "localhost", "{name}");
            assert_eq!(t.instance, None, "{name}");
            assert_eq!(t.fixed_port(), 1433, "{name}");
            assert!(!t.needs_browser(), "{name}");
        }
    }

    #[test]
    fn named_instances_need_the_browser_unless_a_port_is_given() {
        let t = p(".\\SQLEXPRESS");
        assert!(t.local && t.needs_browser());
        assert_eq!(t.instance.as_deref(), Some("SQLEXPRESS"));
        let t = p("sqlhost\\SALES");
        assert!(!t.local && t.needs_browser());
        assert_eq!(t.host, "sqlhost");
        let t = p("tcp:sqlhost\\SALES,14330");
        assert!(!t.needs_browser());
        assert_eq!(t.fixed_port(), 14330);
        assert_eq!(t.to_string(), "sqlhost\\SALES,14330");
    }

    #[test]
    fn host_and_port() {
        let t = p("10.1.2.3,1533");
        assert_eq!(
            t,
            ServerTarget {
                host: "10.1.2.3".into(),
                instance: None,
                port: Some(1533),
                local: false
            }
        );
        let t = p("tcp:db.example.org, 1434");
        assert_eq!((t.host.as_str(), t.port), ("db.example.org", Some(1434)));
        let t = p("127.0.0.1,1");
        assert!(t.local);
        assert_eq!(t.host, "127.0.0.1");
        assert_eq!(t.fixed_port(), 1);
        let t = p("TCP:[::1],1500");
        assert!(t.local);
    }

    #[test]
    fn refusals_say_why() {
        let m = "m";
        assert_eq!(parse_server_name("", m), Err(ServerNameError::Empty));
        let e = parse_server_name("np:\\\\.\\pipe\\sql\\query", m).unwrap_err();
        assert!(e.to_string().contains("named pipes"), "{e}");
        let e = parse_server_name("lpc:.", m).unwrap_err();
        assert!(e.to_string().contains("shared memory"), "{e}");
        let e = parse_server_name("host,abc", m).unwrap_err();
        assert!(e.to_string().contains("\"abc\""), "{e}");
        assert!(parse_server_name("host,0", m).is_err());
        assert!(parse_server_name("host,70000", m).is_err());
        assert!(matches!(
            parse_server_name("host\\", m),
            Err(ServerNameError::EmptyInstance(_))
        ));
        assert!(matches!(
            parse_server_name(",1433", m),
            Err(ServerNameError::EmptyHost(_))
        ));
    }

    #[test]
    fn the_machine_name_is_readable() {
        let name = machine_name();
        let t = parse_server_name(&name, &name).unwrap();
        assert!(name.is_empty() || t.local);
    }
}
