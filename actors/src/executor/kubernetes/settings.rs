//! The settings of a `kind = "kubernetes"` executor as written in its `[[executor]]` entry:
//! typed, with their defaults, and checked at load — names Kubernetes accepts, quantities,
//! timeouts, and a kubeconfig that can be read and holds the context named. It owns the
//! settings only; it must not reach the API server.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::super::fetch::{check_service_url, Transport};
use super::super::SetupError;

/// Where the runner program is in the runner image built from `deploy/kubernetes/Dockerfile`.
pub const DEFAULT_RUNNER: &str = "/usr/local/bin/dtexec";

/// The settings of a `kind = "kubernetes"` executor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KubernetesSettings {
    /// The namespace of the runs' Jobs and Secrets; absent: the kubeconfig context's
    /// namespace (in a cluster: the service account's), else `default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The runner image (`registry.example.com/ssisd-runner:0.1.0`). Required.
    pub image: String,
    /// `Always`, `IfNotPresent` or `Never`; absent: Kubernetes' default for the tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// Secrets in the namespace that let the nodes pull the image.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
    /// The service account the runs' pods run as; absent: the namespace's `default`. The
    /// pods never get its API token mounted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// The runner program inside the image.
    pub runner: String,
    /// The kubeconfig file the service reaches the cluster with; absent (and not
    /// `in_cluster`): `KUBECONFIG`, then `~/.kube/config`, then the in-cluster account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<PathBuf>,
    /// The context of the kubeconfig to use; absent: its current context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The service runs in a pod of the cluster and uses its own service account.
    pub in_cluster: bool,
    /// Resource requests of the runner container (`cpu = "500m"`, `memory = "1Gi"`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, String>,
    /// Resource limits of the runner container.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, String>,
    /// The pods' node selector.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// The Job's `activeDeadlineSeconds`: Kubernetes ends a run still going after this long
    /// (failed, `DeadlineExceeded`). Absent: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<u64>,
    /// Seconds a run may stay pending (unschedulable, pulling its image) before it is
    /// deleted and fails with Kubernetes' reason. Absent: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_timeout_seconds: Option<f64>,
    /// The Job's `ttlSecondsAfterFinished`: what the service does not delete itself (it
    /// was down when the run ended) Kubernetes removes after this long.
    pub ttl_seconds_after_finished: u32,
    /// Seconds between looks at a run's Job and pod.
    pub poll_seconds: f64,
    /// How the package reaches the pod: `secret` (in the run's Secret, up to about 1 MiB) or
    /// `fetch` (the runner fetches it from the service's API at `service_url` with a token
    /// valid for that run only, which alone is in the Secret).
    pub transport: Transport,
    /// The service's address as the pods reach it (`transport = "fetch"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_url: Option<String>,
}

impl Default for KubernetesSettings {
    fn default() -> Self {
        KubernetesSettings {
            namespace: None,
            image: String::new(),
            image_pull_policy: None,
            image_pull_secrets: Vec::new(),
            service_account: None,
            runner: DEFAULT_RUNNER.into(),
            kubeconfig: None,
            context: None,
            in_cluster: false,
            requests: BTreeMap::new(),
            limits: BTreeMap::new(),
            node_selector: BTreeMap::new(),
            active_deadline_seconds: None,
            pending_timeout_seconds: None,
            ttl_seconds_after_finished: 3600,
            poll_seconds: 2.0,
            transport: Transport::Secret,
            service_url: None,
        }
    }
}

/// A DNS-1123 label (namespaces, service accounts, Secret names): lower-case letters,
/// digits and `-`, at most 63, starting and ending with a letter or digit.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A resource quantity as Kubernetes writes them (`500m`, `1.5`, `2Gi`, `1e3`).
fn is_quantity(s: &str) -> bool {
    let number_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(number_end);
    let number_ok = !number.is_empty()
        && number.trim_start_matches(['+', '-']).parse::<f64>().is_ok()
        && !number.trim_start_matches(['+', '-']).is_empty();
    let suffix_ok = matches!(
        suffix,
        "" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
    ) || (suffix.starts_with(['e', 'E']) && suffix[1..].parse::<i32>().is_ok());
    number_ok && suffix_ok
}

/// Checks the settings as written; returns them with defaults filled in.
/// Checks the settings as written (the kind's `check`).
pub(super) fn check(value: &serde_json::Value) -> Result<serde_json::Value, SetupError> {
    check_settings(value).map_err(SetupError)
}

fn check_settings(value: &serde_json::Value) -> Result<serde_json::Value, String> {
    let s: KubernetesSettings =
        serde_json::from_value(value.clone()).map_err(|e| format!("kubernetes settings: {e}"))?;
    if s.image.trim().is_empty() {
        return Err(
            "image is missing: name the runner image the runs' pods start (see deploy/kubernetes/Dockerfile)"
                .into(),
        );
    }
    if s.image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("image = \"{}\" must not hold spaces", s.image));
    }
    if let Some(ns) = &s.namespace {
        if !is_dns_label(ns) {
            return Err(format!("namespace = \"{ns}\" is not a namespace name (lower-case letters, digits and '-', at most 63)"));
        }
    }
    if let Some(sa) = &s.service_account {
        if !is_dns_label(sa) && !sa.split('.').all(is_dns_label) {
            return Err(format!(
                "service_account = \"{sa}\" is not a service account name"
            ));
        }
    }
    for secret in &s.image_pull_secrets {
        if !secret.split('.').all(is_dns_label) {
            return Err(format!(
                "image_pull_secrets: \"{secret}\" is not a Secret name"
            ));
        }
    }
    if let Some(p) = &s.image_pull_policy {
        if !matches!(p.as_str(), "Always" | "IfNotPresent" | "Never") {
            return Err(format!(
                "image_pull_policy = \"{p}\" must be Always, IfNotPresent or Never"
            ));
        }
    }
    if !s.runner.starts_with('/') {
        return Err(format!(
            "runner = \"{}\" must be an absolute path inside the image",
            s.runner
        ));
    }
    for (key, map) in [("requests", &s.requests), ("limits", &s.limits)] {
        for (resource, quantity) in map {
            if resource.is_empty() || resource.chars().any(|c| c.is_whitespace()) {
                return Err(format!("{key}: \"{resource}\" is not a resource name"));
            }
            if !is_quantity(quantity) {
                return Err(format!(
                    "{key}.{resource} = \"{quantity}\" is not a quantity (write 500m, 2, 512Mi, 4Gi)"
                ));
            }
        }
    }
    if s.in_cluster && (s.kubeconfig.is_some() || s.context.is_some()) {
        return Err(
            "in_cluster = true uses the pod's own service account: remove kubeconfig and context, or in_cluster"
                .into(),
        );
    }
    if let Some(path) = &s.kubeconfig {
        if !path.is_absolute() {
            return Err(format!(
                "kubeconfig = \"{}\" must be an absolute path",
                path.display()
            ));
        }
        let config = kube::config::Kubeconfig::read_from(path)
            .map_err(|e| format!("kubeconfig = \"{}\" cannot be read: {e}", path.display()))?;
        if let Some(context) = &s.context {
            if !config.contexts.iter().any(|c| &c.name == context) {
                let known: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
                return Err(format!(
                    "context = \"{context}\" is not in {} (its contexts: {})",
                    path.display(),
                    known.join(", ")
                ));
            }
        }
    }
    if !(s.poll_seconds.is_finite() && s.poll_seconds >= 0.1 && s.poll_seconds <= 600.0) {
        return Err(format!(
            "poll_seconds = {} must be between 0.1 and 600",
            s.poll_seconds
        ));
    }
    if let Some(t) = s.pending_timeout_seconds {
        if !(t.is_finite() && t > 0.0) {
            return Err(format!("pending_timeout_seconds = {t} must be above 0"));
        }
    }
    match s.transport {
        Transport::Secret => {
            if s.service_url.is_some() {
                return Err(
                    "service_url is used with transport = \"fetch\" only; remove it, or set transport = \"fetch\""
                        .into(),
                );
            }
        }
        Transport::Fetch => check_service_url(s.service_url.as_deref()).map_err(|e| e.0)?,
        Transport::Shared => {
            return Err(
                "transport = \"shared\": pods share no directory with the service; use \"secret\" or \"fetch\""
                    .into(),
            )
        }
    }
    if s.active_deadline_seconds == Some(0) {
        return Err("active_deadline_seconds = 0: write at least 1, or leave it out".into());
    }
    serde_json::to_value(&s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_with_the_key_in_the_error() {
        let ok = check_settings(&serde_json::json!({
            "image": "registry.example.com/ssisd-runner:0.1.0",
            "namespace": "etl",
            "requests": {"cpu": "500m", "memory": "1Gi"},
        }))
        .unwrap();
        assert_eq!(ok["runner"], DEFAULT_RUNNER);
        assert_eq!(ok["ttl_seconds_after_finished"], 3600);
        for (bad, word) in [
            (serde_json::json!({}), "image is missing"),
            (
                serde_json::json!({"image": "i", "namespce": "x"}),
                "namespce",
            ),
            (
                serde_json::json!({"image": "i", "namespace": "ETL"}),
                "namespace",
            ),
            (
                serde_json::json!({"image": "i", "limits": {"memory": "lots"}}),
                "limits.memory",
            ),
            (
                serde_json::json!({"image": "i", "image_pull_policy": "always"}),
                "image_pull_policy",
            ),
            (
                serde_json::json!({"image": "i", "runner": "dtexec"}),
                "runner",
            ),
            (
                serde_json::json!({"image": "i", "kubeconfig": "/nonexistent/kubeconfig"}),
                "cannot be read",
            ),
            (
                serde_json::json!({"image": "i", "in_cluster": true, "context": "c"}),
                "in_cluster",
            ),
            (
                serde_json::json!({"image": "i", "poll_seconds": 0}),
                "poll_seconds",
            ),
        ] {
            let e = check_settings(&bad).unwrap_err();
            assert!(e.contains(word), "{bad}: {e}");
        }
    }

    #[test]
    fn a_kubeconfig_must_hold_the_context_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: main\n  context:\n    cluster: c\n    user: u\ncurrent-context: main\n",
        )
        .unwrap();
        let at = path.to_string_lossy().to_string();
        check_settings(&serde_json::json!({"image": "i", "kubeconfig": at, "context": "main"}))
            .unwrap();
        let e =
            check_settings(&serde_json::json!({"image": "i", "kubeconfig": at, "context": "prod"}))
                .unwrap_err();
        assert!(e.contains("its contexts: main"), "{e}");
    }

    #[test]
    fn quantities() {
        for q in ["1", "500m", "1.5", "2Gi", "128Mi", "1e3", "0.5"] {
            assert!(is_quantity(q), "{q}");
        }
        for q in ["", "lots", "1 Gi", "Gi", "1gb"] {
            assert!(!is_quantity(q), "{q}");
        }
    }
}
