//! `/api/v1/folders`: the top-level folders with their health, and inside one of them listing
//! (GET), creating (POST), deleting (DELETE, `?recursive=true` for a non-empty folder) and
//! renaming (PATCH `{"name": …}`) folders. A change holds the folder's lock (`locks.rs`), so it
//! never races with writes below it; deletions and renames, which move owner records, are
//! announced by an intent (`journal.rs`). Changes are written to the event log.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use ssisd_actors::EventId;
use ssisd_stores::{ItemName, PackageEntry, ProjectEntry, SubfolderEntry};

use crate::access::Operation;

use super::auth::Caller;
use super::error::ApiError;
use super::journal::{Intent, Place};
use super::listing_fields;
use super::openapi::answers::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable,
};
use super::target::{folder_target, segments};
use super::{parse_json, store_call, AppState};

const PREFIX: &str = "/api/v1/folders/";

#[utoipa::path(get, path = "/api/v1/folders", tag = "folders", responses((status = 200, description = "Top-level folders and their health", body = Object), Unauthorized))]
pub async fn top_level(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::Enumerate)?;
    // Each with the URL that addresses it: a name holding a backslash is one segment there.
    let folders: Vec<serde_json::Value> = state
        .directory
        .folders()
        .into_iter()
        .map(|f| {
            let url = super::target::folder_url(&f.name);
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["url"] = url.into();
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "folders": folders })))
}

/// How much of a listing to answer.
#[derive(Deserialize)]
pub struct ListOptions {
    /// At most this many entries (folders first, then packages).
    limit: Option<usize>,
    /// Where the previous page ended (its `next_cursor`).
    cursor: Option<String>,
    /// The package fields to include, comma-separated (`name` is always included).
    fields: Option<String>,
}

/// Largest page.
const MAX_LIMIT: usize = 100_000;

#[utoipa::path(get, path = "/api/v1/folders/{path}", tag = "folders", params(("path" = String, Path, description = "Top-level folder, then folders, separated by /"), ("limit" = Option<usize>, Query, description = "At most this many entries, folders first, then packages (1 to 100000); the answer has next_cursor when more follow"), ("cursor" = Option<String>, Query, description = "The next_cursor of the previous page"), ("fields" = Option<String>, Query, description = "Package fields to include, comma-separated: name, size, modified, object_name, id, description, creator_name, creator_computer, creation_date, version_major, version_minor, version_build, version_guid, version_comments, protection_level, format_version, package_type, encrypted, error")), responses((status = 200, description = "Subfolders, packages and deployed projects (all of them on the first page)", body = Object), BadRequest, Unauthorized, NotFound, Unavailable))]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    options: web::Query<ListOptions>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::Enumerate)?;
    let t = folder_target(&state.directory, &segments(&req, PREFIX)?)?;
    let limit = match options.limit {
        Some(n) if !(1..=MAX_LIMIT).contains(&n) => {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {MAX_LIMIT}, not {n}"
            )))
        }
        other => other,
    };
    let after = options.cursor.as_deref().map(Cursor::parse).transpose()?;
    let first_page = after.is_none();
    let fields = options
        .fields
        .as_deref()
        .map(listing_fields::parse)
        .transpose()?;
    // An unchanged folder is answered as it was last time.
    let key = format!("{}\0{}\0{}", t.top.name, t.path, req.query_string());
    let path = t.path.clone();
    let version = store_call(&t.store, move |s| {
        async move { Ok(s.folder_version(&path).await) }.boxed()
    })
    .await?;
    if let Some(body) = version.and_then(|v| state.listings.get(&key, v)) {
        return Ok(json_answer(with_yours(&state, &caller, &t, body).await?));
    }
    let path = t.path.clone();
    let listing = store_call(&t.store, move |s| {
        async move { s.list(&path).await }.boxed()
    })
    .await?;
    let (folders, packages, next) = page(&listing.folders, &listing.packages, after, limit);
    // Serialised straight from the structs: large folders list without an intermediate tree.
    #[derive(Serialize)]
    struct Listing<'a> {
        top_level_folder: &'a str,
        path: String,
        folders: &'a [SubfolderEntry],
        packages: listing_fields::Packages<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_cursor: Option<String>,
        /// Deployed projects (few per folder): all of them, on the first page only.
        #[serde(skip_serializing_if = "Option::is_none")]
        projects: Option<&'a [ProjectEntry]>,
    }
    let body = serde_json::to_vec(&Listing {
        top_level_folder: &t.top.name,
        path: t.display(),
        folders,
        packages: listing_fields::Packages {
            entries: packages,
            fields: fields.as_deref(),
        },
        next_cursor: next.map(|c| c.text()),
        projects: first_page.then_some(listing.projects.as_slice()),
    })
    .map_err(|e| {
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode the listing: {e}"),
        )
    })?;
    let body = bytes::Bytes::from(body);
    // Kept only when the folder did not change while it was listed.
    if let Some(v) = version {
        let path = t.path.clone();
        let after = store_call(&t.store, move |s| {
            async move { Ok(s.folder_version(&path).await) }.boxed()
        })
        .await?;
        if after == Some(v) {
            state.listings.put(key, v, body.clone());
        }
    }
    Ok(json_answer(with_yours(&state, &caller, &t, body).await?))
}

/// For a limited user, whose rights on a package depend on owning it, adds `yours`: the names
/// of the folder's packages it owns (from the owner records). Added to the listing's bytes after
/// the listing cache, which holds what every caller sees alike.
async fn with_yours(
    state: &AppState,
    caller: &Caller,
    t: &super::target::FolderTarget,
    body: bytes::Bytes,
) -> Result<bytes::Bytes, ApiError> {
    if caller.role() != crate::access::Role::LimitedUser || body.last() != Some(&b'}') {
        return Ok(body);
    }
    let (folder, parent) = super::permissions::owner_key(t, None);
    let owners = state.owners.clone();
    let found = tokio::task::spawn_blocking(move || owners.owners_in(&folder, &parent))
        .await
        .map_err(|_| ApiError::unavailable("the owner records could not be read; retry"))?
        .map_err(|e| ApiError::unavailable(format!("the owner records could not be read: {e}")))?;
    let mut yours: Vec<&str> = found
        .iter()
        .filter(|(_, owner)| owner.as_str() == caller.identity())
        .map(|(path, _)| path.rsplit('/').next().unwrap_or(path))
        .collect();
    yours.sort_unstable();
    let names = serde_json::to_vec(&yours).map_err(|e| {
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode the listing: {e}"),
        )
    })?;
    let mut out = Vec::with_capacity(body.len() + names.len() + 12);
    out.extend_from_slice(&body[..body.len() - 1]);
    out.extend_from_slice(b",\"yours\":");
    out.extend_from_slice(&names);
    out.push(b'}');
    Ok(bytes::Bytes::from(out))
}

fn json_answer(body: bytes::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// Where a page ends: after a folder or after a package (names sort by their bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    Folder(String),
    Package(String),
}

impl Cursor {
    fn parse(text: &str) -> Result<Cursor, ApiError> {
        match text.split_once(':') {
            Some(("f", name)) => Ok(Cursor::Folder(name.to_string())),
            Some(("p", name)) => Ok(Cursor::Package(name.to_string())),
            _ => Err(ApiError::bad_request(format!(
                "cursor \"{text}\" is not one this service gave; pass the next_cursor of the previous page"
            ))),
        }
    }

    fn text(&self) -> String {
        match self {
            Cursor::Folder(n) => format!("f:{n}"),
            Cursor::Package(n) => format!("p:{n}"),
        }
    }
}

/// The entries after `after`, at most `limit` of them, and the cursor of the next page.
fn page<'a>(
    folders: &'a [SubfolderEntry],
    packages: &'a [PackageEntry],
    after: Option<Cursor>,
    limit: Option<usize>,
) -> (&'a [SubfolderEntry], &'a [PackageEntry], Option<Cursor>) {
    let (f0, p0) = match &after {
        None => (0, 0),
        Some(Cursor::Folder(n)) => (
            folders.partition_point(|f| f.name.as_str() <= n.as_str()),
            0,
        ),
        Some(Cursor::Package(n)) => (
            folders.len(),
            packages.partition_point(|p| p.info.name.as_str() <= n.as_str()),
        ),
    };
    let (folders, packages) = (&folders[f0..], &packages[p0..]);
    let Some(limit) = limit else {
        return (folders, packages, None);
    };
    if folders.len() >= limit {
        let more = folders.len() > limit || !packages.is_empty();
        let page = &folders[..limit];
        let next = more.then(|| Cursor::Folder(page[limit - 1].name.clone()));
        return (page, &packages[..0], next);
    }
    let room = limit - folders.len();
    if packages.len() > room {
        let page = &packages[..room];
        let next = match page.last() {
            Some(p) => Cursor::Package(p.info.name.clone()),
            None => Cursor::Folder(folders[folders.len() - 1].name.clone()),
        };
        return (folders, page, Some(next));
    }
    (folders, packages, None)
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
    let held = state.locks.hold(&[Place::folder(&t).lock()]).await?;
    let path = t.path.clone();
    store_call(&t.store, move |s| {
        async move { s.create_folder(&path).await }.boxed()
    })
    .await?;
    drop(held);
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
    let at = Place::folder(&t);
    let held = state.locks.hold(&[at.lock()]).await?;
    let begun = state.begin(Intent::DeleteFolder { at }).await?;
    let (path, recursive) = (t.path.clone(), options.recursive);
    match store_call(&t.store, move |s| {
        async move { s.delete_folder(&path, recursive).await }.boxed()
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
    let (from, to) = (Place::folder(&t), Place::sibling_folder(&t, &new_name));
    let held = state.locks.hold(&[from.lock(), to.lock()]).await?;
    let begun = state.begin(Intent::RenameFolder { from, to }).await?;
    let (path, n) = (t.path.clone(), new_name.clone());
    match store_call(&t.store, move |s| {
        async move { s.rename_folder(&path, &n).await }.boxed()
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
    let (parent, _) = t.path.split_last().expect("not the root");
    let new_path = format!("\\{}{}", t.top.name, parent.join(&new_name));
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

#[cfg(test)]
mod tests {
    use super::*;
    use ssisd_stores::{PackageHeader, PackageInfo};

    fn entries(folders: &[&str], packages: &[&str]) -> (Vec<SubfolderEntry>, Vec<PackageEntry>) {
        (
            folders
                .iter()
                .map(|n| SubfolderEntry {
                    name: n.to_string(),
                })
                .collect(),
            packages
                .iter()
                .map(|n| PackageEntry {
                    info: PackageInfo {
                        name: n.to_string(),
                        size: 1,
                        modified: None,
                        header: PackageHeader::default(),
                    },
                    error: None,
                })
                .collect(),
        )
    }

    #[test]
    fn pages_walk_folders_then_packages_without_gaps_or_repeats() {
        let (f, p) = entries(&["A", "B", "C"], &["a", "b", "c", "d"]);
        for limit in 1..=8 {
            let mut seen = Vec::new();
            let mut cursor = None;
            loop {
                let (fs, ps, next) = page(&f, &p, cursor.clone(), Some(limit));
                assert!(fs.len() + ps.len() <= limit);
                seen.extend(fs.iter().map(|x| x.name.clone()));
                seen.extend(ps.iter().map(|x| x.info.name.clone()));
                match next {
                    Some(c) => cursor = Some(Cursor::parse(&c.text()).unwrap()),
                    None => break,
                }
            }
            assert_eq!(seen, ["A", "B", "C", "a", "b", "c", "d"], "limit {limit}");
        }
        let (fs, ps, next) = page(&f, &p, None, None);
        assert_eq!((fs.len(), ps.len(), next), (3, 4, None));
        assert!(Cursor::parse("x").is_err());
    }
}
