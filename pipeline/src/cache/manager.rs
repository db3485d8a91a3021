//! Reads a Cache connection manager from the package: its columns (`DTS:CacheColumn` with the
//! numeric `DataType`, `Length`, `Precision`, `Scale`, `CodePage`, `IndexPosition` and
//! `ObjectName`), `UseFile` and the cache file name (the connection string), in both storage
//! forms (2008 `DTS:Property` children, 2012+ attributes). It checks what SSIS checks: at least
//! one index column, index positions contiguous from 1 without repeats, no BLOB columns, no two
//! columns of one name. It must not open files.

use ssisd_engine::types::{ColumnShape, DataType};

use crate::flat_file::format::{get, num, props, truthy};
use crate::host::ConnectionSpec;
use crate::raw_file::RawColumn;

/// Why a connection manager is not a usable Cache connection manager. The text says what is
/// wrong with "it"; the caller names the manager.
#[derive(Debug, thiserror::Error)]
pub enum CacheManagerError {
    /// Another kind of connection manager; holds its creation name.
    #[error("it is a {0} connection manager, not a Cache connection manager")]
    NotCache(String),
    #[error("its definition is not valid XML: {0}")]
    Xml(#[source] roxmltree::Error),
    #[error("its column \"{name}\" has the unknown data type code {code}")]
    UnknownType { name: String, code: i32 },
    /// A DT_TEXT, DT_NTEXT or DT_IMAGE column.
    #[error("its column \"{name}\" is {}; a cache cannot hold DT_TEXT, DT_NTEXT or DT_IMAGE columns (change the column's type in the manager)", .ty.static_name())]
    Blob { name: String, ty: DataType },
    #[error("it has two columns named \"{0}\"")]
    DuplicateColumn(String),
    #[error("it defines no columns")]
    NoColumns,
    #[error("none of its columns is an index column; give the key columns IndexPosition 1, 2, …")]
    NoIndexColumn,
    /// Index positions with a gap or a repeat; holds them sorted.
    #[error("its index positions are {0:?}; they must run 1, 2, … without gaps or repeats")]
    IndexPositions(Vec<u32>),
}

/// A Cache connection manager as the components use it.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheSpec {
    pub name: String,
    /// UseFile: the rows are also kept in `file_path`.
    pub use_file: bool,
    pub file_path: String,
    /// In the manager's order.
    pub columns: Vec<RawColumn>,
}

impl CacheSpec {
    /// The positions of the index columns, in index-position order.
    pub fn index_columns(&self) -> Vec<usize> {
        let mut ix: Vec<usize> = (0..self.columns.len())
            .filter(|&i| self.columns[i].index_position > 0)
            .collect();
        ix.sort_by_key(|&i| self.columns[i].index_position);
        ix
    }

    /// The position of the column named `name` (ignoring case).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| {
                self.columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(name))
            })
    }
}

/// Reads and checks the Cache connection manager `conn`.
pub fn parse_cache_manager(conn: &ConnectionSpec) -> Result<CacheSpec, CacheManagerError> {
    if !conn.creation_name.eq_ignore_ascii_case("CACHE") {
        return Err(CacheManagerError::NotCache(conn.creation_name.clone()));
    }
    let od = conn.object_data.clone().unwrap_or_default();
    let text = od.document();
    let doc = roxmltree::Document::parse(&text).map_err(CacheManagerError::Xml)?;
    let cm = doc
        .root_element()
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "ConnectionManager");
    let use_file = cm
        .map(|n| get(&props(n), "UseFile").is_some_and(truthy))
        .unwrap_or(false);
    let mut columns: Vec<RawColumn> = Vec::new();
    for n in doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "CacheColumn")
    {
        let p = props(n);
        let name = get(&p, "ObjectName").unwrap_or("").to_string();
        let code: i32 = num(&p, "DataType").unwrap_or(0);
        let shape = ColumnShape {
            length: num(&p, "Length").unwrap_or(0),
            precision: num(&p, "Precision").unwrap_or(0),
            scale: num(&p, "Scale").unwrap_or(0),
            code_page: num(&p, "CodePage").unwrap_or(0),
        };
        let Some(ty) = DataType::from_metadata_code_shaped(code, shape) else {
            return Err(CacheManagerError::UnknownType { name, code });
        };
        if ty.is_blob() {
            return Err(CacheManagerError::Blob { name, ty });
        }
        if columns.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            return Err(CacheManagerError::DuplicateColumn(name));
        }
        columns.push(RawColumn {
            name,
            data_type: ty,
            index_position: num(&p, "IndexPosition").unwrap_or(0),
        });
    }
    if columns.is_empty() {
        return Err(CacheManagerError::NoColumns);
    }
    let mut positions: Vec<u32> = columns
        .iter()
        .map(|c| c.index_position)
        .filter(|p| *p > 0)
        .collect();
    if positions.is_empty() {
        return Err(CacheManagerError::NoIndexColumn);
    }
    positions.sort_unstable();
    for (i, p) in positions.iter().enumerate() {
        if *p != i as u32 + 1 {
            return Err(CacheManagerError::IndexPositions(positions));
        }
    }
    Ok(CacheSpec {
        name: conn.name.clone(),
        use_file,
        file_path: conn.file_path.clone(),
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssisd_engine::model::RawXml;

    fn spec(xml: &str) -> ConnectionSpec {
        ConnectionSpec {
            name: "PersonCache".into(),
            creation_name: "CACHE".into(),
            connection_string: "/tmp/p.caw".into(),
            file_path: "/tmp/p.caw".into(),
            object_data: Some(RawXml(xml.into())),
        }
    }

    #[test]
    fn both_storage_forms_read() {
        let new = spec(
            r#"<DTS:ConnectionManager xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:UseFile="True"><DTS:CacheColumns>
<DTS:CacheColumn DTS:DataType="130" DTS:Length="256" DTS:IndexPosition="1" DTS:ObjectName="ClientName"/>
<DTS:CacheColumn DTS:DataType="3" DTS:ObjectName="BusinessEntityID"/>
<DTS:CacheColumn DTS:DataType="11" DTS:ObjectName="IsPerson"/></DTS:CacheColumns></DTS:ConnectionManager>"#,
        );
        let s = parse_cache_manager(&new).expect("reads");
        assert!(s.use_file);
        assert_eq!(s.columns[0].data_type, DataType::WStr { len: 256 });
        assert_eq!(s.index_columns(), vec![0]);
        let old = spec(
            r#"<DTS:ConnectionManager xmlns:DTS="www.microsoft.com/SqlServer/Dts"><DTS:Property DTS:Name="UseFile">0</DTS:Property>
<DTS:CacheColumn><DTS:Property DTS:Name="DataType">3</DTS:Property><DTS:Property DTS:Name="IndexPosition">2</DTS:Property><DTS:Property DTS:Name="ObjectName">B</DTS:Property></DTS:CacheColumn>
<DTS:CacheColumn><DTS:Property DTS:Name="DataType">129</DTS:Property><DTS:Property DTS:Name="Length">10</DTS:Property><DTS:Property DTS:Name="IndexPosition">1</DTS:Property><DTS:Property DTS:Name="ObjectName">A</DTS:Property></DTS:CacheColumn></DTS:ConnectionManager>"#,
        );
        let s = parse_cache_manager(&old).expect("reads");
        assert!(!s.use_file);
        assert_eq!(s.index_columns(), vec![1, 0]);
    }

    #[test]
    fn bad_managers_are_refused_with_the_reason() {
        let gap = spec(
            r#"<DTS:ConnectionManager xmlns:DTS="x"><DTS:CacheColumn DTS:DataType="3" DTS:IndexPosition="2" DTS:ObjectName="A"/></DTS:ConnectionManager>"#,
        );
        assert!(parse_cache_manager(&gap)
            .unwrap_err()
            .to_string()
            .contains("without gaps"));
        let none = spec(
            r#"<DTS:ConnectionManager xmlns:DTS="x"><DTS:CacheColumn DTS:DataType="3" DTS:ObjectName="A"/></DTS:ConnectionManager>"#,
        );
        assert!(parse_cache_manager(&none)
            .unwrap_err()
            .to_string()
            .contains("index column"));
        let blob = spec(
            r#"<DTS:ConnectionManager xmlns:DTS="x"><DTS:CacheColumn DTS:DataType="303" DTS:IndexPosition="1" DTS:ObjectName="A"/></DTS:ConnectionManager>"#,
        );
        assert!(parse_cache_manager(&blob)
            .unwrap_err()
            .to_string()
            .contains("DT_NTEXT"));
        let mut flat = spec("<x/>");
        flat.creation_name = "FLATFILE".into();
        assert!(parse_cache_manager(&flat)
            .unwrap_err()
            .to_string()
            .contains("not a Cache connection manager"));
    }
}
