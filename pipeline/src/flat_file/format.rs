//! The Flat File connection manager's file format, read from its `DTS:ObjectData`: format
//! (delimited, fixed width, ragged right), code page or Unicode, header rows, column names in
//! the first data row, text qualifier and the columns with their delimiters, widths and types.
//! Both storage forms are read: 2005/2008 `DTS:Property` children (Booleans `-1`/`0`) and 2012+
//! `DTS:` attributes (`True`/`False`, defaults omitted); delimiter values are decoded from their
//! `_xHHHH_` escapes. It must not open files.

use roxmltree::Node;
use ssisd_engine::model::RawXml;
use ssisd_engine::types::{ColumnShape, DataType};

/// `Format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Delimited,
    FixedWidth,
    RaggedRight,
}

/// A column's `ColumnType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Delimited,
    FixedWidth,
    RaggedRight,
}

/// One `DTS:FlatFileColumn`.
#[derive(Debug, Clone, PartialEq)]
pub struct FileColumn {
    pub name: String,
    pub kind: ColumnKind,
    /// `ColumnDelimiter` (decoded); the last column's ends the row.
    pub delimiter: String,
    /// `ColumnWidth`: the input width of fixed-width columns (characters).
    pub width: usize,
    /// `MaximumWidth`: the output width.
    pub max_width: u32,
    pub data_type: DataType,
    pub text_qualified: bool,
}

/// The whole format.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatFileFormat {
    pub format: FileFormat,
    pub locale_id: i32,
    /// `Unicode`: UTF-16 LE (CodePage ignored).
    pub unicode: bool,
    pub code_page: u32,
    pub header_rows_to_skip: usize,
    pub header_row_delimiter: String,
    pub column_names_in_first_data_row: bool,
    /// `RowDelimiter`; empty in most files, where the last column's delimiter ends rows.
    pub row_delimiter: String,
    /// `TextQualifier`; `None` for `<none>` or empty.
    pub text_qualifier: Option<String>,
    pub data_rows_to_skip: usize,
    pub columns: Vec<FileColumn>,
}

impl FlatFileFormat {
    /// What ends a row: the last column's delimiter, else `RowDelimiter`, else CR LF.
    pub fn effective_row_delimiter(&self) -> String {
        let last = self
            .columns
            .last()
            .map(|c| c.delimiter.clone())
            .unwrap_or_default();
        if self.format != FileFormat::FixedWidth && !last.is_empty() {
            return last;
        }
        if !self.row_delimiter.is_empty() {
            return self.row_delimiter.clone();
        }
        if self.format == FileFormat::FixedWidth {
            String::new()
        } else {
            "\r\n".to_string()
        }
    }
}

/// Decodes the XML-name escapes `_xHHHH_` (UTF-16 code units) of delimiter values.
pub fn decode_escapes(s: &str) -> String {
    let mut units: Vec<u16> = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'_' && i + 7 <= b.len() && b[i + 1] == b'x' && b[i + 6] == b'_' {
            if let Ok(u) = u16::from_str_radix(&s[i + 2..i + 6], 16) {
                units.push(u);
                i += 7;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or('\u{FFFD}');
        let mut buf = [0u16; 2];
        units.extend_from_slice(ch.encode_utf16(&mut buf));
        i += ch.len_utf8();
    }
    String::from_utf16_lossy(&units)
}

/// Reads a delimiter value: `_x…_` escapes, and the editor's `{CR}{LF}` spellings.
fn delimiter(raw: &str) -> String {
    let d = decode_escapes(raw);
    d.replace("{CR}", "\r")
        .replace("{LF}", "\n")
        .replace("{t}", "\t")
}

pub(crate) fn truthy(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "-1" | "1")
}

/// Properties of an element in either storage form: `DTS:X` attributes and
/// `<DTS:Property DTS:Name="X">` children.
pub(crate) fn props(node: Node) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = node
        .attributes()
        .map(|a| (a.name().to_string(), a.value().to_string()))
        .collect();
    for c in node
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "Property")
    {
        let name = c
            .attributes()
            .find(|a| a.name() == "Name")
            .map(|a| a.value().to_string())
            .unwrap_or_default();
        out.push((name, c.text().unwrap_or("").to_string()));
    }
    out
}

pub(crate) fn get<'a>(props: &'a [(String, String)], name: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub(crate) fn num<T: std::str::FromStr>(props: &[(String, String)], name: &str) -> Option<T> {
    get(props, name).and_then(|v| v.trim().parse().ok())
}

/// A flat-file connection manager whose file format cannot be read. The text says what is
/// wrong with "it"; the caller names the manager.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("its file format is not valid XML: {0}")]
    Xml(#[source] roxmltree::Error),
    #[error("it holds no file format (no inner DTS:ConnectionManager)")]
    NoFormat,
    #[error("its Format \"{0}\" is not Delimited, FixedWidth or RaggedRight")]
    UnknownFormat(String),
    #[error("the column \"{name}\" has the unknown data type code {code}")]
    UnknownType { name: String, code: i32 },
}

/// Reads the format from a FLATFILE connection manager's object data.
pub fn parse_format(object_data: &RawXml) -> Result<FlatFileFormat, FormatError> {
    let doc_text = object_data.document();
    let doc = roxmltree::Document::parse(&doc_text).map_err(FormatError::Xml)?;
    let cm = doc
        .root_element()
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "ConnectionManager")
        .ok_or(FormatError::NoFormat)?;
    let p = props(cm);
    let format = match get(&p, "Format").unwrap_or("Delimited").trim() {
        f if f.eq_ignore_ascii_case("FixedWidth") => FileFormat::FixedWidth,
        f if f.eq_ignore_ascii_case("RaggedRight") => FileFormat::RaggedRight,
        f if f.eq_ignore_ascii_case("Delimited") || f.is_empty() => FileFormat::Delimited,
        other => return Err(FormatError::UnknownFormat(other.to_string())),
    };
    let unicode = get(&p, "Unicode").is_some_and(truthy);
    let code_page = num(&p, "CodePage").unwrap_or(1252u32);
    let qualifier = get(&p, "TextQualifier")
        .map(decode_escapes)
        .unwrap_or_default();
    let text_qualifier = if qualifier.is_empty() || qualifier.eq_ignore_ascii_case("<none>") {
        None
    } else {
        Some(qualifier)
    };
    let column_nodes: Vec<Node> = cm
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "FlatFileColumn")
        .collect();
    let mut columns = Vec::with_capacity(column_nodes.len());
    for n in column_nodes {
        let cp = props(n);
        let name = get(&cp, "ObjectName").unwrap_or("").to_string();
        let kind = match get(&cp, "ColumnType").unwrap_or("") {
            k if k.eq_ignore_ascii_case("Delimited") => ColumnKind::Delimited,
            k if k.eq_ignore_ascii_case("RaggedRight") => ColumnKind::RaggedRight,
            k if k.eq_ignore_ascii_case("FixedWidth") => ColumnKind::FixedWidth,
            _ => match format {
                FileFormat::Delimited => ColumnKind::Delimited,
                _ => ColumnKind::FixedWidth,
            },
        };
        let code = num(&cp, "DataType").unwrap_or(129i32);
        let max_width = num(&cp, "MaximumWidth").unwrap_or(50u32);
        let shape = ColumnShape {
            length: max_width,
            precision: num(&cp, "DataPrecision").unwrap_or(0u8),
            scale: num(&cp, "DataScale").unwrap_or(0u8),
            code_page,
        };
        let Some(data_type) = DataType::from_metadata_code_shaped(code, shape) else {
            return Err(FormatError::UnknownType { name, code });
        };
        columns.push(FileColumn {
            name,
            kind,
            delimiter: get(&cp, "ColumnDelimiter")
                .map(delimiter)
                .unwrap_or_default(),
            width: num(&cp, "ColumnWidth").unwrap_or(0usize),
            max_width,
            data_type,
            text_qualified: get(&cp, "TextQualified").is_none_or(truthy),
        });
    }
    Ok(FlatFileFormat {
        format,
        locale_id: num(&p, "LocaleID").unwrap_or(1033),
        unicode,
        code_page,
        header_rows_to_skip: num(&p, "HeaderRowsToSkip").unwrap_or(0),
        header_row_delimiter: get(&p, "HeaderRowDelimiter")
            .map(delimiter)
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "\r\n".to_string()),
        column_names_in_first_data_row: get(&p, "ColumnNamesInFirstDataRow").is_some_and(truthy),
        row_delimiter: get(&p, "RowDelimiter").map(delimiter).unwrap_or_default(),
        text_qualifier,
        data_rows_to_skip: num(&p, "DataRowsToSkip").unwrap_or(0),
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode() {
        assert_eq!(decode_escapes("_x002C_"), ",");
        assert_eq!(decode_escapes("_x000D__x000A_"), "\r\n");
        assert_eq!(decode_escapes("_x003C_none_x003E_"), "<none>");
        assert_eq!(decode_escapes("a_x0009_b"), "a\tb");
        assert_eq!(decode_escapes("||"), "||");
        assert_eq!(delimiter("_x007B_CR_x007D__x007B_LF_x007D_"), "\r\n");
    }

    #[test]
    fn both_storage_forms_read() {
        let new = RawXml(r#"<DTS:ConnectionManager DTS:Format="Delimited" DTS:LocaleID="1033" DTS:HeaderRowDelimiter="_x000D__x000A_" DTS:ColumnNamesInFirstDataRow="True" DTS:RowDelimiter="" DTS:TextQualifier="_x0022_" DTS:CodePage="1251" DTS:ConnectionString="C:\x.csv"><DTS:FlatFileColumns>
<DTS:FlatFileColumn DTS:ColumnType="Delimited" DTS:ColumnDelimiter="_x003B_" DTS:MaximumWidth="20" DTS:DataType="129" DTS:TextQualified="True" DTS:ObjectName="A"/>
<DTS:FlatFileColumn DTS:ColumnType="Delimited" DTS:ColumnDelimiter="_x000D__x000A_" DTS:DataType="131" DTS:DataPrecision="12" DTS:DataScale="2" DTS:ObjectName="B"/>
</DTS:FlatFileColumns></DTS:ConnectionManager>"#.into());
        let f = parse_format(&new).expect("format");
        assert!(f.column_names_in_first_data_row);
        assert_eq!(f.text_qualifier.as_deref(), Some("\""));
        assert_eq!(f.columns[0].delimiter, ";");
        assert_eq!(
            f.columns[0].data_type,
            DataType::Str {
                len: 20,
                code_page: 1251
            }
        );
        assert_eq!(
            f.columns[1].data_type,
            DataType::Numeric {
                precision: 12,
                scale: 2
            }
        );
        assert_eq!(f.effective_row_delimiter(), "\r\n");
        let old = RawXml(r#"<DTS:ConnectionManager><DTS:Property DTS:Name="Format">Delimited</DTS:Property><DTS:Property DTS:Name="CodePage">1252</DTS:Property><DTS:Property DTS:Name="TextQualifier">&lt;none&gt;</DTS:Property><DTS:Property DTS:Name="ColumnNamesInFirstDataRow">-1</DTS:Property><DTS:Property DTS:Name="Unicode">0</DTS:Property>
<DTS:FlatFileColumn><DTS:Property DTS:Name="ColumnType">Delimited</DTS:Property><DTS:Property DTS:Name="ColumnDelimiter" xml:space="preserve">_x000A_</DTS:Property><DTS:Property DTS:Name="DataType">3</DTS:Property><DTS:Property DTS:Name="TextQualified">-1</DTS:Property><DTS:Property DTS:Name="ObjectName">N</DTS:Property></DTS:FlatFileColumn></DTS:ConnectionManager>"#.into());
        let f = parse_format(&old).expect("format");
        assert!(f.column_names_in_first_data_row);
        assert_eq!(f.text_qualifier, None);
        assert!(!f.unicode);
        assert_eq!(f.columns[0].data_type, DataType::I4);
        assert_eq!(f.effective_row_delimiter(), "\n");
    }
}
