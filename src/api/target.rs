//! Turns the percent-encoded tail of a request path (`File%20System/Sales/Load`) into the
//! top-level folder it names and a validated folder or package path inside it, and finds that
//! folder's store actor. In a URL each segment is one name (a top-level name holding a
//! backslash is one segment, `MSDB%20ETL01%5CINST2`); paths written in request bodies are split
//! by `split_written`. Validation of names is the stores crate's; this module only splits,
//! decodes and looks up.

use actix::Addr;
use actix_web::HttpRequest;
use percent_encoding::percent_decode_str;
use ssisd_actors::store::StoreActor;
use ssisd_actors::{Directory, FolderHealth, FolderStatus};
use ssisd_stores::{strip_dtsx, ItemName, StorePath};

use super::error::ApiError;

/// The decoded names after `prefix` in the raw request path. A `/` separates names whether it
/// is written as is or as `%2F` (clients that follow the OpenAPI description encode it; no
/// name may contain one).
pub fn segments(req: &HttpRequest, prefix: &str) -> Result<Vec<String>, ApiError> {
    let raw = req.uri().path();
    let tail = raw.strip_prefix(prefix).unwrap_or("");
    let mut names = Vec::new();
    for s in tail.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode_str(s).decode_utf8().map_err(|_| {
            ApiError::bad_request(format!("path segment \"{s}\" is not percent-encoded UTF-8"))
        })?;
        names.extend(
            decoded
                .split('/')
                .filter(|n| !n.is_empty())
                .map(str::to_string),
        );
    }
    Ok(names)
}

/// A path written in a request body (`File System/Sales/Load`, `\\MSDB ETL01\\INST2\\Load`) split
/// into names, a top-level folder whose name holds a backslash kept whole (longest match; the
/// rule is the client's, `crate::client::path::split_written`).
pub fn split_written(directory: &Directory, text: &str) -> Vec<String> {
    let tops: Vec<String> = directory.folders().into_iter().map(|f| f.name).collect();
    crate::client::path::split_written(text, &tops)
}

/// The URL path of a top-level folder, its name percent-encoded as one segment
/// (`/api/v1/folders/MSDB%20ETL01%5CINST2`).
pub fn folder_url(name: &str) -> String {
    format!(
        "/api/v1/folders/{}",
        crate::client::ItemPath(vec![name.to_string()]).encoded()
    )
}

/// A top-level folder and a folder path inside it.
pub struct FolderTarget {
    pub top: FolderStatus,
    pub store: Addr<StoreActor>,
    pub path: StorePath,
}

impl FolderTarget {
    /// `\Top\A\B` as SSIS writes it, for messages and events.
    pub fn display(&self) -> String {
        if self.path.is_root() {
            format!("\\{}", self.top.name)
        } else {
            format!("\\{}{}", self.top.name, self.path)
        }
    }
}

/// Finds the top-level folder `name` and its live store.
pub fn top_level(
    directory: &Directory,
    name: &str,
) -> Result<(FolderStatus, Addr<StoreActor>), ApiError> {
    let Some(status) = directory.folder(name) else {
        let names: Vec<String> = directory.folders().into_iter().map(|f| f.name).collect();
        return Err(ApiError::not_found(format!(
            "there is no top-level folder \"{name}\"; the top-level folders are: {}",
            names.join(", ")
        )));
    };
    let store = ssisd_actors::store::address(directory, &status.name);
    match (&status.health, store) {
        (FolderHealth::Available, Some(store)) => Ok((status, store)),
        (FolderHealth::Starting, Some(store)) => Ok((status, store)),
        // Reads are served; the store refuses writes with the reason itself.
        (FolderHealth::ReadOnly(_), Some(store)) => Ok((status, store)),
        (health, _) => {
            let detail = match health {
                FolderHealth::Restarting(why) => format!("its store is restarting after: {why}"),
                FolderHealth::Unavailable(why) => why.clone(),
                FolderHealth::Failed(why) => format!(
                    "its store has failed ({why}); fix the cause and reload the service (SIGHUP)"
                ),
                FolderHealth::ReadOnly(why) => format!("its store is read-only: {why}"),
                _ => "its store is not running".to_string(),
            };
            Err(ApiError::unavailable(format!(
                "top-level folder \"{}\" is not available: {detail}",
                status.name
            )))
        }
    }
}

pub fn folder_target(directory: &Directory, segments: &[String]) -> Result<FolderTarget, ApiError> {
    let (first, rest) = segments.split_first().ok_or_else(|| {
        ApiError::bad_request("name a top-level folder, e.g. /api/v1/folders/File%20System")
    })?;
    let (top, store) = top_level(directory, first)?;
    let path = StorePath::from_segments(rest)?;
    Ok(FolderTarget { top, store, path })
}

/// The folder holding a package, and the package's name (a trailing `.dtsx` is ignored).
pub fn package_target(
    directory: &Directory,
    segments: &[String],
) -> Result<(FolderTarget, ItemName), ApiError> {
    let Some((last, folder)) = segments.split_last() else {
        return Err(ApiError::bad_request(
            "name a package, e.g. /api/v1/packages/File%20System/Sales/Load%20Customers",
        ));
    };
    if folder.is_empty() {
        return Err(ApiError::bad_request(format!(
            "\"{last}\" names no package: a package path is <top-level folder>/<folders…>/<package>"
        )));
    }
    let name = ItemName::new(strip_dtsx(last))?;
    Ok((folder_target(directory, folder)?, name))
}
