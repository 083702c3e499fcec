//! Deleting run namespaces: those whose lease expired and that host no active run (the sweep),
//! and those of an Issue or pull request that closed. Every deletion re-reads the namespace and
//! re-checks [`guardrails::may_delete_namespace`] right before it: a namespace the platform did not
//! create, or one of its own environment, is never deleted.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api,
    api::{DeleteParams, ListParams, Preconditions},
};
use uuid::Uuid;

pub use crate::runtime::Swept;

use super::{
    KubernetesRuntime, guardrails,
    labels::{COMPONENT, ISSUE, LEASE_EXPIRES, MANAGED_BY, MANAGER, MODE, PROJECT},
};

/// A run namespace's owner as its labels say: (project, issue).
pub type Thread = (Uuid, u64);

fn thread_of(labels: &BTreeMap<String, String>) -> Option<Thread> {
    let project = Uuid::parse_str(labels.get(PROJECT)?).ok()?;
    let issue = labels.get(ISSUE)?.parse().ok()?;
    Some((project, issue))
}

fn expires_at(ns: &Namespace) -> Option<DateTime<Utc>> {
    let v = ns.metadata.annotations.as_ref()?.get(LEASE_EXPIRES)?;
    DateTime::parse_from_rfc3339(v)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl KubernetesRuntime {
    async fn run_namespaces(&self, selector: &str) -> Result<Vec<Namespace>, String> {
        let api: Api<Namespace> = Api::all(self.client().clone());
        let listed = tokio::time::timeout(
            self.settings().call_timeout,
            api.list(&ListParams::default().labels(selector)),
        )
        .await
        .map_err(|_| "list namespaces: no answer in time".to_owned())?
        .map_err(|e| format!("list namespaces: {e}"))?;
        Ok(listed.items)
    }

    /// Deletes `name` after re-reading it and re-checking the guardrails and `still` (whether it
    /// is still to go), on the condition that it has not changed since (its resource version):
    /// a lease extended in between makes the API server refuse the deletion.
    async fn delete_checked(
        &self,
        name: &str,
        still: &(dyn Fn(&Namespace) -> Result<(), String> + Sync),
    ) -> Result<(), String> {
        let Some(current) = self.read_namespace(name).await? else {
            return Ok(());
        };
        let labels = current.metadata.labels.clone().unwrap_or_default();
        guardrails::may_delete_namespace(name, &labels)?;
        still(&current)?;
        self.delete_as_read(&current).await
    }

    /// The namespace `name` as it is now; none when it is gone.
    pub(super) async fn read_namespace(&self, name: &str) -> Result<Option<Namespace>, String> {
        let api: Api<Namespace> = Api::all(self.client().clone());
        let what = format!("get namespace {name}");
        self.call(&what, api.get_opt(name)).await
    }

    /// Deletes `current` on the condition that it is still as it was read.
    pub(super) async fn delete_as_read(&self, current: &Namespace) -> Result<(), String> {
        let api: Api<Namespace> = Api::all(self.client().clone());
        let timeout = self.settings().call_timeout;
        let name = current.metadata.name.as_deref().unwrap_or_default();
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: current.metadata.resource_version.clone(),
                uid: current.metadata.uid.clone(),
            }),
            ..DeleteParams::background()
        };
        match tokio::time::timeout(timeout, api.delete(name, &params)).await {
            Ok(Ok(_)) => {
                tracing::info!(namespace = %name, "run namespace deleted");
                Ok(())
            }
            Ok(Err(kube::Error::Api(s))) if s.code == 404 => Ok(()),
            Ok(Err(kube::Error::Api(s))) if s.code == 409 => Err(format!(
                "namespace {name} changed while it was deleted (kept for the next sweep)"
            )),
            Ok(Err(e)) => Err(format!("delete namespace {name}: {e}")),
            Err(_) => Err(format!("delete namespace {name}: no answer in time")),
        }
    }

    async fn delete_all(
        &self,
        candidates: Vec<String>,
        still: &(dyn Fn(&Namespace) -> Result<(), String> + Sync),
        swept: &mut Swept,
    ) {
        for name in candidates {
            match self.delete_checked(&name, still).await {
                Ok(()) => swept.deleted.push(name),
                Err(why) => {
                    tracing::warn!(namespace = %name, reason = %why, "run namespace kept");
                    swept.kept.push((name, why));
                }
            }
        }
    }

    /// The sweep: deletes the run namespaces whose lease expired before `now` and whose thread
    /// has no run in `active` (the caller's view of active runs).
    pub async fn sweep_namespaces(
        &self,
        now: DateTime<Utc>,
        active: &HashSet<Thread>,
    ) -> Result<Swept, String> {
        let mut swept = Swept::default();
        let mut candidates = Vec::new();
        let selector = format!("{MANAGED_BY}={MANAGER},{COMPONENT}=run-namespace");
        for ns in self.run_namespaces(&selector).await? {
            let name = ns.metadata.name.clone().unwrap_or_default();
            let labels = ns.metadata.labels.clone().unwrap_or_default();
            // A code-only namespace is the whole project's: any active run of it keeps it.
            let shared = labels.get(MODE).is_some_and(|m| m == "code-only");
            let busy = thread_of(&labels).is_some_and(|(project, issue)| {
                active
                    .iter()
                    .any(|(p, i)| *p == project && (shared || *i == issue))
            });
            match expires_at(&ns) {
                Some(at) if at > now => {}
                _ if busy => swept.kept.push((name, "a run of it is active".into())),
                _ => candidates.push(name),
            }
        }
        let expired = |ns: &Namespace| match expires_at(ns) {
            Some(at) if at > now => Err("its lease was extended".to_owned()),
            _ => Ok(()),
        };
        self.delete_all(candidates, &expired, &mut swept).await;
        Ok(swept)
    }

    /// Deletes the `full-env` run namespaces of the Issue or pull request `issue` of `project`
    /// (it closed); the project's shared `code-only` namespace stays for the sweep.
    pub async fn delete_thread_namespaces(
        &self,
        project: Uuid,
        issue: u64,
    ) -> Result<Swept, String> {
        let selector =
            format!("{MANAGED_BY}={MANAGER},{MODE}=full-env,{PROJECT}={project},{ISSUE}={issue}");
        let names = self
            .run_namespaces(&selector)
            .await?
            .into_iter()
            .filter_map(|ns| ns.metadata.name)
            .collect();
        let mut swept = Swept::default();
        self.delete_all(names, &|_| Ok(()), &mut swept).await;
        Ok(swept)
    }
}
