//! The property names `/Set`, `/Conn` and configurations accept for packages, containers
//! (Sequence, For Loop, Foreach Loop, event handlers), task hosts and connection managers:
//! every name SSIS documents, spelled as SSIS spells it (`Disable`, `MaximumErrorCount`,
//! `ForcedExecutionValue`, …), plus the names `.dtsx` files use where they differ
//! (`Disabled`, `MaxErrorCount`, `ExecValue`, …); matched ignoring case, as dtexec does. Each
//! name says what a value does: it sets the property, it is accepted without effect (a
//! property ssisd does not model), or it is refused as read-only. `docs/properties.md` lists
//! the same table. It owns the names only; setting the values is `target.rs`.

/// What a value given to a property does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The property takes the value.
    Set,
    /// SSIS has the property; ssisd keeps no such setting, so the value has no effect.
    NotModelled,
    /// SSIS does not let the property be set.
    ReadOnly,
}

/// One property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyName {
    /// As SSIS documents it.
    pub name: &'static str,
    /// Other spellings found in `.dtsx` files.
    pub aliases: &'static [&'static str],
    pub effect: Effect,
}

const fn set(name: &'static str, aliases: &'static [&'static str]) -> PropertyName {
    PropertyName {
        name,
        aliases,
        effect: Effect::Set,
    }
}

const fn not_modelled(name: &'static str) -> PropertyName {
    PropertyName {
        name,
        aliases: &[],
        effect: Effect::NotModelled,
    }
}

const fn read_only(name: &'static str) -> PropertyName {
    PropertyName {
        name,
        aliases: &[],
        effect: Effect::ReadOnly,
    }
}

/// Properties every container has: the package, Sequence, For Loop, Foreach Loop, the task
/// host of every task, and event handlers.
pub const CONTAINER: &[PropertyName] = &[
    set("DelayValidation", &[]),
    set("Description", &[]),
    set("Disable", &["Disabled"]),
    set("DisableEventHandlers", &[]),
    set("FailPackageOnFailure", &[]),
    set("FailParentOnFailure", &[]),
    set("ForcedExecutionValue", &["ExecValue", "ExecutionValue"]),
    set("ForcedExecutionValueType", &["ExecValueType"]),
    set("ForceExecutionResult", &[]),
    set("ForceExecutionValue", &[]),
    read_only("ID"),
    set("IsolationLevel", &["ISOLevel"]),
    set("LocaleID", &[]),
    set("LoggingMode", &[]),
    set("MaximumErrorCount", &["MaxErrorCount"]),
    set("Name", &["ObjectName"]),
    set("TransactionOption", &[]),
];

/// Properties only the package has.
pub const PACKAGE: &[PropertyName] = &[
    set("CheckpointFileName", &[]),
    set("CheckpointUsage", &[]),
    not_modelled("CheckSignatureOnLoad"),
    set("CreationDate", &[]),
    set("CreatorComputerName", &[]),
    set("CreatorName", &[]),
    set("EnableConfigurations", &["EnableConfig"]),
    not_modelled("EncryptCheckpoints"),
    not_modelled("IgnoreConfigurationsOnLoad"),
    not_modelled("InteractiveMode"),
    read_only("LastModifiedProductVersion"),
    set("MaxConcurrentExecutables", &[]),
    set("OfflineMode", &[]),
    not_modelled("PackagePassword"),
    set("PackagePriorityClass", &[]),
    set("PackageType", &[]),
    read_only("ProtectionLevel"),
    set("SaveCheckpoints", &[]),
    set("SuppressConfigurationWarnings", &[]),
    not_modelled("UpdateObjects"),
    set("VersionBuild", &[]),
    set("VersionComments", &[]),
    read_only("VersionGUID"),
    set("VersionMajor", &[]),
    set("VersionMinor", &[]),
];

/// Properties of a task's host (beside the task's own, which its data holds).
pub const TASK_HOST: &[PropertyName] = &[set("ExecValueVariable", &[])];

/// Properties of the For Loop container.
pub const FOR_LOOP: &[PropertyName] = &[
    set("AssignExpression", &[]),
    set("EvalExpression", &[]),
    set("InitExpression", &[]),
    set("MaxConcurrent", &[]),
];

/// Properties of the Foreach Loop container (its enumerator's are under
/// `.ForEachEnumerator`).
pub const FOREACH_LOOP: &[PropertyName] = &[set("MaxConcurrent", &[])];

/// Properties every connection manager has; those of its connection type (ServerName,
/// InitialCatalog, FileUsageType, …) are accepted without effect.
pub const CONNECTION_MANAGER: &[PropertyName] = &[
    set("ConnectionString", &[]),
    set("DelayValidation", &[]),
    set("Description", &[]),
    read_only("ID"),
    set("Name", &["ObjectName"]),
    not_modelled("ProtectionLevel"),
    not_modelled("SupportsDTCTransactions"),
];

/// The entry of `lists` that `name` names (ignoring case), by SSIS's name or an alias.
pub fn find(lists: &[&'static [PropertyName]], name: &str) -> Option<&'static PropertyName> {
    let n = name.trim();
    lists.iter().flat_map(|l| l.iter()).find(|p| {
        p.name.eq_ignore_ascii_case(n) || p.aliases.iter().any(|a| a.eq_ignore_ascii_case(n))
    })
}

/// Every list with its heading, in the order `docs/properties.md` shows them.
pub const ALL: &[(&str, &[PropertyName])] = &[
    ("Every container", CONTAINER),
    ("Package", PACKAGE),
    ("Task host", TASK_HOST),
    ("For Loop", FOR_LOOP),
    ("Foreach Loop", FOREACH_LOOP),
    ("Connection manager", CONNECTION_MANAGER),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssis_names_and_file_names_find_the_same_entry() {
        let a = find(&[CONTAINER], "Disable").expect("Disable");
        assert_eq!(find(&[CONTAINER], "disabled"), Some(a));
        assert_eq!(find(&[CONTAINER], "DISABLE"), Some(a));
        assert_eq!(
            find(&[CONTAINER], "MaxErrorCount").map(|p| p.name),
            Some("MaximumErrorCount")
        );
        assert_eq!(find(&[CONTAINER], "NoSuchProperty"), None);
    }

    #[test]
    fn docs_list_every_name() {
        let doc = include_str!("../../../docs/properties.md");
        for (heading, list) in ALL {
            assert!(doc.contains(&format!("## {heading}")), "{heading}");
            for p in *list {
                assert!(
                    doc.contains(&format!("| `{}` |", p.name)),
                    "docs/properties.md does not list {} ({heading})",
                    p.name
                );
            }
        }
    }
}
