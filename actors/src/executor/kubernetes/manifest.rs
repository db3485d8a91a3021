//! The objects one run is on Kubernetes, built as the API's own types (k8s-openapi): a Secret
//! holding what the runner needs — the package (or project), its arguments NUL-separated, and
//! its `/Par` values — and a Job that mounts it and runs the runner once (`backoffLimit: 0`,
//! `restartPolicy: Never`), both labelled with the service instance and execution ids. No
//! argument of the run is in the Job: its command is fixed, and reads the arguments from the
//! Secret. The runner writes its event stream to the container's standard output (`fd:3`, a
//! copy of it) and its own console text to standard error, so the pod's log carries the
//! stream. It owns the manifests only; it must not reach the API server.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource, LocalObjectReference,
    PodSecurityContext, PodSpec, PodTemplateSpec, ResourceRequirements, Secret, SecretKeySelector,
    SecretVolumeSource, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::ByteString;
use ssisd_engine::cli::{encode_parameters, PARAMETERS_ENV};
use ssisd_engine::run_protocol::{self as protocol, fetch};

use super::settings::KubernetesSettings;
use crate::package::RunSpec;

/// Labels every object of a run carries.
pub const INSTANCE_LABEL: &str = "ssisd.io/instance";
pub const EXECUTION_LABEL: &str = "ssisd.io/execution-id";
pub const EXECUTOR_LABEL: &str = "ssisd.io/executor";
/// The label Kubernetes puts on a Job's pods.
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
/// The runner's container.
pub const CONTAINER: &str = "runner";
/// Where the run's Secret is mounted in the container.
pub const RUN_MOUNT: &str = "/run/ssisd";
/// The container's working directory (an empty directory of the pod).
pub const WORK_DIR: &str = "/work";
/// The Secret's keys.
pub const ARGUMENTS_KEY: &str = "arguments";
pub const PARAMETERS_KEY: &str = "parameters";
pub const TOKEN_KEY: &str = "token";
/// The exit status of the Job's command when the arguments cannot be read (the runner never
/// exits with it).
pub const NO_ARGUMENTS_EXIT: i32 = 70;
/// The most bytes a run's Secret may hold: Kubernetes keeps an object below 1 MiB; some room
/// is left for its metadata.
pub const SECRET_LIMIT: usize = 1024 * 1024 - 16 * 1024;

/// The name of a run's Job and Secret: `ssisd-<instance>-<execution id>`, lower case (a DNS
/// label: 55 characters for a 12-digit instance id and a UUID).
pub fn object_name(instance: &str, execution_id: &str) -> String {
    super::super::run_label(instance, execution_id).to_ascii_lowercase()
}

/// The labels of every object of a run.
pub fn labels(instance: &str, execution_id: &str, executor: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".into(), "ssisd-run".into()),
        ("app.kubernetes.io/managed-by".into(), "ssisd".into()),
        (INSTANCE_LABEL.into(), instance.into()),
        (EXECUTION_LABEL.into(), execution_id.into()),
        (EXECUTOR_LABEL.into(), executor.into()),
    ])
}

/// What the run's Secret and Job are built from.
pub struct RunObjects<'a> {
    pub spec: &'a RunSpec,
    pub instance: &'a str,
    pub executor: &'a str,
    pub namespace: &'a str,
    pub settings: &'a KubernetesSettings,
    /// The pods' grace period between TERM and KILL when the run is stopped.
    pub stop_grace_seconds: i64,
    /// With the fetch transport: the service's address, the run's token and the package's
    /// hash (the package then is not in the Secret).
    pub fetch: Option<FetchFrom<'a>>,
}

/// Where and with what the runner fetches its package.
#[derive(Clone, Copy)]
pub struct FetchFrom<'a> {
    pub service_url: &'a str,
    pub token: &'a str,
    pub package_sha256: &'a str,
}

/// A run too large for its Secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the run's package and arguments are {size} bytes; a Kubernetes Secret holds at most {SECRET_LIMIT}: set transport = \"fetch\" (with service_url) in the [[executor]] entry, or run it on another executor")]
pub struct SecretTooLarge {
    pub size: usize,
}

impl RunObjects<'_> {
    fn name(&self) -> String {
        object_name(self.instance, &self.spec.id)
    }

    fn meta(&self) -> ObjectMeta {
        let mut annotations = BTreeMap::new();
        annotations.insert("ssisd.io/package".to_string(), self.spec.package.clone());
        annotations.insert("ssisd.io/user".to_string(), self.spec.user.clone());
        ObjectMeta {
            name: Some(self.name()),
            namespace: Some(self.namespace.to_string()),
            labels: Some(labels(self.instance, &self.spec.id, self.executor)),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        }
    }

    /// The file the package is in, as the Secret's key and inside the container.
    fn package_key(&self) -> &'static str {
        if self.spec.project.is_some() {
            "project.ispac"
        } else {
            "package.dtsx"
        }
    }

    /// The runner's arguments, NUL-separated.
    pub fn arguments(&self) -> Vec<u8> {
        let file = format!("{RUN_MOUNT}/{}", self.package_key());
        let mut words: Vec<String> = Vec::new();
        match &self.spec.project {
            Some(p) => words.extend([
                "/Project".into(),
                file,
                "/Package".into(),
                p.package.clone(),
            ]),
            None => words.extend(["/F".into(), file]),
        }
        for s in &self.spec.sets {
            words.extend(["/Set".into(), s.clone()]);
        }
        if let Some(r) = &self.spec.reporting {
            words.extend(["/Reporting".into(), r.clone()]);
        }
        let mut out = Vec::new();
        for w in words {
            out.extend_from_slice(w.as_bytes());
            out.push(0);
        }
        out
    }

    /// The run's Secret: package, arguments and parameters — or, with the fetch transport,
    /// the run's token and parameters; immutable.
    pub fn secret(&self) -> Result<Secret, SecretTooLarge> {
        let mut data = BTreeMap::new();
        match &self.fetch {
            Some(f) => {
                data.insert(
                    TOKEN_KEY.to_string(),
                    ByteString(f.token.as_bytes().to_vec()),
                );
            }
            None => {
                let package = match &self.spec.project {
                    Some(p) => p.ispac.clone(),
                    None => self.spec.bytes.clone(),
                };
                data.insert(self.package_key().to_string(), ByteString(package));
                data.insert(ARGUMENTS_KEY.to_string(), ByteString(self.arguments()));
            }
        }
        if !self.spec.parameters.is_empty() {
            data.insert(
                PARAMETERS_KEY.to_string(),
                ByteString(encode_parameters(&self.spec.parameters).into_bytes()),
            );
        }
        let size: usize = data.values().map(|v| v.0.len()).sum();
        if size > SECRET_LIMIT {
            return Err(SecretTooLarge { size });
        }
        Ok(Secret {
            metadata: self.meta(),
            type_: Some("Opaque".into()),
            immutable: Some(true),
            data: Some(data),
            ..Secret::default()
        })
    }

    /// The Job's command: reads the arguments from the Secret, sends standard output to
    /// standard error keeping a copy of it as fd 3 (the event stream), then becomes the runner.
    fn command(&self) -> Vec<String> {
        if self.fetch.is_some() {
            // The runner fetches its package and arguments itself.
            let script = format!(
                "exec 3>&1 1>&2\nexec {}\n",
                shell_quote(&self.settings.runner)
            );
            return vec!["/bin/bash".into(), "-c".into(), script];
        }
        let script = format!(
            "mapfile -d '' -t args < {RUN_MOUNT}/{ARGUMENTS_KEY} || exit {NO_ARGUMENTS_EXIT}\n\
             exec 3>&1 1>&2\n\
             exec {} \"${{args[@]}}\"\n",
            shell_quote(&self.settings.runner)
        );
        vec!["/bin/bash".into(), "-c".into(), script]
    }

    fn resources(&self) -> Option<ResourceRequirements> {
        let map = |m: &BTreeMap<String, String>| {
            (!m.is_empty()).then(|| {
                m.iter()
                    .map(|(k, v)| (k.clone(), Quantity(v.clone())))
                    .collect::<BTreeMap<_, _>>()
            })
        };
        let requests = map(&self.settings.requests);
        let limits = map(&self.settings.limits);
        (requests.is_some() || limits.is_some()).then(|| ResourceRequirements {
            requests,
            limits,
            ..ResourceRequirements::default()
        })
    }

    /// The run's Job.
    pub fn job(&self) -> Job {
        let name = self.name();
        let env = |name: &str, value: &str| EnvVar {
            name: name.into(),
            value: Some(value.into()),
            value_from: None,
        };
        let mut envs = vec![
            env(protocol::STREAM_ENV, "fd:3"),
            env(protocol::EXECUTION_ID_ENV, &self.spec.id),
            env(protocol::RUN_BY_SERVICE_ENV, "1"),
        ];
        let from_secret = |env: &str, key: &str| EnvVar {
            name: env.into(),
            value: None,
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: name.clone(),
                    key: key.into(),
                    optional: Some(false),
                }),
                ..EnvVarSource::default()
            }),
        };
        if let Some(f) = &self.fetch {
            envs.push(env(fetch::SERVICE_URL_ENV, f.service_url));
            envs.push(env(fetch::PACKAGE_SHA256_ENV, f.package_sha256));
            envs.push(from_secret(fetch::RUN_TOKEN_ENV, TOKEN_KEY));
        }
        if !self.spec.parameters.is_empty() {
            envs.push(EnvVar {
                name: PARAMETERS_ENV.into(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: name.clone(),
                        key: PARAMETERS_KEY.into(),
                        optional: Some(false),
                    }),
                    ..EnvVarSource::default()
                }),
            });
        }
        let container = Container {
            name: CONTAINER.into(),
            image: Some(self.settings.image.clone()),
            image_pull_policy: self.settings.image_pull_policy.clone(),
            command: Some(self.command()),
            working_dir: Some(WORK_DIR.into()),
            env: Some(envs),
            resources: self.resources(),
            volume_mounts: Some(vec![
                VolumeMount {
                    name: "run".into(),
                    mount_path: RUN_MOUNT.into(),
                    read_only: Some(true),
                    ..VolumeMount::default()
                },
                VolumeMount {
                    name: "work".into(),
                    mount_path: WORK_DIR.into(),
                    ..VolumeMount::default()
                },
            ]),
            security_context: Some(SecurityContext {
                allow_privilege_escalation: Some(false),
                capabilities: Some(Capabilities {
                    drop: Some(vec!["ALL".into()]),
                    add: None,
                }),
                ..SecurityContext::default()
            }),
            ..Container::default()
        };
        let pod = PodSpec {
            restart_policy: Some("Never".into()),
            containers: vec![container],
            service_account_name: self.settings.service_account.clone(),
            automount_service_account_token: Some(false),
            termination_grace_period_seconds: Some(self.stop_grace_seconds),
            node_selector: (!self.settings.node_selector.is_empty())
                .then(|| self.settings.node_selector.clone()),
            image_pull_secrets: (!self.settings.image_pull_secrets.is_empty()).then(|| {
                self.settings
                    .image_pull_secrets
                    .iter()
                    .map(|s| LocalObjectReference { name: s.clone() })
                    .collect()
            }),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                ..PodSecurityContext::default()
            }),
            volumes: Some(vec![
                Volume {
                    name: "run".into(),
                    secret: Some(SecretVolumeSource {
                        secret_name: Some(name.clone()),
                        default_mode: Some(0o444),
                        optional: Some(false),
                        ..SecretVolumeSource::default()
                    }),
                    ..Volume::default()
                },
                Volume {
                    name: "work".into(),
                    empty_dir: Some(EmptyDirVolumeSource::default()),
                    ..Volume::default()
                },
            ]),
            ..PodSpec::default()
        };
        let mut template_meta = self.meta();
        template_meta.name = None;
        template_meta.namespace = None;
        Job {
            metadata: self.meta(),
            spec: Some(JobSpec {
                backoff_limit: Some(0),
                active_deadline_seconds: self.settings.active_deadline_seconds.map(|s| s as i64),
                ttl_seconds_after_finished: Some(self.settings.ttl_seconds_after_finished as i32),
                template: PodTemplateSpec {
                    metadata: Some(template_meta),
                    spec: Some(pod),
                },
                ..JobSpec::default()
            }),
            status: None,
        }
    }
}

/// The Job as the owner of the run's Secret: deleting the Job (or its TTL) deletes the
/// Secret too.
pub fn owned_by(job: &Job) -> Option<OwnerReference> {
    Some(OwnerReference {
        api_version: "batch/v1".into(),
        kind: "Job".into(),
        name: job.metadata.name.clone()?,
        uid: job.metadata.uid.clone()?,
        controller: None,
        block_owner_deletion: None,
    })
}

/// `'text'` for bash, single quotes inside written `'\''`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::RunSpec;

    fn spec(parameters: Vec<String>) -> RunSpec {
        RunSpec {
            id: "6F9619FF-8B86-D011-B42D-00C04FC964FF".into(),
            package: "\\File System\\ETL\\Load".into(),
            bytes: b"<DTS:Executable/>".to_vec(),
            project: None,
            sets: vec!["\\Package.Variables[User::Password].Value;s3cret".into()],
            parameters,
            reporting: Some("EW".into()),
            user: "alice".into(),
            how: "api".into(),
            logging_level: None,
            executor: Some("cluster".into()),
        }
    }

    fn objects<'a>(spec: &'a RunSpec, settings: &'a KubernetesSettings) -> RunObjects<'a> {
        RunObjects {
            spec,
            instance: "0a1b2c3d4e5f",
            executor: "cluster",
            namespace: "etl",
            settings,
            stop_grace_seconds: 30,
            fetch: None,
        }
    }

    #[test]
    fn the_job_runs_once_labelled_with_no_argument_of_the_run() {
        let settings = KubernetesSettings {
            image: "registry.example.com/ssisd-runner:0.1.0".into(),
            service_account: Some("ssisd-runner".into()),
            active_deadline_seconds: Some(3600),
            requests: BTreeMap::from([("memory".into(), "1Gi".into())]),
            ..KubernetesSettings::default()
        };
        let spec = spec(vec!["$Project::ApiKey;k3y".into()]);
        let job = objects(&spec, &settings).job();
        // Through the API's own serialization, as the API server receives it.
        let json = serde_json::to_value(&job).unwrap();
        let name = "ssisd-0a1b2c3d4e5f-6f9619ff-8b86-d011-b42d-00c04fc964ff";
        assert!(name.len() <= 63);
        assert_eq!(json["apiVersion"], "batch/v1");
        assert_eq!(json["kind"], "Job");
        assert_eq!(json["metadata"]["name"], name);
        assert_eq!(json["metadata"]["namespace"], "etl");
        let labels = &json["metadata"]["labels"];
        assert_eq!(labels["ssisd.io/instance"], "0a1b2c3d4e5f");
        assert_eq!(
            labels["ssisd.io/execution-id"],
            "6F9619FF-8B86-D011-B42D-00C04FC964FF"
        );
        let spec_json = &json["spec"];
        assert_eq!(spec_json["backoffLimit"], 0);
        assert_eq!(spec_json["activeDeadlineSeconds"], 3600);
        assert_eq!(spec_json["ttlSecondsAfterFinished"], 3600);
        let template = &spec_json["template"];
        assert_eq!(template["metadata"]["labels"], *labels);
        let pod = &template["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        assert_eq!(pod["serviceAccountName"], "ssisd-runner");
        assert_eq!(pod["automountServiceAccountToken"], false);
        assert_eq!(pod["terminationGracePeriodSeconds"], 30);
        assert_eq!(pod["volumes"][0]["secret"]["secretName"], name);
        let c = &pod["containers"][0];
        assert_eq!(c["name"], CONTAINER);
        assert_eq!(c["image"], "registry.example.com/ssisd-runner:0.1.0");
        assert_eq!(c["resources"]["requests"]["memory"], "1Gi");
        assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
        let env = c["env"].as_array().unwrap();
        let find = |n: &str| env.iter().find(|e| e["name"] == n).cloned().unwrap();
        assert_eq!(find("SSISD_EVENT_STREAM")["value"], "fd:3");
        assert_eq!(
            find("SSISD_EXECUTION_ID")["value"],
            "6F9619FF-8B86-D011-B42D-00C04FC964FF"
        );
        let par = find(PARAMETERS_ENV);
        assert!(par.get("value").is_none());
        assert_eq!(par["valueFrom"]["secretKeyRef"]["name"], name);
        assert_eq!(par["valueFrom"]["secretKeyRef"]["key"], PARAMETERS_KEY);
        // No value of the run anywhere in the Job.
        let text = json.to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(!text.contains("k3y"), "{text}");
        assert_eq!(c["command"][0], "/bin/bash");
        let script = c["command"][2].as_str().unwrap();
        assert!(
            script.contains("exec '/usr/local/bin/dtexec' \"${args[@]}\""),
            "{script}"
        );
        assert!(script.contains("exec 3>&1 1>&2"), "{script}");
        // The manifest reads back as the API's type.
        let back: Job = serde_json::from_value(json).unwrap();
        assert_eq!(back, job);
    }

    #[test]
    fn the_secret_holds_package_arguments_and_parameters() {
        let settings = KubernetesSettings {
            image: "i".into(),
            ..KubernetesSettings::default()
        };
        let spec = spec(vec!["$Project::ApiKey;k3y".into()]);
        let secret = objects(&spec, &settings).secret().unwrap();
        let json = serde_json::to_value(&secret).unwrap();
        assert_eq!(json["kind"], "Secret");
        assert_eq!(json["type"], "Opaque");
        assert_eq!(json["immutable"], true);
        assert_eq!(
            json["metadata"]["labels"]["ssisd.io/instance"],
            "0a1b2c3d4e5f"
        );
        let back: Secret = serde_json::from_value(json).unwrap();
        let data = back.data.unwrap();
        assert_eq!(data["package.dtsx"].0, b"<DTS:Executable/>");
        let words: Vec<&[u8]> = data[ARGUMENTS_KEY]
            .0
            .split(|b| *b == 0)
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(
            words,
            vec![
                b"/F".as_slice(),
                b"/run/ssisd/package.dtsx",
                b"/Set",
                b"\\Package.Variables[User::Password].Value;s3cret",
                b"/Reporting",
                b"EW"
            ]
        );
        assert!(String::from_utf8_lossy(&data[PARAMETERS_KEY].0).contains("k3y"));

        let mut big = spec.clone();
        big.bytes = vec![b'x'; SECRET_LIMIT + 1];
        let e = objects(&big, &settings).secret().unwrap_err();
        assert!(e.to_string().contains("at most"), "{e}");
    }

    #[test]
    fn with_the_fetch_transport_only_the_token_is_in_the_secret() {
        let settings = KubernetesSettings {
            image: "i".into(),
            ..KubernetesSettings::default()
        };
        let spec = spec(Vec::new());
        let mut o = objects(&spec, &settings);
        o.fetch = Some(FetchFrom {
            service_url: "https://ssisd.example.com:8443",
            token: "t0k3n",
            package_sha256: "abc",
        });
        let secret = serde_json::to_value(o.secret().unwrap()).unwrap();
        let keys: Vec<&String> = secret["data"].as_object().unwrap().keys().collect();
        assert_eq!(keys, vec![TOKEN_KEY]);
        let job = serde_json::to_value(o.job()).unwrap();
        let c = &job["spec"]["template"]["spec"]["containers"][0];
        let env = c["env"].as_array().unwrap();
        let find = |n: &str| env.iter().find(|e| e["name"] == n).cloned().unwrap();
        assert_eq!(
            find("SSISD_FETCH_URL")["value"],
            "https://ssisd.example.com:8443"
        );
        assert_eq!(find("SSISD_PACKAGE_SHA256")["value"], "abc");
        assert_eq!(
            find("SSISD_RUN_TOKEN")["valueFrom"]["secretKeyRef"]["key"],
            TOKEN_KEY
        );
        assert!(!job.to_string().contains("t0k3n"));
        assert!(!job.to_string().contains("s3cret"));
        assert_eq!(
            c["command"][2],
            "exec 3>&1 1>&2\nexec '/usr/local/bin/dtexec'\n"
        );
    }

    #[test]
    fn the_owner_reference_names_the_job() {
        let mut job = Job::default();
        assert!(owned_by(&job).is_none());
        job.metadata.name = Some("ssisd-a-b".into());
        job.metadata.uid = Some("u-1".into());
        let owner = owned_by(&job).unwrap();
        assert_eq!((owner.kind.as_str(), owner.uid.as_str()), ("Job", "u-1"));
    }
}
