//! Shared test support for end-to-end tests: start a real `ssisd` on an ephemeral loopback port
//! with its own data and runtime directories, wait until it is ready, talk HTTP to it (over
//! loopback TCP, or with `curl` over its Unix socket or TLS as another user or with a token),
//! signal it, and find the shared corpus; start a throwaway PostgreSQL server (`postgres.rs`)
//! and check for ODBC drivers (`odbc.rs`); make input for the `orders` data-flow package
//! (`orders.rs`). Every test file uses this module; none copies it.
//!
//! Services start with `service.unauthenticated_loopback` and `service.allow_root_runners`
//! true (tests of other features talk plain loopback HTTP and may run as root); the access
//! tests override both through `Options::env`.
#![allow(dead_code)]

pub mod odbc;
pub mod orders;
pub mod postgres;
pub mod slurm;
pub mod smtp;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn ssisd_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ssisd"))
}

/// The shared corpus (`SSISD_CORPUS`, default `../shared/corpus` beside the repository), or
/// `None` after printing a SKIPPED line.
pub fn corpus(sub: &str) -> Option<PathBuf> {
    let root = std::env::var_os("SSISD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let dir = root.join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("SKIPPED: corpus not found at {}", dir.display());
        None
    }
}

/// Files of the corpus directory `sub` whose names end with `ext`, sorted.
pub fn corpus_files(sub: &str, ext: &str) -> Option<Vec<PathBuf>> {
    let dir = corpus(sub)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().to_lowercase().ends_with(ext))
        .collect();
    files.sort();
    Some(files)
}

/// How to start a service.
#[derive(Default)]
pub struct Options {
    pub config: Option<PathBuf>,
    pub env: Vec<(String, String)>,
}

/// A running `ssisd`, stopped (SIGKILL) when dropped if still alive.
pub struct Service {
    pub child: Child,
    pub dir: PathBuf,
    pub data_dir: PathBuf,
    pub runtime_dir: PathBuf,
    pub addr: String,
    /// Whether the TCP listener speaks TLS.
    pub tls: bool,
    /// The lines ssisd printed up to and including "ready".
    pub banner: Vec<String>,
    _temp: Option<tempfile::TempDir>,
    lines: mpsc::Receiver<String>,
}

/// A fresh temporary directory for one service (data, runtime, configuration files).
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("ssisd-test-")
        .tempdir()
        .unwrap()
}

impl Service {
    /// Starts on the embedded default in a new temporary directory.
    pub fn start() -> Service {
        Self::start_in(temp_dir(), Options::default())
    }

    pub fn start_in(temp: tempfile::TempDir, options: Options) -> Service {
        let dir = temp.path().to_path_buf();
        let mut s = Self::spawn(&dir, &options).expect("ssisd did not become ready");
        s._temp = Some(temp);
        s
    }

    /// Starts in `dir` (kept by the caller); `Err` with the output when it does not get ready.
    pub fn spawn(dir: &Path, options: &Options) -> Result<Service, String> {
        let data_dir = dir.join("data");
        let runtime_dir = dir.join("run");
        let mut cmd = Command::new(ssisd_bin());
        cmd.env_remove("SSISD_CONFIG")
            .env("SSISD_SERVICE__DATA_DIR", &data_dir)
            .env("SSISD_SERVICE__RUNTIME_DIR", &runtime_dir)
            .env("SSISD_SERVICE__LISTEN", "127.0.0.1:0")
            .env("SSISD_SERVICE__UNAUTHENTICATED_LOOPBACK", "true")
            .env("SSISD_SERVICE__ALLOW_ROOT_RUNNERS", "true")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap());
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        if let Some(c) = &options.config {
            cmd.arg("--config").arg(c);
        }
        let mut child = cmd.spawn().map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut addr = None;
        let mut tls = false;
        let mut banner = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    banner.push(line.clone());
                    if let Some(rest) = line.split(" listening on ").nth(1) {
                        tls = rest.starts_with("https://");
                        addr = rest
                            .split("://")
                            .nth(1)
                            .and_then(|r| r.split('/').next())
                            .map(str::to_string);
                    }
                    if line.contains(" ready (pid ") {
                        break;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    let stderr =
                        std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
                    return Err(format!("not ready (exit {status:?}); stderr:\n{stderr}"));
                }
            }
        }
        Ok(Service {
            child,
            dir: dir.to_path_buf(),
            data_dir,
            runtime_dir,
            addr: addr.expect("ssisd printed no listening address"),
            tls,
            banner,
            _temp: None,
            lines: rx,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "http://{}/api/v1/{}",
            self.addr,
            path.trim_start_matches('/')
        )
    }

    /// The Unix socket local clients use.
    pub fn socket(&self) -> PathBuf {
        self.runtime_dir.join("ssisd.sock")
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, signal: i32) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid()),
            nix::sys::signal::Signal::try_from(signal).ok(),
        );
    }

    /// Waits for the process to end.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGTERM, then waits; returns the exit status.
    pub fn stop(&mut self) -> ExitStatus {
        self.signal(libc::SIGTERM);
        self.wait_exit(Duration::from_secs(10))
            .expect("ssisd did not stop within 10 s of SIGTERM")
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    /// Polls `f` until it returns `Some`, for at most `timeout`.
    pub fn eventually<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = f() {
                return v;
            }
            if Instant::now() > deadline {
                panic!("condition not reached within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The health state of a top-level folder, from `/status`.
    pub fn folder_state(&self, name: &str) -> Option<String> {
        let (_, status) = http(self, "GET", "status", None);
        let status: serde_json::Value = serde_json::from_slice(&status).ok()?;
        status["folders"]
            .as_array()?
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["health"]["state"].as_str().unwrap_or("").to_string())
    }

    /// Event ids (numeric) of the newest `limit` events, oldest first.
    pub fn event_codes(&self, limit: usize) -> Vec<u64> {
        let (_, body) = http(
            self,
            "GET",
            &format!("events?limit={limit}&order=asc"),
            None,
        );
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_id"].as_u64().unwrap())
            .collect()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One HTTP request; returns the status and body whatever the status.
pub fn http(s: &Service, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
    request(&s.url(path), method, body)
}

/// The media type the service reads a body of `method` to `url` as: a package upload is XML, a
/// project upload a zip archive, anything else JSON.
pub fn media_type_for(method: &str, url: &str) -> &'static str {
    if method.eq_ignore_ascii_case("PUT") && url.contains("/api/v1/packages/") {
        "application/xml"
    } else if method.eq_ignore_ascii_case("PUT") && url.contains("/api/v1/projects/") {
        "application/octet-stream"
    } else {
        "application/json"
    }
}

pub fn request(url: &str, method: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
    let req = ureq::request(method, url).timeout(Duration::from_secs(30));
    let result = match body {
        Some(b) => req
            .set("Content-Type", media_type_for(method, url))
            .send_bytes(b),
        None => req.call(),
    };
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = response.status();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).unwrap();
    (status, bytes)
}

/// How `curl` reaches the service and who it is.
pub enum Via<'a> {
    /// The Unix socket, as this uid/gid (root only may switch; None: as the test process).
    Socket(Option<(u32, u32)>),
    /// TCP (TLS when the service speaks it, trusting `ca`), with an optional bearer token and
    /// client certificate (certificate, key).
    Tcp {
        token: Option<&'a str>,
        ca: Option<&'a Path>,
        client_cert: Option<(&'a Path, &'a Path)>,
    },
}

/// One request through `curl` (Debian's, installed by scripts/test): status and body.
pub fn curl(
    s: &Service,
    via: &Via,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> (u16, Vec<u8>) {
    use std::os::unix::process::CommandExt;
    let out_file = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-S", "--max-time", "30", "-o"])
        .arg(out_file.path())
        .args(["-w", "%{http_code}", "-X", method]);
    if method == "HEAD" {
        cmd.arg("-I");
    }
    let path = path.trim_start_matches('/');
    match via {
        Via::Socket(user) => {
            cmd.arg("--unix-socket")
                .arg(s.socket())
                .arg(format!("http://localhost/api/v1/{path}"));
            if let Some((uid, gid)) = user {
                // std clears the supplementary groups when root switches uid.
                cmd.uid(*uid).gid(*gid);
                // The output file must be writable by that user.
                std::fs::set_permissions(
                    out_file.path(),
                    std::os::unix::fs::PermissionsExt::from_mode(0o666),
                )
                .unwrap();
            }
        }
        Via::Tcp {
            token,
            ca,
            client_cert,
        } => {
            let scheme = if s.tls { "https" } else { "http" };
            // Certificates name "localhost"; connect to the service's port through that name.
            let port = s.addr.rsplit(':').next().unwrap();
            cmd.arg(format!("{scheme}://localhost:{port}/api/v1/{path}"));
            if let Some(t) = token {
                cmd.arg("-H").arg(format!("Authorization: Bearer {t}"));
            }
            if let Some(ca) = ca {
                cmd.arg("--cacert").arg(ca);
            }
            if let Some((cert, key)) = client_cert {
                cmd.arg("--cert").arg(cert).arg("--key").arg(key);
            }
        }
    }
    if let Some(b) = body {
        let body_file = out_file.path().with_extension("body");
        std::fs::write(&body_file, b).unwrap();
        std::fs::set_permissions(
            &body_file,
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )
        .unwrap();
        cmd.arg("--data-binary")
            .arg(format!("@{}", body_file.display()));
        cmd.arg("-H").arg(format!(
            "Content-Type: {}",
            media_type_for(method, &format!("/api/v1/{path}"))
        ));
    }
    let out = cmd.output().expect("curl runs (apt-get install curl)");
    let code: u16 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    let bytes = std::fs::read(out_file.path()).unwrap_or_default();
    let _ = std::fs::remove_file(out_file.path().with_extension("body"));
    (code, bytes)
}

/// Whether the tests run as root (needed to act as other local users).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// A small valid package (2012+ format).
pub fn small_package(name: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0"?>
<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package" DTS:CreationName="Microsoft.Package" DTS:DTSID="{{8A6F0C4E-1B2D-4E5F-9A0B-1C2D3E4F5A6B}}" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="{name}" DTS:ProtectionLevel="0" DTS:VersionBuild="3">
  <DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>
</DTS:Executable>
"#
    )
    .into_bytes()
}

/// Runs `ssisctl` against `s` (found through its runtime directory, as on a real machine).
pub fn ssisctl(s: &Service, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ssisctl"))
        .env("SSISD_SERVICE__RUNTIME_DIR", &s.runtime_dir)
        .env_remove("SSISCTL_SERVER")
        .args(args)
        .output()
        .unwrap()
}

/// Runs `dtutil` with the local service of `s` reachable for `/DTS`, and no standard input.
pub fn dtutil(s: Option<&Service>, args: &[&str]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtutil"));
    if let Some(s) = s {
        c.env("SSISD_SERVICE__RUNTIME_DIR", &s.runtime_dir);
    }
    c.args(args).stdin(Stdio::null()).output().unwrap()
}

/// Imports a package file of `tests/packages/` into the service at `target` (`File System/x`).
pub fn import_test_package(s: &Service, file: &str, target: &str) {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/packages")
            .join(file),
    )
    .unwrap();
    let (code, body) = http(
        s,
        "PUT",
        &format!("packages/{}?overwrite=true", target.replace(' ', "%20")),
        Some(&bytes),
    );
    assert!(
        code < 300,
        "import {file}: {code} {}",
        String::from_utf8_lossy(&body)
    );
}

/// Starts a stored package through the API; returns the status and the answer.
pub fn start_run(s: &Service, package: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({ "package": package, "reporting": "EW" }).to_string();
    let (code, body) = http(s, "POST", "running", Some(body.as_bytes()));
    (code, json(&body))
}

/// The running list.
pub fn running(s: &Service) -> Vec<serde_json::Value> {
    let (_, body) = http(s, "GET", "running", None);
    json(&body)["running"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The execution id `ssisctl run` names in its output ("… started as <id> …").
pub fn execution_id_in(ssisctl_output: &str) -> String {
    ssisctl_output
        .split_whitespace()
        .skip_while(|w| *w != "as")
        .nth(1)
        .unwrap_or_else(|| panic!("ssisctl names the execution: {ssisctl_output}"))
        .to_string()
}

/// Events with this numeric id and, if given, this execution id.
pub fn events_of(s: &Service, code: u32, execution_id: Option<&str>) -> Vec<serde_json::Value> {
    let (_, body) = http(
        s,
        "GET",
        &format!("events?event_id={code}&limit=1000"),
        None,
    );
    json(&body)["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| execution_id.is_none_or(|id| e["fields"]["execution_id"] == id))
        .collect()
}

/// Waits (up to `timeout`) for an event with this id for this execution.
pub fn wait_event(
    s: &Service,
    code: u32,
    execution_id: &str,
    timeout: Duration,
) -> serde_json::Value {
    Service::eventually(timeout, || {
        events_of(s, code, Some(execution_id)).into_iter().next()
    })
}

/// Whether a process exists (and is not a zombie).
pub fn pid_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|t| {
            !t.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

/// SIGKILL to a process group (cleaning up runners a test left behind).
pub fn kill_group(pgid: i32) {
    if pgid > 1 {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pgid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// A file's text; panics naming the file.
pub fn read_text(p: impl AsRef<Path>) -> String {
    let p = p.as_ref();
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A finished process's exit code (-1 when killed by a signal) and its stdout then stderr.
pub fn exit_and_text(out: &std::process::Output) -> (i32, String) {
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// Waits (up to `timeout`) until `path` exists; panics with `what` when it does not appear.
pub fn wait_for_file(path: &Path, timeout: Duration, what: &str) {
    let deadline = Instant::now() + timeout;
    while !path.exists() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// SIGTERM to a child process we started, then waits for it; returns its exit status and
/// whatever it wrote to its (piped) standard output.
pub fn sigterm_and_wait(child: &mut Child) -> (ExitStatus, String) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let status = child.wait().expect("wait");
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut s, &mut out);
    }
    (status, out)
}

/// Whether a process group exists.
pub fn group_alive(pgid: i32) -> bool {
    // Signal 0 only probes the process group.
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), None).is_ok()
}

/// Whether a process group is gone within `timeout` (probed every 10 ms).
pub fn group_gone(pgid: i32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if !group_alive(pgid) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The server and SQL login of the connection string `conn` (from `SSISD_TEST_MSSQL`): its
/// settings, the user and the password.
pub fn mssql_login(conn: &str) -> (ssisd_stores::msdb::SqlServerFolder, String, String) {
    let settings = ssisd_stores::msdb::parse_connection_string(conn).expect("SSISD_TEST_MSSQL");
    let user = settings
        .user
        .clone()
        .expect("a SQL login in SSISD_TEST_MSSQL");
    let password = settings
        .password
        .read(&user)
        .expect("password")
        .expose()
        .to_string();
    (settings, user, password)
}

/// A CA, a server certificate for localhost and client certificates, written as PEM files.
pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestPki {
    pub fn new() -> TestPki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let dir = temp_dir();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "ssisd test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let server_params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();
        let write = |name: &str, text: String| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let ca_path = write("ca.pem", ca.pem());
        let cert = write("server.pem", server.pem());
        let key = write("server.key", server_key.serialize_pem());
        // Client certificates, signed by the same CA.
        for cn in ["etl-host", "stranger"] {
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.distinguished_name.push(DnType::CommonName, cn);
            p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
            let k = KeyPair::generate().unwrap();
            let c = p.signed_by(&k, &ca, &ca_key).unwrap();
            write(&format!("{cn}.pem"), c.pem());
            write(&format!("{cn}.key"), k.serialize_pem());
        }
        TestPki {
            dir,
            ca: ca_path,
            cert,
            key,
        }
    }

    pub fn client(&self, cn: &str) -> (PathBuf, PathBuf) {
        (
            self.dir.path().join(format!("{cn}.pem")),
            self.dir.path().join(format!("{cn}.key")),
        )
    }
}

/// `ssisd token create` through the real binary; returns the token text.
pub fn create_token(tokens: &Path, identity: &str, role: &str) -> String {
    let out = Command::new(ssisd_bin())
        .args(["token", "--tokens-file"])
        .arg(tokens)
        .args(["create", "--identity", identity, "--role", role])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("ssisd_"), "{token}");
    token
}

/// Debian's Chromium, which the console's browser test and benchmark drive.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether Playwright (Python) and Debian's Chromium are installed (`./scripts/test` installs
/// both); `Err` says what is missing.
pub fn browser_available() -> Result<(), String> {
    if !std::path::Path::new(CHROMIUM).exists() {
        return Err(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    let ok = std::process::Command::new("python3")
        .args(["-c", "import playwright.sync_api"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return Err("the Python package playwright is missing (pip install playwright)".into());
    }
    Ok(())
}

/// Whether Mono's runtime and C# compiler are installed (the Script Task and Script Component
/// tests need both); prints SKIPPED with the Debian packages when not.
pub fn have_mono() -> bool {
    let ok = |p: &str| {
        std::process::Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let have = ok("mono") && ok("mcs");
    if !have {
        println!("SKIPPED: Mono is not installed (apt-get install mono-runtime mono-mcs libmono-system-data4.0-cil libmono-i18n4.0-all; scripts/test installs them)");
    }
    have
}
