//! Changes that touch a store and the owner records are made crash-safe with *intents*: before a
//! handler changes a store it writes what it is about to do (an [`Intent`]) to the owners
//! database, durably; when the store change is done, the intent ends together with its owner
//! change in one transaction. An intent left behind by a crash (or by a store that failed half
//! way) is *settled*: the stores are looked at, and the change is completed (a move whose copy
//! is stored loses its source, the owner records follow) or rolled back (nothing happened, the
//! intent is dropped). Settling runs at start-up before the API is served, and in the
//! background for intents whose stores were unavailable. Package bytes are compared by SHA-256,
//! so a settled move never deletes a source whose copy is not stored. This module sequences and
//! inspects; the stores keep packages and `access::owners` keeps the records.

use std::time::Duration;

use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ssisd_actors::{Directory, EventId, NewEvent};
use ssisd_stores::{ItemName, StorePath};

use crate::access::owners::{OwnerChange, Owners};

use super::error::ApiError;
use super::locks::LockKey;
use super::target::{self, FolderTarget};
use super::{store_call, AppState};

/// A folder or package as an intent names it: where it is in its store, and its owner-record
/// key (names joined with '/', folded to lower case where the store ignores case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub top: String,
    pub folder: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub key: String,
    #[serde(default)]
    pub fold: bool,
}

impl Place {
    fn make(t: &FolderTarget, name: Option<&ItemName>) -> Place {
        let folder: Vec<String> = t.path.segments().iter().map(|s| s.to_string()).collect();
        let mut parts = folder.clone();
        parts.extend(name.map(|n| n.to_string()));
        let fold = t.top.names_ignore_case;
        let key = parts.join("/");
        Place {
            top: t.top.name.clone(),
            folder,
            name: name.map(|n| n.to_string()),
            key: if fold { key.to_lowercase() } else { key },
            fold,
        }
    }

    pub fn package(t: &FolderTarget, name: &ItemName) -> Place {
        Self::make(t, Some(name))
    }

    pub fn folder(t: &FolderTarget) -> Place {
        Self::make(t, None)
    }

    /// The same folder's sibling `new_name` (a renamed folder).
    pub fn sibling_folder(t: &FolderTarget, new_name: &ItemName) -> Place {
        let mut p = Self::make(t, None);
        p.folder.pop();
        p.folder.push(new_name.to_string());
        let key = p.folder.join("/");
        p.key = if p.fold { key.to_lowercase() } else { key };
        p
    }

    /// The lock that serialises changes of this place.
    pub fn lock(&self) -> LockKey {
        let f = |s: &String| {
            if self.fold {
                s.to_lowercase()
            } else {
                s.clone()
            }
        };
        let folder: Vec<String> = self.folder.iter().map(f).collect();
        match &self.name {
            Some(n) => LockKey::package(&self.top, folder, f(n)),
            None => LockKey::folder(&self.top, folder),
        }
    }

    /// `\Top\Folder\Package`, for messages.
    pub fn display(&self) -> String {
        let mut s = format!("\\{}", self.top);
        for part in self.folder.iter().chain(&self.name) {
            s.push('\\');
            s.push_str(part);
        }
        s
    }

    fn store_path(&self) -> Result<StorePath, String> {
        StorePath::from_segments(&self.folder).map_err(|e| e.to_string())
    }

    fn item(&self) -> Result<ItemName, String> {
        ItemName::new(self.name.as_deref().unwrap_or_default()).map_err(|e| e.to_string())
    }
}

/// A change about to be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Intent {
    /// A new package (`owner` becomes its owner).
    Import {
        at: Place,
        owner: String,
        sha256: String,
    },
    /// A copy; `owner` is set when the destination is new.
    Copy {
        from: Place,
        to: Place,
        sha256: String,
        owner: Option<String>,
    },
    /// A move: the copy is stored, then the source deleted; the owner moves along.
    Move {
        from: Place,
        to: Place,
        sha256: String,
    },
    RenamePackage {
        from: Place,
        to: Place,
    },
    DeletePackage {
        at: Place,
    },
    DeleteFolder {
        at: Place,
    },
    RenameFolder {
        from: Place,
        to: Place,
    },
}

impl Intent {
    /// The owner change the completed intent implies.
    fn owner_change(&self) -> OwnerChange {
        match self {
            Intent::Import { at, owner, .. } => OwnerChange::Set {
                folder: at.top.clone(),
                path: at.key.clone(),
                owner: owner.clone(),
            },
            Intent::Copy {
                to,
                owner: Some(owner),
                ..
            } => OwnerChange::Set {
                folder: to.top.clone(),
                path: to.key.clone(),
                owner: owner.clone(),
            },
            Intent::Copy { owner: None, .. } => OwnerChange::None,
            Intent::Move { from, to, .. } | Intent::RenamePackage { from, to } => {
                OwnerChange::Move {
                    from_folder: from.top.clone(),
                    from_path: from.key.clone(),
                    to_folder: to.top.clone(),
                    to_path: to.key.clone(),
                }
            }
            Intent::DeletePackage { at } => OwnerChange::Remove {
                folder: at.top.clone(),
                path: at.key.clone(),
            },
            Intent::DeleteFolder { at } => OwnerChange::RemovePrefix {
                folder: at.top.clone(),
                prefix: at.key.clone(),
            },
            Intent::RenameFolder { from, to } => OwnerChange::RenamePrefix {
                folder: from.top.clone(),
                old: from.key.clone(),
                new: to.key.clone(),
            },
        }
    }

    /// The locks a settlement holds (the same a request making the change holds).
    pub fn locks(&self) -> Vec<LockKey> {
        match self {
            Intent::Import { at, .. }
            | Intent::DeletePackage { at }
            | Intent::DeleteFolder { at } => vec![at.lock()],
            Intent::Copy { from, to, .. }
            | Intent::Move { from, to, .. }
            | Intent::RenamePackage { from, to }
            | Intent::RenameFolder { from, to } => vec![from.lock(), to.lock()],
        }
    }

    fn describe(&self) -> String {
        match self {
            Intent::Import { at, .. } => format!("import of {}", at.display()),
            Intent::Copy { from, to, .. } => {
                format!("copy of {} to {}", from.display(), to.display())
            }
            Intent::Move { from, to, .. } => {
                format!("move of {} to {}", from.display(), to.display())
            }
            Intent::RenamePackage { from, to } | Intent::RenameFolder { from, to } => {
                format!("rename of {} to {}", from.display(), to.display())
            }
            Intent::DeletePackage { at } | Intent::DeleteFolder { at } => {
                format!("deletion of {}", at.display())
            }
        }
    }
}

/// The hex SHA-256 of package bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An intent written and not yet ended.
pub struct Begun {
    id: i64,
    intent: Intent,
}

/// What settling an intent decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Completed,
    RolledBack,
}

async fn on_owners<T: Send + 'static>(
    owners: &std::sync::Arc<Owners>,
    f: impl FnOnce(&Owners) -> Result<T, crate::access::owners::OwnersError> + Send + 'static,
) -> Result<T, String> {
    let owners = owners.clone();
    tokio::task::spawn_blocking(move || f(&owners))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

impl AppState {
    /// Changes owner records directly, without an intent: for deployed projects, whose
    /// single-file writes need no settling (a crash between the file and its record leaves a
    /// project without an owner, which administrators still manage).
    pub async fn update_owners(
        &self,
        f: impl FnOnce(&Owners) -> Result<(), crate::access::owners::OwnersError> + Send + 'static,
    ) {
        if let Err(e) = on_owners(&self.owners, f).await {
            tracing::warn!("owner records were not updated: {e}");
        }
    }

    /// Writes an intent before its change starts; a change whose intent cannot be recorded is
    /// not made (503).
    pub async fn begin(&self, intent: Intent) -> Result<Begun, ApiError> {
        let body = serde_json::to_string(&intent).expect("intents serialise");
        let id = on_owners(&self.owners, move |o| o.begin_intent(&body))
            .await
            .map_err(|e| {
                ApiError::unavailable(
                    "the change could not be recorded in the owners database; nothing was changed; retry",
                )
                .with_detail(e)
            })?;
        Ok(Begun { id, intent })
    }

    /// Ends an intent whose change happened, with its owner change. If that cannot be
    /// written the intent stays and is settled later.
    pub async fn complete(&self, begun: Begun) {
        let change = begun.intent.owner_change();
        let id = begun.id;
        if let Err(e) = on_owners(&self.owners, move |o| o.complete_intent(id, &change)).await {
            tracing::warn!(
                "{} is done but its owner records were not updated ({e}); it is settled again in the background",
                begun.intent.describe()
            );
        }
    }

    /// Ends an intent whose request failed part way: looks at the stores and completes or
    /// rolls back. If the stores cannot tell now, the intent stays for the background.
    pub async fn settle(&self, begun: Begun) {
        if let Err(e) = settle_one(&self.directory, &self.owners, begun.id, &begun.intent).await {
            tracing::warn!(
                "{} failed part way and cannot be settled now ({e}); retried in the background",
                begun.intent.describe()
            );
        }
    }
}

/// A store error, with "does not exist" as `None`.
fn absent<T>(r: Result<T, ApiError>) -> Result<Option<T>, String> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.status == actix_web::http::StatusCode::NOT_FOUND => Ok(None),
        Err(e) => Err(e.message),
    }
}

/// The store of a place's top-level folder, when it is served now.
fn store_of(
    directory: &Directory,
    p: &Place,
) -> Result<actix::Addr<ssisd_actors::store::StoreActor>, String> {
    target::top_level(directory, &p.top)
        .map(|(_, addr)| addr)
        .map_err(|e| e.message)
}

async fn package_bytes(directory: &Directory, p: &Place) -> Result<Option<bytes::Bytes>, String> {
    let store = store_of(directory, p)?;
    let (folder, name) = (p.store_path()?, p.item()?);
    absent(
        store_call(&store, move |s| {
            async move { s.get_package(&folder, &name).await }.boxed()
        })
        .await,
    )
}

async fn package_exists(directory: &Directory, p: &Place) -> Result<bool, String> {
    let store = store_of(directory, p)?;
    let (folder, name) = (p.store_path()?, p.item()?);
    absent(
        store_call(&store, move |s| {
            async move { s.package_exists(&folder, &name).await }.boxed()
        })
        .await,
    )
    .map(|e| e.unwrap_or(false))
}

async fn folder_exists(directory: &Directory, p: &Place) -> Result<bool, String> {
    let store = store_of(directory, p)?;
    let folder = p.store_path()?;
    absent(
        store_call(&store, move |s| {
            async move { s.list(&folder).await.map(drop) }.boxed()
        })
        .await,
    )
    .map(|e| e.is_some())
}

async fn delete_package(directory: &Directory, p: &Place) -> Result<(), String> {
    let store = store_of(directory, p)?;
    let (folder, name) = (p.store_path()?, p.item()?);
    match store_call(&store, move |s| {
        async move { s.delete_package(&folder, &name).await }.boxed()
    })
    .await
    {
        Ok(()) => Ok(()),
        Err(e) if e.status == actix_web::http::StatusCode::NOT_FOUND => Ok(()),
        Err(e) => Err(e.message),
    }
}

/// Whether `p` holds exactly the bytes hashed as `sha`.
async fn holds(directory: &Directory, p: &Place, sha: &str) -> Result<bool, String> {
    Ok(package_bytes(directory, p)
        .await?
        .is_some_and(|b| sha256_hex(&b) == sha))
}

/// Why an intent cannot be settled now (it stays pending).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettleError {
    /// A store cannot be asked now; the reason.
    #[error("{0}")]
    Store(String),
    /// The owner records cannot be changed now; the reason.
    #[error("{0}")]
    Owners(String),
}

/// Looks at the stores and completes or rolls back one intent. `Err` leaves it pending (a
/// store cannot be asked now).
pub async fn settle_one(
    directory: &Directory,
    owners: &std::sync::Arc<Owners>,
    id: i64,
    intent: &Intent,
) -> Result<Settled, SettleError> {
    let done = is_done(directory, intent)
        .await
        .map_err(SettleError::Store)?;
    if done {
        let change = intent.owner_change();
        on_owners(owners, move |o| o.complete_intent(id, &change))
            .await
            .map_err(SettleError::Owners)?;
        Ok(Settled::Completed)
    } else {
        on_owners(owners, move |o| o.abandon_intent(id))
            .await
            .map_err(SettleError::Owners)?;
        Ok(Settled::RolledBack)
    }
}

/// Whether the stores hold what `intent` was to leave (a move's source with the same bytes
/// is deleted on the way).
async fn is_done(directory: &Directory, intent: &Intent) -> Result<bool, String> {
    Ok(match intent {
        Intent::Import { at, sha256, .. } => holds(directory, at, sha256).await?,
        Intent::Copy { to, sha256, .. } => holds(directory, to, sha256).await?,
        Intent::Move { from, to, sha256 } => {
            if holds(directory, to, sha256).await? {
                // The copy is stored: finish the move (only a source with the same bytes).
                if holds(directory, from, sha256).await? {
                    delete_package(directory, from).await?;
                }
                true
            } else {
                false
            }
        }
        Intent::RenamePackage { from, to } => {
            package_exists(directory, to).await? && !package_exists(directory, from).await?
        }
        Intent::DeletePackage { at } => !package_exists(directory, at).await?,
        Intent::DeleteFolder { at } => !folder_exists(directory, at).await?,
        Intent::RenameFolder { from, to } => {
            folder_exists(directory, to).await? && !folder_exists(directory, from).await?
        }
    })
}

/// Settles every pending intent whose stores can be asked now, holding each one's locks.
/// Returns how many were completed, rolled back, and left pending.
pub async fn settle_pending(state: &AppState) -> (usize, usize, usize) {
    let pending = match on_owners(&state.owners, |o| o.pending_intents()).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("cannot read pending intents: {e}");
            return (0, 0, 0);
        }
    };
    let (mut completed, mut rolled_back, mut left) = (0, 0, 0);
    for p in pending {
        let intent: Intent = match serde_json::from_str(&p.body) {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(
                    "intent {} cannot be read ({e}): {}; it is dropped",
                    p.id,
                    p.body
                );
                let id = p.id;
                let _ = on_owners(&state.owners, move |o| o.abandon_intent(id)).await;
                continue;
            }
        };
        let Ok(_held) = state.locks.hold(&intent.locks()).await else {
            left += 1;
            continue;
        };
        match settle_one(&state.directory, &state.owners, p.id, &intent).await {
            Ok(outcome) => {
                let verb = match outcome {
                    Settled::Completed => {
                        completed += 1;
                        "completed"
                    }
                    Settled::RolledBack => {
                        rolled_back += 1;
                        "rolled back"
                    }
                };
                state.events.emit(
                    NewEvent::new(
                        EventId::ChangeSettled,
                        format!(
                            "An interrupted {} was {verb}; the owner records agree with the stores.",
                            intent.describe()
                        ),
                    )
                    .field("intent", p.id)
                    .field("outcome", verb),
                );
            }
            Err(e) => {
                tracing::info!(
                    "intent {} ({}) is left for later: {e}",
                    p.id,
                    intent.describe()
                );
                left += 1;
            }
        }
    }
    (completed, rolled_back, left)
}

/// At start-up, before the API is served: waits (a bounded time) for the stores to open, then
/// settles what it can; what is left is retried every 2 s in the background.
pub async fn recover(state: actix_web::web::Data<AppState>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline
        && state
            .directory
            .folders()
            .iter()
            .any(|f| f.health == ssisd_actors::FolderHealth::Starting)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (completed, rolled_back, left) = settle_pending(&state).await;
    if completed + rolled_back + left > 0 {
        tracing::info!(
            "interrupted changes at start-up: {completed} completed, {rolled_back} rolled back, {left} left until their stores are available"
        );
    }
    actix_rt::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let pending = on_owners(&state.owners, |o| o.pending_intents())
                .await
                .map(|p| !p.is_empty())
                .unwrap_or(false);
            if pending {
                // Intents of requests in flight are held by their locks and not touched
                // until those end; by then they are gone or left for settling.
                settle_pending(&state).await;
            }
        }
    });
}
