//! Deployed projects in the File System store: `<name>.ispac` in the folder's directory, written
//! through [`crate::atomic_file`] like packages (a kill at any moment leaves the old project or
//! the new one), checked to be a project before anything is written, and described for
//! listings. It owns those file operations; the description is `crate::projects`, the listing
//! of a folder `listing.rs`.

use std::fs;
use std::io;
use std::path::PathBuf;

use bytes::Bytes;

use super::listing::modified_text;
use super::{FileSystemStore, Subject};
use crate::atomic_file;
use crate::error::StoreError;
use crate::names::{ItemName, StorePath};
use crate::projects::{self, ProjectEntry, ProjectInfo, PROJECT_EXTENSION};

/// The listing entries of the project files found in a folder, sorted by name.
pub(crate) fn entries(files: Vec<(String, PathBuf, fs::Metadata)>) -> Vec<ProjectEntry> {
    let mut out: Vec<ProjectEntry> = files
        .into_iter()
        .map(|(name, path, meta)| {
            let bytes = fs::read(&path).map_err(|e| format!("cannot read: {e}"));
            projects::entry(name, meta.len(), modified_text(&meta), bytes)
        })
        .collect();
    out.sort_by(|a, b| a.info.name.cmp(&b.info.name));
    out
}

impl FileSystemStore {
    fn project_file(&self, folder: &StorePath, name: &ItemName) -> Result<PathBuf, StoreError> {
        let p = self
            .existing_dir(folder)?
            .join(format!("{name}.{PROJECT_EXTENSION}"));
        if p.is_file() {
            Ok(p)
        } else {
            Err(StoreError::ProjectNotFound(folder.join(name).to_string()))
        }
    }

    pub(crate) fn put_project_now(
        &self,
        folder: &StorePath,
        name: &ItemName,
        bytes: &[u8],
        overwrite: bool,
    ) -> Result<(ProjectInfo, bool), StoreError> {
        let summary = projects::describe(name.as_str(), bytes)?;
        let target = self
            .existing_dir(folder)?
            .join(format!("{name}.{PROJECT_EXTENSION}"));
        let replaced = atomic_file::write_atomically(&target, bytes, overwrite).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                StoreError::AlreadyExists {
                    what: "project",
                    path: folder.join(name).to_string(),
                    hint: "; add ?overwrite=true to replace it",
                }
            } else {
                self.failure("cannot write project", Subject::Folder(folder), e)
            }
        })?;
        let meta = fs::metadata(&target)
            .map_err(|e| self.failure("cannot stat project", Subject::Folder(folder), e))?;
        Ok((
            ProjectInfo {
                name: name.to_string(),
                size: meta.len(),
                modified: modified_text(&meta),
                project: Some(summary),
            },
            replaced,
        ))
    }

    pub(crate) fn get_project_now(
        &self,
        folder: &StorePath,
        name: &ItemName,
    ) -> Result<Bytes, StoreError> {
        let file = self.project_file(folder, name)?;
        fs::read(&file)
            .map(Bytes::from)
            .map_err(|e| self.failure("cannot read project", Subject::Folder(folder), e))
    }

    pub(crate) fn delete_project_now(
        &self,
        folder: &StorePath,
        name: &ItemName,
    ) -> Result<(), StoreError> {
        let file = self.project_file(folder, name)?;
        fs::remove_file(&file)
            .map_err(|e| self.failure("cannot delete project", Subject::Folder(folder), e))?;
        let dir = self.existing_dir(folder)?;
        atomic_file::sync_dir(&dir)
            .map_err(|e| self.failure("cannot sync", Subject::Folder(folder), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package_store::PackageStore;

    const PKG: &str = r#"<?xml version="1.0"?><DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="Load" DTS:DTSID="{1}" DTS:ProtectionLevel="0"><DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property></DTS:Executable>"#;

    fn ispac() -> Vec<u8> {
        let manifest = r#"<SSIS:Project SSIS:ProtectionLevel="DontSaveSensitive" xmlns:SSIS="www.microsoft.com/SqlServer/SSIS"><SSIS:Properties><SSIS:Property SSIS:Name="Name">Sales</SSIS:Property></SSIS:Properties><SSIS:Packages><SSIS:Package SSIS:Name="Load.dtsx" SSIS:EntryPoint="1" /></SSIS:Packages></SSIS:Project>"#;
        let params = r#"<SSIS:Parameters xmlns:SSIS="www.microsoft.com/SqlServer/SSIS"><SSIS:Parameter SSIS:Name="Key"><SSIS:Properties><SSIS:Property SSIS:Name="Sensitive">1</SSIS:Property><SSIS:Property SSIS:Name="DataType">18</SSIS:Property></SSIS:Properties></SSIS:Parameter></SSIS:Parameters>"#;
        ssisd_engine::project::ispac::write(&[
            ("@Project.manifest".into(), manifest.as_bytes().to_vec()),
            ("Project.params".into(), params.as_bytes().to_vec()),
            ("Load.dtsx".into(), PKG.as_bytes().to_vec()),
        ])
        .expect("ispac")
    }

    fn name(s: &str) -> ItemName {
        ItemName::new(s).unwrap()
    }

    #[tokio::test]
    async fn projects_are_stored_listed_read_and_deleted() {
        let d = tempfile::tempdir().unwrap();
        let s = FileSystemStore::open_or_create(d.path()).unwrap();
        let root = StorePath::root();
        let bytes = Bytes::from(ispac());
        let (info, replaced) = s
            .put_project(&root, &name("Sales ETL"), bytes.clone(), false)
            .await
            .expect("stored");
        assert!(!replaced);
        let summary = info.project.expect("described");
        assert_eq!(summary.name, "Sales");
        assert_eq!(summary.packages[0].file, "Load.dtsx");
        assert!(summary.parameters[0].sensitive && summary.parameters[0].value.is_none());
        let again = s
            .put_project(&root, &name("Sales ETL"), bytes.clone(), false)
            .await;
        assert!(matches!(again, Err(StoreError::AlreadyExists { .. })));
        assert!(
            s.put_project(&root, &name("Sales ETL"), bytes.clone(), true)
                .await
                .expect("replaced")
                .1
        );
        let listing = s.list(&root).await.unwrap();
        assert_eq!(listing.projects.len(), 1);
        assert_eq!(listing.projects[0].info.name, "Sales ETL");
        assert!(listing.packages.is_empty());
        assert_eq!(
            s.get_project(&root, &name("Sales ETL")).await.unwrap(),
            bytes
        );
        s.delete_project(&root, &name("Sales ETL")).await.unwrap();
        assert!(matches!(
            s.get_project(&root, &name("Sales ETL")).await,
            Err(StoreError::ProjectNotFound(_))
        ));
    }

    #[tokio::test]
    async fn what_is_not_a_project_is_refused_and_nothing_written() {
        let d = tempfile::tempdir().unwrap();
        let s = FileSystemStore::open_or_create(d.path()).unwrap();
        let e = s
            .put_project(&StorePath::root(), &name("X"), Bytes::from(PKG), false)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotAProject(_)), "{e}");
        let visible = fs::read_dir(d.path())
            .unwrap()
            .filter(|e| {
                !e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('.')
            })
            .count();
        assert_eq!(visible, 0);
    }
}
