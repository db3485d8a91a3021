//! The `slurm` executor: a run is one Slurm batch job, through Slurm's own commands — `sbatch
//! --parsable` to submit, `scontrol show job` (then `sacct`) to watch, `scancel` to stop and
//! `squeue` to list. Never a silent second run: every job is submitted with `--no-requeue`.
//! Every job is labelled with the service instance and execution ids (its name,
//! `ssisd-<instance>-<execution id>`, and its comment). The package travels through a shared
//! path: the run's directory below `shared_dir` (by default the service's own run directory),
//! which the nodes see at the same path — the package, the runner's arguments (`/Set` values
//! included) in a NUL-separated `arguments` file, and the output files, never a secret on a
//! command line or in the job script; `/Par` values reach the runner through the job's
//! environment (`SSISD_PARAMETERS`, exported by `sbatch`). The runner writes the same event
//! stream as a local run there, which the service follows. Slurm's final job state decides how
//! the run ended. It must not know about the Package actor or HTTP; every call blocks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ssisd_engine::cli::{encode_parameters, PARAMETERS_ENV};
use ssisd_engine::run_protocol::{self as protocol, RunState, STATE_FILE};

use super::fetch::{check_service_url, Transport};
use super::run_dir::{create_file, prepare, RunModes};
use super::{
    run_label, Cancel, EngineOutcome, Executor, ExecutorConfig, ExecutorError, Exit, Kind, Owned,
    SetupError, Status, Submission,
};
use crate::package::{write_atomic, RunSettings};

pub const KIND: Kind = Kind {
    name: "slurm",
    check: |v| check_settings(v).map_err(SetupError),
    build: |c, r| build(c, r).map_err(SetupError),
};

/// The settings of a `kind = "slurm"` executor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlurmSettings {
    /// `sbatch --partition`; absent: the cluster's default partition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// `sbatch --account`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// `sbatch --qos`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qos: Option<String>,
    /// `sbatch --time` (`MM`, `HH:MM:SS`, `D-HH`): the engine ends a run past it (failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<String>,
    /// The directory of the runs as the service and the nodes both see it (a shared file
    /// system); absent: the service's own run directory (a one-machine cluster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_dir: Option<PathBuf>,
    /// The runner program on the nodes; absent: the service's runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner: Option<PathBuf>,
    /// The directory holding `sbatch`, `scontrol`, `sacct`, `scancel` and `squeue`; absent:
    /// found on `PATH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commands_dir: Option<PathBuf>,
    /// `SLURM_CONF` for every command; absent: Slurm's own default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slurm_conf: Option<PathBuf>,
    /// Further `sbatch` options, one word each (`--mem=2G`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sbatch_options: Vec<String>,
    /// Seconds between looks at a job's state.
    pub poll_seconds: f64,
    /// Seconds a job may wait on the engine before it starts; past them it is cancelled and
    /// the run fails with the engine's reason. Absent: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_timeout_seconds: Option<f64>,
    /// How the package and the runner's arguments reach the node: `shared` (files in the run
    /// directory below `shared_dir`) or `fetch` (the runner fetches them from the service's
    /// API at `service_url` with a token valid for that run only).
    pub transport: Transport,
    /// The service's address as the nodes reach it (`transport = "fetch"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_url: Option<String>,
}

impl Default for SlurmSettings {
    fn default() -> Self {
        SlurmSettings {
            partition: None,
            account: None,
            qos: None,
            time_limit: None,
            shared_dir: None,
            runner: None,
            commands_dir: None,
            slurm_conf: None,
            sbatch_options: Vec::new(),
            poll_seconds: 1.0,
            pending_timeout_seconds: None,
            transport: Transport::Shared,
            service_url: None,
        }
    }
}

/// sbatch options the executor sets itself and a configuration must not override.
const OWN_OPTIONS: &[&str] = &[
    "--requeue",
    "--parsable",
    "--job-name",
    "-J",
    "--comment",
    "--chdir",
    "-D",
    "--output",
    "-o",
    "--error",
    "-e",
    "--export",
    "--open-mode",
    "--uid",
    "--gid",
    "--wrap",
];

fn check_settings(value: &serde_json::Value) -> Result<serde_json::Value, String> {
    let s: SlurmSettings =
        serde_json::from_value(value.clone()).map_err(|e| format!("slurm settings: {e}"))?;
    for (key, path) in [
        ("shared_dir", &s.shared_dir),
        ("runner", &s.runner),
        ("commands_dir", &s.commands_dir),
        ("slurm_conf", &s.slurm_conf),
    ] {
        if let Some(p) = path {
            if !p.is_absolute() {
                return Err(format!(
                    "{key} = \"{}\" must be an absolute path (the nodes see it too)",
                    p.display()
                ));
            }
        }
    }
    if !(s.poll_seconds.is_finite() && s.poll_seconds >= 0.05 && s.poll_seconds <= 600.0) {
        return Err(format!(
            "poll_seconds = {} must be between 0.05 and 600",
            s.poll_seconds
        ));
    }
    if let Some(t) = s.pending_timeout_seconds {
        if !(t.is_finite() && t > 0.0) {
            return Err(format!("pending_timeout_seconds = {t} must be above 0"));
        }
    }
    for (key, v) in [
        ("partition", &s.partition),
        ("account", &s.account),
        ("qos", &s.qos),
        ("time_limit", &s.time_limit),
    ] {
        if let Some(v) = v {
            if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(format!("{key} = \"{v}\" must be one word without spaces"));
            }
        }
    }
    for o in &s.sbatch_options {
        let name = o.split('=').next().unwrap_or_default();
        if OWN_OPTIONS.contains(&name) {
            return Err(format!(
                "sbatch_options may not hold {name}: the executor sets it itself (jobs are never requeued, and are named, placed and exported by the service)"
            ));
        }
        if !o.starts_with('-') {
            return Err(format!(
                "sbatch_options: \"{o}\" is not an option; write each as --name=value"
            ));
        }
    }
    match s.transport {
        Transport::Shared => {
            if s.service_url.is_some() {
                return Err(
                    "service_url is used with transport = \"fetch\" only; remove it, or set transport = \"fetch\""
                        .into(),
                );
            }
        }
        Transport::Fetch => check_service_url(s.service_url.as_deref()).map_err(|e| e.0)?,
        Transport::Secret => {
            return Err(
                "transport = \"secret\" is the kubernetes executor's; a slurm executor takes \"shared\" or \"fetch\""
                    .into(),
            )
        }
    }
    serde_json::to_value(&s).map_err(|e| e.to_string())
}

fn build(config: &ExecutorConfig, runs: &RunSettings) -> Result<Arc<dyn Executor>, String> {
    let value = serde_json::Value::Object(config.settings.clone().into_iter().collect());
    let settings: SlurmSettings = serde_json::from_value(value).map_err(|e| e.to_string())?;
    Ok(Arc::new(Slurm {
        name: config.name.clone(),
        shared_dir: settings
            .shared_dir
            .clone()
            .unwrap_or_else(|| runs.dir.clone()),
        runner: settings
            .runner
            .clone()
            .unwrap_or_else(|| runs.runner.clone()),
        settings,
    }))
}

/// A Slurm cluster reached through its commands.
#[derive(Debug)]
pub struct Slurm {
    name: String,
    settings: SlurmSettings,
    shared_dir: PathBuf,
    runner: PathBuf,
}

impl Slurm {
    fn command(&self, program: &str) -> Command {
        let path = match &self.settings.commands_dir {
            Some(d) => d.join(program),
            None => PathBuf::from(program),
        };
        let mut c = Command::new(path);
        if let Some(conf) = &self.settings.slurm_conf {
            c.env("SLURM_CONF", conf);
        }
        c.stdin(std::process::Stdio::null());
        c
    }

    /// Runs a command; its standard output, or its own words (standard error) on failure.
    fn run(&self, mut cmd: Command) -> Result<String, String> {
        let program = cmd.get_program().to_string_lossy().to_string();
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run {program}: {e} (is Slurm installed? set commands_dir in the [[executor]] entry)"))?;
        let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() {
            Ok(stdout)
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
            Err(if stderr.is_empty() { stdout } else { stderr })
        }
    }

    fn job_script(&self, execution_id: &str, instance: &str) -> String {
        if self.settings.transport == Transport::Fetch {
            return format!(
                "#!/bin/bash\n\
                 # ssisd run {execution_id} of service instance {instance}: the runner fetches its\n\
                 # package and arguments from the service, its token and parameters in its environment.\n\
                 exec {}\n",
                shell_quote(&self.runner.to_string_lossy())
            );
        }
        format!(
            "#!/bin/bash\n\
             # ssisd run {execution_id} of service instance {instance}: the runner's arguments are\n\
             # in ./arguments (NUL-separated), its parameters in its environment.\n\
             mapfile -d '' -t args < ./arguments || exit 1\n\
             exec {} \"${{args[@]}}\"\n",
            shell_quote(&self.runner.to_string_lossy())
        )
    }
}

impl Executor for Slurm {
    fn submit(&self, run: &Submission<'_>) -> Result<RunState, ExecutorError> {
        let spec = run.spec;
        let modes = RunModes::new(run.settings.run_as.is_some());
        let prepared = prepare(&self.shared_dir, spec, &modes)?;
        let dir = &prepared.dir;
        let stdout = dir.join("stdout.log");
        let stderr = dir.join("stderr.log");
        create_file(&stdout, modes.output)?;
        create_file(&stderr, modes.output)?;
        let mut words: Vec<String> = Vec::new();
        match &spec.project {
            Some(p) => {
                words.extend(["/Project".into(), path_text(&prepared.file)]);
                words.extend(["/Package".into(), p.package.clone()]);
            }
            None => words.extend(["/F".into(), path_text(&prepared.file)]),
        }
        for s in &spec.sets {
            words.extend(["/Set".into(), s.clone()]);
        }
        if let Some(r) = &spec.reporting {
            words.extend(["/Reporting".into(), r.clone()]);
        }
        let mut arguments = Vec::new();
        for w in &words {
            arguments.extend_from_slice(w.as_bytes());
            arguments.push(0);
        }
        let issued = if self.settings.transport == Transport::Fetch {
            Some(super::fetch::issue(dir, spec)?)
        } else {
            use std::io::Write;
            create_file(&dir.join("arguments"), modes.package)?
                .write_all(&arguments)
                .map_err(|source| ExecutorError::Write {
                    what: "the run's arguments",
                    source,
                })?;
            None
        };
        let script = dir.join("job.sh");
        {
            use std::io::Write;
            create_file(&script, modes.package)?
                .write_all(self.job_script(&spec.id, run.instance).as_bytes())
                .map_err(|source| ExecutorError::Write {
                    what: "the job script",
                    source,
                })?;
        }
        let label = run_label(run.instance, &spec.id);
        let mut cmd = self.command("sbatch");
        cmd.arg("--parsable")
            .arg("--no-requeue")
            .arg(format!("--job-name={label}"))
            .arg(format!(
                "--comment=ssisd:instance={}:execution={}",
                run.instance, spec.id
            ))
            .arg(format!("--chdir={}", dir.display()))
            .arg(format!("--output={}", stdout.display()))
            .arg(format!("--error={}", stderr.display()))
            .arg("--open-mode=append")
            .arg("--export=ALL");
        if let Some(p) = &self.settings.partition {
            cmd.arg(format!("--partition={p}"));
        }
        if let Some(a) = &self.settings.account {
            cmd.arg(format!("--account={a}"));
        }
        if let Some(q) = &self.settings.qos {
            cmd.arg(format!("--qos={q}"));
        }
        if let Some(t) = &self.settings.time_limit {
            cmd.arg(format!("--time={t}"));
        }
        if let Some((uid, gid)) = runner_account(run.settings) {
            cmd.arg(format!("--uid={uid}")).arg(format!("--gid={gid}"));
        }
        cmd.args(&self.settings.sbatch_options).arg(&script);
        for name in &run.settings.hidden_env {
            cmd.env_remove(name);
        }
        cmd.env(protocol::STREAM_ENV, &prepared.events)
            .env(protocol::EXECUTION_ID_ENV, &spec.id)
            .env(protocol::RUN_BY_SERVICE_ENV, "1");
        // The fetch transport's token travels in the job's environment (exported by sbatch,
        // shown by no Slurm command), never on a command line.
        match (&issued, &self.settings.service_url) {
            (Some(issued), Some(url)) => {
                cmd.env(protocol::fetch::SERVICE_URL_ENV, url)
                    .env(protocol::fetch::RUN_TOKEN_ENV, &issued.token)
                    .env(protocol::fetch::PACKAGE_SHA256_ENV, &issued.package_sha256);
            }
            _ => {
                for name in [
                    protocol::fetch::SERVICE_URL_ENV,
                    protocol::fetch::RUN_TOKEN_ENV,
                    protocol::fetch::PACKAGE_SHA256_ENV,
                ] {
                    cmd.env_remove(name);
                }
            }
        }
        if spec.parameters.is_empty() {
            cmd.env_remove(PARAMETERS_ENV);
        } else {
            cmd.env(PARAMETERS_ENV, encode_parameters(&spec.parameters));
        }
        let out = self.run(cmd).map_err(|e| {
            ExecutorError::Engine(format!(
                "Slurm refused the job (executor \"{}\"): {e}",
                self.name
            ))
        })?;
        let job = out
            .lines()
            .last()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        if job.is_empty() || !job.chars().all(|c| c.is_ascii_digit()) {
            return Err(ExecutorError::Engine(format!(
                "sbatch answered \"{out}\", not a job id (executor \"{}\")",
                self.name
            )));
        }
        let state = spec.engine_state(prepared.events.clone(), &self.name, Some(job));
        let _ = write_atomic(&dir.join(STATE_FILE), &state.to_json());
        Ok(state)
    }

    fn status(&self, run: &RunState) -> Status {
        let Some(job) = &run.external_id else {
            return Status::Ended(Exit::NotStarted("no Slurm job id".into()));
        };
        let mut cmd = self.command("scontrol");
        cmd.args(["show", "job", "-o", job]);
        match self.run(cmd) {
            Ok(text) => match parse_scontrol(&text) {
                Some(job) => job.status(),
                None => Status::Running,
            },
            Err(e) if e.contains("Invalid job id") => {
                // Gone from the controller's memory: accounting may still know it.
                let mut cmd = self.command("sacct");
                cmd.args(["-n", "-P", "-X", "-o", "State,ExitCode,Reason", "-j", job]);
                match self.run(cmd).ok().and_then(|t| parse_sacct(&t)) {
                    Some(job) => job.status(),
                    None => Status::Ended(Exit::Engine {
                        state: "UNKNOWN".into(),
                        reason: format!("Slurm no longer knows job {job}"),
                        outcome: EngineOutcome::Lost,
                    }),
                }
            }
            // The controller is unreachable (restarting): the job's state is unknown, not ended.
            Err(e) => {
                tracing::warn!(
                    executor = self.name,
                    job,
                    "cannot ask Slurm about the job: {e}"
                );
                Status::Running
            }
        }
    }

    fn cancel(&self, run: &RunState, how: Cancel) -> Result<(), ExecutorError> {
        let Some(job) = &run.external_id else {
            return Ok(());
        };
        if how == Cancel::Term {
            let mut cmd = self.command("scancel");
            cmd.args(["--full", "--signal=TERM", job]);
            if self.run(cmd).is_ok() {
                return Ok(());
            }
            // A pending job has no process to signal: it is simply cancelled.
        }
        let mut cmd = self.command("scancel");
        cmd.arg(job);
        self.run(cmd).map(drop).map_err(ExecutorError::Engine)
    }

    fn list(&self, instance: &str) -> Result<Vec<Owned>, ExecutorError> {
        let prefix = format!("ssisd-{instance}-");
        let mut cmd = self.command("squeue");
        cmd.args(["-h", "-a", "--states=all", "-o", "%i|%j"]);
        let text = self.run(cmd).map_err(ExecutorError::Engine)?;
        Ok(text
            .lines()
            .filter_map(|l| {
                let (id, name) = l.trim().split_once('|')?;
                Some(Owned {
                    execution_id: name.strip_prefix(&prefix)?.to_string(),
                    external_id: id.to_string(),
                })
            })
            .collect())
    }

    fn run_dir(&self, _: &RunSettings, execution_id: &str) -> PathBuf {
        self.shared_dir.join(execution_id)
    }

    fn status_every(&self) -> Duration {
        Duration::from_secs_f64(self.settings.poll_seconds)
    }

    fn pending_timeout(&self) -> Option<Duration> {
        self.settings
            .pending_timeout_seconds
            .map(Duration::from_secs_f64)
    }
}

/// The account a job runs as when it is not the submitting one: Slurm lets only root submit
/// for another account (`--uid`), and only for an account with a name (a dynamic runner id has
/// none, so such a service's jobs run as the service's own account, as do those of a service
/// that left root).
fn runner_account(settings: &RunSettings) -> Option<(u32, u32)> {
    let (uid, gid) = settings.run_as?;
    // The effective uid, from /proc.
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        .unwrap_or(false);
    let named = Command::new("getent")
        .args(["passwd", &uid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (root && named).then_some((uid, gid))
}

fn path_text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `'text'` for bash, single quotes inside written `'\''`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A job's state as Slurm reports it.
#[derive(Debug, Clone, PartialEq)]
struct JobState {
    state: String,
    reason: String,
    exit_code: i32,
    signal: i32,
}

impl JobState {
    fn status(&self) -> Status {
        let base = self.state.split_whitespace().next().unwrap_or_default();
        let engine = |outcome| {
            Status::Ended(Exit::Engine {
                state: base.to_string(),
                reason: self.reason.clone(),
                outcome,
            })
        };
        match base {
            "PENDING" | "REQUEUE_HOLD" | "REQUEUE_FED" | "SPECIAL_EXIT" => {
                Status::Queued(self.reason.clone())
            }
            "CONFIGURING" | "RUNNING" | "COMPLETING" | "SUSPENDED" | "STOPPED" | "RESIZING"
            | "SIGNALING" | "STAGE_OUT" => Status::Running,
            "COMPLETED" => Status::Ended(Exit::Code(self.exit_code)),
            "FAILED" if self.signal != 0 && self.exit_code == 0 => {
                Status::Ended(Exit::Signal(self.signal))
            }
            "FAILED" => Status::Ended(Exit::Code(self.exit_code)),
            "CANCELLED" => engine(EngineOutcome::Cancelled),
            "TIMEOUT" | "OUT_OF_MEMORY" | "DEADLINE" => engine(EngineOutcome::Failed),
            // NODE_FAIL, BOOT_FAIL, PREEMPTED, REVOKED, and anything newer: ended unexpectedly.
            _ => engine(EngineOutcome::Lost),
        }
    }
}

/// Reads `scontrol show job -o` (one line of `Key=Value` words).
fn parse_scontrol(text: &str) -> Option<JobState> {
    let line = text.lines().find(|l| l.contains("JobState="))?;
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .unwrap_or_default()
            .to_string()
    };
    let (exit_code, signal) = exit_pair(&field("ExitCode="));
    Some(JobState {
        state: field("JobState="),
        reason: field("Reason="),
        exit_code,
        signal,
    })
}

/// Reads `sacct -n -P -X -o State,ExitCode,Reason`.
fn parse_sacct(text: &str) -> Option<JobState> {
    let line = text.lines().find(|l| !l.trim().is_empty())?;
    let mut parts = line.split('|');
    let state = parts.next()?.to_string();
    let (exit_code, signal) = exit_pair(parts.next().unwrap_or_default());
    Some(JobState {
        state,
        reason: parts.next().unwrap_or_default().to_string(),
        exit_code,
        signal,
    })
}

/// Slurm's `code:signal`.
fn exit_pair(text: &str) -> (i32, i32) {
    let mut it = text
        .split(':')
        .map(|p| p.trim().parse::<i32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_states_map_to_how_the_run_stands() {
        let line = "JobId=7 JobName=ssisd-a-B UserId=root(0) JobState=PENDING Reason=Resources Dependency=(null) Requeue=0 ExitCode=0:0";
        assert_eq!(
            parse_scontrol(line).unwrap().status(),
            Status::Queued("Resources".into())
        );
        let done = "JobId=7 JobState=COMPLETED Reason=None ExitCode=0:0";
        assert_eq!(
            parse_scontrol(done).unwrap().status(),
            Status::Ended(Exit::Code(0))
        );
        let failed = "JobId=7 JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0";
        assert_eq!(
            parse_scontrol(failed).unwrap().status(),
            Status::Ended(Exit::Code(1))
        );
        let signalled = "JobId=7 JobState=FAILED Reason=JobLaunchFailure ExitCode=0:15";
        assert_eq!(
            parse_scontrol(signalled).unwrap().status(),
            Status::Ended(Exit::Signal(15))
        );
        let node = "JobId=7 JobState=NODE_FAIL Reason=NodeDown ExitCode=0:0";
        assert!(matches!(
            parse_scontrol(node).unwrap().status(),
            Status::Ended(Exit::Engine {
                outcome: EngineOutcome::Lost,
                ..
            })
        ));
        assert!(matches!(
            parse_sacct("TIMEOUT|0:15|None\n").unwrap().status(),
            Status::Ended(Exit::Engine {
                outcome: EngineOutcome::Failed,
                ..
            })
        ));
        assert!(matches!(
            parse_sacct("CANCELLED by 0|0:0|None").unwrap().status(),
            Status::Ended(Exit::Engine {
                outcome: EngineOutcome::Cancelled,
                ..
            })
        ));
    }

    #[test]
    fn settings_are_checked() {
        let ok = check_settings(
            &serde_json::json!({"partition": "debug", "sbatch_options": ["--mem=1G"]}),
        )
        .unwrap();
        assert_eq!(ok["poll_seconds"], 1.0);
        for (bad, word) in [
            (serde_json::json!({"partiton": "x"}), "partiton"),
            (serde_json::json!({"shared_dir": "rel/dir"}), "absolute"),
            (
                serde_json::json!({"sbatch_options": ["--requeue"]}),
                "--requeue",
            ),
            (
                serde_json::json!({"sbatch_options": ["--export=NONE"]}),
                "--export",
            ),
            (serde_json::json!({"partition": "a b"}), "one word"),
            (serde_json::json!({"poll_seconds": 0}), "poll_seconds"),
            (serde_json::json!({"transport": "fetch"}), "service_url"),
            (
                serde_json::json!({"transport": "fetch", "service_url": "http://ssisd.example.com"}),
                "in clear",
            ),
            (serde_json::json!({"transport": "secret"}), "kubernetes"),
            (
                serde_json::json!({"transport": "ftp"}),
                "unknown variant `ftp`",
            ),
        ] {
            let e = check_settings(&bad).unwrap_err();
            assert!(e.contains(word), "{e}");
        }
    }

    #[test]
    fn the_job_script_holds_no_argument_of_the_run() {
        let s = Slurm {
            name: "c".into(),
            settings: SlurmSettings::default(),
            shared_dir: PathBuf::from("/shared"),
            runner: PathBuf::from("/opt/it's/dtexec"),
        };
        let script = s.job_script("E1", "abc");
        assert!(script.contains(r"exec '/opt/it'\''s/dtexec' "), "{script}");
        assert!(script.contains("mapfile -d '' -t args < ./arguments"));
        let fetching = Slurm {
            settings: SlurmSettings {
                transport: Transport::Fetch,
                service_url: Some("https://ssisd.example.com:8443".into()),
                ..SlurmSettings::default()
            },
            ..s
        };
        let script = fetching.job_script("E1", "abc");
        assert!(script.contains("exec '/opt/it'\\''s/dtexec'\n"), "{script}");
        assert!(!script.contains("arguments <"), "{script}");
    }
}
