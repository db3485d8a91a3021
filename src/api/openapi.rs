//! The OpenAPI description of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and served without authentication at `/api/v1/openapi.json` (clients and the
//! fuzzing test read it). It describes; it must not route or decide.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{events, folders, packages, running, service_info, transfer};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ssisd management API",
        description = "Stored and running SSIS packages and the event log of an ssisd service. Local clients use the Unix socket (the caller is known from its account); TCP clients send a bearer token or a client certificate.",
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
        transfer::copy,
        transfer::move_,
        running::start,
        running::list,
        running::detail,
        running::stop,
        running::stream,
        events::query,
        events::stream,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "service", description = "Status, identity and reload"),
        (name = "folders", description = "Folders of the top-level folders"),
        (name = "packages", description = "Stored packages: import, export, rename, delete, copy, move"),
        (name = "running", description = "Running packages"),
        (name = "events", description = "The event log"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> HttpResponse {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    HttpResponse::Ok().json(doc)
}
