//! `/api/v1/folders`: the top-level folders with their health, and inside one of them listing
//! (GET), creating (POST), deleting (DELETE, `?recursive=true` for a non-empty folder) and
//! renaming (PATCH `{"name": …}`) folders. Changes are written to the event log.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use ssisd_actors::EventId;
use ssisd_stores::{ItemName, PackageEntry, ProjectEntry, SubfolderEntry};

use crate::access::Operation;

use super::auth::Caller;
use super::error::ApiError;
use super::openapi::answers::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable,
};
use super::permissions::folder_key;
use super::target::{folder_target, segments};
use super::{parse_json, store_call, AppState};

const PREFIX: &str = "/api/v1/folders/";

#[utoipa::path(get, path = "/api/v1/folders", tag = "folders", responses((status = 200, description = "Top-level folders and their health", body = Object), Unauthorized))]
pub async fn top_level(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::Enumerate)?;
    Ok(HttpResponse::Ok().json(json!({ "folders": state.directory.folders() })))
}

#[utoipa::path(get, path = "/api/v1/folders/{path}", tag = "folders", params(("path" = String, Path, description = "Top-level folder, then folders, separated by /")), responses((status = 200, description = "Subfolders, packages and deployed projects", body = Object), BadRequest, Unauthorized, NotFound, Unavailable))]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::Enumerate)?;
    let t = folder_target(&state.directory, &segments(&req, PREFIX)?)?;
    let path = t.path.clone();
    let listing = store_call(&t.store, move |s| {
        async move { s.list(&path).await }.boxed()
    })
    .await?;
    // Serialised straight from the structs: large folders list without an intermediate tree.
    #[derive(Serialize)]
    struct Listing<'a> {
        top_level_folder: &'a str,
        path: String,
        folders: &'a [SubfolderEntry],
        packages: &'a [PackageEntry],
        projects: &'a [ProjectEntry],
    }
    Ok(HttpResponse::Ok().json(Listing {
        top_level_folder: &t.top.name,
        path: t.display(),
        folders: &listing.folders,
        packages: &listing.packages,
        projects: &listing.projects,
    }))
}

#[utoipa::path(post, path = "/api/v1/folders/{path}", tag = "folders", params(("path" = String, Path, description = "Top-level folder, then folders, separated by /")), responses((status = 201, description = "Created", body = Object), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unavailable))]
pub async fn create(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::ChangeFolder)?;
    let t = folder_target(&state.directory, &segments(&req, PREFIX)?)?;
    if t.path.is_root() {
        return Err(top_level_is_configured(&t.top.name, "created"));
    }
    let path = t.path.clone();
    store_call(&t.store, move |s| {
        async move { s.create_folder(&path).await }.boxed()
    })
    .await?;
    state
        .audit(
            &caller,
            EventId::FolderCreated,
            format!("Folder {} was created.", t.display()),
            &t.display(),
        )
        .await;
    Ok(HttpResponse::Created().json(json!({ "path": t.display() })))
}

#[derive(Deserialize)]
pub struct DeleteOptions {
    #[serde(default)]
    recursive: bool,
}

#[utoipa::path(delete, path = "/api/v1/folders/{path}", tag = "folders", params(("path" = String, Path, description = "Top-level folder, then folders, separated by /"), ("recursive" = Option<bool>, Query, description = "Delete a non-empty folder with its content")), responses((status = 204, description = "Deleted"), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unavailable))]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    options: web::Query<DeleteOptions>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::ChangeFolder)?;
    // msdb's sp_ssis_deletefolder deletes only empty folders; deleting one with its content
    // (which may hold other users' packages) is an administrator's.
    if options.recursive && caller.role() != crate::access::Role::Administrator {
        let reason = format!(
            "{} ({}) may delete only empty folders; deleting a folder with its content (recursive=true) needs an administrator",
            caller.identity(),
            caller.role()
        );
        state
            .gate
            .denied(caller.identity(), &caller.via.to_string(), &reason);
        return Err(ApiError::forbidden(reason));
    }
    let t = folder_target(&state.directory, &segments(&req, PREFIX)?)?;
    if t.path.is_root() {
        return Err(top_level_is_configured(&t.top.name, "deleted"));
    }
    let (path, recursive) = (t.path.clone(), options.recursive);
    store_call(&t.store, move |s| {
        async move { s.delete_folder(&path, recursive).await }.boxed()
    })
    .await?;
    let (top, prefix) = folder_key(&t);
    state
        .update_owners(move |o| o.remove_prefix(&top, &prefix))
        .await;
    state
        .audit(
            &caller,
            EventId::FolderDeleted,
            format!("Folder {} was deleted.", t.display()),
            &t.display(),
        )
        .await;
    Ok(HttpResponse::NoContent().finish())
}

/// The new name of a folder or package.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub name: String,
}

#[utoipa::path(patch, path = "/api/v1/folders/{path}", tag = "folders", params(("path" = String, Path, description = "Top-level folder, then folders, separated by /")), request_body = Rename, responses((status = 200, description = "Renamed", body = Object), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unavailable))]
pub async fn rename(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::ChangeFolder)?;
    let t = folder_target(&state.directory, &segments(&req, PREFIX)?)?;
    if t.path.is_root() {
        return Err(top_level_is_configured(&t.top.name, "renamed"));
    }
    let rename: Rename = parse_json(&body)?;
    let new_name = ItemName::new(&rename.name)?;
    let (path, n) = (t.path.clone(), new_name.clone());
    store_call(&t.store, move |s| {
        async move { s.rename_folder(&path, &n).await }.boxed()
    })
    .await?;
    let (parent, _) = t.path.split_last().expect("not the root");
    let new_path = format!("\\{}{}", t.top.name, parent.join(&new_name));
    let (top, old_prefix) = folder_key(&t);
    let new_prefix = super::permissions::join_key(&t, &parent, new_name.as_str());
    state
        .update_owners(move |o| o.rename_prefix(&top, &old_prefix, &new_prefix))
        .await;
    state
        .audit(
            &caller,
            EventId::FolderRenamed,
            format!("Folder {} was renamed to {new_path}.", t.display()),
            &t.display(),
        )
        .await;
    Ok(HttpResponse::Ok().json(json!({ "path": new_path })))
}

fn top_level_is_configured(name: &str, verb: &str) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::CONFLICT,
        format!(
            "top-level folder \"{name}\" cannot be {verb} through the API: top-level folders come from the service configuration ([[folder]] tables or TopLevelFolders); edit it and reload (SIGHUP)"
        ),
    )
}
