//! `/api/v1/schedules`: list schedules with their next and last runs (GET), create one (POST;
//! 201; with `?dry_run=true` only checked, as the console does while a schedule is typed, and
//! answered with its next run times), show, change and delete one (GET, PUT, DELETE `/{name}`) and run one now (POST
//! `/{name}/run`; 201 with the execution id). Roles as for running packages: creating,
//! changing or running a schedule needs the right to run its package; operators and
//! administrators see and change every schedule, other callers their own. Schedules from the
//! configuration file are shown and run here but changed only in the file. The package must
//! exist when a schedule is made. The Scheduler actor decides and stores; this file must not
//! compute due times or touch the schedule database.

use actix::Addr;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use futures_util::FutureExt;
use serde_json::json;
use ssisd_actors::scheduler::{
    GetSchedule, ListSchedules, PreviewSchedule, PutSchedule, RemoveSchedule, RunScheduleNow,
    ScheduleDef, ScheduleRefused, ScheduleView, Scheduler, SchedulerClient,
};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::openapi::answers::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use super::target::package_target;
use super::{parse_json, store_call, AppState};
use crate::access::{Facts, Operation, Role};

fn scheduler(state: &AppState) -> Result<Addr<Scheduler>, ApiError> {
    SchedulerClient::new(state.directory.clone())
        .address()
        .ok_or_else(|| {
            ApiError::unavailable("the scheduler is starting or restarting; retry in a moment")
        })
}

fn refused(e: ScheduleRefused) -> ApiError {
    let status = match &e {
        ScheduleRefused::Invalid(_) => StatusCode::BAD_REQUEST,
        ScheduleRefused::NotFound(_) => StatusCode::NOT_FOUND,
        ScheduleRefused::Duplicate(..)
        | ScheduleRefused::FromConfiguration(_)
        | ScheduleRefused::Busy { .. } => StatusCode::CONFLICT,
        ScheduleRefused::Unavailable(_) | ScheduleRefused::StartFailed(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    ApiError::new(status, e.to_string())
}

fn lost() -> ApiError {
    ApiError::unavailable("the scheduler stopped while answering; retry in a moment")
}

fn sees_all(caller: &Caller) -> bool {
    matches!(caller.role(), Role::Administrator | Role::Operator)
}

/// The schedule `name` if `caller` may act on it with `op` (its owner's rule, as for runs).
async fn allowed(
    state: &AppState,
    caller: &Caller,
    name: &str,
    op: Operation,
) -> Result<(Addr<Scheduler>, ScheduleView), ApiError> {
    let addr = scheduler(state)?;
    let view = addr
        .send(GetSchedule(name.to_string()))
        .await
        .map_err(|_| lost())?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "there is no schedule \"{name}\"; list them with GET /api/v1/schedules"
            ))
        })?;
    let facts = Facts {
        owner: Some(view.owner.clone()),
        ..Facts::default()
    };
    state.allow(caller, op, &facts)?;
    Ok((addr, view))
}

/// Checks that `caller` may run the package and that it exists.
async fn check_package(
    state: &AppState,
    caller: &Caller,
    def: &ScheduleDef,
) -> Result<(), ApiError> {
    let segments = super::target::split_written(&state.directory, &def.package);
    let (t, name) = package_target(&state.directory, &segments).map_err(|e| {
        ApiError::bad_request(format!("package \"{}\": {}", def.package, e.message))
    })?;
    state
        .allow_package(caller, Operation::Run, &t, &name)
        .await?;
    let (folder, n) = (t.path.clone(), name.clone());
    let exists = store_call(&t.store, move |s| {
        async move { s.package_exists(&folder, &n).await }.boxed()
    })
    .await?;
    if !exists {
        return Err(ApiError::bad_request(format!(
            "package: \"{}\" does not exist ({}\\{name}); import it first or correct the path",
            def.package,
            t.display()
        )));
    }
    Ok(())
}

fn parse_def(body: &[u8], name: Option<&str>) -> Result<ScheduleDef, ApiError> {
    let mut value: serde_json::Value = parse_json(body)?;
    if let Some(name) = name {
        let Some(object) = value.as_object_mut() else {
            return Err(ApiError::bad_request("the body is not a JSON object"));
        };
        match object.get("name") {
            None => {
                object.insert("name".into(), json!(name));
            }
            Some(given) if given == name => {}
            Some(given) => {
                return Err(ApiError::bad_request(format!(
                    "name: the body names {given}, the path \"{name}\"; a schedule cannot be renamed (create the new one, delete the old)"
                )))
            }
        }
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("the body is not a schedule: {e}")))
}

#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules", responses((status = 200, description = "Schedules with next_run and last_run (a caller who is not an operator sees its own)", body = Object), Unauthorized, Unavailable))]
pub async fn list(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::Enumerate)?;
    let mut all = scheduler(&state)?
        .send(ListSchedules)
        .await
        .map_err(|_| lost())?;
    if !sees_all(&caller) {
        all.retain(|s| s.owner == caller.identity());
    }
    Ok(HttpResponse::Ok().json(json!({ "schedules": all })))
}

/// How many next run times a dry run answers.
const PREVIEW_RUNS: usize = 5;

/// Options of a create.
#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CreateParams {
    /// `true`: check the schedule (its package and the caller's right to run it too) and answer
    /// its next run times; nothing is stored, and a schedule of that name may exist.
    dry_run: Option<bool>,
}

#[utoipa::path(post, path = "/api/v1/schedules", tag = "schedules", params(CreateParams), request_body = ScheduleDef, responses((status = 201, description = "Created; the schedule with its next run", body = Object), (status = 200, description = "dry_run: the schedule is valid; its effective_time_zone and next_runs (at most 5)", body = Object), BadRequest, Unauthorized, Forbidden, (status = 409, description = "A schedule of that name exists", body = ErrorBody), Unavailable))]
pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    params: web::Query<CreateParams>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let def = parse_def(&body, None)?;
    // The definition is checked before the package is looked up: what is wrong with it is
    // said first.
    def.check("UTC")
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    check_package(&state, &caller, &def).await?;
    if params.dry_run == Some(true) {
        let preview = scheduler(&state)?
            .send(PreviewSchedule {
                def,
                count: PREVIEW_RUNS,
            })
            .await
            .map_err(|_| lost())?
            .map_err(refused)?;
        return Ok(HttpResponse::Ok().json(json!({
            "valid": true,
            "effective_time_zone": preview.effective_time_zone,
            "next_runs": preview.next_runs,
        })));
    }
    let view = scheduler(&state)?
        .send(PutSchedule {
            def,
            user: caller.identity().to_string(),
            replace: false,
        })
        .await
        .map_err(|_| lost())?
        .map_err(refused)?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/schedules/{name}", tag = "schedules", params(("name" = String, Path, description = "Schedule name")), responses((status = 200, description = "One schedule", body = Object), Unauthorized, Forbidden, NotFound, Unavailable))]
pub async fn detail(
    caller: Caller,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, view) = allowed(&state, &caller, &name, Operation::ViewRun).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(put, path = "/api/v1/schedules/{name}", tag = "schedules", params(("name" = String, Path, description = "Schedule name")), request_body = ScheduleDef, responses((status = 200, description = "Changed; the schedule with its next run", body = Object), BadRequest, Unauthorized, Forbidden, NotFound, (status = 409, description = "The schedule is defined in the configuration file", body = ErrorBody), Unavailable))]
pub async fn change(
    caller: Caller,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let def = parse_def(&body, Some(&name))?;
    def.check("UTC")
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let (addr, _) = allowed(&state, &caller, &name, Operation::StopRun).await?;
    check_package(&state, &caller, &def).await?;
    let view = addr
        .send(PutSchedule {
            def,
            user: caller.identity().to_string(),
            replace: true,
        })
        .await
        .map_err(|_| lost())?
        .map_err(refused)?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(delete, path = "/api/v1/schedules/{name}", tag = "schedules", params(("name" = String, Path, description = "Schedule name")), responses((status = 204, description = "Deleted"), Unauthorized, Forbidden, NotFound, (status = 409, description = "The schedule is defined in the configuration file", body = ErrorBody), Unavailable))]
pub async fn delete(
    caller: Caller,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (addr, _) = allowed(&state, &caller, &name, Operation::StopRun).await?;
    addr.send(RemoveSchedule {
        name: name.into_inner(),
        user: caller.identity().to_string(),
    })
    .await
    .map_err(|_| lost())?
    .map_err(refused)?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/v1/schedules/{name}/run", tag = "schedules", params(("name" = String, Path, description = "Schedule name")), responses((status = 201, description = "Started; the execution id", body = Object), Unauthorized, Forbidden, NotFound, (status = 409, description = "The schedule's runs are at its max_active", body = ErrorBody), Unavailable))]
pub async fn run(
    caller: Caller,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (addr, view) = allowed(&state, &caller, &name, Operation::StopRun).await?;
    if let Some(why) = &state.runs_refused {
        return Err(ApiError::new(StatusCode::CONFLICT, why.clone()));
    }
    let segments = super::target::split_written(&state.directory, &view.def.package);
    if let Ok((t, pkg)) = package_target(&state.directory, &segments) {
        state
            .allow_package(&caller, Operation::Run, &t, &pkg)
            .await?;
    }
    let id = addr
        .send(RunScheduleNow(name.to_string()))
        .await
        .map_err(|_| lost())?
        .map_err(refused)?;
    Ok(HttpResponse::Created().json(json!({
        "id": id,
        "schedule": name.as_str(),
        "package": view.def.package,
        "state": "starting",
    })))
}
