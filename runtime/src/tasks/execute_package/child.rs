//! Finding and preparing the child package: where it is (a sibling `.dtsx` for a project
//! reference, the file of a FILE connection, or a package in SQL Server fetched through the
//! run's `PackageResolver` when the host gave one, refused by name otherwise), loading and validating
//! it like dtexec does, then binding it to the parent — `ParameterAssignment`s and the
//! child's "parent package variable" configurations — from the parent's current values. It
//! also gives the same bindings as `/Par` and `/Set` arguments for an out-of-process child.
//! It must not run the child.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::config::ExecutePackageConfig;
use crate::connections::ConnectionInfo;
use crate::paths::map_path;
use crate::tasks::TaskContext;
use crate::validate::validate;
use crate::{RunOptions, StoredPackageRequest};
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
        reason: String,
    },
    #[error("{0}")]
    Connection(String),
    #[error("the child package file \"{}\" was not found", .0.display())]
    NotFound(PathBuf),
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

/// Where the child package file is.
pub fn resolve(cfg: &ExecutePackageConfig, ctx: &TaskContext<'_>) -> Result<PathBuf, ChildError> {
    let base = ctx
        .run_options()
        .package_file
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    if cfg.use_project_reference {
        let name = cfg.package_name.trim();
        if name.is_empty() {
            return Err(ChildError::NoReference);
        }
        return Ok(base.join(map_path(name)));
    }
    if cfg.connection.trim().is_empty() {
        return Err(ChildError::NoReference);
    }
    let cm = ctx
        .connection(&cfg.connection)
        .map_err(ChildError::Connection)?;
    if cm.creation_name.eq_ignore_ascii_case("OLEDB") {
        return stored(cfg, &cm, ctx.run_options());
    }
    if !cm.creation_name.eq_ignore_ascii_case("FILE") {
        return Err(ChildError::NotAPackageConnection {
            name: cm.name,
            kind: cm.creation_name,
        });
    }
    let file = PathBuf::from(cm.file_path());
    Ok(if file.is_absolute() {
        file
    } else {
        base.join(file)
    })
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
    ctx.variable(name.trim()).map(|v| v.to_display_string())
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

/// Loads and validates the child at `path`, then binds it to the parent.
pub fn prepare(
    path: &Path,
    cfg: &ExecutePackageConfig,
    ctx: &TaskContext<'_>,
) -> Result<Prepared, ChildError> {
    let options = LoadOptions::with_password(cfg.password.clone());
    let mut package = load_package_file_with(path, &options).map_err(|source| match &source {
        LoadError::Io { source: io, .. } if io.kind() == std::io::ErrorKind::NotFound => {
            ChildError::NotFound(path.to_path_buf())
        }
        _ => ChildError::Load {
            path: path.to_path_buf(),
            source,
        },
    })?;
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
