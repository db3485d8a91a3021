//! `POST /api/v1/copy` and `POST /api/v1/move`: a package from any folder to any folder (File
//! System or MSDB, one instance or another), bytes unchanged. The body names both ends as
//! `{"from": "File System/Sales/Load", "to": "MSDB/Archive/Load", "overwrite": false}`; SSIS's
//! spelling `\File System\Sales\Load` works too. A move deletes the source only after the copy is
//! stored; both ends are locked for the whole request and an intent (`journal.rs`) makes the
//! move or copy whole across a crash. Stores do the work; this module only sequences it.

use actix_web::{web, HttpResponse};
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::json;
use ssisd_actors::EventId;

use crate::access::Operation;

use super::auth::Caller;
use super::error::ApiError;
use super::journal::{sha256_hex, Intent, Place};
use super::openapi::answers::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable,
};
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

    let (from, to) = (
        Place::package(&src, &src_name),
        Place::package(&dst, &dst_name),
    );
    let held = state.locks.hold(&[from.lock(), to.lock()]).await?;
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
    let sha256 = sha256_hex(&bytes);
    let intent = if remove_source {
        Intent::Move { from, to, sha256 }
    } else {
        Intent::Copy {
            from,
            to,
            sha256,
            owner: (!dst_exists).then(|| caller.identity().to_string()),
        }
    };
    let begun = state.begin(intent).await?;
    // Replace only what the permission check saw (see packages::put).
    let (folder, name, overwrite) = (
        dst.path.clone(),
        dst_name.clone(),
        t.overwrite && dst_exists,
    );
    let stored = store_call(&dst.store, move |s| {
        async move { s.put_package(&folder, &name, bytes, overwrite).await }.boxed()
    })
    .await;
    let (info, replaced) = match stored {
        Ok(done) => done,
        Err(e) => {
            state.settle(begun).await;
            return Err(e);
        }
    };
    if remove_source {
        let (folder, name) = (src.path.clone(), src_name.clone());
        let deleted = store_call(&src.store, move |s| {
            async move { s.delete_package(&folder, &name).await }.boxed()
        })
        .await;
        if let Err(e) = deleted {
            // The copy is stored: the move is finished (the source deleted) when its folder
            // can be changed again, by settling the intent.
            state.settle(begun).await;
            return Err(ApiError::new(
                e.status,
                format!(
                    "{dst_display} was stored, but {src_display} could not be deleted yet ({}); the move is finished in the background once it can be",
                    e.message
                ),
            ));
        }
    }
    state.complete(begun).await;
    drop(held);
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
