//! Per-run bearer tokens (`run_tokens`): issued when an agent launches, stored as sha256, revoked
//! when the run ends. The token is never logged, stored in clear or put in step history.

use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{Result, db};

/// A run token in clear: only the agent's environment holds it. `Debug`/`Display` redact it.
#[derive(Clone, PartialEq, Eq)]
pub struct RunToken(String);

impl RunToken {
    /// A fresh random token (256 bits).
    pub fn generate() -> Self {
        Self(format!(
            "ck8s_run_{}{}",
            Uuid::new_v4().simple(),
            Uuid::new_v4().simple()
        ))
    }

    /// A token as presented by a caller.
    pub fn from_presented(raw: &str) -> Self {
        Self(raw.trim().to_owned())
    }

    /// The clear value, for the agent's environment only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for RunToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RunToken(<redacted>)")
    }
}

impl fmt::Display for RunToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Stores a new token for the run.
pub async fn insert(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
    token: &RunToken,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(include_str!("../../queries/run_tokens/insert.sql"))
        .bind(run_id)
        .bind(token.digest())
        .bind(expires_at)
        .execute(e)
        .await
        .map_err(db("run_token::insert"))?;
    Ok(())
}

/// The run a live token belongs to.
pub async fn verify(e: impl PgExecutor<'_>, token: &RunToken) -> Result<Option<Uuid>> {
    sqlx::query_scalar(include_str!("../../queries/run_tokens/verify.sql"))
        .bind(token.digest())
        .fetch_optional(e)
        .await
        .map_err(db("run_token::verify"))
}

/// Revokes every token of the run.
pub async fn revoke_for_run(e: impl PgExecutor<'_>, run_id: Uuid) -> Result<()> {
    sqlx::query(include_str!("../../queries/run_tokens/revoke_for_run.sql"))
        .bind(run_id)
        .execute(e)
        .await
        .map_err(db("run_token::revoke_for_run"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_prints_its_value() {
        let t = RunToken::generate();
        assert!(!format!("{t:?} {t}").contains(t.expose()));
        assert_eq!(t.digest().len(), 64);
    }
}
