//! Which package schema a database has: the 2008+ one (`sysssispackages`,
//! `sysssispackagefolders` and the `sp_ssis_*` procedures), the 2005 one (`sysdtspackages90`,
//! `sysdtspackagefolders90`, worked on through the tables because the 2005 procedures' names
//! are not verified), or none. It also installs the shipped compatible schema
//! (`stores/sql/msdb_compat.sql`) when asked. It must not read or write packages.

use super::error::{sql_error, unavailable};
use super::pool::Connection;
use crate::error::StoreError;

/// The compatible 2008+ schema: tables and `sp_ssis_*` procedures of the same contracts.
pub const COMPAT_SCRIPT: &str = include_str!("../../sql/msdb_compat.sql");
/// The 2005 package tables, for tests of the table-based store on a modern server.
pub const TABLES_2005_SCRIPT: &str = include_str!("../../sql/msdb2005_tables.sql");

/// The procedures the 2008+ store calls.
pub const PROCEDURES: &[&str] = &[
    "sp_ssis_addfolder",
    "sp_ssis_deletefolder",
    "sp_ssis_renamefolder",
    "sp_ssis_getfolder",
    "sp_ssis_listfolders",
    "sp_ssis_listpackages",
    "sp_ssis_checkexists",
    "sp_ssis_getpackage",
    "sp_ssis_putpackage",
    "sp_ssis_deletepackage",
];

/// What a database holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schema {
    /// SQL Server 2008 and later (or the compatible schema).
    Ssis2008,
    /// SQL Server 2005: the `…90` tables. `procedures` lists the `sp_dts_*` procedures the
    /// catalog shows, for information.
    Dts2005 { procedures: Vec<String> },
    /// Neither; `missing` names what a 2008+ store would need.
    Missing { missing: Vec<String> },
}

impl Schema {
    pub fn label(&self) -> &'static str {
        match self {
            Schema::Ssis2008 => "SQL Server 2008+ msdb (sp_ssis_* procedures)",
            Schema::Dts2005 { .. } => "SQL Server 2005 msdb (sysdtspackages90 tables)",
            Schema::Missing { .. } => "no SSIS package store",
        }
    }
}

/// Looks at the catalog of the connection's database.
pub async fn detect(conn: &mut Connection, server: &str) -> Result<Schema, StoreError> {
    let list = PROCEDURES
        .iter()
        .map(|p| format!("N'{p}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT o.name, o.type FROM sys.objects AS o \
         WHERE o.schema_id = SCHEMA_ID(N'dbo') AND ( \
           (o.type = 'P' AND (o.name IN ({list}) OR o.name LIKE N'sp[_]dts[_]%')) \
           OR (o.type IN ('U', 'V') AND o.name IN (N'sysssispackages', N'sysssispackagefolders', N'sysdtspackages90', N'sysdtspackagefolders90')))"
    );
    let rows = conn
        .simple_query(sql)
        .await
        .map_err(|e| sql_error(server, "the catalog", e))?
        .into_first_result()
        .await
        .map_err(|e| sql_error(server, "the catalog", e))?;
    let mut found: Vec<(String, String)> = Vec::new();
    for r in rows {
        let name: Option<&str> = r.get(0);
        let kind: Option<&str> = r.get(1);
        found.push((
            name.unwrap_or("").to_string(),
            kind.unwrap_or("").trim().to_string(),
        ));
    }
    Ok(classify(&found))
}

/// Decides from (object name, object type) pairs of the catalog.
pub fn classify(found: &[(String, String)]) -> Schema {
    let has = |name: &str, kinds: &[&str]| {
        found
            .iter()
            .any(|(n, k)| n.eq_ignore_ascii_case(name) && kinds.contains(&k.as_str()))
    };
    let mut missing: Vec<String> = PROCEDURES
        .iter()
        .filter(|p| !has(p, &["P"]))
        .map(|p| p.to_string())
        .collect();
    for t in ["sysssispackages", "sysssispackagefolders"] {
        if !has(t, &["U"]) {
            missing.push(t.to_string());
        }
    }
    if missing.is_empty() {
        return Schema::Ssis2008;
    }
    // In 2008+ msdb the …90 names are views over the new tables; only real tables mean 2005.
    if has("sysdtspackages90", &["U"]) && has("sysdtspackagefolders90", &["U"]) {
        let mut procedures: Vec<String> = found
            .iter()
            .filter(|(n, k)| k == "P" && n.to_ascii_lowercase().starts_with("sp_dts_"))
            .map(|(n, _)| n.clone())
            .collect();
        procedures.sort();
        return Schema::Dts2005 { procedures };
    }
    Schema::Missing { missing }
}

/// Runs a script of `GO`-separated batches.
pub async fn run_script(
    conn: &mut Connection,
    server: &str,
    script: &str,
) -> Result<(), StoreError> {
    for batch in split_batches(script) {
        conn.simple_query(batch)
            .await
            .map_err(|e| sql_error(server, "the schema script", e))?
            .into_results()
            .await
            .map_err(|e| sql_error(server, "the schema script", e))?;
    }
    Ok(())
}

/// Splits a script on lines that hold only `GO` (any case).
pub fn split_batches(script: &str) -> Vec<String> {
    let mut batches = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        if line.trim().eq_ignore_ascii_case("go") {
            if !current.trim().is_empty() {
                batches.push(std::mem::take(&mut current));
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    if !current.trim().is_empty() {
        batches.push(current);
    }
    batches
}

/// Detects the schema; installs the compatible one first when there is none and `install`.
pub async fn detect_or_install(
    conn: &mut Connection,
    server: &str,
    database: &str,
    install: bool,
) -> Result<Schema, StoreError> {
    match detect(conn, server).await? {
        Schema::Missing { missing } if install => {
            tracing::info!(server, database, "installing the compatible SSIS package schema ({} objects missing)", missing.len());
            run_script(conn, server, COMPAT_SCRIPT).await?;
            match detect(conn, server).await? {
                Schema::Missing { missing } => Err(unavailable(
                    server,
                    format!("database {database}: the compatible schema was installed but {} still missing", missing.join(", ")),
                )),
                other => Ok(other),
            }
        }
        Schema::Missing { missing } => Err(unavailable(
            server,
            format!(
                "database {database} is not an msdb with an SSIS package store (missing: {}); this happens on Azure SQL Database or another TDS server. Point `database` at msdb, or set install_compat_schema = true to install a compatible schema into {database}",
                missing.join(", ")
            ),
        )),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn classifies_2008_2005_and_nothing() {
        let mut modern: Vec<(&str, &str)> = PROCEDURES.iter().map(|p| (*p, "P")).collect();
        modern.push(("sysssispackages", "U"));
        modern.push(("sysssispackagefolders", "U"));
        modern.push(("sysdtspackages90", "V"));
        modern.push(("sysdtspackagefolders90", "V"));
        assert_eq!(classify(&objs(&modern)), Schema::Ssis2008);

        let old = objs(&[
            ("sysdtspackages90", "U"),
            ("sysdtspackagefolders90", "U"),
            ("sp_dts_listfolders", "P"),
        ]);
        assert_eq!(
            classify(&old),
            Schema::Dts2005 {
                procedures: vec!["sp_dts_listfolders".into()]
            }
        );

        let Schema::Missing { missing } = classify(&objs(&[("sp_ssis_getpackage", "P")])) else {
            panic!()
        };
        assert!(missing.contains(&"sp_ssis_putpackage".to_string()));
        assert!(missing.contains(&"sysssispackages".to_string()));
        assert!(!missing.contains(&"sp_ssis_getpackage".to_string()));
    }

    #[test]
    fn the_scripts_split_into_batches() {
        let b = split_batches("a\nGO\n\ngo\nb\n  Go  \nc");
        assert_eq!(b, vec!["a\n", "b\n", "c\n"]);
        let compat = split_batches(COMPAT_SCRIPT);
        assert!(compat.len() >= 12, "{}", compat.len());
        for p in PROCEDURES {
            assert!(
                compat
                    .iter()
                    .any(|b| b.contains(&format!("PROCEDURE dbo.{p}\n"))),
                "{p} is in the compatible schema"
            );
        }
        assert!(split_batches(TABLES_2005_SCRIPT).len() >= 3);
    }
}
