//! The File System task: copy, move, rename and delete files; create, copy, move and delete
//! directories; delete a directory's content; set attributes (ReadOnly maps to the write
//! permission bits; Hidden, Archive, System and Normal have no Linux meaning and are
//! ignored). Source and destination come from variables (`TaskIsSourceVariable`) or from FILE
//! connection managers, Windows paths mapped. `TaskOverwriteDestFile` and
//! `TaskUseDirectoryIfExists` are honoured; a successful run's execution value is 1 (one
//! operation). It owns the operations and their checks.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::references::{file_kind, Reference};
use super::{attr, attributes, flag, Task, TaskConfigError, TaskContext, TaskOutcome};
use crate::paths::map_path;
use crate::properties::PropertyOverrides;
use ssisd_engine::model::RawXml;

/// DTSFileSystemOperation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSystemOperation {
    CopyFile,
    MoveFile,
    DeleteFile,
    RenameFile,
    SetAttributes,
    CreateDirectory,
    CopyDirectory,
    MoveDirectory,
    DeleteDirectory,
    DeleteDirectoryContent,
}

impl FileSystemOperation {
    pub fn parse(text: &str) -> Option<Self> {
        use FileSystemOperation::*;
        let t = text.trim();
        if let Ok(n) = t.parse::<i32>() {
            return [
                CopyFile,
                MoveFile,
                DeleteFile,
                RenameFile,
                SetAttributes,
                CreateDirectory,
                CopyDirectory,
                MoveDirectory,
                DeleteDirectory,
                DeleteDirectoryContent,
            ]
            .get(usize::try_from(n).ok()?)
            .copied();
        }
        Some(match t.to_ascii_lowercase().as_str() {
            "copyfile" => CopyFile,
            "movefile" => MoveFile,
            "deletefile" => DeleteFile,
            "renamefile" => RenameFile,
            "setattributes" => SetAttributes,
            "createdirectory" => CreateDirectory,
            "copydirectory" => CopyDirectory,
            "movedirectory" => MoveDirectory,
            "deletedirectory" => DeleteDirectory,
            "deletedirectorycontent" => DeleteDirectoryContent,
            _ => return None,
        })
    }

    fn needs_destination(self) -> bool {
        use FileSystemOperation::*;
        matches!(
            self,
            CopyFile | MoveFile | RenameFile | CopyDirectory | MoveDirectory
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSystemTask {
    pub operation: FileSystemOperation,
    pub source: String,
    pub source_is_variable: bool,
    pub destination: String,
    pub destination_is_variable: bool,
    pub overwrite: bool,
    pub use_directory_if_exists: bool,
    pub attributes: String,
}

impl FileSystemTask {
    pub fn from_config(
        od: Option<&RawXml>,
        o: &PropertyOverrides,
    ) -> Result<Self, TaskConfigError> {
        let a = attributes(od, "FileSystemData")?;
        let text = |prop: &[&str], name: &str| {
            o.text(prop)
                .or_else(|| attr(&a, name).map(str::to_string))
                .unwrap_or_default()
        };
        let boolean = |prop: &[&str], name: &str| {
            o.bool(prop)
                .or_else(|| flag(attr(&a, name)))
                .unwrap_or(false)
        };
        let op_text = text(&["Operation"], "TaskOperationType");
        let operation = if op_text.trim().is_empty() {
            FileSystemOperation::CopyFile
        } else {
            FileSystemOperation::parse(&op_text)
                .ok_or_else(|| TaskConfigError::UnknownFileOperation(op_text.clone()))?
        };
        Ok(FileSystemTask {
            operation,
            source: text(&["Source"], "TaskSourcePath"),
            source_is_variable: boolean(&["IsSourcePathVariable"], "TaskIsSourceVariable"),
            destination: text(&["Destination"], "TaskDestinationPath"),
            destination_is_variable: boolean(
                &["IsDestinationPathVariable"],
                "TaskIsDestinationVariable",
            ),
            overwrite: boolean(&["OverwriteDestination"], "TaskOverwriteDestFile"),
            use_directory_if_exists: boolean(&["UseDirectoryIfExists"], "TaskUseDirectoryIfExists"),
            attributes: text(&["Attributes"], "TaskFileAttributes"),
        })
    }

    fn path(
        ctx: &TaskContext<'_>,
        what: &str,
        text: &str,
        variable: bool,
    ) -> Result<PathBuf, String> {
        if text.trim().is_empty() {
            return Err(format!("the {what} is not set"));
        }
        let raw = if variable {
            let v = ctx
                .variable(text)
                .map_err(|e| format!("the {what} variable: {e}"))?;
            match v.as_str() {
                Some(s) => s.to_string(),
                None => v.to_display_string(),
            }
        } else {
            ctx.connection(text)
                .map_err(|e| format!("the {what} connection: {e}"))?
                .connection_string
        };
        if raw.trim().is_empty() {
            return Err(format!("the {what} path is empty"));
        }
        Ok(PathBuf::from(map_path(&raw)))
    }

    fn run(&self, ctx: &TaskContext<'_>) -> Result<(), String> {
        use FileSystemOperation::*;
        let src = Self::path(ctx, "source", &self.source, self.source_is_variable)?;
        let dst = if self.operation.needs_destination() {
            Some(Self::path(
                ctx,
                "destination",
                &self.destination,
                self.destination_is_variable,
            )?)
        } else {
            None
        };
        let show = |p: &Path| p.display().to_string();
        let io = |what: &str, p: &Path, e: io::Error| format!("{what} \"{}\": {e}", show(p));
        match (self.operation, dst) {
            (CopyFile | MoveFile, Some(dst)) => {
                if !src.is_file() {
                    return Err(format!("the source file \"{}\" does not exist", show(&src)));
                }
                let target = if dst.is_dir() {
                    dst.join(src.file_name().unwrap_or_default())
                } else {
                    dst
                };
                self.check_overwrite(&target)?;
                if self.operation == CopyFile {
                    fs::copy(&src, &target).map_err(|e| io("cannot copy to", &target, e))?;
                } else {
                    move_file(&src, &target).map_err(|e| io("cannot move to", &target, e))?;
                }
                Ok(())
            }
            (RenameFile, Some(dst)) => {
                if !src.is_file() {
                    return Err(format!("the source file \"{}\" does not exist", show(&src)));
                }
                self.check_overwrite(&dst)?;
                move_file(&src, &dst).map_err(|e| io("cannot rename to", &dst, e))
            }
            (DeleteFile, _) => fs::remove_file(&src).map_err(|e| io("cannot delete", &src, e)),
            (CreateDirectory, _) => {
                if src.is_dir() {
                    return if self.use_directory_if_exists {
                        Ok(())
                    } else {
                        Err(format!("the directory \"{}\" already exists", show(&src)))
                    };
                }
                fs::create_dir_all(&src).map_err(|e| io("cannot create", &src, e))
            }
            (CopyDirectory | MoveDirectory, Some(dst)) => {
                if !src.is_dir() {
                    return Err(format!(
                        "the source directory \"{}\" does not exist",
                        show(&src)
                    ));
                }
                let target = if dst.is_dir() {
                    dst.join(src.file_name().unwrap_or_default())
                } else {
                    dst
                };
                if target.exists() {
                    if !self.overwrite {
                        return Err(format!(
                            "the destination \"{}\" already exists and TaskOverwriteDestFile is not set",
                            show(&target)
                        ));
                    }
                    fs::remove_dir_all(&target).map_err(|e| io("cannot replace", &target, e))?;
                }
                if self.operation == CopyDirectory {
                    copy_dir(&src, &target).map_err(|e| io("cannot copy to", &target, e))
                } else {
                    match fs::rename(&src, &target) {
                        Ok(()) => Ok(()),
                        Err(_) => copy_dir(&src, &target)
                            .and_then(|()| fs::remove_dir_all(&src))
                            .map_err(|e| io("cannot move to", &target, e)),
                    }
                }
            }
            (DeleteDirectory, _) => {
                fs::remove_dir_all(&src).map_err(|e| io("cannot delete", &src, e))
            }
            (DeleteDirectoryContent, _) => {
                let entries = fs::read_dir(&src).map_err(|e| io("cannot list", &src, e))?;
                for entry in entries {
                    let p = entry.map_err(|e| io("cannot list", &src, e))?.path();
                    let r = if p.is_dir() && !p.is_symlink() {
                        fs::remove_dir_all(&p)
                    } else {
                        fs::remove_file(&p)
                    };
                    r.map_err(|e| io("cannot delete", &p, e))?;
                }
                Ok(())
            }
            (SetAttributes, _) => {
                let meta = fs::metadata(&src).map_err(|e| io("cannot read", &src, e))?;
                let read_only = self
                    .attributes
                    .split([',', '|', ' '])
                    .any(|a| a.trim().eq_ignore_ascii_case("ReadOnly"));
                let mut perms = meta.permissions();
                use std::os::unix::fs::PermissionsExt;
                let mode = perms.mode();
                perms.set_mode(if read_only {
                    mode & !0o222
                } else {
                    mode | 0o200
                });
                fs::set_permissions(&src, perms)
                    .map_err(|e| io("cannot set attributes of", &src, e))
            }
            (_, None) => Err("the destination is not set".into()),
        }
    }

    fn check_overwrite(&self, target: &Path) -> Result<(), String> {
        if target.exists() && !self.overwrite {
            return Err(format!(
                "the destination file \"{}\" already exists and TaskOverwriteDestFile is not set",
                target.display()
            ));
        }
        Ok(())
    }
}

fn move_file(src: &Path, dst: &Path) -> io::Result<()> {
    match fs::rename(src, dst) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            fs::copy(src, dst)?;
            fs::remove_file(src)
        }
        Err(e) => Err(e),
    }
}

fn copy_dir(src: &Path, dst: &Path) -> io::Result<()> {
    fs::create_dir_all(dst)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let to = dst.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to)?;
        } else {
            fs::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}

impl Task for FileSystemTask {
    fn references(&self) -> Vec<Reference> {
        let path = |property: &'static str, text: &str, variable: bool| {
            if variable {
                Reference::variable(property, text)
            } else {
                Reference::connection(property, text, file_kind)
            }
        };
        let mut refs = vec![path("Source", &self.source, self.source_is_variable)];
        if self.operation.needs_destination() {
            refs.push(path(
                "Destination",
                &self.destination,
                self.destination_is_variable,
            ));
        }
        refs
    }

    fn execute(&mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        match self.run(ctx) {
            Ok(()) => {
                // The execution value counts the operations done: one per task run.
                ctx.set_execution_value(ssisd_engine::types::Value::I4(1));
                TaskOutcome::Success
            }
            Err(e) => ctx.fail(&format!("File System task ({:?}): {e}.", self.operation)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_parse() {
        assert_eq!(
            FileSystemOperation::parse("MoveFile"),
            Some(FileSystemOperation::MoveFile)
        );
        assert_eq!(
            FileSystemOperation::parse("2"),
            Some(FileSystemOperation::DeleteFile)
        );
        assert_eq!(FileSystemOperation::parse("Explode"), None);
        let od = RawXml(
            "<FileSystemData TaskOverwriteDestFile=\"True\" TaskSourcePath=\"User::A\" \
             TaskIsSourceVariable=\"True\" TaskDestinationPath=\"Dest\" />"
                .into(),
        );
        let t = FileSystemTask::from_config(Some(&od), &PropertyOverrides::default()).expect("ok");
        assert_eq!(t.operation, FileSystemOperation::CopyFile);
        assert!(t.overwrite && t.source_is_variable && !t.destination_is_variable);
    }
}
