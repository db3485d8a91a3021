//! The package header: reads the identity of an SSIS package — name, DTSID, description,
//! creator, creation date, version, protection level, format — from `.dtsx` bytes of any format
//! (2005/2008 property children, 2012+ attributes; text decoded by the loader's decoder), and
//! decides whether the bytes are a package at all. It streams the document once and keeps
//! nothing else, so stores can describe thousands of packages quickly: it must not build the
//! package model (that is `crate::load`) nor touch storage.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde::{Deserialize, Serialize};

use std::time::{Duration, Instant};

use crate::load::decode::decode;
use crate::load::LoadError;
pub use crate::model::ProtectionLevel;
use crate::xml_limits::{ShapeCheck, ShapeError};

const DTS_NAMESPACE: &str = "www.microsoft.com/SqlServer/Dts";

/// Why bytes are not a package.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the body is empty")]
    Empty,
    #[error("{0}")]
    Encoding(String),
    #[error("it is not well-formed XML (at byte {position}: {message})")]
    Xml { position: u64, message: String },
    #[error("the XML has no root element")]
    NoRoot,
    #[error("the root element is <{0}>, expected <DTS:Executable> in namespace \"www.microsoft.com/SqlServer/Dts\" or an encrypted package <EncryptedData>")]
    WrongRoot(String),
    #[error("the root <DTS:Executable> is of type \"{0}\", not a package (MSDTS.Package.1, SSIS.Package.2, SSIS.Package.3 or Microsoft.Package)")]
    NotPackageType(String),
    #[error("the XML ends before the root element is closed")]
    Truncated,
    #[error("there is content after the root element")]
    TrailingContent,
    #[error("{0}")]
    Shape(ShapeError),
    #[error("reading it took longer than {} s and was abandoned; a package that large or that complex is not accepted", .0.as_secs())]
    TooSlow(Duration),
}

/// How long reading one header may take. Reading is linear in the input (a 64 MiB package
/// takes well under a second), so this only bounds what nobody foresaw.
pub const READ_DEADLINE: Duration = Duration::from_secs(10);

/// How many XML events pass between two looks at the clock.
const EVENTS_PER_CLOCK_CHECK: u32 = 4096;

/// What a listing shows of a stored package. Fields are `None` when the file does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageHeader {
    /// The package's own `ObjectName` (the stored name may differ).
    #[serde(rename = "object_name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator_computer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_major: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_minor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_build: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_comments: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protection_level: Option<ProtectionLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_type: Option<i64>,
    /// The whole package is encrypted (`EncryptAllWith…`): nothing else is known until it is
    /// decrypted.
    pub encrypted: bool,
}

/// A protection level written as its number or its name.
pub(crate) fn parse_protection_level(text: &str) -> Option<ProtectionLevel> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return ProtectionLevel::from_code(n);
    }
    (0..=5)
        .filter_map(ProtectionLevel::from_code)
        .find(|l| format!("{l:?}").eq_ignore_ascii_case(text))
}

/// Reads a package's header; `Err` says why the bytes are not a package. The document must
/// keep the shape limits of [`crate::xml_limits`], and reading gives up after
/// [`READ_DEADLINE`].
pub fn read_package_header(bytes: &[u8]) -> Result<PackageHeader, HeaderError> {
    read_package_header_within(bytes, READ_DEADLINE)
}

/// [`read_package_header`] with another time budget.
pub fn read_package_header_within(
    bytes: &[u8],
    budget: Duration,
) -> Result<PackageHeader, HeaderError> {
    let deadline = Instant::now() + budget;
    let text = decode(bytes, u64::MAX).map_err(|e| match e {
        LoadError::Empty => HeaderError::Empty,
        other => HeaderError::Encoding(other.to_string()),
    })?;
    if Instant::now() > deadline {
        return Err(HeaderError::TooSlow(budget));
    }
    scan(&text, deadline, budget)
}

fn local(qname: &[u8]) -> &[u8] {
    match qname.iter().rposition(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

fn xml_error(reader: &Reader<&[u8]>, e: impl std::fmt::Display) -> HeaderError {
    HeaderError::Xml {
        position: reader.error_position(),
        message: e.to_string(),
    }
}

fn scan(text: &str, deadline: Instant, budget: Duration) -> Result<PackageHeader, HeaderError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut header = PackageHeader::default();
    let mut depth: usize = 0;
    let mut seen_root = false;
    let mut root_closed = false;
    // The name of the depth-1 `DTS:Property` being read, and its text so far.
    let mut property: Option<(String, String)> = None;
    let mut shape = ShapeCheck::new();
    let mut until_clock = EVENTS_PER_CLOCK_CHECK;

    loop {
        until_clock -= 1;
        if until_clock == 0 {
            until_clock = EVENTS_PER_CLOCK_CHECK;
            if Instant::now() > deadline {
                return Err(HeaderError::TooSlow(budget));
            }
        }
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| xml_error(&reader, e))?;
        match &event {
            Event::Start(e) => shape.start(e, false, at).map_err(HeaderError::Shape)?,
            Event::Empty(e) => shape.start(e, true, at).map_err(HeaderError::Shape)?,
            Event::End(_) => shape.end(),
            _ => {}
        }
        match event {
            Event::Start(e) | Event::Empty(e) if root_closed => {
                let _ = e;
                return Err(HeaderError::TrailingContent);
            }
            Event::Start(ref e) | Event::Empty(ref e) if !seen_root => {
                seen_root = true;
                let is_empty = matches!(event, Event::Empty(_));
                let encrypted = read_root(e, &mut header, &reader)?;
                if encrypted {
                    // Nothing inside an encrypted package is readable; still check it is whole.
                    header.encrypted = true;
                }
                if is_empty {
                    root_closed = true;
                } else {
                    depth = 1;
                }
            }
            Event::Start(e) => {
                if depth == 1 && !header.encrypted && local(e.name().as_ref()) == b"Property" {
                    property = Some((
                        attr(&e, b"Name", &reader)?.unwrap_or_default(),
                        String::new(),
                    ));
                }
                depth += 1;
            }
            Event::Empty(e)
                if depth == 1 && !header.encrypted && local(e.name().as_ref()) == b"Property" =>
            {
                let name = attr(&e, b"Name", &reader)?.unwrap_or_default();
                apply_property(&mut header, &name, "");
            }
            Event::Text(t) => {
                if let Some((_, value)) = property.as_mut() {
                    value.push_str(&t.decode().map_err(|e| xml_error(&reader, e))?);
                }
            }
            Event::CData(t) => {
                if let Some((_, value)) = property.as_mut() {
                    value.push_str(&t.decode().map_err(|e| xml_error(&reader, e))?);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, value)) = property.as_mut() {
                    if let Some(c) = r.resolve_char_ref().map_err(|e| xml_error(&reader, e))? {
                        value.push(c);
                    } else {
                        let name = r.decode().map_err(|e| xml_error(&reader, e))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => value.push_str(s),
                            None => {
                                return Err(xml_error(&reader, format!("unknown entity &{name};")))
                            }
                        }
                    }
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    if let Some((name, value)) = property.take() {
                        apply_property(&mut header, &name, &value);
                    }
                }
                if depth == 0 {
                    root_closed = true;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(HeaderError::NoRoot);
    }
    if !root_closed {
        return Err(HeaderError::Truncated);
    }
    Ok(header)
}

/// Checks the root element and reads the 2012+ attributes. Returns true for an encrypted package.
fn read_root(
    e: &BytesStart<'_>,
    header: &mut PackageHeader,
    reader: &Reader<&[u8]>,
) -> Result<bool, HeaderError> {
    let qname = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    match local(e.name().as_ref()) {
        b"EncryptedData" => return Ok(true),
        b"Executable" => {}
        _ => return Err(HeaderError::WrongRoot(qname)),
    }
    let mut in_dts_namespace = false;
    let mut executable_type = None;
    let mut attributes = e.attributes();
    attributes.with_checks(false);
    for a in attributes {
        let a = a.map_err(|err| xml_error(reader, err))?;
        let key = a.key.as_ref();
        let value = a.unescape_value().map_err(|err| xml_error(reader, err))?;
        if key.starts_with(b"xmlns") && value == DTS_NAMESPACE {
            in_dts_namespace = true;
        } else if !key.starts_with(b"xmlns") {
            let name = String::from_utf8_lossy(local(key)).into_owned();
            if name == "ExecutableType" {
                executable_type = Some(value.to_string());
            }
            apply_property(header, &name, &value);
        }
    }
    if !in_dts_namespace {
        return Err(HeaderError::WrongRoot(format!(
            "{qname} (not in namespace \"{DTS_NAMESPACE}\")"
        )));
    }
    match executable_type {
        Some(t) if is_package_type(&t) => Ok(false),
        Some(t) => Err(HeaderError::NotPackageType(t)),
        None => Err(HeaderError::NotPackageType("(none)".into())),
    }
}

fn is_package_type(t: &str) -> bool {
    let t = t.trim();
    t.eq_ignore_ascii_case("Microsoft.Package")
        || t.eq_ignore_ascii_case("STOCK:Package")
        || ["MSDTS.Package.", "SSIS.Package."]
            .iter()
            .any(|p| t.len() > p.len() && t[..p.len()].eq_ignore_ascii_case(p))
}

fn attr(
    e: &BytesStart<'_>,
    wanted: &[u8],
    reader: &Reader<&[u8]>,
) -> Result<Option<String>, HeaderError> {
    let mut attributes = e.attributes();
    attributes.with_checks(false);
    for a in attributes {
        let a = a.map_err(|err| xml_error(reader, err))?;
        if local(a.key.as_ref()) == wanted {
            return Ok(Some(
                a.unescape_value()
                    .map_err(|err| xml_error(reader, err))?
                    .into_owned(),
            ));
        }
    }
    Ok(None)
}

fn apply_property(h: &mut PackageHeader, name: &str, value: &str) {
    let text = || Some(value.to_string());
    let number = || value.trim().parse::<i64>().ok();
    match name {
        "ObjectName" => h.name = text(),
        "DTSID" => h.id = text(),
        "Description" => h.description = text(),
        "CreatorName" => h.creator_name = text(),
        "CreatorComputerName" => h.creator_computer = text(),
        "CreationDate" => h.creation_date = text(),
        "VersionMajor" => h.version_major = number(),
        "VersionMinor" => h.version_minor = number(),
        "VersionBuild" => h.version_build = number(),
        "VersionGUID" => h.version_guid = text(),
        "VersionComments" => h.version_comments = text(),
        "ProtectionLevel" => h.protection_level = parse_protection_level(value),
        "PackageFormatVersion" => h.format_version = number(),
        "PackageType" => h.package_type = number(),
        _ => {}
    }
}

impl PackageHeader {
    /// Fills the defaults that 2012+ files leave out (a property equal to its default is not
    /// written).
    pub fn with_defaults(mut self) -> Self {
        if self.encrypted {
            return self;
        }
        if self.format_version.unwrap_or(0) >= 6 {
            self.version_major.get_or_insert(1);
            self.version_minor.get_or_insert(0);
            self.version_build.get_or_insert(0);
            self.protection_level
                .get_or_insert(ProtectionLevel::EncryptSensitiveWithUserKey);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW_FORMAT: &str = r#"<?xml version="1.0"?>
<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package"
  DTS:CreationDate="3/22/2012 12:08:25 PM" DTS:CreationName="Microsoft.Package"
  DTS:DTSID="{4AE0980F-B710-4822-ABCD-51402EFB1702}" DTS:ExecutableType="Microsoft.Package"
  DTS:ObjectName="Nightly &amp; Load" DTS:ProtectionLevel="0" DTS:VersionBuild="4"
  DTS:Description="loads">
  <DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>
  <DTS:Executables><DTS:Executable DTS:ObjectName="Inner" DTS:ExecutableType="STOCK:SEQUENCE"/></DTS:Executables>
</DTS:Executable>"#;

    const OLD_FORMAT: &str = r#"<?xml version="1.0"?><DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ExecutableType="MSDTS.Package.1"><DTS:Property DTS:Name="PackageFormatVersion">2</DTS:Property><DTS:Property DTS:Name="ProtectionLevel">1</DTS:Property><DTS:Property DTS:Name="VersionMajor">1</DTS:Property><DTS:Property DTS:Name="VersionBuild">16</DTS:Property><DTS:ConnectionManager><DTS:Property DTS:Name="ObjectName">Not the package</DTS:Property></DTS:ConnectionManager><DTS:Property DTS:Name="ObjectName">Old &lt;one&gt;</DTS:Property><DTS:Property DTS:Name="DTSID">{27E6C277-C86C-452D-8BCC-C1B65EA5BABF}</DTS:Property><DTS:Property DTS:Name="Description"></DTS:Property></DTS:Executable>"#;

    #[test]
    fn reads_the_2012_format_from_attributes() {
        let h = read_package_header(NEW_FORMAT.as_bytes())
            .unwrap()
            .with_defaults();
        assert_eq!(h.name.as_deref(), Some("Nightly & Load"));
        assert_eq!(
            h.id.as_deref(),
            Some("{4AE0980F-B710-4822-ABCD-51402EFB1702}")
        );
        assert_eq!(h.format_version, Some(8));
        assert_eq!(h.version_build, Some(4));
        assert_eq!(h.version_major, Some(1));
        assert_eq!(h.protection_level, Some(ProtectionLevel::DontSaveSensitive));
        assert_eq!(h.description.as_deref(), Some("loads"));
    }

    #[test]
    fn reads_the_2005_format_from_depth_one_properties_only() {
        let h = read_package_header(OLD_FORMAT.as_bytes()).unwrap();
        assert_eq!(h.name.as_deref(), Some("Old <one>"));
        assert_eq!(h.format_version, Some(2));
        assert_eq!(h.version_build, Some(16));
        assert_eq!(h.description.as_deref(), Some(""));
        assert_eq!(
            h.protection_level,
            Some(ProtectionLevel::EncryptSensitiveWithUserKey)
        );
    }

    #[test]
    fn reads_utf8_bom_and_utf16() {
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(NEW_FORMAT.as_bytes());
        assert!(read_package_header(&bom).is_ok());
        let utf16 = NEW_FORMAT.replace(
            "<?xml version=\"1.0\"?>",
            "<?xml version=\"1.0\" encoding=\"utf-16\"?>",
        );
        let mut le = vec![0xFF, 0xFE];
        le.extend(utf16.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(
            read_package_header(&le).unwrap().name.as_deref(),
            Some("Nightly & Load")
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend(utf16.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert!(read_package_header(&be).is_ok());
    }

    #[test]
    fn accepts_a_package_encrypted_whole() {
        let enc = r#"<?xml version="1.0"?><EncryptedData Type="http://www.w3.org/2001/04/xmlenc#Element" xmlns="http://www.w3.org/2001/04/xmlenc#"><CipherData><CipherValue>AAAA</CipherValue></CipherData></EncryptedData>"#;
        let h = read_package_header(enc.as_bytes()).unwrap();
        assert!(h.encrypted);
        assert_eq!(h.name, None);
    }

    #[test]
    fn refuses_what_is_not_a_package() {
        type Check = fn(&HeaderError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("", |e| matches!(e, HeaderError::Empty)),
            ("hello", |e| {
                matches!(e, HeaderError::NoRoot | HeaderError::Xml { .. })
            }),
            ("<html><body/></html>", |e| {
                matches!(e, HeaderError::WrongRoot(_))
            }),
            (r#"<DTS:Executable xmlns:DTS="other"/>"#, |e| {
                matches!(e, HeaderError::WrongRoot(_))
            }),
            (
                r#"<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ExecutableType="STOCK:SEQUENCE"/>"#,
                |e| matches!(e, HeaderError::NotPackageType(_)),
            ),
            (
                r#"<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ExecutableType="Microsoft.Package"><DTS:Property>"#,
                |e| matches!(e, HeaderError::Truncated | HeaderError::Xml { .. }),
            ),
            (
                r#"<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ExecutableType="Microsoft.Package"></DTS:Executable><x/>"#,
                |e| matches!(e, HeaderError::TrailingContent),
            ),
            (
                r#"<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ExecutableType="Microsoft.Package"><a></b></DTS:Executable>"#,
                |e| matches!(e, HeaderError::Xml { .. }),
            ),
        ];
        for (input, check) in cases {
            let err = read_package_header(input.as_bytes()).unwrap_err();
            assert!(check(&err), "{input:?} gave {err:?}");
        }
        assert!(matches!(
            read_package_header(&[0xff, 0x00, 0x41]).unwrap_err(),
            HeaderError::Encoding(_) | HeaderError::Xml { .. }
        ));
    }

    #[test]
    fn truncation_anywhere_is_refused() {
        for cut in 1..OLD_FORMAT.len() - 1 {
            assert!(
                read_package_header(&OLD_FORMAT.as_bytes()[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    /// Hostile shapes end in an error naming the limit: 200,000 nested elements (the loader's
    /// DOM parser overflowed its stack on them), a million attributes on the root (quadratic
    /// duplicate checks never finished) and a duplicate attribute.
    #[test]
    fn hostile_shapes_are_refused_naming_the_limit() {
        let n = 200_000;
        let deep = NEW_FORMAT.replacen(
            "</DTS:Executables>\n</DTS:Executable>",
            &format!(
                "</DTS:Executables>{}{}\n</DTS:Executable>",
                "<a>".repeat(n),
                "</a>".repeat(n)
            ),
            1,
        );
        let err = read_package_header(deep.as_bytes()).unwrap_err();
        assert!(
            matches!(err, HeaderError::Shape(ShapeError::TooDeep { .. })),
            "{err}"
        );
        assert!(err.to_string().contains("256 deep"), "{err}");

        let attrs: String = (0..1_000_000).map(|i| format!(" x{i}=\"\"")).collect();
        let wide = NEW_FORMAT.replacen("DTS:refId=", &format!("{attrs} DTS:refId="), 1);
        let err = read_package_header(wide.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                HeaderError::Shape(ShapeError::TooManyAttributes { .. })
            ),
            "{err}"
        );
        assert!(err.to_string().contains("256 attributes"), "{err}");

        let twice = NEW_FORMAT.replacen(
            "DTS:refId=\"Package\"",
            "DTS:refId=\"A\" DTS:refId=\"B\"",
            1,
        );
        let err = read_package_header(twice.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                HeaderError::Shape(ShapeError::DuplicateAttribute { .. })
            ),
            "{err}"
        );
    }

    #[test]
    fn reading_gives_up_at_its_deadline() {
        let err = read_package_header_within(NEW_FORMAT.as_bytes(), Duration::ZERO);
        assert!(matches!(err, Err(HeaderError::TooSlow(_))), "{err:?}");
    }
}
