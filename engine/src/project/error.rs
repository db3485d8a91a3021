//! The project reader's error type. Every variant names the project (its folder or `.ispac`
//! file) and the file inside it, says what is wrong and what the user can do. It must not carry
//! a half-read project.

use std::path::PathBuf;

use thiserror::Error;

use crate::load::LoadError;

/// Why a project, or a package of it, could not be used.
#[derive(Debug, Error)]
pub enum ProjectError {
    #[error(
        "the project \"{}\" was not found; give a Visual Studio project folder (with its \
         .dtproj, Project.params, .conmgr and .dtsx files) or an .ispac file",
        .0.display()
    )]
    NotFound(PathBuf),

    #[error("cannot read the project \"{}\": {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "\"{}\" is not an .ispac project file: {detail}; an .ispac is the zip archive Visual \
         Studio builds into the project's bin folder",
        path.display()
    )]
    NotAnIspac { path: PathBuf, detail: String },

    #[error(
        "the .ispac \"{}\" is larger than the limit of {limit} bytes once unpacked (at \
         \"{entry}\"); raise the load size limit if this really is a project",
        path.display()
    )]
    TooLarge {
        path: PathBuf,
        entry: String,
        limit: u64,
    },

    #[error(
        "the project folder \"{}\" holds several project files ({names}); keep one .dtproj \
         in the folder or give the .ispac instead",
        path.display()
    )]
    SeveralProjects { path: PathBuf, names: String },

    #[error(
        "the project \"{}\" uses the package deployment model (its .dtproj says \
         DeploymentModel {model}); run its packages one by one with /F[ile]",
        path.display()
    )]
    PackageDeploymentModel { path: PathBuf, model: String },

    #[error("{file} in the project \"{}\": {source}", project.display())]
    Load {
        project: PathBuf,
        file: String,
        #[source]
        source: LoadError,
    },

    #[error("{file} in the project \"{}\" (line {line}): {message}", project.display())]
    Invalid {
        project: PathBuf,
        file: String,
        line: u32,
        message: String,
    },

    #[error(
        "the project \"{}\" is protected with {level}, which encrypts every file of it; \
         ssisd cannot decrypt it — re-save the project with DontSaveSensitive (or \
         EncryptSensitiveWithUserKey and give its sensitive values with /Par)",
        project.display()
    )]
    EncryptedProject { project: PathBuf, level: String },

    #[error(
        "the project \"{}\" lists \"{file}\" in its manifest, but the file is not in it; \
         add the file or remove it from the project in Visual Studio",
        project.display()
    )]
    MissingFile { project: PathBuf, file: String },

    #[error("the project \"{project}\" has no package \"{package}\"; its packages are {known}")]
    PackageNotFound {
        project: String,
        package: String,
        known: String,
    },

    #[error(
        "the package \"{package}\" and its project \"{project}\" both define the connection \
         manager \"{name}\"; a project connection manager replaces the package's own in \
         Visual Studio — remove one of them"
    )]
    ConnectionClash {
        project: String,
        package: String,
        name: String,
    },

    #[error("cannot write the .ispac: {0}")]
    Write(#[source] super::ispac::IspacWriteError),
}

impl ProjectError {
    /// Whether the project or the package in it does not exist (dtexec's exit code 4, not 5).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            ProjectError::NotFound(_) | ProjectError::PackageNotFound { .. }
        )
    }
}
