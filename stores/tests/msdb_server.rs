//! The msdb store against a real SQL Server, when `SSISD_TEST_MSSQL` holds an ADO-style
//! connection string (e.g. `Server=tcp:127.0.0.1,1433;User Id=sa;Password=…;
//! TrustServerCertificate=true`). Each test creates its own database, installs the shipped
//! compatible schema (or the 2005 tables), exercises every operation — reading a package's
//! reader and writer roles after setting their SIDs in the table — and drops the database.
//! Without the variable each test prints `SKIPPED: SSISD_TEST_MSSQL is not set` and passes.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use ssisd_stores::msdb::schema::{run_script, TABLES_2005_SCRIPT};
use ssisd_stores::msdb::{MsdbStore, Schema, SqlServerFolder};
use ssisd_stores::{ItemName, PackageRoles, PackageStore, StoreError, StorePath};
use support::mssql::{self, package, Forwarder};

fn path(p: &[&str]) -> StorePath {
    StorePath::from_segments(p).unwrap()
}

fn name(n: &str) -> ItemName {
    ItemName::new(n).unwrap()
}

/// Every PackageStore operation, with the same errors the File System store gives.
async fn exercise(store: &MsdbStore) {
    let root = StorePath::root();
    let listing = store.list(&root).await.unwrap();
    assert!(
        listing
            .folders
            .iter()
            .any(|f| f.name == "Maintenance Plans"),
        "the well-known folder is listed: {:?}",
        listing.folders
    );
    store.create_folder(&path(&["Sales"])).await.unwrap();
    store
        .create_folder(&path(&["Sales", "Daily"]))
        .await
        .unwrap();
    assert!(matches!(
        store.create_folder(&path(&["Sales"])).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    assert!(matches!(
        store.create_folder(&path(&["Nope", "X"])).await,
        Err(StoreError::FolderNotFound(_))
    ));
    assert!(matches!(
        store.create_folder(&root).await,
        Err(StoreError::TopLevelFolder(..))
    ));

    let bytes = Bytes::from(package("Load", 4000));
    let folder = path(&["Sales", "Daily"]);
    let (info, replaced) = store
        .put_package(&folder, &name("Load"), bytes.clone(), false)
        .await
        .unwrap();
    assert!(!replaced);
    assert_eq!(info.size, bytes.len() as u64);
    assert!(matches!(
        store
            .put_package(&folder, &name("Load"), bytes.clone(), false)
            .await,
        Err(StoreError::AlreadyExists { .. })
    ));
    let (_, replaced) = store
        .put_package(&folder, &name("Load"), bytes.clone(), true)
        .await
        .unwrap();
    assert!(replaced);
    assert!(matches!(
        store
            .put_package(&folder, &name("Bad"), Bytes::from_static(b"<x/>"), false)
            .await,
        Err(StoreError::NotAPackage(_))
    ));
    assert_eq!(
        store.get_package(&folder, &name("Load")).await.unwrap(),
        bytes
    );
    assert!(store.package_exists(&folder, &name("Load")).await.unwrap());
    assert!(!store.package_exists(&folder, &name("Other")).await.unwrap());
    assert!(matches!(
        store.package_exists(&path(&["Nope"]), &name("Load")).await,
        Err(StoreError::FolderNotFound(_))
    ));

    let listing = store.list(&folder).await.unwrap();
    assert_eq!(listing.packages.len(), 1);
    let p = &listing.packages[0].info;
    assert_eq!(p.name, "Load");
    assert_eq!(p.size, bytes.len() as u64);
    assert!(p.header.id.is_some() && p.header.creation_date.is_some());
    assert_eq!(p.header.description.as_deref(), Some("made by a test"));
    assert_eq!(p.header.version_build, Some(3));
    assert_eq!(p.header.format_version, Some(3));
    assert_eq!(p.header.package_type, Some(0));
    assert!(!p.header.encrypted);

    store
        .rename_package(&folder, &name("Load"), &name("Load2"))
        .await
        .unwrap();
    assert_eq!(
        store.get_package(&folder, &name("Load2")).await.unwrap(),
        bytes
    );
    assert!(matches!(
        store.get_package(&folder, &name("Load")).await,
        Err(StoreError::PackageNotFound(_))
    ));
    store
        .put_package(&folder, &name("Other"), bytes.clone(), false)
        .await
        .unwrap();
    assert!(matches!(
        store
            .rename_package(&folder, &name("Other"), &name("Load2"))
            .await,
        Err(StoreError::AlreadyExists { .. })
    ));
    store.delete_package(&folder, &name("Other")).await.unwrap();
    assert!(matches!(
        store.delete_package(&folder, &name("Other")).await,
        Err(StoreError::PackageNotFound(_))
    ));

    store
        .rename_folder(&path(&["Sales"]), &name("Revenue"))
        .await
        .unwrap();
    store.create_folder(&path(&["Sales"])).await.unwrap();
    assert!(matches!(
        store
            .rename_folder(&path(&["Sales"]), &name("Revenue"))
            .await,
        Err(StoreError::AlreadyExists { .. })
    ));
    assert!(matches!(
        store.delete_folder(&path(&["Revenue"]), false).await,
        Err(StoreError::FolderNotEmpty { .. })
    ));
    store
        .delete_folder(&path(&["Revenue"]), true)
        .await
        .unwrap();
    store.delete_folder(&path(&["Sales"]), false).await.unwrap();
    assert!(matches!(
        store.list(&path(&["Revenue"])).await,
        Err(StoreError::FolderNotFound(_))
    ));
    store.check().await.unwrap();
}

fn roles(reader: Option<&str>, writer: Option<&str>) -> PackageRoles {
    PackageRoles {
        reader: reader.map(str::to_string),
        writer: writer.map(str::to_string),
    }
}

/// Role SIDs set in `table` (as `sp_ssis_setpackageroles` would) read back as role names; a
/// SID of no database role reads as db_ssisadmin.
async fn package_roles(store: &MsdbStore, s: &SqlServerFolder, table: &str) {
    let folder = path(&["Secured"]);
    store.create_folder(&folder).await.unwrap();
    let bytes = Bytes::from(package("Guarded", 1000));
    store
        .put_package(&folder, &name("Guarded"), bytes, false)
        .await
        .unwrap();
    assert_eq!(
        store
            .package_roles(&folder, &name("Guarded"))
            .await
            .unwrap(),
        PackageRoles::default()
    );

    let set = |reader: &str, writer: &str| {
        format!(
            "UPDATE dbo.{table} SET readrolesid = {reader}, writerolesid = {writer} \
             WHERE name = N'Guarded'"
        )
    };
    let sid_of = |principal: &str| {
        format!("(SELECT sid FROM sys.database_principals WHERE name = N'{principal}')")
    };
    mssql::exec(
        s,
        "CREATE ROLE ssisd_readers; CREATE ROLE ssisd_writers; CREATE ROLE ssisd_dropped;",
    )
    .await;
    mssql::exec(s, &set(&sid_of("ssisd_readers"), &sid_of("ssisd_writers"))).await;
    assert_eq!(
        store
            .package_roles(&folder, &name("Guarded"))
            .await
            .unwrap(),
        roles(Some("ssisd_readers"), Some("ssisd_writers"))
    );

    // Only a reader role; the writer's SID belongs to a role dropped since.
    mssql::exec(s, &set(&sid_of("ssisd_readers"), "NULL")).await;
    assert_eq!(
        store
            .package_roles(&folder, &name("Guarded"))
            .await
            .unwrap(),
        roles(Some("ssisd_readers"), None)
    );
    mssql::exec(s, &set("NULL", &sid_of("ssisd_dropped"))).await;
    mssql::exec(s, "DROP ROLE ssisd_dropped").await;
    assert_eq!(
        store
            .package_roles(&folder, &name("Guarded"))
            .await
            .unwrap(),
        roles(None, Some("db_ssisadmin"))
    );
    // A SID that is a user's, not a role's, does not count as a role either.
    mssql::exec(s, &set(&sid_of("dbo"), &sid_of("ssisd_writers"))).await;
    assert_eq!(
        store
            .package_roles(&folder, &name("Guarded"))
            .await
            .unwrap(),
        roles(Some("db_ssisadmin"), Some("ssisd_writers"))
    );

    assert!(matches!(
        store.package_roles(&folder, &name("Missing")).await,
        Err(StoreError::PackageNotFound(p)) if p.contains("Missing")
    ));
    assert!(matches!(
        store
            .package_roles(&path(&["Nope"]), &name("Guarded"))
            .await,
        Err(StoreError::FolderNotFound(_))
    ));
    store.delete_folder(&folder, true).await.unwrap();
}

#[tokio::test]
async fn every_operation_on_the_compatible_2008_schema() {
    let Some(base) = mssql::server_settings() else {
        return;
    };
    let mut s = mssql::scratch_database(&base, "t08").await;
    // Without the opt-in, a database without the schema is reported clearly.
    match MsdbStore::open(s.clone()).await {
        Err(StoreError::Unavailable(why)) => {
            assert!(why.contains("install_compat_schema"), "{why}")
        }
        other => panic!("expected unavailable, got {:?}", other.map(|_| ())),
    }
    s.install_compat_schema = true;
    let store = MsdbStore::open(s.clone()).await.unwrap();
    assert_eq!(store.schema(), &Schema::Ssis2008);
    exercise(&store).await;
    package_roles(&store, &s, "sysssispackages").await;
    // Installing twice changes nothing.
    MsdbStore::open(s.clone()).await.unwrap();
    drop(store);
    mssql::drop_database(&s).await;
}

#[tokio::test]
async fn every_operation_on_2005_tables() {
    let Some(base) = mssql::server_settings() else {
        return;
    };
    let s = mssql::scratch_database(&base, "t05").await;
    let mut c = ssisd_stores::msdb::pool::connect(&s).await.unwrap();
    run_script(&mut c, &s.server, TABLES_2005_SCRIPT)
        .await
        .unwrap();
    drop(c);
    let store = MsdbStore::open(s.clone()).await.unwrap();
    assert!(matches!(store.schema(), Schema::Dts2005 { .. }));
    exercise(&store).await;
    package_roles(&store, &s, "sysdtspackages90").await;
    drop(store);
    mssql::drop_database(&s).await;
}

#[tokio::test]
async fn a_folder_of_ten_thousand_packages_lists() {
    let Some(base) = mssql::server_settings() else {
        return;
    };
    let mut s = mssql::scratch_database(&base, "t10k").await;
    s.install_compat_schema = true;
    let store = MsdbStore::open(s.clone()).await.unwrap();
    store.create_folder(&path(&["Big"])).await.unwrap();
    let one = String::from_utf8(package("P", 1000))
        .unwrap()
        .replace('\'', "''");
    mssql::exec(
        &s,
        &format!(
            "DECLARE @f uniqueidentifier = (SELECT folderid FROM dbo.sysssispackagefolders WHERE foldername = N'Big');
             WITH n AS (SELECT TOP (10000) ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS i FROM sys.all_objects a CROSS JOIN sys.all_objects b)
             INSERT INTO dbo.sysssispackages (name, id, description, createdate, folderid, ownersid, packagedata, packageformat, packagetype, vermajor, verminor, verbuild, vercomments, verid)
             SELECT CONCAT(N'Package ', FORMAT(i, '00000')), NEWID(), N'bulk', GETDATE(), @f, 0x01, CAST(CAST(N'{one}' AS varchar(max)) AS varbinary(max)), 3, 0, 1, 0, i, NULL, NEWID() FROM n;"
        ),
    )
    .await;
    let t = Instant::now();
    let listing = store.list(&path(&["Big"])).await.unwrap();
    let took = t.elapsed();
    assert_eq!(listing.packages.len(), 10_000);
    assert_eq!(listing.packages[0].info.name, "Package 00001");
    println!("listed 10,000 msdb packages in {took:?}");
    drop(store);
    mssql::drop_database(&s).await;
}

#[tokio::test]
async fn an_outage_is_unavailable_and_the_store_reopens_when_the_server_returns() {
    let Some(base) = mssql::server_settings() else {
        return;
    };
    let mut s = mssql::scratch_database(&base, "tout").await;
    s.install_compat_schema = true;
    let forwarder = Forwarder::start(mssql::target_of(&s)).await;
    let through = forwarder.settings(&s);
    let store = MsdbStore::open(through.clone()).await.unwrap();
    store.create_folder(&path(&["Kept"])).await.unwrap();

    forwarder.cut();
    match store.check().await {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("expected unavailable, got {other:?}"),
    }
    assert!(matches!(
        MsdbStore::open(through.clone()).await,
        Err(StoreError::Unavailable(_))
    ));
    // A write attempted while the server is gone fails and leaves nothing behind.
    let big = Bytes::from(package("Cut", 4 << 20));
    let (kept, cut) = (path(&["Kept"]), name("Cut"));
    let put = store.put_package(&kept, &cut, big, false);
    let _ = tokio::time::timeout(Duration::from_secs(5), put).await;

    forwarder.restore();
    let reopened = MsdbStore::open(through).await.unwrap();
    let listing = reopened.list(&path(&["Kept"])).await.unwrap();
    assert!(
        listing.packages.is_empty(),
        "no half-written package: {:?}",
        listing.packages
    );
    drop((store, reopened));
    mssql::drop_database(&s).await;
}
