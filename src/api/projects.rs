//! `/api/v1/projects/{top}/{folders…}/{project}`: deployed projects of the project deployment
//! model, kept as `.ispac` files in File System folders — import (PUT the `.ispac` bytes; 201,
//! or 409 when it exists unless `?overwrite=true`; 400 when the bytes are not a project),
//! export (GET, byte for byte), existence (HEAD) and delete. Listings show projects with their
//! packages, parameters and connection managers (`folders.rs`); a package of a project runs
//! through `running.rs`. Owners are recorded under `<name>.ispac`, so a project and a package
//! of the same name never share one. Changes are written to the event log.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use serde_json::json;
use ssisd_actors::EventId;
use ssisd_stores::ItemName;

use crate::access::{Facts, Operation, Role};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::journal::Place;
use super::openapi::answers::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable,
};
use super::packages::{read_limited, PutOptions};
use super::permissions::owner_key;
use super::target::{folder_target, segments, FolderTarget};
use super::{store_call, AppState};

const PREFIX: &str = "/api/v1/projects/";

/// The file name (with `.ispac`) a project's owner is recorded under.
fn owner_name(name: &ItemName) -> Result<ItemName, ApiError> {
    Ok(ItemName::new(&format!("{name}.ispac"))?)
}

/// The folder holding a project, and the project's name (a trailing `.ispac` is ignored).
pub fn project_target(
    state: &AppState,
    segments: &[String],
) -> Result<(FolderTarget, ItemName), ApiError> {
    let Some((last, folder)) = segments.split_last() else {
        return Err(ApiError::bad_request(
            "name a project, e.g. /api/v1/projects/File%20System/ETL/Sales",
        ));
    };
    if folder.is_empty() {
        return Err(ApiError::bad_request(format!(
            "\"{last}\" names no project: a project path is <top-level folder>/<folders…>/<project>"
        )));
    }
    let bare = last
        .len()
        .checked_sub(6)
        .filter(|&i| last.is_char_boundary(i) && last[i..].eq_ignore_ascii_case(".ispac"))
        .map_or(last.as_str(), |i| &last[..i]);
    let name = ItemName::new(bare)?;
    Ok((folder_target(&state.directory, folder)?, name))
}

/// Decides `op` on the project `name` of `t` for `caller` (its recorded owner counts).
pub async fn allow_project(
    state: &AppState,
    caller: &Caller,
    op: Operation,
    t: &FolderTarget,
    name: &ItemName,
) -> Result<(), ApiError> {
    let facts = if caller.role() == Role::Administrator {
        Facts::default()
    } else {
        let (folder, path) = owner_key(t, Some(&owner_name(name)?));
        Facts {
            owner: state.owner_of(folder, path).await?,
            ..Facts::default()
        }
    };
    state.allow(caller, op, &facts)
}

async fn exists(t: &FolderTarget, name: &ItemName) -> Result<bool, ApiError> {
    let (folder, n) = (t.path.clone(), name.clone());
    match store_call(&t.store, move |s| {
        async move { s.get_project(&folder, &n).await.map(|_| ()) }.boxed()
    })
    .await
    {
        Ok(()) => Ok(true),
        Err(e) if e.status == actix_web::http::StatusCode::NOT_FOUND => Ok(false),
        Err(e) => Err(e),
    }
}

#[utoipa::path(put, path = "/api/v1/projects/{path}", tag = "projects", params(("path" = String, Path, description = "Top-level folder, folders and project name, separated by /"), ("overwrite" = Option<bool>, Query, description = "Replace an existing project")), request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The .ispac file (a zip archive), stored byte for byte"), responses((status = 201, description = "Imported; the project's packages, parameters and connection managers", body = Object), (status = 200, description = "Replaced", body = Object), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, (status = 413, description = "Larger than service.max_request_bytes", body = ErrorBody), Unavailable))]
pub async fn put(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    options: web::Query<PutOptions>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = project_target(&state, &segments(&req, PREFIX)?)?;
    let existed = exists(&t, &name).await?;
    if existed && options.overwrite {
        allow_project(&state, &caller, Operation::Change, &t, &name).await?;
    } else {
        state.allow_plain(&caller, Operation::Import)?;
    }
    let body = read_limited(&req, payload, state.max_request_bytes).await?;
    let held = state
        .locks
        .hold(&[Place::package(&t, &owner_name(&name)?).lock()])
        .await?;
    let (folder, n, overwrite) = (t.path.clone(), name.clone(), options.overwrite && existed);
    let (info, replaced) = store_call(&t.store, move |s| {
        async move { s.put_project(&folder, &n, body, overwrite).await }.boxed()
    })
    .await?;
    if !replaced {
        let (folder, path) = owner_key(&t, Some(&owner_name(&name)?));
        let owner = caller.identity().to_string();
        state
            .update_owners(move |o| o.set(&folder, &path, &owner))
            .await;
    }
    drop(held);
    let display = format!("{}\\{name}", t.display());
    state
        .audit(
            &caller,
            EventId::ProjectImported,
            format!(
                "Project {display} was {}.",
                if replaced { "replaced" } else { "imported" }
            ),
            &display,
        )
        .await;
    let mut response = if replaced {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    Ok(response.json(json!({ "path": display, "replaced": replaced, "project": info })))
}

#[utoipa::path(get, path = "/api/v1/projects/{path}", tag = "projects", params(("path" = String, Path, description = "Top-level folder, folders and project name, separated by /")), responses((status = 200, description = "The .ispac, byte for byte", content_type = "application/zip", body = Vec<u8>), BadRequest, Unauthorized, Forbidden, NotFound, Unavailable))]
pub async fn get(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = project_target(&state, &segments(&req, PREFIX)?)?;
    allow_project(&state, &caller, Operation::Export, &t, &name).await?;
    let (folder, n) = (t.path.clone(), name.clone());
    let bytes = store_call(&t.store, move |s| {
        async move { s.get_project(&folder, &n).await }.boxed()
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}.ispac\"",
                name.as_str().replace('"', "")
            ),
        ))
        .body(bytes))
}

#[utoipa::path(head, path = "/api/v1/projects/{path}", tag = "projects", params(("path" = String, Path, description = "Top-level folder, folders and project name, separated by /")), responses((status = 200, description = "It exists"), (status = 404, description = "It does not exist"), BadRequest, Unauthorized, Unavailable))]
pub async fn head(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::Enumerate)?;
    let (t, name) = project_target(&state, &segments(&req, PREFIX)?)?;
    Ok(if exists(&t, &name).await? {
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::NotFound().finish()
    })
}

#[utoipa::path(delete, path = "/api/v1/projects/{path}", tag = "projects", params(("path" = String, Path, description = "Top-level folder, folders and project name, separated by /")), responses((status = 204, description = "Deleted"), BadRequest, Unauthorized, Forbidden, NotFound, Unavailable))]
pub async fn delete(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = project_target(&state, &segments(&req, PREFIX)?)?;
    let held = state
        .locks
        .hold(&[Place::package(&t, &owner_name(&name)?).lock()])
        .await?;
    allow_project(&state, &caller, Operation::Change, &t, &name).await?;
    let (folder, n) = (t.path.clone(), name.clone());
    store_call(&t.store, move |s| {
        async move { s.delete_project(&folder, &n).await }.boxed()
    })
    .await?;
    let (folder, path) = owner_key(&t, Some(&owner_name(&name)?));
    state.update_owners(move |o| o.remove(&folder, &path)).await;
    drop(held);
    let display = format!("{}\\{name}", t.display());
    state
        .audit(
            &caller,
            EventId::ProjectDeleted,
            format!("Project {display} was deleted."),
            &display,
        )
        .await;
    Ok(HttpResponse::NoContent().finish())
}
