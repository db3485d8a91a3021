//! The File System store: a top-level folder that is a directory. Subfolders are directories,
//! packages are `<name>.dtsx` files and deployed projects `<name>.ispac` files
//! (`file_system_projects.rs`), kept byte for byte; every write goes through
//! [`crate::atomic_file`]. Package headers are cached by file identity (inode, size, mtime) so
//! large folders list quickly. Blocking file work runs on tokio's blocking pool; this module must
//! not know about actors or HTTP.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;

use crate::atomic_file::{self, TEMP_PREFIX};
use crate::error::StoreError;
use crate::names::{ItemName, StorePath};
use crate::package_header::{read_package_header, PackageHeader};
use crate::package_store::{
    FolderListing, PackageEntry, PackageInfo, PackageStore, SubfolderEntry,
};
use crate::projects::{ProjectInfo, PROJECT_EXTENSION};

const EXTENSION: &str = "dtsx";

#[derive(Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

impl Fingerprint {
    fn of(m: &fs::Metadata) -> Self {
        Fingerprint {
            ino: m.ino(),
            len: m.len(),
            mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
        }
    }
}

type HeaderCache = HashMap<PathBuf, (Fingerprint, Result<PackageHeader, String>)>;

/// A directory of packages.
#[derive(Clone)]
pub struct FileSystemStore {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    cache: Mutex<HeaderCache>,
}

impl FileSystemStore {
    /// Opens the store at `root`, creating the directory when `create` is set. Fails when the
    /// path exists but is not a directory, or cannot be created.
    pub fn open(root: impl Into<PathBuf>, create: bool) -> Result<Self, StoreError> {
        let root = root.into();
        match fs::metadata(&root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(StoreError::Unavailable(format!(
                    "store path {} is not a directory",
                    root.display()
                )))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                fs::create_dir_all(&root)
                    .map_err(|e| StoreError::io("cannot create store directory", &root, e))?;
            }
            Err(e) => return Err(StoreError::io("cannot open store directory", &root, e)),
        }
        let store = FileSystemStore {
            inner: Arc::new(Inner {
                root,
                cache: Mutex::new(HashMap::new()),
            }),
        };
        store.check_now()?;
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    fn check_now(&self) -> Result<(), StoreError> {
        let root = &self.inner.root;
        let m = fs::metadata(root)
            .map_err(|e| StoreError::Unavailable(format!("store path {}: {e}", root.display())))?;
        if !m.is_dir() {
            return Err(StoreError::Unavailable(format!(
                "store path {} is not a directory",
                root.display()
            )));
        }
        let c = std::ffi::CString::new(root.as_os_str().as_encoded_bytes())
            .map_err(|_| StoreError::Unavailable("store path contains NUL".into()))?;
        // SAFETY: `c` is a valid NUL-terminated path.
        if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
            return Err(StoreError::Unavailable(format!(
                "store path {} is not writable by this service: {}",
                root.display(),
                io::Error::last_os_error()
            )));
        }
        Ok(())
    }

    fn dir_of(&self, folder: &StorePath) -> PathBuf {
        let mut p = self.inner.root.clone();
        for s in folder.segments() {
            p.push(s.as_str());
        }
        p
    }

    /// The folder's directory, which must exist.
    pub(crate) fn existing_dir(&self, folder: &StorePath) -> Result<PathBuf, StoreError> {
        let dir = self.dir_of(folder);
        match fs::metadata(&dir) {
            Ok(m) if m.is_dir() => Ok(dir),
            Ok(_) => Err(StoreError::FolderNotFound(folder.to_string())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if folder.is_root() {
                    Err(StoreError::Unavailable(format!(
                        "store path {} has disappeared",
                        dir.display()
                    )))
                } else {
                    Err(StoreError::FolderNotFound(folder.to_string()))
                }
            }
            Err(e) => Err(StoreError::io("cannot open folder", dir, e)),
        }
    }

    /// The existing file of a package (`.dtsx`, or `.DTSX` as Windows tools sometimes write).
    fn package_file(&self, folder: &StorePath, name: &ItemName) -> Result<PathBuf, StoreError> {
        let dir = self.existing_dir(folder)?;
        for ext in [EXTENSION, "DTSX"] {
            let p = dir.join(format!("{name}.{ext}"));
            if p.is_file() {
                return Ok(p);
            }
        }
        Err(StoreError::PackageNotFound(folder.join(name).to_string()))
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HeaderCache> {
        self.inner
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn list_now(&self, folder: &StorePath) -> Result<FolderListing, StoreError> {
        let dir = self.existing_dir(folder)?;
        let mut folders = Vec::new();
        let mut files = Vec::new();
        let mut project_files = Vec::new();
        let entries = fs::read_dir(&dir).map_err(|e| StoreError::io("cannot list", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io("cannot list", &dir, e))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            if file_name.starts_with(TEMP_PREFIX) {
                remove_if_orphaned(&entry.path(), file_name);
                continue;
            }
            if file_name.starts_with('.') {
                continue;
            }
            let Ok(meta) = entry.metadata() else {
                continue; // removed while listing
            };
            if meta.is_dir() {
                if ItemName::new(file_name).is_ok() {
                    folders.push(SubfolderEntry {
                        name: file_name.to_string(),
                    });
                }
                continue;
            }
            let Some((stem, ext)) = file_name.rsplit_once('.') else {
                continue;
            };
            if meta.is_file() && ext.eq_ignore_ascii_case(EXTENSION) && ItemName::new(stem).is_ok()
            {
                files.push((stem.to_string(), entry.path(), meta));
            } else if meta.is_file()
                && ext.eq_ignore_ascii_case(PROJECT_EXTENSION)
                && ItemName::new(stem).is_ok()
            {
                project_files.push((stem.to_string(), entry.path(), meta));
            }
        }
        // One pass over the cache for the whole folder; headers not cached (or changed) are read
        // outside the lock, then stored in one go.
        let mut headers: Vec<Option<Result<PackageHeader, String>>> = {
            let cache = self.lock_cache();
            files
                .iter()
                .map(|(_, path, meta)| match cache.get(path) {
                    Some((fp, h)) if *fp == Fingerprint::of(meta) => Some(h.clone()),
                    _ => None,
                })
                .collect()
        };
        let mut fresh = Vec::new();
        for (slot, (_, path, meta)) in headers.iter_mut().zip(&files) {
            if slot.is_none() {
                let h = read_header_file(path);
                fresh.push((path.clone(), (Fingerprint::of(meta), h.clone())));
                *slot = Some(h);
            }
        }
        if !fresh.is_empty() {
            self.lock_cache().extend(fresh);
        }
        let mut packages: Vec<PackageEntry> = files
            .into_iter()
            .zip(headers)
            .map(|((name, _, meta), header)| {
                let (header, error) = match header.unwrap_or_else(|| Err("not read".into())) {
                    Ok(h) => (h, None),
                    Err(e) => (PackageHeader::default(), Some(e)),
                };
                PackageEntry {
                    info: PackageInfo {
                        name,
                        size: meta.len(),
                        modified: modified_text(&meta),
                        header,
                    },
                    error,
                }
            })
            .collect();
        folders.sort_by(|a, b| a.name.cmp(&b.name));
        packages.sort_by(|a, b| a.info.name.cmp(&b.info.name));
        let projects = crate::file_system_projects::entries(project_files);
        Ok(FolderListing {
            folders,
            packages,
            projects,
        })
    }

    fn create_folder_now(&self, folder: &StorePath) -> Result<(), StoreError> {
        let Some((parent, _)) = folder.split_last() else {
            return Err(StoreError::TopLevelFolder(String::new(), "created"));
        };
        let parent_dir = self.existing_dir(&parent)?;
        let dir = self.dir_of(folder);
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(StoreError::AlreadyExists {
                    what: "folder",
                    path: folder.to_string(),
                    hint: "",
                })
            }
            Err(e) => return Err(StoreError::io("cannot create folder", dir, e)),
        }
        atomic_file::sync_dir(&parent_dir).map_err(|e| StoreError::io("cannot sync", parent_dir, e))
    }

    fn delete_folder_now(&self, folder: &StorePath, recursive: bool) -> Result<(), StoreError> {
        let Some((parent, _)) = folder.split_last() else {
            return Err(StoreError::TopLevelFolder(String::new(), "deleted"));
        };
        let dir = self.existing_dir(folder)?;
        if recursive {
            fs::remove_dir_all(&dir)
                .map_err(|e| StoreError::io("cannot delete folder", &dir, e))?;
        } else {
            let listing = self.list_now(folder)?;
            let other_files = fs::read_dir(&dir)
                .map_err(|e| StoreError::io("cannot list", &dir, e))?
                .filter_map(Result::ok)
                .filter(|e| !e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
                .count();
            if other_files > 0 {
                let content = if listing.folders.is_empty() && listing.packages.is_empty() {
                    format!("{other_files} other file(s)")
                } else {
                    format!(
                        "{} folder(s), {} package(s)",
                        listing.folders.len(),
                        listing.packages.len()
                    )
                };
                return Err(StoreError::FolderNotEmpty {
                    path: folder.to_string(),
                    content,
                });
            }
            let _ = atomic_file::remove_stale_temporaries(&dir);
            fs::remove_dir(&dir).map_err(|e| StoreError::io("cannot delete folder", &dir, e))?;
        }
        let parent_dir = self.dir_of(&parent);
        atomic_file::sync_dir(&parent_dir).map_err(|e| StoreError::io("cannot sync", parent_dir, e))
    }

    fn rename_folder_now(&self, folder: &StorePath, new_name: &ItemName) -> Result<(), StoreError> {
        let Some((parent, _)) = folder.split_last() else {
            return Err(StoreError::TopLevelFolder(String::new(), "renamed"));
        };
        let dir = self.existing_dir(folder)?;
        let target = self.dir_of(&parent.join(new_name));
        rename_mapped(&dir, &target, "folder", &parent.join(new_name))?;
        let parent_dir = self.dir_of(&parent);
        atomic_file::sync_dir(&parent_dir).map_err(|e| StoreError::io("cannot sync", parent_dir, e))
    }

    fn put_now(
        &self,
        folder: &StorePath,
        name: &ItemName,
        bytes: &[u8],
        overwrite: bool,
    ) -> Result<(PackageInfo, bool), StoreError> {
        let header = read_package_header(bytes)?.with_defaults();
        let dir = self.existing_dir(folder)?;
        // An existing `.DTSX` spelling is replaced in place rather than shadowed.
        let target = match self.package_file(folder, name) {
            Ok(existing) => existing,
            Err(_) => dir.join(format!("{name}.{EXTENSION}")),
        };
        let replaced = atomic_file::write_atomically(&target, bytes, overwrite).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                StoreError::AlreadyExists {
                    what: "package",
                    path: folder.join(name).to_string(),
                    hint: "; add ?overwrite=true to replace it",
                }
            } else {
                StoreError::io("cannot write package", &target, e)
            }
        })?;
        let meta = fs::metadata(&target).map_err(|e| StoreError::io("cannot stat", &target, e))?;
        self.lock_cache()
            .insert(target.clone(), (Fingerprint::of(&meta), Ok(header.clone())));
        Ok((
            PackageInfo {
                name: name.to_string(),
                size: meta.len(),
                modified: modified_text(&meta),
                header,
            },
            replaced,
        ))
    }

    fn delete_package_now(&self, folder: &StorePath, name: &ItemName) -> Result<(), StoreError> {
        let file = self.package_file(folder, name)?;
        fs::remove_file(&file).map_err(|e| StoreError::io("cannot delete package", &file, e))?;
        self.lock_cache().remove(&file);
        let dir = self.dir_of(folder);
        atomic_file::sync_dir(&dir).map_err(|e| StoreError::io("cannot sync", dir, e))
    }

    fn rename_package_now(
        &self,
        folder: &StorePath,
        name: &ItemName,
        new_name: &ItemName,
    ) -> Result<(), StoreError> {
        let file = self.package_file(folder, name)?;
        if self.package_file(folder, new_name).is_ok() {
            return Err(StoreError::AlreadyExists {
                what: "package",
                path: folder.join(new_name).to_string(),
                hint: "",
            });
        }
        let target = self.dir_of(folder).join(format!("{new_name}.{EXTENSION}"));
        rename_mapped(&file, &target, "package", &folder.join(new_name))?;
        self.lock_cache().remove(&file);
        let dir = self.dir_of(folder);
        atomic_file::sync_dir(&dir).map_err(|e| StoreError::io("cannot sync", dir, e))
    }
}

/// Reads and describes one stored package file.
fn read_header_file(path: &Path) -> Result<PackageHeader, String> {
    fs::read(path)
        .map_err(|e| format!("cannot read: {e}"))
        .and_then(|b| {
            read_package_header(&b)
                .map(PackageHeader::with_defaults)
                .map_err(|e| e.to_string())
        })
}

fn rename_mapped(
    from: &Path,
    to: &Path,
    what: &'static str,
    new_path: &StorePath,
) -> Result<(), StoreError> {
    atomic_file::rename_no_replace(from, to).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            StoreError::AlreadyExists {
                what,
                path: new_path.to_string(),
                hint: "",
            }
        } else {
            StoreError::io("cannot rename", from, e)
        }
    })
}

pub(crate) fn modified_text(meta: &fs::Metadata) -> Option<String> {
    let t = meta.modified().ok()?;
    Some(
        chrono::DateTime::<chrono::Utc>::from(t)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// Removes a temporary file whose writer process is gone (its pid is in the name).
fn remove_if_orphaned(path: &Path, file_name: &str) {
    let pid = file_name[TEMP_PREFIX.len()..]
        .split('-')
        .next()
        .and_then(|p| p.parse::<i32>().ok());
    let alive = match pid {
        // SAFETY: kill with signal 0 only checks whether the process exists.
        Some(pid) if pid > 0 => unsafe { libc::kill(pid, 0) == 0 },
        _ => false,
    };
    if !alive {
        let _ = fs::remove_file(path);
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T, F>(f: F) -> Result<T, StoreError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Unavailable(format!("store worker failed: {e}")))?
}

#[async_trait]
impl PackageStore for FileSystemStore {
    async fn check(&self) -> Result<(), StoreError> {
        let s = self.clone();
        blocking(move || s.check_now()).await
    }

    async fn list(&self, folder: &StorePath) -> Result<FolderListing, StoreError> {
        let (s, f) = (self.clone(), folder.clone());
        blocking(move || s.list_now(&f)).await
    }

    async fn create_folder(&self, folder: &StorePath) -> Result<(), StoreError> {
        let (s, f) = (self.clone(), folder.clone());
        blocking(move || s.create_folder_now(&f)).await
    }

    async fn delete_folder(&self, folder: &StorePath, recursive: bool) -> Result<(), StoreError> {
        let (s, f) = (self.clone(), folder.clone());
        blocking(move || s.delete_folder_now(&f, recursive)).await
    }

    async fn rename_folder(
        &self,
        folder: &StorePath,
        new_name: &ItemName,
    ) -> Result<(), StoreError> {
        let (s, f, n) = (self.clone(), folder.clone(), new_name.clone());
        blocking(move || s.rename_folder_now(&f, &n)).await
    }

    async fn put_package(
        &self,
        folder: &StorePath,
        name: &ItemName,
        bytes: Bytes,
        overwrite: bool,
    ) -> Result<(PackageInfo, bool), StoreError> {
        let (s, f, n) = (self.clone(), folder.clone(), name.clone());
        blocking(move || s.put_now(&f, &n, &bytes, overwrite)).await
    }

    async fn get_package(&self, folder: &StorePath, name: &ItemName) -> Result<Bytes, StoreError> {
        let (s, f, n) = (self.clone(), folder.clone(), name.clone());
        blocking(move || {
            let file = s.package_file(&f, &n)?;
            fs::read(&file)
                .map(Bytes::from)
                .map_err(|e| StoreError::io("cannot read package", file, e))
        })
        .await
    }

    async fn package_exists(
        &self,
        folder: &StorePath,
        name: &ItemName,
    ) -> Result<bool, StoreError> {
        let (s, f, n) = (self.clone(), folder.clone(), name.clone());
        blocking(move || match s.package_file(&f, &n) {
            Ok(_) => Ok(true),
            Err(StoreError::PackageNotFound(_)) => Ok(false),
            Err(e) => Err(e),
        })
        .await
    }

    async fn delete_package(&self, folder: &StorePath, name: &ItemName) -> Result<(), StoreError> {
        let (s, f, n) = (self.clone(), folder.clone(), name.clone());
        blocking(move || s.delete_package_now(&f, &n)).await
    }

    async fn rename_package(
        &self,
        folder: &StorePath,
        name: &ItemName,
        new_name: &ItemName,
    ) -> Result<(), StoreError> {
        let (s, f, n, nn) = (self.clone(), folder.clone(), name.clone(), new_name.clone());
        blocking(move || s.rename_package_now(&f, &n, &nn)).await
    }

    async fn put_project(
        &self,
        folder: &StorePath,
        name: &ItemName,
        bytes: Bytes,
        overwrite: bool,
    ) -> Result<(ProjectInfo, bool), StoreError> {
        let (s, f, n) = (self.clone(), folder.clone(), name.clone());
        blocking(move || s.put_project_now(&f, &n, &bytes, overwrite)).await
    }

    async fn get_project(&self, folder: &StorePath, name: &ItemName) -> Result<Bytes, StoreError> {
        let (s, f, n) = (self.clone(), folder.clone(), name.clone());
        blocking(move || s.get_project_now(&f, &n)).await
    }

    async fn delete_project(&self, folder: &StorePath, name: &ItemName) -> Result<(), StoreError> {
        let (s, f, n) = (self.clone(), folder.clone(), name.clone());
        blocking(move || s.delete_project_now(&f, &n)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKG: &str = r#"<?xml version="1.0"?><DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="P" DTS:DTSID="{1}"><DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property></DTS:Executable>"#;

    fn name(s: &str) -> ItemName {
        ItemName::new(s).unwrap()
    }
    fn path(s: &[&str]) -> StorePath {
        StorePath::from_segments(s).unwrap()
    }

    #[tokio::test]
    async fn packages_have_no_roles_and_missing_ones_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileSystemStore::open(dir.path().join("Packages"), true).unwrap();
        let root = StorePath::root();
        store
            .put_package(
                &root,
                &name("Load"),
                Bytes::from_static(PKG.as_bytes()),
                false,
            )
            .await
            .unwrap();
        assert_eq!(
            store.package_roles(&root, &name("Load")).await.unwrap(),
            crate::PackageRoles::default()
        );
        match store.package_roles(&root, &name("Gone")).await {
            Err(StoreError::PackageNotFound(p)) => assert_eq!(
                p,
                match store.get_package(&root, &name("Gone")).await {
                    Err(StoreError::PackageNotFound(q)) => q,
                    other => panic!("{other:?}"),
                }
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            store.package_roles(&path(&["Nope"]), &name("Load")).await,
            Err(StoreError::FolderNotFound(_))
        ));
    }

    #[tokio::test]
    async fn folder_and_package_life_cycle() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileSystemStore::open(dir.path().join("Packages"), true).unwrap();
        let root = StorePath::root();
        store.create_folder(&path(&["Sales"])).await.unwrap();
        assert!(matches!(
            store.create_folder(&path(&["Sales"])).await,
            Err(StoreError::AlreadyExists { .. })
        ));
        assert!(matches!(
            store.create_folder(&path(&["Nope", "Sub"])).await,
            Err(StoreError::FolderNotFound(_))
        ));
        let sales = path(&["Sales"]);
        let (info, replaced) = store
            .put_package(
                &sales,
                &name("Load"),
                Bytes::from_static(PKG.as_bytes()),
                false,
            )
            .await
            .unwrap();
        assert!(!replaced);
        assert_eq!(info.header.name.as_deref(), Some("P"));
        assert!(matches!(
            store
                .put_package(
                    &sales,
                    &name("Load"),
                    Bytes::from_static(PKG.as_bytes()),
                    false
                )
                .await,
            Err(StoreError::AlreadyExists { .. })
        ));
        let (_, replaced) = store
            .put_package(
                &sales,
                &name("Load"),
                Bytes::from_static(PKG.as_bytes()),
                true,
            )
            .await
            .unwrap();
        assert!(replaced);
        assert_eq!(
            store.get_package(&sales, &name("Load")).await.unwrap(),
            PKG.as_bytes()
        );
        assert!(store.package_exists(&sales, &name("Load")).await.unwrap());
        assert!(!store.package_exists(&sales, &name("Other")).await.unwrap());

        let listing = store.list(&root).await.unwrap();
        assert_eq!(listing.folders.len(), 1);
        let listing = store.list(&sales).await.unwrap();
        assert_eq!(listing.packages.len(), 1);
        assert_eq!(listing.packages[0].info.name, "Load");

        assert!(matches!(
            store.delete_folder(&sales, false).await,
            Err(StoreError::FolderNotEmpty { .. })
        ));
        store
            .rename_package(&sales, &name("Load"), &name("Load2"))
            .await
            .unwrap();
        store.rename_folder(&sales, &name("Sales2")).await.unwrap();
        let sales2 = path(&["Sales2"]);
        store.delete_package(&sales2, &name("Load2")).await.unwrap();
        assert!(matches!(
            store.delete_package(&sales2, &name("Load2")).await,
            Err(StoreError::PackageNotFound(_))
        ));
        store.delete_folder(&sales2, false).await.unwrap();
        assert!(store.list(&root).await.unwrap().folders.is_empty());
    }

    #[tokio::test]
    async fn refuses_non_packages_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileSystemStore::open(dir.path(), false).unwrap();
        let err = store
            .put_package(
                &StorePath::root(),
                &name("x"),
                Bytes::from_static(b"<html/>"),
                false,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotAPackage(_)));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_file_where_the_directory_should_be_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"x").unwrap();
        assert!(matches!(
            FileSystemStore::open(&file, true),
            Err(StoreError::Unavailable(_))
        ));
    }
}
