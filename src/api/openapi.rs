//! The OpenAPI description of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and served without authentication at `/api/v1/openapi.json` (clients and the
//! fuzzing test read it). It describes; it must not route or decide.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    events, executions, folders, metrics, packages, projects, run_fetch, running, schedules,
    service_info, transfer,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ssisd management API",
        description = "Stored and running SSIS packages, deployed projects, the execution history, schedules and the event log of an ssisd service. Local clients use the Unix socket (the caller is known from its account); TCP clients send a bearer token or a client certificate.",
    ),
    paths(
        service_info::status,
        service_info::whoami,
        service_info::reload,
        folders::top_level,
        folders::list,
        folders::create,
        folders::delete,
        folders::rename,
        packages::put,
        packages::get,
        packages::head,
        packages::delete,
        packages::rename,
        projects::put,
        projects::get,
        projects::head,
        projects::delete,
        transfer::copy,
        transfer::move_,
        running::start,
        running::list,
        running::detail,
        running::stop,
        running::stream,
        run_fetch::package,
        run_fetch::arguments,
        executions::list,
        executions::detail,
        executions::messages,
        executions::statistics,
        schedules::list,
        schedules::create,
        schedules::detail,
        schedules::change,
        schedules::delete,
        schedules::run,
        events::query,
        events::stream,
        metrics::scrape,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "service", description = "Status, identity, reload and metrics"),
        (name = "folders", description = "Folders of the top-level folders"),
        (name = "packages", description = "Stored packages: import, export, rename, delete, copy, move"),
        (name = "projects", description = "Deployed projects (.ispac): import, export, delete"),
        (name = "running", description = "Running packages"),
        (name = "executions", description = "The execution history"),
        (name = "schedules", description = "Schedules that run stored packages"),
        (name = "events", description = "The event log"),
    )
)]
pub struct ApiDoc;

/// The error answers most operations share, described once (`responses(...)` of each handler
/// lists the ones it can give). Never built: they only describe `ErrorBody` answers.
#[allow(dead_code)]
pub mod answers {
    use utoipa::IntoResponses;

    use super::super::error::ErrorBody;

    #[derive(IntoResponses)]
    #[response(status = 400, description = "Bad name, path or body")]
    pub struct BadRequest(ErrorBody);

    #[derive(IntoResponses)]
    #[response(status = 401, description = "No or refused credentials")]
    pub struct Unauthorized(ErrorBody);

    #[derive(IntoResponses)]
    #[response(
        status = 403,
        description = "The caller's role does not allow it (the message says why)"
    )]
    pub struct Forbidden(ErrorBody);

    #[derive(IntoResponses)]
    #[response(status = 404, description = "No such folder, package or run")]
    pub struct NotFound(ErrorBody);

    #[derive(IntoResponses)]
    #[response(
        status = 409,
        description = "Exists already, or the folder is not empty"
    )]
    pub struct Conflict(ErrorBody);

    #[derive(IntoResponses)]
    #[response(status = 503, description = "The folder's store is unavailable")]
    pub struct Unavailable(ErrorBody);
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        // A run's own token, for the runner fetching its package (`/runs/{id}/…`).
        components.add_security_scheme(
            "run_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> HttpResponse {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    super::openapi_schemas::complete(&mut doc);
    HttpResponse::Ok().json(doc)
}
