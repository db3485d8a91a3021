//! `POST /api/v1/copy` and `POST /api/v1/move`: a package from any folder to any folder (File
//! System or MSDB, one instance or another), bytes unchanged. The body names both ends as
//! `{"from": "File System/Sales/Load", "to": "MSDB/Archive/Load", "overwrite": false}`; SSIS's
//! spelling `\File System\Sales\Load` works too. A move deletes the source only after the copy is
//! stored. Stores do the work; this module only sequences it.

use actix_web::{web, HttpResponse};
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::json;
use ssisd_actors::EventId;

use crate::access::Operation;

use super::auth::Caller;
use super::error::ApiError;
use super::openapi::answers::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable,
};
use super::permissions::owner_key;
use super::target::{package_target, split_written};
use super::{parse_json, store_call, AppState};

/// A copy or move: both ends as `Top/Folder/Package`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    from: String,
    to: String,
    #[serde(default)]
    overwrite: bool,
}

#[utoipa::path(post, path = "/api/v1/copy", tag = "packages", request_body = Transfer, responses((status = 201, description = "Copied", body = Object), (status = 200, description = "Copied over an existing package", body = Object), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unavailable))]
pub async fn copy(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    transfer(caller, state, body, false).await
}

#[utoipa::path(post, path = "/api/v1/move", tag = "packages", request_body = Transfer, responses((status = 201, description = "Moved", body = Object), (status = 200, description = "Moved over an existing package", body = Object), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unavailable))]
pub async fn move_(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    transfer(caller, state, body, true).await
}

async fn transfer(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Bytes,
    remove_source: bool,
) -> Result<HttpResponse, ApiError> {
    let t: Transfer = parse_json(&body)?;
    let (src, src_name) =
        package_target(&state.directory, &split_written(&state.directory, &t.from))?;
    let (dst, dst_name) =
        package_target(&state.directory, &split_written(&state.directory, &t.to))?;
    let src_display = format!("{}\\{src_name}", src.display());
    let dst_display = format!("{}\\{dst_name}", dst.display());
    if src_display.to_lowercase() == dst_display.to_lowercase() {
        return Err(ApiError::bad_request(format!(
            "{src_display} is both the source and the destination"
        )));
    }

    let src_facts = state.package_facts(&caller, &src, &src_name).await?;
    state.allow(&caller, Operation::Export, &src_facts)?;
    if remove_source {
        state.allow(&caller, Operation::Change, &src_facts)?;
    }
    let (folder, name) = (dst.path.clone(), dst_name.clone());
    let dst_exists = store_call(&dst.store, move |s| {
        async move { s.package_exists(&folder, &name).await }.boxed()
    })
    .await?;
    if dst_exists && t.overwrite {
        state
            .allow_package(&caller, Operation::Change, &dst, &dst_name)
            .await?;
    } else {
        state.allow_plain(&caller, Operation::Import)?;
    }

    let (folder, name) = (src.path.clone(), src_name.clone());
    let bytes = store_call(&src.store, move |s| {
        async move { s.get_package(&folder, &name).await }.boxed()
    })
    .await?;
    // Replace only what the permission check saw (see packages::put).
    let (folder, name, overwrite) = (
        dst.path.clone(),
        dst_name.clone(),
        t.overwrite && dst_exists,
    );
    let (info, replaced) = store_call(&dst.store, move |s| {
        async move { s.put_package(&folder, &name, bytes, overwrite).await }.boxed()
    })
    .await?;
    let (src_top, src_path) = owner_key(&src, Some(&src_name));
    let (dst_top, dst_path) = owner_key(&dst, Some(&dst_name));
    if remove_source {
        state
            .update_owners(move |o| o.move_between(&src_top, &src_path, &dst_top, &dst_path, None))
            .await;
    } else if !replaced {
        let owner = caller.identity().to_string();
        state
            .update_owners(move |o| o.set(&dst_top, &dst_path, &owner))
            .await;
    }
    let verb = if remove_source { "moved" } else { "copied" };
    state
        .audit(
            &caller,
            EventId::PackageImported,
            format!("Package {dst_display} was {verb} from {src_display}."),
            &dst_display,
        )
        .await;
    if remove_source {
        let (folder, name) = (src.path.clone(), src_name.clone());
        store_call(&src.store, move |s| async move { s.delete_package(&folder, &name).await }.boxed())
            .await
            .map_err(|e| {
                ApiError::new(
                    e.status,
                    format!(
                        "{dst_display} was stored, but {src_display} could not be deleted ({}); delete it to finish the move",
                        e.message
                    ),
                )
            })?;
        state
            .audit(
                &caller,
                EventId::PackageDeleted,
                format!("Package {src_display} was deleted (moved to {dst_display})."),
                &src_display,
            )
            .await;
    }
    Ok(if replaced {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    }
    .json(json!({
        "from": src_display,
        "path": dst_display,
        "replaced": replaced,
        "moved": remove_source,
        "package": info,
    })))
}
