//! Finding and preparing the child package: where it is (for a project reference, the package
//! of that name in the run's project — or, for a package run without its project, a sibling
//! `.dtsx` of the parent's file; the file of a FILE connection; or a package in SQL Server
//! fetched through the run's `PackageResolver` when the host gave one, refused by name
//! otherwise), a child file that is not where its reference says looked up by name in the
//! run's package path (`/PackagePath`, `SSISD_PACKAGE_PATH`), loading and validating it like
//! dtexec does (a project's package with the project as the parent sees it), then binding it to
//! the parent — `ParameterAssignment`s and the
//! child's "parent package variable" configurations — from the parent's current values. It
//! also gives the same bindings as `/Par` and `/Set` arguments for an out-of-process child.
//! It must not run the child.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::config::ExecutePackageConfig;
use crate::connections::ConnectionInfo;
use crate::paths::map_path;
use crate::tasks::{ConnectionError, TaskContext};
use crate::validate::validate;
use crate::{ResolveError, RunOptions, StoredPackageRequest};
use ssisd_engine::cli::{DtexecOptions, PropertyPath};
use ssisd_engine::load::{load_package_file_with, LoadError, LoadOptions};
use ssisd_engine::model::Package;
use ssisd_engine::validate::target;

/// Why the child package cannot be run.
#[derive(Debug, Error)]
pub enum ChildError {
    #[error("the Execute Package task names no child package (PackageName or Connection)")]
    NoReference,
    #[error(
        "the child package is stored in SQL Server (msdb) through the connection \"{0}\", and \
         this run has no way to fetch stored packages (dtexec does; a run without it cannot)"
    )]
    Msdb(String),
    #[error(
        "the connection \"{name}\" is a {kind} connection manager; an Execute Package task \
         needs a FILE connection (a package file) or an OLE DB connection (a package in SQL \
         Server)"
    )]
    NotAPackageConnection { name: String, kind: String },
    #[error(
        "the Execute Package task uses the SQL Server connection \"{0}\" but names no package \
         path (PackageName, e.g. \\Folder\\Package)"
    )]
    NoStoredPath(String),
    #[error(
        "the child package \"{path}\" could not be fetched from SQL Server through the \
         connection \"{connection}\": {reason}"
    )]
    Stored {
        path: String,
        connection: String,
        reason: ResolveError,
    },
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error(
        "the child package file \"{}\" was not found{}; give the folder that holds it with \
         dtexec's /PackagePath or the SSISD_PACKAGE_PATH environment variable",
        path.display(),
        searched_text(searched)
    )]
    NotFound {
        path: PathBuf,
        /// The package-path folders that were looked in too.
        searched: Vec<PathBuf>,
    },
    #[error("the child package \"{package}\" of the project reference: {reason}")]
    Project { package: String, reason: String },
    #[error("the child package \"{}\" could not be loaded: {source}", path.display())]
    Load {
        path: PathBuf,
        #[source]
        source: LoadError,
    },
    #[error("the child package \"{}\" is not valid: {text}", path.display())]
    Invalid { path: PathBuf, text: String },
    #[error("the value of \"{source_name}\" for the child parameter \"{parameter}\": {reason}")]
    Binding {
        parameter: String,
        source_name: String,
        reason: String,
    },
}

fn searched_text(searched: &[PathBuf]) -> String {
    if searched.is_empty() {
        return String::new();
    }
    let list: Vec<String> = searched.iter().map(|p| p.display().to_string()).collect();
    format!(", nor in the package path ({})", list.join(", "))
}

/// Where the child package is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildRef {
    /// Its file; for a package of the run's project, the path that stands for it
    /// (`Project::package_path`), which also identifies it in the chain of children.
    pub path: PathBuf,
    /// For a project reference in a run that has its project: the package's file name in it.
    pub in_project: Option<String>,
}

impl ChildRef {
    fn file(path: PathBuf) -> ChildRef {
        ChildRef {
            path,
            in_project: None,
        }
    }
}

/// `path` when it is a file, else the first file of its name in the run's package path.
fn located(path: PathBuf, options: &RunOptions) -> Result<PathBuf, ChildError> {
    if path.is_file() {
        return Ok(path);
    }
    let found = path.file_name().and_then(|name| {
        options
            .package_path
            .iter()
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    found.ok_or_else(|| ChildError::NotFound {
        path,
        searched: options.package_path.clone(),
    })
}

/// Where the child package is.
pub fn resolve(cfg: &ExecutePackageConfig, ctx: &TaskContext<'_>) -> Result<ChildRef, ChildError> {
    let options = ctx.run_options();
    let base = options
        .package_file
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    if cfg.use_project_reference {
        let name = cfg.package_name.trim();
        if name.is_empty() {
            return Err(ChildError::NoReference);
        }
        if let Some(project) = &options.project {
            let file = project
                .find_package(name)
                .map_err(|e| ChildError::Project {
                    package: name.to_string(),
                    reason: e.to_string(),
                })?
                .file
                .clone();
            return Ok(ChildRef {
                path: project.package_path(&file),
                in_project: Some(file),
            });
        }
        return located(base.join(map_path(name)), options).map(ChildRef::file);
    }
    if cfg.connection.trim().is_empty() {
        return Err(ChildError::NoReference);
    }
    let cm = ctx
        .connection(&cfg.connection)
        .map_err(ChildError::Connection)?;
    if cm.creation_name.eq_ignore_ascii_case("OLEDB") {
        return stored(cfg, &cm, options).map(ChildRef::file);
    }
    if !cm.creation_name.eq_ignore_ascii_case("FILE") {
        return Err(ChildError::NotAPackageConnection {
            name: cm.name,
            kind: cm.creation_name,
        });
    }
    let file = PathBuf::from(cm.file_path());
    let file = if file.is_absolute() {
        file
    } else {
        base.join(file)
    };
    located(file, options).map(ChildRef::file)
}

/// A child in SQL Server: the run's resolver fetches it into a local file.
fn stored(
    cfg: &ExecutePackageConfig,
    cm: &ConnectionInfo,
    options: &RunOptions,
) -> Result<PathBuf, ChildError> {
    let Some(resolver) = &options.package_resolver else {
        return Err(ChildError::Msdb(cm.name.clone()));
    };
    let path = cfg.package_name.trim();
    if path.is_empty() {
        return Err(ChildError::NoStoredPath(cm.name.clone()));
    }
    let request = StoredPackageRequest {
        connection: cm.name.clone(),
        connection_string: cm.connection_string.clone(),
        package_path: path.to_string(),
        cancel: options.cancel.clone(),
    };
    resolver
        .fetch_msdb(&request)
        .map_err(|reason| ChildError::Stored {
            path: path.to_string(),
            connection: cm.name.clone(),
            reason,
        })
}

/// A child package loaded, validated and bound, with the warnings validation gave.
pub struct Prepared {
    pub package: Package,
    pub warnings: Vec<String>,
}

fn is_parent_variable(configuration_type: i32) -> bool {
    matches!(configuration_type, 0 | 4)
}

/// The value text of the parent's variable or parameter `name`.
fn parent_value(ctx: &TaskContext<'_>, name: &str) -> Result<String, String> {
    ctx.variable(name.trim())
        .map(|v| v.to_display_string())
        .map_err(|e| e.to_string())
}

/// The (parameter, value) pairs of the task's bindings, read now.
pub fn parameter_values(
    cfg: &ExecutePackageConfig,
    ctx: &TaskContext<'_>,
) -> Result<Vec<(String, String)>, ChildError> {
    cfg.bindings
        .iter()
        .map(|b| {
            parent_value(ctx, &b.source)
                .map(|v| (b.parameter_name().to_string(), v))
                .map_err(|reason| ChildError::Binding {
                    parameter: b.parameter.clone(),
                    source_name: b.source.clone(),
                    reason,
                })
        })
        .collect()
}

/// The (target property path, value) pairs of the child's parent-variable configurations
/// whose parent variable exists; the others are returned as warnings.
pub fn parent_variable_values(
    child: &Package,
    ctx: &TaskContext<'_>,
) -> (Vec<(String, String)>, Vec<String>) {
    let mut values = Vec::new();
    let mut warnings = Vec::new();
    if !child.properties.enable_config {
        return (values, warnings);
    }
    for c in child
        .configurations
        .iter()
        .filter(|c| is_parent_variable(c.configuration_type))
    {
        match parent_value(ctx, &c.configuration_string) {
            Ok(v) => values.push((c.configuration_variable.clone(), v)),
            Err(e) => warnings.push(format!(
                "The parent package variable configuration \"{}\" of the child could not read \
                 \"{}\": {e}; the child's own value is kept.",
                c.name, c.configuration_string
            )),
        }
    }
    (values, warnings)
}

/// Loads the child: from the run's project for a project reference (with the project as the
/// parent sees it), else from its file (with the task's password, if it has one).
pub fn load(
    child: &ChildRef,
    cfg: &ExecutePackageConfig,
    ctx: &TaskContext<'_>,
) -> Result<Package, ChildError> {
    if let (Some(file), Some(project)) = (&child.in_project, &ctx.run_options().project) {
        return project
            .load_sibling(file, ctx.package())
            .map_err(|e| ChildError::Project {
                package: file.clone(),
                reason: e.to_string(),
            });
    }
    let path = &child.path;
    let options = LoadOptions::with_password(cfg.password.clone());
    load_package_file_with(path, &options).map_err(|source| match &source {
        LoadError::Io { source: io, .. } if io.kind() == std::io::ErrorKind::NotFound => {
            ChildError::NotFound {
                path: path.to_path_buf(),
                searched: Vec::new(),
            }
        }
        _ => ChildError::Load {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// Loads and validates the child, then binds it to the parent.
pub fn prepare(
    child: &ChildRef,
    cfg: &ExecutePackageConfig,
    ctx: &TaskContext<'_>,
) -> Result<Prepared, ChildError> {
    let path = &child.path;
    let mut package = load(child, cfg, ctx)?;
    let report = validate(&mut package, &DtexecOptions::default());
    let parent_configs: Vec<String> = package
        .configurations
        .iter()
        .filter(|c| is_parent_variable(c.configuration_type))
        .map(|c| c.path.clone())
        .collect();
    let mut warnings: Vec<String> = report
        .warnings
        .iter()
        .filter(|w| !parent_configs.contains(&w.source))
        .map(|w| w.to_string())
        .collect();
    if !report.is_valid() {
        let text = report
            .errors
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ChildError::Invalid {
            path: path.to_path_buf(),
            text,
        });
    }
    let (configured, config_warnings) = parent_variable_values(&package, ctx);
    warnings.extend(config_warnings);
    for (target_path, value) in configured {
        let applied = PropertyPath::parse(&target_path)
            .map_err(|e| e.to_string())
            .and_then(|p| target::apply(&mut package, &p, &value).map_err(|e| e.to_string()));
        if let Err(e) = applied {
            warnings.push(format!(
                "The parent package variable configuration for \"{target_path}\" could not be \
                 applied: {e}."
            ));
        }
    }
    for (name, value) in parameter_values(cfg, ctx)? {
        target::set_parameter(&mut package, &name, &value).map_err(|e| ChildError::Binding {
            parameter: name.clone(),
            source_name: "the parent".into(),
            reason: match e {
                target::ParameterError::NotFound => "the child has no such parameter".into(),
                target::ParameterError::Rejected(r) => r,
            },
        })?;
    }
    Ok(Prepared { package, warnings })
}
