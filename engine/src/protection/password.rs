//! The package password as a value that never shows itself: `Debug` and `Display` print a
//! placeholder, the bytes are wiped when dropped, and the only way to the text is
//! [`PackagePassword::as_bytes`], which the ciphers call. It must not be logged, stored or
//! sent anywhere by this module.

use std::fmt;

use zeroize::Zeroizing;

/// A package password (`/De[crypt]`, `/En[crypt] …;password`, an import header).
#[derive(Clone, PartialEq, Eq)]
pub struct PackagePassword(Zeroizing<String>);

impl PackagePassword {
    pub fn new(text: impl Into<String>) -> PackagePassword {
        PackagePassword(Zeroizing::new(text.into()))
    }

    /// The UTF-8 bytes the key derivations hash. SSIS's own tools hash the UTF-8 form of the
    /// password (checked with ASCII passwords only; see docs/package-protection.md).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The text, for handing the password on to a child process's environment.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for PackagePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PackagePassword(<hidden>)")
    }
}

impl fmt::Display for PackagePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_prints() {
        let p = PackagePassword::new("hunter2");
        assert!(!format!("{p:?} {p}").contains("hunter2"));
        assert_eq!(p.as_bytes(), b"hunter2");
    }
}
