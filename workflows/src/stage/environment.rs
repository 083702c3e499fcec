//! A stage run's environment for the staff API: what the runtime shows of it, deleting it on
//! request once no run of its thread is active (audited as an `environment_deleted` flow event),
//! and revealing one of its Secrets to a permitted person (audited as `secret_revealed` before
//! the values are handed over). The runtime applies the guardrails; this decides which
//! environment a run has.

use futures::FutureExt;
use serde_json::json;
use uuid::Uuid;

use super::workflow::scope;
use crate::{
    platform::Platform,
    runtime::{
        EnvironmentDeletion, EnvironmentView, RunScope, RuntimeError, SecretLookup, SecretReveal,
    },
    store::{agent_run, flow_event},
};

/// Why a run's environment could not be shown or deleted.
#[derive(Debug, thiserror::Error)]
pub enum EnvironmentError {
    /// There is no such run.
    #[error("run not found")]
    NotFound,
    /// The runtime keeps no environment beyond a run's workspace (the local runtime), or the
    /// run's stored scope is not one this build knows.
    #[error("the run has no environment in this runtime")]
    NoEnvironment,
    /// The namespace is the project's shared `code-only` one: only the sweep deletes it.
    #[error("namespace {0} is shared by the project's code-only runs: only the sweep deletes it")]
    Shared(String),
    /// The guardrails refused (the platform did not create it, or it is part of the platform).
    #[error("{0}")]
    Refused(String),
    /// The run's environment has no Secret of that name (or does not exist now).
    #[error("no such secret in the run's environment")]
    SecretNotFound,
    /// A run of its thread is active, or it changed while it was deleted.
    #[error("{0}")]
    InUse(String),
    /// The runtime failed (the API server's status and message inside).
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::Error),
}

async fn run_scope(p: &Platform, run_id: Uuid) -> Result<(String, RunScope), EnvironmentError> {
    let run = agent_run::get(&p.pool, run_id)
        .await?
        .ok_or(EnvironmentError::NotFound)?;
    let scope = scope(&run).ok_or(EnvironmentError::NoEnvironment)?;
    Ok((run.role, scope))
}

/// The name of run `run_id`'s environment (its namespace), without asking the runtime's API;
/// none for a runtime without environments.
pub async fn environment_name(
    p: &Platform,
    run_id: Uuid,
) -> Result<Option<String>, EnvironmentError> {
    let (role, scope) = match run_scope(p, run_id).await {
        Ok(found) => found,
        Err(EnvironmentError::NoEnvironment) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(p.runtime.environment_name(&role, scope))
}

/// The environment of run `run_id` as the runtime sees it now.
pub async fn environment(p: &Platform, run_id: Uuid) -> Result<EnvironmentView, EnvironmentError> {
    let (role, scope) = run_scope(p, run_id).await?;
    p.runtime
        .environment(run_id, &role, scope)
        .await?
        .ok_or(EnvironmentError::NoEnvironment)
}

/// Deletes the environment of run `run_id` now, for `actor`; its namespace's name.
pub async fn delete_environment(
    p: &Platform,
    run_id: Uuid,
    actor: &str,
) -> Result<String, EnvironmentError> {
    let (role, scope) = run_scope(p, run_id).await?;
    let pool = p.pool.clone();
    let in_use = async move {
        let active = agent_run::active_threads(&pool)
            .await
            .map_err(|e| e.to_string())?;
        let thread = i64::try_from(scope.thread).unwrap_or(i64::MAX);
        Ok(active.contains(&(scope.project_id, thread)))
    }
    .boxed();
    let deleted = p
        .runtime
        .delete_environment(&role, scope, in_use)
        .await?
        .ok_or(EnvironmentError::NoEnvironment)?;
    match deleted {
        EnvironmentDeletion::Deleted(namespace) => {
            let detail = json!({ "namespace": namespace, "by": actor });
            flow_event::insert(&p.pool, Some(run_id), "environment_deleted", &detail).await?;
            Ok(namespace)
        }
        EnvironmentDeletion::Shared(namespace) => Err(EnvironmentError::Shared(namespace)),
        EnvironmentDeletion::Refused(why) => Err(EnvironmentError::Refused(why)),
        EnvironmentDeletion::InUse(why) => Err(EnvironmentError::InUse(why)),
    }
}

/// The Secret `name` of run `run_id`'s environment with its values, revealed to `actor` (a
/// permitted person: the caller checked the role). The reveal is recorded as a `secret_revealed`
/// flow event naming the namespace, the Secret, its keys and the actor, never a value; when that
/// record cannot be written, nothing is revealed.
pub async fn reveal_secret(
    p: &Platform,
    run_id: Uuid,
    name: &str,
    actor: &str,
) -> Result<SecretReveal, EnvironmentError> {
    let (role, scope) = run_scope(p, run_id).await?;
    let found = p
        .runtime
        .reveal_secret(run_id, &role, scope, name)
        .await?
        .ok_or(EnvironmentError::NoEnvironment)?;
    match found {
        SecretLookup::Revealed(reveal) => {
            let detail = json!({
                "namespace": reveal.namespace,
                "secret": reveal.name,
                "keys": reveal.keys(),
                "by": actor,
            });
            flow_event::insert(&p.pool, Some(run_id), "secret_revealed", &detail).await?;
            Ok(reveal)
        }
        SecretLookup::NotFound => Err(EnvironmentError::SecretNotFound),
        SecretLookup::Refused(why) => Err(EnvironmentError::Refused(why)),
    }
}
