//! Reads the classic `MsDtsSrvr.ini.xml` (`DtsServiceConfiguration`) unchanged:
//! `StopExecutingPackagesOnShutdown` and the `TopLevelFolders` — `SqlServerFolder` with
//! `Name`/`ServerName`, `FileSystemFolder` with `Name`/`StorePath` (Windows-style relative paths
//! resolved against the file's directory). It produces the same raw settings a TOML file would;
//! it must not apply defaults or environment overrides (the loader layers those).

use std::path::Path;

use ssisd_stores::{FolderLocation, FolderSpec, SqlServerFolder};

use super::paths;

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// What the file sets.
#[derive(Debug, Default, PartialEq)]
pub struct MsDtsSrvrFile {
    pub stop_executing_packages_on_shutdown: Option<bool>,
    /// `None` when the file has no `TopLevelFolders` element (the defaults then apply).
    pub folders: Option<Vec<FolderSpec>>,
    /// Things the reader tolerated, for `--check-config` to show.
    pub warnings: Vec<String>,
}

/// True when the text looks like XML rather than TOML.
pub fn looks_like_xml(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<')
}

fn at(doc: &roxmltree::Document, node: roxmltree::Node) -> String {
    let pos = doc.text_pos_at(node.range().start);
    format!("line {}, column {}", pos.row, pos.col)
}

pub fn parse(text: &str, file: &Path) -> Result<MsDtsSrvrFile, String> {
    let base = file.parent().unwrap_or(Path::new("/"));
    let text = text.trim_start_matches('\u{feff}');
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| format!("not valid XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "DtsServiceConfiguration" {
        return Err(format!(
            "the root element is <{}>, expected <DtsServiceConfiguration>",
            root.tag_name().name()
        ));
    }
    let mut out = MsDtsSrvrFile::default();
    for child in root.children().filter(|n| n.is_element()) {
        match child.tag_name().name() {
            "StopExecutingPackagesOnShutdown" => {
                let value = child.text().unwrap_or("").trim();
                out.stop_executing_packages_on_shutdown = Some(parse_bool(value).ok_or_else(|| {
                    format!(
                        "<StopExecutingPackagesOnShutdown> at {} is \"{value}\", expected true or false",
                        at(&doc, child)
                    )
                })?);
            }
            "TopLevelFolders" => {
                let mut folders = Vec::new();
                for folder in child.children().filter(|n| n.is_element()) {
                    if folder.tag_name().name() != "Folder" {
                        out.warnings.push(format!(
                            "ignored <{}> inside <TopLevelFolders> at {}",
                            folder.tag_name().name(),
                            at(&doc, folder)
                        ));
                        continue;
                    }
                    folders.push(read_folder(&doc, folder, base, &mut out.warnings)?);
                }
                out.folders = Some(folders);
            }
            other => out.warnings.push(format!(
                "ignored unknown element <{other}> at {}",
                at(&doc, child)
            )),
        }
    }
    Ok(out)
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn read_folder(
    doc: &roxmltree::Document,
    folder: roxmltree::Node,
    base: &Path,
    warnings: &mut Vec<String>,
) -> Result<FolderSpec, String> {
    let where_ = at(doc, folder);
    let field = |name: &str| {
        folder
            .children()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .map(|n| n.text().unwrap_or("").trim().to_string())
    };
    let xsi_type = folder
        .attribute((XSI, "type"))
        .map(|t| t.rsplit(':').next().unwrap_or(t).to_string());
    let name = field("Name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| format!("<Folder> at {where_} has no <Name>"))?;
    let server = field("ServerName");
    let store_path = field("StorePath");
    let kind = match (xsi_type.as_deref(), &server, &store_path) {
        (Some("SqlServerFolder"), None, Some(_)) => {
            warnings.push(format!(
                "<Folder> \"{name}\" at {where_} is typed SqlServerFolder but has a StorePath and no ServerName: read as a FileSystemFolder"
            ));
            "FileSystemFolder"
        }
        (Some(t), _, _) => match t {
            "SqlServerFolder" | "FileSystemFolder" => t,
            other => {
                return Err(format!(
                    "<Folder> \"{name}\" at {where_} has xsi:type=\"{other}\", expected SqlServerFolder or FileSystemFolder"
                ))
            }
        },
        (None, Some(_), None) => "SqlServerFolder",
        (None, None, Some(_)) => "FileSystemFolder",
        (None, _, _) => {
            return Err(format!(
                "<Folder> \"{name}\" at {where_} has no xsi:type; add xsi:type=\"SqlServerFolder\" or \"FileSystemFolder\""
            ))
        }
    };
    let location = if kind == "SqlServerFolder" {
        let server = server
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("SqlServerFolder \"{name}\" at {where_} has no <ServerName>"))?;
        FolderLocation::SqlServer(SqlServerFolder::new(server))
    } else {
        let written = store_path
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("FileSystemFolder \"{name}\" at {where_} has no <StorePath>"))?;
        let store_path = paths::resolve(&written, base)
            .map_err(|e| format!("<StorePath> of \"{name}\" at {where_}: {e}"))?;
        FolderLocation::FileSystem {
            store_path,
            create: Default::default(),
        }
    };
    let spec = FolderSpec { name, location };
    spec.validate()
        .map_err(|e| format!("<Folder> at {where_}: {e}"))?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const DEFAULT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<DtsServiceConfiguration xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <StopExecutingPackagesOnShutdown>true</StopExecutingPackagesOnShutdown>
  <TopLevelFolders>
    <Folder xsi:type="SqlServerFolder">
      <Name>MSDB</Name>
      <ServerName>.\SQL2019</ServerName>
    </Folder>
    <Folder xsi:type="FileSystemFolder">
      <Name>File System</Name>
      <StorePath>..\Packages</StorePath>
    </Folder>
  </TopLevelFolders>
</DtsServiceConfiguration>"#;

    #[test]
    fn reads_the_documented_shape() {
        let f = parse(DEFAULT, Path::new("/opt/DTS/Binn/MsDtsSrvr.ini.xml")).unwrap();
        assert_eq!(f.stop_executing_packages_on_shutdown, Some(true));
        let folders = f.folders.unwrap();
        assert_eq!(
            folders[0].location,
            FolderLocation::SqlServer(SqlServerFolder::new(".\\SQL2019"))
        );
        assert_eq!(
            folders[1].location,
            FolderLocation::FileSystem {
                store_path: PathBuf::from("/opt/DTS/Packages"),
                create: Default::default(),
            }
        );
        assert!(f.warnings.is_empty());
    }

    #[test]
    fn tolerates_a_file_system_folder_typed_as_sql_server() {
        let text = DEFAULT.replace("\"FileSystemFolder\"", "\"SqlServerFolder\"");
        let f = parse(&text, Path::new("/x/a.xml")).unwrap();
        assert!(matches!(
            f.folders.unwrap()[1].location,
            FolderLocation::FileSystem { .. }
        ));
        assert_eq!(f.warnings.len(), 1);
    }

    #[test]
    fn errors_name_the_element_and_position() {
        let e = parse(&DEFAULT.replace(">true<", ">yes<"), Path::new("/a.xml")).unwrap_err();
        assert!(
            e.contains("StopExecutingPackagesOnShutdown") && e.contains("line 3"),
            "{e}"
        );
        let e = parse(
            &DEFAULT.replace("<Name>MSDB</Name>", ""),
            Path::new("/a.xml"),
        )
        .unwrap_err();
        assert!(e.contains("no <Name>") && e.contains("line 5"), "{e}");
        let e = parse("<Other/>", Path::new("/a.xml")).unwrap_err();
        assert!(e.contains("DtsServiceConfiguration"), "{e}");
        let e = parse("<DtsServiceConfiguration>", Path::new("/a.xml")).unwrap_err();
        assert!(e.contains("not valid XML"), "{e}");
        let e = parse(
            &DEFAULT.replace("..\\Packages", "C:\\Packages"),
            Path::new("/a.xml"),
        )
        .unwrap_err();
        assert!(e.contains("Windows drive"), "{e}");
        let e = parse(
            &DEFAULT.replace("<Name>MSDB</Name>", "<Name>a|b</Name>"),
            Path::new("/a.xml"),
        )
        .unwrap_err();
        assert!(e.contains("not allowed"), "{e}");
    }
}
