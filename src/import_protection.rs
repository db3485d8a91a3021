//! The contract between the API's package import (`PUT /api/v1/packages/…`) and its clients
//! (ssisctl, dtutil) for password-protected packages: three request headers, never URL query
//! parameters, so passwords stay out of URLs, access logs and audit events.
//!
//! - `X-SSIS-Package-Password`: the password of the package sent (to check it opens, or to
//!   open it for a new protection level);
//! - `X-SSIS-Protection-Level`: store the package with this level instead of byte for byte
//!   (`0`/`DontSaveSensitive`, `2`, `3`, `5`/`ServerStorage` — 5 for msdb folders only);
//! - `X-SSIS-New-Package-Password`: the password of levels 2 and 3 (default: the package
//!   password).
//!
//! This file owns the names and the typed value; it does no cryptography.

use ssisd_engine::protection::PackagePassword;

pub const PASSWORD_HEADER: &str = "X-SSIS-Package-Password";
pub const LEVEL_HEADER: &str = "X-SSIS-Protection-Level";
pub const NEW_PASSWORD_HEADER: &str = "X-SSIS-New-Package-Password";

/// What an import asks about protection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportProtection {
    pub password: Option<PackagePassword>,
    /// The protection level to store with, by number or name; `None` keeps the bytes.
    pub level: Option<String>,
    pub new_password: Option<PackagePassword>,
}

/// A protection header (named) whose value is not UTF-8 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the {0} header is not UTF-8 text")]
pub struct HeaderNotText(pub &'static str);

impl ImportProtection {
    /// Whether the import asks for anything (else it is a byte-for-byte import).
    pub fn is_empty(&self) -> bool {
        self.password.is_none() && self.level.is_none() && self.new_password.is_none()
    }

    /// The headers a client sends.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(p) = &self.password {
            out.push((PASSWORD_HEADER, p.as_str().to_string()));
        }
        if let Some(l) = &self.level {
            out.push((LEVEL_HEADER, l.clone()));
        }
        if let Some(p) = &self.new_password {
            out.push((NEW_PASSWORD_HEADER, p.as_str().to_string()));
        }
        out
    }

    /// Reads the headers a request carries; `get` looks a header up by name (any case).
    pub fn from_headers<'a>(
        get: impl Fn(&str) -> Option<&'a [u8]>,
    ) -> Result<ImportProtection, HeaderNotText> {
        let text = |name: &'static str| -> Result<Option<String>, HeaderNotText> {
            match get(name) {
                None => Ok(None),
                Some(bytes) => std::str::from_utf8(bytes)
                    .map(|s| Some(s.to_string()))
                    .map_err(|_| HeaderNotText(name)),
            }
        };
        Ok(ImportProtection {
            password: text(PASSWORD_HEADER)?.map(PackagePassword::new),
            level: text(LEVEL_HEADER)?.filter(|l| !l.trim().is_empty()),
            new_password: text(NEW_PASSWORD_HEADER)?.map(PackagePassword::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_never_show_passwords_in_debug() {
        let p = ImportProtection {
            password: Some(PackagePassword::new("pw-one")),
            level: Some("3".into()),
            new_password: Some(PackagePassword::new("pw-two")),
        };
        let headers = p.headers();
        let back = ImportProtection::from_headers(|name| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_bytes())
        })
        .unwrap();
        assert_eq!(back, p);
        let shown = format!("{p:?}");
        assert!(
            !shown.contains("pw-one") && !shown.contains("pw-two"),
            "{shown}"
        );
        assert!(ImportProtection::default().is_empty());
    }
}
