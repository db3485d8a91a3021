//! The Foreach Item enumerator: the items typed into the package (`FEIEItems` / `FEIEItem` /
//! `FEIEItemValue Type=… Value=…`), each a row of typed values. It owns reading them only.

use ssisd_engine::model::RawXml;
use ssisd_engine::types::Value;

use super::EnumeratorError;

/// The rows of the enumerator.
pub fn items(cfg: Option<&RawXml>) -> Result<Vec<Vec<Value>>, EnumeratorError> {
    let Some(cfg) = cfg else {
        return Ok(Vec::new());
    };
    let doc = cfg.document();
    let parsed = roxmltree::Document::parse(&doc).map_err(EnumeratorError::ItemList)?;
    let mut rows = Vec::new();
    for item in parsed
        .descendants()
        .filter(|n| n.tag_name().name() == "FEIEItem")
    {
        let mut row = Vec::new();
        for v in item
            .children()
            .filter(|n| n.tag_name().name() == "FEIEItemValue")
        {
            let code: i32 = v
                .attribute("Type")
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(8);
            let text = v.attribute("Value").unwrap_or("");
            row.push(Value::from_variable_text(code, text).unwrap_or(Value::WStr(text.into())));
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_items() {
        let x = RawXml(
            "<FEIEItems><FEIEItem><FEIEItemValue Type=\"3\" Value=\"7\"/>\
             <FEIEItemValue Type=\"8\" Value=\"a\"/></FEIEItem><FEIEItem>\
             <FEIEItemValue Type=\"3\" Value=\"8\"/><FEIEItemValue Type=\"8\" Value=\"b\"/>\
             </FEIEItem></FEIEItems>"
                .into(),
        );
        let rows = items(Some(&x)).expect("items");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1], vec![Value::I4(8), Value::WStr("b".into())]);
    }
}
