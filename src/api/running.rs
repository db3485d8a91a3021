//! `/api/v1/running`: start a stored package, or a package of a deployed project (POST; 201
//! with the execution id at once, 429 past `service.max_concurrent_packages`; parameters go to
//! the runner privately), list the runs (GET), one run's details, recent messages and rows
//! per data-flow path (GET `/{id}`), follow one run's event stream (GET `/{id}/stream`, server-sent
//! events), and stop one (POST `/{id}/stop`; 202 at once). The package bytes come from the store
//! actor; starting, following and stopping are the Package actor's. This file must not spawn
//! or signal processes itself.

use std::time::Duration;

use actix::Addr;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::json;
use ssisd_actors::package::{PackageActor, ProjectRun, RunSpec, RunView, StopRun};
use ssisd_actors::supervisor::RunRefused;

use crate::access::{Facts, Operation, Role};

use super::auth::{Caller, StreamAccess};
use super::error::{ApiError, ErrorBody};
use super::openapi::answers::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use super::target::package_target;
use super::{parse_json, store_call, AppState};

/// A run to start: the stored package — or, with `project`, the package of that deployed
/// project — `/Set` values, `/Par` values, the `/Reporting` level.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StartBody {
    /// The stored package's path (`File System/Sales/Load`), or with `project` the name of a
    /// package of the project (`Load` or `Load.dtsx`).
    package: String,
    /// A deployed project's path (`File System/ETL/Sales`): run its package `package`.
    #[serde(default)]
    project: Option<String>,
    /// What `/Par` takes (`$Project::Name;value`, `$Package::Name;value`,
    /// `$Project::CM.Conn.Password;value`). Given to the runner privately, never on its
    /// command line, and never shown.
    #[serde(default)]
    parameters: Vec<String>,
    #[serde(default)]
    set: Vec<String>,
    #[serde(default)]
    reporting: Option<String>,
    /// What the execution history records of this run: `none`, `basic`, `performance` or
    /// `verbose` (default: `history.logging_level`).
    #[serde(default)]
    logging_level: Option<String>,
    /// The executor to run it on (an `[[executor]]` name, such as a Slurm cluster); default
    /// `local`, a runner process on the service's machine.
    #[serde(default)]
    executor: Option<String>,
    /// Accepted for older clients and ignored: a run belongs to the caller who starts it.
    #[serde(default)]
    #[allow(dead_code)]
    user: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/running", tag = "running", request_body = StartBody, responses((status = 201, description = "Started; the execution id", body = Object), BadRequest, Unauthorized, Forbidden, NotFound, (status = 409, description = "Runs are refused by the service's configuration (it runs as root)", body = ErrorBody), (status = 429, description = "Too many failed authentications, or too many runs", body = ErrorBody), Unavailable))]
pub async fn start(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let b: StartBody = parse_json(&body)?;
    if let Some(level) = &b.logging_level {
        if ssisd_actors::history::LoggingLevel::parse(level).is_none() {
            return Err(ApiError::bad_request(format!(
                "logging_level \"{level}\" is not none, basic, performance or verbose"
            )));
        }
    }
    ssisd_actors::run_request::check(&b.set, b.reporting.as_deref())
        .map_err(|e| ApiError::bad_request(format!("the run request is refused: {e}")))?;
    if let Some(why) = &state.runs_refused {
        // The service's configuration, not the caller's role, refuses it.
        return Err(ApiError::new(StatusCode::CONFLICT, why.clone()));
    }
    for p in &b.parameters {
        ssisd_engine::cli::ParameterOption::parse(p).map_err(|reason| {
            ApiError::bad_request(format!(
                "the parameter \"{}\" is not what /Par takes: {reason}",
                p.split(';').next().unwrap_or_default()
            ))
        })?;
    }
    if let Some(project) = &b.project {
        let segments = super::target::split_written(&state.directory, project);
        return start_project(caller, state, &segments, b).await;
    }
    let segments = super::target::split_written(&state.directory, &b.package);
    let (t, name) = package_target(&state.directory, &segments)?;
    state
        .allow_package(&caller, Operation::Run, &t, &name)
        .await?;
    let (folder, n) = (t.path.clone(), name.clone());
    let bytes = store_call(&t.store, move |s| {
        async move { s.get_package(&folder, &n).await }.boxed()
    })
    .await?;
    let package = format!("{}\\{name}", t.display());
    let spec = RunSpec {
        id: String::new(),
        package: package.clone(),
        bytes: bytes.to_vec(),
        project: None,
        sets: b.set,
        parameters: b.parameters,
        reporting: b.reporting,
        user: caller.identity().to_string(),
        how: "api".into(),
        logging_level: b.logging_level.clone(),
        executor: b.executor.clone(),
    };
    launch(&caller, &state, spec).await
}

/// Starts the package `b.package` of the deployed project at `segments`.
async fn start_project(
    caller: Caller,
    state: web::Data<AppState>,
    segments: &[String],
    b: StartBody,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = super::projects::project_target(&state, segments)?;
    super::projects::allow_project(&state, &caller, Operation::Run, &t, &name).await?;
    let (folder, n) = (t.path.clone(), name.clone());
    let bytes = store_call(&t.store, move |s| {
        async move { s.get_project(&folder, &n).await }.boxed()
    })
    .await?;
    let label = format!("{}\\{name}.ispac", t.display());
    let (ispac, wanted) = (bytes.to_vec(), b.package.clone());
    let checked = tokio::task::spawn_blocking(move || {
        ssisd_engine::project::Project::from_ispac(
            ispac,
            std::path::Path::new(&label),
            &ssisd_engine::LoadOptions::default(),
        )
        .and_then(|p| p.find_package(&wanted).map(|found| found.file.clone()))
    })
    .await
    .map_err(|_| ApiError::unavailable("the project could not be read; retry"))?;
    let file = checked.map_err(|e| {
        if e.is_not_found() {
            ApiError::not_found(e.to_string())
        } else {
            ApiError::bad_request(e.to_string())
        }
    })?;
    let package = format!("{}\\{name}.ispac\\{file}", t.display());
    let spec = RunSpec {
        id: String::new(),
        package,
        bytes: Vec::new(),
        project: Some(ProjectRun {
            ispac: bytes.to_vec(),
            package: file,
        }),
        sets: b.set,
        parameters: b.parameters,
        reporting: b.reporting,
        user: caller.identity().to_string(),
        how: "api".into(),
        logging_level: b.logging_level.clone(),
        executor: b.executor.clone(),
    };
    launch(&caller, &state, spec).await
}

/// Records the request and hands `spec` to the supervisor.
async fn launch(
    caller: &Caller,
    state: &AppState,
    spec: RunSpec,
) -> Result<HttpResponse, ApiError> {
    let user = spec.user.clone();
    let package = spec.package.clone();
    // The executor asked for; without one the supervisor applies the folder's default.
    let executor = spec.executor.clone();
    state
        .audit(
            caller,
            ssisd_actors::EventId::RunStartRequested,
            format!("A run of {package} was requested."),
            &package,
        )
        .await;
    match state.control.start_run(spec).await {
        Ok(id) => {
            let mut answer = json!({
                "id": id,
                "package": package,
                "user": user,
                "state": "starting",
            });
            if let Some(e) = executor {
                answer["executor"] = json!(e);
            }
            Ok(HttpResponse::Created().json(answer))
        }
        Err(Some(e @ RunRefused::TooMany { .. })) => {
            Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, e.to_string()))
        }
        Err(Some(e @ RunRefused::UnknownExecutor { .. })) => {
            Err(ApiError::bad_request(e.to_string()))
        }
        Err(Some(e)) => Err(ApiError::unavailable(e.to_string())),
        Err(None) => Err(ApiError::unavailable("the supervisor did not answer")),
    }
}

#[utoipa::path(get, path = "/api/v1/running", tag = "running", responses((status = 200, description = "Running packages (a limited user sees its own)", body = Object), Unauthorized))]
pub async fn list(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::Enumerate)?;
    let mut runs = state.directory.runs();
    // Limited users see their own runs only (an extension of msdb's roles to runs).
    if caller.role() == Role::LimitedUser {
        runs.retain(|r| r.user == caller.identity());
    }
    Ok(HttpResponse::Ok().json(json!({ "running": runs })))
}

fn run_facts(user: &str) -> Facts {
    Facts {
        owner: Some(user.to_string()),
        ..Facts::default()
    }
}

/// The run `id` and its actor, if `caller` may perform `op` on it.
fn allowed_run(
    state: &AppState,
    caller: &Caller,
    id: &str,
    op: Operation,
) -> Result<(RunView, Addr<PackageActor>), ApiError> {
    let view = state.directory.run(id).ok_or_else(|| unknown(id))?;
    let actor = ssisd_actors::package::actor(&state.directory, id).ok_or_else(|| unknown(id))?;
    state.allow(caller, op, &run_facts(&view.user))?;
    Ok((view, actor))
}

fn unknown(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "no running package has the execution id {id}; a finished run leaves the list (its outcome is in the event log)"
    ))
}

#[utoipa::path(get, path = "/api/v1/running/{id}", tag = "running", params(("id" = String, Path, description = "Execution id")), responses((status = 200, description = "One run with its recent messages and, while data flows run, the rows that went down each data-flow path so far (`rows_per_path`)", body = Object), Unauthorized, Forbidden, NotFound))]
pub async fn detail(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (view, _) = allowed_run(&state, &caller, &id, Operation::ViewRun)?;
    let mut v = serde_json::to_value(&view).unwrap_or_default();
    v["recent_messages"] = json!(view.recent);
    v["rows_per_path"] = json!(view.rows_per_path);
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/running/{id}/stop", tag = "running", params(("id" = String, Path, description = "Execution id")), responses((status = 202, description = "Stop signalled", body = Object), Unauthorized, Forbidden, NotFound))]
pub async fn stop(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (view, actor) = allowed_run(&state, &caller, &id, Operation::StopRun)?;
    state
        .audit(
            &caller,
            ssisd_actors::EventId::RunStopRequested,
            format!(
                "Stopping run {} of {} was requested.",
                view.id, view.package
            ),
            &view.package,
        )
        .await;
    actor.do_send(StopRun);
    Ok(HttpResponse::Accepted().json(json!({ "id": id.as_str(), "state": "stopping" })))
}

/// Follows the run's event file: each record as one `data:` line, until the run has left the
/// list and the file is read to its end.
#[utoipa::path(get, path = "/api/v1/running/{id}/stream", tag = "running", params(("id" = String, Path, description = "Execution id")), responses((status = 200, description = "The run's event stream as server-sent events", content_type = "text/event-stream", body = String), Unauthorized, Forbidden, NotFound))]
pub async fn stream(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (view, _) = allowed_run(&state, &caller, &id, Operation::ViewRun)?;
    let path = view.events.clone();
    let directory = state.directory.clone();
    let id = id.into_inner();
    let (tx, rx) = tokio::sync::mpsc::channel::<web::Bytes>(16);
    let mut access = StreamAccess::new(state.gate.clone(), caller);
    actix_web::rt::spawn(async move {
        let mut offset = 0u64;
        let mut partial = Vec::new();
        loop {
            if let Err(last) = access.check().await {
                let _ = tx.send(last).await;
                return;
            }
            let alive = directory.run(&id).is_some();
            let p = path.clone();
            let (next, bytes) =
                tokio::task::spawn_blocking(move || ssisd_actors::package::read_from(&p, offset))
                    .await
                    .unwrap_or((offset, Vec::new()));
            offset = next;
            partial.extend_from_slice(&bytes);
            if let Some(last) = partial.iter().rposition(|b| *b == b'\n') {
                let lines: Vec<u8> = partial.drain(..=last).collect();
                for line in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    let mut frame = b"data: ".to_vec();
                    frame.extend_from_slice(line);
                    frame.extend_from_slice(b"\n\n");
                    if tx.send(web::Bytes::from(frame)).await.is_err() {
                        return;
                    }
                }
            }
            if bytes.is_empty() {
                if !alive {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, actix_web::Error>(b), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .streaming(body))
}
