//! `secret_sync`: a Kubernetes Secret key copied into a repository Actions secret, or a value
//! derived from the request written to both. The derived value is `HMAC-SHA256(key, coordinates
//! and idempotency key)`, base64url: the same request gives the same value on every attempt and
//! on every executor holding the key, so a repeat changes nothing.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{ExecuteError, Executor, kube_secret::Secrets};
use crate::{approval::control::SyncMode, github::Token, platform::Platform};

/// A stored `secret_sync` request (as `control::request_secret_sync` validated it).
#[derive(Debug, Deserialize)]
pub(super) struct SyncRequest {
    repository: String,
    secret_name: String,
    namespace: String,
    kubernetes_secret: String,
    kubernetes_key: String,
    mode: SyncMode,
    idempotency_key: Option<String>,
}

impl SyncRequest {
    /// The value the deterministic mode writes.
    fn derive(&self, key: &[u8]) -> Token {
        let mut m = Hmac::<Sha256>::new_from_slice(key).expect("hmac accepts any key length");
        let idempotency = self.idempotency_key.as_deref().unwrap_or_default();
        for part in [
            "ck8s-secret-sync-v1",
            &self.repository,
            &self.secret_name,
            &self.namespace,
            &self.kubernetes_secret,
            &self.kubernetes_key,
            idempotency,
        ] {
            m.update(part.as_bytes());
            m.update(&[0]);
        }
        Token::new(URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
    }
}

/// Runs one sync: the Kubernetes side first, then GitHub (each write idempotent).
pub(super) async fn run(
    executor: &Executor,
    p: &Platform,
    r: &SyncRequest,
) -> Result<Value, ExecuteError> {
    // The allow list may have shrunk since the request was opened.
    if !p.config.approval.secret_namespaces.contains(&r.namespace) {
        return Err(ExecuteError::Refused(format!(
            "namespace {:?} is no longer allowed for secret sync",
            r.namespace
        )));
    }
    let secrets = Secrets::new(
        executor.kube()?,
        &r.namespace,
        &executor.environments,
        executor.timeout,
    );
    let value = match r.mode {
        SyncMode::KubernetesToGithub => {
            let raw = secrets
                .read_key(&r.kubernetes_secret, &r.kubernetes_key)
                .await?;
            let text = String::from_utf8(raw).map_err(|_| {
                ExecuteError::Refused(format!(
                    "key {:?} of Secret {}/{} is not UTF-8 text, which an Actions secret must be",
                    r.kubernetes_key, r.namespace, r.kubernetes_secret
                ))
            })?;
            Token::new(text)
        }
        SyncMode::Deterministic => {
            let key = executor.value_key.as_ref().ok_or_else(|| {
                ExecuteError::Refused(
                    "deterministic secret sync needs CK8S_SECRET_SYNC_KEY on the platform".into(),
                )
            })?;
            let value = r.derive(key.bytes());
            secrets
                .apply_key(
                    &r.kubernetes_secret,
                    &r.kubernetes_key,
                    value.expose().as_bytes(),
                )
                .await?;
            value
        }
    };
    let written = p
        .code_host
        .put_actions_secret(&r.repository, &r.secret_name, &value)
        .await
        .map_err(|e| {
            let message = crate::error::error_chain(&e);
            if e.classify().is_retryable() {
                ExecuteError::Transient(message)
            } else {
                ExecuteError::Refused(message)
            }
        })?;
    Ok(json!({
        "mode": r.mode,
        "repository": r.repository,
        "secret_name": r.secret_name,
        "kubernetes": format!("{}/{}#{}", r.namespace, r.kubernetes_secret, r.kubernetes_key),
        "github": if written.created { "created" } else { "updated" },
        "github_key_id": written.key_id,
    }))
}
