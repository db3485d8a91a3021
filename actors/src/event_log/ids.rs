//! The one table of event ids. SSIS's own ids are used where one applies (`SQLISService`
//! 256–336, `SQLISPackage` 12288–12291); ssisd's own events use the range 1000–1999 under the
//! source `ssisd`. Operators grep logs by these numbers: never renumber an entry, only add.
//! The README mirrors this table.

use serde::{Deserialize, Serialize};

/// Severity, as the Windows event log has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Information = 0,
    Warning = 1,
    Error = 2,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Information => "information",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        match text.trim().to_ascii_lowercase().as_str() {
            "information" | "info" | "i" => Some(Level::Information),
            "warning" | "warn" | "w" => Some(Level::Warning),
            "error" | "e" => Some(Level::Error),
            _ => None,
        }
    }

    pub fn from_code(code: i64) -> Level {
        match code {
            2 => Level::Error,
            1 => Level::Warning,
            _ => Level::Information,
        }
    }
}

/// The event source names.
pub const SOURCE_SERVICE: &str = "SQLISService";
pub const SOURCE_PACKAGE: &str = "SQLISPackage";
pub const SOURCE_SSISD: &str = "ssisd";

macro_rules! event_ids {
    ($( $variant:ident = $code:literal, $source:ident, $level:ident, $doc:literal; )*) => {
        /// Every event the service writes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventId { $( #[doc = $doc] $variant, )* }

        impl EventId {
            pub const ALL: &'static [EventId] = &[ $( EventId::$variant, )* ];
            pub fn code(self) -> u32 { match self { $( EventId::$variant => $code, )* } }
            pub fn source(self) -> &'static str { match self { $( EventId::$variant => $source, )* } }
            pub fn level(self) -> Level { match self { $( EventId::$variant => Level::$level, )* } }
            pub fn name(self) -> &'static str { match self { $( EventId::$variant => stringify!($variant), )* } }
            pub fn description(self) -> &'static str { match self { $( EventId::$variant => $doc, )* } }
        }
    };
}

event_ids! {
    ServiceStarting = 256, SOURCE_SERVICE, Information, "The service is starting.";
    ServiceStarted = 257, SOURCE_SERVICE, Information, "The service has started and serves its API.";
    ServiceStopping = 258, SOURCE_SERVICE, Information, "The service is stopping; says whether running packages are stopped.";
    ServiceStopped = 259, SOURCE_SERVICE, Information, "The service has stopped.";
    ServiceStartFailed = 260, SOURCE_SERVICE, Error, "The service failed to start.";
    ConfigMissing = 272, SOURCE_SERVICE, Error, "The configuration file named does not exist.";
    ConfigInvalid = 273, SOURCE_SERVICE, Error, "The configuration file is invalid.";
    StoppingPackage = 336, SOURCE_SERVICE, Information, "The service is stopping a running package at shutdown.";
    PackageStarted = 12288, SOURCE_PACKAGE, Information, "A package started.";
    PackageSucceeded = 12289, SOURCE_PACKAGE, Information, "A package finished successfully.";
    PackageCancelled = 12290, SOURCE_PACKAGE, Warning, "A package was cancelled.";
    PackageFailed = 12291, SOURCE_PACKAGE, Error, "A package failed.";
    ConfigReloaded = 1001, SOURCE_SSISD, Information, "The configuration was reloaded (SIGHUP or API).";
    ConfigReloadRejected = 1002, SOURCE_SSISD, Error, "A new configuration was refused; the previous one keeps running.";
    ReloadNeedsRestart = 1003, SOURCE_SSISD, Warning, "A reloaded setting takes effect only after a restart.";
    FolderStarted = 1010, SOURCE_SSISD, Information, "A top-level folder's store is available.";
    FolderStopped = 1011, SOURCE_SSISD, Information, "A top-level folder's store was stopped (removed or changed by a reload, or shutdown).";
    ChildRestarting = 1012, SOURCE_SSISD, Warning, "A supervised actor ended unexpectedly and will be restarted after a back-off.";
    ChildFailed = 1013, SOURCE_SSISD, Error, "A supervised actor exceeded its restart intensity and is marked failed.";
    FolderUnavailable = 1014, SOURCE_SSISD, Warning, "A top-level folder cannot be served: its msdb server is unreachable, or its store directory is missing or is not the store; probed again in the background.";
    FolderRecovered = 1015, SOURCE_SSISD, Information, "A top-level folder's store is usable again after an outage or a read-only spell.";
    FolderReadOnly = 1016, SOURCE_SSISD, Warning, "A top-level folder's store can be read but not changed (read-only mount, immutable directory); writes answer 503 until it is writable again, probed in the background.";
    FolderCreated = 1020, SOURCE_SSISD, Information, "A folder was created.";
    FolderDeleted = 1021, SOURCE_SSISD, Information, "A folder was deleted.";
    FolderRenamed = 1022, SOURCE_SSISD, Information, "A folder was renamed.";
    PackageImported = 1023, SOURCE_SSISD, Information, "A package was imported (created or replaced).";
    PackageDeleted = 1024, SOURCE_SSISD, Information, "A package was deleted.";
    PackageRenamed = 1025, SOURCE_SSISD, Information, "A package was renamed.";
    ChangeSettled = 1026, SOURCE_SSISD, Warning, "A change interrupted by a crash or a failing store (import, copy, move, rename, deletion) was completed or rolled back; the owner records agree with the stores.";
    ProjectImported = 1027, SOURCE_SSISD, Information, "A project (.ispac) was imported (created or replaced).";
    ProjectDeleted = 1028, SOURCE_SSISD, Information, "A project (.ispac) was deleted.";
    RequestFailed = 1050, SOURCE_SSISD, Error, "A request failed with an internal server error (HTTP 500); the event carries the incident id the answer gave and the details.";
    PackageLost = 1030, SOURCE_SSISD, Error, "A running package was lost: its runner died from a signal or vanished without finishing the run.";
    RunStartRequested = 1031, SOURCE_SSISD, Information, "A caller asked the service to run a stored package.";
    RunStopRequested = 1032, SOURCE_SSISD, Information, "A caller asked the service to stop a running package.";
    ReloadRequested = 1033, SOURCE_SSISD, Information, "A caller asked the service to reload its configuration through the API.";
    AuthenticationFailed = 1040, SOURCE_SSISD, Warning, "A request presented credentials that were refused (unknown or revoked token, unmapped client certificate).";
    AuthenticationRateLimited = 1041, SOURCE_SSISD, Warning, "A peer made too many failed authentications and is refused for a while (HTTP 429).";
    AccessDenied = 1042, SOURCE_SSISD, Warning, "An authenticated caller asked for something its role does not allow (HTTP 403).";
    UnauthenticatedAccessEnabled = 1043, SOURCE_SSISD, Warning, "Plain loopback TCP without credentials is enabled (service.unauthenticated_loopback): such requests act as administrator.";
    ScheduleFired = 1060, SOURCE_SSISD, Information, "A schedule started a run of its package (due, retry, catch-up or run now); carries the schedule, the execution id and how late it fired.";
    ScheduleSkipped = 1061, SOURCE_SSISD, Warning, "A schedule came due while its runs were at max_active and did nothing (as SQL Server Agent skips a job still running); the history records it as a canceled execution.";
    ScheduleFailed = 1062, SOURCE_SSISD, Error, "A schedule's run could not start (package missing, store unavailable, too many runs) or ended failed; says whether it is retried.";
    ScheduleMissed = 1063, SOURCE_SSISD, Warning, "Due times of a schedule passed while the service was down; says how many and what catch_up makes up.";
    ScheduleChanged = 1064, SOURCE_SSISD, Information, "A schedule was created, changed or deleted through the API.";
    PrivilegesDropped = 1044, SOURCE_SSISD, Information, "The service, started as root, now runs as its configured unprivileged account.";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_in_their_ranges() {
        let mut seen = HashSet::new();
        for id in EventId::ALL {
            assert!(seen.insert(id.code()), "duplicate code {}", id.code());
            match id.source() {
                SOURCE_SERVICE => assert!((256..=511).contains(&id.code())),
                SOURCE_PACKAGE => assert!((12288..=12543).contains(&id.code())),
                _ => assert!((1000..=1999).contains(&id.code())),
            }
        }
        assert_eq!(EventId::ServiceStopping.code(), 258);
        assert_eq!(EventId::PackageFailed.code(), 12291);
    }

    #[test]
    fn levels_parse() {
        assert_eq!(Level::parse("Error"), Some(Level::Error));
        assert_eq!(Level::parse("info"), Some(Level::Information));
        assert_eq!(Level::parse("x"), None);
    }
}
