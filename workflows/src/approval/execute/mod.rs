//! The built-in executor of approved control actions (ADR 0026): `secret_sync` between a
//! Kubernetes Secret and a repository Actions secret, and `database_lifecycle` on the configured
//! Postgres with the credentials in a Kubernetes Secret of the environment. Every action is
//! idempotent, so the approval flow's retried step may run it again after a crash. Results name
//! what was done and never carry a secret value. An external executor (`CK8S_EXECUTOR_URL`)
//! stays the alternative: when it is configured, it is used instead.

mod database;
mod kube_secret;
mod secret_sync;

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use database::{DatabaseAdmin, DatabaseAdminError};

use super::{
    config::SigningKey,
    model::{Approval, Kind},
};
use crate::{kubernetes::guardrails::Environments, platform::Platform};

/// Why an action did not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecuteError {
    /// It may pass on another attempt (a timeout, a 5xx, a lost connection).
    #[error("{0}")]
    Transient(String),
    /// It cannot pass as asked (missing configuration, a missing Secret, a refused permission).
    #[error("{0}")]
    Refused(String),
}

/// The built-in executor: the clients and keys it acts with, each optional; an action whose
/// part is missing is refused with the setting to give.
pub struct Executor {
    kube: Option<kube::Client>,
    databases: Option<DatabaseAdmin>,
    value_key: Option<SigningKey>,
    environments: Environments,
    timeout: Duration,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("kube", &self.kube.is_some())
            .field("databases", &self.databases)
            .field("value_key", &self.value_key)
            .field("environments", &self.environments)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Executor {
    /// An executor acting through these parts, under the guardrails of `environments`;
    /// `timeout` bounds each call it makes.
    pub fn new(
        kube: Option<kube::Client>,
        databases: Option<DatabaseAdmin>,
        value_key: Option<SigningKey>,
        environments: Environments,
        timeout: Duration,
    ) -> Self {
        Self {
            kube,
            databases,
            value_key,
            environments,
            timeout,
        }
    }

    /// Performs the approved action `a` and returns what was done, for the request's result.
    pub async fn execute(&self, p: &Platform, a: &Approval) -> Result<Value, ExecuteError> {
        match a.kind {
            Kind::SecretSync => secret_sync::run(self, p, &parse(&a.request)?).await,
            Kind::DatabaseLifecycle => {
                let admin = self.databases.as_ref().ok_or_else(|| {
                    ExecuteError::Refused(
                        "no database server is configured for the built-in executor \
                         (CK8S_DATABASE_ADMIN_URL)"
                            .into(),
                    )
                })?;
                admin
                    .run(
                        self.kube()?,
                        &self.environments,
                        self.timeout,
                        &parse(&a.request)?,
                    )
                    .await
            }
            other => Err(ExecuteError::Refused(format!(
                "a {} request has no executor action",
                other.as_str()
            ))),
        }
    }

    /// Whether the database server knows `database` of `environment`; none without one.
    pub async fn database_exists(
        &self,
        environment: &str,
        database: &str,
    ) -> Option<Result<bool, ExecuteError>> {
        let admin = self.databases.as_ref()?;
        Some(admin.exists(environment, database, self.timeout).await)
    }

    fn kube(&self) -> Result<&kube::Client, ExecuteError> {
        self.kube.as_ref().ok_or_else(|| {
            ExecuteError::Refused(
                "the built-in executor has no Kubernetes access (it needs CK8S_RUNTIME=kubernetes)"
                    .into(),
            )
        })
    }
}

fn parse<T: DeserializeOwned>(request: &Value) -> Result<T, ExecuteError> {
    serde_json::from_value(request.clone())
        .map_err(|e| ExecuteError::Refused(format!("the stored request does not parse: {e}")))
}
