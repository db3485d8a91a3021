//! `/api/v1/status` (version, pid, uptime, configuration, each top-level folder with its health)
//! `/api/v1/whoami` (the caller as authenticated), and `/api/v1/reload` (the same as SIGHUP). What the numbers mean is the service's business;
//! this module only answers.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::openapi::answers::{Forbidden, Unauthorized};
use super::AppState;
use crate::access::Operation;

#[utoipa::path(get, path = "/api/v1/status", tag = "service", responses((status = 200, description = "Version, uptime, configuration, folders and their health, the caller", body = Object), Unauthorized))]
pub async fn status(caller: Caller, state: web::Data<AppState>) -> HttpResponse {
    let snapshot = state.control.snapshot();
    HttpResponse::Ok().json(json!({
        "service": "ssisd",
        "version": env!("CARGO_PKG_VERSION"),
        "pid": std::process::id(),
        "started_at": state.started_at,
        "uptime_seconds": state.started.elapsed().as_secs_f64(),
        "listen": state.listen.get(),
        "data_dir": state.data_dir,
        "configuration": snapshot.origin,
        "stop_executing_packages_on_shutdown": snapshot.stop_executing_packages_on_shutdown,
        "folders": state.directory.folders(),
        "caller": whoami_json(&caller),
    }))
}

fn whoami_json(caller: &Caller) -> serde_json::Value {
    json!({
        "identity": caller.identity(),
        "role": caller.role().as_str(),
        "via": caller.via.to_string(),
        "sql_roles": caller.principal.sql_roles,
    })
}

/// `/api/v1/whoami`: who the service takes the caller for.
#[utoipa::path(get, path = "/api/v1/whoami", tag = "service", responses((status = 200, description = "The caller as authenticated: identity, role, how", body = Object), Unauthorized))]
pub async fn whoami(caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(whoami_json(&caller))
}

#[utoipa::path(post, path = "/api/v1/reload", tag = "service", responses((status = 200, description = "What the reload added, removed, changed", body = Object), Unauthorized, Forbidden, (status = 422, description = "The configuration was refused; the previous one keeps running", body = ErrorBody)))]
pub async fn reload(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::Reload)?;
    state
        .audit(
            &caller,
            ssisd_actors::EventId::ReloadRequested,
            "A configuration reload was requested through the API.".into(),
            "",
        )
        .await;
    match state.control.reload().await {
        Ok(summary) => Ok(HttpResponse::Ok().json(summary)),
        Err(message) => Err(ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            message,
        )),
    }
}
