//! Approval-gated control tools run by the external executor: `secret_sync` and
//! `database_lifecycle`.

use rmcp::{
    ErrorData,
    handler::server::{tool::Extension, wrapper::Parameters},
    model::CallToolResult,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Deserialize;
use workflows::approval::{self, DatabaseAction, DatabaseAsk, SecretSyncAsk, SyncMode};

use super::{
    reply::reply,
    server::{Caller, PlatformMcp},
};

/// How a secret is synced (wire form of [`SyncMode`]).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ModeParam {
    /// Copy the Kubernetes Secret key into the GitHub Actions secret.
    KubernetesToGithub,
    /// The executor derives one value from the coordinates and writes it to both sides.
    Deterministic,
}

impl From<ModeParam> for SyncMode {
    fn from(m: ModeParam) -> Self {
        match m {
            ModeParam::KubernetesToGithub => SyncMode::KubernetesToGithub,
            ModeParam::Deterministic => SyncMode::Deterministic,
        }
    }
}

/// What to do with a database (wire form of [`DatabaseAction`]).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ActionParam {
    /// Create it (approval).
    Create,
    /// Delete it (approval and `confirm_delete`).
    Delete,
    /// Describe what the platform knows (no approval).
    Describe,
}

impl From<ActionParam> for DatabaseAction {
    fn from(a: ActionParam) -> Self {
        match a {
            ActionParam::Create => DatabaseAction::Create,
            ActionParam::Delete => DatabaseAction::Delete,
            ActionParam::Describe => DatabaseAction::Describe,
        }
    }
}

/// A secret to sync between the run's repository (GitHub Actions) and Kubernetes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecretSyncParams {
    /// GitHub Actions secret name, `[A-Z_][A-Z0-9_]*`, not `GITHUB_*`.
    pub(crate) secret_name: String,
    /// Kubernetes namespace; must be on the platform's allow list.
    pub(crate) namespace: String,
    /// Kubernetes Secret name (DNS-1123).
    pub(crate) kubernetes_secret: String,
    /// Key inside the Kubernetes Secret (default: the GitHub secret name).
    #[serde(default)]
    pub(crate) kubernetes_key: Option<String>,
    /// `kubernetes_to_github` copies the Kubernetes value into GitHub; `deterministic` has the
    /// executor derive one value and write it to both (GitHub secrets cannot be read back).
    pub(crate) mode: ModeParam,
    /// Repeating a call with the same key returns the same request (and its outcome).
    #[serde(default)]
    pub(crate) idempotency_key: Option<String>,
}

/// A database action in an environment.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DatabaseParams {
    /// `create` and `delete` need the Owner's approval; `describe` is read-only.
    pub(crate) action: ActionParam,
    /// Environment; must be on the platform's allow list.
    pub(crate) environment: String,
    /// Database name, `[a-z][a-z0-9_]{0,62}`.
    pub(crate) database: String,
    /// Must be true to delete.
    #[serde(default)]
    pub(crate) confirm_delete: bool,
}

#[tool_router(router = control_tools, vis = "pub(crate)")]
impl PlatformMcp {
    /// Opens (or finds, by idempotency key) a secret sync request for the Owner.
    #[tool(
        name = "secret_sync",
        description = "Sync a named secret between the repository's GitHub Actions secrets and a Kubernetes Secret in an allowed namespace. Needs the Owner's approval; returns request_id at once (status approval_pending), the executor applies it after approval. Never pass secret values."
    )]
    async fn secret_sync(
        &self,
        Extension(caller): Extension<Caller>,
        Parameters(p): Parameters<SecretSyncParams>,
    ) -> Result<CallToolResult, ErrorData> {
        let ask = SecretSyncAsk {
            secret_name: p.secret_name,
            namespace: p.namespace,
            kubernetes_secret: p.kubernetes_secret,
            kubernetes_key: p.kubernetes_key,
            mode: p.mode.into(),
            idempotency_key: p.idempotency_key,
        };
        reply(approval::request_secret_sync(&self.platform, &caller.run, ask).await)
    }

    /// Describes a database, or opens a create/delete request for the Owner.
    #[tool(
        name = "database_lifecycle",
        description = "Create, delete or describe a database of an allowed environment. create/delete need the Owner's approval (delete also confirm_delete: true) and return request_id at once; describe answers directly."
    )]
    async fn database_lifecycle(
        &self,
        Extension(caller): Extension<Caller>,
        Parameters(p): Parameters<DatabaseParams>,
    ) -> Result<CallToolResult, ErrorData> {
        let ask = DatabaseAsk {
            action: p.action.into(),
            environment: p.environment,
            database: p.database,
            confirm_delete: p.confirm_delete,
        };
        reply(approval::request_database(&self.platform, &caller.run, ask).await)
    }
}
