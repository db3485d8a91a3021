//! Loading a standalone connection manager: the `.conmgr` file of a project (a
//! `DTS:ConnectionManager` element as the root, the same element packages hold in
//! `DTS:ConnectionManagers`). Sensitive values the project's protection level encrypts are
//! left empty and listed. It must not know about projects beyond the path it is given.

use super::error::LoadError;
use super::xml::{is_dts, Ctx};
use super::{decode, items, parse_xml, LoadOptions};
use crate::model::{ConnectionManager, SensitiveValue};

/// A connection manager read from a `.conmgr` file, with the sensitive values left empty.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConnection {
    pub manager: ConnectionManager,
    pub unreadable: Vec<SensitiveValue>,
}

/// Reads the bytes of a `.conmgr` file. Its path in messages is `owner.collection[Name]`
/// (`\Project.ConnectionManagers[Name]`); `blank_sensitive` leaves encrypted values empty.
pub fn load_connection_manager(
    bytes: &[u8],
    opts: &LoadOptions,
    owner: &str,
    collection: &str,
    blank_sensitive: bool,
) -> Result<LoadedConnection, LoadError> {
    let text = decode::decode(bytes, opts.max_bytes)?;
    let doc = parse_xml(&text)?;
    let root = doc.root_element();
    if !is_dts(root, "ConnectionManager") {
        let p = doc.text_pos_at(root.range().start);
        return Err(LoadError::NotAConnectionManager {
            found: root.tag_name().name().to_string(),
            line: p.row,
            column: p.col,
        });
    }
    let mut ctx = Ctx {
        src: &text,
        opts,
        blank_sensitive,
        unreadable: Vec::new(),
        line_starts: Default::default(),
    };
    let manager = items::connection(&mut ctx, root, owner, collection)?;
    Ok(LoadedConnection {
        manager,
        unreadable: ctx.unreadable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONMGR: &str = r#"<?xml version="1.0"?>
<DTS:ConnectionManager xmlns:DTS="www.microsoft.com/SqlServer/Dts"
  DTS:ObjectName="Warehouse"
  DTS:DTSID="{11111111-2222-4333-8444-555555555555}"
  DTS:CreationName="OLEDB">
  <DTS:ObjectData>
    <DTS:ConnectionManager
      DTS:ConnectionString="Data Source=db1;User ID=etl;Initial Catalog=dw;Provider=SQLNCLI11.1;">
      <DTS:Password DTS:Name="Password" Sensitive="1">AQAAANCMnd8BFdERjHoAwE</DTS:Password>
    </DTS:ConnectionManager>
  </DTS:ObjectData>
</DTS:ConnectionManager>"#;

    #[test]
    fn reads_a_conmgr_file_and_blanks_encrypted_values() {
        let c = load_connection_manager(
            CONMGR.as_bytes(),
            &LoadOptions::default(),
            "\\Project",
            "ConnectionManagers",
            true,
        )
        .expect("loads");
        assert_eq!(c.manager.name, "Warehouse");
        assert_eq!(c.manager.creation_name, "OLEDB");
        assert_eq!(c.manager.path, "\\Project.ConnectionManagers[Warehouse]");
        assert!(c.manager.connection_string.starts_with("Data Source=db1;"));
        assert!(!c.manager.object_data.expect("data").0.contains("AQAAANC"));
        assert_eq!(c.unreadable.len(), 1);
        assert_eq!(c.unreadable[0].name, "Password");
    }

    #[test]
    fn a_package_is_not_a_connection_manager() {
        let e = load_connection_manager(
            br#"<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts"/>"#,
            &LoadOptions::default(),
            "\\Project",
            "ConnectionManagers",
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("<DTS:ConnectionManager>"), "{e}");
    }
}
