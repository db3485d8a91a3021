//! A Lookup's `ReferenceMetadataXml`: the reference columns (name and DT_* type) the package
//! was designed against, `<referenceMetadata><referenceColumns><referenceColumn name=…
//! dataType="DT_WSTR" length=… precision=… scale=… codePage=…/>…`. Validation matches the join
//! and copied columns to these types without touching the database; at run time the rows the
//! database returns are converted to them. It must not read rows.

use ssisd_engine::types::{ColumnShape, DataType};

/// One reference column as the package declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceColumn {
    pub name: String,
    pub data_type: DataType,
}

fn number(node: &roxmltree::Node<'_, '_>, name: &str) -> i64 {
    node.attribute(name)
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0)
        .max(0)
}

/// A ReferenceMetadataXml that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceMetadataError {
    #[error("its ReferenceMetadataXml is not well-formed XML: {0}")]
    Xml(#[source] roxmltree::Error),
    #[error("its ReferenceMetadataXml gives the reference column \"{column}\" the unknown data type \"{type_name}\"")]
    UnknownType { column: String, type_name: String },
}

/// The reference columns of `xml` (empty text: none declared).
pub fn parse(xml: &str) -> Result<Vec<ReferenceColumn>, ReferenceMetadataError> {
    if xml.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc = roxmltree::Document::parse(xml).map_err(ReferenceMetadataError::Xml)?;
    let mut out = Vec::new();
    for node in doc
        .descendants()
        .filter(|n| n.has_tag_name("referenceColumn"))
    {
        let name = node.attribute("name").unwrap_or("").to_string();
        let type_name = node.attribute("dataType").unwrap_or("");
        let short = type_name
            .strip_prefix("DT_")
            .or_else(|| type_name.strip_prefix("dt_"))
            .unwrap_or(type_name);
        let shape = ColumnShape {
            length: u32::try_from(number(&node, "length")).unwrap_or(0),
            precision: u8::try_from(number(&node, "precision")).unwrap_or(0),
            scale: u8::try_from(number(&node, "scale")).unwrap_or(0),
            code_page: u32::try_from(number(&node, "codePage")).unwrap_or(0),
        };
        let Some(data_type) = DataType::from_pipeline_name(short, shape) else {
            return Err(ReferenceMetadataError::UnknownType {
                column: name,
                type_name: type_name.to_string(),
            });
        };
        out.push(ReferenceColumn { name, data_type });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_types_as_the_designer_writes_them() {
        let xml = r#"<referenceMetadata>
  <referenceColumns>
    <referenceColumn name="SysFileName" dataType="DT_WSTR" length="250" precision="-1" scale="-1" codePage="0" />
    <referenceColumn name="Key" dataType="DT_I4" length="0" precision="0" scale="0" codePage="0"/>
    <referenceColumn name="Amount" dataType="DT_NUMERIC" length="0" precision="12" scale="2" codePage="0"/>
    <referenceColumn name="Code" dataType="DT_STR" length="10" precision="0" scale="0" codePage="1252"/>
  </referenceColumns></referenceMetadata>"#;
        let cols = parse(xml).expect("parse");
        let types: Vec<DataType> = cols.iter().map(|c| c.data_type).collect();
        assert_eq!(
            types,
            vec![
                DataType::WStr { len: 250 },
                DataType::I4,
                DataType::Numeric {
                    precision: 12,
                    scale: 2
                },
                DataType::Str {
                    len: 10,
                    code_page: 1252
                }
            ]
        );
        assert_eq!(cols[0].name, "SysFileName");
        assert!(parse("").expect("empty").is_empty());
        assert!(parse(r#"<referenceMetadata><referenceColumns><referenceColumn name="x" dataType="DT_NOPE"/></referenceColumns></referenceMetadata>"#)
            .unwrap_err()
            .to_string().contains("DT_NOPE"));
    }
}
