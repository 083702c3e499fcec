//! A run's namespace as the staff API shows it, and its deletion on request. Reading shows a
//! Secret's key names only; deleting goes through the cleanup's checked deletion (the namespace
//! re-read, the guardrails re-checked, a precondition on what was read).

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use k8s_openapi::api::{
    batch::v1::Job,
    core::v1::{Namespace, Pod, Secret},
};
use kube::{
    Api, Resource,
    api::{ListParams, ObjectList},
};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{
    KubernetesRuntime,
    guardrails::{self, Action, Actor, Environment, Target, Verdict},
    job_status::{self, JobVerdict},
    labels::{LEASE_CREATED, LEASE_EXPIRES, RUN_ID},
    objects::NamespaceFor,
};
use crate::{
    policy::ExecutionMode,
    runtime::{
        EnvironmentDeletion, EnvironmentView, JobView, PodView, RevealedValue, RunScope,
        SecretLookup, SecretReveal, SecretView,
    },
};

/// Whom a namespace is for; its name depends on the project, thread, role and mode, not the run.
fn who(role: &str, scope: RunScope) -> NamespaceFor {
    NamespaceFor {
        run_id: Uuid::nil(),
        project: scope.project_id,
        issue: scope.thread,
        role: role.to_owned(),
        mode: scope.mode,
        profile: scope.profile,
    }
}

fn annotation_time(ns: &Namespace, key: &str) -> Option<DateTime<Utc>> {
    let v = ns.metadata.annotations.as_ref()?.get(key)?;
    DateTime::parse_from_rfc3339(v)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn environment_name(env: Environment) -> &'static str {
    match env {
        Environment::AiSlot => "ai_slot",
        Environment::AiStaging => "ai_staging",
        Environment::Prod => "prod",
    }
}

fn job_view(job: &Job, pods: &[Pod]) -> JobView {
    let name = job.metadata.name.clone().unwrap_or_default();
    let own: Vec<Pod> = pods
        .iter()
        .filter(|p| {
            p.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("job-name"))
                .is_some_and(|j| *j == name)
        })
        .cloned()
        .collect();
    let (state, reason) = match job_status::classify(job, &own) {
        JobVerdict::Running => ("running", None),
        JobVerdict::Succeeded => ("succeeded", None),
        JobVerdict::AgentFailed { code } => ("failed", Some(format!("the agent exited {code}"))),
        JobVerdict::Infrastructure { reason } => ("failed", Some(reason)),
    };
    JobView {
        name,
        state: state.to_owned(),
        reason,
        started_at: job
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .and_then(|t| {
                let nanos = u32::try_from(t.0.subsec_nanosecond()).unwrap_or(0);
                DateTime::from_timestamp(t.0.as_second(), nanos)
            }),
    }
}

fn pod_view(pod: &Pod) -> PodView {
    let status = pod.status.clone().unwrap_or_default();
    let containers: Vec<_> = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten())
        .collect();
    let restarts = containers.iter().map(|c| i64::from(c.restart_count)).sum();
    // What keeps a container from running first; then why one ended, if not by completing.
    let waiting = containers
        .iter()
        .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
    let ended = containers.iter().find_map(|c| {
        let reason = c.state.as_ref()?.terminated.as_ref()?.reason.clone()?;
        (reason != "Completed").then_some(reason)
    });
    PodView {
        name: pod.metadata.name.clone().unwrap_or_default(),
        phase: status.phase.unwrap_or_else(|| "Unknown".into()),
        reason: status.reason.or(waiting).or(ended),
        restarts,
    }
}

fn secret_view(secret: &Secret) -> SecretView {
    let mut keys: Vec<String> = secret
        .data
        .iter()
        .flat_map(|d| d.keys())
        .chain(secret.string_data.iter().flat_map(|d| d.keys()))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    SecretView {
        name: secret.metadata.name.clone().unwrap_or_default(),
        keys,
        managed: secret
            .metadata
            .labels
            .as_ref()
            .is_some_and(guardrails::is_managed),
    }
}

/// A Secret's values by key, sorted: `data` as stored, and `stringData` where `data` has no such
/// key (a real API server folds `stringData` into `data` on write; an object read back from
/// elsewhere may still carry it).
fn revealed_values(secret: Secret) -> Vec<RevealedValue> {
    let mut values: std::collections::BTreeMap<String, Vec<u8>> = secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect();
    for (k, v) in secret.string_data.unwrap_or_default() {
        values.entry(k).or_insert_with(|| v.into_bytes());
    }
    values
        .into_iter()
        .map(|(k, v)| RevealedValue::from_bytes(k, v))
        .collect()
}

fn oldest_first<K: Resource + Clone>(mut list: ObjectList<K>) -> Vec<K> {
    list.items
        .sort_by_key(|o| o.meta().creation_timestamp.as_ref().map(|t| t.0));
    list.items
}

impl KubernetesRuntime {
    /// The namespace runs of `role` with `scope` use.
    pub fn namespace_name(&self, role: &str, scope: RunScope) -> String {
        self.namespace_of(&who(role, scope))
    }

    async fn list_in<K>(&self, ns: &str, selector: &str) -> Result<Vec<K>, String>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
        K::DynamicType: Default,
    {
        let api: Api<K> = Api::namespaced(self.client().clone(), ns);
        let what = format!("list {}", K::plural(&K::DynamicType::default()));
        let listed = self
            .call(&what, api.list(&ListParams::default().labels(selector)))
            .await?;
        Ok(oldest_first(listed))
    }

    /// The namespace of the run `run_id` of `role` with `scope`, with its Jobs, Pods and
    /// Secrets (only the run's own in the project's shared `code-only` namespace).
    pub async fn inspect(
        &self,
        run_id: Uuid,
        role: &str,
        scope: RunScope,
    ) -> Result<EnvironmentView, String> {
        let name = self.namespace_name(role, scope);
        let shared = scope.mode == ExecutionMode::CodeOnly;
        let found = self.read_namespace(&name).await?;
        let labels = found
            .as_ref()
            .and_then(|ns| ns.metadata.labels.clone())
            .unwrap_or_default();
        let envs = &self.settings().environments;
        let target = Target {
            kind: "Namespace",
            namespace: &name,
            labels: &labels,
        };
        let view_only = matches!(
            guardrails::decide(envs, Actor::Staff, Action::Change, target),
            Verdict::Deny(_)
        );
        let mut view = EnvironmentView {
            environment: environment_name(envs.of(&name)).to_owned(),
            exists: found.is_some(),
            shared,
            view_only,
            lease_created_at: found
                .as_ref()
                .and_then(|n| annotation_time(n, LEASE_CREATED)),
            lease_expires_at: found
                .as_ref()
                .and_then(|n| annotation_time(n, LEASE_EXPIRES)),
            labels,
            namespace: name,
            jobs: Vec::new(),
            pods: Vec::new(),
            secrets: Vec::new(),
        };
        if !view.exists {
            return Ok(view);
        }
        let selector = if shared {
            format!("{RUN_ID}={run_id}")
        } else {
            String::new()
        };
        let ns = view.namespace.clone();
        let pods: Vec<Pod> = self.list_in(&ns, &selector).await?;
        let jobs: Vec<Job> = self.list_in(&ns, &selector).await?;
        let secrets: Vec<Secret> = self.list_in(&ns, &selector).await?;
        view.jobs = jobs.iter().map(|j| job_view(j, &pods)).collect();
        view.pods = pods.iter().map(pod_view).collect();
        view.secrets = secrets.iter().map(secret_view).collect();
        Ok(view)
    }

    /// The Secret `name` of the run `run_id` of `role` with `scope`, with its values, for an
    /// explicit reveal by a permitted person (the guardrails decide, the caller audits). Only a
    /// namespace the platform created counts, and in the project's shared `code-only` namespace
    /// only the run's own Secrets are found.
    pub async fn read_run_secret(
        &self,
        run_id: Uuid,
        role: &str,
        scope: RunScope,
        name: &str,
    ) -> Result<SecretLookup, String> {
        let namespace = self.namespace_name(role, scope);
        let Some(found) = self.read_namespace(&namespace).await? else {
            return Ok(SecretLookup::NotFound);
        };
        // A namespace of that name the platform did not create is not the run's environment.
        if !found
            .metadata
            .labels
            .as_ref()
            .is_some_and(guardrails::is_managed)
        {
            return Ok(SecretLookup::Refused(format!(
                "namespace {namespace} is not managed by the platform: its Secrets are not the run's"
            )));
        }
        let api: Api<Secret> = Api::namespaced(self.client().clone(), &namespace);
        let what = format!("get secret {name} in {namespace}");
        let Some(secret) = self.call(&what, api.get_opt(name)).await? else {
            return Ok(SecretLookup::NotFound);
        };
        let labels = secret.metadata.labels.clone().unwrap_or_default();
        let run_label = run_id.to_string();
        if scope.mode == ExecutionMode::CodeOnly && labels.get(RUN_ID) != Some(&run_label) {
            return Ok(SecretLookup::NotFound);
        }
        let target = Target {
            kind: "Secret",
            namespace: &namespace,
            labels: &labels,
        };
        let envs = &self.settings().environments;
        match guardrails::decide(envs, Actor::SecretAdmin, Action::RevealSecret, target) {
            Verdict::Allow | Verdict::AllowAudited => {}
            Verdict::Deny(why) | Verdict::DryRun(why) => return Ok(SecretLookup::Refused(why)),
        }
        Ok(SecretLookup::Revealed(SecretReveal {
            namespace,
            name: name.to_owned(),
            values: revealed_values(secret),
        }))
    }

    /// Deletes the `full-env` namespace of a run of `role` with `scope` now, unless `in_use`
    /// (asked after the namespace was read) says a run of its thread is active; a run that
    /// starts in between changes the namespace, which then refuses the deletion. The project's
    /// shared `code-only` namespace is left to the sweep.
    pub async fn delete_run_namespace(
        &self,
        role: &str,
        scope: RunScope,
        in_use: BoxFuture<'_, Result<bool, String>>,
    ) -> Result<EnvironmentDeletion, String> {
        let name = self.namespace_name(role, scope);
        if scope.mode == ExecutionMode::CodeOnly {
            return Ok(EnvironmentDeletion::Shared(name));
        }
        let Some(current) = self.read_namespace(&name).await? else {
            return Ok(EnvironmentDeletion::Deleted(name));
        };
        let labels = current.metadata.labels.clone().unwrap_or_default();
        if let Err(why) = guardrails::may_delete_namespace(&name, &labels) {
            return Ok(EnvironmentDeletion::Refused(why));
        }
        if in_use.await? {
            return Ok(EnvironmentDeletion::InUse(format!(
                "a run of its thread is active: namespace {name} is in use"
            )));
        }
        match self.delete_as_read(&current).await {
            Ok(()) => Ok(EnvironmentDeletion::Deleted(name)),
            Err(why) => Ok(EnvironmentDeletion::InUse(why)),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::runtime::ValueEncoding;

    fn parse<T: DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_pod_shows_its_own_or_its_containers_reason_and_all_restarts() {
        let evicted: Pod = parse(json!({ "metadata": { "name": "a" },
            "status": { "phase": "Failed", "reason": "Evicted" } }));
        let v = pod_view(&evicted);
        assert_eq!(
            (v.phase.as_str(), v.reason.as_deref(), v.restarts),
            ("Failed", Some("Evicted"), 0)
        );
        let pulling: Pod = parse(
            json!({ "metadata": { "name": "b" }, "status": { "phase": "Pending",
            "initContainerStatuses": [{ "name": "checkout", "ready": true, "restartCount": 1, "image": "x", "imageID": "",
                "state": { "terminated": { "exitCode": 0, "reason": "Completed" } } }],
            "containerStatuses": [{ "name": "agent", "ready": false, "restartCount": 2, "image": "x", "imageID": "",
                "state": { "waiting": { "reason": "ImagePullBackOff" } } }] } }),
        );
        let v = pod_view(&pulling);
        assert_eq!(
            (v.reason.as_deref(), v.restarts),
            (Some("ImagePullBackOff"), 3)
        );
        let bare: Pod = parse(json!({ "metadata": { "name": "c" } }));
        assert_eq!(pod_view(&bare).phase, "Unknown");
    }

    #[test]
    fn a_job_reads_through_its_own_pods_and_a_secret_shows_key_names_only() {
        let job: Job = parse(json!({ "metadata": { "name": "agent-1" }, "status": {} }));
        let other: Pod = parse(
            json!({ "metadata": { "name": "x", "labels": { "job-name": "other" } },
            "status": { "phase": "Failed", "containerStatuses": [{ "name": "agent", "ready": false,
                "restartCount": 0, "image": "x", "imageID": "",
                "state": { "terminated": { "exitCode": 137, "reason": "OOMKilled" } } }] } }),
        );
        let own = |code: i32| -> Pod {
            parse(
                json!({ "metadata": { "name": "p", "labels": { "job-name": "agent-1" } },
                "status": { "phase": "Failed", "containerStatuses": [{ "name": "agent", "ready": false,
                    "restartCount": 0, "image": "x", "imageID": "",
                    "state": { "terminated": { "exitCode": code, "reason": "Error" } } }] } }),
            )
        };
        assert_eq!(
            job_view(&job, std::slice::from_ref(&other)).state,
            "running"
        );
        let failed = job_view(&job, &[other, own(3)]);
        assert_eq!(
            (failed.state.as_str(), failed.reason.as_deref()),
            ("failed", Some("the agent exited 3"))
        );
        let secret: Secret = parse(json!({ "metadata": { "name": "s",
                "labels": { "app.kubernetes.io/managed-by": "codex-k8s" } },
            "data": { "token": "c2VjcmV0" }, "stringData": { "a": "plain", "token": "x" } }));
        let v = secret_view(&secret);
        assert_eq!(
            (v.keys, v.managed),
            (vec!["a".to_owned(), "token".to_owned()], true)
        );
    }

    #[test]
    fn a_revealed_secret_reads_text_as_text_bytes_as_base64_and_debugs_key_names_only() {
        let secret: Secret = parse(json!({ "metadata": { "name": "s" },
            "data": { "token": "c2VjcmV0", "blob": "/wA=" }, "stringData": { "token": "x", "a": "plain" } }));
        let values = revealed_values(secret);
        let got: Vec<(&str, &str, bool)> = values
            .iter()
            .map(|v| {
                (
                    v.key.as_str(),
                    v.value.as_str(),
                    v.encoding == ValueEncoding::Utf8,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", "plain", true),
                ("blob", "/wA=", false),
                ("token", "secret", true),
            ]
        );
        let reveal = SecretReveal {
            namespace: "ns".into(),
            name: "s".into(),
            values,
        };
        let debug = format!("{reveal:?} {:?}", SecretLookup::Revealed(reveal.clone()));
        assert!(debug.contains("token"), "{debug}");
        for value in ["secret", "plain", "/wA="] {
            assert!(!debug.contains(value), "{debug}");
        }
    }
}
