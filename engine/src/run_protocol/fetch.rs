//! The package-fetch contract between the service and a runner on a machine without the
//! service's files (a cluster node, a pod): the runner is started without arguments but with
//! the service's address, its execution id, a token valid for that run only and the package's
//! SHA-256; it asks the service for the run's arguments ([`RunArguments`], JSON) and for the
//! package's bytes, checks the hash, and runs. The service keeps a [`Grant`] per run (the
//! token's hash, never the token) from the submission until the run ends. It owns the shapes,
//! names and URLs both sides use; it must not do HTTP or decide anything about a run.

use serde::{Deserialize, Serialize};

/// The service's address as the runner reaches it (`https://host:port`, `http://127.0.0.1:port`).
pub const SERVICE_URL_ENV: &str = "SSISD_FETCH_URL";
/// The run's token (sent as `Authorization: Bearer <token>`).
pub const RUN_TOKEN_ENV: &str = "SSISD_RUN_TOKEN";
/// The package's (or project's) SHA-256, lower-case hex.
pub const PACKAGE_SHA256_ENV: &str = "SSISD_PACKAGE_SHA256";
/// The header the package answer names its SHA-256 in.
pub const SHA256_HEADER: &str = "X-Content-SHA256";
/// The grant's file in the run's directory on the service's machine.
pub const GRANT_FILE: &str = "fetch.json";

/// The request target of a run's package.
pub fn package_target(execution_id: &str) -> String {
    format!("/api/v1/runs/{execution_id}/package")
}

/// The request target of a run's arguments.
pub fn arguments_target(execution_id: &str) -> String {
    format!("/api/v1/runs/{execution_id}/arguments")
}

/// What the runner runs, besides the package's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunArguments {
    /// `package.dtsx`, or `project.ispac` for a package of a project.
    pub file: String,
    /// The package of the project to run (`/Package`); `None` for a `.dtsx`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_package: Option<String>,
    /// `/Set` values.
    #[serde(default)]
    pub sets: Vec<String>,
    /// `/Reporting`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting: Option<String>,
}

impl RunArguments {
    /// The runner's command line, with the package written at `path`.
    pub fn command_line(&self, path: &str) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        match &self.project_package {
            Some(p) => words.extend(["/Project".into(), path.into(), "/Package".into(), p.clone()]),
            None => words.extend(["/F".into(), path.into()]),
        }
        for s in &self.sets {
            words.extend(["/Set".into(), s.clone()]);
        }
        if let Some(r) = &self.reporting {
            words.extend(["/Reporting".into(), r.clone()]);
        }
        words
    }
}

/// The service's record of a run's right to fetch (in the run's directory, the service's
/// alone): the token's SHA-256 and what it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub token_sha256: String,
    pub package_sha256: String,
    pub arguments: RunArguments,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_name_the_written_package() {
        let a = RunArguments {
            file: "project.ispac".into(),
            project_package: Some("Load.dtsx".into()),
            sets: vec!["\\Package.Variables[User::A].Value;1".into()],
            reporting: Some("E".into()),
        };
        assert_eq!(
            a.command_line("/tmp/x/project.ispac"),
            vec![
                "/Project",
                "/tmp/x/project.ispac",
                "/Package",
                "Load.dtsx",
                "/Set",
                "\\Package.Variables[User::A].Value;1",
                "/Reporting",
                "E"
            ]
        );
        let back: RunArguments = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
        assert_eq!(package_target("E1"), "/api/v1/runs/E1/package");
    }
}
