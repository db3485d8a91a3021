//! How a run stands, read from its Job and the Job's pod as the API server returns them: the
//! Job's final conditions decide (`Complete`, `Failed` with `DeadlineExceeded` or the pod's
//! end), the pod tells why a run has not started (unschedulable, pulling its image) and when
//! it never can (`ImagePullBackOff`, `InvalidImageName`, `CreateContainerConfigError`: the run
//! fails at once with Kubernetes' words). A pod lost with its node (`Evicted`, `NodeLost`,
//! `Shutdown`) ends the run as lost — it is never run again (`backoffLimit: 0`). Pure
//! functions over the API's types; it must not reach the API server.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ContainerStateTerminated, Pod};

use super::super::{EngineOutcome, Exit, Status};
use super::manifest::{CONTAINER, NO_ARGUMENTS_EXIT};

/// Pod waiting reasons after which the pod never starts by itself.
const NEVER_STARTS: &[&str] = &[
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

/// Pod failure reasons that mean the node went away under the run.
const LOST: &[&str] = &[
    "Evicted",
    "NodeLost",
    "Shutdown",
    "Terminated",
    "NodeShutdown",
    "DisruptionTarget",
    "Preempting",
];

/// How the run stands from its Job (`None`: the Job is gone) and its pods.
/// `stop_requested`: the service deleted the Job itself.
pub fn verdict(job: Option<&Job>, pods: &[Pod], stop_requested: bool) -> Status {
    let Some(job) = job else {
        return Status::Ended(if stop_requested {
            Exit::Engine {
                state: "Deleted".into(),
                reason: "the service deleted the Job to stop the run".into(),
                outcome: EngineOutcome::Cancelled,
            }
        } else {
            Exit::Engine {
                state: "Gone".into(),
                reason: "the Job no longer exists (deleted outside the service, or removed by its ttlSecondsAfterFinished)".into(),
                outcome: EngineOutcome::Lost,
            }
        });
    };
    let pod = newest(pods);
    let condition = |kind: &str| {
        job.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == kind && c.status == "True"))
    };
    if condition("Complete").is_some() {
        return Status::Ended(match pod.and_then(terminated) {
            Some(t) => exit_of(t),
            None => Exit::Code(0),
        });
    }
    if let Some(failed) = condition("Failed") {
        let reason = failed.reason.clone().unwrap_or_default();
        let message = failed.message.clone().unwrap_or_default();
        if reason == "DeadlineExceeded" {
            return Status::Ended(Exit::Engine {
                state: reason,
                reason: message,
                outcome: EngineOutcome::Failed,
            });
        }
        if let Some(lost) = pod.and_then(pod_lost) {
            return Status::Ended(lost);
        }
        return Status::Ended(match pod.and_then(terminated) {
            Some(t) => exit_of(t),
            None => Exit::Engine {
                state: if reason.is_empty() {
                    "Failed".into()
                } else {
                    reason
                },
                reason: message,
                outcome: EngineOutcome::Failed,
            },
        });
    }
    if job.metadata.deletion_timestamp.is_some() {
        // Being deleted (stopped): its pod is ending.
        return Status::Running;
    }
    let Some(pod) = pod else {
        return Status::Queued("the Job has no pod yet".into());
    };
    if let Some(lost) = pod_lost(pod) {
        return Status::Ended(lost);
    }
    let status = pod.status.as_ref();
    if let Some(waiting) = status
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.name == CONTAINER))
        .and_then(|c| c.state.as_ref())
        .and_then(|s| s.waiting.as_ref())
    {
        let reason = waiting.reason.clone().unwrap_or_default();
        let message = waiting.message.clone().unwrap_or_default();
        let said = if message.is_empty() {
            reason.clone()
        } else {
            format!("{reason}: {message}")
        };
        if NEVER_STARTS.contains(&reason.as_str()) {
            return Status::Ended(Exit::NotStarted(format!(
                "Kubernetes cannot start the runner's container ({said}); check the executor's image, image_pull_secrets and the run's Secret"
            )));
        }
        return Status::Queued(said);
    }
    match status.and_then(|s| s.phase.as_deref()) {
        Some("Running") | Some("Succeeded") | Some("Failed") => Status::Running,
        _ => {
            let unscheduled = status
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| {
                    cs.iter()
                        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
                })
                .map(|c| {
                    format!(
                        "{}: {}",
                        c.reason.as_deref().unwrap_or("Unschedulable"),
                        c.message.as_deref().unwrap_or_default()
                    )
                });
            Status::Queued(unscheduled.unwrap_or_else(|| "the pod is pending".into()))
        }
    }
}

/// Whether the pod's container has started (its log can be read).
pub fn started(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.name == CONTAINER))
        .and_then(|c| c.state.as_ref())
        .is_some_and(|s| s.running.is_some() || s.terminated.is_some())
}

/// Whether the pod's container has ended.
pub fn ended(pod: &Pod) -> bool {
    terminated(pod).is_some()
        || matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded") | Some("Failed")
        )
}

/// The most recently created pod (a Job with `backoffLimit: 0` has one).
pub fn newest(pods: &[Pod]) -> Option<&Pod> {
    pods.iter()
        .max_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

fn terminated(pod: &Pod) -> Option<&ContainerStateTerminated> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|c| c.name == CONTAINER)?
        .state
        .as_ref()?
        .terminated
        .as_ref()
}

fn exit_of(t: &ContainerStateTerminated) -> Exit {
    let reason = t.reason.clone().unwrap_or_default();
    if reason == "OOMKilled" {
        return Exit::Engine {
            state: reason,
            reason: "the runner went past its memory limit".into(),
            outcome: EngineOutcome::Failed,
        };
    }
    if t.exit_code == NO_ARGUMENTS_EXIT {
        return Exit::NotStarted(format!(
            "the runner's arguments could not be read from the run's Secret ({})",
            t.message.as_deref().unwrap_or("no message")
        ));
    }
    match t.signal {
        Some(s) if s != 0 => Exit::Signal(s),
        _ if t.exit_code > 128 && t.exit_code < 160 => Exit::Signal(t.exit_code - 128),
        _ => Exit::Code(t.exit_code),
    }
}

fn pod_lost(pod: &Pod) -> Option<Exit> {
    let status = pod.status.as_ref()?;
    let reason = status.reason.clone().unwrap_or_default();
    let disrupted = status.conditions.as_ref().and_then(|cs| {
        cs.iter()
            .find(|c| c.type_ == "DisruptionTarget" && c.status == "True")
    });
    if LOST.contains(&reason.as_str()) || disrupted.is_some() {
        let (state, message) = match disrupted {
            Some(c) if reason.is_empty() => (
                c.reason
                    .clone()
                    .unwrap_or_else(|| "DisruptionTarget".into()),
                c.message.clone().unwrap_or_default(),
            ),
            _ => (reason, status.message.clone().unwrap_or_default()),
        };
        return Some(Exit::Engine {
            state,
            reason: message,
            outcome: EngineOutcome::Lost,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(conditions: serde_json::Value) -> Job {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "ssisd-a-b"},
            "status": {"conditions": conditions}
        }))
        .unwrap()
    }

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "ssisd-a-b-x1", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "status": status
        }))
        .unwrap()
    }

    fn terminated_pod(code: i32, reason: &str) -> Pod {
        pod(serde_json::json!({
            "phase": if code == 0 { "Succeeded" } else { "Failed" },
            "containerStatuses": [{"name": "runner", "ready": false, "restartCount": 0,
                "image": "i", "imageID": "",
                "state": {"terminated": {"exitCode": code, "reason": reason}}}]
        }))
    }

    #[test]
    fn the_jobs_final_condition_decides() {
        let done = job(serde_json::json!([{"type": "Complete", "status": "True"}]));
        assert_eq!(
            verdict(Some(&done), &[terminated_pod(0, "Completed")], false),
            Status::Ended(Exit::Code(0))
        );
        let failed = job(serde_json::json!([{"type": "Failed", "status": "True",
            "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]));
        assert_eq!(
            verdict(Some(&failed), &[terminated_pod(1, "Error")], false),
            Status::Ended(Exit::Code(1))
        );
        assert!(matches!(
            verdict(Some(&failed), &[terminated_pod(137, "OOMKilled")], false),
            Status::Ended(Exit::Engine { outcome: EngineOutcome::Failed, ref state, .. }) if state == "OOMKilled"
        ));
        assert_eq!(
            verdict(Some(&failed), &[terminated_pod(143, "Error")], false),
            Status::Ended(Exit::Signal(15))
        );
        let deadline = job(serde_json::json!([{"type": "Failed", "status": "True",
            "reason": "DeadlineExceeded", "message": "Job was active longer than specified deadline"}]));
        assert!(matches!(
            verdict(Some(&deadline), &[], false),
            Status::Ended(Exit::Engine { outcome: EngineOutcome::Failed, ref reason, .. }) if reason.contains("deadline")
        ));
        let evicted = pod(serde_json::json!({"phase": "Failed", "reason": "Evicted",
            "message": "The node was low on resource: memory."}));
        assert!(matches!(
            verdict(Some(&failed), &[evicted], false),
            Status::Ended(Exit::Engine {
                outcome: EngineOutcome::Lost,
                ..
            })
        ));
    }

    #[test]
    fn a_pod_that_cannot_start_fails_the_run_and_a_pending_one_queues_it() {
        let running = job(serde_json::json!([]));
        let pulling = pod(serde_json::json!({"phase": "Pending",
            "containerStatuses": [{"name": "runner", "ready": false, "restartCount": 0,
                "image": "i", "imageID": "",
                "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": "Back-off pulling image \"nope:1\""}}}]}));
        match verdict(Some(&running), &[pulling], false) {
            Status::Ended(Exit::NotStarted(why)) => {
                assert!(
                    why.contains("ImagePullBackOff: Back-off pulling image"),
                    "{why}"
                )
            }
            other => panic!("{other:?}"),
        }
        let unschedulable = pod(serde_json::json!({"phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient memory."}]}));
        assert_eq!(
            verdict(Some(&running), &[unschedulable], false),
            Status::Queued("Unschedulable: 0/3 nodes are available: 3 Insufficient memory.".into())
        );
        assert!(matches!(
            verdict(Some(&running), &[], false),
            Status::Queued(_)
        ));
        let up = pod(serde_json::json!({"phase": "Running",
            "containerStatuses": [{"name": "runner", "ready": true, "restartCount": 0,
                "image": "i", "imageID": "", "state": {"running": {}}}]}));
        assert!(started(&up));
        assert_eq!(verdict(Some(&running), &[up], false), Status::Running);
    }

    #[test]
    fn a_job_gone_is_cancelled_when_the_service_deleted_it_and_lost_otherwise() {
        assert!(matches!(
            verdict(None, &[], true),
            Status::Ended(Exit::Engine {
                outcome: EngineOutcome::Cancelled,
                ..
            })
        ));
        assert!(matches!(
            verdict(None, &[], false),
            Status::Ended(Exit::Engine {
                outcome: EngineOutcome::Lost,
                ..
            })
        ));
    }
}
