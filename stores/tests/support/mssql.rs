//! Shared by the SQL Server integration tests and the msdb benchmark: reads
//! `SSISD_TEST_MSSQL`, creates and drops a scratch database on that server, and runs a TCP
//! forwarder in front of it that can be cut and restored to produce a real outage of a real
//! server (no SQL Server is imitated: every byte comes from the real one).
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ssisd_stores::msdb::pool::connect;
use ssisd_stores::msdb::{parse_connection_string, redact_connection_string, SqlServerFolder};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub const ENV: &str = "SSISD_TEST_MSSQL";

/// The server's settings, or `None` after printing the SKIPPED line.
pub fn server_settings() -> Option<SqlServerFolder> {
    let Ok(text) = std::env::var(ENV) else {
        println!("SKIPPED: {ENV} is not set");
        return None;
    };
    match parse_connection_string(&text) {
        Ok(s) => Some(s),
        Err(e) => panic!("{ENV} ({}): {e}", redact_connection_string(&text)),
    }
}

/// Runs one batch on `settings`' database.
pub async fn exec(settings: &SqlServerFolder, sql: &str) {
    let mut c = connect(settings).await.expect("connect");
    c.simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_results()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Creates a fresh database and returns settings pointing at it.
pub async fn scratch_database(base: &SqlServerFolder, tag: &str) -> SqlServerFolder {
    let name = format!(
        "ssisd_{tag}_{}",
        uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
    );
    let mut master = base.clone();
    master.database = "master".into();
    exec(&master, &format!("CREATE DATABASE [{name}]")).await;
    let mut s = base.clone();
    s.database = name;
    s
}

pub async fn drop_database(settings: &SqlServerFolder) {
    let mut master = settings.clone();
    master.database = "master".into();
    let name = &settings.database;
    exec(
        &master,
        &format!("ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{name}]"),
    )
    .await;
}

/// A TCP forwarder to the server: `cut()` closes every connection and refuses new ones,
/// `restore()` accepts again.
pub struct Forwarder {
    pub port: u16,
    up: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
}

impl Forwarder {
    pub async fn start(target: (String, u16)) -> Forwarder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = watch::channel(0u64);
        let (up2, gen2) = (up.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let mut cut = gen2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect((target.0.as_str(), target.1)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Forwarder {
            port,
            up,
            generation,
        }
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    /// The settings with the server replaced by this forwarder.
    pub fn settings(&self, s: &SqlServerFolder) -> SqlServerFolder {
        let mut s = s.clone();
        s.server = format!("127.0.0.1,{}", self.port);
        s
    }
}

/// The host and port the settings resolve to (named instances are not supported here).
pub fn target_of(s: &SqlServerFolder) -> (String, u16) {
    let t = ssisd_stores::msdb::parse_server_name(&s.server, "").expect("server name");
    assert!(
        !t.needs_browser(),
        "give {ENV} a HOST,PORT server for the outage test"
    );
    (t.host.clone(), t.fixed_port())
}

/// A small valid package named `name`, padded to about `size` bytes.
pub fn package(name: &str, size: usize) -> Vec<u8> {
    let mut text = format!(
        "<?xml version=\"1.0\"?>\n<DTS:Executable xmlns:DTS=\"www.microsoft.com/SqlServer/Dts\" DTS:refId=\"Package\" DTS:CreationName=\"Microsoft.Package\" DTS:DTSID=\"{{{}}}\" DTS:ExecutableType=\"Microsoft.Package\" DTS:ObjectName=\"{name}\" DTS:ProtectionLevel=\"0\" DTS:VersionBuild=\"3\" DTS:Description=\"made by a test\">\n  <DTS:Property DTS:Name=\"PackageFormatVersion\">8</DTS:Property>\n",
        uuid::Uuid::new_v4().to_string().to_uppercase()
    );
    while text.len() + 40 < size {
        text.push_str("  <!-- padding padding padding -->\n");
    }
    text.push_str("</DTS:Executable>\n");
    text.into_bytes()
}
