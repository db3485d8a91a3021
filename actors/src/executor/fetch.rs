//! Run grants: the right of one run's runner to fetch its package and arguments from the
//! service's API (the `fetch` transport, for nodes and pods without the service's files). A
//! grant is issued at submission — a random 256-bit token handed to the runner through the
//! engine's environment or secret mechanism, and its SHA-256 kept in the run's directory
//! (`fetch.json`, the service's alone) with the package's hash and the run's arguments — and
//! revoked when the run ends (the file removed). Checking compares hashes in constant time.
//! Tokens are never written anywhere by the service, nor logged. It owns grants only; it must
//! not know HTTP.

use std::path::Path;

use sha2::{Digest, Sha256};
use ssisd_engine::run_protocol::fetch::{Grant, RunArguments, GRANT_FILE};
use subtle::ConstantTimeEq;

use super::run_dir::{create_file, RunDirError};
use super::SetupError;
use crate::package::RunSpec;

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a run's runner is given: its token and the package's hash.
pub struct Issued {
    pub token: String,
    pub package_sha256: String,
}

/// The runner's arguments of `spec`.
pub fn arguments_of(spec: &RunSpec) -> RunArguments {
    RunArguments {
        file: if spec.project.is_some() {
            "project.ispac".into()
        } else {
            "package.dtsx".into()
        },
        project_package: spec.project.as_ref().map(|p| p.package.clone()),
        sets: spec.sets.clone(),
        reporting: spec.reporting.clone(),
    }
}

/// Why a run's fetch grant cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("cannot make the run's fetch token: {0}")]
    Random(getrandom::Error),
    #[error("cannot encode the run's fetch grant: {0}")]
    Encode(#[source] serde_json::Error),
    #[error(transparent)]
    File(#[from] RunDirError),
    #[error("cannot write the run's fetch grant: {0}")]
    Write(#[source] std::io::Error),
}

/// Issues the grant of the run in `dir` (whose package file `run_dir::prepare` wrote).
pub fn issue(dir: &Path, spec: &RunSpec) -> Result<Issued, GrantError> {
    let mut random = [0u8; 32];
    getrandom::getrandom(&mut random).map_err(GrantError::Random)?;
    let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let package = match &spec.project {
        Some(p) => &p.ispac,
        None => &spec.bytes,
    };
    let grant = Grant {
        token_sha256: sha256_hex(token.as_bytes()),
        package_sha256: sha256_hex(package),
        arguments: arguments_of(spec),
    };
    let json = serde_json::to_vec(&grant).map_err(GrantError::Encode)?;
    use std::io::Write;
    create_file(&dir.join(GRANT_FILE), 0o600)?
        .write_all(&json)
        .map_err(GrantError::Write)?;
    Ok(Issued {
        token,
        package_sha256: grant.package_sha256,
    })
}

/// Why a fetch is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The run holds no grant (it ended, or does not use the fetch transport).
    NoGrant,
    /// The token is not the run's.
    WrongToken,
}

/// Checks `token` against the grant of the run in `dir` (blocking: reads the file).
pub fn check(dir: &Path, token: &str) -> Result<Grant, Refusal> {
    let bytes = std::fs::read(dir.join(GRANT_FILE)).map_err(|_| Refusal::NoGrant)?;
    let grant: Grant = serde_json::from_slice(&bytes).map_err(|_| Refusal::NoGrant)?;
    let presented = Sha256::digest(token.as_bytes());
    let kept = hex_bytes(&grant.token_sha256).ok_or(Refusal::NoGrant)?;
    if bool::from(presented.as_slice().ct_eq(&kept)) {
        Ok(grant)
    } else {
        Err(Refusal::WrongToken)
    }
}

/// Revokes the grant of the run in `dir` (the run ended); no grant is fine.
pub fn revoke(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(GRANT_FILE));
}

/// How a run's package reaches its runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// A path the runner reads (Slurm: the shared run directory).
    #[default]
    Shared,
    /// A Kubernetes Secret per run.
    Secret,
    /// Fetched from the service's API with the run's token.
    Fetch,
}

/// Checks `service_url`, the service's address as runners reach it: `https://host:port`, or
/// `http://` to this machine only (the run's token must not cross a network in clear).
pub fn check_service_url(url: Option<&str>) -> Result<(), SetupError> {
    service_url_problem(url).map_err(SetupError)
}

fn service_url_problem(url: Option<&str>) -> Result<(), String> {
    let Some(url) = url else {
        return Err(
            "transport = \"fetch\" needs service_url: the service's address as the runners reach it (https://host:port)"
                .into(),
        );
    };
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("service_url = \"{url}\" is not a URL; write https://host:port"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(format!("service_url = \"{url}\" has no host"));
    }
    let host = match authority.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match scheme {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(format!(
            "service_url = \"{url}\": the run's token would cross the network in clear; use https://"
        )),
        other => Err(format!(
            "service_url = \"{url}\": \"{other}://\" is not a way to reach the service; use https://"
        )),
    }
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..32)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_urls_keep_the_token_off_clear_networks() {
        assert!(check_service_url(Some("https://ssisd.example.com:8443")).is_ok());
        assert!(check_service_url(Some("http://127.0.0.1:8080")).is_ok());
        assert!(check_service_url(Some("http://[::1]:8080")).is_ok());
        let e = check_service_url(Some("http://ssisd.example.com:8080")).unwrap_err();
        assert!(e.0.contains("in clear"), "{e}");
        assert!(check_service_url(None)
            .unwrap_err()
            .0
            .contains("service_url"));
        assert!(check_service_url(Some("ssisd:8080")).is_err());
    }

    #[test]
    fn a_grant_admits_its_token_only_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let spec = RunSpec {
            id: "E1".into(),
            package: "\\File System\\p".into(),
            bytes: b"<package/>".to_vec(),
            project: None,
            sets: vec!["\\Package.Variables[User::A].Value;1".into()],
            parameters: Vec::new(),
            reporting: None,
            user: "u".into(),
            how: "api".into(),
            logging_level: None,
            executor: None,
        };
        let issued = issue(dir.path(), &spec).unwrap();
        assert_eq!(issued.token.len(), 64);
        assert_eq!(issued.package_sha256, sha256_hex(b"<package/>"));
        let kept = std::fs::read_to_string(dir.path().join(GRANT_FILE)).unwrap();
        assert!(
            !kept.contains(&issued.token),
            "the token itself is not kept"
        );
        use std::os::unix::fs::MetadataExt;
        let mode = std::fs::metadata(dir.path().join(GRANT_FILE))
            .unwrap()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let grant = check(dir.path(), &issued.token).unwrap();
        assert_eq!(grant.arguments.sets, spec.sets);
        assert_eq!(check(dir.path(), "nope"), Err(Refusal::WrongToken));
        let other = issue(tempfile::tempdir().unwrap().path(), &spec).unwrap();
        assert_eq!(check(dir.path(), &other.token), Err(Refusal::WrongToken));
        revoke(dir.path());
        assert_eq!(check(dir.path(), &issued.token), Err(Refusal::NoGrant));
    }
}
