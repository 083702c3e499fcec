//! Repository Actions secrets, written only: GitHub never returns a secret's value. A value is
//! sealed (libsodium's sealed box: X25519 + XSalsa20-Poly1305) with the repository's current
//! public key and sent with that key's id, so only GitHub can open it. Managed with the platform
//! token (it needs the `secrets` permission on the repository).

use base64::{Engine, engine::general_purpose::STANDARD};
use crypto_box::{PublicKey, aead::OsRng};
use serde::Deserialize;
use serde_json::json;

use super::client::{GitHubClient, Retry, split_repo};
use super::error::{Error, Result};
use super::token::{Identity, Token};

/// What [`GitHubClient::put_actions_secret`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionsSecretWrite {
    /// True when the secret was new (GitHub answered 201), false when it replaced a value (204).
    pub created: bool,
    /// The id of the repository key the value was sealed with.
    pub key_id: String,
}

#[derive(Debug, Deserialize)]
struct RepositoryKey {
    key_id: String,
    key: String,
}

/// Seals `value` for the holder of the X25519 public key `key` (base64), as GitHub expects it:
/// the sealed box, base64.
pub fn seal(key: &str, value: &[u8]) -> std::result::Result<String, String> {
    let raw = STANDARD
        .decode(key.trim())
        .map_err(|e| format!("the repository key is not base64: {e}"))?;
    let raw: [u8; 32] = raw
        .try_into()
        .map_err(|r: Vec<u8>| format!("the repository key has {} bytes, not 32", r.len()))?;
    let sealed = PublicKey::from(raw)
        .seal(&mut OsRng, value)
        .map_err(|_| "sealing the value failed".to_owned())?;
    Ok(STANDARD.encode(sealed))
}

impl GitHubClient {
    /// Creates or replaces the Actions secret `name` of `repo` with `value`. Safe to repeat: the
    /// same value written twice leaves the same secret. Retried on transient failures (a write
    /// whose answer was lost is written again, which changes nothing).
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "put_actions_secret", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, secret = %name))]
    pub async fn put_actions_secret(
        &self,
        repo: &str,
        name: &str,
        value: &Token,
    ) -> Result<ActionsSecretWrite> {
        let (owner, short) = split_repo(repo)?;
        let failed = |source| Error::PutActionsSecret {
            repo: repo.to_owned(),
            name: name.to_owned(),
            source,
        };
        let octo = self.octocrab(Identity::Platform);
        let key_path = format!("/repos/{owner}/{short}/actions/secrets/public-key");
        let key_path = key_path.as_str();
        let key: RepositoryKey = self
            .call(
                "get_actions_public_key",
                Identity::Platform,
                Retry::Transient,
                || octo.get(key_path, None::<&()>),
            )
            .await
            .map_err(failed)?;
        let encrypted =
            seal(&key.key, value.expose().as_bytes()).map_err(|reason| Error::SealSecret {
                repo: repo.to_owned(),
                reason,
            })?;
        let body = json!({ "encrypted_value": encrypted, "key_id": key.key_id });
        let body = &body;
        let path = format!("/repos/{owner}/{short}/actions/secrets/{name}");
        let path = path.as_str();
        let status = self
            .call(
                "put_actions_secret",
                Identity::Platform,
                Retry::Transient,
                || async move {
                    let answer = octo._put(path, Some(body)).await?;
                    let answer = octocrab::map_github_error(answer).await?;
                    Ok(answer.status())
                },
            )
            .await
            .map_err(failed)?;
        Ok(ActionsSecretWrite {
            created: status == http::StatusCode::CREATED,
            key_id: key.key_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use crypto_box::{SecretKey, aead::OsRng};

    use super::seal;

    #[test]
    fn a_sealed_value_opens_with_the_repository_secret_key_only() {
        let holder = SecretKey::generate(&mut OsRng);
        let public = STANDARD.encode(holder.public_key().as_bytes());
        let sealed = STANDARD.decode(seal(&public, b"hunter2").unwrap()).unwrap();
        assert_eq!(holder.unseal(&sealed).unwrap(), b"hunter2");
        // 32-byte ephemeral key + 16-byte tag around the 7 bytes
        assert_eq!(sealed.len(), 32 + 16 + 7);
        let other = SecretKey::generate(&mut OsRng);
        assert!(other.unseal(&sealed).is_err());
        assert!(seal("not base64!", b"x").is_err());
        assert!(seal(&STANDARD.encode([1u8; 31]), b"x").is_err());
    }
}
