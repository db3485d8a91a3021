//! The SMTP connection manager as the Send Mail task uses it: its connection string
//! (`SmtpServer=host[:port];UseWindowsAuthentication=…;EnableSsl=…;` plus the ssisd keys
//! `User=`/`Password=`, or the environment `SSISD_SMTP_USER`/`SSISD_SMTP_PASSWORD`), extra
//! trusted certificate authorities (`SSISD_SMTP_CA_FILE`), and the `lettre` transport it
//! gives (STARTTLS with rustls when `EnableSsl`, AUTH PLAIN or LOGIN with credentials),
//! pointed at the address the task connects it to. It owns the server settings only; the
//! message is the task's.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::SmtpTransport;
use thiserror::Error;

pub const USER_ENV: &str = "SSISD_SMTP_USER";
pub const PASSWORD_ENV: &str = "SSISD_SMTP_PASSWORD";
/// A PEM file of certificate authorities to trust besides the built-in ones (a private CA,
/// a test server's).
pub const CA_FILE_ENV: &str = "SSISD_SMTP_CA_FILE";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SmtpError {
    #[error("the SMTP connection manager names no SmtpServer")]
    NoServer,
    #[error("the SMTP port \"{0}\" is not a number")]
    BadPort(String),
    #[error(
        "the SMTP connection manager uses Windows Authentication, which ssisd cannot do; set \
         UseWindowsAuthentication=False and give User=/Password= in the connection string or \
         SSISD_SMTP_USER/SSISD_SMTP_PASSWORD in the environment"
    )]
    WindowsAuthentication,
    #[error("TLS cannot be set up for {host}: {reason}")]
    Tls { host: String, reason: String },
    #[error("the certificate authorities in \"{path}\" ({CA_FILE_ENV}) cannot be used: {reason}")]
    CaFile { path: String, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub enable_ssl: bool,
    pub credentials: Option<(String, String)>,
    /// `SSISD_SMTP_CA_FILE`: more authorities to trust for STARTTLS.
    pub ca_file: Option<String>,
}

fn flag(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "-1" | "1" | "yes"
    )
}

impl SmtpSettings {
    /// Reads a connection string; `env` gives environment variables (for the credentials).
    pub fn parse(
        connection_string: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<SmtpSettings, SmtpError> {
        let mut server = String::new();
        let mut windows = false;
        let mut enable_ssl = false;
        let mut user = None;
        let mut password = None;
        for part in connection_string.split(';') {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "smtpserver" => server = v.trim().to_string(),
                "usewindowsauthentication" => windows = flag(v),
                "enablessl" => enable_ssl = flag(v),
                "user" | "user id" | "username" => user = Some(v.trim().to_string()),
                "password" => password = Some(v.to_string()),
                _ => {}
            }
        }
        if windows {
            return Err(SmtpError::WindowsAuthentication);
        }
        if server.is_empty() {
            return Err(SmtpError::NoServer);
        }
        let (host, port) = match server.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.trim()
                    .parse::<u16>()
                    .map_err(|_| SmtpError::BadPort(p.to_string()))?,
            ),
            None => (server, 25),
        };
        let user = user.filter(|u| !u.is_empty()).or_else(|| env(USER_ENV));
        let password = password.or_else(|| env(PASSWORD_ENV));
        let credentials = match (user, password) {
            (Some(u), Some(p)) if !u.is_empty() => Some((u, p)),
            _ => None,
        };
        Ok(SmtpSettings {
            host,
            port,
            enable_ssl,
            credentials,
            ca_file: env(CA_FILE_ENV).filter(|f| !f.trim().is_empty()),
        })
    }

    /// The transport for these settings, connecting to `via` (`127.0.0.1` and the port of the
    /// task's relay) while TLS checks the certificate against the server's own name.
    pub fn transport(&self, via: (&str, u16)) -> Result<SmtpTransport, SmtpError> {
        let tls = if self.enable_ssl {
            let mut b = TlsParameters::builder(self.host.clone());
            if let Some(path) = &self.ca_file {
                let bad = |reason: String| SmtpError::CaFile {
                    path: path.clone(),
                    reason,
                };
                let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
                let cert = Certificate::from_pem(&pem).map_err(|e| bad(e.to_string()))?;
                b = b.add_root_certificate(cert);
            }
            let params = b.build().map_err(|e| SmtpError::Tls {
                host: self.host.clone(),
                reason: e.to_string(),
            })?;
            Tls::Required(params)
        } else {
            Tls::None
        };
        let mut b = SmtpTransport::builder_dangerous(via.0)
            .port(via.1)
            .tls(tls)
            .timeout(Some(Duration::from_secs(60)));
        if let Some((u, p)) = &self.credentials {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(b.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn server_port_and_ssl() {
        let s = SmtpSettings::parse(
            "SmtpServer=mail.example.org:2525;UseWindowsAuthentication=False;EnableSsl=True;",
            none,
        )
        .expect("parses");
        assert_eq!(
            (s.host.as_str(), s.port, s.enable_ssl),
            ("mail.example.org", 2525, true)
        );
        assert_eq!(s.credentials, None);
        let s = SmtpSettings::parse("SmtpServer=smtp.nikoil.ru;", none).expect("parses");
        assert_eq!(s.port, 25);
    }

    #[test]
    fn credentials_from_the_string_or_the_environment() {
        let s = SmtpSettings::parse("SmtpServer=h;User=u;Password=p;w", none).expect("parses");
        assert_eq!(s.credentials, Some(("u".into(), "p".into())));
        let env = |k: &str| match k {
            USER_ENV => Some("eu".to_string()),
            PASSWORD_ENV => Some("ep".to_string()),
            _ => None,
        };
        let s = SmtpSettings::parse("SmtpServer=h", env).expect("parses");
        assert_eq!(s.credentials, Some(("eu".into(), "ep".into())));
    }

    #[test]
    fn an_unusable_ca_file_is_named() {
        let env = |k: &str| (k == CA_FILE_ENV).then(|| "/nonexistent/ca.pem".to_string());
        let s = SmtpSettings::parse("SmtpServer=h:2525;EnableSsl=True", env).expect("parses");
        assert_eq!(s.ca_file.as_deref(), Some("/nonexistent/ca.pem"));
        let e = s.transport(("127.0.0.1", 1)).unwrap_err().to_string();
        assert!(
            e.contains("/nonexistent/ca.pem") && e.contains(CA_FILE_ENV),
            "{e}"
        );
        // Without TLS the file is not read.
        let s = SmtpSettings::parse("SmtpServer=h", env).expect("parses");
        assert!(s.transport(("127.0.0.1", 1)).is_ok());
    }

    #[test]
    fn refusals() {
        assert_eq!(
            SmtpSettings::parse("SmtpServer=h;UseWindowsAuthentication=True", none),
            Err(SmtpError::WindowsAuthentication)
        );
        assert_eq!(
            SmtpSettings::parse("EnableSsl=False", none),
            Err(SmtpError::NoServer)
        );
        assert!(matches!(
            SmtpSettings::parse("SmtpServer=h:x", none),
            Err(SmtpError::BadPort(_))
        ));
    }
}
