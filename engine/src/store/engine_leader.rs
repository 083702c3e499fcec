//! Queries on `engine_leaders`: one process at a time holds a role, renewed before it expires.

use sqlx::PgExecutor;

use crate::error::{Result, db};

/// Takes or renews a leader role for `ttl_secs`; true when this holder has it now.
pub(crate) async fn acquire(
    e: impl PgExecutor<'_>,
    role: &str,
    holder: &str,
    ttl_secs: f64,
) -> Result<bool> {
    let row = sqlx::query(include_str!("../../queries/engine_leaders/acquire.sql"))
        .bind(role)
        .bind(holder)
        .bind(ttl_secs)
        .fetch_optional(e)
        .await
        .map_err(db("engine_leader::acquire"))?;
    Ok(row.is_some())
}

/// Gives a leader role up.
pub(crate) async fn resign(e: impl PgExecutor<'_>, role: &str, holder: &str) -> Result<()> {
    sqlx::query(include_str!("../../queries/engine_leaders/resign.sql"))
        .bind(role)
        .bind(holder)
        .execute(e)
        .await
        .map_err(db("engine_leader::resign"))?;
    Ok(())
}
