//! The File System store: a top-level folder that is a directory. Subfolders are directories,
//! packages are `<name>.dtsx` files and deployed projects `<name>.ispac` files, kept byte for
//! byte; every write goes through [`crate::atomic_file`]. One concern per file: `root.rs` (the
//! store root: marker, creation policy, health probes), `headers.rs` (the header cache that
//! survives restarts), `listing.rs` (listing a folder), `watch.rs` (folder versions from
//! inotify, so that an unchanged folder need not be listed again), `projects.rs` (deployed
//! projects), this file (opening the store, the changes, and how file errors become store
//! errors). Blocking file work runs on tokio's blocking pool; this module must not know about
//! actors or HTTP.
//!
//! Every operation first confirms that the root is still the store (one `stat` of its marker),
//! so nothing is read from or written to an empty stand-in. Errors are what a caller can act
//! on: a missing root is [`StoreError::Unavailable`], a read-only one [`StoreError::ReadOnly`],
//! a folder that vanished under a request [`StoreError::FolderNotFound`]; only faults nobody
//! expects stay [`StoreError::Io`].

mod headers;
mod listing;
mod projects;
pub mod root;
mod watch;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use crate::atomic_file;
use crate::error::StoreError;
use crate::names::{ItemName, StorePath};
use crate::package_header::read_package_header;
use crate::package_store::{FolderListing, PackageInfo, PackageStore};
use crate::projects::ProjectInfo;

pub use headers::CACHE_FILE as HEADER_CACHE_FILE;
pub use root::{CreateRoot, RootPolicy, MARKER};

const EXTENSION: &str = "dtsx";
/// Prefix of a deleted folder's directory while its content is being removed.
const TRASH_PREFIX: &str = ".ssisd-trash-";
/// Every name the store itself puts in a directory starts with this.
const OWN_PREFIX: &str = ".ssisd-";

static TRASH_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A directory of packages.
#[derive(Clone)]
pub struct FileSystemStore {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    policy: RootPolicy,
    /// Whether the root carries its marker (a read-only root adopted before it had one may
    /// not yet).
    marked: AtomicBool,
    headers: headers::HeaderCache,
    /// Versions of listed folders (inotify).
    versions: watch::FolderVersions,
}

/// What a failed file operation was about, to name the right missing thing.
enum Subject<'a> {
    Folder(&'a StorePath),
    Package(&'a StorePath, &'a ItemName),
}

impl FileSystemStore {
    /// Opens the store at `root` under `policy` (see [`root::prepare`]): a root the service has
    /// used before and that is now missing or unmarked is [`StoreError::Unavailable`].
    pub fn open(root: impl Into<PathBuf>, policy: &RootPolicy) -> Result<Self, StoreError> {
        let root = root.into();
        let marked = root::prepare(&root, policy)?;
        Ok(FileSystemStore {
            inner: Arc::new(Inner {
                root,
                policy: policy.clone(),
                marked: AtomicBool::new(marked),
                headers: headers::HeaderCache::default(),
                versions: watch::FolderVersions::new(),
            }),
        })
    }

    /// Opens `root`, creating it when missing (for tools and tests that keep no list of known
    /// roots).
    pub fn open_or_create(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        Self::open(root, &RootPolicy::default())
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The root is still this store.
    fn verify(&self) -> Result<(), StoreError> {
        root::verify(&self.inner.root, self.inner.marked.load(Ordering::Acquire))
    }

    /// The store can be used: `Ok`, [`StoreError::ReadOnly`] (reads work) or
    /// [`StoreError::Unavailable`].
    fn check_now(&self) -> Result<(), StoreError> {
        self.verify()?;
        root::probe_writable(&self.inner.root)?;
        if !self.inner.marked.load(Ordering::Acquire) {
            let marked = root::prepare(&self.inner.root, &self.inner.policy)?;
            self.inner.marked.store(marked, Ordering::Release);
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

    /// Turns a failed file operation into the error a caller can act on.
    fn failure(&self, action: &'static str, subject: Subject<'_>, e: io::Error) -> StoreError {
        let folder = match &subject {
            Subject::Folder(f) | Subject::Package(f, _) => *f,
        };
        if e.kind() == io::ErrorKind::NotFound {
            if let Err(gone) = self.verify() {
                return gone;
            }
            return match subject {
                Subject::Package(f, n) if self.dir_of(f).is_dir() => {
                    StoreError::PackageNotFound(f.join(n).to_string())
                }
                _ => StoreError::FolderNotFound(folder.to_string()),
            };
        }
        if root::is_read_only_error(&e) {
            return StoreError::ReadOnly(root::read_only_reason(&self.inner.root, &e));
        }
        match e.raw_os_error() {
            Some(libc::ENOSPC) | Some(libc::EDQUOT) => StoreError::Unavailable(format!(
                "store path {} is full ({e}); free some space",
                self.inner.root.display()
            )),
            Some(libc::ENAMETOOLONG) => StoreError::InvalidName {
                name: match subject {
                    Subject::Package(_, n) => n.to_string(),
                    Subject::Folder(f) => f.to_string(),
                },
                reason: "the file system refuses a name this long (at most 255 bytes of UTF-8 per name, .dtsx included)".into(),
            },
            _ => StoreError::io(action, self.dir_of(folder), e),
        }
    }

    /// The folder's directory, which must exist.
    fn existing_dir(&self, folder: &StorePath) -> Result<PathBuf, StoreError> {
        self.verify()?;
        let dir = self.dir_of(folder);
        match fs::metadata(&dir) {
            Ok(m) if m.is_dir() => Ok(dir),
            Ok(_) => Err(StoreError::FolderNotFound(folder.to_string())),
            Err(e) => Err(self.failure("cannot open folder", Subject::Folder(folder), e)),
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

    fn sync(&self, dir: &Path, subject: Subject<'_>) -> Result<(), StoreError> {
        atomic_file::sync_dir(dir).map_err(|e| self.failure("cannot sync", subject, e))
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
            Err(e) => {
                return Err(self.failure("cannot create folder", Subject::Folder(&parent), e))
            }
        }
        self.sync(&parent_dir, Subject::Folder(&parent))
    }

    fn delete_folder_now(&self, folder: &StorePath, recursive: bool) -> Result<(), StoreError> {
        let Some((parent, _)) = folder.split_last() else {
            return Err(StoreError::TopLevelFolder(String::new(), "deleted"));
        };
        let dir = self.existing_dir(folder)?;
        // Its watches (and those of folders below) would speak for nothing.
        self.inner.versions.forget_below(&dir);
        let parent_dir = self.dir_of(&parent);
        if recursive {
            // The folder disappears in one step (a rename to a hidden name); its content is
            // removed after. A crash in between leaves only the hidden directory, which the
            // next listing of the parent removes.
            let n = TRASH_COUNTER.fetch_add(1, Ordering::Relaxed);
            let trash = parent_dir.join(format!("{TRASH_PREFIX}{}-{n}", std::process::id()));
            fs::rename(&dir, &trash)
                .map_err(|e| self.failure("cannot delete folder", Subject::Folder(folder), e))?;
            self.inner.headers.forget_tree(&dir);
            self.sync(&parent_dir, Subject::Folder(&parent))?;
            let _ = fs::remove_dir_all(&trash);
            return Ok(());
        }
        let (mut folders, mut packages, mut others) = (0, 0, 0);
        let mut own = Vec::new();
        let entries = fs::read_dir(&dir)
            .map_err(|e| self.failure("cannot list", Subject::Folder(folder), e))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(OWN_PREFIX) {
                own.push(entry.path());
            } else if entry.file_type().is_ok_and(|t| t.is_dir()) {
                folders += 1;
            } else if name.to_ascii_lowercase().ends_with(".dtsx") {
                packages += 1;
            } else {
                others += 1;
            }
        }
        if folders + packages + others > 0 {
            let content = if folders + packages == 0 {
                format!("{others} other file(s)")
            } else {
                format!("{folders} folder(s), {packages} package(s)")
            };
            return Err(StoreError::FolderNotEmpty {
                path: folder.to_string(),
                content,
            });
        }
        // The store's own files (a listing's header cache, saved in the background) may be
        // written again between their removal and the directory's: those are removed again, a
        // few times; anything else that appears makes the folder not empty.
        let mut attempts = 0;
        loop {
            for p in own.drain(..) {
                let _ = fs::remove_file(&p).or_else(|_| fs::remove_dir_all(&p));
            }
            match fs::remove_dir(&dir) {
                Ok(()) => break,
                Err(e) if e.raw_os_error() == Some(libc::ENOTEMPTY) => {
                    attempts += 1;
                    let entries = fs::read_dir(&dir)
                        .map_err(|e| self.failure("cannot list", Subject::Folder(folder), e))?;
                    let mut foreign = false;
                    for entry in entries.flatten() {
                        if entry.file_name().to_string_lossy().starts_with(OWN_PREFIX) {
                            own.push(entry.path());
                        } else {
                            foreign = true;
                        }
                    }
                    if foreign || attempts > 3 {
                        return Err(StoreError::FolderNotEmpty {
                            path: folder.to_string(),
                            content: "files added while it was being deleted".into(),
                        });
                    }
                }
                Err(e) => {
                    return Err(self.failure("cannot delete folder", Subject::Folder(folder), e))
                }
            }
        }
        self.inner.headers.forget_tree(&dir);
        self.sync(&parent_dir, Subject::Folder(&parent))
    }

    fn rename_folder_now(&self, folder: &StorePath, new_name: &ItemName) -> Result<(), StoreError> {
        let Some((parent, _)) = folder.split_last() else {
            return Err(StoreError::TopLevelFolder(String::new(), "renamed"));
        };
        let dir = self.existing_dir(folder)?;
        // Its watches (and those of folders below) would speak for nothing.
        self.inner.versions.forget_below(&dir);
        let new_path = parent.join(new_name);
        let target = self.dir_of(&new_path);
        atomic_file::rename_no_replace(&dir, &target).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                StoreError::AlreadyExists {
                    what: "folder",
                    path: new_path.to_string(),
                    hint: "",
                }
            } else {
                self.failure("cannot rename folder", Subject::Folder(folder), e)
            }
        })?;
        self.inner.headers.forget_tree(&dir);
        self.sync(&self.dir_of(&parent), Subject::Folder(&parent))
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
            Err(StoreError::PackageNotFound(_)) => dir.join(format!("{name}.{EXTENSION}")),
            Err(e) => return Err(e),
        };
        let replaced = atomic_file::write_atomically(&target, bytes, overwrite).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                StoreError::AlreadyExists {
                    what: "package",
                    path: folder.join(name).to_string(),
                    hint: "; add ?overwrite=true to replace it",
                }
            } else {
                self.failure("cannot write package", Subject::Folder(folder), e)
            }
        })?;
        let meta = fs::metadata(&target)
            .map_err(|e| self.failure("cannot stat", Subject::Package(folder, name), e))?;
        let file = file_name(&target);
        self.inner.headers.store(
            &dir,
            vec![(
                file,
                headers::Fingerprint::of(&meta),
                Arc::new(Ok(header.clone())),
            )],
        );
        Ok((
            PackageInfo {
                name: name.to_string(),
                size: meta.len(),
                modified: listing::modified_text(&meta),
                header,
            },
            replaced,
        ))
    }

    fn get_now(&self, folder: &StorePath, name: &ItemName) -> Result<Bytes, StoreError> {
        let file = self.package_file(folder, name)?;
        fs::read(&file)
            .map(Bytes::from)
            .map_err(|e| self.failure("cannot read package", Subject::Package(folder, name), e))
    }

    fn delete_package_now(&self, folder: &StorePath, name: &ItemName) -> Result<(), StoreError> {
        let file = self.package_file(folder, name)?;
        fs::remove_file(&file).map_err(|e| {
            self.failure("cannot delete package", Subject::Package(folder, name), e)
        })?;
        let dir = self.dir_of(folder);
        self.inner.headers.forget(&dir, &file_name(&file));
        self.sync(&dir, Subject::Folder(folder))
    }

    fn rename_package_now(
        &self,
        folder: &StorePath,
        name: &ItemName,
        new_name: &ItemName,
    ) -> Result<(), StoreError> {
        let file = self.package_file(folder, name)?;
        match self.package_file(folder, new_name) {
            Ok(_) => {
                return Err(StoreError::AlreadyExists {
                    what: "package",
                    path: folder.join(new_name).to_string(),
                    hint: "",
                })
            }
            Err(StoreError::PackageNotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let dir = self.dir_of(folder);
        let target = dir.join(format!("{new_name}.{EXTENSION}"));
        atomic_file::rename_no_replace(&file, &target).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                StoreError::AlreadyExists {
                    what: "package",
                    path: folder.join(new_name).to_string(),
                    hint: "",
                }
            } else {
                self.failure("cannot rename package", Subject::Package(folder, name), e)
            }
        })?;
        self.inner.headers.forget(&dir, &file_name(&file));
        self.sync(&dir, Subject::Folder(folder))
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
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

    async fn folder_version(&self, folder: &StorePath) -> Option<u64> {
        let (s, f) = (self.clone(), folder.clone());
        blocking(move || {
            s.verify()?;
            Ok(s.inner.versions.version(&s.dir_of(&f)))
        })
        .await
        .ok()
        .flatten()
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
        blocking(move || s.get_now(&f, &n)).await
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
        let store = FileSystemStore::open_or_create(dir.path().join("Packages")).unwrap();
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
        let store = FileSystemStore::open_or_create(dir.path().join("Packages")).unwrap();
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
        let store = FileSystemStore::open_or_create(dir.path()).unwrap();
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
        let left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != MARKER)
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_file_where_the_directory_should_be_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"x").unwrap();
        assert!(matches!(
            FileSystemStore::open_or_create(&file),
            Err(StoreError::Unavailable(_))
        ));
    }

    fn known(dir: &Path) -> RootPolicy {
        RootPolicy {
            create: CreateRoot::FirstUse,
            known_roots: Some(dir.join("known-roots")),
        }
    }

    #[tokio::test]
    async fn a_vanished_root_is_unavailable_for_every_operation_and_never_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("pk");
        let store = FileSystemStore::open(&root, &known(dir.path())).unwrap();
        let sales = path(&["Sales"]);
        store.create_folder(&sales).await.unwrap();
        store
            .put_package(
                &sales,
                &name("Load"),
                Bytes::from_static(PKG.as_bytes()),
                false,
            )
            .await
            .unwrap();
        fs::rename(&root, dir.path().join("away")).unwrap();
        let unavailable = |r: Result<(), StoreError>| match r {
            Err(StoreError::Unavailable(why)) => assert!(why.contains("is missing"), "{why}"),
            other => panic!("{other:?}"),
        };
        unavailable(store.get_package(&sales, &name("Load")).await.map(drop));
        unavailable(store.list(&sales).await.map(drop));
        unavailable(store.list(&StorePath::root()).await.map(drop));
        unavailable(
            store
                .put_package(
                    &sales,
                    &name("New"),
                    Bytes::from_static(PKG.as_bytes()),
                    false,
                )
                .await
                .map(drop),
        );
        unavailable(store.package_exists(&sales, &name("Load")).await.map(drop));
        unavailable(store.check().await);
        assert!(!root.exists(), "nothing re-creates the root");
        // An empty directory in its place (an unmounted mount point) is not written to.
        fs::create_dir(&root).unwrap();
        let r = store
            .put_package(
                &StorePath::root(),
                &name("New"),
                Bytes::from_static(PKG.as_bytes()),
                false,
            )
            .await;
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
        assert!(matches!(
            FileSystemStore::open(&root, &known(dir.path())),
            Err(StoreError::Unavailable(_))
        ));
        fs::remove_dir(&root).unwrap();
        fs::rename(dir.path().join("away"), &root).unwrap();
        store.check().await.unwrap();
        assert_eq!(
            store.get_package(&sales, &name("Load")).await.unwrap(),
            PKG.as_bytes()
        );
    }

    #[tokio::test]
    async fn a_recursive_delete_removes_the_folder_in_one_step_and_listing_sweeps_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileSystemStore::open_or_create(dir.path().join("pk")).unwrap();
        let old = path(&["Old"]);
        store.create_folder(&old).await.unwrap();
        store.create_folder(&path(&["Old", "Sub"])).await.unwrap();
        store
            .put_package(&old, &name("A"), Bytes::from_static(PKG.as_bytes()), false)
            .await
            .unwrap();
        store.list(&old).await.unwrap();
        store.delete_folder(&old, true).await.unwrap();
        assert!(matches!(
            store
                .put_package(&old, &name("B"), Bytes::from_static(PKG.as_bytes()), false)
                .await,
            Err(StoreError::FolderNotFound(_))
        ));
        // A half-deleted folder of a dead process is removed by the next listing.
        let leftover = dir
            .path()
            .join("pk")
            .join(format!("{TRASH_PREFIX}999999999-1"));
        fs::create_dir_all(leftover.join("x")).unwrap();
        fs::write(leftover.join("x/p.dtsx"), PKG).unwrap();
        assert!(store
            .list(&StorePath::root())
            .await
            .unwrap()
            .folders
            .is_empty());
        assert!(!leftover.exists());
        // A folder holding only the store's own files is empty.
        let cached = path(&["Cached"]);
        store.create_folder(&cached).await.unwrap();
        store
            .put_package(
                &cached,
                &name("A"),
                Bytes::from_static(PKG.as_bytes()),
                false,
            )
            .await
            .unwrap();
        store.list(&cached).await.unwrap();
        store.delete_package(&cached, &name("A")).await.unwrap();
        store.list(&cached).await.unwrap();
        store.delete_folder(&cached, false).await.unwrap();
    }

    #[tokio::test]
    async fn headers_come_from_the_saved_cache_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("pk");
        let store = FileSystemStore::open_or_create(&root).unwrap();
        store
            .put_package(
                &StorePath::root(),
                &name("A"),
                Bytes::from_static(PKG.as_bytes()),
                false,
            )
            .await
            .unwrap();
        store.list(&StorePath::root()).await.unwrap();
        // The save runs beside the listing; wait for it.
        for _ in 0..200 {
            if root.join(HEADER_CACHE_FILE).exists() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(root.join(HEADER_CACHE_FILE).exists());
        // The file is made unreadable as a package, keeping its size and mtime: a header read
        // from it would fail, so a good header proves the cache was used.
        let file = root.join("A.dtsx");
        let meta = fs::metadata(&file).unwrap();
        fs::write(&file, "x".repeat(meta.len() as usize)).unwrap();
        let mtime = meta.modified().unwrap();
        fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let reopened = FileSystemStore::open_or_create(&root).unwrap();
        let listing = reopened.list(&StorePath::root()).await.unwrap();
        assert_eq!(listing.packages[0].info.header.name.as_deref(), Some("P"));
        assert!(listing.packages[0].error.is_none());
        // A changed size is read again.
        fs::write(&file, "x").unwrap();
        let listing = reopened.list(&StorePath::root()).await.unwrap();
        assert!(listing.packages[0].error.is_some());
    }
}
