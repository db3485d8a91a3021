//! Where the Raw File source and destination find their file: AccessMode 0 reads the FileName
//! property, AccessMode 1 the string variable FileNameVariable names (read when the component
//! is prepared, so a Foreach Loop can point each iteration at another file); the host maps a
//! Windows path. It must not open the file.

use ssisd_engine::model::CustomProperty;

use crate::codes;
use crate::component::{ComponentSpec, PrepareContext};
use crate::components::{prop, prop_int};
use crate::error::PipelineError;

/// How the file name is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileName {
    Property(String),
    Variable(String),
}

/// Reads AccessMode, FileName and FileNameVariable (validation: no I/O).
pub fn configured(
    spec: &ComponentSpec<'_>,
    props: &[CustomProperty],
) -> Result<FileName, PipelineError> {
    match prop_int(props, "AccessMode").unwrap_or(0) {
        0 => {
            let name = prop(props, "FileName").unwrap_or("").trim().to_string();
            if name.is_empty() {
                return Err(spec.error("its FileName is empty; name the raw file (or set AccessMode to 1 and FileNameVariable)"));
            }
            Ok(FileName::Property(name))
        }
        1 => {
            let name = prop(props, "FileNameVariable")
                .unwrap_or("")
                .trim()
                .to_string();
            if name.is_empty() {
                return Err(spec.error(
                    "its AccessMode is 1 (file name from variable) but FileNameVariable is empty",
                ));
            }
            Ok(FileName::Variable(name))
        }
        other => Err(spec.error(format!(
            "its AccessMode is {other}; it must be 0 (file name) or 1 (file name from variable)"
        ))),
    }
}

impl FileName {
    /// The path as this machine sees it.
    pub fn resolve(&self, ctx: &PrepareContext<'_>) -> Result<String, PipelineError> {
        let written = match self {
            FileName::Property(p) => p.clone(),
            FileName::Variable(v) => {
                let value = ctx.host.variable(v).map_err(|e| {
                    ctx.error(
                        codes::VARIABLE_INVALID,
                        format!("its FileNameVariable \"{v}\": {e}"),
                    )
                })?;
                match value.as_str() {
                    Some(s) if !s.trim().is_empty() => s.to_string(),
                    _ => {
                        return Err(ctx.error(
                            codes::VARIABLE_INVALID,
                            format!("its FileNameVariable \"{v}\" holds no file name ({}); set it to the raw file's path", value.to_display_string()),
                        ))
                    }
                }
            }
        };
        Ok(ctx.host.file_path(&written))
    }
}
