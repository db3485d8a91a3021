//! The client library of the management API, used by `ssisctl` (and later `dtutil /DTS` and
//! `dtexec /DTS`): finds the service, checks that the two versions may talk, sends requests and
//! turns the answers and the ways of failing into [`ClientError`]s a person can act on. It knows
//! the API's URLs and JSON, not how results are displayed.

pub mod endpoint;
pub mod path;
pub mod version;

use std::io::Read;
use std::time::Duration;

use serde_json::Value;

pub use endpoint::Endpoint;
pub use path::ItemPath;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("ssisd is not running or not reachable at {named} ({authority}): {detail}. Start it (systemctl start ssisd, or run ssisd) or name the right computer with --server")]
    NotRunning {
        named: String,
        authority: String,
        detail: String,
    },
    #[error("this ssisctl is version {client} and the service is version {service}: they cannot work together; use the ssisctl of version {service}")]
    Incompatible { client: String, service: String },
    #[error("{message}")]
    Api { status: u16, message: String },
    #[error("{0}")]
    Other(String),
}

impl ClientError {
    /// Exit codes: 69 (service unavailable, as sysexits), 2 bad usage / refused input, 1 other.
    pub fn exit_code(&self) -> u8 {
        match self {
            ClientError::NotRunning { .. } => 69,
            ClientError::Incompatible { .. } => 70,
            ClientError::Api { status, .. } if (400..500).contains(status) => 2,
            _ => 1,
        }
    }
}

/// A connection to one service.
pub struct Client {
    endpoint: Endpoint,
    agent: ureq::Agent,
    pub service_version: String,
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

impl Client {
    /// Finds the service and checks versions (`GET /status`).
    pub fn connect(server: Option<&str>) -> Result<Client, ClientError> {
        let endpoint = endpoint::resolve(server);
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .build();
        let mut client = Client {
            endpoint,
            agent,
            service_version: String::new(),
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

    fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.endpoint.base_url(),
            path.trim_start_matches('/')
        )
    }

    /// Sends a request; any status of 400 or more becomes `ClientError::Api` with the service's
    /// message.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Answer, ClientError> {
        let answer = self.raw(method, path, body, Duration::from_secs(300))?;
        if answer.status >= 400 {
            let message = serde_json::from_slice::<Value>(&answer.body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| format!("the service answered {}", answer.status));
            return Err(ClientError::Api {
                status: answer.status,
                message,
            });
        }
        Ok(answer)
    }

    /// Sends a request and returns the answer whatever its status.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<Answer, ClientError> {
        let req = self
            .agent
            .request(method, &self.url(path))
            .timeout(timeout)
            .set(version::CLIENT_HEADER, version::VERSION);
        let result = match body {
            Some(b) => req.send_bytes(b),
            None => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => {
                return Err(ClientError::NotRunning {
                    named: self.endpoint.named.clone(),
                    authority: self.endpoint.authority.clone(),
                    detail: t.to_string(),
                })
            }
        };
        if let Some(service) = response.header(version::SERVICE_HEADER) {
            if !version::compatible(version::VERSION, service) {
                return Err(ClientError::Incompatible {
                    client: version::VERSION.into(),
                    service: service.to_string(),
                });
            }
        }
        let status = response.status();
        let mut body = Vec::new();
        response
            .into_reader()
            .take(1 << 31)
            .read_to_end(&mut body)
            .map_err(|e| ClientError::Other(format!("reading the answer failed: {e}")))?;
        Ok(Answer { status, body })
    }

    /// Follows a server-sent-event stream, calling `each` with every `data:` payload until it
    /// returns false or the stream ends.
    pub fn follow(
        &self,
        path: &str,
        mut each: impl FnMut(&str) -> bool,
    ) -> Result<(), ClientError> {
        let response = self
            .agent
            .get(&self.url(path))
            .set(version::CLIENT_HEADER, version::VERSION)
            .call()
            .map_err(|e| match e {
                ureq::Error::Transport(t) => ClientError::NotRunning {
                    named: self.endpoint.named.clone(),
                    authority: self.endpoint.authority.clone(),
                    detail: t.to_string(),
                },
                ureq::Error::Status(status, r) => ClientError::Api {
                    status,
                    message: r.into_string().unwrap_or_default(),
                },
            })?;
        let reader = std::io::BufReader::new(response.into_reader());
        for line in std::io::BufRead::lines(reader) {
            let line = line.map_err(|e| ClientError::Other(format!("the stream broke: {e}")))?;
            if let Some(data) = line.strip_prefix("data: ") {
                if !each(data) {
                    break;
                }
            }
        }
        Ok(())
    }
}
