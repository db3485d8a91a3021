//! What only the 2005/2008 formats (PackageFormatVersion 2 and 3) need: the format version
//! implied by the package's ProgID when `PackageFormatVersion` is missing, and precedence
//! constraint ends written as `<DTS:Executable IDREF="{dtsid}" DTS:IsFrom="-1|0"/>`
//! children. Everything shared with 2012+ is in `xml` and `builder`; this file must not
//! build model objects.

use roxmltree::Node;

use super::xml::{dts_attr, dts_children};

/// The format version implied by a package's `ExecutableType`, or 0 when unknown.
pub(crate) fn infer_format_version(executable_type: &str) -> u32 {
    let t = executable_type.trim();
    if t.eq_ignore_ascii_case("MSDTS.Package.1") {
        2
    } else if t.eq_ignore_ascii_case("SSIS.Package.2") || t.eq_ignore_ascii_case("MSDTS.Package.2")
    {
        3
    } else if t.eq_ignore_ascii_case("SSIS.Package.3") {
        6
    } else if t.eq_ignore_ascii_case("Microsoft.Package") {
        8
    } else {
        0
    }
}

/// The (from, to) DTSIDs of a 2005/2008 precedence constraint.
pub(crate) fn constraint_ends(node: Node) -> (Option<String>, Option<String>) {
    let mut from = None;
    let mut to = None;
    for end in dts_children(node, "Executable") {
        let Some(idref) = end.attribute("IDREF").or_else(|| dts_attr(end, "IDREF")) else {
            continue;
        };
        let is_from = matches!(
            dts_attr(end, "IsFrom").map(str::trim),
            Some("-1" | "1" | "True" | "true")
        );
        if is_from {
            from = Some(idref.to_string());
        } else {
            to = Some(idref.to_string());
        }
    }
    (from, to)
}

/// Compares two DTSIDs, ignoring case and braces.
pub(crate) fn same_dtsid(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim()
            .trim_start_matches('{')
            .trim_end_matches('}')
            .to_string()
    };
    !a.trim().is_empty() && norm(a).eq_ignore_ascii_case(&norm(b))
}
