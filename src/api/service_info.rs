//! `/api/v1/status` (version, pid, uptime, configuration, each top-level folder with its health)
//! and `/api/v1/reload` (the same as SIGHUP). What the numbers mean is the service's business;
//! this module only answers.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::error::ApiError;
use super::AppState;

pub async fn status(state: web::Data<AppState>) -> HttpResponse {
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
    }))
}

pub async fn reload(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.control.reload().await {
        Ok(summary) => Ok(HttpResponse::Ok().json(summary)),
        Err(message) => Err(ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            message,
        )),
    }
}
