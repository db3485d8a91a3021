//! The management HTTP API (actix-web) under `/api/v1/`: routes, shared state, and the helpers
//! every handler uses (calling a store actor, parsing JSON bodies, auditing changes). Handlers
//! turn requests into messages to actors; they must not touch stores or the event log directly.

pub mod auth;
mod error;
mod events;
mod executions;
mod folders;
pub mod guard;
pub mod journal;
mod listing_cache;
mod listing_fields;
pub mod locks;
pub mod metrics;
pub mod openapi;
mod openapi_schemas;
mod packages;
mod permissions;
mod projects;
mod protect;
mod run_fetch;
mod running;
mod schedules;
mod service_info;
mod target;
mod transfer;

use std::sync::Arc;
use std::time::Instant;

use actix::Addr;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::Serialize;
use ssisd_actors::store::{StoreActor, StoreOp};
use ssisd_actors::{Directory, EventId, EventLogClient, NewEvent, ReloadSummary};
use ssisd_stores::{PackageStore, StoreError};

pub use error::{json_errors, ApiError};

/// What the API may ask of the service as a whole.
pub trait ServiceControl: Send + Sync {
    /// Re-reads the configuration and applies it (as SIGHUP does).
    fn reload(&self) -> BoxFuture<'static, Result<ReloadSummary, String>>;
    fn snapshot(&self) -> ControlSnapshot;
    /// Starts a run through the supervisor; `Err(None)` when it did not answer.
    fn start_run(
        &self,
        spec: ssisd_actors::package::RunSpec,
    ) -> BoxFuture<'static, Result<String, Option<ssisd_actors::supervisor::RunRefused>>>;
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlSnapshot {
    pub origin: String,
    pub stop_executing_packages_on_shutdown: bool,
}

pub struct AppState {
    pub directory: Directory,
    pub events: EventLogClient,
    pub control: Arc<dyn ServiceControl>,
    pub started: Instant,
    pub started_at: DateTime<Utc>,
    /// The address the API is bound to (known once bound).
    pub listen: Arc<std::sync::OnceLock<String>>,
    pub data_dir: String,
    pub max_request_bytes: u64,
    /// Authentication settings and state.
    pub gate: Arc<auth::Gate>,
    /// Who owns each stored package (recorded at import), and the intents of changes.
    pub owners: Arc<crate::access::owners::Owners>,
    /// Serialises changes per folder and package.
    pub locks: locks::PathLocks,
    /// Why runs are refused (the service runs as root without `service.allow_root_runners`).
    pub runs_refused: Option<String>,
    /// The names the listeners answer to (`Host`, `Origin`).
    pub hosts: guard::HostPolicy,
    /// Listing answers of unchanged folders.
    pub listings: listing_cache::ListingCache,
    /// The service's metrics (`GET /metrics` encodes them).
    pub metrics: ssisd_actors::Metrics,
    /// The API's own metric set, updated by `metrics::measure` on every request.
    pub http_metrics: metrics::HttpMetrics,
    /// The web console's sign-in sessions (`crate::console::session`).
    pub console_sessions: Arc<crate::console::session::Sessions>,
}

impl AppState {
    /// Writes a change made through the API to the event log; the answer waits until it is
    /// stored, so a client that sees success finds the event.
    async fn audit(&self, caller: &auth::Caller, id: EventId, message: String, path: &str) {
        let _ = self
            .events
            .append(
                NewEvent::new(
                    id,
                    format!("{message} By {} ({}).", caller.identity(), caller.role()),
                )
                .field("path", path)
                .field("identity", caller.identity())
                .field("role", caller.role().as_str())
                .field("via", caller.via.to_string()),
            )
            .await;
    }
}

/// Runs one operation on a folder's store actor.
async fn store_call<R, F>(store: &Addr<StoreActor>, f: F) -> Result<R, ApiError>
where
    R: Send + 'static,
    F: FnOnce(Arc<dyn PackageStore>) -> BoxFuture<'static, Result<R, StoreError>> + Send + 'static,
{
    store
        .send(StoreOp::new(f))
        .await
        .map_err(|_| {
            ApiError::unavailable("the folder's store stopped while answering; retry in a moment")
        })?
        .map_err(ApiError::from)
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not the JSON expected: {e}")))
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if crate::console::is_console_path(req.path()) {
        return Ok(crate::console::missing_page(&req));
    }
    Err(ApiError::not_found(format!(
        "no such API endpoint: {} {}; see the API reference in the README (everything is under /api/v1/)",
        req.method(),
        req.path()
    )))
}

/// Refuses clients of another release line, naming both versions (SSIS has the same rule
/// between its tools and its service). Clients that send no version are served.
pub async fn check_client_version(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use crate::client::version;
    if let Some(client) = req
        .headers()
        .get(version::CLIENT_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        if !version::compatible(client, version::VERSION) {
            return Err(ApiError::bad_request(format!(
                "client version {client} cannot work with service version {}; use a client of version {}",
                version::VERSION,
                version::VERSION
            ))
            .into());
        }
    }
    next.call(req).await
}

/// Logs every server error (5xx) with the incident id its answer carries (the details, which
/// may name server paths, go only to the log); a 500 is also written to the event log.
pub async fn log_server_errors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let method = req.method().to_string();
    let path = req.path().to_string();
    let events = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.events.clone());
    let result = next.call(req).await;
    let (status, error) = match &result {
        Ok(res) => (res.status(), res.response().error()),
        Err(e) => (e.as_response_error().status_code(), Some(e)),
    };
    if status.is_server_error() {
        let api = error.and_then(|e| e.as_error::<ApiError>());
        let incident = api
            .and_then(|e| e.incident.clone())
            .unwrap_or_else(|| "-".into());
        let detail = match (api, error) {
            (Some(e), _) => e.detail.clone().unwrap_or_else(|| e.message.clone()),
            (None, Some(e)) => e.to_string(),
            (None, None) => status.to_string(),
        };
        let line = format!(
            "{method} {path} answered {} (incident {incident}): {detail}",
            status.as_u16()
        );
        if status == actix_web::http::StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("{line}");
            if let Some(events) = events {
                let _ = events
                    .append(
                        NewEvent::new(EventId::RequestFailed, line)
                            .field("incident", incident)
                            .field("method", method)
                            .field("path", path),
                    )
                    .await;
            }
        } else {
            tracing::warn!("{line}");
        }
    }
    result
}

/// The answer of a route to a method it lacks: 405 with `Allow` and the JSON error body.
fn lacks(allow: &'static str) -> actix_web::Route {
    web::to(move |req: HttpRequest| async move {
        Err::<HttpResponse, ApiError>(
            ApiError::new(
                actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "{} is not a method of {}; it allows {allow}",
                    req.method(),
                    req.path()
                ),
            )
            .with_header("Allow", allow),
        )
    })
}

/// Registers every route: one resource per path, each answering the methods it lacks with 405.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(metrics::PATH)
            .route(web::get().to(metrics::scrape))
            .default_service(lacks("GET")),
    );
    cfg.service(
        web::scope("/api/v1")
            .service(
                web::resource("/status")
                    .route(web::get().to(service_info::status))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/whoami")
                    .route(web::get().to(service_info::whoami))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/openapi.json")
                    .route(web::get().to(openapi::document))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/reload")
                    .route(
                        web::post()
                            .to(service_info::reload)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .default_service(lacks("POST")),
            )
            .service(
                web::resource("/folders")
                    .route(web::get().to(folders::top_level))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/folders/{tail:.*}")
                    .route(web::get().to(folders::list))
                    .route(
                        web::post()
                            .to(folders::create)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .route(
                        web::delete()
                            .to(folders::delete)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .route(
                        web::patch()
                            .to(folders::rename)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .default_service(lacks("GET, POST, DELETE, PATCH")),
            )
            .service(
                web::resource("/packages/{tail:.*}")
                    .route(
                        web::put()
                            .to(packages::put)
                            .wrap(from_fn(guard::package_body)),
                    )
                    .route(web::get().to(packages::get))
                    .route(web::head().to(packages::head))
                    .route(
                        web::delete()
                            .to(packages::delete)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .route(
                        web::patch()
                            .to(packages::rename)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .default_service(lacks("PUT, GET, HEAD, DELETE, PATCH")),
            )
            .service(
                web::resource("/projects/{tail:.*}")
                    .route(
                        web::put()
                            .to(projects::put)
                            .wrap(from_fn(guard::project_body)),
                    )
                    .route(web::get().to(projects::get))
                    .route(web::head().to(projects::head))
                    .route(
                        web::delete()
                            .to(projects::delete)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .default_service(lacks("PUT, GET, HEAD, DELETE")),
            )
            .service(
                web::resource("/copy")
                    .route(
                        web::post()
                            .to(transfer::copy)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .default_service(lacks("POST")),
            )
            .service(
                web::resource("/move")
                    .route(
                        web::post()
                            .to(transfer::move_)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .default_service(lacks("POST")),
            )
            .service(
                web::resource("/running")
                    .route(
                        web::post()
                            .to(running::start)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .route(web::get().to(running::list))
                    .default_service(lacks("GET, POST")),
            )
            .service(
                web::resource("/runs/{id}/package")
                    .route(web::get().to(run_fetch::package))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/runs/{id}/arguments")
                    .route(web::get().to(run_fetch::arguments))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/running/{id}")
                    .route(web::get().to(running::detail))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/running/{id}/stop")
                    .route(
                        web::post()
                            .to(running::stop)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .default_service(lacks("POST")),
            )
            .service(
                web::resource("/running/{id}/stream")
                    .route(web::get().to(running::stream))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/executions")
                    .route(web::get().to(executions::list))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/executions/{id}")
                    .route(web::get().to(executions::detail))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/executions/{id}/messages")
                    .route(web::get().to(executions::messages))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/executions/{id}/statistics")
                    .route(web::get().to(executions::statistics))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/schedules")
                    .route(web::get().to(schedules::list))
                    .route(
                        web::post()
                            .to(schedules::create)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .default_service(lacks("GET, POST")),
            )
            .service(
                web::resource("/schedules/{name}")
                    .route(web::get().to(schedules::detail))
                    .route(
                        web::put()
                            .to(schedules::change)
                            .wrap(from_fn(guard::json_body)),
                    )
                    .route(web::delete().to(schedules::delete))
                    .default_service(lacks("GET, PUT, DELETE")),
            )
            .service(
                web::resource("/schedules/{name}/run")
                    .route(web::post().to(schedules::run))
                    .default_service(lacks("POST")),
            )
            .service(
                web::resource("/events")
                    .route(web::get().to(events::query))
                    .default_service(lacks("GET")),
            )
            .service(
                web::resource("/events/stream")
                    .route(web::get().to(events::stream))
                    .default_service(lacks("GET")),
            ),
    )
    .default_service(web::to(not_found));
}
