//! The stock components, one directory each: `sources/`, `transforms/`, `destinations/`. Each
//! directory holds the component and its `ENTRY` for the registry. Shared helpers for the
//! components (custom property reading, lineage references in property values) are here, the
//! file name of the Raw File adapters in `raw_file_name.rs`, and `sorted.rs` says what order
//! upstream declares for an input.

pub mod destinations;
pub mod raw_file_name;
pub mod sorted;
pub mod sources;
pub mod transforms;

use ssisd_engine::model::CustomProperty;

use crate::metadata::FlowMetadata;

/// The text of custom property `name` in `props`.
pub fn prop<'a>(props: &'a [CustomProperty], name: &str) -> Option<&'a str> {
    ssisd_engine::model::find_property(props, name).map(|p| p.value.as_str())
}

/// A Boolean custom property (`true`/`false`, `-1`/`0`).
pub fn prop_bool(props: &[CustomProperty], name: &str) -> Option<bool> {
    prop(props, name).map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "-1" | "1"))
}

/// An integer custom property.
pub fn prop_int(props: &[CustomProperty], name: &str) -> Option<i64> {
    prop(props, name).and_then(|v| v.trim().parse().ok())
}

/// A lineage reference stored in a property value: `123`, `#123` or `#{refId}`.
pub fn lineage_ref(meta: &FlowMetadata<'_>, text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(r) = t.strip_prefix("#{").and_then(|r| r.strip_suffix('}')) {
        return meta.lineage_of_ref(r);
    }
    t.trim_start_matches('#').parse().ok()
}

/// The generator of a sampling component: seeded from SamplingSeed, or from the clock when the
/// seed is 0 or absent (SSIS seeds from the tick count then). The generator is PCG-64 (MCG),
/// not SSIS's own undocumented one, so a seed gives the same sample on every ssisd run but not
/// the sample SSIS would draw.
pub fn seeded_rng(props: &[CustomProperty]) -> rand_pcg::Pcg64Mcg {
    use rand_pcg::rand_core::SeedableRng;
    let seed = prop_int(props, "SamplingSeed").unwrap_or(0);
    let seed = if seed == 0 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    } else {
        seed as u64
    };
    rand_pcg::Pcg64Mcg::seed_from_u64(seed)
}
