//! The Foreach File enumerator: the files of a folder (mapped from a Windows path) that match
//! a file mask (`*`, `?`, matched ignoring case as Windows does), optionally in every
//! subfolder, each returned as its full path, name and extension, or name only — sorted so
//! runs are repeatable. It owns listing and matching; it must not change any file.

use std::path::Path;

use super::super::paths::map_path;
use super::super::properties::PropertyOverrides;
use super::{attribute, EnumeratorError};
use ssisd_engine::model::RawXml;
use ssisd_engine::types::Value;

/// FileNameRetrievalType.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameFormat {
    FullPath,
    NameAndExtension,
    NameOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEnumerator {
    pub folder: String,
    pub mask: String,
    pub format: NameFormat,
    pub recurse: bool,
}

fn truthy(s: &str) -> bool {
    matches!(s.trim().to_ascii_lowercase().as_str(), "1" | "-1" | "true")
}

impl FileEnumerator {
    /// From `FEFEProperty` elements and the enumerator's property expressions
    /// (`Directory`, `FileSpec`, `FileNameRetrieval`, `Recurse`).
    pub fn from_config(cfg: Option<&RawXml>, o: &PropertyOverrides) -> FileEnumerator {
        let folder = o
            .text(&["Directory", "Folder"])
            .or_else(|| attribute(cfg, "Folder"))
            .unwrap_or_default();
        let mask = o
            .text(&["FileSpec"])
            .or_else(|| attribute(cfg, "FileSpec"))
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| "*.*".into());
        let format = o
            .int(&["FileNameRetrieval", "FileNameRetrievalType"])
            .or_else(|| {
                attribute(cfg, "FileNameRetrievalType").and_then(|s| s.trim().parse().ok())
            });
        let format = match format {
            Some(1) => NameFormat::NameAndExtension,
            Some(2) => NameFormat::NameOnly,
            _ => NameFormat::FullPath,
        };
        let recurse = o
            .bool(&["Recurse"])
            .or_else(|| attribute(cfg, "Recurse").map(|s| truthy(&s)))
            .unwrap_or(false);
        FileEnumerator {
            folder: map_path(&folder),
            mask,
            format,
            recurse,
        }
    }

    /// The matching files, one value each.
    pub fn list(&self) -> Result<Vec<Vec<Value>>, EnumeratorError> {
        let mut found = Vec::new();
        collect(
            Path::new(&self.folder),
            &self.mask,
            self.recurse,
            &mut found,
        )
        .map_err(|source| EnumeratorError::ListFolder {
            folder: self.folder.clone(),
            source,
        })?;
        found.sort();
        Ok(found
            .into_iter()
            .map(|p| {
                let path = Path::new(&p);
                let text = match self.format {
                    NameFormat::FullPath => p.clone(),
                    NameFormat::NameAndExtension => path
                        .file_name()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    NameFormat::NameOnly => path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                };
                vec![Value::WStr(text)]
            })
            .collect())
    }
}

fn collect(dir: &Path, mask: &str, recurse: bool, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        let path = entry.path();
        if ft.is_dir() || (ft.is_symlink() && path.is_dir()) {
            if recurse {
                collect(&path, mask, recurse, out)?;
            }
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if wildcard(mask, &name) {
            out.push(path.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// Windows-style wildcard match, ignoring case; `*.*` also matches names without a dot.
pub fn wildcard(mask: &str, name: &str) -> bool {
    let m = mask.trim();
    if m == "*.*" || m == "*" {
        return true;
    }
    let p: Vec<char> = m.to_lowercase().chars().collect();
    let s: Vec<char> = name.to_lowercase().chars().collect();
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert!(wildcard("*.csv", "A.CSV"));
        assert!(!wildcard("*.csv", "a.csv.bak"));
        assert!(wildcard("svc_*_v1*.csv", "svc_x_v12.csv"));
        assert!(wildcard("a?c.txt", "abc.txt"));
        assert!(wildcard("*.*", "noext"));
    }

    #[test]
    fn lists_with_formats_and_recursion() {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(d.path().join("sub")).expect("mkdir");
        for f in ["b.txt", "a.txt", "c.log", "sub/d.txt"] {
            std::fs::write(d.path().join(f), "x").expect("write");
        }
        let mut e = FileEnumerator {
            folder: d.path().display().to_string(),
            mask: "*.txt".into(),
            format: NameFormat::NameOnly,
            recurse: false,
        };
        let names: Vec<Value> = e.list().expect("list").into_iter().flatten().collect();
        assert_eq!(
            names,
            vec![Value::WStr("a".into()), Value::WStr("b".into())]
        );
        e.recurse = true;
        e.format = NameFormat::FullPath;
        let all = e.list().expect("list");
        assert_eq!(all.len(), 3);
        e.folder = "/nonexistent-dir".into();
        assert!(e.list().is_err());
    }
}
