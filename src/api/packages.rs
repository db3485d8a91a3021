//! `/api/v1/packages/{top}/{folders…}/{package}`: import (PUT the `.dtsx` bytes; 201, or 409
//! when it exists unless `?overwrite=true`), export (GET, byte for byte), existence (HEAD),
//! delete and rename (PATCH `{"name": …}`). The body size limit is enforced while reading, so an
//! oversized body is refused before anything is written. Changes are written to the event log.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::{FutureExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use ssisd_actors::EventId;
use ssisd_stores::ItemName;

use super::error::ApiError;
use super::folders::Rename;
use super::target::{package_target, segments};
use super::{parse_json, store_call, AppState};

const PREFIX: &str = "/api/v1/packages/";

#[derive(Deserialize)]
pub struct PutOptions {
    #[serde(default)]
    overwrite: bool,
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        format!("the body is larger than the limit of {limit} bytes (service.max_request_bytes); nothing was stored"),
    )
}

/// Reads the whole body, refusing it as soon as it passes `limit`.
async fn read_limited(
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

pub async fn put(
    req: HttpRequest,
    state: web::Data<AppState>,
    options: web::Query<PutOptions>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = package_target(&state.directory, &segments(&req, PREFIX)?)?;
    let body = read_limited(&req, payload, state.max_request_bytes).await?;
    let (folder, n, overwrite) = (t.path.clone(), name.clone(), options.overwrite);
    let (info, replaced) = store_call(&t.store, move |s| {
        async move { s.put_package(&folder, &n, body, overwrite).await }.boxed()
    })
    .await?;
    let display = format!("{}\\{name}", t.display());
    state
        .audit(
            &req,
            EventId::PackageImported,
            format!(
                "Package {display} was {}.",
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
    Ok(response.json(json!({ "path": display, "replaced": replaced, "package": info })))
}

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (t, name) = package_target(&state.directory, &segments(&req, PREFIX)?)?;
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

pub async fn head(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
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

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = package_target(&state.directory, &segments(&req, PREFIX)?)?;
    let (folder, n) = (t.path.clone(), name.clone());
    store_call(&t.store, move |s| {
        async move { s.delete_package(&folder, &n).await }.boxed()
    })
    .await?;
    let display = format!("{}\\{name}", t.display());
    state
        .audit(
            &req,
            EventId::PackageDeleted,
            format!("Package {display} was deleted."),
            &display,
        )
        .await;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn rename(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (t, name) = package_target(&state.directory, &segments(&req, PREFIX)?)?;
    let rename: Rename = parse_json(&body)?;
    let new_name = ItemName::new(rename.name.trim_end_matches(".dtsx"))?;
    let (folder, n, nn) = (t.path.clone(), name.clone(), new_name.clone());
    store_call(&t.store, move |s| {
        async move { s.rename_package(&folder, &n, &nn).await }.boxed()
    })
    .await?;
    let display = format!("{}\\{name}", t.display());
    let new_display = format!("{}\\{new_name}", t.display());
    state
        .audit(
            &req,
            EventId::PackageRenamed,
            format!("Package {display} was renamed to {new_display}."),
            &display,
        )
        .await;
    Ok(HttpResponse::Ok().json(json!({ "path": new_display })))
}
