//! The management HTTP API (actix-web) under `/api/v1/`: routes, shared state, and the helpers
//! every handler uses (calling a store actor, parsing JSON bodies, auditing changes). Handlers
//! turn requests into messages to actors; they must not touch stores or the event log directly.

pub mod auth;
mod error;
mod events;
mod folders;
pub mod openapi;
mod packages;
mod permissions;
mod projects;
mod protect;
mod running;
mod service_info;
mod target;
mod transfer;

use std::sync::Arc;
use std::time::Instant;

use actix::Addr;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::Serialize;
use ssisd_actors::store::{StoreActor, StoreOp};
use ssisd_actors::{Directory, EventId, EventLogClient, NewEvent, ReloadSummary};
use ssisd_stores::{PackageStore, StoreError};

pub use error::ApiError;

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
    /// Who owns each stored package (recorded at import).
    pub owners: Arc<crate::access::owners::Owners>,
    /// Why runs are refused (the service runs as root without `service.allow_root_runners`).
    pub runs_refused: Option<String>,
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

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/status", web::get().to(service_info::status))
            .route("/whoami", web::get().to(service_info::whoami))
            .route("/openapi.json", web::get().to(openapi::document))
            .route("/reload", web::post().to(service_info::reload))
            .route("/folders", web::get().to(folders::top_level))
            .service(
                web::resource("/folders/{tail:.*}")
                    .route(web::get().to(folders::list))
                    .route(web::post().to(folders::create))
                    .route(web::delete().to(folders::delete))
                    .route(web::patch().to(folders::rename)),
            )
            .service(
                web::resource("/packages/{tail:.*}")
                    .route(web::put().to(packages::put))
                    .route(web::get().to(packages::get))
                    .route(web::head().to(packages::head))
                    .route(web::delete().to(packages::delete))
                    .route(web::patch().to(packages::rename)),
            )
            .service(
                web::resource("/projects/{tail:.*}")
                    .route(web::put().to(projects::put))
                    .route(web::get().to(projects::get))
                    .route(web::head().to(projects::head))
                    .route(web::delete().to(projects::delete)),
            )
            .route("/copy", web::post().to(transfer::copy))
            .route("/move", web::post().to(transfer::move_))
            .route("/running", web::post().to(running::start))
            .route("/running", web::get().to(running::list))
            .route("/running/{id}", web::get().to(running::detail))
            .route("/running/{id}/stop", web::post().to(running::stop))
            .route("/running/{id}/stream", web::get().to(running::stream))
            .route("/events", web::get().to(events::query))
            .route("/events/stream", web::get().to(events::stream)),
    )
    .default_service(web::to(not_found));
}
