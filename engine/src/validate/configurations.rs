//! Configurations: the `.dtsConfig` files of `/ConfigFile` and the XML-file configurations a
//! package declares itself. Each entry is applied by its property path like `/Set`; a target
//! the package does not have is a warning, as SSIS gives it. An unreadable `/ConfigFile` is an
//! error; a declared configuration that cannot be used here is a warning. It must not decide
//! anything about the values beyond what `target.rs` checks.

use std::path::Path;

use super::diagnostic::{codes, ValidationReport};
use super::overrides::note_applied;
use super::target;
use crate::cli::PropertyPath;
use crate::load::{load_dtsconfig_file, ConfigEntry};
use crate::model::Package;

/// Applies the entries of one configuration, naming `origin` in the warnings.
pub fn apply_entries(
    package: &mut Package,
    entries: &[ConfigEntry],
    origin: &str,
    report: &mut ValidationReport,
) {
    for entry in entries {
        let path = match PropertyPath::parse(&entry.path) {
            Ok(p) => p,
            Err(reason) => {
                report.warning(
                    codes::CONFIG_TARGET_NOT_FOUND,
                    &entry.path,
                    format!("The configuration {origin} has an entry whose path cannot be read: {reason}."),
                );
                continue;
            }
        };
        match target::apply(package, &path, &entry.value) {
            Ok(applied) => note_applied(report, &entry.path, applied),
            Err(e) => report.warning(
                codes::CONFIG_TARGET_NOT_FOUND,
                &entry.path,
                format!("The configuration {origin} could not be applied: {e}."),
            ),
        }
    }
}

/// Reads and applies each `/ConfigFile`, in order.
pub fn apply_config_files(package: &mut Package, files: &[String], report: &mut ValidationReport) {
    for file in files {
        match load_dtsconfig_file(Path::new(file)) {
            Ok(entries) => apply_entries(package, &entries, &format!("file \"{file}\""), report),
            Err(e) => report.error(
                codes::CONFIG_FILE_UNREADABLE,
                file.as_str(),
                format!("/ConfigFile: the configuration file \"{file}\" cannot be used: {e}."),
            ),
        }
    }
}

/// Applies the XML-file configurations the package declares, when it enables them. A file
/// that is not on this machine, and every other configuration type, is a warning.
pub fn apply_declared(package: &mut Package, report: &mut ValidationReport) {
    if !package.properties.enable_config {
        return;
    }
    let declared = package.configurations.clone();
    for c in &declared {
        if c.configuration_type != 1 {
            report.warning(
                codes::PACKAGE_CONFIGURATION_SKIPPED,
                &c.path,
                format!(
                    "The configuration \"{}\" is of type {}, which ssisd does not apply; only \
                     XML configuration files are read. Use /Set or /ConfigFile instead.",
                    c.name, c.configuration_type
                ),
            );
            continue;
        }
        let file = c.configuration_string.trim();
        match load_dtsconfig_file(Path::new(file)) {
            Ok(entries) => apply_entries(
                package,
                &entries,
                &format!("\"{}\" (file \"{file}\")", c.name),
                report,
            ),
            Err(e) => report.warning(
                codes::PACKAGE_CONFIGURATION_SKIPPED,
                &c.path,
                format!(
                    "The configuration file \"{file}\" of the configuration \"{}\" cannot be \
                     used ({e}); the package's own values are kept.",
                    c.name
                ),
            ),
        }
    }
}
