//! End-to-end tests of the `kubernetes` executor against a real cluster: they run only when
//! `SSISD_TEST_KUBECONFIG` names a kubeconfig and `SSISD_TEST_KUBE_IMAGE` a runner image the
//! cluster can pull (built with deploy/kubernetes/Dockerfile); `SSISD_TEST_KUBE_NAMESPACE`
//! (default `default`) is where the runs go, its account needing deploy/kubernetes/rbac.yaml's
//! Role. Otherwise they print SKIPPED: no cluster runs here, and there is no fake API server.
//! With a cluster: a package run on Kubernetes succeeds (`ssisctl run --on … --wait`, its
//! events and history), a failing package fails with its own errors, a stopped run is
//! cancelled, a namespace that does not exist and an image that cannot be pulled fail the run
//! at once with Kubernetes' words. One test needs no cluster and always runs: an API server
//! that does not answer fails the run at once, and the service keeps serving.

mod support;

use std::time::Duration;

use support::{
    execution_id_in, exit_and_text, http, import_test_package, json, running, ssisctl, temp_dir,
    wait_event, Options, Service,
};

const WAIT: Duration = Duration::from_secs(180);

struct Cluster {
    kubeconfig: String,
    image: String,
    namespace: String,
}

fn cluster() -> Option<Cluster> {
    let (Ok(kubeconfig), Ok(image)) = (
        std::env::var("SSISD_TEST_KUBECONFIG"),
        std::env::var("SSISD_TEST_KUBE_IMAGE"),
    ) else {
        println!(
            "SKIPPED: set SSISD_TEST_KUBECONFIG (a kubeconfig) and SSISD_TEST_KUBE_IMAGE (the runner image) to test the kubernetes executor on a cluster"
        );
        return None;
    };
    Some(Cluster {
        kubeconfig,
        image,
        namespace: std::env::var("SSISD_TEST_KUBE_NAMESPACE").unwrap_or_else(|_| "default".into()),
    })
}

impl Cluster {
    fn executor_toml(&self, name: &str, namespace: &str, image: &str, extra: &str) -> String {
        format!(
            "[[executor]]\nname = \"{name}\"\nkind = \"kubernetes\"\nkubeconfig = \"{}\"\nnamespace = \"{namespace}\"\nimage = \"{image}\"\npoll_seconds = 1\n{extra}\n",
            self.kubeconfig
        )
    }
}

fn started_on(s: &Service, package: &str, executor: &str) -> String {
    let body = serde_json::json!({ "package": package, "executor": executor }).to_string();
    let (code, body) = http(s, "POST", "running", Some(body.as_bytes()));
    let answer = json(&body);
    assert_eq!(code, 201, "{answer}");
    answer["id"].as_str().unwrap().to_string()
}

#[test]
fn packages_run_on_kubernetes_succeed_fail_stop_and_refusals_are_immediate() {
    let Some(cluster) = cluster() else { return };
    let temp = temp_dir();
    let config = cluster.executor_toml("kube", &cluster.namespace, &cluster.image, "")
        + &cluster.executor_toml("nowhere", "ssisd-no-such-namespace", &cluster.image, "")
        + &cluster.executor_toml(
            "unpullable",
            &cluster.namespace,
            "ssisd.invalid/no-such-image:0",
            "",
        );
    let path = temp.path().join("ssisd.toml");
    std::fs::write(&path, config).unwrap();
    let s = Service::start_in(
        temp,
        Options {
            config: Some(path),
            env: Vec::new(),
        },
    );
    Service::eventually(Duration::from_secs(20), || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    for p in ["sleep_long", "quick", "fails"] {
        import_test_package(
            &s,
            &format!("running/{p}.dtsx"),
            &format!("File System/{p}"),
        );
    }

    // Success, followed by ssisctl run --wait through the pod's log, in the history.
    let out = ssisctl(&s, &["run", "File System/quick", "--on", "kube", "--wait"]);
    let (code, text) = exit_and_text(&out);
    assert_eq!(code, 0, "{text}");
    let id = execution_id_in(&text);
    let ok = wait_event(&s, 12289, &id, WAIT);
    assert_eq!(ok["fields"]["executor"], "kube");
    let (code, body) = http(&s, "GET", &format!("executions/{id}"), None);
    assert_eq!(code, 200);
    let execution = json(&body);
    assert!(execution.to_string().contains("succeeded"), "{execution}");

    // A failing package fails with its own errors (read from the pod's log).
    let bad = started_on(&s, "File System/fails", "kube");
    let e = wait_event(&s, 12291, &bad, WAIT);
    assert!(e["fields"]["errors"].to_string().contains("Step"), "{e}");

    // A stopped run is cancelled.
    let long = started_on(&s, "File System/sleep_long", "kube");
    Service::eventually(WAIT, || {
        running(&s)
            .into_iter()
            .find(|r| r["id"] == long.as_str() && r["state"] == "running")
    });
    let (code, _) = http(&s, "POST", &format!("running/{long}/stop"), None);
    assert_eq!(code, 202);
    let e = wait_event(&s, 12290, &long, WAIT);
    assert_eq!(e["fields"]["outcome"], "cancelled");

    // A namespace that does not exist: at once, with Kubernetes' words.
    let refused = started_on(&s, "File System/quick", "nowhere");
    let e = wait_event(&s, 12291, &refused, Duration::from_secs(60));
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("not found"), "{message}");
    assert!(message.contains("create namespace"), "{message}");

    // An image that cannot be pulled: the run fails with the pod's reason.
    let unpullable = started_on(&s, "File System/quick", "unpullable");
    let e = wait_event(&s, 12291, &unpullable, WAIT);
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("ImagePullBackOff") || message.contains("ErrImagePull"),
        "{message}"
    );
}

/// Needs no cluster: an executor whose API server does not answer (a kubeconfig naming a
/// loopback port nobody listens on) fails the run at once with the client's words and what to
/// check; the service keeps serving, and other runs go on.
#[test]
fn an_unreachable_api_server_fails_the_run_at_once_and_the_service_keeps_serving() {
    let temp = temp_dir();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = temp.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: main\n  context:\n    cluster: c\n    user: u\ncurrent-context: main\n"),
    )
    .unwrap();
    let path = temp.path().join("ssisd.toml");
    std::fs::write(
        &path,
        format!(
            "[[executor]]\nname = \"k8s\"\nkind = \"kubernetes\"\nkubeconfig = \"{}\"\nnamespace = \"etl\"\nimage = \"ssisd-runner:test\"\n",
            kubeconfig.display()
        ),
    )
    .unwrap();
    let s = Service::start_in(
        temp,
        Options {
            config: Some(path),
            env: Vec::new(),
        },
    );
    Service::eventually(Duration::from_secs(20), || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    import_test_package(&s, "running/quick.dtsx", "File System/quick");
    let out = ssisctl(&s, &["run", "File System/quick", "--on", "k8s", "--wait"]);
    let (code, text) = exit_and_text(&out);
    assert_ne!(code, 0, "{text}");
    let failed = support::events_of(&s, 12291, None);
    let message = failed
        .iter()
        .find_map(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("a failure event: {text}"))
        .to_string();
    assert!(
        message.contains(
            "the run could not be handed to Kubernetes (executor \"k8s\", namespace \"etl\")"
        ),
        "{message}"
    );
    assert!(message.contains("reachable from here"), "{message}");
    println!("the failure event says: {message}");
    // The service still runs packages.
    let out = ssisctl(&s, &["run", "File System/quick", "--wait"]);
    let (code, text) = exit_and_text(&out);
    assert_eq!(code, 0, "{text}");
}
