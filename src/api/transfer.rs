//! `POST /api/v1/copy` and `POST /api/v1/move`: a package from any folder to any folder (File
//! System or MSDB, one instance or another), bytes unchanged. The body names both ends as
//! `{"from": "File System/Sales/Load", "to": "MSDB/Archive/Load", "overwrite": false}`; SSIS's
//! spelling `\File System\Sales\Load` works too. A move deletes the source only after the copy is
//! stored. Stores do the work; this module only sequences it.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::json;
use ssisd_actors::EventId;

use super::error::ApiError;
use super::target::package_target;
use super::{parse_json, store_call, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Transfer {
    from: String,
    to: String,
    #[serde(default)]
    overwrite: bool,
}

/// Splits `Top/Folder/Package` or `\Top\Folder\Package` into its names.
fn split_path(text: &str) -> Vec<String> {
    text.split(['/', '\\'])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn copy(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    transfer(req, state, body, false).await
}

pub async fn move_(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    transfer(req, state, body, true).await
}

async fn transfer(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    remove_source: bool,
) -> Result<HttpResponse, ApiError> {
    let t: Transfer = parse_json(&body)?;
    let (src, src_name) = package_target(&state.directory, &split_path(&t.from))?;
    let (dst, dst_name) = package_target(&state.directory, &split_path(&t.to))?;
    let src_display = format!("{}\\{src_name}", src.display());
    let dst_display = format!("{}\\{dst_name}", dst.display());
    if src_display.eq_ignore_ascii_case(&dst_display) {
        return Err(ApiError::bad_request(format!(
            "{src_display} is both the source and the destination"
        )));
    }

    let (folder, name) = (src.path.clone(), src_name.clone());
    let bytes = store_call(&src.store, move |s| {
        async move { s.get_package(&folder, &name).await }.boxed()
    })
    .await?;
    let (folder, name, overwrite) = (dst.path.clone(), dst_name.clone(), t.overwrite);
    let (info, replaced) = store_call(&dst.store, move |s| {
        async move { s.put_package(&folder, &name, bytes, overwrite).await }.boxed()
    })
    .await?;
    let verb = if remove_source { "moved" } else { "copied" };
    state
        .audit(
            &req,
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
                &req,
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
