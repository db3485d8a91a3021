//! dtutil and package passwords: `/Dec[rypt]` checks that the password opens a package before
//! it is copied or moved, and opens a package encrypted as a whole to give it a new ID;
//! `/En[crypt]` writes the package with a protection level. Every transformation is done in
//! memory before the destination is touched, so a wrong password writes nothing. Failures to
//! open a package exit 5 ("cannot be loaded").

use ssisd_engine::protection::{self, PackagePassword, Protected, Target};

use super::place::{Failure, Place};

/// The `/Decrypt` password.
pub fn decrypt_password(option: Option<&String>) -> Option<PackagePassword> {
    option.map(|p| PackagePassword::new(p.clone()))
}

fn cannot_load(from: &Place, e: impl std::fmt::Display) -> Failure {
    Failure::new(5, format!("{} cannot be loaded: {e}", from.describe()))
}

/// With `/Decrypt`: the password must open the package (copies stay byte for byte).
pub fn check_opens(
    from: &Place,
    bytes: &[u8],
    password: Option<&PackagePassword>,
) -> Result<(), Failure> {
    if password.is_some() {
        protection::open(bytes, password).map_err(|e| cannot_load(from, e))?;
    }
    Ok(())
}

/// The package written with `target` (opened with `password` first when it needs one).
pub fn encrypt(
    from: &Place,
    bytes: &[u8],
    password: Option<&PackagePassword>,
    target: &Target,
) -> Result<Protected, Failure> {
    protection::reprotect(bytes, password, target).map_err(|e| cannot_load(from, e))
}

/// A new package ID. A package encrypted as a whole is opened with `password`, given the new
/// ID and encrypted again with the same password and cipher; other packages keep their bytes
/// but for the ID.
pub fn regenerate(
    from: &Place,
    bytes: &[u8],
    password: Option<&PackagePassword>,
) -> Result<(Vec<u8>, String), Failure> {
    let header = ssisd_engine::header::read_package_header(bytes)
        .map_err(|e| cannot_load(from, format!("not an SSIS package: {e}")))?;
    if !header.encrypted {
        return super::regenerate_id(bytes).map_err(|e| Failure::new(5, e.to_string()));
    }
    let Some(password) = password else {
        return Err(cannot_load(
            from,
            "the package is encrypted as a whole: give its password with /Decrypt to change its ID",
        ));
    };
    let opened = protection::open(bytes, Some(password)).map_err(|e| cannot_load(from, e))?;
    let (fresh, old) =
        super::regenerate_id(opened.text.as_bytes()).map_err(|e| Failure::new(5, e.to_string()))?;
    let fresh = zeroize::Zeroizing::new(fresh);
    let text = std::str::from_utf8(&fresh).map_err(|e| cannot_load(from, e))?;
    let sealed = protection::protect(
        text,
        &Target::EncryptAllWithPassword(password.clone()),
        opened.algorithm,
    )
    .map_err(|e| cannot_load(from, e))?;
    Ok((sealed.text.as_bytes().to_vec(), old))
}
