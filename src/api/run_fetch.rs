//! `/api/v1/runs/{id}/package` and `/api/v1/runs/{id}/arguments`: what a runner on a node or
//! pod without the service's files fetches before it runs (the executors' `fetch` transport;
//! the contract is `run_protocol::fetch`). These requests carry the run's own token
//! (`Authorization: Bearer <run token>`), not a caller's: the authentication middleware lets
//! them through and this file checks the token against the run's grant (its hash, compared in
//! constant time). A token opens its own run only, and only while the run is in progress: an
//! ended run holds no grant. Tokens are never logged. This file must not issue grants.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use ssisd_actors::executor::fetch::{self, Refusal};
use ssisd_engine::run_protocol::fetch::{Grant, SHA256_HEADER};

use super::error::ApiError;
use super::openapi::answers::{Forbidden, Unauthorized};
use super::AppState;

/// Whether `path` is one of this file's (authenticated here, not by the middleware).
pub fn is_run_fetch_path(path: &str) -> bool {
    path.strip_prefix("/api/v1/runs/").is_some_and(|rest| {
        rest.split_once('/')
            .is_some_and(|(id, what)| !id.is_empty() && matches!(what, "package" | "arguments"))
    })
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, message).with_header(
        "WWW-Authenticate",
        "Bearer realm=\"ssisd-run\", error=\"invalid_token\"",
    )
}

/// The run's grant, when the request's token is the run's.
async fn granted(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<(Grant, std::path::PathBuf), ApiError> {
    let token = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            unauthorized("fetching a run's package needs the run's token: send `Authorization: Bearer <run token>` (the runner gets it in SSISD_RUN_TOKEN)")
        })?;
    let refused = || {
        ApiError::forbidden(format!(
            "run {id} holds no fetch grant: it is not in progress (a run's package can be fetched only while the run is in progress), or it does not fetch its package"
        ))
    };
    let Some(view) = state.directory.run(id) else {
        return Err(refused());
    };
    let dir = view.run_dir.clone();
    let checked = web::block(move || fetch::check(&dir, &token).map(|g| (g, dir)))
        .await
        .map_err(|_| {
            ApiError::unavailable("the service is too busy to check the run's token; retry")
        })?;
    match checked {
        Ok(g) => Ok(g),
        Err(Refusal::NoGrant) => Err(refused()),
        Err(Refusal::WrongToken) => {
            tracing::warn!(
                execution_id = id,
                "a request for the run's package carried a token that is not the run's"
            );
            Err(unauthorized(&format!("the token is not run {id}'s")))
        }
    }
}

/// The run's package (or project) bytes, with their SHA-256 in `X-Content-SHA256`.
#[utoipa::path(get, path = "/api/v1/runs/{id}/package", tag = "running", params(("id" = String, Path, description = "Execution id")), security(("run_token" = [])), responses((status = 200, description = "The run's package (.dtsx) or project (.ispac) bytes; the header X-Content-SHA256 holds their SHA-256", content_type = "application/octet-stream", body = Vec<u8>), Unauthorized, Forbidden))]
pub async fn package(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (grant, dir) = granted(&req, &state, &id).await?;
    let path = dir.join(&grant.arguments.file);
    let bytes = web::block(move || std::fs::read(&path))
        .await
        .map_err(|_| {
            ApiError::unavailable("the service is too busy to read the run's package; retry")
        })?
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the package of run {id} cannot be read"),
            )
            .with_detail(e.to_string())
        })?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((SHA256_HEADER, grant.package_sha256))
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}

/// The run's arguments (`run_protocol::fetch::RunArguments`).
#[utoipa::path(get, path = "/api/v1/runs/{id}/arguments", tag = "running", params(("id" = String, Path, description = "Execution id")), security(("run_token" = [])), responses((status = 200, description = "The runner's arguments: the package file's name, the project's package, /Set values, /Reporting", body = Object), Unauthorized, Forbidden))]
pub async fn arguments(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (grant, _) = granted(&req, &state, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(grant.arguments))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fetch_paths_skip_the_callers_authentication() {
        assert!(is_run_fetch_path("/api/v1/runs/E1/package"));
        assert!(is_run_fetch_path("/api/v1/runs/E1/arguments"));
        for p in [
            "/api/v1/runs//package",
            "/api/v1/runs/E1/package/x",
            "/api/v1/runs/E1",
            "/api/v1/running/E1/package",
            "/api/v1/runs/E1/stop",
        ] {
            assert!(!is_run_fetch_path(p), "{p}");
        }
    }
}
