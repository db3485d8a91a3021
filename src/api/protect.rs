//! What a package import does with its protection headers ([`crate::import_protection`]):
//! nothing without them (the bytes are stored as sent); with a package password only, it
//! checks that the password opens the package and stores the bytes as sent; with a protection
//! level, it opens the package and stores it re-protected (ServerStorage only in msdb
//! folders). The work is CPU-bound and runs on the blocking pool. Refusals carry the SSIS
//! message (0xC0014037 for a wrong password) and never the password.

use actix_web::web;
use ssisd_engine::protection::{self, ProtectionError, Target};

use super::error::ApiError;
use crate::import_protection::{ImportProtection, LEVEL_HEADER, NEW_PASSWORD_HEADER};

/// The bytes to store and what was lost on the way (user-key values).
pub struct Prepared {
    pub bytes: web::Bytes,
    /// The protection level stored, when the import changed it.
    pub level: Option<&'static str>,
    pub dropped: Vec<String>,
}

fn refused(e: ProtectionError) -> ApiError {
    ApiError::bad_request(format!("the package cannot be opened: {e}"))
}

/// Applies `p` to the package `bytes` bound for a folder of the kind `folder_kind`.
pub async fn prepare(
    bytes: web::Bytes,
    p: ImportProtection,
    folder_kind: &'static str,
) -> Result<Prepared, ApiError> {
    if p.is_empty() {
        return Ok(Prepared {
            bytes,
            level: None,
            dropped: Vec::new(),
        });
    }
    let Some(level) = p.level.clone() else {
        if p.new_password.is_some() {
            return Err(ApiError::bad_request(format!(
                "{NEW_PASSWORD_HEADER} needs {LEVEL_HEADER}: say which level to store with"
            )));
        }
        let checked = bytes.clone();
        web::block(move || protection::open(&checked, p.password.as_ref()).map(|_| ()))
            .await
            .map_err(|e| {
                ApiError::new(
                    actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                    format!("the package check did not finish: {e}"),
                )
            })?
            .map_err(refused)?;
        return Ok(Prepared {
            bytes,
            level: None,
            dropped: Vec::new(),
        });
    };
    let new_password = p.new_password.clone().or_else(|| p.password.clone());
    let target = Target::parse(&level, new_password).map_err(refused)?;
    if target == Target::ServerStorage && folder_kind != "sql-server" {
        return Err(ApiError::bad_request(
            "ServerStorage (5) keeps sensitive values for msdb's roles to guard and is only \
             for packages stored in SQL Server; this folder is a File System folder — choose \
             0, 2 or 3",
        ));
    }
    let name = target.name();
    let protected = web::block(move || protection::reprotect(&bytes, p.password.as_ref(), &target))
        .await
        .map_err(|e| {
            ApiError::new(
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                format!("the protection did not finish: {e}"),
            )
        })?
        .map_err(refused)?;
    Ok(Prepared {
        bytes: web::Bytes::from(protected.text.as_bytes().to_vec()),
        level: Some(name),
        dropped: protected.dropped,
    })
}
