//! The `[access]` section: who may reach the API and with which role — the admin group and the
//! role of other local users (Unix socket), the token file, TLS files, client-certificate and
//! identity mappings (role, SQL Server roles for msdb reader/writer roles), and the
//! failed-authentication limit — checked into [`AccessConfig`]. It also checks the rule that a
//! non-loopback `service.listen` needs TLS and a way to authenticate. It reads no file named here
//! (certificates and tokens are opened by the service) and must not start anything.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::paths;
use crate::access::Role;

/// `[access]` as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessSection {
    /// Local users in this group are administrators (root always is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_group: Option<String>,
    /// Role of any other local user: administrator, operator, limited-user, or none (refused).
    pub local_role: String,
    /// Bearer tokens, stored hashed (`ssisd token create|revoke|list`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_file: Option<String>,
    /// PEM certificate chain and key: with them the TCP listener speaks TLS only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_certificate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<String>,
    /// CA whose client certificates are accepted (mapped by `[[access.certificate]]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ca: Option<String>,
    /// Failed authentications from one peer within the window before it is refused (429).
    pub max_failed_authentications: u32,
    pub failed_authentication_window_seconds: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<IdentitySection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate: Vec<CertificateSection>,
}

impl Default for AccessSection {
    fn default() -> Self {
        AccessSection {
            admin_group: None,
            local_role: "limited-user".into(),
            tokens_file: None,
            tls_certificate: None,
            tls_key: None,
            client_ca: None,
            max_failed_authentications: 5,
            failed_authentication_window_seconds: 60.0,
            identity: Vec::new(),
            certificate: Vec::new(),
        }
    }
}

/// `[[access.identity]]`: a local user name or a token/certificate identity.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySection {
    pub name: String,
    /// For local users: their role instead of `local_role` ("none" refuses them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// SQL Server database roles this identity counts as a member of, for msdb packages'
    /// reader and writer roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sql_roles: Vec<String>,
}

/// `[[access.certificate]]`: a client certificate's subject CN or SAN mapped to an identity.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSection {
    pub name: String,
    pub identity: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityRule {
    pub name: String,
    /// `Some(None)`: configured as refused.
    pub role: Option<Option<Role>>,
    pub sql_roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CertificateRule {
    pub name: String,
    pub identity: String,
    pub role: Role,
}

/// The checked `[access]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessConfig {
    pub admin_group: Option<String>,
    /// None: other local users are refused.
    pub local_role: Option<Role>,
    pub tokens_file: Option<PathBuf>,
    pub tls: Option<TlsFiles>,
    pub max_failed_authentications: u32,
    pub failed_authentication_window: Duration,
    pub identities: Vec<IdentityRule>,
    pub certificates: Vec<CertificateRule>,
}

impl AccessConfig {
    /// The configured rule for an identity, if any (names compare exactly).
    pub fn identity(&self, name: &str) -> Option<&IdentityRule> {
        self.identities.iter().find(|i| i.name == name)
    }

    /// SQL Server roles the configuration gives an identity.
    pub fn sql_roles(&self, name: &str) -> Vec<String> {
        self.identity(name)
            .map(|i| i.sql_roles.clone())
            .unwrap_or_default()
    }

    /// The identity and role a client certificate with these names maps to.
    pub fn certificate_for(&self, names: &[String]) -> Option<&CertificateRule> {
        self.certificates
            .iter()
            .find(|c| names.iter().any(|n| n.eq_ignore_ascii_case(&c.name)))
    }

    pub fn to_section(&self) -> AccessSection {
        let show = |p: &Path| p.display().to_string();
        AccessSection {
            admin_group: self.admin_group.clone(),
            local_role: role_text(self.local_role).into(),
            tokens_file: self.tokens_file.as_deref().map(show),
            tls_certificate: self.tls.as_ref().map(|t| show(&t.certificate)),
            tls_key: self.tls.as_ref().map(|t| show(&t.key)),
            client_ca: self
                .tls
                .as_ref()
                .and_then(|t| t.client_ca.as_deref())
                .map(show),
            max_failed_authentications: self.max_failed_authentications,
            failed_authentication_window_seconds: self.failed_authentication_window.as_secs_f64(),
            identity: self
                .identities
                .iter()
                .map(|i| IdentitySection {
                    name: i.name.clone(),
                    role: i.role.map(|r| role_text(r).into()),
                    sql_roles: i.sql_roles.clone(),
                })
                .collect(),
            certificate: self
                .certificates
                .iter()
                .map(|c| CertificateSection {
                    name: c.name.clone(),
                    identity: c.identity.clone(),
                    role: c.role.as_str().into(),
                })
                .collect(),
        }
    }
}

fn role_text(role: Option<Role>) -> &'static str {
    role.map(Role::as_str).unwrap_or("none")
}

const ROLE_CHOICES: &str = "administrator, operator, limited-user or none";

fn parse_role_or_none(text: &str) -> Result<Option<Role>, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    Role::parse(text)
        .map(Some)
        .ok_or_else(|| format!("\"{text}\" is not a role; use {ROLE_CHOICES}"))
}

/// A refused `[access]` value: its key (`access.tls_key`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key `{key}`: {message}")]
pub struct AccessKeyError {
    pub key: String,
    pub message: String,
}

/// Checks `[access]` against the listen address and the loopback rule; also returns warnings.
pub fn check(
    a: &AccessSection,
    listen: SocketAddr,
    unauthenticated_loopback: bool,
    base: &Path,
) -> Result<(AccessConfig, Vec<String>), AccessKeyError> {
    check_keys(a, listen, unauthenticated_loopback, base)
        .map_err(|(key, message)| AccessKeyError { key, message })
}

/// [`check`], with errors as `(key, message)` while the checks run.
fn check_keys(
    a: &AccessSection,
    listen: SocketAddr,
    unauthenticated_loopback: bool,
    base: &Path,
) -> Result<(AccessConfig, Vec<String>), (String, String)> {
    let key = |k: &str| format!("access.{k}");
    let path = |k: &str, v: &Option<String>| -> Result<Option<PathBuf>, (String, String)> {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| paths::resolve(s, base).map_err(|e| (key(k), e.to_string())))
            .transpose()
    };
    let local_role = parse_role_or_none(&a.local_role).map_err(|m| (key("local_role"), m))?;
    let tokens_file = path("tokens_file", &a.tokens_file)?;
    let certificate = path("tls_certificate", &a.tls_certificate)?;
    let tls_key = path("tls_key", &a.tls_key)?;
    let client_ca = path("client_ca", &a.client_ca)?;
    let tls = match (certificate, tls_key) {
        (Some(certificate), Some(key)) => Some(TlsFiles {
            certificate,
            key,
            client_ca,
        }),
        (None, None) if client_ca.is_none() => None,
        (None, None) => {
            return Err((
                key("client_ca"),
                "client certificates need TLS: set access.tls_certificate and access.tls_key too"
                    .into(),
            ))
        }
        (Some(_), None) => {
            return Err((
                key("tls_key"),
                "access.tls_certificate is set but its private key is not; set access.tls_key to the PEM key file".into(),
            ))
        }
        (None, Some(_)) => {
            return Err((
                key("tls_certificate"),
                "access.tls_key is set but the certificate is not; set access.tls_certificate to the PEM certificate chain".into(),
            ))
        }
    };
    if a.max_failed_authentications == 0 {
        return Err((
            key("max_failed_authentications"),
            "must be at least 1".into(),
        ));
    }
    let w = a.failed_authentication_window_seconds;
    if !(w > 0.0 && w.is_finite()) {
        return Err((
            key("failed_authentication_window_seconds"),
            "must be a positive number of seconds".into(),
        ));
    }
    let mut identities: Vec<IdentityRule> = Vec::new();
    for (i, id) in a.identity.iter().enumerate() {
        let k = format!("identity[{i}]");
        if id.name.trim().is_empty() {
            return Err((key(&format!("{k}.name")), "must not be empty".into()));
        }
        if identities.iter().any(|o| o.name == id.name) {
            return Err((
                key(&format!("{k}.name")),
                format!("\"{}\" is listed twice; merge the two entries", id.name),
            ));
        }
        let role = id
            .role
            .as_deref()
            .map(parse_role_or_none)
            .transpose()
            .map_err(|m| (key(&format!("{k}.role")), m))?;
        identities.push(IdentityRule {
            name: id.name.clone(),
            role,
            sql_roles: id.sql_roles.clone(),
        });
    }
    let mut certificates = Vec::new();
    for (i, c) in a.certificate.iter().enumerate() {
        let k = format!("certificate[{i}]");
        if c.name.trim().is_empty() || c.identity.trim().is_empty() {
            return Err((
                key(&k),
                "name (the certificate's CN or SAN) and identity must not be empty".into(),
            ));
        }
        let role = Role::parse(&c.role).ok_or_else(|| {
            (
                key(&format!("{k}.role")),
                format!(
                    "\"{}\" is not a role; use administrator, operator or limited-user",
                    c.role
                ),
            )
        })?;
        certificates.push(CertificateRule {
            name: c.name.clone(),
            identity: c.identity.clone(),
            role,
        });
    }
    if !certificates.is_empty() && tls.as_ref().and_then(|t| t.client_ca.as_ref()).is_none() {
        return Err((
            key("client_ca"),
            "[[access.certificate]] mappings need the CA that signs client certificates; set access.client_ca".into(),
        ));
    }
    let mut warnings = Vec::new();
    let can_authenticate = tokens_file.is_some() || !certificates.is_empty();
    if listen.ip().is_loopback() {
        if !unauthenticated_loopback && !can_authenticate {
            warnings.push(format!(
                "the TCP listener {listen} accepts no one: no access.tokens_file and no client certificates are configured (the Unix socket still works)"
            ));
        }
    } else {
        if unauthenticated_loopback {
            return Err((
                "service.unauthenticated_loopback".into(),
                format!("is true but service.listen {listen} is not a loopback address; unauthenticated access is possible only on 127.0.0.1 or ::1 — set it to false"),
            ));
        }
        let mut missing = Vec::new();
        if tls.is_none() {
            missing.push("TLS (access.tls_certificate and access.tls_key)");
        }
        if !can_authenticate {
            missing.push(
                "a way to authenticate (access.tokens_file, or access.client_ca with [[access.certificate]] mappings)",
            );
        }
        if !missing.is_empty() {
            return Err((
                "service.listen".into(),
                format!(
                    "{listen} is not a loopback address, so the API would face the network; that needs {}",
                    missing.join(" and ")
                ),
            ));
        }
    }
    Ok((
        AccessConfig {
            admin_group: a.admin_group.clone().filter(|g| !g.trim().is_empty()),
            local_role,
            tokens_file,
            tls,
            max_failed_authentications: a.max_failed_authentications,
            failed_authentication_window: Duration::from_secs_f64(w),
            identities,
            certificates,
        },
        warnings,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, listen: &str, open: bool) -> Result<AccessConfig, String> {
        let a: AccessSection = toml::from_str(text).map_err(|e| e.to_string())?;
        check(&a, listen.parse().unwrap(), open, Path::new("/etc/ssisd"))
            .map(|(c, _)| c)
            .map_err(|e| format!("{}: {}", e.key, e.message))
    }

    #[test]
    fn defaults_are_limited_local_users_and_no_tls() {
        let c = run("", "127.0.0.1:10135", false).unwrap();
        assert_eq!(c.local_role, Some(Role::LimitedUser));
        assert!(c.tls.is_none() && c.tokens_file.is_none());
        assert_eq!(c.max_failed_authentications, 5);
    }

    #[test]
    fn remote_listen_needs_tls_and_authentication() {
        let e = run("", "0.0.0.0:10135", false).unwrap_err();
        assert!(
            e.contains("TLS") && e.contains("a way to authenticate"),
            "{e}"
        );
        let e = run("tokens_file = \"tokens\"\n", "0.0.0.0:10135", false).unwrap_err();
        assert!(e.contains("TLS") && !e.contains("a way to"), "{e}");
        let e = run(
            "tls_certificate = \"c.pem\"\ntls_key = \"k.pem\"\n",
            "0.0.0.0:10135",
            false,
        )
        .unwrap_err();
        assert!(
            e.contains("a way to authenticate") && !e.contains("TLS ("),
            "{e}"
        );
        let c = run(
            "tls_certificate = \"c.pem\"\ntls_key = \"k.pem\"\ntokens_file = \"tokens\"\n",
            "0.0.0.0:10135",
            false,
        )
        .unwrap();
        assert_eq!(
            c.tls.unwrap().certificate,
            PathBuf::from("/etc/ssisd/c.pem")
        );
        let e = run(
            "tls_certificate = \"c.pem\"\ntls_key = \"k.pem\"\ntokens_file = \"t\"\n",
            "0.0.0.0:10135",
            true,
        )
        .unwrap_err();
        assert!(e.starts_with("service.unauthenticated_loopback"), "{e}");
    }

    #[test]
    fn bad_values_name_their_key() {
        for (text, key) in [
            ("local_role = \"root\"\n", "access.local_role"),
            ("tls_certificate = \"c\"\n", "access.tls_key"),
            ("client_ca = \"c\"\n", "access.client_ca"),
            ("max_failed_authentications = 0\n", "access.max_failed_authentications"),
            (
                "[[identity]]\nname = \"a\"\n[[identity]]\nname = \"a\"\n",
                "access.identity[1].name",
            ),
            (
                "[[identity]]\nname = \"a\"\nrole = \"boss\"\n",
                "access.identity[0].role",
            ),
            (
                "tls_certificate = \"c\"\ntls_key = \"k\"\n[[certificate]]\nname = \"h\"\nidentity = \"i\"\nrole = \"operator\"\n",
                "access.client_ca",
            ),
        ] {
            let e = run(text, "127.0.0.1:1", false).unwrap_err();
            assert!(e.starts_with(key), "{text}: {e}");
        }
    }

    #[test]
    fn identities_and_certificates_map() {
        let c = run(
            "local_role = \"none\"\ntls_certificate = \"c\"\ntls_key = \"k\"\nclient_ca = \"ca\"\n\
             [[identity]]\nname = \"alice\"\nrole = \"operator\"\nsql_roles = [\"r1\"]\n\
             [[identity]]\nname = \"eve\"\nrole = \"none\"\n\
             [[certificate]]\nname = \"ETL-host\"\nidentity = \"etl\"\nrole = \"operator\"\n",
            "127.0.0.1:1",
            false,
        )
        .unwrap();
        assert_eq!(c.local_role, None);
        assert_eq!(
            c.identity("alice").unwrap().role,
            Some(Some(Role::Operator))
        );
        assert_eq!(c.identity("eve").unwrap().role, Some(None));
        assert_eq!(c.sql_roles("alice"), vec!["r1".to_string()]);
        assert_eq!(
            c.certificate_for(&["etl-host".into()]).unwrap().identity,
            "etl"
        );
        let back = c.to_section();
        assert_eq!(back.local_role, "none");
        assert_eq!(back.identity.len(), 2);
    }
}
