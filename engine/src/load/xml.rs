//! DOM helpers shared by both format readers: the DTS namespace test, the unified property
//! reader (2012+ attributes and 2005/2008 `DTS:Property` children in one map), collection
//! lookup with or without collection elements, raw XML slices with sensitive values blanked,
//! and positions for errors. It must not know which model object is being built.

use std::collections::BTreeMap;

use roxmltree::Node;

use super::error::LoadError;
use super::LoadOptions;
use crate::model::{RawXml, SensitiveValue};

pub(crate) const DTS_NS: &str = "www.microsoft.com/SqlServer/Dts";

/// State of one load: the document, its text, the options and what was blanked.
pub(crate) struct Ctx<'a, 'input> {
    pub src: &'input str,
    pub opts: &'a LoadOptions,
    /// Whether sensitive values must be left empty (user-key protection).
    pub blank_sensitive: bool,
    pub unreadable: Vec<SensitiveValue>,
    /// Byte offsets where lines start, built on first use: positions are looked up for every
    /// object, and scanning from the top each time would make loading quadratic.
    pub line_starts: std::cell::OnceCell<Vec<usize>>,
}

impl Ctx<'_, '_> {
    /// 1-based line and column (in characters) of `node`'s start.
    pub fn pos(&self, node: Node) -> (u32, u32) {
        let offset = node.range().start.min(self.src.len());
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.src.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let line = starts.partition_point(|&s| s <= offset).max(1);
        let start = starts[line - 1];
        let column = self
            .src
            .get(start..offset)
            .map_or(0, |text| text.chars().count());
        (line as u32, column as u32 + 1)
    }

    pub fn invalid(&self, node: Node, path: &str, message: impl Into<String>) -> LoadError {
        let (line, column) = self.pos(node);
        LoadError::Invalid {
            path: path.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    pub fn note_unreadable(&mut self, owner: &str, name: &str) {
        let v = SensitiveValue {
            owner: owner.to_string(),
            name: name.to_string(),
        };
        if !self.unreadable.contains(&v) {
            self.unreadable.push(v);
        }
    }

    /// The content of `node` (between its tags) as in the file, with the content of every
    /// sensitive descendant removed when sensitive values cannot be read. Unreadable values
    /// are recorded against `owner`.
    pub fn raw_inner(&mut self, node: Node, owner: &str) -> RawXml {
        let (Some(first), Some(last)) = (node.first_child(), node.last_child()) else {
            return RawXml::default();
        };
        let (start, end) = (first.range().start, last.range().end);
        let mut cuts: Vec<(usize, usize, String)> = Vec::new();
        if self.blank_sensitive {
            for d in node
                .descendants()
                .filter(|d| d.is_element() && is_sensitive(*d))
            {
                if let (Some(f), Some(l)) = (d.first_child(), d.last_child()) {
                    let (s, e) = (f.range().start, l.range().end);
                    if s < e && !cuts.iter().any(|(cs, ce, _)| *cs <= s && e <= *ce) {
                        cuts.push((s, e, sensitive_name(d)));
                    }
                }
            }
        }
        let mut out = String::with_capacity(end.saturating_sub(start));
        let mut at = start;
        for (s, e, name) in cuts {
            if s < at || e > end {
                continue;
            }
            out.push_str(self.src.get(at..s).unwrap_or(""));
            at = e;
            self.note_unreadable(owner, &name);
        }
        out.push_str(self.src.get(at..end).unwrap_or(""));
        RawXml(out)
    }
}

/// Whether `node` is the element `DTS:local`.
pub(crate) fn is_dts(node: Node, local: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == local
        && node
            .tag_name()
            .namespace()
            .is_some_and(|ns| ns.eq_ignore_ascii_case(DTS_NS))
}

/// The attribute `DTS:name` of `node`.
pub(crate) fn dts_attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| {
            a.name() == name
                && a.namespace()
                    .is_some_and(|ns| ns.eq_ignore_ascii_case(DTS_NS))
        })
        .map(|a| a.value())
}

/// Direct children `DTS:local` of `node`.
pub(crate) fn dts_children<'a, 'input>(
    node: Node<'a, 'input>,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children().filter(move |c| is_dts(*c, local))
}

pub(crate) fn dts_child<'a, 'input>(
    node: Node<'a, 'input>,
    local: &str,
) -> Option<Node<'a, 'input>> {
    node.children().find(|c| is_dts(*c, local))
}

/// The items `DTS:item` of `node`: direct children (2005/2008) and children of the
/// collection element `DTS:collection` (2012+).
pub(crate) fn items<'a, 'input>(
    node: Node<'a, 'input>,
    collection: &str,
    item: &str,
) -> Vec<Node<'a, 'input>> {
    let mut out = Vec::new();
    for c in node.children().filter(|c| c.is_element()) {
        if is_dts(c, item) {
            out.push(c);
        } else if is_dts(c, collection) {
            out.extend(c.children().filter(|g| is_dts(*g, item)));
        }
    }
    out
}

/// The text content of an element (all text children joined).
pub(crate) fn text_of(node: Node) -> String {
    node.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect()
}

fn truthy(v: &str) -> bool {
    matches!(v.trim(), "1" | "-1" | "True" | "true" | "TRUE")
}

/// Whether an element is marked `Sensitive="1"` (in any namespace).
pub(crate) fn is_sensitive(node: Node) -> bool {
    node.attributes()
        .any(|a| a.name() == "Sensitive" && truthy(a.value()))
}

fn sensitive_name(node: Node) -> String {
    dts_attr(node, "Name")
        .map(str::to_string)
        .unwrap_or_else(|| node.tag_name().name().to_string())
}

/// The properties of one element, whichever way the format writes them.
pub(crate) struct Props {
    map: BTreeMap<String, String>,
    /// Names of sensitive properties whose (non-empty) values were blanked.
    pub blanked: Vec<String>,
    line: u32,
    column: u32,
    /// Path used in error messages; set once the owner's path is known.
    pub path: String,
}

impl Props {
    /// Reads `DTS:` attributes and `DTS:Property` / `DTS:Password` children of `node`.
    pub fn of(ctx: &Ctx, node: Node) -> Props {
        let mut map = BTreeMap::new();
        let mut blanked = Vec::new();
        for a in node.attributes() {
            if a.namespace()
                .is_some_and(|ns| ns.eq_ignore_ascii_case(DTS_NS))
            {
                map.insert(a.name().to_string(), a.value().to_string());
            }
        }
        for c in node.children() {
            if !(is_dts(c, "Property") || is_dts(c, "Password")) {
                continue;
            }
            let Some(name) = dts_attr(c, "Name") else {
                continue;
            };
            let mut value = text_of(c);
            if ctx.blank_sensitive && is_sensitive(c) && !value.trim().is_empty() {
                value.clear();
                blanked.push(name.to_string());
            }
            map.insert(name.to_string(), value);
        }
        let (line, column) = ctx.pos(node);
        Props {
            map,
            blanked,
            line,
            column,
            path: String::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    pub fn string(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_string()
    }

    pub fn into_map(self) -> BTreeMap<String, String> {
        self.map
    }

    fn bad(&self, name: &str, value: &str, expected: &str) -> LoadError {
        LoadError::Invalid {
            path: self.path.clone(),
            line: self.line,
            column: self.column,
            message: format!(
                "property {name} has the value {value:?}, expected {expected}; fix the value in \
                 the package"
            ),
        }
    }

    /// A boolean: `True`/`False` (2012+) or `-1`/`0` (2005/2008); absent or empty = `default`.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, LoadError> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(default),
            Some("-1" | "1" | "True" | "true" | "TRUE") => Ok(true),
            Some("0" | "False" | "false" | "FALSE") => Ok(false),
            Some(v) => Err(self.bad(name, v, "True/False or -1/0")),
        }
    }

    /// An integer; absent or empty = `default`.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, LoadError> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(default),
            Some(v) => v.parse().map_err(|_| self.bad(name, v, "an integer")),
        }
    }

    /// An integer that must fit in an `i32`.
    pub fn i32(&self, name: &str, default: i32) -> Result<i32, LoadError> {
        let v = self.int(name, i64::from(default))?;
        i32::try_from(v).map_err(|_| self.bad(name, &v.to_string(), "a 32-bit integer"))
    }
}

/// The name of an element that names an object: its `DTS:ObjectName` attribute (2012+) or its
/// `ObjectName` property child (2005/2008).
fn object_name_of(node: Node) -> Option<String> {
    dts_attr(node, "ObjectName")
        .map(str::to_string)
        .or_else(|| {
            node.children()
                .find(|c| is_dts(*c, "Property") && dts_attr(*c, "Name") == Some("ObjectName"))
                .map(text_of)
        })
}

/// For an `EncryptedData` element left closed (no package password): the package path of the
/// object holding it and the name of the value, as well as they can be told without opening it.
pub(crate) fn encrypted_owner(node: Node) -> (String, String) {
    let mut owner = crate::model::path::PACKAGE_ROOT.to_string();
    let mut item: Option<(&str, String)> = None;
    let chain: Vec<Node> = node
        .ancestors()
        .skip(1)
        .filter(|a| a.is_element())
        .collect();
    for a in chain.iter().rev() {
        let named = || object_name_of(*a).unwrap_or_else(|| "(unnamed)".into());
        if is_dts(*a, "Executable") && a.parent_element().is_some() {
            owner = crate::model::path::child(&owner, &named());
            item = None;
        } else if is_dts(*a, "ConnectionManager") && item.is_none() {
            item = Some(("Connections", named()));
        } else if is_dts(*a, "PackageParameter") {
            item = Some(("Parameters", named()));
        } else if is_dts(*a, "Variable") {
            item = Some(("Variables", named()));
        }
    }
    if let Some((collection, name)) = item {
        owner = crate::model::path::item(&owner, collection, &name);
    }
    let name = node
        .parent_element()
        .filter(|p| is_dts(*p, "Property") || is_dts(*p, "Password"))
        .and_then(|p| dts_attr(p, "Name"))
        .map_or_else(
            || {
                let parent = node
                    .parent_element()
                    .map_or("package", |p| p.tag_name().name());
                format!("encrypted in <{parent}>")
            },
            str::to_string,
        );
    (owner, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use roxmltree::Document;

    #[test]
    fn props_from_attributes_and_children() {
        let xml = r#"<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ObjectName="A" DTS:Disabled="True">
            <DTS:Property DTS:Name="MaxErrorCount">3</DTS:Property>
            <DTS:Property DTS:Name="FailPackageOnFailure">-1</DTS:Property>
            <DTS:Password DTS:Name="Password" Sensitive="1">secret</DTS:Password>
          </DTS:Executable>"#;
        let doc = Document::parse(xml).unwrap();
        let opts = LoadOptions::default();
        let ctx = Ctx {
            src: xml,
            opts: &opts,
            blank_sensitive: true,
            unreadable: Vec::new(),
            line_starts: Default::default(),
        };
        let p = Props::of(&ctx, doc.root_element());
        assert_eq!(p.get("ObjectName"), Some("A"));
        assert!(p.bool("Disabled", false).unwrap());
        assert!(p.bool("FailPackageOnFailure", false).unwrap());
        assert_eq!(p.int("MaxErrorCount", 1).unwrap(), 3);
        assert_eq!(p.get("Password"), Some(""));
        assert_eq!(p.blanked, vec!["Password".to_string()]);
        assert!(p.bool("ObjectName", false).is_err());
    }

    #[test]
    fn positions_match_the_parser_s_own() {
        let xml = "<a>\n  <b x=\"1\"/>\r\n\t<ü>é<c/></ü>\n<d/></a>";
        let doc = Document::parse(xml).unwrap();
        let opts = LoadOptions::default();
        let ctx = Ctx {
            src: xml,
            opts: &opts,
            blank_sensitive: false,
            unreadable: Vec::new(),
            line_starts: Default::default(),
        };
        for node in doc.descendants().filter(|n| n.is_element()) {
            let p = doc.text_pos_at(node.range().start);
            assert_eq!(ctx.pos(node), (p.row, p.col), "{:?}", node.tag_name());
        }
    }
}
