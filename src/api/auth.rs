//! Authentication of every API request: what kind of connection it came on (Unix socket with the
//! peer's credentials, plain TCP, TLS with an optional client certificate — recorded once per
//! connection by [`on_connect`]), then who the caller is and with which role: the local account
//! behind the socket, a bearer token, a mapped client certificate, or — only when
//! `service.unauthenticated_loopback` allows it — an anonymous loopback administrator; on TCP
//! also a web console session (`crate::console::session`: the caller who signed in, whose
//! changes must carry the session's CSRF token). Console pages without a caller pass on to
//! ask for sign-in; the Unix socket does not serve them. Failed
//! authentications are rate limited per peer and written to the event log without the secret.
//! What a role may do is `access::role`'s; this module only establishes the [`Caller`].

use std::any::Any;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use ssisd_actors::{EventId, EventLogClient, NewEvent};

use super::error::ApiError;
use crate::access::local_user::{self, LocalUser};
use crate::access::rate_limit::FailureLimiter;
use crate::access::tokens::{TokenStore, Verdict};
use crate::access::{tls, Principal, Role};
use crate::config::{AccessConfig, MetricsConfig, ServiceConfig};

/// The connection a request arrived on (set by [`on_connect`]).
#[derive(Debug, Clone)]
pub enum Peer {
    Unix {
        uid: u32,
        gid: u32,
        pid: Option<i32>,
    },
    Tcp {
        addr: SocketAddr,
    },
    Tls {
        addr: SocketAddr,
        /// CN and SAN names of a verified client certificate.
        client_names: Vec<String>,
    },
}

impl Peer {
    /// The key failed authentications are counted under.
    fn limit_key(&self) -> String {
        match self {
            Peer::Unix { uid, .. } => format!("uid:{uid}"),
            Peer::Tcp { addr } | Peer::Tls { addr, .. } => match addr.ip() {
                // One host usually holds a whole /64: count it as one peer.
                std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => v4.to_string(),
                    None => {
                        let s = v6.segments();
                        format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                    }
                },
                ip => ip.to_string(),
            },
        }
    }

    /// Whether the peer is on this machine: the Unix socket, or TCP from a loopback address.
    pub fn is_local(&self) -> bool {
        match self {
            Peer::Unix { .. } => true,
            Peer::Tcp { addr } | Peer::Tls { addr, .. } => addr.ip().is_loopback(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Peer::Unix { uid, pid, .. } => match pid {
                Some(pid) => format!("unix socket (uid {uid}, pid {pid})"),
                None => format!("unix socket (uid {uid})"),
            },
            Peer::Tcp { addr } => format!("tcp {addr}"),
            Peer::Tls { addr, .. } => format!("tls {addr}"),
        }
    }
}

/// Records the kind of connection and the peer's credentials for every request on it.
pub fn on_connect(conn: &dyn Any, ext: &mut Extensions) {
    type TlsStream = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
    if let Some(s) = conn.downcast_ref::<actix_web::rt::net::UnixStream>() {
        if let Ok(cred) = s.peer_cred() {
            ext.insert(Peer::Unix {
                uid: cred.uid(),
                gid: cred.gid(),
                pid: cred.pid(),
            });
        }
    } else if let Some(s) = conn.downcast_ref::<TlsStream>() {
        let (io, session) = s.get_ref();
        if let Ok(addr) = io.peer_addr() {
            let client_names = session
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|cert| tls::peer_identity_names(cert.as_ref()))
                .unwrap_or_default();
            ext.insert(Peer::Tls { addr, client_names });
        }
    } else if let Some(s) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        if let Ok(addr) = s.peer_addr() {
            ext.insert(Peer::Tcp { addr });
        }
    }
}

/// How a caller was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    UnixSocket {
        uid: u32,
        gid: u32,
        pid: Option<i32>,
    },
    Token {
        id: String,
    },
    Certificate {
        name: String,
    },
    UnauthenticatedLoopback {
        peer: String,
    },
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Via::UnixSocket {
                uid,
                pid: Some(pid),
                ..
            } => {
                write!(f, "unix socket (uid {uid}, pid {pid})")
            }
            Via::UnixSocket { uid, pid: None, .. } => write!(f, "unix socket (uid {uid})"),
            Via::Token { id } => write!(f, "token {id}"),
            Via::Certificate { name } => write!(f, "client certificate {name}"),
            Via::UnauthenticatedLoopback { peer } => {
                write!(f, "unauthenticated loopback {peer}")
            }
        }
    }
}

/// The authenticated caller of a request (an extractor for handlers).
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub via: Via,
}

impl Caller {
    pub fn identity(&self) -> &str {
        &self.principal.identity
    }

    pub fn role(&self) -> Role {
        self.principal.role
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(req.extensions().get::<Caller>().cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "the request was not authenticated; send credentials (a bearer token or a client certificate) or use the local Unix socket",
            )
        }))
    }
}

/// The authentication settings and state shared by all workers; replaced parts on reload.
pub struct Gate {
    settings: RwLock<Arc<Settings>>,
    limiter: RwLock<Arc<FailureLimiter>>,
    users: Mutex<UserCache>,
    events: EventLogClient,
}

struct Settings {
    access: AccessConfig,
    metrics: MetricsConfig,
    unauthenticated_loopback: bool,
    tokens: Option<(PathBuf, Arc<TokenStore>)>,
}

/// Local accounts looked up by (uid, gid), with when they were looked up.
type UserCache = HashMap<(u32, u32), (Instant, Arc<LocalUser>)>;

/// How often a connection that outlives one request (an event stream) checks its caller again.
pub const RECHECK: Duration = Duration::from_secs(2);

/// The caller of a stream (server-sent events) that outlives its request, checked again at
/// most every [`RECHECK`]: a revoked token or a role lowered by a reload ends the stream.
pub struct StreamAccess {
    gate: Arc<Gate>,
    caller: Caller,
    checked: Instant,
}

impl StreamAccess {
    pub fn new(gate: Arc<Gate>, caller: Caller) -> StreamAccess {
        StreamAccess {
            gate,
            caller,
            checked: Instant::now(),
        }
    }

    /// `Err` with the stream's last frame (`event: end`, naming why) once access is gone.
    pub async fn check(&mut self) -> Result<(), actix_web::web::Bytes> {
        if self.checked.elapsed() < RECHECK {
            return Ok(());
        }
        self.checked = Instant::now();
        self.gate.recheck(&self.caller).await.map_err(|why| {
            let data = serde_json::json!({ "reason": format!("access ended: {why}") });
            actix_web::web::Bytes::from(format!("event: end\ndata: {data}\n\n"))
        })
    }
}

/// How long a looked-up local account is trusted before it is looked up again.
const USER_CACHE: Duration = Duration::from_secs(30);

/// Why a caller authenticated earlier has no access any more (see [`Gate::recheck`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessEnded {
    /// The local account cannot be looked up again; the reason.
    #[error("{0}")]
    LocalUser(String),
    #[error("bearer tokens are no longer accepted")]
    TokensOff,
    /// The token file cannot be read now; the reason.
    #[error("{0}")]
    TokenStore(String),
    #[error("the token was revoked")]
    Revoked,
    #[error("the caller's role changed from {from} to {to}")]
    RoleChanged { from: Role, to: Role },
    #[error("the caller no longer has access")]
    NoAccess,
}

impl Gate {
    pub fn new(cfg: &ServiceConfig, events: EventLogClient) -> Gate {
        Gate {
            settings: RwLock::new(Arc::new(Settings::from_config(cfg, None))),
            limiter: RwLock::new(Arc::new(limiter_for(&cfg.access))),
            users: Mutex::new(HashMap::new()),
            events,
        }
    }

    /// Applies a reloaded configuration (roles, identities, token file, limits).
    pub fn update(&self, cfg: &ServiceConfig) {
        let older = self.settings();
        let newer = Settings::from_config(cfg, older.tokens.clone());
        if older.access.max_failed_authentications != cfg.access.max_failed_authentications
            || older.access.failed_authentication_window != cfg.access.failed_authentication_window
        {
            *self.limiter.write().unwrap_or_else(|p| p.into_inner()) =
                Arc::new(limiter_for(&cfg.access));
        }
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(newer);
        self.users.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn settings(&self) -> Arc<Settings> {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn limiter(&self) -> Arc<FailureLimiter> {
        self.limiter
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Who may read `GET /metrics` now.
    pub fn metrics(&self) -> MetricsConfig {
        self.settings().metrics
    }

    /// SQL Server roles of an identity (for msdb reader/writer roles).
    pub fn sql_roles(&self, identity: &str) -> Vec<String> {
        self.settings().access.sql_roles(identity)
    }

    /// The local account behind a socket peer, looked up on the blocking pool and cached
    /// briefly. A failing user database is an error (503), never cached.
    async fn local_user(&self, uid: u32, gid: u32) -> Result<Arc<LocalUser>, ApiError> {
        if let Some((at, user)) = self
            .users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(uid, gid))
        {
            if at.elapsed() < USER_CACHE {
                return Ok(user.clone());
            }
        }
        let looked_up = tokio::task::spawn_blocking(move || local_user::lookup(uid, gid))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        let user = match looked_up {
            Ok(u) => Arc::new(u),
            Err(why) => {
                self.events.emit(
                    NewEvent::new(
                        EventId::AuthenticationFailed,
                        format!("The local account of uid {uid} could not be looked up: {why}."),
                    )
                    .field("peer", format!("unix socket (uid {uid})")),
                );
                return Err(ApiError::unavailable(format!(
                    "your account (uid {uid}) could not be looked up in the user database; retry in a moment (the service's event log has the details)"
                )));
            }
        };
        let mut cache = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 1024 {
            cache.clear();
        }
        cache.insert((uid, gid), (Instant::now(), user.clone()));
        Ok(user)
    }

    /// Establishes the caller of a request, or says why it is refused.
    async fn authenticate(&self, req: &ServiceRequest) -> Result<Caller, ApiError> {
        let settings = self.settings();
        let Some(peer) = req.conn_data::<Peer>().cloned() else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "the connection's peer could not be identified; connect through the Unix socket or with credentials",
            ));
        };
        // An identity configured with role "none" is refused however it authenticates.
        let refused = |identity: &str, via: String| -> Result<(), ApiError> {
            if settings.refuses(identity) {
                let message = format!(
                    "{identity} has no access to ssisd (its [[access.identity]] entry has role \"none\"); ask an administrator"
                );
                self.denied(identity, &via, &message);
                return Err(ApiError::forbidden(message));
            }
            Ok(())
        };
        let principal = |identity: String, role: Role| Principal {
            sql_roles: settings.access.sql_roles(&identity),
            identity,
            role,
        };
        if let Peer::Unix { uid, gid, pid } = peer {
            let user = self.local_user(uid, gid).await?;
            let identity = user.identity();
            let Some(role) = settings.local_role(&user) else {
                let message = format!(
                    "local user {identity} has no access to ssisd (access.local_role or its [[access.identity]] entry is \"none\"); ask an administrator"
                );
                self.denied(&identity, &peer.describe(), &message);
                return Err(ApiError::forbidden(message));
            };
            return Ok(Caller {
                principal: principal(identity, role),
                via: Via::UnixSocket { uid, gid, pid },
            });
        }

        // Failures are counted per address; a limited address is refused further attempts,
        // but valid credentials still pass (a guesser must not lock out the rightful users).
        let key = peer.limit_key();
        let limiter = self.limiter();
        let bearer = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or(""));
        if let Some(value) = bearer {
            let token = value
                .split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim());
            let verdict = match (token, &settings.tokens) {
                (Some(t), Some((_, store))) => {
                    let store = store.clone();
                    let t = t.to_string();
                    tokio::task::spawn_blocking(move || store.verify(&t))
                        .await
                        .unwrap_or(Verdict::Invalid)
                }
                _ => Verdict::Invalid,
            };
            return match verdict {
                Verdict::Valid(entry) => {
                    refused(&entry.identity, format!("token {}", entry.id))?;
                    Ok(Caller {
                        principal: principal(entry.identity.clone(), entry.role),
                        via: Via::Token {
                            id: entry.id.clone(),
                        },
                    })
                }
                Verdict::Unavailable(why) => {
                    self.events.emit(
                        NewEvent::new(
                            EventId::AuthenticationFailed,
                            format!(
                                "A bearer token from {} could not be checked: the tokens file is unusable: {why}.",
                                peer.describe()
                            ),
                        )
                        .field("peer", peer.describe()),
                    );
                    Err(ApiError::unavailable(
                        "bearer tokens cannot be checked right now; an administrator will find why in the service's event log (event 1040)",
                    ))
                }
                Verdict::Invalid => Err(self.failed(
                    &limiter,
                    &key,
                    &peer,
                    if token.is_none() {
                        "the Authorization header is not `Bearer <token>`"
                    } else {
                        "the bearer token is unknown or revoked"
                    },
                )),
            };
        }
        if let Peer::Tls { client_names, .. } = &peer {
            if !client_names.is_empty() {
                return match settings.access.certificate_for(client_names) {
                    Some(rule) => {
                        refused(&rule.identity, format!("client certificate {}", rule.name))?;
                        Ok(Caller {
                            principal: principal(rule.identity.clone(), rule.role),
                            via: Via::Certificate {
                                name: rule.name.clone(),
                            },
                        })
                    }
                    None => Err(self.failed(
                        &limiter,
                        &key,
                        &peer,
                        &format!(
                            "the client certificate ({}) is not mapped to an identity by [[access.certificate]]",
                            client_names.join(", ")
                        ),
                    )),
                };
            }
        }
        if let Peer::Tcp { addr } = &peer {
            if settings.unauthenticated_loopback && addr.ip().is_loopback() {
                return Ok(Caller {
                    principal: principal("unauthenticated-loopback".into(), Role::Administrator),
                    via: Via::UnauthenticatedLoopback {
                        peer: addr.to_string(),
                    },
                });
            }
        }
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this request needs credentials: send `Authorization: Bearer <token>` (tokens are made with `ssisd token create` on the service's machine), use a mapped client certificate, or connect through the local Unix socket",
        )
        .with_header("WWW-Authenticate", "Bearer realm=\"ssisd\""))
    }

    /// Checks again a caller authenticated earlier, for connections that outlive one request
    /// (event streams): `Err` with the reason when its token was revoked, its certificate rule
    /// or unauthenticated access removed, or its role changed by a reload.
    pub async fn recheck(&self, caller: &Caller) -> Result<(), AccessEnded> {
        let settings = self.settings();
        let now = match &caller.via {
            Via::UnixSocket { uid, gid, .. } => {
                let user = self
                    .local_user(*uid, *gid)
                    .await
                    .map_err(|e| AccessEnded::LocalUser(e.message.clone()))?;
                settings.local_role(&user)
            }
            Via::Token { id } => {
                let Some((_, store)) = settings.tokens.clone() else {
                    return Err(AccessEnded::TokensOff);
                };
                let id = id.clone();
                let entry = tokio::task::spawn_blocking(move || store.still_has(&id))
                    .await
                    .map_err(|e| AccessEnded::TokenStore(e.to_string()))?
                    .map_err(|e| AccessEnded::TokenStore(e.to_string()))?;
                match entry {
                    Some(e) if e.identity == caller.identity() => Some(e.role),
                    _ => return Err(AccessEnded::Revoked),
                }
            }
            Via::Certificate { name } => settings
                .access
                .certificate_for(std::slice::from_ref(name))
                .filter(|r| r.identity == caller.identity())
                .map(|r| r.role),
            Via::UnauthenticatedLoopback { .. } => settings
                .unauthenticated_loopback
                .then_some(Role::Administrator),
        };
        let refused = settings.refuses(caller.identity());
        match now {
            Some(role) if role == caller.role() && !refused => Ok(()),
            Some(role) if !refused => Err(AccessEnded::RoleChanged {
                from: caller.role(),
                to: role,
            }),
            _ => Err(AccessEnded::NoAccess),
        }
    }

    /// A refused credential: counted against the peer's address (429 once limited) and
    /// written to the event log without the secret.
    fn failed(&self, limiter: &FailureLimiter, key: &str, peer: &Peer, why: &str) -> ApiError {
        let now = Instant::now();
        if let Err(wait) = limiter.check(key, now) {
            return too_many(wait);
        }
        let now_limited = limiter.record_failure(key, now);
        self.events.emit(
            NewEvent::new(
                EventId::AuthenticationFailed,
                format!("Authentication from {} failed: {why}.", peer.describe()),
            )
            .field("peer", peer.describe()),
        );
        if now_limited {
            self.events.emit(
                NewEvent::new(
                    EventId::AuthenticationRateLimited,
                    format!(
                        "{} made too many failed authentications; it is refused for a while.",
                        peer.describe()
                    ),
                )
                .field("peer", peer.describe()),
            );
        }
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!("authentication failed: {why}"),
        )
        .with_header(
            "WWW-Authenticate",
            "Bearer realm=\"ssisd\", error=\"invalid_token\"",
        )
    }

    /// Records a refusal (403) in the event log.
    pub fn denied(&self, identity: &str, via: &str, message: &str) {
        self.events.emit(
            NewEvent::new(EventId::AccessDenied, format!("Access denied: {message}."))
                .field("identity", identity)
                .field("via", via),
        );
    }
}

fn too_many(wait: Duration) -> ApiError {
    let secs = wait.as_secs().max(1);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many failed authentications from this address; retry in {secs} s"),
    )
    .with_header("Retry-After", &secs.to_string())
}

fn limiter_for(a: &AccessConfig) -> FailureLimiter {
    FailureLimiter::new(a.max_failed_authentications, a.failed_authentication_window)
}

impl Settings {
    /// Whether an `[[access.identity]]` entry with role "none" refuses this identity, however
    /// it authenticated.
    fn refuses(&self, identity: &str) -> bool {
        self.access.identity(identity).and_then(|i| i.role) == Some(None)
    }

    /// The role of a local account on the socket: administrator for root and the admin group,
    /// else its identity's configured role, else `access.local_role`; None: refused.
    fn local_role(&self, user: &LocalUser) -> Option<Role> {
        let admin_group = self.access.admin_group.as_deref();
        if user.uid == 0 || admin_group.is_some_and(|g| user.groups.iter().any(|x| x == g)) {
            return Some(Role::Administrator);
        }
        match self.access.identity(&user.identity()).and_then(|i| i.role) {
            Some(configured) => configured,
            None => self.access.local_role,
        }
    }

    fn from_config(cfg: &ServiceConfig, previous: Option<(PathBuf, Arc<TokenStore>)>) -> Settings {
        let tokens = cfg.access.tokens_file.as_ref().map(|path| match previous {
            Some((p, store)) if &p == path => (p, store),
            _ => (path.clone(), Arc::new(TokenStore::new(path.clone()))),
        });
        Settings {
            access: cfg.access.clone(),
            metrics: cfg.metrics,
            unauthenticated_loopback: cfg.unauthenticated_loopback,
            tokens,
        }
    }
}

/// Paths served without a caller's authentication: the API's own description, and what a
/// runner fetches with its run's token (checked by `run_fetch`).
fn is_public(path: &str) -> bool {
    path == "/api/v1/openapi.json" || super::run_fetch::is_run_fetch_path(path)
}

/// A metrics read from this machine without credentials, when `[metrics]` allows that: it
/// passes unauthenticated (with credentials, they are checked as for any request).
fn anonymous_metrics(gate: &Gate, req: &ServiceRequest) -> bool {
    let metrics = gate.metrics();
    req.path() == super::metrics::PATH
        && metrics.enabled
        && metrics.loopback
        && !req
            .headers()
            .contains_key(actix_web::http::header::AUTHORIZATION)
        && matches!(req.conn_data::<Peer>(), Some(p @ (Peer::Tcp { .. } | Peer::Tls { .. })) if p.is_local())
}

/// The middleware: authenticates the request and stores its [`Caller`] for the handlers.
pub async fn authenticate(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if is_public(req.path()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let Some(gate) = req.app_data::<actix_web::web::Data<super::AppState>>() else {
        let e = ApiError::unavailable("the service is not ready to authenticate requests; retry");
        let (request, _) = req.into_parts();
        return Ok(ServiceResponse::new(
            request,
            actix_web::ResponseError::error_response(&e),
        ));
    };
    let sessions = gate.console_sessions.clone();
    let gate = gate.gate.clone();
    let console = crate::console::is_console_path(req.path());
    let peer = req.conn_data::<Peer>().cloned();
    if console && matches!(peer, Some(Peer::Unix { .. }) | None) {
        // The console is served on the TCP listener only.
        let (request, _) = req.into_parts();
        return Ok(ServiceResponse::new(
            request,
            crate::console::not_on_socket(),
        ));
    }
    let has_authorization = req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION);
    if !has_authorization && !matches!(peer, Some(Peer::Unix { .. })) {
        if let Some(id) = req
            .cookie(crate::console::session::COOKIE)
            .map(|c| c.value().to_string())
        {
            match session_caller(&req, &sessions, &gate, &id).await {
                Ok((caller, csrf)) => {
                    req.extensions_mut().insert(caller);
                    req.extensions_mut()
                        .insert(crate::console::session::Csrf(csrf));
                    return next
                        .call(req)
                        .await
                        .map(ServiceResponse::map_into_boxed_body);
                }
                Err(e) if !console || e.status != StatusCode::UNAUTHORIZED => {
                    let (request, _) = req.into_parts();
                    return Ok(ServiceResponse::new(
                        request,
                        actix_web::ResponseError::error_response(&e),
                    ));
                }
                // A console page with an ended session: its sign-in page.
                Err(_) => {}
            }
        }
    }
    if console {
        // A console page without a session: a certificate or unauthenticated loopback may
        // still identify the browser; else the page asks to sign in (no 401 here). A bearer
        // token (the sign-in request) is checked as for the API.
        match gate.authenticate(&req).await {
            Ok(caller) => {
                req.extensions_mut().insert(caller);
            }
            Err(e) if has_authorization => {
                let (request, _) = req.into_parts();
                return Ok(ServiceResponse::new(
                    request,
                    actix_web::ResponseError::error_response(&e),
                ));
            }
            Err(_) => {}
        }
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    if anonymous_metrics(&gate, &req) {
        // The handler decides from the peer; there is no caller.
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    match gate.authenticate(&req).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
        Err(e) => {
            let (request, _) = req.into_parts();
            let response = actix_web::ResponseError::error_response(&e);
            Ok(ServiceResponse::new(request, response))
        }
    }
}

/// The caller of a request made with a console session cookie: 401 when the session ended,
/// 403 when a change does not carry the session's CSRF token.
async fn session_caller(
    req: &ServiceRequest,
    sessions: &crate::console::session::Sessions,
    gate: &Gate,
    id: &str,
) -> Result<(Caller, String), ApiError> {
    use crate::console::session::{csrf_matches, Ended, CSRF_HEADER};
    let signed = sessions.find(id, gate).await.map_err(|ended| {
        let why = match ended {
            Ended::Unknown => {
                "your console session ended (signed out, idle too long, or the service restarted)"
                    .to_string()
            }
            Ended::Revoked(why) => format!("your console session ended: {why}"),
        };
        ApiError::new(StatusCode::UNAUTHORIZED, format!("{why}; sign in again"))
    })?;
    let safe = matches!(
        *req.method(),
        actix_web::http::Method::GET
            | actix_web::http::Method::HEAD
            | actix_web::http::Method::OPTIONS
    );
    if !safe {
        let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if !csrf_matches(sent, &signed.csrf) {
            return Err(ApiError::forbidden(
                "a change made with a console session must carry the session's X-CSRF-Token header; reload the page and try again",
            ));
        }
    }
    Ok((signed.caller, signed.csrf))
}
