//! Reads an agent Job and its Pod into what happened: still running, succeeded, the agent failed
//! (its own exit code: not retried), or the infrastructure failed (OOMKilled, Evicted, deadline,
//! image pull, node lost: the workflow relaunches, a bounded number of times).

use k8s_openapi::api::{batch::v1::Job, core::v1::Pod};

/// What a Job's state means for the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobVerdict {
    /// Not finished.
    Running,
    /// The agent exited 0.
    Succeeded,
    /// The agent exited with this non-zero code on its own.
    AgentFailed {
        /// Exit code of the agent container.
        code: i32,
    },
    /// The pod was killed or never ran, for a reason outside the agent.
    Infrastructure {
        /// The Kubernetes reason (`OOMKilled`, `Evicted`, `DeadlineExceeded`, `ImagePullBackOff`, `NodeLost`, …).
        reason: String,
    },
}

/// The container the agent runs in.
pub const AGENT_CONTAINER: &str = "agent";

/// Waiting reasons after which a container will not start without someone changing something.
const STUCK: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
];

fn infra(reason: impl Into<String>) -> JobVerdict {
    JobVerdict::Infrastructure {
        reason: reason.into(),
    }
}

/// The verdict on `job` given its pods.
pub fn classify(job: &Job, pods: &[Pod]) -> JobVerdict {
    let status = job.status.clone().unwrap_or_default();
    let condition = |kind: &str| {
        status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == kind && c.status == "True")
            .cloned()
    };
    if condition("Complete").is_some() {
        return JobVerdict::Succeeded;
    }
    let pod = pods
        .iter()
        .max_by_key(|p| p.metadata.creation_timestamp.clone());
    if let Some(verdict) = pod.and_then(pod_verdict) {
        return verdict;
    }
    if let Some(failed) = condition("Failed") {
        return infra(failed.reason.unwrap_or_else(|| "JobFailed".into()));
    }
    if status.succeeded.unwrap_or(0) > 0 {
        return JobVerdict::Succeeded;
    }
    JobVerdict::Running
}

/// What the pod alone tells: a termination of the agent, or a pod that died or cannot start.
fn pod_verdict(pod: &Pod) -> Option<JobVerdict> {
    let status = pod.status.as_ref()?;
    if let Some(reason) = status.reason.as_deref()
        && matches!(
            reason,
            "Evicted" | "NodeLost" | "Preempting" | "DeadlineExceeded" | "UnexpectedAdmissionError"
        )
    {
        return Some(infra(reason));
    }
    if status.phase.as_deref() == Some("Unknown") {
        return Some(infra("NodeLost"));
    }
    for init in status.init_container_statuses.iter().flatten() {
        if let Some(t) = init.state.as_ref().and_then(|s| s.terminated.as_ref())
            && t.exit_code != 0
        {
            let why = t.reason.clone().unwrap_or_else(|| "Error".into());
            return Some(infra(format!("{} {why} (exit {})", init.name, t.exit_code)));
        }
        if let Some(w) = init.state.as_ref().and_then(|s| s.waiting.as_ref())
            && let Some(reason) = w.reason.as_deref().filter(|r| STUCK.contains(r))
        {
            return Some(infra(reason));
        }
    }
    let agent = status
        .container_statuses
        .iter()
        .flatten()
        .find(|c| c.name == AGENT_CONTAINER)?;
    let state = agent.state.as_ref()?;
    if let Some(t) = &state.terminated {
        return Some(match (t.reason.as_deref(), t.exit_code) {
            (Some("OOMKilled"), _) => infra("OOMKilled"),
            (Some("ContainerStatusUnknown"), _) => infra("ContainerStatusUnknown"),
            (_, 0) => JobVerdict::Succeeded,
            // 137 without OOMKilled: killed by a signal from outside (the node, a deletion).
            (_, 137) | (_, 143) if status.phase.as_deref() != Some("Failed") => infra("Killed"),
            (_, code) => JobVerdict::AgentFailed { code },
        });
    }
    if let Some(w) = &state.waiting
        && let Some(reason) = w.reason.as_deref().filter(|r| STUCK.contains(r))
    {
        return Some(infra(reason));
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn job(status: serde_json::Value) -> Job {
        serde_json::from_value(json!({"metadata": {"name": "agent-x-0"}, "status": status}))
            .unwrap()
    }

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": "agent-x-0-abcde"}, "status": status}))
            .unwrap()
    }

    fn terminated(reason: &str, code: i32) -> serde_json::Value {
        json!({"phase": "Failed", "containerStatuses": [{"name": "agent", "image": "i", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"terminated": {"exitCode": code, "reason": reason}}}]})
    }

    fn failed() -> serde_json::Value {
        json!({"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]})
    }

    #[test]
    fn an_oom_kill_is_the_infrastructure_and_an_exit_code_is_the_agent() {
        assert_eq!(
            classify(&job(failed()), &[pod(terminated("OOMKilled", 137))]),
            infra("OOMKilled")
        );
        assert_eq!(
            classify(&job(failed()), &[pod(terminated("Error", 3))]),
            JobVerdict::AgentFailed { code: 3 }
        );
        let done = json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]});
        assert_eq!(classify(&job(done), &[]), JobVerdict::Succeeded);
    }

    #[test]
    fn evictions_deadlines_image_pulls_and_lost_nodes_are_the_infrastructure() {
        let evicted = pod(json!({"phase": "Failed", "reason": "Evicted"}));
        assert_eq!(classify(&job(failed()), &[evicted]), infra("Evicted"));
        let deadline = json!({"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]});
        assert_eq!(classify(&job(deadline), &[]), infra("DeadlineExceeded"));
        let pulling = pod(
            json!({"phase": "Pending", "containerStatuses": [{"name": "agent", "image": "i", "imageID": "",
            "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}),
        );
        assert_eq!(
            classify(&job(json!({"active": 1})), &[pulling]),
            infra("ImagePullBackOff")
        );
        assert_eq!(
            classify(
                &job(json!({"active": 1})),
                &[pod(json!({"phase": "Unknown"}))]
            ),
            infra("NodeLost")
        );
        let checkout = pod(
            json!({"phase": "Failed", "initContainerStatuses": [{"name": "checkout", "image": "i", "imageID": "",
            "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 128, "reason": "Error"}}}]}),
        );
        assert_eq!(
            classify(&job(failed()), &[checkout]),
            infra("checkout Error (exit 128)")
        );
    }

    #[test]
    fn a_job_without_a_finished_pod_runs() {
        assert_eq!(classify(&job(json!({})), &[]), JobVerdict::Running);
        assert_eq!(
            classify(
                &job(json!({"active": 1})),
                &[pod(json!({"phase": "Running"}))]
            ),
            JobVerdict::Running
        );
    }
}
