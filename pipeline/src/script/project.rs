//! The script project a Script Component stores in its custom properties: `SourceCode` (2012+:
//! triples *file name, encoding, text*; 2008 and 2005: pairs *name, text*), `BinaryCode`
//! (pairs *file name, base64 assembly*), `ScriptLanguage`, `VSTAProjectName` (2005:
//! `VsaProjectName`) and the `ReadOnlyVariables` / `ReadWriteVariables` lists. The wrapper
//! files SSIS generated (`BufferWrapper`, `ComponentWrapper`) are left out of the sources:
//! `wrappers.rs` generates them again from the component's metadata, as SSIS does. It only
//! parses.

use base64::Engine;
use ssisd_engine::model::{find_property, CustomProperty};

use super::Language;

/// One stored source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// As stored (`main.cs`, `\main.cs`, `Properties\AssemblyInfo.cs`).
    pub name: String,
    pub text: String,
}

impl StoredFile {
    /// The file name without directories, lower case.
    fn base(&self) -> String {
        self.name
            .rsplit(['\\', '/'])
            .next()
            .unwrap_or(&self.name)
            .to_ascii_lowercase()
    }

    /// A source of `language` the script's own code is in (not a generated wrapper).
    pub fn is_own_code(&self, language: Language) -> bool {
        let b = self.base();
        let ext = match language {
            Language::CSharp => ".cs",
            Language::VisualBasic => ".vb",
        };
        b.ends_with(ext) && !b.starts_with("bufferwrapper.") && !b.starts_with("componentwrapper.")
    }
}

/// A parsed Script Component project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentProject {
    pub name: String,
    pub language: Language,
    pub read_only: Vec<String>,
    pub read_write: Vec<String>,
    pub files: Vec<StoredFile>,
    pub binaries: Vec<(String, Vec<u8>)>,
}

/// A comma-separated variable list.
pub fn variable_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Encodings SSIS writes as the middle element of a 2012+ triple.
fn is_encoding(e: &str) -> bool {
    matches!(
        e.trim().to_ascii_uppercase().as_str(),
        "UTF8" | "UTF16LE" | "UTF16BE" | "UTF32" | "ASCII" | "DEFAULT" | "UNICODE"
    )
}

/// A Script Component's stored project that cannot be read. The text says what is wrong with
/// "its" properties; the caller names the component.
#[derive(Debug, thiserror::Error)]
pub enum ComponentProjectError {
    #[error("its ScriptLanguage \"{0}\" is not known")]
    Language(String),
    /// A BinaryCode element that is not base64; holds the file name.
    #[error("its precompiled script \"{name}\" is not valid base64: {source}")]
    Base64 {
        name: String,
        source: base64::DecodeError,
    },
}

impl ComponentProject {
    pub fn parse(properties: &[CustomProperty]) -> Result<ComponentProject, ComponentProjectError> {
        let text = |n: &str| {
            find_property(properties, n)
                .map(|p| p.value.trim().to_string())
                .unwrap_or_default()
        };
        let language = match text("ScriptLanguage").as_str() {
            "" | "CSharp" | "Microsoft Visual C#" | "Microsoft Visual C# 2008" => Language::CSharp,
            l if l.contains("Basic") => Language::VisualBasic,
            other => return Err(ComponentProjectError::Language(other.to_string())),
        };
        let source = find_property(properties, "SourceCode")
            .map(|p| p.elements.clone())
            .unwrap_or_default();
        let triples = source.len() % 3 == 0
            && !source.is_empty()
            && source.chunks(3).all(|c| is_encoding(&c[1]));
        let mut files = Vec::new();
        if triples {
            for c in source.chunks(3) {
                files.push(StoredFile {
                    name: c[0].trim().to_string(),
                    text: c[2].clone(),
                });
            }
        } else {
            for c in source.chunks(2) {
                if let [name, body] = c {
                    files.push(StoredFile {
                        name: name.trim().to_string(),
                        text: body.clone(),
                    });
                }
            }
        }
        let mut binaries = Vec::new();
        let stored = find_property(properties, "BinaryCode")
            .map(|p| p.elements.clone())
            .unwrap_or_default();
        for c in stored.chunks(2) {
            if let [name, body] = c {
                let compact: String = body.split_whitespace().collect();
                if compact.is_empty() || name.to_ascii_lowercase().ends_with(".pdb") {
                    continue;
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact.as_bytes())
                    .map_err(|source| ComponentProjectError::Base64 {
                        name: name.clone(),
                        source,
                    })?;
                binaries.push((name.clone(), bytes));
            }
        }
        let mut name = text("VSTAProjectName");
        if name.is_empty() {
            name = text("VsaProjectName");
        }
        Ok(ComponentProject {
            name,
            language,
            read_only: variable_list(&text("ReadOnlyVariables")),
            read_write: variable_list(&text("ReadWriteVariables")),
            files,
            binaries,
        })
    }

    /// The script's own sources, by name (wrappers and non-code files left out).
    pub fn own_sources(&self) -> Vec<&StoredFile> {
        let mut v: Vec<&StoredFile> = self
            .files
            .iter()
            .filter(|f| f.is_own_code(self.language))
            .collect();
        v.sort_by_key(|f| f.name.to_ascii_lowercase());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(name: &str, elements: &[&str]) -> CustomProperty {
        CustomProperty {
            name: name.into(),
            elements: elements.iter().map(|e| e.to_string()).collect(),
            ..Default::default()
        }
    }

    fn plain(name: &str, value: &str) -> CustomProperty {
        CustomProperty {
            name: name.into(),
            value: value.into(),
            ..Default::default()
        }
    }

    #[test]
    fn triples_of_2012_and_pairs_of_2008_leave_the_wrappers_out() {
        let p = ComponentProject::parse(&[
            array(
                "SourceCode",
                &[
                    "main.cs",
                    "UTF8",
                    "class ScriptMain {}",
                    "BufferWrapper.cs",
                    "UTF8",
                    "old",
                    "Properties\\AssemblyInfo.cs",
                    "UTF8",
                    "// info",
                    "SC_1.csproj",
                    "UTF8",
                    "<Project/>",
                ],
            ),
            array("BinaryCode", &["SC_1.dll", "TVqQ"]),
            plain("ScriptLanguage", "CSharp"),
            plain("ReadOnlyVariables", "User::A, B"),
            plain("VSTAProjectName", "SC_1"),
        ])
        .expect("parses");
        let names: Vec<&str> = p.own_sources().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["main.cs", "Properties\\AssemblyInfo.cs"]);
        assert!(p.binaries[0].1.starts_with(b"MZ"));
        assert_eq!(p.read_only, vec!["User::A", "B"]);
        assert_eq!(p.name, "SC_1");
        let p = ComponentProject::parse(&[
            array(
                "SourceCode",
                &[
                    "\\main.cs",
                    "class ScriptMain {}",
                    "\\componentwrapper.cs",
                    "x",
                ],
            ),
            plain("ScriptLanguage", "CSharp"),
        ])
        .expect("parses");
        assert_eq!(p.own_sources().len(), 1);
    }
}
