//! The one list of data-flow components this engine runs: each entry names the component, every
//! class-id spelling SSIS has written for it (2005/2008/2012 GUIDs, format-6 ProgIDs such as
//! `DTSAdapter.FlatFileSource.3` in any version, 2014+ monikers such as
//! `Microsoft.FlatFileSource`, and `UserComponentTypeName`s behind the managed-component
//! wrapper) and its factory. Configuration, /VALIDATE and every refusal consult it; nothing
//! else keeps a list of components. Adding a component is its directory under `components/`
//! plus one line in [`COMPONENTS`]. A component without an entry is refused by its name and
//! class id (and, when known, what it is), never skipped. It must not hold component logic.

use ssisd_engine::model::Component as ModelComponent;

use crate::codes;
use crate::component::Factory;
use crate::components::{destinations, sources, transforms};
use crate::error::PipelineError;

/// One runnable component.
pub struct ComponentEntry {
    /// The component as the SSIS toolbox names it.
    pub name: &'static str,
    /// Every spelling of its class id (ProgIDs without their trailing version), compared
    /// without regard to case.
    pub class_ids: &'static [&'static str],
    pub create: Factory,
}

/// Every component the engine runs.
pub const COMPONENTS: &[&ComponentEntry] = &[
    &sources::flat_file::ENTRY,
    &sources::ole_db::ENTRY,
    &sources::odbc::ENTRY,
    &sources::ado_net::ENTRY,
    &sources::raw_file::ENTRY,
    &sources::excel::ENTRY,
    &transforms::derived_column::ENTRY,
    &transforms::data_conversion::ENTRY,
    &transforms::conditional_split::ENTRY,
    &transforms::multicast::ENTRY,
    &transforms::union_all::ENTRY,
    &transforms::row_count::ENTRY,
    &transforms::ole_db_command::ENTRY,
    &transforms::cache_transform::ENTRY,
    &transforms::lookup::ENTRY,
    &transforms::sort::ENTRY,
    &transforms::merge::ENTRY,
    &transforms::merge_join::ENTRY,
    &transforms::aggregate::ENTRY,
    &transforms::copy_column::ENTRY,
    &transforms::character_map::ENTRY,
    &transforms::audit::ENTRY,
    &transforms::row_sampling::ENTRY,
    &transforms::percentage_sampling::ENTRY,
    &transforms::slowly_changing_dimension::ENTRY,
    &transforms::script_component::ENTRY,
    &destinations::flat_file::ENTRY,
    &destinations::ole_db::ENTRY,
    &destinations::odbc::ENTRY,
    &destinations::ado_net::ENTRY,
    &destinations::trash::ENTRY,
    &destinations::raw_file::ENTRY,
    &destinations::recordset::ENTRY,
    &destinations::excel::ENTRY,
    &destinations::sql_server::ENTRY,
];

/// Class ids of the managed-component wrapper, behind which `UserComponentTypeName` names the
/// component.
const MANAGED_WRAPPERS: &[&str] = &[
    "{BF01D463-7089-41EE-8F05-0A6DC17CE633}",
    "{2E42D45B-F83C-400F-8D77-61DDE6A7DF29}",
    "{874F7595-FB5F-40FF-96AF-FBFF8250E3EF}",
    "DTS.ManagedComponentWrapper",
    "Microsoft.ManagedComponentHost",
];

/// Components SSIS has that this engine does not run yet, by class id, so that a refusal can
/// say what the component is even when the package's own name for it says nothing.
const NOT_BUILT: &[(&str, &str)] = &[
    (
        "{25BBB0C5-369B-4303-B3DF-D0DC741DEE58}",
        "Slowly Changing Dimension",
    ),
    ("Microsoft.BDD", "Balanced Data Distributor"),
    ("Microsoft.SSISOracleSrc", "Oracle Source"),
    (
        "Microsoft.SqlServer.Dts.Pipeline.XmlSourceAdapter",
        "XML Source",
    ),
];

/// A class id without a ProgID's trailing version (`DTSAdapter.FlatFileSource.3` →
/// `DTSAdapter.FlatFileSource`) and without assembly qualification.
fn normalise(class_id: &str) -> &str {
    let head = class_id.split(',').next().unwrap_or("").trim();
    if head.starts_with('{') {
        return head;
    }
    match head.rsplit_once('.') {
        Some((rest, v)) if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => head,
    }
}

/// The identity a component is looked up by: its class id, or behind the managed wrapper its
/// `UserComponentTypeName`.
pub fn identity(c: &ModelComponent) -> String {
    let id = normalise(&c.class_id);
    if MANAGED_WRAPPERS.iter().any(|w| w.eq_ignore_ascii_case(id)) {
        if let Some(t) = c.property_text("UserComponentTypeName") {
            return normalise(t).to_string();
        }
    }
    id.to_string()
}

/// The entry that runs `c`, if any.
pub fn lookup(c: &ModelComponent) -> Option<&'static ComponentEntry> {
    let id = identity(c);
    COMPONENTS
        .iter()
        .copied()
        .find(|e| e.class_ids.iter().any(|k| k.eq_ignore_ascii_case(&id)))
}

/// What the component is, as far as its class id or contact information tells.
pub fn kind_name(c: &ModelComponent) -> Option<String> {
    let id = identity(c);
    if let Some(e) = lookup(c) {
        return Some(e.name.to_string());
    }
    if let Some((_, n)) = NOT_BUILT.iter().find(|(k, _)| k.eq_ignore_ascii_case(&id)) {
        return Some(n.to_string());
    }
    let first = c.contact_info.split(';').next().unwrap_or("").trim();
    if !first.is_empty() {
        return Some(first.to_string());
    }
    // Behind the managed wrapper, the type's own name says what it is.
    (id != normalise(&c.class_id)).then(|| id.rsplit('.').next().unwrap_or(&id).to_string())
}

/// The refusal of a component without an entry: its name, what it is, its class id.
pub fn refusal(c: &ModelComponent, task_path: &str) -> PipelineError {
    let what = kind_name(c).unwrap_or_else(|| "an unknown component".to_string());
    let id = identity(c);
    let class = if id == c.class_id {
        c.class_id.clone()
    } else {
        format!("{} ({id})", c.class_id)
    };
    PipelineError::new(
        codes::COMPONENT_NOT_SUPPORTED,
        c.name.clone(),
        format!(
            "{task_path}: component \"{}\" ({what}, class id {class}) cannot run: ssisd's data flow does not have this component yet",
            c.name
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(class_id: &str) -> ModelComponent {
        ModelComponent {
            name: "C".into(),
            class_id: class_id.into(),
            ..Default::default()
        }
    }

    #[test]
    fn every_spelling_resolves_to_one_entry() {
        for (id, name) in [
            ("{5ACD952A-F16A-41D8-A681-713640837664}", "Flat File Source"),
            ("{5acd952a-f16a-41d8-a681-713640837664}", "Flat File Source"),
            ("{D23FD76B-F51D-420F-BBCB-19CBF6AC1AB4}", "Flat File Source"),
            ("DTSAdapter.FlatFileSource.3", "Flat File Source"),
            ("DTSAdapter.FlatFileSource.4", "Flat File Source"),
            ("Microsoft.FlatFileSource", "Flat File Source"),
            (
                "{A1DF9F6D-8EE4-4EF0-BB2E-D526130D7A7B}",
                "Flat File Destination",
            ),
            (
                "{D658C424-8CF0-441C-B3C4-955E183B7FBA}",
                "Flat File Destination",
            ),
            ("DTSAdapter.FlatFileDestination.3", "Flat File Destination"),
            ("Microsoft.FlatFileDestination", "Flat File Destination"),
            ("{2932025B-AB99-40F6-B5B8-783A73F80E24}", "Derived Column"),
            ("{49928E82-9C4E-49F0-AABE-3812B82707EC}", "Derived Column"),
            ("DTSTransform.DerivedColumn.3", "Derived Column"),
            ("Microsoft.DerivedColumn", "Derived Column"),
            ("{BD06A22E-BC69-4AF7-A69B-C44C2EF684BB}", "Data Conversion"),
            ("{62B1106C-7DB8-4EC8-ADD6-4C664DFFC54A}", "Data Conversion"),
            ("Microsoft.DataConvert", "Data Conversion"),
            (
                "{3AE878C6-0D6C-4F48-8128-40E00E9C1B7D}",
                "Conditional Split",
            ),
            (
                "{7F88F654-4E20-4D14-84F4-AF9C925D3087}",
                "Conditional Split",
            ),
            ("DTSTransform.ConditionalSplit.3", "Conditional Split"),
            ("Microsoft.ConditionalSplit", "Conditional Split"),
            ("{1ACA4459-ACE0-496F-814A-8611F9C27E23}", "Multicast"),
            ("{EC139FBC-694E-490B-8EA7-35690FB0F445}", "Multicast"),
            ("Microsoft.Multicast", "Multicast"),
            ("{4D9F9B7C-84D9-4335-ADB0-2542A7E35422}", "Union All"),
            ("{B594E9A8-4351-4939-891C-CFE1AB93E925}", "Union All"),
            ("Microsoft.UnionAll", "Union All"),
            ("{DE50D3C7-41AF-4804-9247-CF1DEB147971}", "Row Count"),
            ("{150E6007-7C6A-4CC3-8FF3-FC73783A972E}", "Row Count"),
            ("{E2697D8C-70DA-42B2-8208-A19CE3A9FE41}", "Row Count"),
            ("Microsoft.RowCount", "Row Count"),
            ("{2C0A8BE5-1EDC-4353-A0EF-B778599C65A0}", "OLE DB Source"),
            ("{BCEFE59B-6819-47F7-A125-63753B33ABB7}", "OLE DB Source"),
            ("{165A526D-D5DE-47FF-96A6-F8274C19826B}", "OLE DB Source"),
            ("DTSAdapter.OLEDBSource.3", "OLE DB Source"),
            ("Microsoft.OLEDBSource", "OLE DB Source"),
            (
                "{E2568105-9550-4F71-A638-B7FE42E66922}",
                "OLE DB Destination",
            ),
            (
                "{5A0B62E8-D91D-49F5-94A5-7BE58DE508F0}",
                "OLE DB Destination",
            ),
            (
                "{4ADA7EAA-136C-4215-8098-D7A7C27FC0D1}",
                "OLE DB Destination",
            ),
            ("DTSAdapter.OLEDBDestination.3", "OLE DB Destination"),
            ("Microsoft.OLEDBDestination", "OLE DB Destination"),
            ("Microsoft.SSISODBCSrc", "ODBC Source"),
            ("Attunity.SSISODBCSrc", "ODBC Source"),
            ("Microsoft.SSISODBCDst", "ODBC Destination"),
            ("Attunity.SSISODBCDst", "ODBC Destination"),
            ("{93FFEC66-CBC8-4C7F-9C6A-CB1C17A7567D}", "OLE DB Command"),
            ("Microsoft.OLEDBCommand", "OLE DB Command"),
            ("{07127A7C-164B-422A-AD1F-24BE39B4DB38}", "Sort"),
            ("{F1CEE4CE-066D-4FBE-9DC4-CD97202F3450}", "Sort"),
            ("Microsoft.Sort", "Sort"),
            ("{A18A4D58-7C7A-4448-8B98-AE2CEFE81B4C}", "Merge Join"),
            ("{14D43A4F-D7BD-489D-829E-6DE35750CFE4}", "Merge Join"),
            ("Microsoft.MergeJoin", "Merge Join"),
            ("DTSTransform.Merge.3", "Merge"),
            ("Microsoft.Merge", "Merge"),
            ("{9ABE8DF3-0052-42DB-8B18-2089E1D1D1B7}", "Aggregate"),
            ("{5B201335-B360-485C-BB93-75C34E09B3D3}", "Aggregate"),
            ("Microsoft.Aggregate", "Aggregate"),
            ("DTSTransform.CopyMap.3", "Copy Column"),
            ("{DEC33219-BA68-4FEB-AC98-9C1B1E577A8D}", "Character Map"),
            ("{32711D35-7D9D-44E5-B57E-A17D33D5C38C}", "Audit"),
            ("Microsoft.Lineage", "Audit"),
            ("{19FBD9D1-7707-49F8-8EB2-BD7C6DA183C2}", "Row Sampling"),
            ("Microsoft.PctSampling", "Percentage Sampling"),
            (
                "{C457FD7E-CE98-4C4B-AEFE-F3AE0044F181}",
                "Recordset Destination",
            ),
            (
                "{167AF7E9-BA81-425F-B73D-E30C2DCC0F09}",
                "Recordset Destination",
            ),
            ("DTSAdapter.RecordsetDestination.2", "Recordset Destination"),
            ("Microsoft.RecordsetDestination", "Recordset Destination"),
        ] {
            assert_eq!(lookup(&comp(id)).map(|e| e.name), Some(name), "{id}");
        }
    }

    #[test]
    fn components_not_built_are_refused_by_name_and_class_id() {
        let mut c = comp("Microsoft.SSISOracleSrc");
        c.name = "Read orders".into();
        assert!(lookup(&c).is_none());
        let e = refusal(&c, "\\Package\\Load");
        assert_eq!(
            e.message,
            "\\Package\\Load: component \"Read orders\" (Oracle Source, class id Microsoft.SSISOracleSrc) cannot run: ssisd's data flow does not have this component yet"
        );
        let mut s = comp("Microsoft.ManagedComponentHost");
        s.properties.push(ssisd_engine::model::CustomProperty {
            name: "UserComponentTypeName".into(),
            value: "Microsoft.ScriptComponentHost".into(),
            ..Default::default()
        });
        assert_eq!(lookup(&s).map(|e| e.name), Some("Script Component"));
        let mut x = comp("{00000000-0000-0000-0000-000000000001}");
        x.contact_info = "Fancy Widget;Acme".into();
        assert!(refusal(&x, "\\P")
            .message
            .contains("(Fancy Widget, class id"));
    }
}
