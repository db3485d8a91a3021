//! Why a package could not be decrypted or protected. Each variant says what, where and what
//! to do, and names the SSIS error code a user would search for. It never carries a password
//! or decrypted text.

use thiserror::Error;

/// `DTS_E_PACKAGEPASSWORD`: the package is encrypted with a password that was not given or
/// is not correct.
pub const DTS_E_PACKAGEPASSWORD: u32 = 0xC001_4037;
/// `DTS_E_DECRYPTXML_PASSWORD`: an encrypted XML node could not be decrypted because the
/// password was not given or not correct; the load goes on without it.
pub const DTS_E_DECRYPTXML_PASSWORD: u32 = 0xC001_405F;
/// `DTS_E_LOADFROMXML`: the package XML cannot be loaded (used for damaged encrypted data).
pub const DTS_E_LOADFROMXML: u32 = 0xC001_0014;

/// A failure of [`super::decrypt`] or [`super::protect`].
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProtectionError {
    #[error(
        "The package is encrypted with a password. The password was not specified, or is not \
         correct. (0xC0014037) Give the package password with /De[crypt] (dtexec, dtutil), \
         SSIS_PACKAGE_DECRYPT, or the X-SSIS-Package-Password header of an import."
    )]
    PasswordRequired,

    #[error(
        "The package is encrypted with a password. The password was not specified, or is not \
         correct. (0xC0014037) The password given does not decrypt {what} at line {line}, \
         column {column}."
    )]
    WrongPassword {
        what: String,
        line: u32,
        column: u32,
    },

    #[error(
        "the package is encrypted as a whole with a Windows user key (EncryptAllWithUserKey), \
         which cannot be decrypted on Linux; re-save it with DontSaveSensitive, \
         EncryptSensitiveWithPassword or EncryptAllWithPassword on Windows"
    )]
    UserKey,

    #[error("encrypted data at line {line}, column {column} is damaged: {message} (0xC0010014)")]
    Malformed {
        line: u32,
        column: u32,
        message: String,
    },

    #[error("XML error at line {line}, column {column}: {message}; the file is damaged or not a package")]
    Xml {
        line: u32,
        column: u32,
        message: String,
    },

    #[error("cannot protect the package with level {level}: {reason}")]
    Level { level: String, reason: String },

    #[error("not an SSIS package: the root element is <{found}>, expected <DTS:Executable>")]
    NotAPackage { found: String },
}

impl ProtectionError {
    /// The SSIS error code (HRESULT) this failure corresponds to.
    pub fn code(&self) -> u32 {
        match self {
            ProtectionError::PasswordRequired | ProtectionError::WrongPassword { .. } => {
                DTS_E_PACKAGEPASSWORD
            }
            _ => DTS_E_LOADFROMXML,
        }
    }

    /// Whether the failure is about the password (missing or wrong), not the package.
    pub fn is_password(&self) -> bool {
        matches!(
            self,
            ProtectionError::PasswordRequired | ProtectionError::WrongPassword { .. }
        )
    }
}
