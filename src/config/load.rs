//! Reading the configuration: the named file (TOML, or a classic `MsDtsSrvr.ini.xml` in UTF-8
//! or UTF-16) or the embedded default, layered under `SSISD_*` environment overrides with the
//! `config` crate, then handed to `check.rs`. Errors name the file or the environment.

use std::path::{Path, PathBuf};

use super::check::check;
use super::folders::folder_section;
use super::sections::RawConfig;
use super::{msdtssrvr, text, ConfigError, ConfigOrigin, ServiceConfig};

const ENV_PREFIX: &str = "SSISD";
const ENV_SEPARATOR: &str = "__";

/// Loads the configuration: `file` as named by `--config`/`SSISD_CONFIG`, or the embedded
/// default when `None`; environment overrides on top.
pub fn load(file: Option<&Path>) -> Result<ServiceConfig, ConfigError> {
    load_with_env(file, std::env::vars())
}

/// [`load`] with an explicit environment (for tests).
pub fn load_with_env(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<ServiceConfig, ConfigError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let (origin, base, file_layer, mut warnings) = match file {
        None => (ConfigOrigin::Embedded, cwd, None, Vec::new()),
        Some(path) => {
            let path = if path.is_absolute() {
                path.to_path_buf()
            } else {
                cwd.join(path)
            };
            let bytes = std::fs::read(&path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    ConfigError::Missing(path.clone())
                } else {
                    ConfigError::Unreadable {
                        path: path.clone(),
                        source: e,
                    }
                }
            })?;
            // UTF-8, or UTF-16 as Windows editors save MsDtsSrvr.ini.xml; the mark is dropped.
            let text = text::decode(&bytes)
                .map_err(|e| ConfigError::invalid(&path, e.to_string()))?
                .text;
            let base = path.parent().map(Path::to_path_buf).unwrap_or(cwd);
            if msdtssrvr::looks_like_xml(&text) {
                let xml = msdtssrvr::parse(&text, &path)
                    .map_err(|e| ConfigError::invalid(&path, e.to_string()))?;
                let mut raw = RawConfig::default();
                if let Some(stop) = xml.stop_executing_packages_on_shutdown {
                    raw.service.stop_executing_packages_on_shutdown = stop;
                }
                raw.folder = xml
                    .folders
                    .map(|folders| folders.iter().map(folder_section).collect());
                let layer = config::Config::try_from(&raw)
                    .map_err(|e| ConfigError::invalid(&path, e.to_string()))?;
                (
                    ConfigOrigin::MsDtsSrvr(path),
                    base,
                    Some(Layer::Built(layer)),
                    xml.warnings,
                )
            } else {
                let text = text.trim_start_matches('\u{feff}').to_string();
                // The toml crate reports syntax errors with line and column.
                toml::from_str::<toml::Table>(&text)
                    .map_err(|e| ConfigError::invalid(&path, format!("not valid TOML: {e}")))?;
                (
                    ConfigOrigin::Toml(path),
                    base,
                    Some(Layer::Toml(text)),
                    Vec::new(),
                )
            }
        }
    };

    let env_map: std::collections::HashMap<String, String> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}_")) && k.contains(ENV_SEPARATOR))
        .collect();
    let mut builder = config::Config::builder();
    match file_layer {
        Some(Layer::Toml(text)) => {
            builder = builder.add_source(config::File::from_str(&text, config::FileFormat::Toml))
        }
        Some(Layer::Built(c)) => builder = builder.add_source(c),
        None => {}
    }
    builder = builder.add_source(
        config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("_")
            .separator(ENV_SEPARATOR)
            .try_parsing(true)
            .source(Some(env_map)),
    );
    let origin_text = match &origin {
        ConfigOrigin::Embedded => "environment (SSISD_*)".to_string(),
        ConfigOrigin::Toml(p) | ConfigOrigin::MsDtsSrvr(p) => {
            format!(
                "configuration file {} or environment (SSISD_*)",
                p.display()
            )
        }
    };
    let raw: RawConfig = builder
        .build()
        .and_then(|c| c.try_deserialize())
        .map_err(|e| match &origin {
            ConfigOrigin::Toml(p) | ConfigOrigin::MsDtsSrvr(p) => {
                ConfigError::invalid(p, e.to_string())
            }
            ConfigOrigin::Embedded => ConfigError::Key {
                origin: origin_text.clone(),
                key: "(environment)".into(),
                message: e.to_string(),
            },
        })?;
    let mut cfg = check(raw, origin, &base, &origin_text)?;
    cfg.warnings.append(&mut warnings);
    Ok(cfg)
}

enum Layer {
    Toml(String),
    Built(config::Config),
}
