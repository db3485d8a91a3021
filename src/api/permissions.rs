//! Applies the role table to requests: gathers the facts a decision needs (a package's recorded
//! owner, its msdb reader and writer roles, a run's owner), asks `access::authorize`, and turns
//! a refusal into a 403 written to the event log. (The owner records follow imports, renames,
//! moves and deletions through `journal.rs`.) It decides nothing itself.

use futures_util::FutureExt;
use ssisd_stores::ItemName;

use super::auth::Caller;
use super::error::ApiError;
use super::target::FolderTarget;
use super::{store_call, AppState};
use crate::access::{authorize, Facts, Operation};

/// The key owner records use: the top-level folder and the path inside it joined with '/'.
/// Keys follow the store's own name comparison: where it ignores case (msdb), `Tmp/Load` and
/// `TMP/load` are one package there and one owner record here.
pub fn owner_key(t: &FolderTarget, name: Option<&ItemName>) -> (String, String) {
    let mut parts: Vec<&str> = t.path.segments().iter().map(ItemName::as_str).collect();
    if let Some(n) = name {
        parts.push(n.as_str());
    }
    (t.top.name.clone(), fold(t, parts.join("/")))
}

fn fold(t: &FolderTarget, key: String) -> String {
    if t.top.names_ignore_case {
        key.to_lowercase()
    } else {
        key
    }
}

impl AppState {
    /// Decides `op` for `caller` on `facts`; a refusal is logged and answered 403.
    pub fn allow(&self, caller: &Caller, op: Operation, facts: &Facts) -> Result<(), ApiError> {
        authorize(&caller.principal, op, facts).map_err(|denied| {
            self.gate
                .denied(caller.identity(), &caller.via.to_string(), &denied.0);
            ApiError::forbidden(denied.0)
        })
    }

    /// Decides an operation that concerns no particular package or run.
    pub fn allow_plain(&self, caller: &Caller, op: Operation) -> Result<(), ApiError> {
        self.allow(caller, op, &Facts::default())
    }

    /// The owner recorded for a package, if any.
    pub async fn owner_of(&self, folder: String, path: String) -> Result<Option<String>, ApiError> {
        let owners = self.owners.clone();
        tokio::task::spawn_blocking(move || owners.owner(&folder, &path))
            .await
            .map_err(|_| ApiError::unavailable("the owner records could not be read; retry"))?
            .map_err(|e| ApiError::unavailable(format!("the owner records could not be read: {e}")))
    }

    /// Decides `op` on one stored package, looking up its facts first.
    pub async fn allow_package(
        &self,
        caller: &Caller,
        op: Operation,
        t: &FolderTarget,
        name: &ItemName,
    ) -> Result<(), ApiError> {
        let facts = self.package_facts(caller, t, name).await?;
        self.allow(caller, op, &facts)
    }

    /// A package's facts: recorded owner and (msdb) reader/writer roles. Administrators skip
    /// the look-ups.
    pub async fn package_facts(
        &self,
        caller: &Caller,
        t: &FolderTarget,
        name: &ItemName,
    ) -> Result<Facts, ApiError> {
        if caller.role() == crate::access::Role::Administrator {
            return Ok(Facts::default());
        }
        let (folder, path) = owner_key(t, Some(name));
        let owner = self.owner_of(folder, path).await?;
        let (p, n) = (t.path.clone(), name.clone());
        let roles = store_call(&t.store, move |s| {
            async move { s.package_roles(&p, &n).await }.boxed()
        })
        .await;
        let roles = match roles {
            Ok(r) => r,
            // A package that does not exist has no roles; the operation itself reports it.
            Err(e) if e.status == actix_web::http::StatusCode::NOT_FOUND => Default::default(),
            Err(e) => return Err(e),
        };
        Ok(Facts {
            owner,
            reader_role: roles.reader,
            writer_role: roles.writer,
        })
    }
}
