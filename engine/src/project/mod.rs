//! Projects of the project deployment model (SSIS 2012+): a Visual Studio project folder as
//! users keep it in git (`*.dtproj` holding the manifest, `Project.params`, `*.conmgr`, the
//! packages), the same folder unpacked from an `.ispac` (`@Project.manifest` instead of the
//! `.dtproj`), or the `.ispac` archive itself. [`Project::open`] reads the project's manifest,
//! parameters and connection managers; [`Project::load_package`] loads one of its packages and
//! applies the project to it ([`Project::apply`]: the `$Project::` parameters and the project
//! connection managers join the package, as SSIS adds them when it opens a package of a
//! project). This file owns the project as a whole and where its files come from; the formats
//! are `manifest`, `params` and `ispac`, the `.conmgr` reader is `crate::load::conmgr`. It must
//! not run anything nor apply command-line overrides (that is `crate::validate`).

mod error;
pub mod ispac;
pub mod manifest;
pub mod params;
mod summary;

use std::path::{Path, PathBuf};

pub use error::ProjectError;
pub use manifest::{Manifest, ManifestPackage};
pub use summary::{ConnectionSummary, ParameterSummary, ProjectSummary};

use crate::load::{self, LoadOptions};
use crate::model::project::PROJECT_ROOT;
use crate::model::{
    ConnectionManager, Package, Parameter, ProjectScope, ProtectionLevel, SensitiveValue,
};

/// The name of the manifest part of an `.ispac`.
pub const MANIFEST_FILE: &str = "@Project.manifest";
/// The name of the project parameters file.
pub const PARAMS_FILE: &str = "Project.params";

/// Where the project's files are.
#[derive(Debug)]
enum Files {
    Folder(PathBuf),
    Ispac(ispac::Archive),
}

/// Which form the project was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectForm {
    /// A folder with a `.dtproj` (Visual Studio), `@Project.manifest` (an unpacked `.ispac`)
    /// or neither (packages and `.conmgr` files only).
    Folder,
    /// An `.ispac` archive.
    Ispac,
}

/// One package of the project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProjectPackage {
    /// The file name in the project, e.g. `Load Sales.dtsx`.
    pub file: String,
    /// Whether it may be started on its own (the manifest's EntryPoint).
    pub entry_point: bool,
}

impl ProjectPackage {
    /// The package's name: the file name without `.dtsx`.
    pub fn name(&self) -> &str {
        strip_dtsx(&self.file)
    }
}

fn strip_dtsx(file: &str) -> &str {
    match file.len().checked_sub(5) {
        Some(i) if file.is_char_boundary(i) && file[i..].eq_ignore_ascii_case(".dtsx") => {
            &file[..i]
        }
        _ => file,
    }
}

fn has_extension(file: &str, ext: &str) -> bool {
    file.rsplit_once('.')
        .is_some_and(|(stem, e)| !stem.is_empty() && e.eq_ignore_ascii_case(ext))
}

/// A project, read and checked.
#[derive(Debug)]
pub struct Project {
    /// The folder or `.ispac` it was read from (for messages and for resolving relative paths).
    location: PathBuf,
    form: ProjectForm,
    name: String,
    id: String,
    protection_level: ProtectionLevel,
    version: (i64, i64, i64),
    packages: Vec<ProjectPackage>,
    parameters: Vec<Parameter>,
    connections: Vec<ConnectionManager>,
    unreadable: Vec<SensitiveValue>,
    /// The manifest as written, when the project has one.
    manifest_xml: Option<String>,
    files: Files,
    options: LoadOptions,
}

impl Project {
    /// Opens the project at `path`: a folder, a `.dtproj` file (its folder is the project) or
    /// an `.ispac` file.
    pub fn open(path: &Path, options: &LoadOptions) -> Result<Project, ProjectError> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ProjectError::NotFound(path.to_path_buf()))
            }
            Err(source) => {
                return Err(ProjectError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        if meta.is_dir() {
            return Self::open_folder(path, None, options);
        }
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        if has_extension(file, "dtproj") {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            return Self::open_folder(dir.unwrap_or(Path::new(".")), Some(file), options);
        }
        let bytes = load::read_limited(path, options.max_bytes).map_err(|e| match e {
            load::LoadError::Io { source, .. } => ProjectError::Io {
                path: path.to_path_buf(),
                source,
            },
            other => ProjectError::NotAnIspac {
                path: path.to_path_buf(),
                detail: other.to_string(),
            },
        })?;
        Self::from_ispac(bytes, path, options)
    }

    /// Reads an `.ispac` archive from its bytes; `location` names it in messages.
    pub fn from_ispac(
        bytes: Vec<u8>,
        location: &Path,
        options: &LoadOptions,
    ) -> Result<Project, ProjectError> {
        let archive = ispac::Archive::new(bytes).map_err(|e| ProjectError::NotAnIspac {
            path: location.to_path_buf(),
            detail: e.to_string(),
        })?;
        let files = Files::Ispac(archive);
        let names = files.names()?;
        if !names.iter().any(|n| n == MANIFEST_FILE) {
            return Err(ProjectError::NotAnIspac {
                path: location.to_path_buf(),
                detail: format!("it has no {MANIFEST_FILE} part"),
            });
        }
        let text = files.text(location, MANIFEST_FILE, options)?;
        let manifest = parse_manifest(location, MANIFEST_FILE, &text, false)?;
        let stem = location
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("project")
            .to_string();
        Self::finish(
            location,
            ProjectForm::Ispac,
            files,
            names,
            Some(manifest),
            stem,
            options,
        )
    }

    fn open_folder(
        dir: &Path,
        dtproj: Option<&str>,
        options: &LoadOptions,
    ) -> Result<Project, ProjectError> {
        let files = Files::Folder(dir.to_path_buf());
        let names = files.names()?;
        let folder_name = std::fs::canonicalize(dir)
            .ok()
            .and_then(|d| d.file_name().and_then(|f| f.to_str()).map(str::to_string))
            .unwrap_or_else(|| "project".to_string());
        let dtprojs: Vec<&String> = match dtproj {
            Some(f) => names.iter().filter(|n| *n == f).collect(),
            None => names
                .iter()
                .filter(|n| has_extension(n, "dtproj"))
                .collect(),
        };
        let (manifest, name) = if names.iter().any(|n| n == MANIFEST_FILE) && dtproj.is_none() {
            let text = files.text(dir, MANIFEST_FILE, options)?;
            (
                Some(parse_manifest(dir, MANIFEST_FILE, &text, false)?),
                folder_name,
            )
        } else {
            match dtprojs.as_slice() {
                [] => (None, folder_name),
                [one] => {
                    let text = files.text(dir, one, options)?;
                    let stem = strip_extension(one).to_string();
                    (Some(parse_manifest(dir, one, &text, true)?), stem)
                }
                many => {
                    return Err(ProjectError::SeveralProjects {
                        path: dir.to_path_buf(),
                        names: many
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                }
            }
        };
        Self::finish(
            dir,
            ProjectForm::Folder,
            files,
            names,
            manifest,
            name,
            options,
        )
    }

    fn finish(
        location: &Path,
        form: ProjectForm,
        files: Files,
        names: Vec<String>,
        manifest: Option<Manifest>,
        fallback_name: String,
        options: &LoadOptions,
    ) -> Result<Project, ProjectError> {
        let level = manifest
            .as_ref()
            .map_or(ProtectionLevel::EncryptSensitiveWithUserKey, |m| {
                m.protection_level
            });
        if matches!(
            level,
            ProtectionLevel::EncryptAllWithPassword | ProtectionLevel::EncryptAllWithUserKey
        ) {
            return Err(ProjectError::EncryptedProject {
                project: location.to_path_buf(),
                level: level.to_string(),
            });
        }
        // A project never keeps a sensitive value in clear: whatever is there is encrypted.
        let blank = level != ProtectionLevel::DontSaveSensitive;
        let mut unreadable = Vec::new();
        let mut parameters = Vec::new();
        if let Some(found) = find_name(&names, PARAMS_FILE) {
            let text = files.text(location, found, options)?;
            let read = params::read(&text, blank).map_err(|e| ProjectError::Invalid {
                project: location.to_path_buf(),
                file: found.to_string(),
                line: e.line,
                message: e.message,
            })?;
            parameters = read.parameters;
            unreadable.extend(read.unreadable);
        }
        let listed_connections: Vec<String> = match &manifest {
            Some(m) => m.connection_managers.clone(),
            None => names
                .iter()
                .filter(|n| has_extension(n, "conmgr"))
                .cloned()
                .collect(),
        };
        let mut connections: Vec<ConnectionManager> = Vec::new();
        for listed in &listed_connections {
            let Some(found) = find_name(&names, listed) else {
                return Err(ProjectError::MissingFile {
                    project: location.to_path_buf(),
                    file: listed.clone(),
                });
            };
            let bytes = files.bytes(location, found, options)?;
            let loaded = load::load_connection_manager(
                &bytes,
                options,
                PROJECT_ROOT,
                "ConnectionManagers",
                blank,
            )
            .map_err(|source| ProjectError::Load {
                project: location.to_path_buf(),
                file: found.to_string(),
                source,
            })?;
            let mut cm = loaded.manager;
            if let Some(twin) = connections
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&cm.name))
            {
                return Err(ProjectError::Invalid {
                    project: location.to_path_buf(),
                    file: found.to_string(),
                    line: 1,
                    message: format!(
                        "a second project connection manager is named \"{}\" (as {}); rename \
                         one of them",
                        cm.name, twin.name
                    ),
                });
            }
            cm.project = true;
            cm.ref_id = Some(format!("Project.ConnectionManagers[{}]", cm.name));
            unreadable.extend(loaded.unreadable);
            connections.push(cm);
        }
        let packages: Vec<ProjectPackage> = match &manifest {
            Some(m) => m
                .packages
                .iter()
                .map(|p| ProjectPackage {
                    file: p.file.clone(),
                    entry_point: p.entry_point,
                })
                .collect(),
            None => names
                .iter()
                .filter(|n| has_extension(n, "dtsx"))
                .map(|n| ProjectPackage {
                    file: n.clone(),
                    entry_point: true,
                })
                .collect(),
        };
        for p in &packages {
            if find_name(&names, &p.file).is_none() {
                return Err(ProjectError::MissingFile {
                    project: location.to_path_buf(),
                    file: p.file.clone(),
                });
            }
        }
        let name = manifest
            .as_ref()
            .and_then(|m| m.name.clone())
            .unwrap_or(fallback_name);
        Ok(Project {
            location: location.to_path_buf(),
            form,
            name,
            id: manifest.as_ref().map(|m| m.id.clone()).unwrap_or_default(),
            protection_level: level,
            version: manifest.as_ref().map_or((0, 0, 0), |m| m.version),
            packages,
            parameters,
            connections,
            unreadable,
            manifest_xml: manifest.map(|m| m.xml),
            files,
            options: options.clone(),
        })
    }

    pub fn location(&self) -> &Path {
        &self.location
    }

    pub fn form(&self) -> ProjectForm {
        self.form
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The manifest's project ID (a GUID), empty when the project has no manifest.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn protection_level(&self) -> ProtectionLevel {
        self.protection_level
    }

    /// (VersionMajor, VersionMinor, VersionBuild) of the manifest.
    pub fn version(&self) -> (i64, i64, i64) {
        self.version
    }

    pub fn packages(&self) -> &[ProjectPackage] {
        &self.packages
    }

    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    /// The project connection managers (`\Project.ConnectionManagers[Name]`).
    pub fn connections(&self) -> &[ConnectionManager] {
        &self.connections
    }

    /// The password the project was opened with (`/De[crypt]`), for its packages.
    pub fn password(&self) -> Option<&crate::protection::PackagePassword> {
        self.options.password.as_ref()
    }

    /// The package `name` (`Load Sales`, `Load Sales.dtsx`, any case).
    pub fn find_package(&self, name: &str) -> Result<&ProjectPackage, ProjectError> {
        let wanted = strip_dtsx(name.trim());
        self.packages
            .iter()
            .find(|p| p.name() == wanted)
            .or_else(|| {
                self.packages
                    .iter()
                    .find(|p| p.name().eq_ignore_ascii_case(wanted))
            })
            .ok_or_else(|| ProjectError::PackageNotFound {
                project: self.name.clone(),
                package: name.trim().to_string(),
                known: self.package_names(),
            })
    }

    fn package_names(&self) -> String {
        if self.packages.is_empty() {
            return "(none)".to_string();
        }
        self.packages
            .iter()
            .map(|p| p.file.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The bytes of the package `name` as stored in the project.
    pub fn package_bytes(&self, name: &str) -> Result<Vec<u8>, ProjectError> {
        let file = self.find_package(name)?.file.clone();
        let names = self.files.names()?;
        let found = find_name(&names, &file).ok_or_else(|| ProjectError::MissingFile {
            project: self.location.clone(),
            file: file.clone(),
        })?;
        self.files.bytes(&self.location, found, &self.options)
    }

    /// A path that stands for the package `file` of the project: the file itself in a folder
    /// project, `<dir of the .ispac>/<file>` for an archive (the base of the package's relative
    /// paths, and its identity in the chain of Execute Package children).
    pub fn package_path(&self, file: &str) -> PathBuf {
        match self.form {
            ProjectForm::Folder => self.location.join(file),
            ProjectForm::Ispac => self.location.parent().unwrap_or(Path::new("")).join(file),
        }
    }

    /// The project as the packages of this run see it: its name, parameters and unreadable
    /// sensitive values.
    pub fn scope(&self) -> ProjectScope {
        ProjectScope {
            name: self.name.clone(),
            protection_level: self.protection_level,
            parameters: self.parameters.clone(),
            unreadable_sensitive_values: self.unreadable.clone(),
        }
    }

    /// Loads the package `name` of the project and applies the project to it.
    pub fn load_package(&self, name: &str) -> Result<Package, ProjectError> {
        let mut package = self.load_bare(name)?;
        apply(&mut package, self.scope(), &self.connections)?;
        Ok(package)
    }

    /// Loads the package `name` and gives it the project as `parent` (a package of this project
    /// already running) sees it — its parameter values and project connection managers after
    /// the command line's overrides — as Execute Package does for a project reference.
    pub fn load_sibling(&self, name: &str, parent: &Package) -> Result<Package, ProjectError> {
        let mut package = self.load_bare(name)?;
        let scope = parent.project.clone().unwrap_or_else(|| self.scope());
        let shared: Vec<ConnectionManager> = parent
            .connections
            .iter()
            .filter(|c| c.project)
            .cloned()
            .collect();
        apply(&mut package, scope, &shared)?;
        Ok(package)
    }

    fn load_bare(&self, name: &str) -> Result<Package, ProjectError> {
        let file = self.find_package(name)?.file.clone();
        let bytes = self.package_bytes(&file)?;
        load::load_package_with(&bytes, &self.options).map_err(|source| ProjectError::Load {
            project: self.location.clone(),
            file,
            source,
        })
    }

    /// The project as an `.ispac` archive: the manifest (the project's own, or one written
    /// from what was found when the folder has none), `Project.params`, the `.conmgr` files and
    /// the packages, each as stored.
    pub fn to_ispac(&self) -> Result<Vec<u8>, ProjectError> {
        let names = self.files.names()?;
        let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
        let manifest = match &self.manifest_xml {
            Some(xml) => xml.clone(),
            None => self.written_manifest(),
        };
        parts.push((MANIFEST_FILE.to_string(), manifest.into_bytes()));
        match find_name(&names, PARAMS_FILE) {
            Some(found) => parts.push((
                PARAMS_FILE.to_string(),
                self.files.bytes(&self.location, found, &self.options)?,
            )),
            None => parts.push((
                PARAMS_FILE.to_string(),
                b"<?xml version=\"1.0\"?>\n<SSIS:Parameters xmlns:SSIS=\"www.microsoft.com/SqlServer/SSIS\" />"
                    .to_vec(),
            )),
        }
        let mut files: Vec<String> = names
            .iter()
            .filter(|n| has_extension(n, "conmgr"))
            .cloned()
            .collect();
        files.extend(self.packages.iter().map(|p| p.file.clone()));
        for file in files {
            let found = find_name(&names, &file).unwrap_or(&file).to_string();
            let bytes = self.files.bytes(&self.location, &found, &self.options)?;
            parts.push((found, bytes));
        }
        ispac::write(&parts).map_err(ProjectError::Write)
    }

    /// A manifest for a folder that has none.
    fn written_manifest(&self) -> String {
        let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
        let level = format!("{:?}", self.protection_level);
        let mut out = format!(
            "<SSIS:Project SSIS:ProtectionLevel=\"{level}\" xmlns:SSIS=\"{}\">\n  \
             <SSIS:Properties>\n    <SSIS:Property SSIS:Name=\"Name\">{}</SSIS:Property>\n    \
             <SSIS:Property SSIS:Name=\"FormatVersion\">1</SSIS:Property>\n  \
             </SSIS:Properties>\n  <SSIS:Packages>\n",
            manifest::SSIS_NS,
            esc(&self.name)
        );
        for p in &self.packages {
            out.push_str(&format!(
                "    <SSIS:Package SSIS:Name=\"{}\" SSIS:EntryPoint=\"{}\" />\n",
                esc(&p.file),
                u8::from(p.entry_point)
            ));
        }
        out.push_str("  </SSIS:Packages>\n  <SSIS:ConnectionManagers>\n");
        if let Files::Folder(_) = self.files {
            for n in self
                .files
                .names()
                .unwrap_or_default()
                .iter()
                .filter(|n| has_extension(n, "conmgr"))
            {
                out.push_str(&format!(
                    "    <SSIS:ConnectionManager SSIS:Name=\"{}\" />\n",
                    esc(n)
                ));
            }
        }
        out.push_str("  </SSIS:ConnectionManagers>\n</SSIS:Project>");
        out
    }
}

fn strip_extension(file: &str) -> &str {
    file.rsplit_once('.').map_or(file, |(stem, _)| stem)
}

/// `wanted` among `names`: exact first, then ignoring case (projects come from Windows, where
/// names in the manifest and on disk may differ in case).
fn find_name<'a>(names: &'a [String], wanted: &str) -> Option<&'a str> {
    names
        .iter()
        .find(|n| *n == wanted)
        .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
        .map(String::as_str)
}

fn parse_manifest(
    location: &Path,
    file: &str,
    text: &str,
    dtproj: bool,
) -> Result<Manifest, ProjectError> {
    let invalid = |line: u32, message: String| ProjectError::Invalid {
        project: location.to_path_buf(),
        file: file.to_string(),
        line,
        message,
    };
    let doc = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .map_err(|e| invalid(e.pos().row, format!("not well-formed XML: {e}")))?;
    let node = if dtproj {
        match manifest::in_dtproj(&doc) {
            Ok(n) => n,
            Err(Some(model)) => {
                return Err(ProjectError::PackageDeploymentModel {
                    path: location.to_path_buf(),
                    model,
                })
            }
            Err(None) => {
                return Err(invalid(
                    1,
                    "the project file holds no manifest \
                     (DeploymentModelSpecificContent/Manifest/SSIS:Project); open and save the \
                     project in Visual Studio, or give its .ispac"
                        .to_string(),
                ))
            }
        }
    } else {
        let root = doc.root_element();
        if !manifest::is_ssis(root, "Project") {
            return Err(invalid(
                1,
                format!(
                    "the root element is <{}>, expected <SSIS:Project> in namespace {}",
                    root.tag_name().name(),
                    manifest::SSIS_NS
                ),
            ));
        }
        root
    };
    manifest::read(&doc, text, node).map_err(|e| invalid(e.line, e.message))
}

impl Files {
    /// The file names of the project (top level only).
    fn names(&self) -> Result<Vec<String>, ProjectError> {
        match self {
            Files::Ispac(a) => Ok(a.names().map(str::to_string).collect()),
            Files::Folder(dir) => {
                let io = |source| ProjectError::Io {
                    path: dir.clone(),
                    source,
                };
                let mut out = Vec::new();
                for entry in std::fs::read_dir(dir).map_err(io)? {
                    let entry = entry.map_err(io)?;
                    let is_file = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file());
                    if let (true, Some(n)) = (is_file, entry.file_name().to_str()) {
                        out.push(n.to_string());
                    }
                }
                out.sort();
                Ok(out)
            }
        }
    }

    /// The bytes of `file`, which exists (it came from `names`).
    fn bytes(
        &self,
        location: &Path,
        file: &str,
        options: &LoadOptions,
    ) -> Result<Vec<u8>, ProjectError> {
        match self {
            Files::Folder(dir) => {
                let path = dir.join(file);
                load::read_limited(&path, options.max_bytes).map_err(|e| match e {
                    load::LoadError::Io { source, .. } => ProjectError::Io { path, source },
                    source => ProjectError::Load {
                        project: location.to_path_buf(),
                        file: file.to_string(),
                        source,
                    },
                })
            }
            Files::Ispac(a) => match a.read(file, options.max_bytes) {
                Ok(Some(b)) => Ok(b),
                Ok(None) => Err(ProjectError::MissingFile {
                    project: location.to_path_buf(),
                    file: file.to_string(),
                }),
                Err(ispac::ReadError::TooLarge) => Err(ProjectError::TooLarge {
                    path: location.to_path_buf(),
                    entry: file.to_string(),
                    limit: options.max_bytes,
                }),
                Err(ispac::ReadError::Damaged(detail)) => Err(ProjectError::NotAnIspac {
                    path: location.to_path_buf(),
                    detail: format!("the part \"{file}\" cannot be read: {detail}"),
                }),
            },
        }
    }

    /// The text of an XML file of the project (UTF-8 with or without BOM, or UTF-16).
    fn text(
        &self,
        location: &Path,
        file: &str,
        options: &LoadOptions,
    ) -> Result<String, ProjectError> {
        let bytes = self.bytes(location, file, options)?;
        load::decode::decode(&bytes, options.max_bytes).map_err(|source| ProjectError::Load {
            project: location.to_path_buf(),
            file: file.to_string(),
            source,
        })
    }
}

/// Gives `package` its project: `scope` (the `$Project::` parameters) and the project
/// connection managers `connections`, added to the package's own. A package connection manager
/// with the name or DTSID of a project one is refused: SSIS keeps one or the other.
pub fn apply(
    package: &mut Package,
    scope: ProjectScope,
    connections: &[ConnectionManager],
) -> Result<(), ProjectError> {
    for cm in connections {
        let clash = package.connections.iter().find(|own| {
            !own.project
                && (own.name.eq_ignore_ascii_case(&cm.name)
                    || (!cm.dtsid.is_empty() && own.dtsid.eq_ignore_ascii_case(&cm.dtsid)))
        });
        if let Some(own) = clash {
            return Err(ProjectError::ConnectionClash {
                project: scope.name.clone(),
                package: package.properties.name.clone(),
                name: own.name.clone(),
            });
        }
    }
    package.connections.retain(|c| !c.project);
    package.connections.extend(connections.iter().cloned());
    package.project = Some(scope);
    Ok(())
}

#[cfg(test)]
mod tests;
