//! The role table: which operation each role may perform, and on whose packages and runs. It
//! follows msdb's fixed roles (db_ssisadmin, db_ssisoperator, db_ssisltduser) and their stored
//! procedures, extended to File System folders and to running packages (see the README's
//! access-control section). Pure decisions on facts handed in; it must not look anything up.

use serde::{Deserialize, Serialize};

/// A caller's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// db_ssisadmin: everything, including reload and stopping any run.
    Administrator,
    /// db_ssisoperator: sees, runs and exports every package; sees and stops every run.
    Operator,
    /// db_ssisltduser: imports; lists every name; everything else on its own packages and runs.
    LimitedUser,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Operator => "operator",
            Role::LimitedUser => "limited-user",
        }
    }

    /// Parses a role name as configurations and commands spell it (also msdb's role names).
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "administrator" | "admin" | "db_ssisadmin" => Some(Role::Administrator),
            "operator" | "db_ssisoperator" => Some(Role::Operator),
            "limited-user" | "limited_user" | "limited" | "db_ssisltduser" => {
                Some(Role::LimitedUser)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Service status, top-level folders, folder listings, package names and existence, the
    /// list of runs (filtered for limited users).
    Enumerate,
    /// Reads a package's bytes (export, copy source).
    Export,
    /// Starts a run of a stored package.
    Run,
    /// Creates a package that does not exist yet.
    Import,
    /// Replaces, renames or deletes an existing package (move source too).
    Change,
    /// Creates, renames or deletes a folder.
    ChangeFolder,
    /// Reads one run's details or stream.
    ViewRun,
    /// Stops a run.
    StopRun,
    /// Reads the service's event log.
    ReadEvents,
    /// Reloads the configuration.
    Reload,
}

impl Operation {
    pub fn describe(self) -> &'static str {
        match self {
            Operation::Enumerate => "list",
            Operation::Export => "view or export",
            Operation::Run => "run",
            Operation::Import => "import packages",
            Operation::Change => "replace, rename or delete",
            Operation::ChangeFolder => "create, rename or delete folders",
            Operation::ViewRun => "view",
            Operation::StopRun => "stop",
            Operation::ReadEvents => "read the event log",
            Operation::Reload => "reload the configuration",
        }
    }
}

/// What is known about the package or run a request touches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The identity recorded as owner at import (packages) or start (runs); None when unknown.
    pub owner: Option<String>,
    /// msdb reader role name (`readrolesid`), when the package has one.
    pub reader_role: Option<String>,
    /// msdb writer role name (`writerolesid`), when the package has one.
    pub writer_role: Option<String>,
}

/// Who is asking, as far as the decision needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub identity: String,
    pub role: Role,
    /// SQL Server database roles the configuration maps this identity to.
    pub sql_roles: Vec<String>,
}

impl Principal {
    fn owns(&self, facts: &Facts) -> bool {
        facts.owner.as_deref() == Some(self.identity.as_str())
    }

    fn in_sql_role(&self, role: &str) -> bool {
        self.sql_roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }
}

/// Why a request was refused (HTTP 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// Decides whether `who` may perform `op` on something with `facts`.
pub fn authorize(who: &Principal, op: Operation, facts: &Facts) -> Result<(), Denied> {
    use Operation::*;
    use Role::*;
    let deny = |why: String| Err(Denied(why));
    let role_refuses = || {
        deny(format!(
            "{} ({}) may not {}; ask an administrator",
            who.identity,
            who.role,
            op.describe()
        ))
    };
    let not_owner = |what: &str| {
        deny(format!(
            "{} ({}) may {} only its own {what}, and this one belongs to {}",
            who.identity,
            who.role,
            op.describe(),
            facts.owner.as_deref().unwrap_or("no recorded owner")
        ))
    };
    if who.role == Administrator {
        return Ok(());
    }
    match op {
        Enumerate => Ok(()),
        Export | Run => match &facts.reader_role {
            Some(reader) if who.in_sql_role(reader) => Ok(()),
            _ if who.role == LimitedUser && who.owns(facts) => Ok(()),
            Some(reader) => deny(format!(
                "the package has the reader role {reader}, and {} ({}) is neither in it nor the package's owner",
                who.identity, who.role
            )),
            None if who.role == Operator => Ok(()),
            None => not_owner("packages"),
        },
        Import => match who.role {
            LimitedUser => Ok(()),
            _ => role_refuses(),
        },
        Change => match &facts.writer_role {
            Some(writer) if who.in_sql_role(writer) => Ok(()),
            _ if who.role == LimitedUser && who.owns(facts) => Ok(()),
            Some(writer) => deny(format!(
                "the package has the writer role {writer}, and {} ({}) is neither in it nor the package's owner",
                who.identity, who.role
            )),
            None if who.role == LimitedUser => not_owner("packages"),
            None => role_refuses(),
        },
        ChangeFolder => match who.role {
            LimitedUser => Ok(()),
            _ => role_refuses(),
        },
        ViewRun | StopRun => match who.role {
            Operator => Ok(()),
            _ if who.owns(facts) => Ok(()),
            _ => not_owner("runs"),
        },
        ReadEvents => match who.role {
            Operator => Ok(()),
            _ => role_refuses(),
        },
        Reload => role_refuses(),
    }
}

impl Role {
    /// How much the role may do: administrator above operator above limited user.
    fn rank(self) -> u8 {
        match self {
            Role::Administrator => 2,
            Role::Operator => 1,
            Role::LimitedUser => 0,
        }
    }
}

/// Who may read the service's metrics (`[metrics]`): a caller on this machine (`local`) when
/// `loopback` allows it, else an authenticated caller (`role`) with at least `least`. `Err`
/// says why not.
pub fn may_read_metrics(
    local: bool,
    loopback: bool,
    least: Role,
    role: Option<Role>,
) -> Result<(), MetricsRefusal> {
    if local && loopback {
        return Ok(());
    }
    match role {
        Some(r) if r.rank() >= least.rank() => Ok(()),
        Some(r) => Err(MetricsRefusal::Role(format!(
            "reading the metrics needs the {least} role (metrics.role) or a connection from this machine; the caller is {r}"
        ))),
        None => Err(MetricsRefusal::NeedsCredentials),
    }
}

/// Why a metrics read is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsRefusal {
    /// No credentials, from elsewhere (401).
    NeedsCredentials,
    /// The caller's role is too low (403).
    Role(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role) -> Principal {
        Principal {
            identity: "alice".into(),
            role,
            sql_roles: vec!["finance_readers".into()],
        }
    }

    fn owned_by(owner: &str) -> Facts {
        Facts {
            owner: Some(owner.into()),
            ..Facts::default()
        }
    }

    /// The whole table for packages without msdb roles: (operation, own?, admin, operator, limited).
    #[test]
    fn role_table() {
        use Operation::*;
        let rows = [
            (Enumerate, false, true, true, true),
            (Export, true, true, true, true),
            (Export, false, true, true, false),
            (Run, true, true, true, true),
            (Run, false, true, true, false),
            (Import, false, true, false, true),
            (Change, true, true, false, true),
            (Change, false, true, false, false),
            (ChangeFolder, false, true, false, true),
            (ViewRun, true, true, true, true),
            (ViewRun, false, true, true, false),
            (StopRun, true, true, true, true),
            (StopRun, false, true, true, false),
            (ReadEvents, false, true, true, false),
            (Reload, false, true, false, false),
        ];
        for (op, own, admin, operator, limited) in rows {
            let facts = owned_by(if own { "alice" } else { "bob" });
            for (role, expected) in [
                (Role::Administrator, admin),
                (Role::Operator, operator),
                (Role::LimitedUser, limited),
            ] {
                let got = authorize(&who(role), op, &facts);
                assert_eq!(got.is_ok(), expected, "{role} {op:?} own={own}: {got:?}");
                if let Err(Denied(reason)) = got {
                    assert!(reason.contains("alice"), "{reason}");
                }
            }
        }
    }

    #[test]
    fn reader_and_writer_roles_follow_msdb() {
        let mut facts = owned_by("bob");
        facts.reader_role = Some("secret_readers".into());
        // An operator outside an explicit reader role is refused (sp_ssis_getpackage).
        let e = authorize(&who(Role::Operator), Operation::Export, &facts).unwrap_err();
        assert!(e.0.contains("secret_readers"), "{e}");
        facts.reader_role = Some("FINANCE_READERS".into());
        assert!(authorize(&who(Role::Operator), Operation::Run, &facts).is_ok());
        assert!(authorize(&who(Role::LimitedUser), Operation::Export, &facts).is_ok());
        facts.writer_role = Some("finance_readers".into());
        assert!(authorize(&who(Role::Operator), Operation::Change, &facts).is_ok());
        facts.writer_role = Some("writers".into());
        assert!(authorize(&who(Role::LimitedUser), Operation::Change, &facts).is_err());
        assert!(authorize(
            &who(Role::LimitedUser),
            Operation::Change,
            &owned_by("alice")
        )
        .is_ok());
    }

    #[test]
    fn unknown_owner_is_nobody() {
        let e = authorize(
            &who(Role::LimitedUser),
            Operation::Export,
            &Facts::default(),
        )
        .unwrap_err();
        assert!(e.0.contains("no recorded owner"), "{e}");
    }

    #[test]
    fn role_names() {
        assert_eq!(Role::parse("db_ssisoperator"), Some(Role::Operator));
        assert_eq!(Role::parse("Limited"), Some(Role::LimitedUser));
        assert_eq!(Role::parse("root"), None);
        for r in [Role::Administrator, Role::Operator, Role::LimitedUser] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn metrics_are_for_local_callers_and_the_configured_role() {
        use super::{may_read_metrics, MetricsRefusal};
        // local, loopback allowed, anonymous
        assert_eq!(
            may_read_metrics(true, true, Role::Administrator, None),
            Ok(())
        );
        assert_eq!(
            may_read_metrics(true, false, Role::Administrator, None),
            Err(MetricsRefusal::NeedsCredentials)
        );
        assert_eq!(
            may_read_metrics(false, true, Role::Administrator, Some(Role::Administrator)),
            Ok(())
        );
        assert!(matches!(
            may_read_metrics(false, true, Role::Administrator, Some(Role::Operator)),
            Err(MetricsRefusal::Role(m)) if m.contains("administrator")
        ));
        assert_eq!(
            may_read_metrics(false, true, Role::Operator, Some(Role::Operator)),
            Ok(())
        );
        assert!(may_read_metrics(false, true, Role::Operator, Some(Role::LimitedUser)).is_err());
    }
}
