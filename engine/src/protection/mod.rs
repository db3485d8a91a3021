//! Package passwords: opening packages saved with EncryptSensitiveWithPassword (2) or
//! EncryptAllWithPassword (3), and writing a package with another protection level
//! (DontSaveSensitive, the two password levels, ServerStorage), byte-compatible with SSIS.
//! The format is described in `docs/package-protection.md`: XML Encryption `EncryptedData`
//! elements with SSIS's `Salt` and `IV` attributes, Triple DES (SSIS 2005–2016) or AES-256
//! (SSIS 2017+). Files: `cipher` (ciphers and key derivation), `envelope` (one
//! `EncryptedData`), `decrypt` (a package to plain text), `protect` (plain text to a protection
//! level), `password` (the secret), `error`. This module works on package text; it must not
//! load packages into the model (the loader calls it), read files or talk to stores.

mod cipher;
mod decrypt;
mod envelope;
mod error;
mod password;
mod protect;

#[cfg(test)]
mod tests;

pub use cipher::Algorithm;
pub use decrypt::{decrypt, is_password_protected, Decrypted};
pub use envelope::{is_encrypted_data, XMLENC_NS};
pub use error::{
    ProtectionError, DTS_E_DECRYPTXML_PASSWORD, DTS_E_LOADFROMXML, DTS_E_PACKAGEPASSWORD,
};
pub use password::PackagePassword;
pub use protect::{algorithm_for, protect, Protected, Target};

/// The DTS namespace of package elements.
pub(crate) const DTS_NS: &str = "www.microsoft.com/SqlServer/Dts";

/// The environment variable SSIS on Linux reads a package password from.
pub const PASSWORD_VARIABLE: &str = "SSIS_PACKAGE_DECRYPT";

/// A package's bytes decoded and, when they hold encrypted parts, decrypted.
#[derive(Debug)]
pub struct Opened {
    /// The plain package text.
    pub text: zeroize::Zeroizing<String>,
    /// The cipher the package was encrypted with (`None`: nothing was encrypted).
    pub algorithm: Option<Algorithm>,
    /// Whether the package was encrypted as a whole.
    pub whole: bool,
}

/// Decodes package bytes (UTF-8 or UTF-16, with or without BOM) and decrypts them with
/// `password` when they hold encrypted parts; a protected package without a password is
/// [`ProtectionError::PasswordRequired`].
pub fn open(bytes: &[u8], password: Option<&PackagePassword>) -> Result<Opened, ProtectionError> {
    let text = crate::load::decode::decode(bytes, u64::MAX).map_err(|e| ProtectionError::Xml {
        line: 1,
        column: 1,
        message: e.to_string(),
    })?;
    if is_password_protected(&text) {
        let password = password.ok_or(ProtectionError::PasswordRequired)?;
        let opened = decrypt(&text, password)?;
        return Ok(Opened {
            text: opened.text,
            algorithm: opened.algorithm,
            whole: opened.whole,
        });
    }
    if decrypt::parse(&text).is_ok_and(|d| is_encrypted_data(d.root_element())) {
        return Err(ProtectionError::UserKey);
    }
    Ok(Opened {
        text: zeroize::Zeroizing::new(text),
        algorithm: None,
        whole: false,
    })
}

/// Opens package bytes (see [`open`]) and writes them with `target`: the one step of dtutil's
/// `/Encrypt` and of an import that changes the protection level. The cipher the package
/// already had is kept; a plain package gets the one SSIS would use ([`algorithm_for`]).
pub fn reprotect(
    bytes: &[u8],
    password: Option<&PackagePassword>,
    target: &Target,
) -> Result<Protected, ProtectionError> {
    let opened = open(bytes, password)?;
    protect(&opened.text, target, opened.algorithm)
}
