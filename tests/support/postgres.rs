//! A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries (the newest under
//! /usr/lib/postgresql) `initdb` a cluster in a temp directory with password authentication
//! (the superuser `postgres` has [`PASSWORD`]; logins are checked as on a real server),
//! start it on a free loopback port with its socket in that directory, and create databases;
//! dropping it stops the server (`pg_ctl stop -m immediate`) and removes the directory. As
//! root the tools run as the `postgres` account (PostgreSQL refuses to run as root). It also
//! runs `psql` for a test's own set-up and checks, and gives the ODBC connection string of
//! Debian's psqlodbc driver. Shared by every test that needs a real database; none starts
//! its own server.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The superuser's password.
pub const PASSWORD: &str = "ssisd-test";

/// The Debian packages a PostgreSQL test needs, for SKIPPED lines.
pub const POSTGRES_PACKAGES: &str = "postgresql and odbc-postgresql (scripts/test installs them)";

/// A running throwaway server.
pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> Option<u16> {
    Some(
        std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port(),
    )
}

impl Postgres {
    /// A server for a test that reaches it through psqlodbc: `None`, after a SKIPPED line,
    /// when the driver or the server's binaries are missing.
    pub fn start_with_driver() -> Option<Postgres> {
        if !super::odbc::have_driver("PostgreSQL Unicode", POSTGRES_PACKAGES) {
            return None;
        }
        match Postgres::start() {
            Ok(pg) => Some(pg),
            Err(why) => {
                println!("SKIPPED: {why}");
                None
            }
        }
    }

    /// Starts a server with a database named `ssisd`; `Err` says why it cannot (binaries
    /// missing), for a SKIPPED line. Failures after the binaries are found panic.
    pub fn start() -> Result<Postgres, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|dirs| {
                dirs.filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                    .filter(|b| b.join("initdb").exists())
                    .max()
            })
            .ok_or_else(|| {
                format!("PostgreSQL server binaries not found under /usr/lib/postgresql; install {POSTGRES_PACKAGES}")
            })?;
        let dir = tempfile::tempdir().expect("temp dir");
        let as_postgres = nix::unistd::geteuid().is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown of the PostgreSQL temp dir failed");
        }
        let port = free_port().expect("a free loopback port");
        let pg = Postgres {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = pg.dir.path().join("data");
        let pwfile = pg.dir.path().join("pwfile");
        std::fs::write(&pwfile, PASSWORD).expect("password file");
        pg.tool(
            "initdb",
            &[
                "-A",
                "scram-sha-256",
                "--pwfile",
                &pwfile.to_string_lossy(),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "-D",
                &data.to_string_lossy(),
            ],
        );
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            port,
            pg.dir.path().display()
        );
        let log = pg.dir.path().join("log");
        pg.tool(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-o",
                &opts,
                "-l",
                &log.to_string_lossy(),
                "-w",
                "start",
            ],
        );
        pg.create_database("ssisd");
        Ok(pg)
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        c.env("PGPASSWORD", PASSWORD);
        c
    }

    fn tool(&self, tool: &str, args: &[&str]) -> String {
        let out = self
            .command(tool)
            .args(args)
            .output()
            .expect("PostgreSQL tool runs");
        assert!(
            out.status.success(),
            "{tool}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates database `name`.
    pub fn create_database(&self, name: &str) {
        self.tool(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                name,
            ],
        );
    }

    /// Runs `sql` in database `db` with psql (stopping at the first error) and returns its
    /// unaligned, tuples-only output (`|` between columns).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.tool(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-X",
                "-q",
                "-A",
                "-t",
                "-c",
                sql,
            ],
        )
    }

    /// The psqlodbc connection string to database `db` as the superuser.
    pub fn odbc_connection_string(&self, db: &str) -> String {
        format!(
            "Driver={{PostgreSQL Unicode}};Server=127.0.0.1;Port={};Database={db};Uid=postgres;Pwd={PASSWORD};",
            self.port
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data.to_string_lossy(), "-m", "immediate", "stop"])
            .output();
    }
}
