//! The primitive operations an msdb package schema offers — folders by id, packages by folder
//! id and name, a package's reader and writer roles — as one trait, [`Catalog`], that the 2008+
//! procedure store and the 2005 table store implement; the package metadata row both return and
//! the table reads (listing, roles) both make;
//! and msdb's rule for a role SID that no longer resolves. Path walking, transactions and the
//! [`crate::PackageStore`] contract live in [`super::store`]; this module must not know about
//! paths or pools.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use tiberius::{Row, Uuid};

use super::pool::Connection;
use crate::package_header::{PackageHeader, ProtectionLevel};
use crate::package_store::PackageRoles;

/// Driver results.
pub type SqlResult<T> = Result<T, tiberius::error::Error>;

/// The top of every msdb folder tree.
pub const ROOT_FOLDER_ID: Uuid = Uuid::nil();
/// The well-known "Maintenance Plans" folder.
pub const MAINTENANCE_PLANS_FOLDER_ID: Uuid =
    Uuid::from_u128(0x08aa12d5_8f98_4dab_a4fc_980b150a5dc8);

/// The role a package's reader or writer role SID stands for when no database role has that
/// SID any more (the role was dropped, or the database was restored elsewhere): msdb's
/// `sp_ssis_getpackage`, `sp_ssis_putpackage` and `sp_ssis_deletepackage` then require
/// `db_ssisadmin`, so the store reports that name rather than "no role", which would loosen
/// access.
pub const UNRESOLVED_ROLE: &str = "db_ssisadmin";

/// One role column as a name: `None` when no SID is set; the database role's name when the SID
/// resolves to one (`resolved`); [`UNRESOLVED_ROLE`] when a SID is set but resolves to no
/// database role (only principals of type `R` count, as in msdb's procedures).
pub fn role_name(sid_set: bool, resolved: Option<&str>) -> Option<String> {
    sid_set.then(|| resolved.unwrap_or(UNRESOLVED_ROLE).to_string())
}

/// One package's row, without its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageRow {
    pub name: String,
    pub id: Uuid,
    pub description: Option<String>,
    pub createdate: NaiveDateTime,
    pub size: u64,
    pub vermajor: i32,
    pub verminor: i32,
    pub verbuild: i32,
    pub vercomments: Option<String>,
    pub verid: Uuid,
    /// `None` when the listing came from `sp_ssis_listpackages`, which does not return it.
    pub packageformat: Option<i32>,
    pub packagetype: Option<i32>,
    pub isencrypted: Option<bool>,
}

fn guid(text: Option<&str>) -> Option<Uuid> {
    text.and_then(|t| Uuid::parse_str(t.trim().trim_start_matches('{').trim_end_matches('}')).ok())
}

fn creation_date(text: Option<&str>) -> Option<NaiveDateTime> {
    let t = text?.trim();
    [
        "%m/%d/%Y %I:%M:%S %p",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
}

fn clip(text: Option<String>, chars: usize) -> Option<String> {
    text.map(|t| t.chars().take(chars).collect())
}

impl PackageRow {
    /// The row SSIS would write for these package bytes, stored as `name`.
    pub fn for_package(name: &str, header: &PackageHeader, size: u64) -> PackageRow {
        let encrypted = header.encrypted
            || matches!(
                header.protection_level,
                Some(
                    ProtectionLevel::EncryptAllWithPassword
                        | ProtectionLevel::EncryptAllWithUserKey
                )
            );
        PackageRow {
            name: name.to_string(),
            id: guid(header.id.as_deref()).unwrap_or_else(Uuid::new_v4),
            description: clip(header.description.clone(), 1024),
            createdate: creation_date(header.creation_date.as_deref())
                .unwrap_or_else(|| chrono::Utc::now().naive_utc()),
            size,
            vermajor: header.version_major.unwrap_or(1) as i32,
            verminor: header.version_minor.unwrap_or(0) as i32,
            verbuild: header.version_build.unwrap_or(0) as i32,
            vercomments: clip(header.version_comments.clone(), 1024),
            verid: guid(header.version_guid.as_deref()).unwrap_or_else(Uuid::new_v4),
            // msdb: 2 = the 2005 format, 3 = 2008 and later.
            packageformat: Some(match header.format_version {
                Some(v) if v <= 2 => 2,
                _ => 3,
            }),
            packagetype: Some(header.package_type.unwrap_or(0) as i32),
            isencrypted: Some(encrypted),
        }
    }

    /// What a listing shows of the row.
    pub fn header(&self) -> PackageHeader {
        PackageHeader {
            id: Some(format!("{{{}}}", self.id.to_string().to_uppercase())),
            description: self.description.clone().filter(|d| !d.is_empty()),
            creation_date: Some(self.createdate.and_utc().to_rfc3339()),
            version_major: Some(self.vermajor.into()),
            version_minor: Some(self.verminor.into()),
            version_build: Some(self.verbuild.into()),
            version_guid: Some(format!("{{{}}}", self.verid.to_string().to_uppercase())),
            version_comments: self.vercomments.clone().filter(|c| !c.is_empty()),
            format_version: self.packageformat.map(i64::from),
            package_type: self.packagetype.map(i64::from),
            encrypted: self.isencrypted.unwrap_or(false),
            ..PackageHeader::default()
        }
    }
}

pub(crate) fn text(r: &Row, i: usize) -> Option<String> {
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
fn listing_sql(table: &str, one: bool) -> String {
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
fn roles_sql(table: &str) -> String {
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
fn package_roles(r: &Row) -> PackageRoles {
    PackageRoles {
        reader: role_name(r.get::<bool, _>(0).unwrap_or(false), r.get::<&str, _>(1)),
        writer: role_name(r.get::<bool, _>(2).unwrap_or(false), r.get::<&str, _>(3)),
    }
}

/// The bytes column of a package row (empty when NULL).
pub(crate) fn package_bytes(row: Option<Row>) -> Option<Vec<u8>> {
    row.map(|r| r.get::<&[u8], _>(0).unwrap_or_default().to_vec())
}

/// A folder's packages read straight from a package table (`table` is a fixed name).
pub(crate) async fn table_packages(
    c: &mut Connection,
    table: &str,
    folder: Uuid,
) -> SqlResult<Vec<PackageRow>> {
    let rows = c
        .query(listing_sql(table, false), &[&folder])
        .await?
        .into_first_result()
        .await?;
    Ok(rows.iter().map(|r| package_row(r, true)).collect())
}

/// One package's row read straight from a package table (`table` is a fixed name).
pub(crate) async fn table_package(
    c: &mut Connection,
    table: &str,
    folder: Uuid,
    name: &str,
) -> SqlResult<Option<PackageRow>> {
    let row = c
        .query(listing_sql(table, true), &[&folder, &name])
        .await?
        .into_row()
        .await?;
    Ok(row.map(|r| package_row(&r, true)))
}

/// One package's roles read from a package table (`table` is a fixed name); `None` when there
/// is no such package.
pub(crate) async fn table_roles(
    c: &mut Connection,
    table: &str,
    folder: Uuid,
    name: &str,
) -> SqlResult<Option<PackageRoles>> {
    let row = c
        .query(roles_sql(table), &[&folder, &name])
        .await?
        .into_row()
        .await?;
    Ok(row.map(|r| package_roles(&r)))
}

/// One schema's primitive operations. Every method runs on the connection it is given (inside
/// the caller's transaction when there is one).
#[async_trait]
pub trait Catalog: Send + Sync + 'static {
    /// For messages: which schema this is.
    fn label(&self) -> &'static str;

    /// The subfolder `name` of `parent`, if any.
    async fn find_folder(
        &self,
        c: &mut Connection,
        parent: Uuid,
        name: &str,
    ) -> SqlResult<Option<Uuid>>;
    /// Subfolders of `parent` as (id, name), sorted by name.
    async fn subfolders(&self, c: &mut Connection, parent: Uuid) -> SqlResult<Vec<(Uuid, String)>>;
    async fn add_folder(&self, c: &mut Connection, parent: Uuid, name: &str) -> SqlResult<Uuid>;
    async fn rename_folder(&self, c: &mut Connection, id: Uuid, name: &str) -> SqlResult<()>;
    /// Deletes an empty folder.
    async fn delete_folder(&self, c: &mut Connection, id: Uuid) -> SqlResult<()>;

    /// The packages of a folder, sorted by name, without their bytes.
    async fn packages(&self, c: &mut Connection, folder: Uuid) -> SqlResult<Vec<PackageRow>>;
    /// One package's row.
    async fn package(
        &self,
        c: &mut Connection,
        folder: Uuid,
        name: &str,
    ) -> SqlResult<Option<PackageRow>>;
    async fn exists(&self, c: &mut Connection, folder: Uuid, name: &str) -> SqlResult<bool>;
    async fn get(&self, c: &mut Connection, folder: Uuid, name: &str)
        -> SqlResult<Option<Vec<u8>>>;
    /// Inserts or replaces the package `row.name` in `folder`.
    async fn put(
        &self,
        c: &mut Connection,
        folder: Uuid,
        row: &PackageRow,
        data: &[u8],
    ) -> SqlResult<()>;
    async fn delete(&self, c: &mut Connection, folder: Uuid, name: &str) -> SqlResult<()>;
    /// The package's reader and writer roles as names (see [`role_name`]); `None` when there is
    /// no such package.
    async fn roles(
        &self,
        c: &mut Connection,
        folder: Uuid,
        name: &str,
    ) -> SqlResult<Option<PackageRoles>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_sids_become_names_and_unresolved_ones_db_ssisadmin() {
        assert_eq!(role_name(false, None), None);
        assert_eq!(
            role_name(true, Some("PackageReaders")).as_deref(),
            Some("PackageReaders")
        );
        assert_eq!(role_name(true, None).as_deref(), Some("db_ssisadmin"));
        // A name without a SID cannot happen; the SID decides.
        assert_eq!(role_name(false, Some("x")), None);
    }

    #[test]
    fn rows_are_built_from_headers_and_shown_back() {
        let h = PackageHeader {
            id: Some("{8A6F0C4E-1B2D-4E5F-9A0B-1C2D3E4F5A6B}".into()),
            creation_date: Some("3/22/2012 12:08:25 PM".into()),
            version_major: Some(2),
            version_build: Some(7),
            format_version: Some(8),
            protection_level: Some(ProtectionLevel::EncryptAllWithPassword),
            description: Some("d".repeat(2000)),
            ..PackageHeader::default()
        };
        let row = PackageRow::for_package("Load", &h, 10);
        assert_eq!(row.id.to_string(), "8a6f0c4e-1b2d-4e5f-9a0b-1c2d3e4f5a6b");
        assert_eq!(row.createdate.to_string(), "2012-03-22 12:08:25");
        assert_eq!((row.vermajor, row.verminor, row.verbuild), (2, 0, 7));
        assert_eq!(row.packageformat, Some(3));
        assert_eq!(row.isencrypted, Some(true));
        assert_eq!(row.description.as_ref().unwrap().chars().count(), 1024);
        let shown = row.header();
        assert_eq!(shown.id, h.id);
        assert_eq!(shown.format_version, Some(3));
        assert!(shown.encrypted);
        assert!(shown
            .creation_date
            .unwrap()
            .starts_with("2012-03-22T12:08:25"));

        let old = PackageHeader {
            format_version: Some(2),
            ..PackageHeader::default()
        };
        let row = PackageRow::for_package("Old", &old, 1);
        assert_eq!(row.packageformat, Some(2));
        assert_eq!(row.isencrypted, Some(false));
        assert_eq!(
            MAINTENANCE_PLANS_FOLDER_ID.to_string(),
            "08aa12d5-8f98-4dab-a4fc-980b150a5dc8"
        );
    }

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
