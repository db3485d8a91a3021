//! `Project.params`: the project parameters (`SSIS:Parameters/SSIS:Parameter`, each with
//! `SSIS:Properties` — `ID`, `Description`, `Required`, `Sensitive`, `Value`, `DataType`).
//! Unlike package parameters, whose `DTS:DataType` is a variable type code, `DataType` here is
//! a .NET `TypeCode` (3 Boolean, 9 Int32, 18 String, …); this file maps it to the variable code
//! the rest of the engine uses. An encrypted value (a `Value` property marked `Sensitive`) is
//! left empty and listed. It owns that file format only; it must not apply values to packages.

use roxmltree::Document;

use super::manifest::{is_ssis, property, ssis_attr, ssis_children, ManifestError};
use crate::model::project::PROJECT_ROOT;
use crate::model::{path, Parameter, SensitiveValue};
use crate::types::Value;

/// The variable type code (`DTS:DataType` of packages) of a .NET `TypeCode`, for the types
/// SSIS allows parameters to have.
pub fn variable_code(type_code: i64) -> Option<u16> {
    Some(match type_code {
        3 => 11,  // Boolean → DT_BOOL
        5 => 16,  // SByte → DT_I1
        6 => 17,  // Byte → DT_UI1
        7 => 2,   // Int16 → DT_I2
        8 => 18,  // UInt16 → DT_UI2
        9 => 3,   // Int32 → DT_I4
        10 => 19, // UInt32 → DT_UI4
        11 => 20, // Int64 → DT_I8
        12 => 21, // UInt64 → DT_UI8
        13 => 4,  // Single → DT_R4
        14 => 5,  // Double → DT_R8
        15 => 14, // Decimal → DT_DECIMAL
        16 => 7,  // DateTime → DT_DATE
        18 => 8,  // String → DT_WSTR
        _ => return None,
    })
}

/// The parameters of a `Project.params` file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectParameters {
    pub parameters: Vec<Parameter>,
    pub unreadable: Vec<SensitiveValue>,
}

fn truthy(v: &str) -> bool {
    matches!(v.trim(), "1" | "-1" | "true" | "True" | "TRUE")
}

/// Reads the text of a `Project.params` file; `blank_sensitive` leaves encrypted values empty
/// (they always are: a project never stores a sensitive value in clear).
pub fn read(text: &str, blank_sensitive: bool) -> Result<ProjectParameters, ManifestError> {
    let doc = Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .map_err(|e| ManifestError {
        line: e.pos().row,
        message: format!("not well-formed XML: {e}"),
    })?;
    let root = doc.root_element();
    let line = |n: roxmltree::Node| doc.text_pos_at(n.range().start).row;
    if !is_ssis(root, "Parameters") {
        return Err(ManifestError {
            line: line(root),
            message: format!(
                "the root element is <{}>, expected <SSIS:Parameters> in namespace \
                 www.microsoft.com/SqlServer/SSIS",
                root.tag_name().name()
            ),
        });
    }
    let mut out = ProjectParameters::default();
    for node in ssis_children(root, "Parameter") {
        let name = ssis_attr(node, "Name").unwrap_or("").trim().to_string();
        if name.is_empty() {
            return Err(ManifestError {
                line: line(node),
                message: "a parameter has no SSIS:Name".into(),
            });
        }
        let owner = path::item(PROJECT_ROOT, "Parameters", &name);
        let prop = |p: &str| {
            property(node, p)
                .and_then(|n| n.text())
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let type_text = prop("DataType");
        let type_code: i64 = type_text.parse().map_err(|_| ManifestError {
            line: line(node),
            message: format!(
                "the parameter \"{name}\" has the DataType \"{type_text}\", expected a .NET \
                 TypeCode number (18 String, 9 Int32, 3 Boolean, …)"
            ),
        })?;
        let data_type = variable_code(type_code).ok_or_else(|| ManifestError {
            line: line(node),
            message: format!(
                "the parameter \"{name}\" has the DataType {type_code}, which is not a type a \
                 parameter can have (Boolean 3, SByte 5, Byte 6, Int16 7, UInt16 8, Int32 9, \
                 UInt32 10, Int64 11, UInt64 12, Single 13, Double 14, Decimal 15, DateTime \
                 16, String 18)"
            ),
        })?;
        let sensitive = truthy(&prop("Sensitive"));
        let mut value = String::new();
        if let Some(v) = property(node, "Value") {
            // The text as written: string values keep their spaces.
            value = v.text().unwrap_or("").to_string();
            let encrypted = v
                .attributes()
                .any(|a| a.name() == "Sensitive" && truthy(a.value()));
            if encrypted && !value.trim().is_empty() && blank_sensitive {
                value.clear();
                out.unreadable.push(SensitiveValue {
                    owner: owner.clone(),
                    name: "Value".into(),
                });
            }
        }
        if !value.is_empty() {
            Value::from_variable_text(i32::from(data_type), &value).map_err(|e| ManifestError {
                line: line(node),
                message: format!("the value of the parameter \"{name}\": {e}"),
            })?;
        }
        out.parameters.push(Parameter {
            name,
            path: owner,
            dtsid: prop("ID"),
            description: prop("Description"),
            data_type,
            value,
            sensitive,
            required: truthy(&prop("Required")),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, props: &[(&str, &str)]) -> String {
        let mut s = format!("<SSIS:Parameter SSIS:Name=\"{name}\"><SSIS:Properties>");
        for (k, v) in props {
            if *k == "EncryptedValue" {
                s.push_str(&format!(
                    "<SSIS:Property SSIS:Name=\"Value\" SSIS:Sensitive=\"1\">{v}</SSIS:Property>"
                ));
            } else {
                s.push_str(&format!(
                    "<SSIS:Property SSIS:Name=\"{k}\">{v}</SSIS:Property>"
                ));
            }
        }
        s.push_str("</SSIS:Properties></SSIS:Parameter>");
        s
    }

    fn params(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><SSIS:Parameters xmlns:SSIS=\"www.microsoft.com/SqlServer/SSIS\">{body}</SSIS:Parameters>"
        )
    }

    #[test]
    fn types_values_and_flags() {
        let text = params(
            &[
                param(
                    "Folder",
                    &[
                        ("ID", "{1}"),
                        ("DataType", "18"),
                        ("Value", " /data/in "),
                        ("Required", "1"),
                    ],
                ),
                param("Batch", &[("DataType", "9"), ("Value", "500")]),
                param("Enabled", &[("DataType", "3"), ("Value", "false")]),
                param(
                    "Secret",
                    &[
                        ("DataType", "18"),
                        ("Sensitive", "1"),
                        ("EncryptedValue", "AQAAANCMnd8"),
                    ],
                ),
                param("Empty", &[("DataType", "18"), ("Sensitive", "1")]),
            ]
            .concat(),
        );
        let r = read(&text, true).expect("reads");
        let p = &r.parameters;
        assert_eq!(p.len(), 5);
        assert_eq!((p[0].data_type, p[0].value.as_str()), (8, " /data/in "));
        assert!(p[0].required && !p[0].sensitive);
        assert_eq!(p[0].path, "\\Project.Parameters[Folder]");
        assert_eq!((p[1].data_type, p[1].value.as_str()), (3, "500"));
        assert_eq!(p[2].data_type, 11);
        assert!(p[3].sensitive && p[3].value.is_empty());
        assert_eq!(r.unreadable.len(), 1);
        assert_eq!(r.unreadable[0].owner, "\\Project.Parameters[Secret]");
        assert!(p[4].value.is_empty());
    }

    #[test]
    fn refusals_name_the_parameter() {
        let bad_type = params(&param("X", &[("DataType", "1"), ("Value", "a")]));
        assert!(read(&bad_type, true)
            .unwrap_err()
            .message
            .contains("\"X\" has the DataType 1"));
        let bad_value = params(&param("N", &[("DataType", "9"), ("Value", "many")]));
        let e = read(&bad_value, true).unwrap_err();
        assert!(e.message.contains("parameter \"N\""), "{e:?}");
        let e = read("<Parameters/>", true).unwrap_err();
        assert!(e.message.contains("<SSIS:Parameters>"), "{e:?}");
    }
}
