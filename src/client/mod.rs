//! The client library of the management API, used by `ssisctl`, `dtutil /DTS` and `dtexec /DTS`:
//! finds the service (`endpoint`), proves who is calling (`credentials`), talks HTTP/1.1 to it
//! over its Unix socket, TCP or TLS (`transport`), checks that the two versions may talk, and
//! turns the answers and the ways of failing into [`ClientError`]s a person can act on. It
//! knows the API's URLs and JSON, not how results are displayed; it must not print.

pub mod credentials;
pub mod endpoint;
pub mod path;
pub mod transport;
pub mod version;

use std::io::BufRead;
use std::time::Duration;

use serde_json::Value;

pub use credentials::{CredentialOptions, Credentials, CredentialsError, Token};
pub use endpoint::{Address, Endpoint, EndpointError};
pub use path::ItemPath;
pub use transport::{Transport, TransportError};

/// The most a buffered answer may hold.
const MAX_BODY: u64 = 1 << 31;
/// How long `request` waits for the service.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("ssisd is not running or not reachable at {named} ({authority}): {detail}. Start it (systemctl start ssisd, or run ssisd) or name the right computer with --server")]
    NotRunning {
        named: String,
        authority: String,
        detail: String,
    },
    #[error("you may not use the service's socket {path} ({detail}): ask its administrator for access to the socket, or connect over TCP with a token (--server http://localhost:PORT and SSISD_TOKEN)")]
    SocketDenied { path: String, detail: String },
    #[error("this ssisctl is version {client} and the service is version {service}: they cannot work together; use the ssisctl of version {service}")]
    Incompatible { client: String, service: String },
    #[error("the service at {endpoint} needs credentials: set SSISD_TOKEN, SSISD_TOKEN_FILE or --token-file (tokens are created on the service's machine with `ssisd token create`)")]
    NeedsCredentials { endpoint: String },
    #[error("the service at {endpoint} refused the token {token}: {reason}. Check that it is the whole token, or create a new one on the service's machine with `ssisd token create`")]
    TokenRefused {
        endpoint: String,
        token: String,
        reason: String,
    },
    #[error("not permitted: {reason}")]
    Forbidden { reason: String },
    #[error("too many failed authentications from this address; {}", retry_text(*.retry_after))]
    RateLimited { retry_after: Option<u64> },
    #[error("{message}")]
    Api { status: u16, message: String },
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("{0}")]
    Other(String),
}

impl ClientError {
    /// Exit codes: 69 (service unavailable, as sysexits), 70 incompatible versions, 2 bad usage
    /// or refused (input, credentials, permissions), 1 other.
    pub fn exit_code(&self) -> u8 {
        match self {
            ClientError::NotRunning { .. } => 69,
            ClientError::Incompatible { .. } => 70,
            ClientError::Api { status, .. } if (400..500).contains(status) => 2,
            ClientError::SocketDenied { .. }
            | ClientError::NeedsCredentials { .. }
            | ClientError::TokenRefused { .. }
            | ClientError::Forbidden { .. }
            | ClientError::RateLimited { .. }
            | ClientError::Endpoint(_)
            | ClientError::Credentials(_) => 2,
            _ => 1,
        }
    }

    /// The HTTP status the service answered, when the error is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            ClientError::NeedsCredentials { .. } | ClientError::TokenRefused { .. } => Some(401),
            ClientError::Forbidden { .. } => Some(403),
            ClientError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }
}

/// A connection to one service.
pub struct Client {
    endpoint: Endpoint,
    transport: Transport,
    token: Option<Token>,
    pub service_version: String,
    /// The service's top-level folder names, asked for once when a path needs them.
    tops: std::sync::OnceLock<Vec<String>>,
}

/// An API answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Result<Value, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ClientError::Other(format!(
                "the service answered something that is not JSON: {e}"
            ))
        })
    }
}

fn retry_text(retry_after: Option<u64>) -> String {
    match retry_after {
        Some(secs) => format!("retry in {secs} s"),
        None => "retry in a minute".to_string(),
    }
}

/// The service's `message` in a JSON error body.
fn message_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
}

impl Client {
    /// Finds the service (see [`endpoint::resolve`]), with credentials from the environment, and
    /// checks versions (`GET /status`).
    pub fn connect(server: Option<&str>) -> Result<Client, ClientError> {
        Self::connect_with(server, &Credentials::from_env()?)
    }

    /// Finds the service and checks versions, with these credentials.
    pub fn connect_with(
        server: Option<&str>,
        credentials: &Credentials,
    ) -> Result<Client, ClientError> {
        Self::connect_to(endpoint::resolve(server)?, credentials)
    }

    /// Connects to an endpoint already resolved and checks versions.
    pub fn connect_to(
        endpoint: Endpoint,
        credentials: &Credentials,
    ) -> Result<Client, ClientError> {
        let transport = match &endpoint.address {
            Address::Unix(path) => Transport::Unix(path.clone()),
            Address::Http { authority } => Transport::Tcp {
                authority: authority.clone(),
            },
            Address::Https {
                authority,
                server_name,
            } => Transport::tls(authority, server_name, credentials.tls_config()?)?,
        };
        // A token goes only where it is needed and cannot be read on the way: over TLS, or over
        // plain HTTP to this machine. The socket identifies the caller by its account instead.
        let token = match &endpoint.address {
            Address::Unix(_) => None,
            Address::Https { .. } => credentials.token.clone(),
            Address::Http { authority } => {
                if credentials.token.is_some() && !endpoint::is_loopback_authority(authority) {
                    return Err(ClientError::Other(format!(
                        "refusing to send the bearer token over plain HTTP to {authority}, where anyone on the way could read it; connect with https:// (the default for a computer name)"
                    )));
                }
                credentials.token.clone()
            }
        };
        let mut client = Client {
            endpoint,
            transport,
            token,
            service_version: String::new(),
            tops: std::sync::OnceLock::new(),
        };
        let answer = client.request("GET", "status", None)?;
        let status = answer.json()?;
        let service = status["version"].as_str().unwrap_or("unknown").to_string();
        if !version::compatible(version::VERSION, &service) {
            return Err(ClientError::Incompatible {
                client: version::VERSION.into(),
                service,
            });
        }
        client.service_version = service;
        Ok(client)
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// A path as a user wrote it (`\\MSDB\\Sales\\Load`, `File System/Sales`), split into names.
    /// When a backslash follows the first name, the service's top-level folder names are asked
    /// for (once) so that one holding a backslash (`MSDB ETL01\\INST2`) is kept whole.
    pub fn item_path(&self, text: &str) -> Result<ItemPath, ClientError> {
        let bad = |e: path::EmptyPath| ClientError::Api {
            status: 400,
            message: e.to_string(),
        };
        if text.trim_start_matches(['/', '\\']).contains('\\') {
            ItemPath::parse_with_tops(text, self.top_level_names()?).map_err(bad)
        } else {
            ItemPath::parse(text).map_err(bad)
        }
    }

    /// The names of the service's top-level folders (`GET /folders`), asked for once.
    pub fn top_level_names(&self) -> Result<&[String], ClientError> {
        if let Some(names) = self.tops.get() {
            return Ok(names);
        }
        let listing = self.request("GET", "folders", None)?.json()?;
        let names = listing["folders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["name"].as_str().map(str::to_string))
            .collect();
        Ok(self.tops.get_or_init(|| names))
    }

    /// Sends a request; any status of 400 or more becomes an error with the service's message.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Answer, ClientError> {
        let answer = self.raw(method, path, body, REQUEST_TIMEOUT)?;
        if answer.status >= 400 {
            return Err(self.refusal(answer.status, &answer.body, None));
        }
        Ok(answer)
    }

    /// [`Client::request`] with extra header fields (e.g. an import's package password,
    /// which must never go into the URL).
    pub fn request_with_headers(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        extra: &[(&'static str, String)],
    ) -> Result<Answer, ClientError> {
        let answer = self.raw_with_headers(method, path, body, REQUEST_TIMEOUT, extra)?;
        if answer.status >= 400 {
            return Err(self.refusal(answer.status, &answer.body, None));
        }
        Ok(answer)
    }

    /// Sends a request and returns the answer whatever its status — except that a refusal of
    /// the caller's credentials (401, 429) is an error, since no caller can use it as an answer.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<Answer, ClientError> {
        self.raw_with_headers(method, path, body, timeout, &[])
    }

    fn raw_with_headers(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        timeout: Duration,
        extra: &[(&'static str, String)],
    ) -> Result<Answer, ClientError> {
        let target = format!("/api/v1/{}", path.trim_start_matches('/'));
        let authorization = self.token.as_ref().map(Token::authorization);
        let mut headers = self.headers(authorization.as_deref());
        headers.extend(extra.iter().map(|(n, v)| (*n, v.as_str())));
        if body.is_some() {
            headers.push((
                "Content-Type",
                crate::api::guard::body_media_type(method, path),
            ));
        }
        let request = transport::Request {
            method,
            target: &target,
            headers: &headers,
            body,
            timeout: Some(timeout),
        };
        let answer = self
            .transport
            .fetch(&request, MAX_BODY)
            .map_err(|e| self.transport_error(e))?;
        self.check_version(&answer.head)?;
        let status = answer.head.status;
        if let Some(e) =
            self.credentials_refused(status, &answer.body, answer.head.header("retry-after"))
        {
            return Err(e);
        }
        Ok(Answer {
            status,
            body: answer.body,
        })
    }

    /// Follows a server-sent-event stream, calling `each` with every `data:` payload until it
    /// returns false or the stream ends.
    pub fn follow(
        &self,
        path: &str,
        mut each: impl FnMut(&str) -> bool,
    ) -> Result<(), ClientError> {
        let target = format!("/api/v1/{}", path.trim_start_matches('/'));
        let authorization = self.token.as_ref().map(Token::authorization);
        let mut headers = self.headers(authorization.as_deref());
        headers.push(("Accept", "text/event-stream"));
        let request = transport::Request {
            method: "GET",
            target: &target,
            headers: &headers,
            body: None,
            timeout: None,
        };
        let response = self
            .transport
            .send(&request)
            .map_err(|e| self.transport_error(e))?;
        self.check_version(&response.head)?;
        let status = response.head.status;
        if status >= 400 {
            let retry_after = response.head.header("retry-after").map(str::to_string);
            let body = response.buffer(1 << 20).map(|b| b.body).unwrap_or_default();
            return Err(self.refusal(status, &body, retry_after.as_deref()));
        }
        let reader = std::io::BufReader::new(response.body);
        for line in reader.lines() {
            let line = line.map_err(|e| {
                ClientError::Other(format!(
                    "the event stream from {} broke: {e}",
                    self.endpoint
                ))
            })?;
            if let Some(data) = line
                .strip_prefix("data: ")
                .or_else(|| line.strip_prefix("data:"))
            {
                if !each(data) {
                    break;
                }
            }
        }
        Ok(())
    }

    fn headers<'a>(&self, authorization: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
        let mut headers = vec![
            (version::CLIENT_HEADER, version::VERSION),
            (
                "User-Agent",
                concat!("ssisd-client/", env!("CARGO_PKG_VERSION")),
            ),
        ];
        if let Some(a) = authorization {
            headers.push(("Authorization", a));
        }
        headers
    }

    fn check_version(&self, head: &transport::Head) -> Result<(), ClientError> {
        if let Some(service) = head.header(version::SERVICE_HEADER) {
            if !version::compatible(version::VERSION, service) {
                return Err(ClientError::Incompatible {
                    client: version::VERSION.into(),
                    service: service.to_string(),
                });
            }
        }
        Ok(())
    }

    /// A refusal of the caller's credentials: 401, or 429 for failed authentications (a 429
    /// for too many running packages is an ordinary answer).
    fn credentials_refused(
        &self,
        status: u16,
        body: &[u8],
        retry_after: Option<&str>,
    ) -> Option<ClientError> {
        let message = message_of(body);
        match status {
            401 => Some(match &self.token {
                None => ClientError::NeedsCredentials {
                    endpoint: self.endpoint.describe(),
                },
                Some(token) => ClientError::TokenRefused {
                    endpoint: self.endpoint.describe(),
                    token: token.redacted(),
                    reason: message.unwrap_or_else(|| "unknown, revoked or expired".into()),
                },
            }),
            429 if message
                .as_deref()
                .is_some_and(|m| m.contains("authentication")) =>
            {
                Some(ClientError::RateLimited {
                    retry_after: retry_after.and_then(|r| r.trim().parse().ok()),
                })
            }
            _ => None,
        }
    }

    /// An error answer (400 or more) as the error a person can act on.
    fn refusal(&self, status: u16, body: &[u8], retry_after: Option<&str>) -> ClientError {
        if let Some(e) = self.credentials_refused(status, body, retry_after) {
            return e;
        }
        let message = message_of(body);
        match status {
            403 => ClientError::Forbidden {
                reason: message
                    .unwrap_or_else(|| "the service refuses this to the caller".to_string()),
            },
            _ => ClientError::Api {
                status,
                message: message.unwrap_or_else(|| format!("the service answered {status}")),
            },
        }
    }

    fn transport_error(&self, e: TransportError) -> ClientError {
        match e {
            TransportError::Connect { source, .. }
                if source.kind() == std::io::ErrorKind::PermissionDenied
                    && matches!(self.endpoint.address, Address::Unix(_)) =>
            {
                ClientError::SocketDenied {
                    path: self.endpoint.describe(),
                    detail: source.to_string(),
                }
            }
            TransportError::Connect { source, .. } => ClientError::NotRunning {
                named: self.endpoint.named.clone(),
                authority: self.endpoint.describe(),
                detail: source.to_string(),
            },
            other => ClientError::Transport(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;

    fn reply(status: &str, headers: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nX-Ssisd-Version: {}\r\n{headers}\r\n{body}",
            body.len(),
            version::VERSION
        )
    }

    fn status_ok() -> String {
        reply(
            "200 OK",
            "",
            &format!(r#"{{"version":"{}"}}"#, version::VERSION),
        )
    }

    /// Answers one connection after another with `answers`; each request's head comes back.
    fn server(answers: Vec<String>) -> (Endpoint, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let authority = listener.local_addr().unwrap().to_string();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for answer in answers {
                let (mut s, _) = listener.accept().unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
                let _ = s.write_all(answer.as_bytes());
            }
        });
        let endpoint = Endpoint {
            address: Address::Http { authority },
            named: "test".into(),
            local: true,
        };
        (endpoint, rx)
    }

    fn with_token() -> Credentials {
        Credentials {
            token: Some(Token::parse("ssisd_k3x_TOPSECRET", "test").unwrap()),
            ..Credentials::default()
        }
    }

    #[test]
    fn no_credentials_says_how_to_get_them() {
        let body = r#"{"status":401,"message":"credentials needed"}"#;
        let (e, _) = server(vec![reply("401 Unauthorized", "", body)]);
        let err = Client::connect_to(e, &Credentials::default())
            .err()
            .unwrap();
        assert!(
            matches!(err, ClientError::NeedsCredentials { .. }),
            "{err:?}"
        );
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        assert!(
            text.contains("SSISD_TOKEN") && text.contains("ssisd token create"),
            "{text}"
        );
    }

    #[test]
    fn the_token_is_sent_and_a_refusal_names_it_without_the_secret() {
        let refused = r#"{"message":"the token is revoked"}"#;
        let (e, seen) = server(vec![status_ok(), reply("401 Unauthorized", "", refused)]);
        let c = Client::connect_to(e, &with_token()).unwrap();
        let head = seen.recv().unwrap();
        assert!(
            head.starts_with("GET /api/v1/status HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(
            head.contains("Authorization: Bearer ssisd_k3x_TOPSECRET\r\n"),
            "{head}"
        );
        assert!(
            head.contains(&format!("X-Ssisd-Client-Version: {}\r\n", version::VERSION)),
            "{head}"
        );
        let err = c.request("GET", "folders", None).err().unwrap();
        let text = err.to_string();
        assert!(
            text.contains("ssisd_k3x_") && text.contains("revoked") && !text.contains("TOPSECRET"),
            "{text}"
        );
    }

    #[test]
    fn refusals_and_rate_limits() {
        let (e, _) = server(vec![
            status_ok(),
            reply(
                "403 Forbidden",
                "",
                r#"{"message":"alice (limited-user) may not export \\MSDB\\Payroll"}"#,
            ),
            reply(
                "429 Too Many Requests",
                "Retry-After: 17\r\n",
                r#"{"message":"too many failed authentications from this address; retry in 17 s"}"#,
            ),
            reply(
                "429 Too Many Requests",
                "",
                r#"{"message":"4 packages are running, the most allowed"}"#,
            ),
            reply(
                "429 Too Many Requests",
                "",
                r#"{"message":"4 packages are running, the most allowed"}"#,
            ),
        ]);
        let c = Client::connect_to(e, &with_token()).unwrap();
        let err = c
            .request("GET", "packages/MSDB/Payroll", None)
            .err()
            .unwrap();
        assert!(matches!(err, ClientError::Forbidden { .. }), "{err:?}");
        assert!(err.to_string().contains("may not export"), "{err}");
        assert_eq!(err.exit_code(), 2);
        // A rate limit is an error even from `raw`.
        let err = c
            .raw("GET", "status", None, Duration::from_secs(5))
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "too many failed authentications from this address; retry in 17 s"
        );
        // Too many running packages is an ordinary answer.
        let answer = c
            .raw("POST", "running", Some(b"{}"), Duration::from_secs(5))
            .unwrap();
        assert_eq!(answer.status, 429);
        let err = c.request("POST", "running", Some(b"{}")).err().unwrap();
        assert!(
            matches!(err, ClientError::Api { status: 429, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn versions_and_unreachable_services() {
        let (e, _) = server(vec![
            "HTTP/1.1 400 Bad Request\r\nX-Ssisd-Version: 9.4.0\r\nContent-Length: 2\r\n\r\n{}"
                .to_string(),
        ]);
        let err = Client::connect_to(e, &Credentials::default())
            .err()
            .unwrap();
        assert_eq!(err.exit_code(), 70, "{err}");

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let authority = listener.local_addr().unwrap().to_string();
        drop(listener);
        let e = Endpoint {
            address: Address::Http { authority },
            named: "localhost:1".into(),
            local: true,
        };
        let err = Client::connect_to(e, &Credentials::default())
            .err()
            .unwrap();
        assert_eq!(err.exit_code(), 69, "{err}");
        assert!(err.to_string().contains("not running"), "{err}");
    }

    #[test]
    fn follows_an_event_stream() {
        let stream = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n\
                      b\r\ndata: one\n\n\r\n\
                      7\r\n: ping\n\r\n\
                      b\r\ndata: two\n\n\r\n\
                      d\r\ndata: three\n\n\r\n0\r\n\r\n";
        let (e, seen) = server(vec![status_ok(), stream.to_string()]);
        let c = Client::connect_to(e, &Credentials::default()).unwrap();
        let mut got = Vec::new();
        c.follow("events/stream?since_id=3", |d| {
            got.push(d.to_string());
            got.len() < 2
        })
        .unwrap();
        assert_eq!(got, ["one", "two"]);
        let _status = seen.recv().unwrap();
        let head = seen.recv().unwrap();
        assert!(
            head.starts_with("GET /api/v1/events/stream?since_id=3 HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(!head.contains("Authorization"), "{head}");
    }
}
