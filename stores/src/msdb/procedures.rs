//! The SQL Server 2008+ msdb schema through the `sp_ssis_*` procedures SSMS and dtutil call
//! (list, add, rename and delete folders; list, check, get, put and delete packages). Listings
//! read `sysssispackages` directly when the login may, to show the format, type and encryption
//! flag that `sp_ssis_listpackages` leaves out, and fall back to the procedure otherwise. A
//! package's roles are always read from `sysssispackages` and `sys.database_principals`, never
//! through `sp_ssis_getpackageroles`: the compatible schema has no such procedure, and its
//! answer cannot tell a missing package or a SID that no longer resolves from no role. This
//! module must not walk paths or manage transactions ([`super::store`] does).

use async_trait::async_trait;
use chrono::NaiveDateTime;
use tiberius::{Row, Uuid};

use super::catalog::{role_name, Catalog, PackageRow, SqlResult};
use super::pool::Connection;
use crate::package_store::PackageRoles;

/// The 2008+ schema.
pub struct ProcedureCatalog;

/// Errors that mean "you may not read the table" (so the procedure is used instead).
fn is_permission_error(e: &tiberius::error::Error) -> bool {
    matches!(e.code(), Some(229 | 230))
}

fn text(r: &Row, i: usize) -> Option<String> {
    r.get::<&str, _>(i).map(str::to_string)
}

fn int(r: &Row, i: usize) -> i32 {
    r.get::<i32, _>(i).unwrap_or(0)
}

/// Reads a listing row: the columns of `sp_ssis_listpackages` (name, id, description,
/// createdate, folderid, size, vermajor, verminor, verbuild, vercomments, verid), then
/// optionally packageformat, packagetype, isencrypted.
pub(crate) fn package_row(r: &Row, extended: bool) -> PackageRow {
    let size = r
        .try_get::<i32, _>(5)
        .ok()
        .flatten()
        .map(|n| n as i64)
        .or_else(|| r.try_get::<i64, _>(5).ok().flatten())
        .unwrap_or(0);
    PackageRow {
        name: text(r, 0).unwrap_or_default(),
        id: r.get::<Uuid, _>(1).unwrap_or_default(),
        description: text(r, 2),
        createdate: r.get::<NaiveDateTime, _>(3).unwrap_or_default(),
        size: size.max(0) as u64,
        vermajor: int(r, 6),
        verminor: int(r, 7),
        verbuild: int(r, 8),
        vercomments: text(r, 9),
        verid: r.get::<Uuid, _>(10).unwrap_or_default(),
        packageformat: extended.then(|| int(r, 11)),
        packagetype: extended.then(|| int(r, 12)),
        isencrypted: if extended { r.get::<bool, _>(13) } else { None },
    }
}

/// The listing columns read from a package table (`table` is a fixed name, never user input).
pub(crate) fn listing_sql(table: &str, one: bool) -> String {
    format!(
        "SELECT name, id, description, createdate, folderid, CAST(DATALENGTH(packagedata) AS bigint), \
         vermajor, verminor, verbuild, vercomments, verid, packageformat, packagetype, isencrypted \
         FROM dbo.{table} WHERE folderid = @P1{} ORDER BY name",
        if one { " AND name = @P2" } else { "" }
    )
}

/// One package's role columns from a package table (`table` is a fixed name, never user
/// input): whether each SID is set, and the name of the database role (type `R`) that has it.
/// Parameters: `@P1` folder id, `@P2` package name. No row when there is no such package.
pub(crate) fn roles_sql(table: &str) -> String {
    let column = |sid: &str| {
        format!(
            "CAST(CASE WHEN p.{sid} IS NULL THEN 0 ELSE 1 END AS bit), \
             (SELECT TOP (1) r.name FROM sys.database_principals AS r \
             WHERE r.type = 'R' AND r.sid = p.{sid})"
        )
    };
    format!(
        "SELECT {}, {} FROM dbo.{table} AS p WHERE p.folderid = @P1 AND p.name = @P2",
        column("readrolesid"),
        column("writerolesid")
    )
}

/// Reads a row of [`roles_sql`].
pub(crate) fn package_roles(r: &Row) -> PackageRoles {
    PackageRoles {
        reader: role_name(r.get::<bool, _>(0).unwrap_or(false), r.get::<&str, _>(1)),
        writer: role_name(r.get::<bool, _>(2).unwrap_or(false), r.get::<&str, _>(3)),
    }
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
        let direct = match c
            .query(listing_sql("sysssispackages", false), &[&folder])
            .await
        {
            Ok(stream) => stream.into_first_result().await,
            Err(e) => Err(e),
        };
        match direct {
            Ok(rows) => Ok(rows.iter().map(|r| package_row(r, true)).collect()),
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
        let direct = match c
            .query(listing_sql("sysssispackages", true), &[&folder, &name])
            .await
        {
            Ok(stream) => stream.into_row().await,
            Err(e) => Err(e),
        };
        match direct {
            Ok(row) => Ok(row.map(|r| package_row(&r, true))),
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
        Ok(row.map(|r| r.get::<&[u8], _>(0).unwrap_or_default().to_vec()))
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
        let row = c
            .query(roles_sql("sysssispackages"), &[&folder, &name])
            .await?
            .into_row()
            .await?;
        Ok(row.map(|r| package_roles(&r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_read_from_the_table_and_resolved_to_role_names() {
        let sql = roles_sql("sysssispackages");
        assert!(
            sql.contains("FROM dbo.sysssispackages AS p WHERE p.folderid = @P1 AND p.name = @P2")
        );
        for sid in ["readrolesid", "writerolesid"] {
            assert!(sql.contains(&format!("WHEN p.{sid} IS NULL")), "{sql}");
            assert!(
                sql.contains(&format!("WHERE r.type = 'R' AND r.sid = p.{sid})")),
                "{sql}"
            );
        }
        // Read before write, each as (SID set, name): the order package_roles reads.
        assert!(sql.find("readrolesid").unwrap() < sql.find("writerolesid").unwrap());
        assert_eq!(sql.matches("sys.database_principals").count(), 2);
        assert!(!sql.contains("sp_ssis_getpackageroles"));
    }
}
