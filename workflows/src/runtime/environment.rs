//! What a runtime shows of a run's environment for inspection (the staff API): its namespace,
//! lease, the guardrails' view of it, and the Jobs, Pods and Secrets in it. A Secret shows its
//! key names only: values never leave the cluster through this view.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A run's environment as the runtime sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentView {
    /// The namespace.
    pub namespace: String,
    /// Whether it exists (not yet prepared, or already deleted, when not).
    pub exists: bool,
    /// Whether it is shared by the project's `code-only` runs (then only this run's objects are
    /// listed, and it is deleted only by the sweep).
    pub shared: bool,
    /// `ai_slot`, `ai_staging` or `prod`, by the guardrails' configuration.
    pub environment: String,
    /// Whether the guardrails make it view-only to people (the platform's own namespace in
    /// `ai-staging` or `prod`).
    pub view_only: bool,
    /// When its lease began.
    pub lease_created_at: Option<DateTime<Utc>>,
    /// When its lease ends (then the sweep deletes it unless a run of its thread is active).
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Jobs, oldest first.
    pub jobs: Vec<JobView>,
    /// Pods, oldest first.
    pub pods: Vec<PodView>,
    /// Secrets, by name: key names only.
    pub secrets: Vec<SecretView>,
}

/// One Job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    /// Name.
    pub name: String,
    /// `running`, `succeeded` or `failed`.
    pub state: String,
    /// Why it failed: the agent's exit code, or the infrastructure's reason (`OOMKilled`, …).
    pub reason: Option<String>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
}

/// One Pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodView {
    /// Name.
    pub name: String,
    /// Its phase (`Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`).
    pub phase: String,
    /// The pod's or a container's reason, when one is set (`Evicted`, `OOMKilled`, …).
    pub reason: Option<String>,
    /// Container restarts, summed.
    pub restarts: i64,
}

/// One Secret, without its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretView {
    /// Name.
    pub name: String,
    /// Its key names, sorted.
    pub keys: Vec<String>,
    /// Whether the platform created it.
    pub managed: bool,
}

/// What deleting a run's environment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvironmentDeletion {
    /// Deleted (or already gone).
    Deleted(String),
    /// The namespace is the project's shared `code-only` one: only the sweep deletes it.
    Shared(String),
    /// The guardrails refused (the platform did not create it, or it is part of the platform);
    /// why, naming it.
    Refused(String),
    /// A run still uses it, or it changed while it was deleted; why, naming it.
    InUse(String),
}
