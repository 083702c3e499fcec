//! `KubernetesRuntime`: each run's agent is a Job in the run's namespace (`full-env`: one per
//! (project, issue, role), reused by revises; `code-only`: one per project), created by server-side
//! apply so a worker that crashed mid-step re-applies the same objects. The run's timeout stays
//! the engine's pausable budget: no `activeDeadlineSeconds`; the workflow stops the Job when the
//! budget is spent.

use std::future::Future;

use chrono::{DateTime, Utc};
use futures::{FutureExt, StreamExt, future::BoxFuture};
use k8s_openapi::{
    api::{
        batch::v1::Job,
        core::v1::{ConfigMap, Namespace, Pod, Secret},
    },
    apimachinery::pkg::apis::meta::v1::OwnerReference,
};
use kube::{
    Api, Client, Resource,
    api::{DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams},
    runtime::{WatchStreamExt, watcher},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::json;
use uuid::Uuid;

use super::{
    job_status::{self, AGENT_CONTAINER, JobVerdict},
    labels::{ATTEMPT, FIELD_MANAGER, LEASE_CREATED, LEASE_EXPIRES, RUN_ID},
    names,
    objects::{self, Launch, Lease, NamespaceFor},
    settings::KubeSettings,
};
use crate::{
    policy::ExecutionMode,
    runtime::{
        AgentOutput, AgentRuntime, AgentSpec, AgentState, EnvironmentDeletion, EnvironmentView,
        Launched, RunScope, RuntimeError, SecretLookup, Workspace,
    },
};

/// The variable of the run token in `AgentSpec::env`: it goes into the launch's Secret.
const RUN_TOKEN_VAR: &str = "CK8S_RUN_TOKEN";
/// Bytes of log tail kept with a run at most.
const MAX_LOG_TAIL: usize = 64 * 1024;
/// Consecutive watch errors after which the exit watch gives up (the stage's probe goes on).
const MAX_WATCH_ERRORS: u32 = 8;

/// Agents as Kubernetes Jobs.
#[derive(Clone)]
pub struct KubernetesRuntime {
    client: Client,
    settings: KubeSettings,
}

impl std::fmt::Debug for KubernetesRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubernetesRuntime")
            .field("prefix", &self.settings.namespace_prefix)
            .finish_non_exhaustive()
    }
}

/// Where a workspace's Jobs are: `<namespace>/<run id>`.
fn parse_handle(ws: &Workspace) -> Result<(String, Uuid), String> {
    let (ns, run) = ws
        .handle
        .split_once('/')
        .ok_or_else(|| format!("not a Kubernetes workspace: {}", ws.handle))?;
    let run = Uuid::parse_str(run).map_err(|e| format!("workspace {}: {e}", ws.handle))?;
    Ok((ns.to_owned(), run))
}

/// A kube error as one line: the API status code, reason and message when the server answered.
pub(crate) fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!("{} {}: {}", s.code, s.reason, s.message),
        other => other.to_string(),
    }
}

fn is_status(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}

impl KubernetesRuntime {
    /// A runtime creating its objects through `client`.
    pub fn new(client: Client, settings: KubeSettings) -> Self {
        Self { client, settings }
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &KubeSettings {
        &self.settings
    }

    /// The client it talks to the API server with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// One API call, bounded by the configured timeout; failures keep the server's status and message.
    pub(super) async fn call<T>(
        &self,
        what: &str,
        fut: impl Future<Output = kube::Result<T>>,
    ) -> Result<T, String> {
        match tokio::time::timeout(self.settings.call_timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(format!("{what}: {}", describe(&e))),
            Err(_) => Err(format!(
                "{what}: no answer within {:?}",
                self.settings.call_timeout
            )),
        }
    }

    async fn apply<K>(&self, api: &Api<K>, name: &str, object: &K) -> Result<K, String>
    where
        K: Resource + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
    {
        let params = PatchParams::apply(FIELD_MANAGER).force();
        self.call(
            &format!("apply {}", name),
            api.patch(name, &params, &Patch::Apply(object)),
        )
        .await
    }

    fn who(spec: &AgentSpec) -> Result<NamespaceFor, RuntimeError> {
        let scope = spec.scope.as_ref().ok_or_else(|| {
            RuntimeError::Prepare(
                "the Kubernetes runtime needs the run's scope (project, issue, mode)".into(),
            )
        })?;
        Ok(NamespaceFor {
            run_id: spec.run_id,
            project: scope.project_id,
            issue: scope.thread,
            role: spec.role.clone(),
            mode: scope.mode,
            profile: scope.profile,
        })
    }

    /// The namespace a run of `who` uses.
    pub fn namespace_of(&self, who: &NamespaceFor) -> String {
        let prefix = &self.settings.namespace_prefix;
        match who.mode {
            ExecutionMode::FullEnv => {
                names::run_namespace(prefix, who.project, who.issue, &who.role)
            }
            ExecutionMode::CodeOnly => names::project_namespace(prefix, who.project),
        }
    }

    /// Creates or updates the run namespace of `who` and everything in it; extends its lease
    /// (never shortens it) and keeps its first creation time. Refuses a namespace of that name
    /// the platform did not create.
    pub async fn ensure_namespace(
        &self,
        who: &NamespaceFor,
        now: DateTime<Utc>,
    ) -> Result<String, String> {
        let name = self.namespace_of(who);
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let existing = self
            .call("get namespace", namespaces.get_opt(&name))
            .await?;
        let ttl = chrono::Duration::from_std(self.settings.lease_for(&who.role))
            .unwrap_or(chrono::Duration::hours(24));
        let mut lease = Lease {
            created: now,
            expires: now + ttl,
        };
        if let Some(ns) = existing {
            let labels = ns.metadata.labels.clone().unwrap_or_default();
            if !super::guardrails::is_managed(&labels) {
                return Err(format!(
                    "namespace {name} exists and is not managed by the platform: not touching it"
                ));
            }
            let annotation = |key: &str| {
                ns.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(key))
                    .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
                    .map(|t| t.with_timezone(&Utc))
            };
            lease.created = annotation(LEASE_CREATED).unwrap_or(now);
            lease.expires = lease
                .expires
                .max(annotation(LEASE_EXPIRES).unwrap_or(lease.expires));
        }
        let o = objects::namespace_objects(&name, who, lease, &self.settings);
        self.apply(&namespaces, &name, &o.namespace).await?;
        let c = &self.client;
        self.apply(
            &Api::namespaced(c.clone(), &name),
            objects::AGENT_SERVICE_ACCOUNT,
            &o.service_account,
        )
        .await?;
        for (role, binding) in &o.rbac {
            let ns = role.metadata.namespace.as_deref().unwrap_or(&name);
            let role_name = role.metadata.name.as_deref().unwrap_or(objects::AGENT_ROLE);
            self.apply(&Api::namespaced(c.clone(), ns), role_name, role)
                .await?;
            self.apply(&Api::namespaced(c.clone(), ns), role_name, binding)
                .await?;
        }
        self.apply(&Api::namespaced(c.clone(), &name), objects::QUOTA, &o.quota)
            .await?;
        self.apply(
            &Api::namespaced(c.clone(), &name),
            objects::LIMITS,
            &o.limits,
        )
        .await?;
        for policy in &o.policies {
            let policy_name = policy.metadata.name.as_deref().unwrap_or_default();
            self.apply(&Api::namespaced(c.clone(), &name), policy_name, policy)
                .await?;
        }
        Ok(name)
    }

    /// The Jobs of a run, newest attempt last.
    async fn jobs(&self, ns: &str, run_id: Uuid) -> Result<Vec<Job>, String> {
        let api: Api<Job> = Api::namespaced(self.client.clone(), ns);
        let list = self
            .call(
                "list jobs",
                api.list(&ListParams::default().labels(&format!("{RUN_ID}={run_id}"))),
            )
            .await?;
        let mut jobs = list.items;
        jobs.sort_by_key(|j| {
            j.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(ATTEMPT))
                .and_then(|a| a.parse::<u32>().ok())
                .unwrap_or(0)
        });
        Ok(jobs)
    }

    async fn pods_of(&self, ns: &str, job: &str) -> Result<Vec<Pod>, String> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), ns);
        Ok(self
            .call(
                "list pods",
                api.list(&ListParams::default().labels(&format!("job-name={job}"))),
            )
            .await?
            .items)
    }

    /// The verdict on the run's latest Job; none when it has no Job.
    pub async fn verdict(&self, ws: &Workspace) -> Result<Option<(String, JobVerdict)>, String> {
        let (ns, run_id) = parse_handle(ws)?;
        let Some(job) = self.jobs(&ns, run_id).await?.pop() else {
            return Ok(None);
        };
        let name = job.metadata.name.clone().unwrap_or_default();
        let pods = self.pods_of(&ns, &name).await?;
        Ok(Some((name, job_status::classify(&job, &pods))))
    }

    /// The last lines of the agent container's log of `job` (bounded), if there is a pod.
    pub async fn log_tail(&self, ns: &str, job: &str) -> Result<Option<String>, String> {
        let Some(pod) = self.pods_of(ns, job).await?.pop() else {
            return Ok(None);
        };
        let api: Api<Pod> = Api::namespaced(self.client.clone(), ns);
        let params = LogParams {
            container: Some(AGENT_CONTAINER.into()),
            tail_lines: Some(self.settings.log_tail_lines),
            limit_bytes: Some(MAX_LOG_TAIL as i64),
            ..LogParams::default()
        };
        let name = pod.metadata.name.unwrap_or_default();
        match tokio::time::timeout(self.settings.call_timeout, api.logs(&name, &params)).await {
            Ok(Ok(log)) => Ok(Some(log)),
            Ok(Err(e)) if is_status(&e, 404) || is_status(&e, 400) => Ok(None),
            Ok(Err(e)) => Err(format!("pod log: {}", describe(&e))),
            Err(_) => Err("pod log: no answer in time".into()),
        }
    }

    /// The plain environment of the agent container: run metadata, the configured model
    /// settings and the spec's variables but the run token (which goes into the Secret).
    fn plain_env(&self, spec: &AgentSpec) -> Vec<(String, String)> {
        crate::runtime::agent_env::run_metadata(spec)
            .into_iter()
            .chain(self.settings.agent_env.iter().cloned())
            .chain(spec.env.iter().filter(|(k, _)| k != RUN_TOKEN_VAR).cloned())
            .collect()
    }

    async fn replace<K>(&self, api: &Api<K>, name: &str, object: &K) -> Result<K, String>
    where
        K: Resource + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
    {
        match tokio::time::timeout(
            self.settings.call_timeout,
            api.delete(name, &DeleteParams::background()),
        )
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) if is_status(&e, 404) => {}
            Ok(Err(e)) => return Err(format!("delete {name}: {}", describe(&e))),
            Err(_) => return Err(format!("delete {name}: no answer in time")),
        }
        self.call(
            &format!("create {name}"),
            api.create(&PostParams::default(), object),
        )
        .await
    }

    /// Makes the Job the owner of its Secret and ConfigMap, so they go with it.
    async fn adopt(&self, ns: &str, job: &Job) -> Result<(), String> {
        let owner = OwnerReference {
            api_version: "batch/v1".into(),
            kind: "Job".into(),
            name: job.metadata.name.clone().unwrap_or_default(),
            uid: job.metadata.uid.clone().unwrap_or_default(),
            controller: Some(false),
            block_owner_deletion: Some(false),
        };
        let patch = Patch::Merge(json!({ "metadata": { "ownerReferences": [owner] } }));
        let name = owner.name.clone();
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), ns);
        let maps: Api<ConfigMap> = Api::namespaced(self.client.clone(), ns);
        self.call(
            "own secret",
            secrets.patch(&names::agent_secret(&name), &PatchParams::default(), &patch),
        )
        .await?;
        self.call(
            "own prompt",
            maps.patch(&names::agent_prompt(&name), &PatchParams::default(), &patch),
        )
        .await?;
        Ok(())
    }

    /// Resolves with the agent's exit code (`-1` for an infrastructure failure) once the Job
    /// `job` in `ns` finished, from a watch that re-lists after errors; it gives up after
    /// [`MAX_WATCH_ERRORS`] errors in a row (the stage's probe still sees the end).
    pub fn exit_watch(&self, ns: &str, job: &str) -> BoxFuture<'static, i32> {
        let this = self.clone();
        let (ns, job) = (ns.to_owned(), job.to_owned());
        async move {
            let api: Api<Job> = Api::namespaced(this.client.clone(), &ns);
            let config = watcher::Config::default().fields(&format!("metadata.name={job}"));
            let mut events = watcher(api, config).default_backoff().applied_objects().boxed();
            let mut errors = 0;
            while let Some(event) = events.next().await {
                match event {
                    Ok(seen) => {
                        errors = 0;
                        let pods = this.pods_of(&ns, &job).await.unwrap_or_default();
                        match job_status::classify(&seen, &pods) {
                            JobVerdict::Running => continue,
                            verdict => return exit_code(&verdict),
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        tracing::warn!(namespace = %ns, job = %job, error.message = %e, errors, "agent Job watch failed; re-listing");
                        if errors >= MAX_WATCH_ERRORS {
                            break;
                        }
                    }
                }
            }
            futures::future::pending().await
        }
        .boxed()
    }

    async fn delete_jobs(&self, ws: &Workspace) -> Result<(), String> {
        let (ns, run_id) = parse_handle(ws)?;
        let api: Api<Job> = Api::namespaced(self.client.clone(), &ns);
        for job in self.jobs(&ns, run_id).await? {
            let name = job.metadata.name.unwrap_or_default();
            match tokio::time::timeout(
                self.settings.call_timeout,
                api.delete(&name, &DeleteParams::background()),
            )
            .await
            {
                Ok(Ok(_)) => tracing::info!(namespace = %ns, job = %name, "agent Job deleted"),
                Ok(Err(e)) if is_status(&e, 404) => {}
                Ok(Err(e)) => return Err(format!("delete job {name}: {}", describe(&e))),
                Err(_) => return Err(format!("delete job {name}: no answer in time")),
            }
        }
        Ok(())
    }

    async fn delete_launch_objects(&self, ws: &Workspace) -> Result<(), String> {
        let (ns, run_id) = parse_handle(ws)?;
        let selector = ListParams::default().labels(&format!("{RUN_ID}={run_id}"));
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), &ns);
        let maps: Api<ConfigMap> = Api::namespaced(self.client.clone(), &ns);
        for s in self
            .call("list secrets", secrets.list_metadata(&selector))
            .await?
            .items
        {
            let name = s.metadata.name.unwrap_or_default();
            if let Err(e) = secrets.delete(&name, &DeleteParams::default()).await
                && !is_status(&e, 404)
            {
                return Err(format!("delete secret {name}: {}", describe(&e)));
            }
        }
        for m in self
            .call("list configmaps", maps.list_metadata(&selector))
            .await?
            .items
        {
            let name = m.metadata.name.unwrap_or_default();
            if let Err(e) = maps.delete(&name, &DeleteParams::default()).await
                && !is_status(&e, 404)
            {
                return Err(format!("delete configmap {name}: {}", describe(&e)));
            }
        }
        Ok(())
    }
}

/// The exit code the stage run sees for a verdict: the agent's own, `-1` for the infrastructure.
pub fn exit_code(verdict: &JobVerdict) -> i32 {
    match verdict {
        JobVerdict::Running => -1,
        JobVerdict::Succeeded => 0,
        JobVerdict::AgentFailed { code } => *code,
        JobVerdict::Infrastructure { .. } => -1,
    }
}

impl AgentRuntime for KubernetesRuntime {
    fn prepare<'a>(
        &'a self,
        spec: &'a AgentSpec,
    ) -> BoxFuture<'a, Result<Workspace, RuntimeError>> {
        async move {
            let who = Self::who(spec)?;
            let ns = self
                .ensure_namespace(&who, Utc::now())
                .await
                .map_err(RuntimeError::Prepare)?;
            tracing::info!(run_id = %spec.run_id, namespace = %ns, "run namespace ready");
            Ok(Workspace {
                handle: format!("{ns}/{}", spec.run_id),
                repo_dir: None,
                base_commit: None,
            })
        }
        .boxed()
    }

    fn launch<'a>(
        &'a self,
        ws: &'a Workspace,
        spec: &'a AgentSpec,
    ) -> BoxFuture<'a, Result<Launched, RuntimeError>> {
        async move {
            let err = RuntimeError::Launch;
            let (ns, run_id) = parse_handle(ws).map_err(err)?;
            let job = names::agent_job(run_id, spec.attempt);
            let jobs: Api<Job> = Api::namespaced(self.client.clone(), &ns);
            if self.call("get job", jobs.get_opt(&job)).await.map_err(err)?.is_some() {
                return Ok(Launched { agent: job.clone(), exited: Some(self.exit_watch(&ns, &job)) });
            }
            let who = Self::who(spec)?;
            let token = spec
                .env
                .iter()
                .find(|(k, _)| k == RUN_TOKEN_VAR)
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| RuntimeError::Launch("no run token for the agent".into()))?;
            let checkout = spec.checkout.as_ref().map(|c| (c.clone_url.as_str(), c.default_branch.as_str()));
            let launch = Launch {
                namespace: &ns,
                job: &job,
                run_id,
                attempt: spec.attempt,
                role: &spec.role,
                uses_api: objects::uses_api(&who),
                checkout,
                branch: &spec.branch,
                env: self.plain_env(spec),
                model_key_var: self.settings.model_key.as_ref().map(|(var, _)| var.as_str()),
            };
            let model_key = self.settings.model_key.as_ref().map(|(_, key)| key.expose());
            let secrets: Api<Secret> = Api::namespaced(self.client.clone(), &ns);
            let maps: Api<ConfigMap> = Api::namespaced(self.client.clone(), &ns);
            let secret = objects::credentials(&launch, token, model_key);
            self.replace(&secrets, &names::agent_secret(&job), &secret).await.map_err(err)?;
            self.replace(&maps, &names::agent_prompt(&job), &objects::prompt(&launch, &spec.prompt)).await.map_err(err)?;
            let manifest = objects::agent_job(&launch, &self.settings);
            let created = match tokio::time::timeout(self.settings.call_timeout, jobs.create(&PostParams::default(), &manifest)).await {
                Ok(Ok(created)) => created,
                // Another worker created it between our get and create: the same launch.
                Ok(Err(e)) if is_status(&e, 409) => self.call("get job", jobs.get(&job)).await.map_err(err)?,
                Ok(Err(e)) => return Err(RuntimeError::Launch(format!("create job {job}: {}", describe(&e)))),
                Err(_) => return Err(RuntimeError::Launch(format!("create job {job}: no answer in time"))),
            };
            if let Err(e) = self.adopt(&ns, &created).await {
                tracing::warn!(namespace = %ns, job = %job, error.message = %e, "could not make the Job own its Secret; release deletes it");
            }
            tracing::info!(%run_id, namespace = %ns, job = %job, attempt = spec.attempt, "agent Job created");
            Ok(Launched { agent: job.clone(), exited: Some(self.exit_watch(&ns, &job)) })
        }
        .boxed()
    }

    fn probe<'a>(&'a self, ws: &'a Workspace) -> BoxFuture<'a, Result<AgentState, RuntimeError>> {
        async move {
            Ok(match self.verdict(ws).await.map_err(RuntimeError::Collect)? {
                None => AgentState::Gone,
                Some((_, JobVerdict::Running)) => AgentState::Running,
                Some((job, JobVerdict::Infrastructure { reason })) => {
                    tracing::warn!(handle = %ws.handle, job = %job, reason = %reason, "agent pod failed outside the agent");
                    AgentState::Gone
                }
                Some((_, verdict)) => AgentState::Exited { code: exit_code(&verdict) },
            })
        }
        .boxed()
    }

    fn collect<'a>(
        &'a self,
        ws: &'a Workspace,
    ) -> BoxFuture<'a, Result<AgentOutput, RuntimeError>> {
        async move {
            let err = RuntimeError::Collect;
            let (ns, _) = parse_handle(ws).map_err(err)?;
            let verdict = self.verdict(ws).await.map_err(err)?;
            let (exit_code, log_tail, failure) = match verdict {
                None => (-1, None, Some("the agent Job is gone".to_owned())),
                Some((job, verdict)) => {
                    let tail = self.log_tail(&ns, &job).await.unwrap_or_else(|e| {
                        tracing::warn!(job = %job, error.message = %e, "could not read the agent's log");
                        None
                    });
                    let failure = match &verdict {
                        JobVerdict::Infrastructure { reason } => Some(reason.clone()),
                        _ => None,
                    };
                    (exit_code(&verdict), tail, failure)
                }
            };
            Ok(AgentOutput {
                exit_code,
                final_message: None,
                // The checkout is in the pod: the write scope is checked when the runner asks
                // for its push credential (ADR 0018), on the paths it changed.
                changed_files: Vec::new(),
                pull_request: None,
                result_found: false,
                log_tail,
                infrastructure_failure: failure,
            })
        }
        .boxed()
    }

    fn stop<'a>(&'a self, ws: &'a Workspace) -> BoxFuture<'a, Result<(), RuntimeError>> {
        async move { self.delete_jobs(ws).await.map_err(RuntimeError::Release) }.boxed()
    }

    fn release<'a>(&'a self, ws: &'a Workspace) -> BoxFuture<'a, Result<(), RuntimeError>> {
        async move {
            self.delete_jobs(ws).await.map_err(RuntimeError::Release)?;
            // The namespace stays for its lease (inspection, revise reuse); cleanup deletes it.
            self.delete_launch_objects(ws)
                .await
                .map_err(RuntimeError::Release)
        }
        .boxed()
    }

    fn sweep<'a>(
        &'a self,
        now: chrono::DateTime<chrono::Utc>,
        active: &'a std::collections::HashSet<(Uuid, u64)>,
    ) -> BoxFuture<'a, Result<crate::runtime::Swept, RuntimeError>> {
        Box::pin(async move {
            self.sweep_namespaces(now, active)
                .await
                .map_err(RuntimeError::Cleanup)
        })
    }

    fn thread_closed<'a>(
        &'a self,
        project: Uuid,
        thread: u64,
    ) -> BoxFuture<'a, Result<crate::runtime::Swept, RuntimeError>> {
        Box::pin(async move {
            self.delete_thread_namespaces(project, thread)
                .await
                .map_err(RuntimeError::Cleanup)
        })
    }

    fn environment_name(&self, role: &str, scope: RunScope) -> Option<String> {
        Some(self.namespace_name(role, scope))
    }

    fn environment<'a>(
        &'a self,
        run_id: Uuid,
        role: &'a str,
        scope: RunScope,
    ) -> BoxFuture<'a, Result<Option<EnvironmentView>, RuntimeError>> {
        Box::pin(async move {
            let view = self.inspect(run_id, role, scope).await;
            view.map(Some).map_err(RuntimeError::Inspect)
        })
    }

    fn delete_environment<'a>(
        &'a self,
        role: &'a str,
        scope: RunScope,
        in_use: BoxFuture<'a, Result<bool, String>>,
    ) -> BoxFuture<'a, Result<Option<EnvironmentDeletion>, RuntimeError>> {
        Box::pin(async move {
            let deleted = self.delete_run_namespace(role, scope, in_use).await;
            deleted.map(Some).map_err(RuntimeError::Cleanup)
        })
    }

    fn reveal_secret<'a>(
        &'a self,
        run_id: Uuid,
        role: &'a str,
        scope: RunScope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<SecretLookup>, RuntimeError>> {
        Box::pin(async move {
            let found = self.read_run_secret(run_id, role, scope, name).await;
            found.map(Some).map_err(RuntimeError::Inspect)
        })
    }
}
