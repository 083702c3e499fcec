//! The approval-gated control actions: secret sync between Kubernetes and GitHub Actions, and
//! environment databases. The platform validates against the allow lists, opens (or reuses, by
//! idempotency key) the request, and answers at once; the approval flow performs an approved
//! request with the built-in executor (`execute`), or hands it to an external executor whose
//! callback records the outcome.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    error::{Error, Result},
    model::{Approval, Kind, State},
    open::{Opened, Opening, open},
    sign::digest,
    store,
};
use crate::{platform::Platform, store::agent_run::AgentRun};

/// How a secret is synced. GitHub Actions secrets are write-only, so GitHub is never a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Copy the Kubernetes Secret key into the GitHub Actions secret.
    KubernetesToGithub,
    /// The executor derives the value (HMAC of its key over the coordinates and the idempotency
    /// key) and writes it to both sides: the same inputs give the same value.
    Deterministic,
}

/// A secret sync as the agent asks it.
#[derive(Debug, Clone)]
pub struct SecretSyncAsk {
    /// GitHub Actions secret name (`[A-Z_][A-Z0-9_]*`, not `GITHUB_*`).
    pub secret_name: String,
    /// Kubernetes namespace (must be allow-listed).
    pub namespace: String,
    /// Kubernetes Secret name (DNS-1123 subdomain).
    pub kubernetes_secret: String,
    /// Key inside the Kubernetes Secret (default: the GitHub secret name).
    pub kubernetes_key: Option<String>,
    /// Sync mode.
    pub mode: SyncMode,
    /// Idempotency key; a repeat with the same key returns the same request.
    pub idempotency_key: Option<String>,
}

/// What `database_lifecycle` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseAction {
    /// Create (approval).
    Create,
    /// Delete (approval, explicit confirmation).
    Delete,
    /// Read what the platform knows (no approval).
    Describe,
}

/// A database action as the agent asks it.
#[derive(Debug, Clone)]
pub struct DatabaseAsk {
    /// Action.
    pub action: DatabaseAction,
    /// Environment (must be allow-listed).
    pub environment: String,
    /// Database name (`[a-z][a-z0-9_]{0,62}`).
    pub database: String,
    /// Must be true to delete.
    pub confirm_delete: bool,
}

fn check(field: &'static str, value: &str, ok: bool, rule: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, format!("{value:?} must be {rule}")))
    }
}

fn dns_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !s.starts_with(['-', '.'])
        && !s.ends_with(['-', '.'])
}

fn outcome(opened: Opened) -> Value {
    let a = &opened.approval;
    let status = match a.state {
        State::Applied => "applied",
        State::Requested => "approval_pending",
        other => other.as_str(),
    };
    json!({
        "status": status,
        "request_id": a.id,
        "state": a.state,
        "reused": !opened.created,
        "expires_at": a.expires_at,
        "result": a.result,
    })
}

fn signature(run: &AgentRun, kind: Kind, key: Option<&str>, request: &Value) -> String {
    let body = key.map_or_else(|| request.to_string(), |k| format!("key:{k}"));
    digest(&[
        kind.as_str(),
        &run.project_id.to_string(),
        &run.repository,
        &body,
    ])
}

/// Validates and opens a secret sync request (or returns the one with the same idempotency key).
pub async fn request_secret_sync(
    p: &Platform,
    run: &AgentRun,
    ask: SecretSyncAsk,
) -> Result<Value> {
    let name = ask.secret_name.trim();
    let name_ok = name.len() <= 100
        && name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with("GITHUB_");
    check(
        "secret_name",
        name,
        name_ok,
        "[A-Z_][A-Z0-9_]* and not GITHUB_*",
    )?;
    check(
        "kubernetes_secret",
        &ask.kubernetes_secret,
        dns_label(&ask.kubernetes_secret, 253),
        "a DNS-1123 subdomain",
    )?;
    let key = ask
        .kubernetes_key
        .clone()
        .unwrap_or_else(|| name.to_owned());
    let key_ok = !key.is_empty()
        && key.len() <= 253
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    check("kubernetes_key", &key, key_ok, "[-._a-zA-Z0-9]+")?;
    if !p.config.approval.secret_namespaces.contains(&ask.namespace) {
        return Err(Error::NotAllowed(format!(
            "namespace {:?} is not allowed for secret sync",
            ask.namespace
        )));
    }
    if let Some(k) = &ask.idempotency_key {
        check(
            "idempotency_key",
            k,
            !k.is_empty() && k.len() <= 200,
            "1..200 characters",
        )?;
    }
    let request = json!({
        "repository": run.repository,
        "secret_name": name,
        "namespace": ask.namespace,
        "kubernetes_secret": ask.kubernetes_secret,
        "kubernetes_key": key,
        "mode": ask.mode,
        "idempotency_key": ask.idempotency_key,
    });
    let signature = signature(
        run,
        Kind::SecretSync,
        ask.idempotency_key.as_deref(),
        &request,
    );
    let opening = Opening {
        run,
        kind: Kind::SecretSync,
        tool: "secret_sync",
        request,
        signature,
    };
    Ok(outcome(open(p, &opening).await?))
}

/// Validates a database action: describe answers at once, create and delete open a request.
pub async fn request_database(p: &Platform, run: &AgentRun, ask: DatabaseAsk) -> Result<Value> {
    let db = ask.database.trim();
    let db_ok = (1..=63).contains(&db.len())
        && db.starts_with(|c: char| c.is_ascii_lowercase())
        && db
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    check("database", db, db_ok, "[a-z][a-z0-9_]{0,62}")?;
    if !p
        .config
        .approval
        .database_environments
        .contains(&ask.environment)
    {
        return Err(Error::NotAllowed(format!(
            "environment {:?} is not allowed for database lifecycle",
            ask.environment
        )));
    }
    if ask.action == DatabaseAction::Describe {
        return describe(p, run, &ask.environment, db).await;
    }
    if ask.action == DatabaseAction::Delete && !ask.confirm_delete {
        return Err(Error::invalid(
            "confirm_delete",
            "deleting a database needs confirm_delete: true",
        ));
    }
    let request = json!({ "environment": ask.environment, "database": db, "action": ask.action });
    let opening = Opening {
        run,
        kind: Kind::DatabaseLifecycle,
        tool: "database_lifecycle",
        signature: signature(run, Kind::DatabaseLifecycle, None, &request),
        request,
    };
    Ok(outcome(open(p, &opening).await?))
}

async fn describe(p: &Platform, run: &AgentRun, environment: &str, db: &str) -> Result<Value> {
    let history = store::list_database_history(&p.pool, run.project_id, environment, db).await?;
    let applied = history.iter().find(|a| a.state == State::Applied);
    let action = |a: &Approval| a.request.get("action").cloned().unwrap_or(Value::Null);
    let recorded = applied.map(|a| action(a) == json!("create"));
    // The server's own answer when the built-in executor manages it; else what was applied.
    let observed = match p.executor() {
        Some(e) => e.database_exists(environment, db).await,
        None => None,
    };
    let (exists, source) = match observed {
        Some(Ok(found)) => (Some(found), "server"),
        Some(Err(e)) => {
            tracing::warn!(error.message = %e, "database server not readable: describing from history");
            (recorded, "history")
        }
        None => (recorded, "history"),
    };
    Ok(json!({
        "status": "described",
        "environment": environment,
        "database": db,
        // null: the platform never created or deleted it, so it does not know
        "exists": exists,
        "source": source,
        "history": history.iter().map(|a| json!({
            "request_id": a.id, "action": action(a), "state": a.state,
            "decided_by": a.decided_by, "at": a.decided_at, "result": a.result,
        })).collect::<Vec<_>>(),
    }))
}
