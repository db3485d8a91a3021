//! The msdb store: one database's package tree as a [`PackageStore`]. It connects (through the
//! [`Pool`]), detects the schema (installing the compatible one when configured), walks folder
//! paths from the msdb root, and runs every change that takes more than one statement inside a
//! transaction with `XACT_ABORT` on, so a failure half-way — a lost connection included —
//! leaves nothing half-written. A connection whose state is unknown is never reused. It must not
//! know about actors, retries or HTTP.

use async_trait::async_trait;
use bytes::Bytes;
use tiberius::Uuid;

use super::catalog::{Catalog, PackageRow, ROOT_FOLDER_ID};
use super::error::{is_connection_error, sql_error, unavailable};
use super::pool::{Connection, Pool, Pooled};
use super::procedures::ProcedureCatalog;
use super::schema::{detect_or_install, Schema};
use super::settings::SqlServerFolder;
use super::tables2005::TableCatalog2005;
use crate::error::StoreError;
use crate::names::{ItemName, StorePath};
use crate::package_header::read_package_header;
use crate::package_store::{
    FolderListing, PackageEntry, PackageInfo, PackageRoles, PackageStore, SubfolderEntry,
};

/// Duplicate key (unique index or primary key).
const DUPLICATE_KEY: [u32; 2] = [2601, 2627];

/// The packages of one msdb (or compatible) database.
#[derive(Clone)]
pub struct MsdbStore {
    pool: Pool,
    catalog: std::sync::Arc<dyn Catalog>,
    schema: Schema,
}

/// One borrowed connection, marked broken when an error leaves it in doubt.
struct Session {
    pooled: Pooled,
    in_transaction: bool,
}

impl Session {
    fn c(&mut self) -> &mut Connection {
        self.pooled.conn()
    }

    async fn batch(&mut self, sql: &str) -> Result<(), tiberius::error::Error> {
        self.c().simple_query(sql).await?.into_results().await?;
        Ok(())
    }
}

impl MsdbStore {
    /// Connects, detects the schema (installing the compatible one when the settings say so)
    /// and keeps the connection in the pool.
    pub async fn open(settings: SqlServerFolder) -> Result<MsdbStore, StoreError> {
        let pool = Pool::new(settings);
        let s = pool.settings().clone();
        let mut first = pool.get().await?;
        let schema = detect_or_install(
            first.conn(),
            &s.server,
            &s.database,
            s.install_compat_schema,
        )
        .await
        .inspect_err(|e| {
            if matches!(e, StoreError::Unavailable(_)) {
                first.broken();
            }
        })?;
        drop(first);
        let catalog: std::sync::Arc<dyn Catalog> = match &schema {
            Schema::Ssis2008 => std::sync::Arc::new(ProcedureCatalog),
            Schema::Dts2005 { .. } => std::sync::Arc::new(TableCatalog2005),
            Schema::Missing { .. } => unreachable!("detect_or_install refuses a missing schema"),
        };
        tracing::info!(
            server = %s.server,
            database = %s.database,
            "msdb store open: {}",
            schema.label()
        );
        Ok(MsdbStore {
            pool,
            catalog,
            schema,
        })
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn settings(&self) -> &SqlServerFolder {
        self.pool.settings()
    }

    fn server(&self) -> &str {
        &self.pool.settings().server
    }

    async fn session(&self) -> Result<Session, StoreError> {
        Ok(Session {
            pooled: self.pool.get().await?,
            in_transaction: false,
        })
    }

    /// A driver error on `object`, marking the session's connection broken when needed.
    fn fail(&self, s: &mut Session, object: &str, e: tiberius::error::Error) -> StoreError {
        if is_connection_error(&e) || s.in_transaction {
            s.pooled.broken();
        }
        if is_connection_error(&e) {
            // Every idle connection is suspect after a lost one.
            self.pool.clear();
        }
        sql_error(self.server(), object, e)
    }

    async fn begin(&self, s: &mut Session) -> Result<(), StoreError> {
        s.in_transaction = true;
        s.batch("SET XACT_ABORT ON; BEGIN TRANSACTION")
            .await
            .map_err(|e| self.fail(s, "a transaction", e))
    }

    async fn commit(&self, s: &mut Session) -> Result<(), StoreError> {
        let r = s.batch("COMMIT TRANSACTION").await;
        match r {
            Ok(()) => {
                s.in_transaction = false;
                Ok(())
            }
            Err(e) => Err(self.fail(s, "a transaction", e)),
        }
    }

    /// Ends a transaction after an error: rolled back, or the connection is discarded (the
    /// server rolls back when the session ends).
    async fn abandon(&self, s: &mut Session) {
        if s.in_transaction {
            if s.batch("IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION")
                .await
                .is_err()
            {
                s.pooled.broken();
            }
            s.in_transaction = false;
        }
    }

    /// Runs `work` in a transaction on a fresh session.
    async fn in_transaction<R>(
        &self,
        work: impl for<'a> FnOnce(
            &'a MsdbStore,
            &'a mut Session,
        ) -> futures_util::future::BoxFuture<'a, Result<R, StoreError>>,
    ) -> Result<R, StoreError> {
        let mut s = self.session().await?;
        self.begin(&mut s).await?;
        match work(self, &mut s).await {
            Ok(r) => {
                self.commit(&mut s).await?;
                Ok(r)
            }
            Err(e) => {
                self.abandon(&mut s).await;
                Err(e)
            }
        }
    }

    /// The id of a folder, which must exist.
    async fn folder_id(&self, s: &mut Session, path: &StorePath) -> Result<Uuid, StoreError> {
        let mut id = ROOT_FOLDER_ID;
        for (depth, name) in path.segments().iter().enumerate() {
            let found = self
                .catalog
                .find_folder(s.c(), id, name.as_str())
                .await
                .map_err(|e| self.fail(s, &path.to_string(), e))?;
            id = found.ok_or_else(|| {
                let names: Vec<&str> = path.segments()[..=depth]
                    .iter()
                    .map(ItemName::as_str)
                    .collect();
                let so_far = StorePath::from_segments(&names)
                    .map(|p| p.to_string())
                    .unwrap_or_else(|_| path.to_string());
                StoreError::FolderNotFound(so_far)
            })?;
        }
        Ok(id)
    }

    async fn list_in(
        &self,
        s: &mut Session,
        folder: &StorePath,
    ) -> Result<FolderListing, StoreError> {
        let id = self.folder_id(s, folder).await?;
        let object = folder.to_string();
        let subfolders = self
            .catalog
            .subfolders(s.c(), id)
            .await
            .map_err(|e| self.fail(s, &object, e))?;
        let rows = self
            .catalog
            .packages(s.c(), id)
            .await
            .map_err(|e| self.fail(s, &object, e))?;
        let mut folders: Vec<SubfolderEntry> = subfolders
            .into_iter()
            .map(|(_, name)| SubfolderEntry { name })
            .collect();
        let mut packages: Vec<PackageEntry> = rows
            .into_iter()
            .map(|row| PackageEntry {
                info: info_of(&row),
                error: None,
            })
            .collect();
        folders.sort_by(|a, b| a.name.cmp(&b.name));
        packages.sort_by(|a, b| a.info.name.cmp(&b.info.name));
        Ok(FolderListing {
            folders,
            packages,
            projects: Vec::new(),
        })
    }

    /// Deletes a folder's content and the folder, depth first (inside the caller's transaction).
    fn delete_tree<'a>(
        &'a self,
        s: &'a mut Session,
        id: Uuid,
        path: StorePath,
    ) -> futures_util::future::BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let object = path.to_string();
            let children = self
                .catalog
                .subfolders(s.c(), id)
                .await
                .map_err(|e| self.fail(s, &object, e))?;
            for (child, name) in children {
                let child_path = match ItemName::new(&name) {
                    Ok(n) => path.join(&n),
                    Err(_) => path.clone(),
                };
                self.delete_tree(s, child, child_path).await?;
            }
            let rows = self
                .catalog
                .packages(s.c(), id)
                .await
                .map_err(|e| self.fail(s, &object, e))?;
            for row in rows {
                self.catalog
                    .delete(s.c(), id, &row.name)
                    .await
                    .map_err(|e| self.fail(s, &object, e))?;
            }
            self.catalog
                .delete_folder(s.c(), id)
                .await
                .map_err(|e| self.fail(s, &object, e))
        })
    }

    fn already_exists(what: &'static str, path: &StorePath, hint: &'static str) -> StoreError {
        StoreError::AlreadyExists {
            what,
            path: path.to_string(),
            hint,
        }
    }

    /// Maps a duplicate-key error to "already exists".
    fn fail_or_exists(
        &self,
        s: &mut Session,
        e: tiberius::error::Error,
        what: &'static str,
        path: &StorePath,
    ) -> StoreError {
        if e.code().is_some_and(|c| DUPLICATE_KEY.contains(&c)) {
            if s.in_transaction {
                s.pooled.broken();
            }
            return Self::already_exists(what, path, "");
        }
        self.fail(s, &path.to_string(), e)
    }
}

fn info_of(row: &PackageRow) -> PackageInfo {
    PackageInfo {
        name: row.name.clone(),
        size: row.size,
        modified: None,
        header: row.header(),
    }
}

#[async_trait]
impl PackageStore for MsdbStore {
    async fn check(&self) -> Result<(), StoreError> {
        let mut s = self.session().await?;
        match s.batch("SELECT 1").await {
            Ok(()) => Ok(()),
            Err(e) => {
                s.pooled.broken();
                self.pool.clear();
                Err(unavailable(self.server(), format!("connection lost: {e}")))
            }
        }
    }

    async fn list(&self, folder: &StorePath) -> Result<FolderListing, StoreError> {
        let mut s = self.session().await?;
        self.list_in(&mut s, folder).await
    }

    async fn create_folder(&self, folder: &StorePath) -> Result<(), StoreError> {
        let Some((parent, name)) = folder.split_last() else {
            return Err(StoreError::TopLevelFolder(String::new(), "created"));
        };
        let (folder, name) = (folder.clone(), name.clone());
        self.in_transaction(move |st, s| {
            Box::pin(async move {
                let parent_id = st.folder_id(s, &parent).await?;
                let exists = st
                    .catalog
                    .find_folder(s.c(), parent_id, name.as_str())
                    .await
                    .map_err(|e| st.fail(s, &folder.to_string(), e))?;
                if exists.is_some() {
                    return Err(Self::already_exists("folder", &folder, ""));
                }
                st.catalog
                    .add_folder(s.c(), parent_id, name.as_str())
                    .await
                    .map_err(|e| st.fail_or_exists(s, e, "folder", &folder))?;
                Ok(())
            })
        })
        .await
    }

    async fn delete_folder(&self, folder: &StorePath, recursive: bool) -> Result<(), StoreError> {
        if folder.is_root() {
            return Err(StoreError::TopLevelFolder(String::new(), "deleted"));
        }
        let folder = folder.clone();
        self.in_transaction(move |st, s| {
            Box::pin(async move {
                let id = st.folder_id(s, &folder).await?;
                if !recursive {
                    let listing = st.list_in(s, &folder).await?;
                    if !listing.folders.is_empty() || !listing.packages.is_empty() {
                        return Err(StoreError::FolderNotEmpty {
                            path: folder.to_string(),
                            content: format!(
                                "{} folder(s), {} package(s)",
                                listing.folders.len(),
                                listing.packages.len()
                            ),
                        });
                    }
                }
                st.delete_tree(s, id, folder.clone()).await
            })
        })
        .await
    }

    async fn rename_folder(
        &self,
        folder: &StorePath,
        new_name: &ItemName,
    ) -> Result<(), StoreError> {
        let Some((parent, _)) = folder.split_last() else {
            return Err(StoreError::TopLevelFolder(String::new(), "renamed"));
        };
        let (folder, new_name) = (folder.clone(), new_name.clone());
        self.in_transaction(move |st, s| {
            Box::pin(async move {
                let id = st.folder_id(s, &folder).await?;
                let parent_id = st.folder_id(s, &parent).await?;
                let target = parent.join(&new_name);
                let clash = st
                    .catalog
                    .find_folder(s.c(), parent_id, new_name.as_str())
                    .await
                    .map_err(|e| st.fail(s, &target.to_string(), e))?;
                if clash.is_some_and(|c| c != id) {
                    return Err(Self::already_exists("folder", &target, ""));
                }
                st.catalog
                    .rename_folder(s.c(), id, new_name.as_str())
                    .await
                    .map_err(|e| st.fail_or_exists(s, e, "folder", &target))
            })
        })
        .await
    }

    async fn put_package(
        &self,
        folder: &StorePath,
        name: &ItemName,
        bytes: Bytes,
        overwrite: bool,
    ) -> Result<(PackageInfo, bool), StoreError> {
        let header = read_package_header(&bytes)?.with_defaults();
        let size = bytes.len() as u64;
        let row = PackageRow::for_package(name.as_str(), &header, size);
        let stored_name = name.to_string();
        let (folder, name) = (folder.clone(), name.clone());
        let replaced = self
            .in_transaction(move |st, s| {
                Box::pin(async move {
                    let path = folder.join(&name);
                    let id = st.folder_id(s, &folder).await?;
                    // The existence check and the write share one transaction; two writers
                    // racing on one new name without overwrite can still both pass the check
                    // (the procedure then replaces), as with SSMS and dtutil on msdb.
                    let exists = st
                        .catalog
                        .exists(s.c(), id, name.as_str())
                        .await
                        .map_err(|e| st.fail(s, &path.to_string(), e))?;
                    if exists && !overwrite {
                        return Err(Self::already_exists(
                            "package",
                            &path,
                            "; add ?overwrite=true to replace it",
                        ));
                    }
                    st.catalog
                        .put(s.c(), id, &row, &bytes)
                        .await
                        .map_err(|e| st.fail_or_exists(s, e, "package", &path))?;
                    Ok(exists)
                })
            })
            .await?;
        Ok((
            PackageInfo {
                name: stored_name,
                size,
                modified: None,
                header,
            },
            replaced,
        ))
    }

    async fn get_package(&self, folder: &StorePath, name: &ItemName) -> Result<Bytes, StoreError> {
        let mut s = self.session().await?;
        let id = self.folder_id(&mut s, folder).await?;
        let path = folder.join(name);
        let data = self
            .catalog
            .get(s.c(), id, name.as_str())
            .await
            .map_err(|e| self.fail(&mut s, &path.to_string(), e))?;
        data.map(Bytes::from)
            .ok_or_else(|| StoreError::PackageNotFound(path.to_string()))
    }

    /// Read from the package table with the role SIDs resolved to database role names; a SID
    /// that resolves to no role reads as `db_ssisadmin` (see [`super::catalog::UNRESOLVED_ROLE`]).
    async fn package_roles(
        &self,
        folder: &StorePath,
        name: &ItemName,
    ) -> Result<PackageRoles, StoreError> {
        let mut s = self.session().await?;
        let id = self.folder_id(&mut s, folder).await?;
        let path = folder.join(name);
        self.catalog
            .roles(s.c(), id, name.as_str())
            .await
            .map_err(|e| self.fail(&mut s, &path.to_string(), e))?
            .ok_or_else(|| StoreError::PackageNotFound(path.to_string()))
    }

    async fn package_exists(
        &self,
        folder: &StorePath,
        name: &ItemName,
    ) -> Result<bool, StoreError> {
        let mut s = self.session().await?;
        let id = self.folder_id(&mut s, folder).await?;
        self.catalog
            .exists(s.c(), id, name.as_str())
            .await
            .map_err(|e| self.fail(&mut s, &folder.join(name).to_string(), e))
    }

    async fn delete_package(&self, folder: &StorePath, name: &ItemName) -> Result<(), StoreError> {
        let (folder, name) = (folder.clone(), name.clone());
        self.in_transaction(move |st, s| {
            Box::pin(async move {
                let path = folder.join(&name);
                let id = st.folder_id(s, &folder).await?;
                let exists = st
                    .catalog
                    .exists(s.c(), id, name.as_str())
                    .await
                    .map_err(|e| st.fail(s, &path.to_string(), e))?;
                if !exists {
                    return Err(StoreError::PackageNotFound(path.to_string()));
                }
                st.catalog
                    .delete(s.c(), id, name.as_str())
                    .await
                    .map_err(|e| st.fail(s, &path.to_string(), e))
            })
        })
        .await
    }

    async fn rename_package(
        &self,
        folder: &StorePath,
        name: &ItemName,
        new_name: &ItemName,
    ) -> Result<(), StoreError> {
        let (folder, name, new_name) = (folder.clone(), name.clone(), new_name.clone());
        self.in_transaction(move |st, s| {
            Box::pin(async move {
                let path = folder.join(&name);
                let target = folder.join(&new_name);
                let id = st.folder_id(s, &folder).await?;
                let row = st
                    .catalog
                    .package(s.c(), id, name.as_str())
                    .await
                    .map_err(|e| st.fail(s, &path.to_string(), e))?
                    .ok_or_else(|| StoreError::PackageNotFound(path.to_string()))?;
                if name.as_str() != new_name.as_str() {
                    let clash = st
                        .catalog
                        .exists(s.c(), id, new_name.as_str())
                        .await
                        .map_err(|e| st.fail(s, &target.to_string(), e))?;
                    if clash && !name.as_str().eq_ignore_ascii_case(new_name.as_str()) {
                        return Err(Self::already_exists("package", &target, ""));
                    }
                }
                let data = st
                    .catalog
                    .get(s.c(), id, name.as_str())
                    .await
                    .map_err(|e| st.fail(s, &path.to_string(), e))?
                    .ok_or_else(|| StoreError::PackageNotFound(path.to_string()))?;
                // Delete first: a case-only rename is the same key under a case-insensitive
                // collation.
                st.catalog
                    .delete(s.c(), id, name.as_str())
                    .await
                    .map_err(|e| st.fail(s, &path.to_string(), e))?;
                let renamed = PackageRow {
                    name: new_name.to_string(),
                    ..row
                };
                st.catalog
                    .put(s.c(), id, &renamed, &data)
                    .await
                    .map_err(|e| st.fail_or_exists(s, e, "package", &target))
            })
        })
        .await
    }
}
