//! The SQL Server 2008+ msdb schema through the `sp_ssis_*` procedures SSMS and dtutil call
//! (list, add, rename and delete folders; list, check, get, put and delete packages). Listings
//! read `sysssispackages` directly when the login may, to show the format, type and encryption
//! flag that `sp_ssis_listpackages` leaves out, and fall back to the procedure otherwise. A
//! package's roles are always read from `sysssispackages` and `sys.database_principals`, never
//! through `sp_ssis_getpackageroles`: the compatible schema has no such procedure, and its
//! answer cannot tell a missing package or a SID that no longer resolves from no role. This
//! module must not walk paths or manage transactions ([`super::store`] does).

use async_trait::async_trait;
use tiberius::Uuid;

use super::catalog::{
    package_bytes, package_row, table_package, table_packages, table_roles, text, Catalog,
    PackageRow, SqlResult,
};
use super::pool::Connection;
use crate::package_store::PackageRoles;

/// The 2008+ schema.
pub struct ProcedureCatalog;

/// Errors that mean "you may not read the table" (so the procedure is used instead).
fn is_permission_error(e: &tiberius::error::Error) -> bool {
    matches!(e.code(), Some(229 | 230))
}

#[async_trait]
impl Catalog for ProcedureCatalog {
    fn label(&self) -> &'static str {
        "sp_ssis_* procedures"
    }

    async fn find_folder(
        &self,
        c: &mut Connection,
        parent: Uuid,
        name: &str,
    ) -> SqlResult<Option<Uuid>> {
        let row = c
            .query(
                "EXEC dbo.sp_ssis_getfolder @name = @P1, @parentfolderid = @P2",
                &[&name, &parent],
            )
            .await?
            .into_row()
            .await?;
        Ok(row.and_then(|r| r.get::<Uuid, _>(0)))
    }

    async fn subfolders(&self, c: &mut Connection, parent: Uuid) -> SqlResult<Vec<(Uuid, String)>> {
        let rows = c
            .query(
                "EXEC dbo.sp_ssis_listfolders @parentfolderid = @P1",
                &[&parent],
            )
            .await?
            .into_first_result()
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| Some((r.get::<Uuid, _>(0)?, text(r, 2)?)))
            // The root lists itself when its parent is NULL and asked for NULL; never here.
            .filter(|(id, _)| *id != parent)
            .collect())
    }

    async fn add_folder(&self, c: &mut Connection, parent: Uuid, name: &str) -> SqlResult<Uuid> {
        let id = Uuid::new_v4();
        c.execute(
            "EXEC dbo.sp_ssis_addfolder @parentfolderid = @P1, @name = @P2, @folderid = @P3",
            &[&parent, &name, &id],
        )
        .await?;
        Ok(id)
    }

    async fn rename_folder(&self, c: &mut Connection, id: Uuid, name: &str) -> SqlResult<()> {
        c.execute(
            "EXEC dbo.sp_ssis_renamefolder @folderid = @P1, @name = @P2",
            &[&id, &name],
        )
        .await?;
        Ok(())
    }

    async fn delete_folder(&self, c: &mut Connection, id: Uuid) -> SqlResult<()> {
        c.execute("EXEC dbo.sp_ssis_deletefolder @folderid = @P1", &[&id])
            .await?;
        Ok(())
    }

    async fn packages(&self, c: &mut Connection, folder: Uuid) -> SqlResult<Vec<PackageRow>> {
        match table_packages(c, "sysssispackages", folder).await {
            Ok(rows) => Ok(rows),
            Err(e) if is_permission_error(&e) => {
                let rows = c
                    .query("EXEC dbo.sp_ssis_listpackages @folderid = @P1", &[&folder])
                    .await?
                    .into_first_result()
                    .await?;
                Ok(rows.iter().map(|r| package_row(r, false)).collect())
            }
            Err(e) => Err(e),
        }
    }

    async fn package(
        &self,
        c: &mut Connection,
        folder: Uuid,
        name: &str,
    ) -> SqlResult<Option<PackageRow>> {
        match table_package(c, "sysssispackages", folder, name).await {
            Ok(row) => Ok(row),
            Err(e) if is_permission_error(&e) => Ok(self
                .packages(c, folder)
                .await?
                .into_iter()
                .find(|p| p.name == name)),
            Err(e) => Err(e),
        }
    }

    async fn exists(&self, c: &mut Connection, folder: Uuid, name: &str) -> SqlResult<bool> {
        let row = c
            .query(
                "EXEC dbo.sp_ssis_checkexists @name = @P1, @folderid = @P2",
                &[&name, &folder],
            )
            .await?
            .into_row()
            .await?;
        Ok(row.is_some())
    }

    async fn get(
        &self,
        c: &mut Connection,
        folder: Uuid,
        name: &str,
    ) -> SqlResult<Option<Vec<u8>>> {
        let row = c
            .query(
                "EXEC dbo.sp_ssis_getpackage @name = @P1, @folderid = @P2",
                &[&name, &folder],
            )
            .await?
            .into_row()
            .await?;
        Ok(package_bytes(row))
    }

    async fn put(
        &self,
        c: &mut Connection,
        folder: Uuid,
        row: &PackageRow,
        data: &[u8],
    ) -> SqlResult<()> {
        let description = row.description.clone();
        let comments = row.vercomments.clone();
        c.execute(
            "EXEC dbo.sp_ssis_putpackage @name = @P1, @id = @P2, @description = @P3, \
             @createdate = @P4, @folderid = @P5, @packagedata = @P6, @packageformat = @P7, \
             @packagetype = @P8, @vermajor = @P9, @verminor = @P10, @verbuild = @P11, \
             @vercomments = @P12, @verid = @P13",
            &[
                &row.name.as_str(),
                &row.id,
                &description,
                &row.createdate,
                &folder,
                &data,
                &row.packageformat.unwrap_or(3),
                &row.packagetype.unwrap_or(0),
                &row.vermajor,
                &row.verminor,
                &row.verbuild,
                &comments,
                &row.verid,
            ],
        )
        .await?;
        Ok(())
    }

    async fn delete(&self, c: &mut Connection, folder: Uuid, name: &str) -> SqlResult<()> {
        c.execute(
            "EXEC dbo.sp_ssis_deletepackage @name = @P1, @folderid = @P2",
            &[&name, &folder],
        )
        .await?;
        Ok(())
    }

    /// A login that may not read `sysssispackages` gets the server's permission error: no
    /// fallback, since `sp_ssis_getpackageroles` reports a SID that no longer resolves as no
    /// role. A role the login cannot see in `sys.database_principals` reads as `db_ssisadmin`.
    async fn roles(
        &self,
        c: &mut Connection,
        folder: Uuid,
        name: &str,
    ) -> SqlResult<Option<PackageRoles>> {
        table_roles(c, "sysssispackages", folder, name).await
    }
}
