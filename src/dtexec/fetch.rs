//! The fetch step of a runner started by an executor with the `fetch` transport (a cluster
//! node or pod without the service's files): no arguments, but the service's address, the
//! run's token and the package's SHA-256 in its environment (`run_protocol::fetch`). It asks
//! the service for the run's arguments and package, checks the package's hash, writes it to a
//! private directory of its own and returns the command line to run. Any failure is a clear
//! error naming what to check; the token is never printed. It must not run the package.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use ssisd_engine::run_protocol::fetch::{
    self as contract, RunArguments, PACKAGE_SHA256_ENV, RUN_TOKEN_ENV, SERVICE_URL_ENV,
};
use ssisd_engine::run_protocol::EXECUTION_ID_ENV;

use ssisd::client::endpoint::{self, Address};
use ssisd::client::transport::{Request, Transport};

/// The largest package or project fetched (the service's own limit on stored items).
const MAX_PACKAGE: u64 = 1 << 30;
/// How long one answer may take.
const TIMEOUT: Duration = Duration::from_secs(120);

/// A fetched run: its command line and the directory holding its package (removed on drop).
pub struct Fetched {
    pub args: Vec<String>,
    dir: PathBuf,
}

impl Drop for Fetched {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// When the environment asks for the fetch step (and the command line is empty): fetches.
pub fn from_env(args: &[String]) -> Option<Result<Fetched, String>> {
    let url = std::env::var(SERVICE_URL_ENV)
        .ok()
        .filter(|u| !u.is_empty())?;
    if !args.is_empty() {
        return Some(Err(format!(
            "{SERVICE_URL_ENV} is set, so the run's arguments come from the service; start dtexec without arguments, or unset {SERVICE_URL_ENV}"
        )));
    }
    let need = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{SERVICE_URL_ENV} is set but {name} is not: the executor that started this run sets both"))
    };
    Some((|| {
        let id = need(EXECUTION_ID_ENV)?;
        let token = need(RUN_TOKEN_ENV)?;
        let sha = need(PACKAGE_SHA256_ENV)?.to_ascii_lowercase();
        fetch(&url, &id, &token, &sha)
    })())
}

fn transport(url: &str) -> Result<Transport, String> {
    let endpoint = endpoint::resolve(Some(url)).map_err(|e| e.to_string())?;
    match endpoint.address {
        Address::Unix(path) => Ok(Transport::Unix(path)),
        Address::Http { authority } => Ok(Transport::Tcp { authority }),
        Address::Https {
            authority,
            server_name,
        } => {
            let ca = std::env::var_os(ssisd::client::credentials::CA_FILE_ENV).map(PathBuf::from);
            let config = ssisd::access::tls::client_config(ca.as_deref(), None)
                .map_err(|e| e.to_string())?;
            Transport::tls(&authority, &server_name, std::sync::Arc::new(config))
                .map_err(|e| e.to_string())
        }
    }
}

/// Fetches run `id`'s arguments and package from the service at `url`.
fn fetch(url: &str, id: &str, token: &str, sha: &str) -> Result<Fetched, String> {
    let transport = transport(url)?;
    let authorization = format!("Bearer {token}");
    let get = |target: &str, limit: u64| {
        let headers = [("Authorization", authorization.as_str())];
        let answer = transport
            .fetch(
                &Request {
                    method: "GET",
                    target,
                    headers: &headers,
                    body: None,
                    timeout: Some(TIMEOUT),
                },
                limit,
            )
            .map_err(|e| format!("cannot fetch the run's {target} from {url}: {e}"))?;
        if answer.head.status != 200 {
            let said = serde_json::from_slice::<serde_json::Value>(&answer.body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&answer.body).into_owned());
            return Err(format!(
                "the service at {url} refused to hand over run {id}'s {target} ({} {}): {said}",
                answer.head.status, answer.head.reason
            ));
        }
        Ok(answer.body)
    };
    let arguments: RunArguments =
        serde_json::from_slice(&get(&contract::arguments_target(id), 1 << 20)?).map_err(|e| {
            format!(
                "the service sent run {id}'s arguments in a form this dtexec does not read: {e}"
            )
        })?;
    let package = get(&contract::package_target(id), MAX_PACKAGE)?;
    let got: String = Sha256::digest(&package)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if got != sha {
        return Err(format!(
            "the package fetched for run {id} from {url} has SHA-256 {got}, but the run was submitted with {sha}: it was changed on the way or at the service; the run is not started"
        ));
    }
    let file = Path::new(&arguments.file)
        .file_name()
        .and_then(|f| f.to_str())
        .filter(|f| *f == "package.dtsx" || *f == "project.ispac")
        .ok_or_else(|| format!("the service named the run's package file \"{}\"; expected package.dtsx or project.ispac", arguments.file))?
        .to_string();
    let mut fetched = Fetched {
        args: Vec::new(),
        dir: private_dir(id)?,
    };
    // From here on, dropping `fetched` removes the directory again.
    let path = fetched.dir.join(&file);
    write_private(&path, &package)?;
    fetched.args = arguments.command_line(&path.to_string_lossy());
    Ok(fetched)
}

/// A new directory only this account may enter, below the temporary directory.
fn private_dir(id: &str) -> Result<PathBuf, String> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    let dir = base.join(format!("ssisd-run-{safe}-{}", std::process::id()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
