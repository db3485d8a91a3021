//! What a client proves itself with: a bearer token (`SSISD_TOKEN`, or the first non-empty line
//! of a token file that only its owner may read), the CA certificate to trust the service by,
//! and a TLS client certificate with its key. Command-line options win over the environment.
//! It gathers and checks these and builds the TLS client configuration through
//! `crate::access::tls`; it must not connect anywhere nor print anything.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The environment variable holding the token text.
pub const TOKEN_ENV: &str = "SSISD_TOKEN";
/// The environment variable naming a token file.
pub const TOKEN_FILE_ENV: &str = "SSISD_TOKEN_FILE";
/// The environment variable naming the CA certificate file (PEM).
pub const CA_FILE_ENV: &str = "SSISD_CA_FILE";
/// The environment variable naming the client certificate file (PEM).
pub const CLIENT_CERT_ENV: &str = "SSISD_CLIENT_CERT";
/// The environment variable naming the client certificate's private key file (PEM).
pub const CLIENT_KEY_ENV: &str = "SSISD_CLIENT_KEY";

/// What the command line gave; each `None` falls back to its environment variable.
#[derive(Debug, Clone, Default)]
pub struct CredentialOptions {
    pub token_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

/// A bearer token (`ssisd_<id>_<secret>`); never shown in full.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Checks the text's form; `from` names where it came from, for messages.
    pub fn parse(text: &str, from: &str) -> Result<Token, CredentialsError> {
        let text = text.trim();
        let well_formed = text
            .strip_prefix("ssisd_")
            .and_then(|rest| rest.split_once('_'))
            .is_some_and(|(id, secret)| !id.is_empty() && !secret.is_empty())
            && text.bytes().all(|b| b.is_ascii_graphic());
        if !well_formed {
            return Err(CredentialsError::MalformedToken {
                from: from.to_string(),
            });
        }
        Ok(Token(text.to_string()))
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> String {
        format!("Bearer {}", self.0)
    }

    /// `ssisd_<id>_…`, for messages.
    pub fn redacted(&self) -> String {
        let id = self
            .0
            .strip_prefix("ssisd_")
            .and_then(|r| r.split_once('_'))
            .map_or("", |(id, _)| id);
        format!("ssisd_{id}_…")
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Credentials that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("the token in {from} is not an ssisd token (ssisd_<id>_<secret>, printed by `ssisd token create`); check that the whole token was copied")]
    MalformedToken { from: String },
    #[error("cannot read the token file {path}: {source}; name a readable file with --token-file or SSISD_TOKEN_FILE")]
    TokenFileUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the token file {path} may be read by other users (mode {mode:04o}): run `chmod 600 {path}` and, if others may have read it, revoke the token and create a new one")]
    TokenFileExposed { path: PathBuf, mode: u32 },
    #[error(
        "the token file {path} is empty: put the token (ssisd_<id>_<secret>) on its first line"
    )]
    TokenFileEmpty { path: PathBuf },
    #[error("a client certificate needs its key: give --client-key (or SSISD_CLIENT_KEY) with --client-cert {cert}")]
    KeyWithoutCertificate { cert: PathBuf },
    #[error("a client key needs its certificate: give --client-cert (or SSISD_CLIENT_CERT) with --client-key {key}")]
    CertificateWithoutKey { key: PathBuf },
    #[error(transparent)]
    Tls(#[from] crate::access::tls::TlsError),
}

/// Everything a client may prove itself with.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub token: Option<Token>,
    pub ca_file: Option<PathBuf>,
    /// Certificate and key files.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The first non-empty line of a token file that only its owner may read.
pub fn read_token_file(path: &Path) -> Result<Token, CredentialsError> {
    let unreadable = |source| CredentialsError::TokenFileUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o044 != 0 {
        return Err(CredentialsError::TokenFileExposed {
            path: path.to_path_buf(),
            mode,
        });
    }
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| CredentialsError::TokenFileEmpty {
            path: path.to_path_buf(),
        })?;
    Token::parse(line, &format!("the token file {}", path.display()))
}

impl Credentials {
    /// From the environment alone (what `dtutil` and `dtexec` use).
    pub fn from_env() -> Result<Credentials, CredentialsError> {
        Self::gather(&CredentialOptions::default())
    }

    /// From the command line, each missing option taken from its environment variable. The
    /// token: `--token-file`, else `SSISD_TOKEN`, else `SSISD_TOKEN_FILE`.
    pub fn gather(options: &CredentialOptions) -> Result<Credentials, CredentialsError> {
        let token = if let Some(file) = &options.token_file {
            Some(read_token_file(file)?)
        } else if let Some(text) = std::env::var(TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
        {
            Some(Token::parse(&text, TOKEN_ENV)?)
        } else if let Some(file) = env_path(TOKEN_FILE_ENV) {
            Some(read_token_file(&file)?)
        } else {
            None
        };
        let ca_file = options.ca_file.clone().or_else(|| env_path(CA_FILE_ENV));
        let cert = options
            .client_cert
            .clone()
            .or_else(|| env_path(CLIENT_CERT_ENV));
        let key = options
            .client_key
            .clone()
            .or_else(|| env_path(CLIENT_KEY_ENV));
        let client_cert = match (cert, key) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            (Some(cert), None) => return Err(CredentialsError::KeyWithoutCertificate { cert }),
            (None, Some(key)) => return Err(CredentialsError::CertificateWithoutKey { key }),
        };
        Ok(Credentials {
            token,
            ca_file,
            client_cert,
        })
    }

    /// The TLS client configuration: roots from the CA file (else the system's), and the
    /// client certificate if one was given.
    pub fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, CredentialsError> {
        let cert = self
            .client_cert
            .as_ref()
            .map(|(c, k)| (c.as_path(), k.as_path()));
        let config = crate::access::tls::client_config(self.ca_file.as_deref(), cert)?;
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_mode(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[test]
    fn tokens_are_checked_and_never_shown() {
        let t = Token::parse(" ssisd_k3x_s3cr3t \n", "SSISD_TOKEN").unwrap();
        assert_eq!(t.authorization(), "Bearer ssisd_k3x_s3cr3t");
        assert_eq!(format!("{t:?}"), "ssisd_k3x_…");
        for bad in [
            "",
            "s3cr3t",
            "ssisd_",
            "ssisd_id_",
            "ssisd__x",
            "ssisd_a_b c",
        ] {
            let e = Token::parse(bad, "SSISD_TOKEN").unwrap_err();
            assert!(e.to_string().contains("SSISD_TOKEN"), "{e}");
        }
    }

    #[test]
    fn token_file_first_line_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let ok = write_mode(dir.path(), "ok", "\n  \nssisd_a_b\nignored\n", 0o600);
        assert_eq!(
            read_token_file(&ok).unwrap().authorization(),
            "Bearer ssisd_a_b"
        );
        let open = write_mode(dir.path(), "open", "ssisd_a_b\n", 0o644);
        let e = read_token_file(&open).unwrap_err().to_string();
        assert!(e.contains("chmod 600") && e.contains("0644"), "{e}");
        let group = write_mode(dir.path(), "group", "ssisd_a_b\n", 0o640);
        assert!(matches!(
            read_token_file(&group),
            Err(CredentialsError::TokenFileExposed { .. })
        ));
        let empty = write_mode(dir.path(), "empty", "\n\n", 0o600);
        assert!(matches!(
            read_token_file(&empty),
            Err(CredentialsError::TokenFileEmpty { .. })
        ));
        let missing = read_token_file(&dir.path().join("missing")).unwrap_err();
        assert!(missing.to_string().contains("--token-file"), "{missing}");
    }

    #[test]
    fn command_line_token_file_and_certificate_pairs() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_mode(dir.path(), "t", "ssisd_id_secret\n", 0o600);
        let c = Credentials::gather(&CredentialOptions {
            token_file: Some(file),
            ca_file: Some("/etc/ssisd/ca.pem".into()),
            client_cert: Some("c.pem".into()),
            client_key: Some("k.pem".into()),
        })
        .unwrap();
        assert_eq!(c.token.unwrap().authorization(), "Bearer ssisd_id_secret");
        assert_eq!(c.ca_file.unwrap(), Path::new("/etc/ssisd/ca.pem"));
        assert_eq!(c.client_cert.unwrap(), ("c.pem".into(), "k.pem".into()));
        if std::env::var_os(CLIENT_KEY_ENV).is_none() {
            let e = Credentials::gather(&CredentialOptions {
                client_cert: Some("c.pem".into()),
                ..Default::default()
            })
            .unwrap_err();
            assert!(e.to_string().contains("--client-key"), "{e}");
        }
    }
}
