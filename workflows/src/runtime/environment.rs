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

/// A Secret's values, read for a permitted person's explicit reveal. Its `Debug` names the keys
/// only, so a value cannot reach a log line through it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretReveal {
    /// The namespace it is in.
    pub namespace: String,
    /// The Secret's name.
    pub name: String,
    /// Its values by key, sorted by key.
    pub values: Vec<RevealedValue>,
}

impl SecretReveal {
    /// The key names, in order.
    pub fn keys(&self) -> Vec<String> {
        self.values.iter().map(|v| v.key.clone()).collect()
    }
}

impl std::fmt::Debug for SecretReveal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretReveal")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("keys", &self.keys())
            .finish()
    }
}

/// One value of a revealed Secret: its text when it is UTF-8, else its base64.
#[derive(Clone, PartialEq, Eq)]
pub struct RevealedValue {
    /// The key.
    pub key: String,
    /// The value, as `encoding` says.
    pub value: String,
    /// How `value` holds the stored bytes.
    pub encoding: ValueEncoding,
}

/// How a revealed value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueEncoding {
    /// The stored bytes are UTF-8 text: the value is that text.
    Utf8,
    /// The stored bytes are not text: the value is their base64.
    Base64,
}

impl RevealedValue {
    /// The value of `key` from the Secret's stored bytes.
    pub fn from_bytes(key: String, bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(value) => Self {
                key,
                value,
                encoding: ValueEncoding::Utf8,
            },
            Err(e) => Self {
                key,
                value: base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    e.into_bytes(),
                ),
                encoding: ValueEncoding::Base64,
            },
        }
    }
}

/// What looking up a Secret for a reveal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretLookup {
    /// The Secret, with its values.
    Revealed(SecretReveal),
    /// No such Secret in the run's environment (in the project's shared `code-only` namespace,
    /// only the run's own Secrets count).
    NotFound,
    /// The guardrails refused; why.
    Refused(String),
}
