//! Queries on `oauth_logins`: GitHub OAuth logins in flight (state and PKCE verifier), used once.

use sqlx::PgExecutor;

use crate::error::{Result, db};

/// Records a login's state (as sha256) with its PKCE verifier for `ttl_secs`.
pub async fn insert(
    e: impl PgExecutor<'_>,
    state_sha256: &str,
    verifier: &str,
    ttl_secs: f64,
) -> Result<()> {
    sqlx::query(include_str!("../../queries/oauth_logins/insert.sql"))
        .bind(state_sha256)
        .bind(verifier)
        .bind(ttl_secs)
        .execute(e)
        .await
        .map_err(db("oauth_login::insert"))?;
    Ok(())
}

/// Uses a state once; its verifier when it was known, unused and unexpired.
pub async fn take(e: impl PgExecutor<'_>, state_sha256: &str) -> Result<Option<String>> {
    sqlx::query_scalar(include_str!("../../queries/oauth_logins/take.sql"))
        .bind(state_sha256)
        .fetch_optional(e)
        .await
        .map_err(db("oauth_login::take"))
}
