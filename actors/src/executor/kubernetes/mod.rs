//! The `kubernetes` executor: a run is one Kubernetes Job, through the API server (the `kube`
//! client, the API's own types from k8s-openapi). Submitting creates the run's Secret (the
//! package, its arguments, its `/Par` values — never a value of the run in the Job) and then
//! the Job (`backoffLimit: 0`, `restartPolicy: Never`: never a second run by itself), both
//! labelled with the service instance and execution ids; the Secret is then owned by the Job
//! so that Kubernetes removes it with the Job (also by the Job's `ttlSecondsAfterFinished`
//! when the service was down at the end). With `transport = "fetch"` the Secret holds only
//! the run's token, and the runner fetches its package from the service's API. Watching reads the Job's and its pod's state
//! ([`verdict`]) and follows the pod's log into the run's directory ([`follow`]), so events,
//! `ssisctl run --wait` and history work as for a local run. Stopping deletes the Job: its
//! pod gets TERM and, after the pod's grace period (the service's stop grace), KILL. Listing
//! finds the Jobs of an instance by label. Every method blocks (on a runtime of its own); it
//! must not know about the Package actor or HTTP.

pub mod follow;
pub mod manifest;
pub mod settings;
pub mod verdict;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::{Api, Client};
use ssisd_engine::run_protocol::{RunState, STATE_FILE};

use super::fetch::Transport;
use super::run_dir::{create_file, prepare, RunModes};
use super::{
    Cancel, Executor, ExecutorConfig, ExecutorError, Exit, Kind, Owned, SetupError, Status,
    Submission,
};
use crate::package::{write_atomic, RunSettings};
use follow::Follow;
use manifest::{RunObjects, EXECUTION_LABEL, INSTANCE_LABEL, JOB_NAME_LABEL};
use settings::KubernetesSettings;

pub const KIND: Kind = Kind {
    name: "kubernetes",
    check: settings::check,
    build: |c, r| build(c, r).map_err(SetupError),
};

/// How long one API request may take before the run is told the API server does not answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an ended run waits for the rest of its pod's log before it is decided anyway.
const LOG_DRAIN: Duration = Duration::from_secs(60);

fn build(config: &ExecutorConfig, runs: &RunSettings) -> Result<Arc<dyn Executor>, String> {
    let value = serde_json::Value::Object(config.settings.clone().into_iter().collect());
    let settings: KubernetesSettings = serde_json::from_value(value).map_err(|e| e.to_string())?;
    Ok(Arc::new(Kubernetes {
        name: config.name.clone(),
        settings,
        stop_grace_seconds: runs.stop_grace.as_secs().max(1) as i64,
        client: Mutex::new(None),
        runs: Mutex::new(HashMap::new()),
    }))
}

/// The runtime every Kubernetes executor's requests and log follows run on: one worker
/// thread, kept for the life of the process (executors come and go with reloads).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("ssisd-kubernetes")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the Kubernetes client's runtime: {e}"))
    })
}

/// Runs one request to the API server from a blocking thread, bounded in time.
fn call<T>(what: &str, fut: impl Future<Output = Result<T, String>>) -> Result<T, String> {
    runtime()
        .handle()
        .block_on(async { tokio::time::timeout(REQUEST_TIMEOUT, fut).await })
        .unwrap_or_else(|_| {
            Err(format!(
                "{what}: the Kubernetes API server did not answer within {} s",
                REQUEST_TIMEOUT.as_secs()
            ))
        })
}

/// What the service knows of one of its runs besides the API server's word.
#[derive(Debug, Default)]
struct Track {
    follow: Option<Arc<Follow>>,
    stop_requested: bool,
    /// When the run was first seen ended (its log may still be arriving).
    ended_at: Option<Instant>,
}

/// A Kubernetes cluster reached through its API server.
pub struct Kubernetes {
    name: String,
    settings: KubernetesSettings,
    stop_grace_seconds: i64,
    /// The client and namespace, made at first use (and again after a failure).
    client: Mutex<Option<(Client, String)>>,
    runs: Mutex<HashMap<String, Track>>,
}

impl std::fmt::Debug for Kubernetes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kubernetes")
            .field("name", &self.name)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Kubernetes {
    /// The client and the runs' namespace.
    fn connect(&self) -> Result<(Client, String), String> {
        if let Some(c) = self
            .client
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Ok(c);
        }
        let settings = self.settings.clone();
        let made = call("connecting", async move {
            let mut config = if settings.in_cluster {
                kube::Config::incluster().map_err(|e| {
                    format!("cannot use the pod's service account (in_cluster = true): {e}")
                })?
            } else if let Some(path) = &settings.kubeconfig {
                let file = kube::config::Kubeconfig::read_from(path)
                    .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
                let options = kube::config::KubeConfigOptions {
                    context: settings.context.clone(),
                    ..Default::default()
                };
                kube::Config::from_custom_kubeconfig(file, &options)
                    .await
                    .map_err(|e| format!("kubeconfig {}: {e}", path.display()))?
            } else {
                kube::Config::infer().await.map_err(|e| {
                    format!("no Kubernetes configuration found ({e}); set kubeconfig or in_cluster in the [[executor]] entry")
                })?
            };
            config.connect_timeout = Some(Duration::from_secs(10));
            let namespace = settings
                .namespace
                .clone()
                .unwrap_or_else(|| config.default_namespace.clone());
            let client = Client::try_from(config).map_err(|e| e.to_string())?;
            Ok((client, namespace))
        })
        .map_err(|e| format!("executor \"{}\": {e}", self.name))?;
        *self.client.lock().unwrap_or_else(|p| p.into_inner()) = Some(made.clone());
        Ok(made)
    }

    fn track<R>(&self, execution_id: &str, f: impl FnOnce(&mut Track) -> R) -> R {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        f(runs.entry(execution_id.to_string()).or_default())
    }

    /// Starts following the run's pod log unless it is followed already.
    fn ensure_follow(&self, client: &Client, namespace: &str, run: &RunState, job: &str) {
        let follow = self.track(&run.execution_id, |t| {
            if t.follow.is_some() {
                return None;
            }
            let dir = run
                .events
                .parent()
                .map(|d| d.to_path_buf())
                .unwrap_or_default();
            let f = Follow::new(run.events.clone(), dir.join("stderr.log"));
            t.follow = Some(f.clone());
            Some(f)
        });
        if let Some(f) = follow {
            for path in [&f.events, &f.stderr] {
                let _ = std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(path);
            }
            let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
            let poll = Duration::from_secs_f64(self.settings.poll_seconds);
            runtime().spawn(follow::follow(pods, job.to_string(), poll, f));
        }
    }

    /// Deletes the run's Job (and so its pod) and Secret; what is already gone is fine.
    fn delete(&self, job: &str, how: Cancel) -> Result<(), String> {
        let (client, namespace) = self.connect()?;
        let job = job.to_string();
        call("deleting the run's Job", async move {
            let jobs: Api<Job> = Api::namespaced(client.clone(), &namespace);
            let secrets: Api<Secret> = Api::namespaced(client, &namespace);
            let params = DeleteParams {
                propagation_policy: Some(match how {
                    // The Job stays until its pod has ended (TERM, the grace, then KILL).
                    Cancel::Term => PropagationPolicy::Foreground,
                    Cancel::Kill => PropagationPolicy::Background,
                }),
                ..DeleteParams::default()
            };
            let mut errors = Vec::new();
            if let Err(e) = jobs.delete(&job, &params).await {
                if !is_not_found(&e) {
                    errors.push(explain(&e, &namespace));
                }
            }
            if let Err(e) = secrets.delete(&job, &DeleteParams::default()).await {
                if !is_not_found(&e) {
                    errors.push(explain(&e, &namespace));
                }
            }
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors.join("; "))
            }
        })
    }
}

impl Executor for Kubernetes {
    fn submit(&self, run: &Submission<'_>) -> Result<RunState, ExecutorError> {
        let spec = run.spec;
        let (client, namespace) = self.connect().map_err(ExecutorError::Engine)?;
        // The run's directory here: a copy of the package (what the fetch transport serves),
        // and the files the pod's log is followed into.
        let modes = RunModes::new(false);
        let prepared = prepare(&run.settings.dir, spec, &modes)?;
        create_file(&prepared.dir.join("stdout.log"), modes.output)?;
        create_file(&prepared.dir.join("stderr.log"), modes.output)?;
        let issued = match self.settings.transport {
            Transport::Fetch => Some(super::fetch::issue(&prepared.dir, spec)?),
            _ => None,
        };
        let objects = RunObjects {
            spec,
            instance: run.instance,
            executor: &self.name,
            namespace: &namespace,
            settings: &self.settings,
            stop_grace_seconds: self.stop_grace_seconds,
            fetch: issued.as_ref().map(|i| manifest::FetchFrom {
                service_url: self.settings.service_url.as_deref().unwrap_or_default(),
                token: &i.token,
                package_sha256: &i.package_sha256,
            }),
        };
        let secret = objects
            .secret()
            .map_err(|e| ExecutorError::Engine(e.to_string()))?;
        let job = objects.job();
        let name = manifest::object_name(run.instance, &spec.id);
        let refused = |e: String| {
            format!(
                "the run could not be handed to Kubernetes (executor \"{}\", namespace \"{namespace}\"): {e}",
                self.name
            )
        };
        let (c, ns, n) = (client.clone(), namespace.clone(), name.clone());
        call("creating the run's Secret and Job", async move {
            let secrets: Api<Secret> = Api::namespaced(c.clone(), &ns);
            let jobs: Api<Job> = Api::namespaced(c, &ns);
            secrets
                .create(&PostParams::default(), &secret)
                .await
                .map_err(|e| explain(&e, &ns))?;
            let created = match jobs.create(&PostParams::default(), &job).await {
                Ok(j) => j,
                Err(e) => {
                    // Nothing left behind: the Secret goes again.
                    let _ = secrets.delete(&n, &DeleteParams::default()).await;
                    return Err(explain(&e, &ns));
                }
            };
            if let Some(owner) = manifest::owned_by(&created) {
                let patch = serde_json::json!({"metadata": {"ownerReferences": [owner]}});
                if let Err(e) = secrets
                    .patch(&n, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                {
                    tracing::warn!(
                        job = n,
                        "the run's Secret could not be given to its Job (it is deleted when the run ends): {}",
                        explain(&e, &ns)
                    );
                }
            }
            Ok(())
        })
        .map_err(|e| ExecutorError::Engine(refused(e)))?;
        let state = spec.engine_state(prepared.events.clone(), &self.name, Some(name.clone()));
        let _ = write_atomic(&prepared.dir.join(STATE_FILE), &state.to_json());
        self.ensure_follow(&client, &namespace, &state, &name);
        Ok(state)
    }

    fn status(&self, run: &RunState) -> Status {
        let Some(job) = run.external_id.clone() else {
            return Status::Ended(Exit::NotStarted("no Kubernetes Job name".into()));
        };
        let (client, namespace) = match self.connect() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(executor = self.name, job, "{e}");
                return Status::Running;
            }
        };
        let (c, ns, j) = (client.clone(), namespace.clone(), job.clone());
        let read = call("reading the run's Job", async move {
            let jobs: Api<Job> = Api::namespaced(c.clone(), &ns);
            let pods: Api<Pod> = Api::namespaced(c, &ns);
            let found = jobs.get_opt(&j).await.map_err(|e| explain(&e, &ns))?;
            let listed = pods
                .list(&ListParams::default().labels(&format!("{JOB_NAME_LABEL}={j}")))
                .await
                .map_err(|e| explain(&e, &ns))?;
            Ok((found, listed.items))
        });
        let (found, pods) = match read {
            Ok(r) => r,
            // The API server does not answer: the run's state is unknown, not ended.
            Err(e) => {
                tracing::warn!(
                    executor = self.name,
                    job,
                    "cannot ask Kubernetes about the run: {e}"
                );
                return Status::Running;
            }
        };
        let stop_requested = self.track(&run.execution_id, |t| t.stop_requested);
        let status = verdict::verdict(found.as_ref(), &pods, stop_requested);
        let started = verdict::newest(&pods).is_some_and(verdict::started);
        if started {
            self.ensure_follow(&client, &namespace, run, &job);
        }
        let Status::Ended(exit) = status else {
            return status;
        };
        // Ended: the rest of the pod's log first, then the run's objects go.
        let draining = self.track(&run.execution_id, |t| {
            let since = *t.ended_at.get_or_insert_with(Instant::now);
            t.follow.as_ref().is_some_and(|f| !f.done()) && since.elapsed() < LOG_DRAIN
        });
        if draining {
            return Status::Running;
        }
        if found.is_some() {
            if let Err(e) = self.delete(&job, Cancel::Kill) {
                tracing::warn!(
                    executor = self.name,
                    job,
                    "cannot remove the ended run's Job: {e}"
                );
            }
        }
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&run.execution_id);
        Status::Ended(exit)
    }

    fn cancel(&self, run: &RunState, how: Cancel) -> Result<(), ExecutorError> {
        let Some(job) = &run.external_id else {
            return Ok(());
        };
        self.track(&run.execution_id, |t| t.stop_requested = true);
        self.delete(job, how).map_err(ExecutorError::Engine)
    }

    fn list(&self, instance: &str) -> Result<Vec<Owned>, ExecutorError> {
        let (client, namespace) = self.connect().map_err(ExecutorError::Engine)?;
        let selector = format!("{INSTANCE_LABEL}={instance}");
        let jobs = call("listing the runs' Jobs", async move {
            let jobs: Api<Job> = Api::namespaced(client, &namespace);
            jobs.list(&ListParams::default().labels(&selector))
                .await
                .map_err(|e| explain(&e, &namespace))
        })
        .map_err(ExecutorError::Engine)?;
        Ok(jobs
            .items
            .into_iter()
            .filter_map(|j| {
                let execution_id = j.metadata.labels.as_ref()?.get(EXECUTION_LABEL)?.clone();
                Some(Owned {
                    execution_id,
                    external_id: j.metadata.name?,
                })
            })
            .collect())
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

fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(r) if r.code == 404)
}

/// The API server's own words, and what to change.
fn explain(e: &kube::Error, namespace: &str) -> String {
    match e {
        kube::Error::Api(r) => {
            let said = if r.message.is_empty() {
                format!("{} ({})", r.reason, r.code)
            } else {
                format!("{} ({} {})", r.message, r.code, r.reason)
            };
            let hint = match r.code {
                401 => "the credentials of the kubeconfig or service account were refused: renew them".to_string(),
                403 if r.message.contains("exceeded quota") || r.message.contains("quota") => {
                    format!("the ResourceQuota of namespace \"{namespace}\" refuses it: lower requests/limits in the [[executor]] entry, or raise the quota")
                }
                403 => format!("the account may not do this in namespace \"{namespace}\": give it the Role of deploy/kubernetes/rbac.yaml"),
                404 if r.message.contains("namespace") || r.message.contains("namespaces") => {
                    format!("create namespace \"{namespace}\", or set namespace in the [[executor]] entry")
                }
                422 => "check image, resources, node_selector and service_account in the [[executor]] entry".to_string(),
                _ => String::new(),
            };
            if hint.is_empty() {
                said
            } else {
                format!("{said}; {hint}")
            }
        }
        other => {
            // The client's words with their causes (the connection's own error below them).
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                let more = s.to_string();
                if !text.contains(&more) {
                    text.push_str(": ");
                    text.push_str(&more);
                }
                source = s.source();
            }
            format!(
                "{text}; check the API server address of the kubeconfig (or in_cluster) and that it is reachable from here"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_keep_their_words_and_say_what_to_change() {
        let api = |code, reason: &str, message: &str| {
            kube::Error::Api(kube::core::ErrorResponse {
                status: "Failure".into(),
                message: message.into(),
                reason: reason.into(),
                code,
            })
        };
        let e = explain(&api(404, "NotFound", "namespaces \"etl\" not found"), "etl");
        assert!(
            e.starts_with("namespaces \"etl\" not found (404 NotFound)"),
            "{e}"
        );
        assert!(e.contains("create namespace \"etl\""), "{e}");
        let e = explain(
            &api(
                403,
                "Forbidden",
                "jobs.batch \"x\" is forbidden: exceeded quota: q, requested: count/jobs.batch=1",
            ),
            "etl",
        );
        assert!(e.contains("ResourceQuota"), "{e}");
        let e = explain(&api(401, "Unauthorized", "Unauthorized"), "etl");
        assert!(e.contains("credentials"), "{e}");
        let e = explain(
            &api(
                403,
                "Forbidden",
                "secrets is forbidden: User \"u\" cannot create resource",
            ),
            "etl",
        );
        assert!(e.contains("rbac.yaml"), "{e}");
    }

    /// An API server nobody listens on: the run fails at once with the client's words, and
    /// the executor keeps answering.
    #[test]
    fn an_unreachable_api_server_fails_the_submission_with_its_words() {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("kubeconfig");
        std::fs::write(
            &config,
            format!("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: main\n  context:\n    cluster: c\n    user: u\n    namespace: etl\ncurrent-context: main\n"),
        )
        .unwrap();
        let checked = settings::check(&serde_json::json!({
            "image": "ssisd-runner:test",
            "kubeconfig": config.to_string_lossy(),
        }))
        .unwrap();
        let exec_config = ExecutorConfig {
            name: "kube".into(),
            kind: "kubernetes".into(),
            capacity: None,
            settings: checked.as_object().unwrap().clone().into_iter().collect(),
        };
        let runs = RunSettings {
            dir: dir.path().join("runs"),
            runner: "/bin/false".into(),
            stop_grace: Duration::from_secs(5),
            max_concurrent: 1,
            registration_dir: dir.path().join("registrations"),
            run_as: None,
            hidden_env: Vec::new(),
            executors: Vec::new(),
            folder_executors: Default::default(),
        };
        let executor = build(&exec_config, &runs).unwrap();
        let spec = crate::package::RunSpec {
            id: "6F9619FF-8B86-D011-B42D-00C04FC964FF".into(),
            package: "\\File System\\p".into(),
            bytes: b"<package/>".to_vec(),
            project: None,
            sets: Vec::new(),
            parameters: Vec::new(),
            reporting: None,
            user: "u".into(),
            how: "api".into(),
            logging_level: None,
            executor: Some("kube".into()),
        };
        let e = executor
            .submit(&Submission {
                spec: &spec,
                settings: &runs,
                instance: "0a1b2c3d4e5f",
            })
            .unwrap_err();
        let e = e.to_string();
        assert!(
            e.contains(
                "the run could not be handed to Kubernetes (executor \"kube\", namespace \"etl\")"
            ),
            "{e}"
        );
        assert!(e.contains("reachable"), "{e}");
        // Listing says the same, also from the blocking pool of another runtime (as the
        // supervisor and the Package actor call it).
        assert!(executor
            .list("0a1b2c3d4e5f")
            .unwrap_err()
            .to_string()
            .contains("reachable"));
        let outer = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listed = outer
            .block_on(async move {
                tokio::task::spawn_blocking(move || executor.list("0a1b2c3d4e5f")).await
            })
            .unwrap();
        assert!(listed.unwrap_err().to_string().contains("reachable"));
    }
}
