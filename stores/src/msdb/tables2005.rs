//! The SQL Server 2005 msdb schema (`sysdtspackagefolders90`, `sysdtspackages90`), worked on
//! through the tables themselves: the 2005 procedures' names and contracts are not verified, so
//! none is called. Statements mirror what the 2008 procedures do (same keys, an upsert for
//! put, the owner's SID on insert, role SIDs resolved through `sys.database_principals`). This
//! module must not walk paths or manage transactions.

use async_trait::async_trait;
use tiberius::Uuid;

use super::catalog::{
    package_bytes, table_package, table_packages, table_roles, Catalog, PackageRow, SqlResult,
};
use super::pool::Connection;
use crate::package_store::PackageRoles;

/// The 2005 schema.
pub struct TableCatalog2005;

const FOLDERS: &str = "dbo.sysdtspackagefolders90";
const PACKAGES: &str = "dbo.sysdtspackages90";

#[async_trait]
impl Catalog for TableCatalog2005 {
    fn label(&self) -> &'static str {
        "sysdtspackages90 tables (SQL Server 2005)"
    }

    async fn find_folder(
        &self,
        c: &mut Connection,
        parent: Uuid,
        name: &str,
    ) -> SqlResult<Option<Uuid>> {
        let row = c
            .query(
                format!("SELECT folderid FROM {FOLDERS} WHERE parentfolderid = @P1 AND foldername = @P2"),
                &[&parent, &name],
            )
            .await?
            .into_row()
            .await?;
        Ok(row.and_then(|r| r.get::<Uuid, _>(0)))
    }

    async fn subfolders(&self, c: &mut Connection, parent: Uuid) -> SqlResult<Vec<(Uuid, String)>> {
        let rows = c
            .query(
                format!("SELECT folderid, foldername FROM {FOLDERS} WHERE parentfolderid = @P1 AND folderid <> @P1 ORDER BY foldername"),
                &[&parent],
            )
            .await?
            .into_first_result()
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| Some((r.get::<Uuid, _>(0)?, r.get::<&str, _>(1)?.to_string())))
            .collect())
    }

    async fn add_folder(&self, c: &mut Connection, parent: Uuid, name: &str) -> SqlResult<Uuid> {
        let id = Uuid::new_v4();
        c.execute(
            format!("INSERT INTO {FOLDERS} (folderid, parentfolderid, foldername) VALUES (@P1, @P2, @P3)"),
            &[&id, &parent, &name],
        )
        .await?;
        Ok(id)
    }

    async fn rename_folder(&self, c: &mut Connection, id: Uuid, name: &str) -> SqlResult<()> {
        c.execute(
            format!("UPDATE {FOLDERS} SET foldername = @P2 WHERE folderid = @P1"),
            &[&id, &name],
        )
        .await?;
        Ok(())
    }

    async fn delete_folder(&self, c: &mut Connection, id: Uuid) -> SqlResult<()> {
        c.execute(
            format!("DELETE FROM {FOLDERS} WHERE folderid = @P1 AND folderid <> '00000000-0000-0000-0000-000000000000'"),
            &[&id],
        )
        .await?;
        Ok(())
    }

    async fn packages(&self, c: &mut Connection, folder: Uuid) -> SqlResult<Vec<PackageRow>> {
        table_packages(c, "sysdtspackages90", folder).await
    }

    async fn package(
        &self,
        c: &mut Connection,
        folder: Uuid,
        name: &str,
    ) -> SqlResult<Option<PackageRow>> {
        table_package(c, "sysdtspackages90", folder, name).await
    }

    async fn exists(&self, c: &mut Connection, folder: Uuid, name: &str) -> SqlResult<bool> {
        let row = c
            .query(
                format!("SELECT 1 FROM {PACKAGES} WHERE folderid = @P1 AND name = @P2"),
                &[&folder, &name],
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
                format!("SELECT packagedata FROM {PACKAGES} WHERE folderid = @P1 AND name = @P2"),
                &[&folder, &name],
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
        let sql = format!(
            "IF EXISTS (SELECT 1 FROM {PACKAGES} WITH (UPDLOCK, HOLDLOCK) WHERE folderid = @P5 AND name = @P1) \
               UPDATE {PACKAGES} SET id = @P2, description = @P3, createdate = @P4, packagedata = @P6, \
                 packageformat = @P7, packagetype = @P8, vermajor = @P9, verminor = @P10, verbuild = @P11, \
                 vercomments = @P12, verid = @P13, isencrypted = @P14 \
               WHERE folderid = @P5 AND name = @P1 \
             ELSE \
               INSERT INTO {PACKAGES} (name, id, description, createdate, folderid, ownersid, packagedata, \
                 packageformat, packagetype, vermajor, verminor, verbuild, vercomments, verid, isencrypted) \
               VALUES (@P1, @P2, @P3, @P4, @P5, ISNULL(SUSER_SID(), 0x00), @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14)"
        );
        c.execute(
            sql,
            &[
                &row.name.as_str(),
                &row.id,
                &description,
                &row.createdate,
                &folder,
                &data,
                &row.packageformat.unwrap_or(2),
                &row.packagetype.unwrap_or(0),
                &row.vermajor,
                &row.verminor,
                &row.verbuild,
                &comments,
                &row.verid,
                &row.isencrypted.unwrap_or(false),
            ],
        )
        .await?;
        Ok(())
    }

    async fn delete(&self, c: &mut Connection, folder: Uuid, name: &str) -> SqlResult<()> {
        c.execute(
            format!("DELETE FROM {PACKAGES} WHERE folderid = @P1 AND name = @P2"),
            &[&folder, &name],
        )
        .await?;
        Ok(())
    }

    async fn roles(
        &self,
        c: &mut Connection,
        folder: Uuid,
        name: &str,
    ) -> SqlResult<Option<PackageRoles>> {
        table_roles(c, "sysdtspackages90", folder, name).await
    }
}
