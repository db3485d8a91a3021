//! Listing one folder of a File System store: its subfolders, its deployed projects (`.ispac`)
//! and `.dtsx` files with their headers (from the header cache where the file is unchanged), sorted by name. Listing also
//! sweeps what dead writers left behind (temporary files, half-deleted folders). It must not
//! change packages.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use super::headers::{Fingerprint, Header};
use super::{FileSystemStore, Subject, EXTENSION, TRASH_PREFIX};
use crate::atomic_file::TEMP_PREFIX;
use crate::error::StoreError;
use crate::names::{ItemName, StorePath};
use crate::package_header::{read_package_header, PackageHeader};
use crate::package_store::{FolderListing, PackageEntry, PackageInfo, SubfolderEntry};
use crate::projects::PROJECT_EXTENSION;

struct Found {
    stem: String,
    file: String,
    meta: fs::Metadata,
}

impl FileSystemStore {
    pub(super) fn list_now(&self, folder: &StorePath) -> Result<FolderListing, StoreError> {
        let dir = self.existing_dir(folder)?;
        let mut folders = Vec::new();
        let mut files = Vec::new();
        let mut project_files = Vec::new();
        let entries = fs::read_dir(&dir)
            .map_err(|e| self.failure("cannot list", Subject::Folder(folder), e))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| self.failure("cannot list", Subject::Folder(folder), e))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            if file_name.starts_with('.') {
                if file_name.starts_with(TEMP_PREFIX) || file_name.starts_with(TRASH_PREFIX) {
                    remove_if_orphaned(&entry.path(), file_name);
                }
                continue;
            }
            // The directory entry's type avoids a stat for subfolders.
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_symlink() => entry.path().is_dir(),
                Ok(t) => t.is_dir(),
                Err(_) => continue, // removed while listing
            };
            if is_dir {
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
            if ItemName::new(stem).is_err() {
                continue;
            }
            if ext.eq_ignore_ascii_case(PROJECT_EXTENSION) {
                if let Ok(meta) = entry.metadata() {
                    if meta.is_file() {
                        project_files.push((stem.to_string(), entry.path(), meta));
                    }
                }
                continue;
            }
            if !ext.eq_ignore_ascii_case(EXTENSION) {
                continue;
            }
            let Ok(meta) = entry.metadata() else {
                continue; // removed while listing
            };
            if meta.is_file() {
                files.push(Found {
                    stem: stem.to_string(),
                    file: file_name.to_string(),
                    meta,
                });
            }
        }
        let keys: Vec<(&str, Fingerprint)> = files
            .iter()
            .map(|f| (f.file.as_str(), Fingerprint::of(&f.meta)))
            .collect();
        let mut headers = self.inner.headers.lookup(&dir, &keys);
        let mut fresh = Vec::new();
        for (slot, (f, (_, fp))) in headers.iter_mut().zip(files.iter().zip(&keys)) {
            if slot.is_none() {
                let h: Header = Arc::new(read_header_file(&dir.join(&f.file)));
                fresh.push((f.file.clone(), *fp, h.clone()));
                *slot = Some(h);
            }
        }
        self.inner.headers.store(&dir, fresh);
        if self.inner.headers.is_dirty(&dir) {
            let present: Vec<(String, Fingerprint)> =
                keys.iter().map(|(n, fp)| (n.to_string(), *fp)).collect();
            let store = self.clone();
            let save_dir = dir.clone();
            let save = move || store.inner.headers.save(&save_dir, &present);
            match tokio::runtime::Handle::try_current() {
                Ok(h) => drop(h.spawn_blocking(save)),
                Err(_) => save(),
            }
        }
        let mut packages: Vec<PackageEntry> = files
            .into_iter()
            .zip(headers)
            .map(|(f, header)| {
                let (header, error) = match header.as_deref() {
                    Some(Ok(h)) => (h.clone(), None),
                    Some(Err(e)) => (PackageHeader::default(), Some(e.clone())),
                    None => (PackageHeader::default(), Some("not read".to_string())),
                };
                PackageEntry {
                    info: PackageInfo {
                        name: f.stem,
                        size: f.meta.len(),
                        modified: modified_text(&f.meta),
                        header,
                    },
                    error,
                }
            })
            .collect();
        folders.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        packages.sort_unstable_by(|a, b| a.info.name.cmp(&b.info.name));
        let projects = super::projects::entries(project_files);
        Ok(FolderListing {
            folders,
            packages,
            projects,
        })
    }
}

/// Reads and describes one stored package file.
fn read_header_file(path: &Path) -> Result<PackageHeader, String> {
    fs::read(path)
        .map_err(|e| format!("cannot read: {}", e.kind()))
        .and_then(|b| {
            read_package_header(&b)
                .map(PackageHeader::with_defaults)
                .map_err(|e| e.to_string())
        })
}

pub(super) fn modified_text(meta: &fs::Metadata) -> Option<String> {
    let t = meta.modified().ok()?;
    Some(
        chrono::DateTime::<chrono::Utc>::from(t)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// Removes a temporary file or a half-deleted folder whose process is gone (its pid is in the
/// name, after the prefix).
fn remove_if_orphaned(path: &Path, file_name: &str) {
    let rest = file_name
        .strip_prefix(TEMP_PREFIX)
        .or_else(|| file_name.strip_prefix(TRASH_PREFIX))
        .unwrap_or("");
    let pid = rest
        .split('-')
        .next()
        .and_then(|p| p.parse::<i32>().ok())
        .and_then(rustix::process::Pid::from_raw);
    let alive = match pid {
        Some(pid) if pid.as_raw_nonzero().get() as u32 == std::process::id() => true,
        // Signal 0 only checks whether the process exists.
        Some(pid) => !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        ),
        None => false,
    };
    if !alive {
        if file_name.starts_with(TRASH_PREFIX) {
            let _ = fs::remove_dir_all(path);
        } else {
            let _ = fs::remove_file(path);
        }
    }
}
