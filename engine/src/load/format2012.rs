//! What only the 2012+ formats (PackageFormatVersion 6 and 8) need: precedence constraint
//! ends written as `DTS:From`/`DTS:To` refIds, and package parameters
//! (`DTS:PackageParameters`). Everything shared with 2005/2008 is in `xml` and `builder`;
//! this file must not know about the older layout.

use roxmltree::Node;

use super::error::LoadError;
use super::xml::{items, Ctx, Props};
use crate::model::{path, Parameter};

/// The (from, to) refIds of a 2012+ precedence constraint.
pub(crate) fn constraint_ends(props: &Props) -> (Option<String>, Option<String>) {
    (
        props.get("From").map(str::to_string),
        props.get("To").map(str::to_string),
    )
}

/// Whether `ref_id` names the executable with refId `candidate_ref` or name `name`:
/// exact refId, or the last `\` segment equal to the name.
pub(crate) fn ref_matches(ref_id: &str, candidate_ref: Option<&str>, name: &str) -> bool {
    if candidate_ref == Some(ref_id) {
        return true;
    }
    ref_id.rsplit('\\').next() == Some(name)
}

/// The package parameters of a 2012+ package.
pub(crate) fn parameters(ctx: &mut Ctx, root: Node) -> Result<Vec<Parameter>, LoadError> {
    let mut out = Vec::new();
    for node in items(root, "PackageParameters", "PackageParameter") {
        let mut p = Props::of(ctx, node);
        let name = p.string("ObjectName");
        p.path = path::item(path::PACKAGE_ROOT, "Parameters", &name);
        let sensitive = p.bool("Sensitive", false)?;
        let mut value = p.string("ParameterValue");
        if sensitive && ctx.blank_sensitive && !value.trim().is_empty() {
            value.clear();
            ctx.note_unreadable(&p.path, "ParameterValue");
        }
        for b in &p.blanked {
            ctx.note_unreadable(&p.path, b);
        }
        let data_type = p.int("DataType", 0)?;
        out.push(Parameter {
            name,
            dtsid: p.string("DTSID"),
            description: p.string("Description"),
            data_type: u16::try_from(data_type).unwrap_or(0),
            value,
            sensitive,
            required: p.bool("Required", false)?,
            path: p.path.clone(),
        });
    }
    Ok(out)
}
