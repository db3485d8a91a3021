//! The SQL Server Browser (SSRP over UDP 1434): asks a host which TCP port a named instance
//! listens on. It owns the request bytes, the parsing of the answer and one timed UDP exchange;
//! it must not know about logins or the msdb schema.

use std::time::Duration;

use tokio::net::UdpSocket;

/// The Browser's UDP port.
pub const BROWSER_PORT: u16 = 1434;
/// `CLNT_UCAST_INST`: ask one host about one instance.
const CLNT_UCAST_INST: u8 = 0x04;
/// `SVR_RESP`: the first byte of every answer.
const SVR_RESP: u8 = 0x05;

/// One instance as the Browser describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserInstance {
    pub server_name: String,
    pub instance_name: String,
    pub version: Option<String>,
    pub tcp_port: Option<u16>,
}

/// Why the Browser gave no port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrowserError {
    #[error("the SQL Server Browser on {host} (UDP {BROWSER_PORT}) did not answer within {ms} ms; is the service running and UDP 1434 open, or give the port as HOST,PORT")]
    NoAnswer { host: String, ms: u128 },
    #[error("cannot ask the SQL Server Browser on {host}: {message}")]
    Io { host: String, message: String },
    #[error("the SQL Server Browser sent an answer that is not SSRP: {0}")]
    Malformed(String),
    #[error("the SQL Server Browser on {host} does not know instance \"{instance}\"")]
    UnknownInstance { host: String, instance: String },
    #[error("instance \"{instance}\" on {host} has no TCP listener (enable TCP/IP for it)")]
    NoTcp { host: String, instance: String },
}

/// The request for one instance: `0x04`, the instance name, a terminating NUL.
pub fn request_bytes(instance: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(instance.len() + 2);
    v.push(CLNT_UCAST_INST);
    v.extend_from_slice(instance.as_bytes());
    v.push(0);
    v
}

/// Parses an `SVR_RESP` datagram: `0x05`, a little-endian length, then
/// `ServerName;X;InstanceName;Y;IsClustered;No;Version;V;tcp;1433;;` per instance.
pub fn parse_response(datagram: &[u8]) -> Result<Vec<BrowserInstance>, BrowserError> {
    let [first, lo, hi, body @ ..] = datagram else {
        return Err(BrowserError::Malformed(format!(
            "{} bytes, too short",
            datagram.len()
        )));
    };
    if *first != SVR_RESP {
        return Err(BrowserError::Malformed(format!(
            "first byte 0x{first:02x}, expected 0x05"
        )));
    }
    let size = u16::from_le_bytes([*lo, *hi]) as usize;
    let body = body.get(..size).unwrap_or(body);
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for record in text.split(";;") {
        let record = record.trim_matches(|c: char| c == ';' || c == '\0' || c.is_whitespace());
        if record.is_empty() {
            continue;
        }
        let parts: Vec<&str> = record.split(';').collect();
        let mut instance = BrowserInstance {
            server_name: String::new(),
            instance_name: String::new(),
            version: None,
            tcp_port: None,
        };
        for pair in parts.chunks(2) {
            let [key, value] = pair else { continue };
            match key.to_ascii_lowercase().as_str() {
                "servername" => instance.server_name = value.to_string(),
                "instancename" => instance.instance_name = value.to_string(),
                "version" => instance.version = Some(value.to_string()),
                "tcp" => instance.tcp_port = value.trim().parse().ok(),
                _ => {}
            }
        }
        if instance.instance_name.is_empty() {
            return Err(BrowserError::Malformed(format!(
                "a record without InstanceName: {record:?}"
            )));
        }
        out.push(instance);
    }
    Ok(out)
}

/// The TCP port of `instance` in a parsed answer.
pub fn port_of(
    instances: &[BrowserInstance],
    host: &str,
    instance: &str,
) -> Result<u16, BrowserError> {
    let found = instances
        .iter()
        .find(|i| i.instance_name.eq_ignore_ascii_case(instance))
        .ok_or_else(|| BrowserError::UnknownInstance {
            host: host.into(),
            instance: instance.into(),
        })?;
    found.tcp_port.ok_or_else(|| BrowserError::NoTcp {
        host: host.into(),
        instance: instance.into(),
    })
}

/// Asks the Browser on `host` for the TCP port of `instance`.
pub async fn lookup_port(host: &str, instance: &str, wait: Duration) -> Result<u16, BrowserError> {
    let io = |e: std::io::Error| BrowserError::Io {
        host: host.into(),
        message: e.to_string(),
    };
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host, BROWSER_PORT))
        .await
        .map_err(io)?
        .collect();
    let Some(addr) = addrs.first().copied() else {
        return Err(BrowserError::Io {
            host: host.into(),
            message: "the name has no address".into(),
        });
    };
    let bind = if addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(bind).await.map_err(io)?;
    socket.connect(addr).await.map_err(io)?;
    let request = request_bytes(instance);
    let mut buf = vec![0u8; 65_535];
    // UDP may lose a datagram: ask up to three times within the wait.
    let per_try = wait / 3;
    for _ in 0..3 {
        socket.send(&request).await.map_err(io)?;
        match tokio::time::timeout(per_try, socket.recv(&mut buf)).await {
            Ok(Ok(n)) => {
                let instances = parse_response(&buf[..n])?;
                return port_of(&instances, host, instance);
            }
            // A closed port answers with ICMP "unreachable", seen as ECONNREFUSED.
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            Ok(Err(e)) => return Err(io(e)),
            Err(_) => continue,
        }
    }
    Err(BrowserError::NoAnswer {
        host: host.into(),
        ms: wait.as_millis(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datagram(text: &str) -> Vec<u8> {
        let mut v = vec![SVR_RESP];
        v.extend_from_slice(&(text.len() as u16).to_le_bytes());
        v.extend_from_slice(text.as_bytes());
        v
    }

    #[test]
    fn request_is_opcode_name_nul() {
        assert_eq!(request_bytes("SQLEXPRESS"), b"\x04SQLEXPRESS\x00");
    }

    #[test]
    fn parses_one_and_several_instances() {
        let one = datagram(
            "ServerName;SQLHOST;InstanceName;SQLEXPRESS;IsClustered;No;Version;15.0.2000.5;tcp;52433;;",
        );
        let v = parse_response(&one).unwrap();
        assert_eq!(
            v,
            vec![BrowserInstance {
                server_name: "SQLHOST".into(),
                instance_name: "SQLEXPRESS".into(),
                version: Some("15.0.2000.5".into()),
                tcp_port: Some(52433),
            }]
        );
        assert_eq!(port_of(&v, "h", "sqlexpress"), Ok(52433));

        let two = datagram(concat!(
            "ServerName;H;InstanceName;MSSQLSERVER;IsClustered;No;Version;16.0.1000.6;tcp;1433;;",
            "ServerName;H;InstanceName;SALES;IsClustered;No;Version;16.0.1000.6;np;\\\\H\\pipe\\MSSQL$SALES\\sql\\query;;"
        ));
        let v = parse_response(&two).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(port_of(&v, "H", "MSSQLSERVER"), Ok(1433));
        assert!(matches!(
            port_of(&v, "H", "SALES"),
            Err(BrowserError::NoTcp { .. })
        ));
        assert!(matches!(
            port_of(&v, "H", "OTHER"),
            Err(BrowserError::UnknownInstance { .. })
        ));
    }

    #[test]
    fn refuses_what_is_not_ssrp() {
        assert!(parse_response(b"").is_err());
        assert!(parse_response(b"\x06\x01\x00x").is_err());
        assert!(parse_response(&datagram("ServerName;H;tcp;1;;")).is_err());
        // A length longer than the datagram is tolerated (the text that arrived is used).
        let mut d = datagram("ServerName;H;InstanceName;A;tcp;5000;;");
        d[1] = 0xff;
        assert_eq!(parse_response(&d).unwrap()[0].tcp_port, Some(5000));
    }

    #[tokio::test]
    async fn a_silent_browser_is_reported_with_its_host() {
        // Nothing listens on UDP 1434 here: either refused (ICMP) or silent until the wait ends.
        let e = lookup_port("127.0.0.1", "NOPE", Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("127.0.0.1"), "{e}");
    }
}
