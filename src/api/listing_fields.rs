//! The `fields` choice of a folder listing: which package fields a client wants, so that a
//! large folder need not be sent whole. Parses the list and serialises packages with only
//! those fields; the listing itself (what is in a folder) is the store's.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use ssisd_stores::PackageEntry;

use super::error::ApiError;

/// Every package field a listing can show.
pub const FIELDS: &[&str] = &[
    "name",
    "size",
    "modified",
    "object_name",
    "id",
    "description",
    "creator_name",
    "creator_computer",
    "creation_date",
    "version_major",
    "version_minor",
    "version_build",
    "version_guid",
    "version_comments",
    "protection_level",
    "format_version",
    "package_type",
    "encrypted",
    "error",
];

/// Reads `name,size,…`; `name` is always included, unknown names are refused.
pub fn parse(text: &str) -> Result<Vec<&'static str>, ApiError> {
    let mut chosen = vec!["name"];
    for f in text.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        match FIELDS.iter().find(|k| **k == f) {
            Some(k) if !chosen.contains(k) => chosen.push(k),
            Some(_) => {}
            None => {
                return Err(ApiError::bad_request(format!(
                    "fields: \"{f}\" is not a package field; choose among {}",
                    FIELDS.join(", ")
                )))
            }
        }
    }
    Ok(chosen)
}

/// The packages of one page, with all fields or the chosen ones.
pub struct Packages<'a> {
    pub entries: &'a [PackageEntry],
    pub fields: Option<&'a [&'static str]>,
}

impl Serialize for Packages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(fields) = self.fields else {
            return self.entries.serialize(s);
        };
        let mut seq = s.serialize_seq(Some(self.entries.len()))?;
        for e in self.entries {
            seq.serialize_element(&Chosen { e, fields })?;
        }
        seq.end()
    }
}

struct Chosen<'a> {
    e: &'a PackageEntry,
    fields: &'a [&'static str],
}

impl Serialize for Chosen<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (i, h) = (&self.e.info, &self.e.info.header);
        let mut map = s.serialize_map(None)?;
        macro_rules! opt {
            ($key:expr, $value:expr) => {
                if let Some(v) = &$value {
                    map.serialize_entry($key, v)?;
                }
            };
        }
        for f in self.fields {
            match *f {
                "name" => map.serialize_entry("name", &i.name)?,
                "size" => map.serialize_entry("size", &i.size)?,
                "modified" => opt!("modified", i.modified),
                "object_name" => opt!("object_name", h.name),
                "id" => opt!("id", h.id),
                "description" => opt!("description", h.description),
                "creator_name" => opt!("creator_name", h.creator_name),
                "creator_computer" => opt!("creator_computer", h.creator_computer),
                "creation_date" => opt!("creation_date", h.creation_date),
                "version_major" => opt!("version_major", h.version_major),
                "version_minor" => opt!("version_minor", h.version_minor),
                "version_build" => opt!("version_build", h.version_build),
                "version_guid" => opt!("version_guid", h.version_guid),
                "version_comments" => opt!("version_comments", h.version_comments),
                "protection_level" => opt!("protection_level", h.protection_level),
                "format_version" => opt!("format_version", h.format_version),
                "package_type" => opt!("package_type", h.package_type),
                "encrypted" => map.serialize_entry("encrypted", &h.encrypted)?,
                "error" => opt!("error", self.e.error),
                _ => {}
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssisd_stores::{PackageHeader, PackageInfo};

    #[test]
    fn chosen_fields_only_and_unknown_ones_refused() {
        let e = PackageEntry {
            info: PackageInfo {
                name: "Load".into(),
                size: 42,
                modified: Some("2026-01-01T00:00:00.000Z".into()),
                header: PackageHeader {
                    name: Some("P".into()),
                    version_build: Some(3),
                    ..PackageHeader::default()
                },
            },
            error: None,
        };
        let fields = parse("size, version_build,size").unwrap();
        let v = serde_json::to_value(Packages {
            entries: std::slice::from_ref(&e),
            fields: Some(&fields),
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!([{"name": "Load", "size": 42, "version_build": 3}])
        );
        // Without a choice: every field, as before.
        let all = serde_json::to_value(Packages {
            entries: std::slice::from_ref(&e),
            fields: None,
        })
        .unwrap();
        assert_eq!(all[0]["object_name"], "P");
        // Every field the full listing has can be chosen.
        for key in all[0].as_object().unwrap().keys() {
            assert!(FIELDS.contains(&key.as_str()), "{key}");
        }
        let e = parse("name,sizes").err().unwrap().message;
        assert!(e.contains("sizes") && e.contains("version_guid"), "{e}");
    }
}
