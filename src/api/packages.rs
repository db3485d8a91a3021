//! `/api/v1/packages/{top}/{folders…}/{package}`: import (PUT the `.dtsx` bytes; 201, or 409
//! when it exists unless `?overwrite=true`; a package password and a new protection level come
//! in headers, see `crate::import_protection`), export (GET, byte for byte), existence (HEAD),
//! delete and rename (PATCH `{"name": …}`). The body size limit is enforced while reading, so an
//! oversized body is refused before anything is written. Each change holds its package's lock
//! (`locks.rs`) and, where owners change, an intent (`journal.rs`). Changes are written to the
//! event log.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::{FutureExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use ssisd_actors::EventId;
use ssisd_stores::{strip_dtsx, ItemName};

use crate::access::Operation;
use crate::import_protection::ImportProtection;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::folders::Rename;
use super::journal::{sha256_hex, Intent, Place};
use super::openapi::answers::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable,
};
use super::target::{package_target, segments};
use super::{parse_json, store_call, AppState};

const PREFIX: &str = "/api/v1/packages/";

#[derive(Deserialize)]
pub struct PutOptions {
    #[serde(default)]
    pub(super) overwrite: bool,
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        format!("the body is larger than the limit of {limit} bytes (service.max_request_bytes); nothing was stored"),
    )
}

/// Reads the whole body, refusing it as soon as it passes `limit`.
pub(super) async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: u64,
) -> Result<web::Bytes, ApiError> {
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit {
            return Err(too_large(limit));
        }
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("cannot read the body: {e}")))?;
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

#[utoipa::path(put, path = "/api/v1/packages/{path}", tag = "packages", params(("path" = String, Path, description = "Top-level folder, folders and package name, separated by /"), ("overwrite" = Option<bool>, Query, description = "Replace an existing package"), ("X-SSIS-Package-Password" = Option<String>, Header, description = "Password of a package protected with EncryptSensitiveWithPassword or EncryptAllWithPassword: checked before storing, or used to open it for X-SSIS-Protection-Level"), ("X-SSIS-Protection-Level" = Option<String>, Header, description = "Store with this protection level (0 DontSaveSensitive, 2 EncryptSensitiveWithPassword, 3 EncryptAllWithPassword, 5 ServerStorage for msdb folders) instead of byte for byte"), ("X-SSIS-New-Package-Password" = Option<String>, Header, description = "Password of levels 2 and 3; default: X-SSIS-Package-Password")), request_body(content = Vec<u8>, content_type = "application/xml", description = "The .dtsx file, stored byte for byte unless X-SSIS-Protection-Level asks otherwise"), responses((status = 201, description = "Imported", body = Object), (status = 200, description = "Replaced", body = Object), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, (status = 413, description = "Larger than service.max_request_bytes", body = ErrorBody), Unavailable))]
pub async fn put(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    options: web::Query<PutOptions>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = package_target(&state.directory, &segments(&req, PREFIX)?)?;
    let (folder, n) = (t.path.clone(), name.clone());
    let exists = store_call(&t.store, move |s| {
        async move { s.package_exists(&folder, &n).await }.boxed()
    })
    .await?;
    if exists && options.overwrite {
        state
            .allow_package(&caller, Operation::Change, &t, &name)
            .await?;
    } else {
        state.allow_plain(&caller, Operation::Import)?;
    }
    let protection =
        ImportProtection::from_headers(|name| req.headers().get(name).map(|v| v.as_bytes()))
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let body = read_limited(&req, payload, state.max_request_bytes).await?;
    // Opened and re-protected before anything is written: a wrong password stores nothing.
    let prepared = super::protect::prepare(body, protection, t.top.kind).await?;
    let (body, level, dropped) = (prepared.bytes, prepared.level, prepared.dropped);
    let at = Place::package(&t, &name);
    let held = state.locks.hold(&[at.lock()]).await?;
    // Replace only what the permission check saw: a package that appeared meanwhile (while
    // the body was read) gives 409 instead of being replaced without a check.
    let overwrite = options.overwrite && exists;
    let (folder, n) = (t.path.clone(), name.clone());
    let present = store_call(&t.store, move |s| {
        async move { s.package_exists(&folder, &n).await }.boxed()
    })
    .await?;
    // A new package gets an owner: announced by an intent, so that a crash between the file
    // and the owner record is settled at the next start.
    let begun = if present {
        None
    } else {
        Some(
            state
                .begin(Intent::Import {
                    at,
                    owner: caller.identity().to_string(),
                    sha256: sha256_hex(&body),
                })
                .await?,
        )
    };
    let (folder, n) = (t.path.clone(), name.clone());
    let stored = store_call(&t.store, move |s| {
        async move { s.put_package(&folder, &n, body, overwrite).await }.boxed()
    })
    .await;
    let (info, replaced) = match (stored, begun) {
        (Ok(done), Some(b)) => {
            state.complete(b).await;
            done
        }
        (Ok(done), None) => done,
        (Err(e), Some(b)) => {
            state.settle(b).await;
            return Err(e);
        }
        (Err(e), None) => return Err(e),
    };
    drop(held);
    let display = format!("{}\\{name}", t.display());
    state
        .audit(
            &caller,
            EventId::PackageImported,
            format!(
                "Package {display} was {}{}.",
                if replaced { "replaced" } else { "imported" },
                level.map_or(String::new(), |l| format!(" with protection level {l}"))
            ),
            &display,
        )
        .await;
    let mut response = if replaced {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    let mut answer = json!({ "path": display, "replaced": replaced, "package": info });
    if let Some(l) = level {
        answer["protection_level"] = json!(l);
    }
    if !dropped.is_empty() {
        answer["dropped_sensitive_values"] = json!(dropped);
    }
    Ok(response.json(answer))
}

#[utoipa::path(get, path = "/api/v1/packages/{path}", tag = "packages", params(("path" = String, Path, description = "Top-level folder, folders and package name, separated by /")), responses((status = 200, description = "The package, byte for byte", content_type = "application/xml", body = Vec<u8>), BadRequest, Unauthorized, Forbidden, NotFound, Unavailable))]
pub async fn get(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = package_target(&state.directory, &segments(&req, PREFIX)?)?;
    state
        .allow_package(&caller, Operation::Export, &t, &name)
        .await?;
    let (folder, n) = (t.path.clone(), name.clone());
    let bytes = store_call(&t.store, move |s| {
        async move { s.get_package(&folder, &n).await }.boxed()
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/xml")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}.dtsx\"",
                name.as_str().replace('"', "")
            ),
        ))
        .body(bytes))
}

#[utoipa::path(head, path = "/api/v1/packages/{path}", tag = "packages", params(("path" = String, Path, description = "Top-level folder, folders and package name, separated by /")), responses((status = 200, description = "It exists"), (status = 404, description = "It does not exist"), BadRequest, Unauthorized, Unavailable))]
pub async fn head(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::Enumerate)?;
    let (t, name) = package_target(&state.directory, &segments(&req, PREFIX)?)?;
    let (folder, n) = (t.path.clone(), name.clone());
    let exists = store_call(&t.store, move |s| {
        async move { s.package_exists(&folder, &n).await }.boxed()
    })
    .await?;
    Ok(if exists {
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::NotFound().finish()
    })
}

#[utoipa::path(delete, path = "/api/v1/packages/{path}", tag = "packages", params(("path" = String, Path, description = "Top-level folder, folders and package name, separated by /")), responses((status = 204, description = "Deleted"), BadRequest, Unauthorized, Forbidden, NotFound, Unavailable))]
pub async fn delete(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = package_target(&state.directory, &segments(&req, PREFIX)?)?;
    let at = Place::package(&t, &name);
    let held = state.locks.hold(&[at.lock()]).await?;
    state
        .allow_package(&caller, Operation::Change, &t, &name)
        .await?;
    let begun = state.begin(Intent::DeletePackage { at }).await?;
    let (folder, n) = (t.path.clone(), name.clone());
    match store_call(&t.store, move |s| {
        async move { s.delete_package(&folder, &n).await }.boxed()
    })
    .await
    {
        Ok(()) => state.complete(begun).await,
        Err(e) => {
            state.settle(begun).await;
            return Err(e);
        }
    }
    drop(held);
    let display = format!("{}\\{name}", t.display());
    state
        .audit(
            &caller,
            EventId::PackageDeleted,
            format!("Package {display} was deleted."),
            &display,
        )
        .await;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(patch, path = "/api/v1/packages/{path}", tag = "packages", params(("path" = String, Path, description = "Top-level folder, folders and package name, separated by /")), request_body = Rename, responses((status = 200, description = "Renamed", body = Object), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unavailable))]
pub async fn rename(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = package_target(&state.directory, &segments(&req, PREFIX)?)?;
    let rename: Rename = parse_json(&body)?;
    let new_name = ItemName::new(strip_dtsx(&rename.name))?;
    let (from, to) = (Place::package(&t, &name), Place::package(&t, &new_name));
    let held = state.locks.hold(&[from.lock(), to.lock()]).await?;
    state
        .allow_package(&caller, Operation::Change, &t, &name)
        .await?;
    let begun = state.begin(Intent::RenamePackage { from, to }).await?;
    let (folder, n, nn) = (t.path.clone(), name.clone(), new_name.clone());
    match store_call(&t.store, move |s| {
        async move { s.rename_package(&folder, &n, &nn).await }.boxed()
    })
    .await
    {
        Ok(()) => state.complete(begun).await,
        Err(e) => {
            state.settle(begun).await;
            return Err(e);
        }
    }
    drop(held);
    let display = format!("{}\\{name}", t.display());
    let new_display = format!("{}\\{new_name}", t.display());
    state
        .audit(
            &caller,
            EventId::PackageRenamed,
            format!("Package {display} was renamed to {new_display}."),
            &display,
        )
        .await;
    Ok(HttpResponse::Ok().json(json!({ "path": new_display })))
}
