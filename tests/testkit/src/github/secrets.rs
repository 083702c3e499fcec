//! Repository Actions secrets: `GET /repos/{o}/{r}/actions/secrets/public-key` (a per-repository
//! X25519 key, made on first use) and `PUT …/actions/secrets/{name}` with a sealed value and the
//! key's id, answered 201 when new and 204 when replaced, 422 for a stale key id or a value that
//! does not open. The fake opens each value with the repository's secret key, so a test reads
//! back exactly what GitHub would store; `GET …/secrets/{name}` never shows it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::{Engine, engine::general_purpose::STANDARD};
use crypto_box::{SecretKey, aead::OsRng};
use serde::Deserialize;
use serde_json::json;

use super::json;
use super::route::reply;
use super::server::Shared;

/// One repository's sealing key.
#[derive(Clone)]
pub(super) struct RepositoryKey {
    pub(super) id: String,
    secret: [u8; 32],
}

impl std::fmt::Debug for RepositoryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepositoryKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl RepositoryKey {
    /// A fresh key with this id.
    pub(super) fn generate(id: u64) -> Self {
        Self {
            id: id.to_string(),
            secret: SecretKey::generate(&mut OsRng).to_bytes(),
        }
    }

    fn public_base64(&self) -> String {
        STANDARD.encode(SecretKey::from(self.secret).public_key().as_bytes())
    }

    fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let sealed = STANDARD.decode(sealed).ok()?;
        SecretKey::from(self.secret).unseal(&sealed).ok()
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct SecretWrite {
    encrypted_value: String,
    key_id: String,
}

pub(super) async fn public_key(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let key = shared.lock().actions_key(&format!("{owner}/{repo}"));
    reply(
        StatusCode::OK,
        json!({ "key_id": key.id, "key": key.public_base64() }),
    )
}

pub(super) async fn put_secret(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, name)): Path<(String, String, String)>,
    Json(write): Json<SecretWrite>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let mut state = shared.lock();
    let key = state.actions_key(&repo);
    if key.id != write.key_id {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json::error("Validation Failed: key_id does not match the repository's public key"),
        );
    }
    let Some(value) = key.open(&write.encrypted_value) else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json::error("Validation Failed: encrypted_value could not be decrypted"),
        );
    };
    let created = state.set_actions_secret(&repo, &name, value);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    status.into_response()
}

pub(super) async fn get_secret(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    if shared.lock().actions_secret(&repo, &name).is_none() {
        return reply(StatusCode::NOT_FOUND, json::error("Not Found"));
    }
    reply(
        StatusCode::OK,
        json!({
            "name": name.to_uppercase(),
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }),
    )
}
