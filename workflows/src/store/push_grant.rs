//! Push grants (`push_grants`, ADR 0018): per launch, the sha256 of the runner's key, and whether
//! the one push credential was handed out.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use crate::error::{Result, db};

/// A grant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushGrant {
    /// The stage run.
    pub agent_run_id: Uuid,
    /// sha256 of the runner's key.
    pub key_sha256: String,
    /// When the credential went out, if it did.
    pub issued_at: Option<DateTime<Utc>>,
    /// Its end of validity.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Registers the launch's key; false when the launch already registered one (first one wins).
pub async fn register(
    e: impl PgExecutor<'_>,
    token_sha256: &str,
    run_id: Uuid,
    key_sha256: &str,
) -> Result<bool> {
    let done = sqlx::query(include_str!("../../queries/push_grants/register.sql"))
        .bind(token_sha256)
        .bind(run_id)
        .bind(key_sha256)
        .execute(e)
        .await
        .map_err(db("push_grant::register"))?;
    Ok(done.rows_affected() == 1)
}

/// Marks the grant issued for `valid_secs` if the key matches and it was not issued yet;
/// returns the end of validity, or `None` (wrong key, already issued, no grant).
pub async fn issue(
    e: impl PgExecutor<'_>,
    token_sha256: &str,
    key_sha256: &str,
    valid_secs: f64,
) -> Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar(include_str!("../../queries/push_grants/issue.sql"))
        .bind(token_sha256)
        .bind(key_sha256)
        .bind(valid_secs)
        .fetch_optional(e)
        .await
        .map_err(db("push_grant::issue"))
}

/// The launch's grant, if registered.
pub async fn get(e: impl PgExecutor<'_>, token_sha256: &str) -> Result<Option<PushGrant>> {
    let row = sqlx::query(include_str!("../../queries/push_grants/get.sql"))
        .bind(token_sha256)
        .fetch_optional(e)
        .await
        .map_err(db("push_grant::get"))?;
    Ok(row.map(|r| PushGrant {
        agent_run_id: r.get("agent_run_id"),
        key_sha256: r.get("key_sha256"),
        issued_at: r.get("issued_at"),
        expires_at: r.get("expires_at"),
    }))
}
