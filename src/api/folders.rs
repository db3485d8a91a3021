//! `/api/v1/folders`: the top-level folders with their health, and inside one of them listing
//! (GET), creating (POST), deleting (DELETE, `?recursive=true` for a non-empty folder) and
//! renaming (PATCH `{"name": …}`) folders. Changes are written to the event log.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use ssisd_actors::EventId;
use ssisd_stores::{ItemName, PackageEntry, SubfolderEntry};

use super::error::ApiError;
use super::target::{folder_target, segments};
use super::{parse_json, store_call, AppState};

const PREFIX: &str = "/api/v1/folders/";

pub async fn top_level(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "folders": state.directory.folders() }))
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
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
    }
    Ok(HttpResponse::Ok().json(Listing {
        top_level_folder: &t.top.name,
        path: t.display(),
        folders: &listing.folders,
        packages: &listing.packages,
    }))
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
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
            &req,
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

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    options: web::Query<DeleteOptions>,
) -> Result<HttpResponse, ApiError> {
    let t = folder_target(&state.directory, &segments(&req, PREFIX)?)?;
    if t.path.is_root() {
        return Err(top_level_is_configured(&t.top.name, "deleted"));
    }
    let (path, recursive) = (t.path.clone(), options.recursive);
    store_call(&t.store, move |s| {
        async move { s.delete_folder(&path, recursive).await }.boxed()
    })
    .await?;
    state
        .audit(
            &req,
            EventId::FolderDeleted,
            format!("Folder {} was deleted.", t.display()),
            &t.display(),
        )
        .await;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub name: String,
}

pub async fn rename(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
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
    state
        .audit(
            &req,
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
