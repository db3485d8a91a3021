//! `/api/v1/executions`: the execution history — list executions (filters `package`,
//! `status`, `since`, `limit`; newest first), one execution (`/{id}`), its messages
//! (`/{id}/messages`, after `after_id`, at most `limit`) and its per-executable statistics and
//! data-flow rows (`/{id}/statistics`). Roles as for running packages: operators and
//! administrators see every execution, other callers their own. Reads go to the History
//! actor's database off the async threads. This file must not write history.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use ssisd_actors::history::{ExecutionQuery, HistoryClient, HistoryDb, HistoryError, Status};

use super::auth::Caller;
use super::error::ApiError;
use super::openapi::answers::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use super::AppState;
use crate::access::{Facts, Operation, Role};

const MAX_LIMIT: usize = 10_000;

/// Filters of an execution listing (all optional).
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExecutionParams {
    /// The package's path as runs name it (`\File System\Sales\Load` or `File System/Sales/Load`),
    /// or its last part(s) (`Sales\Load`); case is ignored.
    package: Option<String>,
    /// `created`, `running`, `canceled`, `failed`, `pending`, `ended unexpectedly`,
    /// `succeeded`, `stopping`, `completed`, or the catalog's code 1–9.
    status: Option<String>,
    /// Only executions started at or after this RFC 3339 time.
    since: Option<String>,
    /// Most executions returned (1–10000, default 50).
    limit: Option<usize>,
}

/// Paging of an execution's messages.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessageParams {
    /// Only messages with a greater id.
    after_id: Option<i64>,
    /// Most messages returned (1–10000, default 1000).
    limit: Option<usize>,
}

fn limit(value: Option<usize>, default: usize) -> Result<usize, ApiError> {
    let n = value.unwrap_or(default);
    if n == 0 || n > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit={n} is out of range; give a number between 1 and {MAX_LIMIT}"
        )));
    }
    Ok(n)
}

impl ExecutionParams {
    fn query(&self) -> Result<ExecutionQuery, ApiError> {
        let status = self
            .status
            .as_deref()
            .map(|s| {
                Status::parse(s).ok_or_else(|| {
                    let names: Vec<&str> = Status::ALL.iter().map(|s| s.name()).collect();
                    ApiError::bad_request(format!(
                        "status=\"{s}\" is not an execution status; use one of: {}",
                        names.join(", ")
                    ))
                })
            })
            .transpose()?;
        let since = self
            .since
            .as_deref()
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .map(|d| d.with_timezone(&chrono::Utc))
                    .map_err(|_| {
                        ApiError::bad_request(format!(
                            "since=\"{t}\" is not an RFC 3339 time such as 2026-11-24T10:00:00Z"
                        ))
                    })
            })
            .transpose()?;
        let package = self
            .package
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let p = p.replace('/', "\\");
                p.trim_end_matches('\\').to_string()
            });
        Ok(ExecutionQuery {
            package,
            status,
            since,
            limit: limit(self.limit, 50)?,
        })
    }
}

async fn db(state: &AppState) -> Result<HistoryDb, ApiError> {
    HistoryClient::new(state.directory.clone())
        .db()
        .await
        .ok_or_else(|| {
            ApiError::unavailable(
                "the execution history is starting or restarting; retry in a moment",
            )
        })
}

async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, HistoryError> + Send + 'static,
) -> Result<R, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::unavailable("the history query was interrupted; retry"))?
        .map_err(|e| ApiError::unavailable(format!("{e}; retry, or see the service's log")))
}

/// Whether `caller` sees every execution (not only its own).
fn sees_all(caller: &Caller) -> bool {
    matches!(caller.role(), Role::Administrator | Role::Operator)
}

#[utoipa::path(get, path = "/api/v1/executions", tag = "executions", params(ExecutionParams), responses((status = 200, description = "Executions, newest first (a caller who is not an operator sees its own)", body = Object), BadRequest, Unauthorized, Unavailable))]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    params: web::Query<ExecutionParams>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::Enumerate)?;
    let mut q = params.query()?;
    let db = db(&state).await?;
    let own = (!sees_all(&caller)).then(|| caller.identity().to_string());
    let wanted = q.limit;
    if own.is_some() {
        // Filtered after the query: ask for more, then cut.
        q.limit = MAX_LIMIT;
    }
    let mut executions = blocking(move || db.executions(&q)).await?;
    if let Some(me) = own {
        executions.retain(|e| e.caller == me);
        executions.truncate(wanted);
    }
    Ok(HttpResponse::Ok().json(json!({ "executions": executions })))
}

/// The execution `id`, if `caller` may view it.
async fn allowed(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(HistoryDb, ssisd_actors::history::model::Execution), ApiError> {
    let db = db(state).await?;
    let (d, i) = (db.clone(), id.to_string());
    let execution = blocking(move || d.execution(&i)).await?.ok_or_else(|| {
        ApiError::not_found(format!(
            "there is no execution {id} in the history (it may have been removed by retention); list them with GET /api/v1/executions"
        ))
    })?;
    let facts = Facts {
        owner: Some(execution.caller.clone()),
        ..Facts::default()
    };
    state.allow(caller, Operation::ViewRun, &facts)?;
    Ok((db, execution))
}

#[utoipa::path(get, path = "/api/v1/executions/{id}", tag = "executions", params(("id" = String, Path, description = "Execution id")), responses((status = 200, description = "One execution", body = Object), Unauthorized, Forbidden, NotFound, Unavailable))]
pub async fn detail(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, execution) = allowed(&state, &caller, &id).await?;
    Ok(HttpResponse::Ok().json(execution))
}

#[utoipa::path(get, path = "/api/v1/executions/{id}/messages", tag = "executions", params(("id" = String, Path, description = "Execution id"), MessageParams), responses((status = 200, description = "The execution's messages in order", body = Object), BadRequest, Unauthorized, Forbidden, NotFound, Unavailable))]
pub async fn messages(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<MessageParams>,
) -> Result<HttpResponse, ApiError> {
    let n = limit(params.limit, 1000)?;
    let after = params.after_id.unwrap_or(0);
    let (db, _) = allowed(&state, &caller, &id).await?;
    let i = id.into_inner();
    let messages = blocking(move || db.messages(&i, after, n)).await?;
    Ok(HttpResponse::Ok().json(json!({ "messages": messages })))
}

#[utoipa::path(get, path = "/api/v1/executions/{id}/statistics", tag = "executions", params(("id" = String, Path, description = "Execution id")), responses((status = 200, description = "Per-executable statistics and rows per data-flow path", body = Object), Unauthorized, Forbidden, NotFound, Unavailable))]
pub async fn statistics(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (db, _) = allowed(&state, &caller, &id).await?;
    let i = id.into_inner();
    let (executables, data_flow) = blocking(move || db.statistics(&i)).await?;
    Ok(HttpResponse::Ok().json(json!({ "executables": executables, "data_flow": data_flow })))
}
