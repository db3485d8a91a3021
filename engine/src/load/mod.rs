//! Loading `.dtsx` packages of every format (2005 through 2019+) into `crate::model`, and
//! `.dtsConfig` files into configuration entries. This file owns the public entry points,
//! the options (size and depth limits, the package password) and the checks done before the
//! tree is read (encoding, XML well-formedness, root element, protection level); a package
//! protected with a password is opened by `crate::protection` first. It must not run
//! anything, nor evaluate expressions (they stay text in the model).

mod builder;
pub mod conmgr;
pub(crate) mod decode;
pub mod dtsconfig;
mod error;
mod format2008;
mod format2012;
mod items;
mod pipeline;
mod xml;

#[cfg(test)]
mod tests;

use std::io::Read;
use std::path::Path;

use roxmltree::{Document, ParsingOptions};

pub use conmgr::{load_connection_manager, LoadedConnection};
pub use dtsconfig::{load_dtsconfig, load_dtsconfig_file, ConfigEntry, ConfigHeading};
pub use error::LoadError;

use crate::model::{DataFlow, Package, ProtectionLevel, RawXml};
use crate::protection::{self, PackagePassword};
use xml::{is_dts, Ctx, Props};

/// Default limit on the size of a package file: 256 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Default limit on nested containers (and event handlers).
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// Limits applied while loading, and the package password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Files larger than this are refused before being parsed.
    pub max_bytes: u64,
    /// Containers nested deeper than this are refused.
    pub max_depth: usize,
    /// The password of a package protected with EncryptSensitiveWithPassword or
    /// EncryptAllWithPassword (`/De[crypt]`). Without it, a package encrypted as a whole is
    /// refused and encrypted sensitive values are left empty (and reported).
    pub password: Option<PackagePassword>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
            password: None,
        }
    }
}

impl LoadOptions {
    /// The default limits with a package password.
    pub fn with_password(password: Option<PackagePassword>) -> LoadOptions {
        LoadOptions {
            password,
            ..LoadOptions::default()
        }
    }
}

/// Loads a package from the bytes of a `.dtsx` file, with the default limits.
/// Reads a Data Flow task's pipeline from its object data as the model keeps it (`None` when
/// the data holds no `pipeline` element or is not XML).
pub fn read_pipeline(object_data: &RawXml) -> Option<DataFlow> {
    let text = object_data.document();
    let doc = Document::parse_with_options(
        &text,
        ParsingOptions {
            allow_dtd: false,
            ..ParsingOptions::default()
        },
    )
    .ok()?;
    pipeline::read(doc.root_element())
}

pub fn load_package(bytes: &[u8]) -> Result<Package, LoadError> {
    load_package_with(bytes, &LoadOptions::default())
}

/// Loads a package from a `.dtsx` file, with the default limits.
pub fn load_package_file(path: &Path) -> Result<Package, LoadError> {
    load_package_file_with(path, &LoadOptions::default())
}

/// Reads a whole file, refusing it when it is larger than `limit` (without reading it all).
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limit {
        return Err(LoadError::TooLarge { size, limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(bytes)
}

/// Loads a package from a `.dtsx` file.
pub fn load_package_file_with(path: &Path, opts: &LoadOptions) -> Result<Package, LoadError> {
    let bytes = read_limited(path, opts.max_bytes)?;
    load_package_with(&bytes, opts)
}

/// Parses decoded text into a DOM, mapping parser errors to positions. The shape limits
/// (`crate::xml_limits`: depth, attributes per element) are checked first in one linear pass:
/// the DOM parser recurses per nested element and compares attributes pairwise.
pub(crate) fn parse_xml(text: &str) -> Result<Document<'_>, LoadError> {
    crate::xml_limits::check_shape(text).map_err(|error| {
        let (line, column) = crate::xml_limits::line_column(text, error.position());
        match error {
            crate::xml_limits::ShapeError::Xml { message, .. } => LoadError::Xml {
                line,
                column,
                message,
            },
            error => LoadError::Shape {
                line,
                column,
                error,
            },
        }
    })?;
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options).map_err(|e| {
        let p = e.pos();
        LoadError::Xml {
            line: p.row,
            column: p.col,
            message: e.to_string(),
        }
    })
}

/// Loads a package from the bytes of a `.dtsx` file.
pub fn load_package_with(bytes: &[u8], opts: &LoadOptions) -> Result<Package, LoadError> {
    let text = decode::decode(bytes, opts.max_bytes)?;
    // Only packages with encrypted parts pay for a second parse.
    let decrypted = match &opts.password {
        Some(password) if text.contains("EncryptedData") => {
            protection::is_password_protected(&text)
                .then(|| protection::decrypt(&text, password))
                .transpose()?
        }
        _ => None,
    };
    let text = decrypted
        .as_ref()
        .map_or(text.as_str(), |d| d.text.as_str());
    let doc = parse_xml(text)?;
    let root = doc.root_element();
    if protection::is_encrypted_data(root) {
        return Err(if root.attribute("Salt").is_some() {
            protection::ProtectionError::PasswordRequired.into()
        } else {
            LoadError::EncryptedPackage
        });
    }
    if !is_dts(root, "Executable") {
        let p = doc.text_pos_at(root.range().start);
        return Err(LoadError::NotAPackage {
            found: root.tag_name().name().to_string(),
            line: p.row,
            column: p.col,
        });
    }
    let mut ctx = Ctx {
        src: text,
        opts,
        blank_sensitive: false,
        unreadable: Vec::new(),
        line_starts: Default::default(),
    };
    let mut props = Props::of(&ctx, root);
    props.path = crate::model::path::PACKAGE_ROOT.to_string();
    let code = props.int("ProtectionLevel", 1)?;
    let level = ProtectionLevel::from_code(code).ok_or_else(|| {
        ctx.invalid(
            root,
            crate::model::path::PACKAGE_ROOT,
            format!("unknown ProtectionLevel {code}; expected 0 to 5"),
        )
    })?;
    ctx.blank_sensitive = level.uses_user_key();
    if decrypted.is_none() {
        // No password: the encrypted values stay out of the model, as SSIS leaves them
        // (DTS_E_DECRYPTXML_PASSWORD, "Package load will attempt to continue without the
        // encrypted information").
        for node in root
            .descendants()
            .filter(|n| protection::is_encrypted_data(*n))
        {
            let (owner, name) = xml::encrypted_owner(node);
            ctx.note_unreadable(&owner, &name);
        }
    }
    builder::build_package(&mut ctx, root, props, level)
}
