//! Writes a plain package with another protection level, as SSIS saves it: the level number
//! goes into the root (`DTS:ProtectionLevel` attribute in 2012+, a `DTS:Property` child in
//! 2005/2008); DontSaveSensitive drops every sensitive element, EncryptSensitiveWithPassword
//! replaces each by an `EncryptedData` element (keeping the `ParameterValue` wrapper of a
//! sensitive parameter), EncryptAllWithPassword encrypts the whole root element, and
//! ServerStorage keeps the values for msdb's roles to guard. Everything else stays byte for
//! byte. Which elements are sensitive is SSIS's rule: a `Sensitive="1"` attribute, or the value
//! of a parameter marked `DTS:Sensitive`. It must not decrypt (the caller gives plain text).

use roxmltree::Node;
use zeroize::Zeroizing;

use super::cipher::Algorithm;
use super::decrypt::parse;
use super::envelope::{is_encrypted_data, Envelope};
use super::error::ProtectionError;
use super::password::PackagePassword;
use super::DTS_NS;

/// The protection level a package is written with, and its password when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// 0: sensitive values are not saved.
    DontSaveSensitive,
    /// 2: sensitive values are encrypted with the password.
    EncryptSensitiveWithPassword(PackagePassword),
    /// 3: the whole package is encrypted with the password.
    EncryptAllWithPassword(PackagePassword),
    /// 5: saved as is; msdb's roles guard it (only for packages stored in SQL Server).
    ServerStorage,
}

impl Target {
    /// The DTSProtectionLevel number.
    pub fn level(&self) -> u8 {
        match self {
            Target::DontSaveSensitive => 0,
            Target::EncryptSensitiveWithPassword(_) => 2,
            Target::EncryptAllWithPassword(_) => 3,
            Target::ServerStorage => 5,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Target::DontSaveSensitive => "DontSaveSensitive",
            Target::EncryptSensitiveWithPassword(_) => "EncryptSensitiveWithPassword",
            Target::EncryptAllWithPassword(_) => "EncryptAllWithPassword",
            Target::ServerStorage => "ServerStorage",
        }
    }

    /// The target for a level given by number or name (`3`, `EncryptAllWithPassword`), with
    /// the password the password levels need. Levels 1 and 4 (Windows user keys) are refused.
    pub fn parse(
        level: &str,
        password: Option<PackagePassword>,
    ) -> Result<Target, ProtectionError> {
        let refuse = |reason: &str| ProtectionError::Level {
            level: level.trim().to_string(),
            reason: reason.to_string(),
        };
        let number = match level.trim().to_ascii_lowercase().as_str() {
            "0" | "dontsavesensitive" => 0,
            "1" | "encryptsensitivewithuserkey" => 1,
            "2" | "encryptsensitivewithpassword" => 2,
            "3" | "encryptallwithpassword" => 3,
            "4" | "encryptallwithuserkey" => 4,
            "5" | "serverstorage" => 5,
            _ => return Err(refuse("expected 0, 2, 3 or 5 (or the level's name)")),
        };
        let password = || {
            password
                .clone()
                .filter(|p| !p.is_empty())
                .ok_or_else(|| refuse("this level needs a password"))
        };
        match number {
            0 => Ok(Target::DontSaveSensitive),
            2 => Ok(Target::EncryptSensitiveWithPassword(password()?)),
            3 => Ok(Target::EncryptAllWithPassword(password()?)),
            5 => Ok(Target::ServerStorage),
            _ => Err(refuse(
                "user-key levels (1 and 4) use a Windows user profile (DPAPI), which does not \
                 exist on Linux; use 0, 2, 3 or 5",
            )),
        }
    }
}

/// A package written with its new protection.
#[derive(Debug)]
pub struct Protected {
    pub text: Zeroizing<String>,
    /// Sensitive values that could not be kept (encrypted with a Windows user key), as
    /// `element at line L`.
    pub dropped: Vec<String>,
}

fn truthy(v: &str) -> bool {
    matches!(v.trim(), "1" | "-1" | "True" | "true" | "TRUE")
}

fn dts_property<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| {
        c.is_element()
            && c.tag_name().name() == "Property"
            && c.tag_name().namespace() == Some(DTS_NS)
            && c.attribute((DTS_NS, "Name")) == Some(name)
    })
}

fn property_or_attribute(node: Node, name: &str) -> Option<String> {
    node.attribute((DTS_NS, name))
        .map(str::to_string)
        .or_else(|| dts_property(node, name).map(|p| p.text().unwrap_or("").to_string()))
}

/// The cipher SSIS would use for this package: AES-256 when it was last saved by the tools of
/// SQL Server 2017 or later (product version 14+) in format 8, Triple DES otherwise (older
/// SSIS cannot read AES).
pub fn algorithm_for(text: &str) -> Algorithm {
    let Ok(doc) = parse(text) else {
        return Algorithm::TripleDes;
    };
    let root = doc.root_element();
    let format: u32 = property_or_attribute(root, "PackageFormatVersion")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let major: u32 = property_or_attribute(root, "LastModifiedProductVersion")
        .and_then(|v| v.trim().split('.').next().and_then(|m| m.parse().ok()))
        .unwrap_or(0);
    if format >= 8 && major >= 14 {
        Algorithm::Aes256
    } else {
        Algorithm::TripleDes
    }
}

/// Whether `node` holds a sensitive value by SSIS's rule.
fn is_sensitive(node: Node) -> bool {
    if !node.is_element() {
        return false;
    }
    if node
        .attributes()
        .any(|a| a.namespace().is_none() && a.name() == "Sensitive" && truthy(a.value()))
    {
        return true;
    }
    node.tag_name().namespace() == Some(DTS_NS)
        && node.tag_name().name() == "Property"
        && node.attribute((DTS_NS, "Name")) == Some("ParameterValue")
        && node.parent_element().is_some_and(|p| {
            p.tag_name().name() == "PackageParameter"
                && p.attribute((DTS_NS, "Sensitive")).is_some_and(truthy)
        })
}

/// Whether the sensitive element is a parameter value (kept as a wrapper when encrypted).
fn is_parameter_value(node: Node) -> bool {
    node.tag_name().name() == "Property"
        && node.attribute((DTS_NS, "Name")) == Some("ParameterValue")
        && node
            .parent_element()
            .is_some_and(|p| p.tag_name().name() == "PackageParameter")
}

/// The end of the qualified name in the start tag that begins at `start` (`<` included).
fn after_tag_name(text: &str, start: usize) -> usize {
    let rest = &text[start + 1..];
    start
        + 1
        + rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len())
}

/// The text of the start tag that begins at `start`.
fn start_tag(text: &str, start: usize) -> &str {
    let mut quote = None;
    for (i, c) in text[start..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return &text[start..=start + i],
            _ => {}
        }
    }
    &text[start..]
}

/// The element's text with the namespace declarations it needs from its ancestors, so it
/// stands alone (as .NET's `OuterXml` writes it).
fn standalone(text: &str, node: Node) -> String {
    let range = node.range();
    let own_tag = start_tag(text, range.start);
    let mut used: Vec<&str> = Vec::new();
    for d in node.descendants().filter(|d| d.is_element()) {
        used.extend(d.tag_name().namespace());
        used.extend(d.attributes().filter_map(|a| a.namespace()));
    }
    let mut declarations = String::new();
    for ns in node.namespaces() {
        if !used.contains(&ns.uri()) {
            continue;
        }
        let attribute = match ns.name() {
            Some("xml") => continue,
            Some(prefix) => format!("xmlns:{prefix}"),
            None => "xmlns".to_string(),
        };
        if own_tag.contains(&format!("{attribute}=")) {
            continue;
        }
        declarations.push_str(&format!(
            " {attribute}=\"{}\"",
            ns.uri().replace('&', "&amp;").replace('"', "&quot;")
        ));
    }
    let cut = after_tag_name(text, range.start);
    format!(
        "{}{declarations}{}",
        &text[range.start..cut],
        &text[cut..range.end]
    )
}

/// The prefix the document binds to the DTS namespace (`DTS` as SSIS writes it).
fn dts_prefix(root: Node) -> String {
    root.lookup_prefix(DTS_NS).unwrap_or("DTS").to_string()
}

/// The edit that writes `level` into the root.
fn level_edit(text: &str, root: Node, level: u8) -> (std::ops::Range<usize>, String) {
    if let Some(a) = root
        .attributes()
        .find(|a| a.namespace() == Some(DTS_NS) && a.name() == "ProtectionLevel")
    {
        return (a.range_value(), level.to_string());
    }
    if let Some(p) = dts_property(root, "ProtectionLevel") {
        return match p.first_child() {
            Some(t) if t.is_text() => (t.range(), level.to_string()),
            _ => (
                p.range(),
                format!(
                    "<{0}:Property {0}:Name=\"ProtectionLevel\">{level}</{0}:Property>",
                    dts_prefix(root)
                ),
            ),
        };
    }
    let format: u32 = dts_property(root, "PackageFormatVersion")
        .and_then(|p| p.text())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(8);
    let prefix = dts_prefix(root);
    if format <= 3 {
        let tag_end = root.range().start + start_tag(text, root.range().start).len();
        (
            tag_end..tag_end,
            format!(
                "<{prefix}:Property {prefix}:Name=\"ProtectionLevel\">{level}</{prefix}:Property>"
            ),
        )
    } else {
        let at = after_tag_name(text, root.range().start);
        (at..at, format!(" {prefix}:ProtectionLevel=\"{level}\""))
    }
}

/// Writes the plain package `text` with the protection `target`, encrypting with `algorithm`
/// (or [`algorithm_for`] the package when `None`).
pub fn protect(
    text: &str,
    target: &Target,
    algorithm: Option<Algorithm>,
) -> Result<Protected, ProtectionError> {
    let doc = parse(text)?;
    let root = doc.root_element();
    if !(root.tag_name().name() == "Executable" && root.tag_name().namespace() == Some(DTS_NS)) {
        return Err(ProtectionError::NotAPackage {
            found: root.tag_name().name().to_string(),
        });
    }
    if doc.descendants().any(is_encrypted_data) {
        return Err(ProtectionError::Level {
            level: target.name().into(),
            reason: "the package still holds encrypted values; decrypt it first with its \
                     password (/Decrypt)"
                .into(),
        });
    }
    let algorithm = algorithm.unwrap_or_else(|| algorithm_for(text));
    let mut edits = vec![level_edit(text, root, target.level())];
    let mut dropped = Vec::new();
    let mut skip_below: Option<std::ops::Range<usize>> = None;
    for node in root.descendants().filter(|n| is_sensitive(*n)) {
        let range = node.range();
        if skip_below
            .as_ref()
            .is_some_and(|s| s.start <= range.start && range.end <= s.end)
        {
            continue;
        }
        skip_below = Some(range.clone());
        let user_key = node.attribute("Encrypted").is_some_and(truthy);
        if user_key && !matches!(target, Target::DontSaveSensitive) {
            let p = doc.text_pos_at(range.start);
            dropped.push(format!(
                "<{}> at line {}, column {}",
                node.tag_name().name(),
                p.row,
                p.col
            ));
        }
        match target {
            Target::DontSaveSensitive => edits.push((range, String::new())),
            _ if user_key => edits.push((range, String::new())),
            Target::EncryptSensitiveWithPassword(password) => {
                let plain = Zeroizing::new(standalone(text, node));
                let envelope =
                    Envelope::seal(algorithm, password, plain.as_bytes()).map_err(|e| {
                        ProtectionError::Level {
                            level: target.name().into(),
                            reason: e.to_string(),
                        }
                    })?;
                let replacement = if is_parameter_value(node) {
                    let prefix = dts_prefix(root);
                    format!(
                        "<{prefix}:Property {prefix}:Name=\"ParameterValue\">{envelope}</{prefix}:Property>"
                    )
                } else {
                    envelope
                };
                edits.push((range, replacement));
            }
            Target::EncryptAllWithPassword(_) | Target::ServerStorage => {}
        }
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut at = 0;
    for (range, replacement) in &edits {
        out.push_str(&text[at..range.start]);
        out.push_str(replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    if let Target::EncryptAllWithPassword(password) = target {
        let range = parse(&out)?.root_element().range();
        let envelope = Envelope::seal(algorithm, password, out[range].as_bytes()).map_err(|e| {
            ProtectionError::Level {
                level: target.name().into(),
                reason: e.to_string(),
            }
        })?;
        out = Zeroizing::new(format!("\u{feff}<?xml version=\"1.0\"?>{envelope}"));
    }
    Ok(Protected { text: out, dropped })
}
