//! The executor's few Secret operations, each bounded by the call timeout and each write checked
//! against the guardrails first (as an approved action: a Secret of the platform's own is never
//! deleted, and in `ai-staging`/`prod` never changed). A client error the request caused (403,
//! 404, 422) is final; anything else may pass and is retried.

use std::{collections::BTreeMap, time::Duration};

use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{
    Api, Client,
    api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams, Preconditions},
};

use super::ExecuteError;
use crate::kubernetes::{
    describe,
    guardrails::{self, Action, Actor, Environments, Target, Verdict},
};

/// The field manager of the keys `secret_sync` writes: the executor owns exactly those keys.
const SYNC_MANAGER: &str = "codex-k8s-secret-sync";

/// Secrets of one namespace, through one client, with one timeout per call.
pub(super) struct Secrets<'a> {
    api: Api<Secret>,
    namespace: String,
    envs: &'a Environments,
    timeout: Duration,
}

impl<'a> Secrets<'a> {
    /// The Secrets of `namespace`, in the environments `envs` describe.
    pub(super) fn new(
        client: &Client,
        namespace: &str,
        envs: &'a Environments,
        timeout: Duration,
    ) -> Self {
        Self {
            api: Api::namespaced(client.clone(), namespace),
            namespace: namespace.to_owned(),
            envs,
            timeout,
        }
    }

    /// Refuses `action` on the Secret `name` with `labels` when the guardrails do.
    fn guard(
        &self,
        action: Action,
        name: &str,
        labels: Option<&BTreeMap<String, String>>,
    ) -> Result<(), ExecuteError> {
        let none = BTreeMap::new();
        let target = Target {
            kind: "Secret",
            namespace: &self.namespace,
            labels: labels.unwrap_or(&none),
        };
        match guardrails::decide(self.envs, Actor::Approved, action, target) {
            Verdict::Allow | Verdict::AllowAudited => Ok(()),
            Verdict::DryRun(why) | Verdict::Deny(why) => Err(ExecuteError::Refused(format!(
                "Secret {}/{name}: {why}",
                self.namespace
            ))),
        }
    }

    /// The namespace.
    pub(super) fn namespace(&self) -> &str {
        &self.namespace
    }

    /// One call under the timeout; `tolerate` is a status that answers `None` instead of failing
    /// (409 on create, 404 on delete).
    async fn call<T>(
        &self,
        what: String,
        fut: impl Future<Output = kube::Result<T>>,
        tolerate: Option<u16>,
    ) -> Result<Option<T>, ExecuteError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(v)) => Ok(Some(v)),
            Ok(Err(kube::Error::Api(s))) if Some(s.code) == tolerate => Ok(None),
            Ok(Err(kube::Error::Api(s))) if final_status(s.code) => Err(ExecuteError::Refused(
                format!("{what}: {} {}: {}", s.code, s.reason, s.message),
            )),
            Ok(Err(e)) => Err(ExecuteError::Transient(format!("{what}: {}", describe(&e)))),
            Err(_) => Err(ExecuteError::Transient(format!(
                "{what}: no answer within {:?}",
                self.timeout
            ))),
        }
    }

    /// The Secret `name`, if it exists.
    pub(super) async fn get(&self, name: &str) -> Result<Option<Secret>, ExecuteError> {
        let what = format!("read Secret {}/{name}", self.namespace);
        let found = self.call(what, self.api.get_opt(name), None).await?;
        Ok(found.flatten())
    }

    /// One key of the Secret `name`; refused when the Secret or the key is missing.
    pub(super) async fn read_key(&self, name: &str, key: &str) -> Result<Vec<u8>, ExecuteError> {
        let secret = self.get(name).await?.ok_or_else(|| {
            ExecuteError::Refused(format!("Secret {}/{name} does not exist", self.namespace))
        })?;
        secret
            .data
            .and_then(|mut d| d.remove(key))
            .map(|v| v.0)
            .ok_or_else(|| {
                ExecuteError::Refused(format!(
                    "Secret {}/{name} has no key {key:?}",
                    self.namespace
                ))
            })
    }

    /// Sets one key of the Secret `name` (creating it when missing) by server-side apply under
    /// the sync's own field manager: the Secret's other keys and owners stay as they are.
    pub(super) async fn apply_key(
        &self,
        name: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), ExecuteError> {
        let existing = self.get(name).await?;
        let labels = existing.as_ref().and_then(|s| s.metadata.labels.as_ref());
        self.guard(Action::Change, name, labels)?;
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some(self.namespace.clone()),
                // Judged as read: a Secret relabelled in between answers 409, and the retried
                // attempt reads and judges it again.
                resource_version: existing.and_then(|s| s.metadata.resource_version),
                ..ObjectMeta::default()
            },
            data: Some(BTreeMap::from([(
                key.to_owned(),
                ByteString(value.to_vec()),
            )])),
            ..Secret::default()
        };
        let params = PatchParams::apply(SYNC_MANAGER);
        let what = format!("write key {key:?} of Secret {}/{name}", self.namespace);
        let patch = Patch::Apply(&secret);
        let applied = self.api.patch(name, &params, &patch);
        self.call(what, applied, None).await.map(drop)
    }

    /// Creates `secret`; false when one of its name already exists (nothing is changed then).
    pub(super) async fn create(&self, secret: &Secret) -> Result<bool, ExecuteError> {
        let name = secret.metadata.name.as_deref().unwrap_or_default();
        self.guard(Action::Change, name, secret.metadata.labels.as_ref())?;
        let what = format!("create Secret {}/{name}", self.namespace);
        let params = PostParams::default();
        let created = self.api.create(&params, secret);
        Ok(self.call(what, created, Some(409)).await?.is_some())
    }

    /// Deletes `secret` as it was read (on the condition that it has not changed since: a
    /// relabelled Secret is read and judged again on the next attempt); false when it was
    /// already gone.
    pub(super) async fn delete(&self, secret: &Secret) -> Result<bool, ExecuteError> {
        let name = secret.metadata.name.as_deref().unwrap_or_default();
        self.guard(Action::Delete, name, secret.metadata.labels.as_ref())?;
        let what = format!("delete Secret {}/{name}", self.namespace);
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: secret.metadata.resource_version.clone(),
                uid: secret.metadata.uid.clone(),
            }),
            ..DeleteParams::default()
        };
        let deleted = self.api.delete(name, &params);
        Ok(self.call(what, deleted, Some(404)).await?.is_some())
    }
}

/// Whether an API status is the request's own fault (retrying cannot help): 4xx except
/// conflicts and rate limiting.
fn final_status(code: u16) -> bool {
    (400..500).contains(&code) && code != 409 && code != 429
}
