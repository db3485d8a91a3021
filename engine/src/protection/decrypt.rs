//! Turns a password-protected package into its plain text: a package encrypted as a whole
//! (its root is `EncryptedData`) is replaced by the package inside; in a package whose
//! sensitive values are encrypted, each `EncryptedData` element is replaced by the element it
//! holds — or, when SSIS kept a wrapper of the same name around it (a sensitive parameter's
//! `DTS:Property DTS:Name="ParameterValue"`), the wrapper is. Everything else is kept byte for
//! byte. A plain text that is not well-formed XML means the password is wrong. It must not
//! interpret the package beyond that.

use roxmltree::{Document, Node, ParsingOptions};
use zeroize::Zeroizing;

use super::cipher::{Algorithm, CipherError};
use super::envelope::{is_encrypted_data, Envelope, EnvelopeError};
use super::error::ProtectionError;
use super::password::PackagePassword;
use super::DTS_NS;

/// A package opened with its password.
#[derive(Debug)]
pub struct Decrypted {
    /// The package with every encrypted piece replaced by its plain text.
    pub text: Zeroizing<String>,
    /// Whether the package was encrypted as a whole (EncryptAllWithPassword).
    pub whole: bool,
    /// How many encrypted elements (or whole packages) were opened.
    pub opened: usize,
    /// The cipher the package was encrypted with, when anything was encrypted.
    pub algorithm: Option<Algorithm>,
}

pub(crate) fn parse(text: &str) -> Result<Document<'_>, ProtectionError> {
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options).map_err(|e| {
        let p = e.pos();
        ProtectionError::Xml {
            line: p.row,
            column: p.col,
            message: e.to_string(),
        }
    })
}

fn position(doc: &Document, node: Node) -> (u32, u32) {
    let p = doc.text_pos_at(node.range().start);
    (p.row, p.col)
}

/// Whether `text` holds anything encrypted with a password (a whole package or elements).
/// Text that is not XML holds nothing.
pub fn is_password_protected(text: &str) -> bool {
    parse(text).is_ok_and(|doc| {
        doc.descendants()
            .any(|n| is_encrypted_data(n) && n.attribute("Salt").is_some())
    })
}

/// Opens every encrypted piece of `text` with `password`.
pub fn decrypt(text: &str, password: &PackagePassword) -> Result<Decrypted, ProtectionError> {
    let doc = parse(text)?;
    let root = doc.root_element();
    if !is_encrypted_data(root) {
        return decrypt_elements(&doc, text, password);
    }
    let (line, column) = position(&doc, root);
    let envelope = Envelope::read(root).map_err(|e| match e {
        EnvelopeError::NoSalt => ProtectionError::UserKey,
        EnvelopeError::Damaged(message) => ProtectionError::Malformed {
            line,
            column,
            message,
        },
    })?;
    let wrong = || ProtectionError::WrongPassword {
        what: "the package".into(),
        line,
        column,
    };
    let plain = open(&envelope, password, line, column, "the package")?;
    let inner = parse(&plain).map_err(|_| wrong())?;
    let inner_root = inner.root_element();
    if !(inner_root.tag_name().name() == "Executable"
        && inner_root.tag_name().namespace() == Some(DTS_NS))
    {
        return Err(wrong());
    }
    let nested = decrypt_elements(&inner, &plain, password)?;
    Ok(Decrypted {
        text: nested.text,
        whole: true,
        opened: nested.opened + 1,
        algorithm: Some(envelope.algorithm),
    })
}

/// Decrypts one envelope into text; a bad padding or bytes that are not UTF-8 mean a wrong
/// password.
fn open(
    envelope: &Envelope,
    password: &PackagePassword,
    line: u32,
    column: u32,
    what: &str,
) -> Result<Zeroizing<String>, ProtectionError> {
    let wrong = || ProtectionError::WrongPassword {
        what: what.to_string(),
        line,
        column,
    };
    let bytes = envelope.open(password).map_err(|e| match e {
        CipherError::Padding => wrong(),
        CipherError::Length => ProtectionError::Malformed {
            line,
            column,
            message: "the cipher value does not fit the cipher".into(),
        },
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| wrong())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.trim_start().starts_with('<') {
        return Err(wrong());
    }
    Ok(Zeroizing::new(text.to_string()))
}

/// The name of a plain fragment's root element (namespace, local name, DTS:Name), or `None`
/// when the fragment is not one well-formed element.
fn fragment_root(fragment: &str) -> Option<(Option<String>, String, Option<String>)> {
    let wrapped = Zeroizing::new(format!("<w xmlns:DTS=\"{DTS_NS}\">{fragment}</w>"));
    let doc = parse(&wrapped).ok()?;
    let mut elements = doc.root_element().children().filter(|c| c.is_element());
    let first = elements.next()?;
    if elements.next().is_some() {
        return None;
    }
    Some((
        first.tag_name().namespace().map(str::to_string),
        first.tag_name().name().to_string(),
        first.attribute((DTS_NS, "Name")).map(str::to_string),
    ))
}

fn decrypt_elements(
    doc: &Document,
    text: &str,
    password: &PackagePassword,
) -> Result<Decrypted, ProtectionError> {
    let mut cuts: Vec<(std::ops::Range<usize>, Zeroizing<String>)> = Vec::new();
    let mut algorithm = None;
    for node in doc.descendants().filter(|n| is_encrypted_data(*n)) {
        if node.ancestors().skip(1).any(is_encrypted_data) {
            continue;
        }
        let (line, column) = position(doc, node);
        let envelope = Envelope::read(node).map_err(|e| ProtectionError::Malformed {
            line,
            column,
            message: match e {
                EnvelopeError::NoSalt => {
                    "it has no Salt attribute, so it was not encrypted with a package password"
                        .into()
                }
                EnvelopeError::Damaged(m) => m,
            },
        })?;
        algorithm.get_or_insert(envelope.algorithm);
        let what = "an encrypted element";
        let plain = open(&envelope, password, line, column, what)?;
        let (ns, name, dts_name) =
            fragment_root(&plain).ok_or_else(|| ProtectionError::WrongPassword {
                what: what.into(),
                line,
                column,
            })?;
        let range = match node.parent_element() {
            Some(parent)
                if parent.children().filter(|c| c.is_element()).count() == 1
                    && parent.tag_name().namespace() == ns.as_deref()
                    && parent.tag_name().name() == name
                    && parent.attribute((DTS_NS, "Name")) == dts_name.as_deref() =>
            {
                parent.range()
            }
            _ => node.range(),
        };
        cuts.push((range, plain));
    }
    let opened = cuts.len();
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut at = 0;
    for (range, plain) in &cuts {
        out.push_str(&text[at..range.start]);
        out.push_str(plain);
        at = range.end;
    }
    out.push_str(&text[at..]);
    Ok(Decrypted {
        text: out,
        whole: false,
        opened,
        algorithm,
    })
}
