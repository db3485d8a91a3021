//! Refuses what a web browser could have been led to send, on every listener and before any
//! authentication: a `Host` that is not one of the listener's names (DNS rebinding: a page of
//! `evil.example` whose name was re-pointed at 127.0.0.1 would otherwise be "same origin"), a
//! change (POST, PUT, PATCH, DELETE) from another web origin (`Origin`, `Sec-Fetch-Site`), and a
//! change whose body is not of the media type the route reads (JSON, XML for a package, a zip
//! archive for a project) —
//! the form and text posts a page may send without asking. Clients that are not browsers send
//! no `Origin` and name the service as they reached it, so nothing changes for them. This module
//! only refuses; who the caller is, is `auth`'s.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;

use super::auth::Peer;
use super::error::ApiError;

/// Media types a package body may be sent as (the first is what clients send).
pub const PACKAGE_MEDIA_TYPES: &[&str] =
    &["application/xml", "text/xml", "application/octet-stream"];
/// Media types a project body (an `.ispac`, a zip archive) may be sent as.
pub const PROJECT_MEDIA_TYPES: &[&str] = &["application/octet-stream", "application/zip"];
/// The media type of every other body.
pub const JSON: &str = "application/json";

/// The media type a client sends a body of `method` to `path` (below `/api/v1/`) as.
pub fn body_media_type(method: &str, path: &str) -> &'static str {
    let path = path.trim_start_matches('/');
    if is_package_upload(method, path) {
        PACKAGE_MEDIA_TYPES[0]
    } else if method.eq_ignore_ascii_case("PUT") && path.starts_with("projects/") {
        PROJECT_MEDIA_TYPES[0]
    } else {
        JSON
    }
}

fn is_package_upload(method: &str, path: &str) -> bool {
    method.eq_ignore_ascii_case("PUT") && path.starts_with("packages/")
}

/// The names the service answers to, and the TCP listener's port and scheme.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    port: u16,
    scheme: &'static str,
    /// Lower case: `localhost`, the machine's host name, `service.host_names`.
    names: Vec<String>,
}

impl HostPolicy {
    pub fn new(tcp: SocketAddr, tls: bool, configured: &[String]) -> HostPolicy {
        let mut names = vec!["localhost".to_string()];
        if let Some(h) = machine_name() {
            names.push(h);
        }
        names.extend(configured.iter().map(|n| n.to_ascii_lowercase()));
        HostPolicy {
            port: tcp.port(),
            scheme: if tls { "https" } else { "http" },
            names,
        }
    }

    /// Whether `host` (without port) names this service: an IP address (a browser that sends
    /// one connected to it, so no name was re-pointed), `localhost`, the host name or a
    /// configured name.
    fn is_own_name(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.parse::<Ipv4Addr>().is_ok() {
            return true;
        }
        if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return v6.parse::<Ipv6Addr>().is_ok();
        }
        self.names.contains(&host)
    }

    /// Checks an authority (`host[:port]`) as sent in `Host` or inside `Origin`; on TCP the
    /// port must be the listener's (the scheme's default when none is written).
    fn check_authority(&self, authority: &str, unix: bool) -> Result<(), String> {
        let (host, port) = split_authority(authority)
            .ok_or_else(|| format!("\"{authority}\" is not a host name with an optional port"))?;
        if !self.is_own_name(host) {
            return Err(format!(
                "\"{host}\" is not a name of this service (it answers to localhost, its IP addresses{}); if clients reach it through another name, add that name to service.host_names",
                self.names
                    .iter()
                    .skip(1)
                    .map(|n| format!(", {n}"))
                    .collect::<String>()
            ));
        }
        if unix {
            return Ok(());
        }
        let port = match port {
            Some(p) => p,
            None if self.scheme == "https" => 443,
            None => 80,
        };
        if port != self.port {
            return Err(format!(
                "port {port} is not this listener's ({})",
                self.port
            ));
        }
        Ok(())
    }

    /// The checks of one request; `Err` is the refusal.
    fn check(&self, req: &ServiceRequest) -> Result<(), ApiError> {
        let unix = matches!(req.conn_data::<Peer>(), Some(Peer::Unix { .. }));
        let host = req
            .headers()
            .get(header::HOST)
            .map(|h| h.to_str().unwrap_or("\u{fffd}").to_string())
            .or_else(|| req.uri().authority().map(|a| a.to_string()));
        match host {
            Some(h) => self.check_authority(&h, unix).map_err(|why| {
                ApiError::bad_request(format!("the Host header is refused: {why}"))
            })?,
            None if unix => {}
            None => {
                return Err(ApiError::bad_request(
                    "the request has no Host header; HTTP/1.1 requires one naming the service",
                ))
            }
        }
        if !is_change(req.method()) {
            return Ok(());
        }
        if let Some(site) = req.headers().get("sec-fetch-site") {
            let site = site.to_str().unwrap_or("");
            if !matches!(site, "same-origin" | "none") {
                return Err(ApiError::forbidden(format!(
                    "changes are not accepted from another web site (Sec-Fetch-Site: {site}); use ssisctl, dtutil or another API client"
                )));
            }
        }
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("\u{fffd}");
            self.check_origin(origin, unix).map_err(|why| {
                ApiError::forbidden(format!(
                    "changes are accepted only from the service's own origin, not from {origin}: {why}; use ssisctl, dtutil or another API client (they send no Origin)"
                ))
            })?;
        }
        Ok(())
    }

    fn check_origin(&self, origin: &str, unix: bool) -> Result<(), String> {
        let Some((scheme, authority)) = origin.split_once("://") else {
            return Err("it names no web origin".into());
        };
        if !unix && !scheme.eq_ignore_ascii_case(self.scheme) {
            return Err(format!("this listener speaks {}", self.scheme));
        }
        if authority.contains('/') {
            return Err("an origin has no path".into());
        }
        self.check_authority(authority, unix)
    }
}

fn is_change(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Whether the request carries a body (a length above 0, or chunks).
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return true;
    }
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > 0)
}

/// A change's body must be of the type its route reads (`wanted`); a request without a body
/// passes.
fn check_media_type(req: &ServiceRequest, wanted: &[&str]) -> Result<(), ApiError> {
    if !has_body(req) {
        return Ok(());
    }
    let sent = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let essence = sent.map(|s| {
        s.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    if essence.as_deref().is_some_and(|e| wanted.contains(&e)) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "{} body is refused: send it with Content-Type: {}",
            match sent {
                Some(t) => format!("a {t}"),
                None => "a body without Content-Type".into(),
            },
            wanted.join(" or ")
        ),
    ))
}

async fn media_type(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    wanted: &[&str],
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match check_media_type(&req, wanted) {
        Ok(()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
        Err(e) => {
            let (request, _) = req.into_parts();
            Ok(ServiceResponse::new(
                request,
                actix_web::ResponseError::error_response(&e),
            ))
        }
    }
}

/// Route middleware of the routes that read a JSON body.
pub async fn json_body(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    media_type(req, next, &[JSON]).await
}

/// Route middleware of the package upload.
pub async fn package_body(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    media_type(req, next, PACKAGE_MEDIA_TYPES).await
}

/// Route middleware of the project upload.
pub async fn project_body(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    media_type(req, next, PROJECT_MEDIA_TYPES).await
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    if authority.is_empty() || authority.contains(['@', '/', ' ']) {
        return None;
    }
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        return match rest.strip_prefix(':') {
            Some(p) => Some((host, Some(p.parse().ok()?))),
            None if rest.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => Some((host, Some(port.parse().ok()?))),
        Some(_) => None,
        None => Some((authority, None)),
    }
}

/// The machine's host name, lower case (`/proc/sys/kernel/hostname`).
fn machine_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
}

/// The middleware: refuses before anything else runs.
pub async fn check(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let refusal = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .and_then(|state| state.hosts.check(&req).err());
    match refusal {
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
        Some(e) => {
            let (request, _) = req.into_parts();
            Ok(ServiceResponse::new(
                request,
                actix_web::ResponseError::error_response(&e),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> HostPolicy {
        HostPolicy {
            port: 10135,
            scheme: "http",
            names: vec!["localhost".into(), "ssis.example.com".into()],
        }
    }

    #[test]
    fn own_names_and_addresses_pass_others_do_not() {
        let p = policy();
        for ok in [
            "localhost:10135",
            "LOCALHOST:10135",
            "127.0.0.1:10135",
            "[::1]:10135",
            "10.0.0.5:10135",
            "ssis.example.com:10135",
            "localhost.:10135",
        ] {
            assert!(p.check_authority(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "evil.example:10135",
            "localhost:80",
            "localhost",
            "127.0.0.1.evil.example:10135",
            "user@localhost:10135",
            "[::1:10135",
            "",
        ] {
            assert!(p.check_authority(bad, false).is_err(), "{bad}");
        }
        // The socket: any port (there is none), but still a name of the service.
        assert!(p.check_authority("localhost", true).is_ok());
        assert!(p.check_authority("evil.example", true).is_err());
    }

    #[test]
    fn origins_must_be_the_listener_s_own() {
        let p = policy();
        assert!(p.check_origin("http://localhost:10135", false).is_ok());
        assert!(p.check_origin("http://127.0.0.1:10135", false).is_ok());
        for bad in [
            "http://evil.example",
            "null",
            "https://localhost:10135",
            "http://localhost:8080",
            "http://localhost:10135/x",
        ] {
            assert!(p.check_origin(bad, false).is_err(), "{bad}");
        }
    }
}
