//! The `<ScriptProject>` of a Script Task's object data, as stored by every SSIS generation
//! (2005 VSA, 2008 VSTA 2, 2012+ VSTA 3 to 16): its name, language, entry point, the
//! ReadOnlyVariables and ReadWriteVariables lists (property values override the attributes),
//! its source items and its precompiled assemblies (`BinaryItem`, base64). Items are matched
//! by name, case-insensitively, whatever their order. It only parses: it opens nothing.

use base64::Engine;

use crate::properties::PropertyOverrides;
use crate::tasks::TaskConfigError;
use ssisd_engine::model::RawXml;
use ssisd_pipeline::script::project::variable_list;
pub use ssisd_pipeline::script::Language;
use ssisd_pipeline::script::{ScriptKind, ScriptSources};

/// One source item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceItem {
    /// As stored (`ScriptMain.cs`, `\scriptmain.cs`, `dts://Scripts/…/ScriptMain.vsaitem`).
    pub name: String,
    pub text: String,
}

impl SourceItem {
    /// The file name without directories (`ScriptMain.cs`).
    pub fn file_name(&self) -> &str {
        self.name.rsplit(['\\', '/']).next().unwrap_or(&self.name)
    }

    /// A compilable source of `language`.
    fn is_code(&self, language: Language) -> bool {
        let n = self.file_name().to_ascii_lowercase();
        match language {
            Language::CSharp => n.ends_with(".cs"),
            Language::VisualBasic => n.ends_with(".vb") || n.ends_with(".vsaitem"),
        }
    }
}

/// A parsed `<ScriptProject>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptProject {
    /// `ST_<hex>`, `ScriptTask_<hex>`: the root namespace and assembly name.
    pub name: String,
    pub language: Language,
    /// 2005: the class to run (`ScriptMain`); 2008: the method (`Main`); 2012+: absent.
    pub entry_point: String,
    pub read_only: Vec<String>,
    pub read_write: Vec<String>,
    pub items: Vec<SourceItem>,
    /// Precompiled assemblies (not the `.pdb`s), in document order.
    pub binaries: Vec<(String, Vec<u8>)>,
}

impl ScriptProject {
    /// Parses the task's object data; `overrides` carry ReadOnlyVariables/ReadWriteVariables
    /// set by property expressions or `/Set`.
    pub fn parse(
        od: Option<&RawXml>,
        o: &PropertyOverrides,
    ) -> Result<ScriptProject, TaskConfigError> {
        let Some(od) = od else {
            return Err(TaskConfigError::NoScriptProject);
        };
        let doc = od.document();
        let parsed = roxmltree::Document::parse(&doc).map_err(TaskConfigError::InvalidScriptXml)?;
        let sp = parsed
            .descendants()
            .find(|n| n.tag_name().name() == "ScriptProject")
            .ok_or(TaskConfigError::NoScriptProjectElement)?;
        let attr = |name: &str| {
            sp.attributes()
                .find(|a| a.name().eq_ignore_ascii_case(name))
                .map(|a| a.value().to_string())
        };
        let language = match attr("Language").unwrap_or_default().as_str() {
            "CSharp" => Language::CSharp,
            "VisualBasic" | "Microsoft Visual Basic .NET" => Language::VisualBasic,
            "" => Language::CSharp,
            other => return Err(TaskConfigError::ScriptLanguage(other.to_string())),
        };
        let list = |prop: &str| {
            o.text(&[prop])
                .or_else(|| attr(prop))
                .map(|t| variable_list(&t))
                .unwrap_or_default()
        };
        let mut items = Vec::new();
        let mut binaries = Vec::new();
        for item in sp.children().filter(|n| n.is_element()) {
            let name = item.attribute("Name").unwrap_or_default().to_string();
            let text: String = item
                .children()
                .filter(|c| c.is_text())
                .filter_map(|c| c.text())
                .collect();
            match item.tag_name().name() {
                "ProjectItem" => items.push(SourceItem { name, text }),
                "BinaryItem" => {
                    if name.to_ascii_lowercase().ends_with(".pdb") {
                        continue;
                    }
                    let compact: String = text.split_whitespace().collect();
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(compact.as_bytes())
                        .map_err(|source| TaskConfigError::ScriptBinary {
                            name: name.clone(),
                            source,
                        })?;
                    binaries.push((name, bytes));
                }
                _ => {}
            }
        }
        Ok(ScriptProject {
            name: attr("Name").unwrap_or_default(),
            language,
            entry_point: o
                .text(&["EntryPoint"])
                .or_else(|| attr("EntryPoint"))
                .unwrap_or_default(),
            read_only: list("ReadOnlyVariables"),
            read_write: list("ReadWriteVariables"),
            items,
            binaries,
        })
    }

    /// The sources to compile, in a stable order (by name).
    pub fn sources(&self) -> Vec<&SourceItem> {
        let mut v: Vec<&SourceItem> = self
            .items
            .iter()
            .filter(|i| i.is_code(self.language))
            .collect();
        v.sort_by(|a, b| {
            a.name
                .to_ascii_lowercase()
                .cmp(&b.name.to_ascii_lowercase())
        });
        v
    }

    /// What the compiler or loader is given.
    pub fn to_sources(&self) -> ScriptSources {
        ScriptSources {
            name: self.name.clone(),
            language: self.language,
            kind: ScriptKind::Task,
            sources: self
                .sources()
                .into_iter()
                .map(|s| (s.name.clone(), s.text.clone()))
                .collect(),
            binaries: self.binaries.clone(),
        }
    }

    /// The class and the method to run: 2005 names the class, later generations the method.
    pub fn entry(&self) -> (String, String) {
        let e = self.entry_point.trim();
        if e.is_empty() || e == "Main" || e == "ScriptMain" {
            ("ScriptMain".into(), "Main".into())
        } else {
            ("ScriptMain".into(), e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn od(inner: &str) -> RawXml {
        RawXml(inner.to_string())
    }

    #[test]
    fn a_2012_project_with_items_in_any_order_and_a_binary() {
        let x = od(
            r#"<ScriptProject Name="ST_ab" VSTAMajorVersion="3" Language="CSharp" ReadOnlyVariables="User::A, $Package::P" ReadWriteVariables="User::B">
<ProjectItem Name="ST_ab.csproj" Encoding="UTF8"><![CDATA[<Project/>]]></ProjectItem>
<ProjectItem Name="ScriptMain.cs" Encoding="UTF8"><![CDATA[class ScriptMain { }]]></ProjectItem>
<ProjectItem Name="Properties\AssemblyInfo.cs" Encoding="UTF8"><![CDATA[// info]]></ProjectItem>
<BinaryItem Name="ST_ab.dll">TVqQ
AAMA</BinaryItem></ScriptProject>"#,
        );
        let p = ScriptProject::parse(Some(&x), &PropertyOverrides::default()).expect("parses");
        assert_eq!(p.name, "ST_ab");
        assert_eq!(p.language, Language::CSharp);
        assert_eq!(p.read_only, vec!["User::A", "$Package::P"]);
        assert_eq!(p.read_write, vec!["User::B"]);
        let names: Vec<&str> = p.sources().iter().map(|s| s.file_name()).collect();
        assert_eq!(names, vec!["AssemblyInfo.cs", "ScriptMain.cs"]);
        assert_eq!(p.binaries.len(), 1);
        assert_eq!(&p.binaries[0].1[..2], b"MZ");
        assert_eq!(p.entry(), ("ScriptMain".into(), "Main".into()));
    }

    #[test]
    fn the_2005_form_names_the_class_and_skips_the_pdb() {
        let x = od(
            r#"<ScriptProject Name="ScriptTask_1" Language="Microsoft Visual Basic .NET" EntryPoint="ScriptMain" ReadOnlyVariables="" ReadWriteVariables="User::f">
<ProjectItem Name="dts://Scripts/ScriptTask_1/ScriptMain.vsaitem"><![CDATA[Public Class ScriptMain
End Class]]></ProjectItem>
<BinaryItem Name="dts://Scripts/ScriptTask_1/ScriptTask_1.dll">TVqQ</BinaryItem>
<BinaryItem Name="dts://Scripts/ScriptTask_1/ScriptTask_1.pdb">TWlj</BinaryItem></ScriptProject>"#,
        );
        let p = ScriptProject::parse(Some(&x), &PropertyOverrides::default()).expect("parses");
        assert_eq!(p.language, Language::VisualBasic);
        assert_eq!(p.sources().len(), 1);
        assert_eq!(p.binaries.len(), 1);
        assert!(p.read_only.is_empty());
        assert_eq!(p.entry(), ("ScriptMain".into(), "Main".into()));
    }

    #[test]
    fn an_unedited_project_is_empty_and_bad_base64_is_refused() {
        let x = od(r#"<ScriptProject Name="ST_x" VSTAMajorVersion="15" Language="CSharp" />"#);
        let p = ScriptProject::parse(Some(&x), &PropertyOverrides::default()).expect("parses");
        assert!(p.sources().is_empty() && p.binaries.is_empty());
        let x = od(
            r#"<ScriptProject Name="ST_x" Language="CSharp"><BinaryItem Name="a.dll">***</BinaryItem></ScriptProject>"#,
        );
        let e = ScriptProject::parse(Some(&x), &PropertyOverrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("a.dll"), "{e}");
    }
}
