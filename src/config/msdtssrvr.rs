//! Reads the classic `MsDtsSrvr.ini.xml` (`DtsServiceConfiguration`) unchanged:
//! `StopExecutingPackagesOnShutdown` and the `TopLevelFolders` — `SqlServerFolder` with
//! `Name`/`ServerName`, `FileSystemFolder` with `Name`/`StorePath` (Windows-style relative paths
//! resolved against the file's directory). It produces the same raw settings a TOML file would;
//! it must not apply defaults or environment overrides (the loader layers those).

use std::path::Path;

use ssisd_stores::{FolderLocation, FolderSpec, SqlServerFolder};

use super::paths::{self, PathError};

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

/// Why the file cannot be read; each says where (line and column) and what to change.
#[derive(Debug, thiserror::Error)]
pub enum MsDtsSrvrError {
    #[error("not valid XML: {0}")]
    Xml(#[from] roxmltree::Error),
    #[error("the root element is <{found}>, expected <DtsServiceConfiguration>")]
    Root { found: String },
    #[error("<StopExecutingPackagesOnShutdown> at {at} is \"{value}\", expected true or false")]
    NotBoolean { at: String, value: String },
    #[error("<Folder> at {at} has no <Name>")]
    NoName { at: String },
    #[error("<Folder> \"{name}\" at {at} has xsi:type=\"{found}\", expected SqlServerFolder or FileSystemFolder")]
    UnknownType {
        name: String,
        at: String,
        found: String,
    },
    #[error("<Folder> \"{name}\" at {at} has no xsi:type; add xsi:type=\"SqlServerFolder\" or \"FileSystemFolder\"")]
    NoType { name: String, at: String },
    #[error("SqlServerFolder \"{name}\" at {at} has no <ServerName>")]
    NoServer { name: String, at: String },
    #[error("FileSystemFolder \"{name}\" at {at} has no <StorePath>")]
    NoStorePath { name: String, at: String },
    #[error("<StorePath> of \"{name}\" at {at}: {source}")]
    StorePath {
        name: String,
        at: String,
        #[source]
        source: PathError,
    },
    #[error("<Folder> at {at}: {message}")]
    Folder { at: String, message: String },
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

pub fn parse(text: &str, file: &Path) -> Result<MsDtsSrvrFile, MsDtsSrvrError> {
    let base = file.parent().unwrap_or(Path::new("/"));
    let text = text.trim_start_matches('\u{feff}');
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)?;
    let root = doc.root_element();
    if root.tag_name().name() != "DtsServiceConfiguration" {
        return Err(MsDtsSrvrError::Root {
            found: root.tag_name().name().to_string(),
        });
    }
    let mut out = MsDtsSrvrFile::default();
    for child in root.children().filter(|n| n.is_element()) {
        match child.tag_name().name() {
            "StopExecutingPackagesOnShutdown" => {
                let value = child.text().unwrap_or("").trim();
                out.stop_executing_packages_on_shutdown =
                    Some(parse_bool(value).ok_or_else(|| MsDtsSrvrError::NotBoolean {
                        at: at(&doc, child),
                        value: value.to_string(),
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
) -> Result<FolderSpec, MsDtsSrvrError> {
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
        .ok_or_else(|| MsDtsSrvrError::NoName { at: where_.clone() })?;
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
                return Err(MsDtsSrvrError::UnknownType {
                    name,
                    at: where_,
                    found: other.to_string(),
                })
            }
        },
        (None, Some(_), None) => "SqlServerFolder",
        (None, None, Some(_)) => "FileSystemFolder",
        (None, _, _) => return Err(MsDtsSrvrError::NoType { name, at: where_ }),
    };
    let location = if kind == "SqlServerFolder" {
        let server = server
            .filter(|s| !s.is_empty())
            .ok_or_else(|| MsDtsSrvrError::NoServer {
                name: name.clone(),
                at: where_.clone(),
            })?;
        FolderLocation::SqlServer(SqlServerFolder::new(server))
    } else {
        let written =
            store_path
                .filter(|s| !s.is_empty())
                .ok_or_else(|| MsDtsSrvrError::NoStorePath {
                    name: name.clone(),
                    at: where_.clone(),
                })?;
        let store_path =
            paths::resolve(&written, base).map_err(|source| MsDtsSrvrError::StorePath {
                name: name.clone(),
                at: where_.clone(),
                source,
            })?;
        FolderLocation::FileSystem {
            store_path,
            create: Default::default(),
        }
    };
    let spec = FolderSpec { name, location };
    spec.validate().map_err(|e| MsDtsSrvrError::Folder {
        at: where_,
        message: e.to_string(),
    })?;
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
        let e = parse(&DEFAULT.replace(">true<", ">yes<"), Path::new("/a.xml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("StopExecutingPackagesOnShutdown") && e.contains("line 3"),
            "{e}"
        );
        let e = parse(
            &DEFAULT.replace("<Name>MSDB</Name>", ""),
            Path::new("/a.xml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("no <Name>") && e.contains("line 5"), "{e}");
        let e = parse("<Other/>", Path::new("/a.xml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("DtsServiceConfiguration"), "{e}");
        let e = parse("<DtsServiceConfiguration>", Path::new("/a.xml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not valid XML"), "{e}");
        let e = parse(
            &DEFAULT.replace("..\\Packages", "C:\\Packages"),
            Path::new("/a.xml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("Windows drive"), "{e}");
        let e = parse(
            &DEFAULT.replace("<Name>MSDB</Name>", "<Name>a|b</Name>"),
            Path::new("/a.xml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not allowed"), "{e}");
    }
}
