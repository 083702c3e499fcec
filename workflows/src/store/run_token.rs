//! Per-run bearer tokens (`run_tokens`): issued when an agent launches, stored as sha256, revoked
//! when the run ends. The token is never logged, stored in clear or put in step history.

use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, Row};
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

    /// The hex sha256 the table stores: names the launch without revealing the token.
    pub fn fingerprint(&self) -> String {
        self.digest()
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

/// A token to store for one launch attempt of a run.
#[derive(Debug, Clone, Copy)]
pub struct NewLaunchToken<'a> {
    /// The stage run.
    pub run_id: Uuid,
    /// The token in clear (only its sha256 is stored).
    pub token: &'a RunToken,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// The launch attempt it is issued for.
    pub attempt: u32,
}

/// Stores a token for a launch attempt and revokes the tokens of the run's older attempts, whose
/// agents were replaced: a report made with one of those is refused from now on.
pub async fn insert_for_attempt(e: impl PgExecutor<'_>, new: &NewLaunchToken<'_>) -> Result<()> {
    sqlx::query(include_str!(
        "../../queries/run_tokens/insert_for_attempt.sql"
    ))
    .bind(new.run_id)
    .bind(new.token.digest())
    .bind(new.expires_at)
    .bind(attempt_i32(new.attempt))
    .execute(e)
    .await
    .map_err(db("run_token::insert_for_attempt"))?;
    Ok(())
}

fn attempt_i32(attempt: u32) -> i32 {
    i32::try_from(attempt).unwrap_or(i32::MAX)
}

/// Who a live token speaks for: a run and one launch attempt of its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Launch {
    /// The token's row (heartbeats are stamped on it).
    pub token_id: i64,
    /// The stage run.
    pub run_id: Uuid,
    /// The launch attempt the token was issued for.
    pub attempt: u32,
}

/// The run and launch attempt of a live token.
pub async fn verify_launch(e: impl PgExecutor<'_>, token: &RunToken) -> Result<Option<Launch>> {
    let row: Option<(i64, Uuid, i32)> =
        sqlx::query_as(include_str!("../../queries/run_tokens/verify_launch.sql"))
            .bind(token.digest())
            .fetch_optional(e)
            .await
            .map_err(db("run_token::verify_launch"))?;
    Ok(row.map(|(token_id, run_id, attempt)| Launch {
        token_id,
        run_id,
        attempt: u32::try_from(attempt).unwrap_or(0),
    }))
}

/// The latest launch attempt of a run as its tokens tell it, for the liveness check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liveness {
    /// The latest launch attempt.
    pub attempt: u32,
    /// When its first token was issued (about when the agent was launched).
    pub issued_at: DateTime<Utc>,
    /// The agent's last heartbeat in that attempt, if it sent one.
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// The database's clock when this was read (or the pinned `now`).
    pub now: DateTime<Utc>,
}

impl Liveness {
    /// True when the agent sent a heartbeat in this attempt and none for `bound` since: it stalled
    /// or vanished. An agent that never sent one is judged by its runtime alone.
    pub fn is_stale(&self, bound: std::time::Duration) -> bool {
        let bound = chrono::Duration::from_std(bound).unwrap_or(chrono::Duration::MAX);
        self.last_heartbeat_at
            .is_some_and(|beat| self.now.signed_duration_since(beat) > bound)
    }
}

/// The run's latest launch attempt and its last heartbeat (none when no token was issued);
/// `now` pins the clock (default: the database's).
pub async fn get_liveness(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
    now: Option<DateTime<Utc>>,
) -> Result<Option<Liveness>> {
    let row = sqlx::query(include_str!("../../queries/run_tokens/get_liveness.sql"))
        .bind(run_id)
        .bind(now)
        .fetch_optional(e)
        .await
        .map_err(db("run_token::get_liveness"))?;
    Ok(row.map(|r| Liveness {
        attempt: u32::try_from(r.get::<i32, _>("attempt")).unwrap_or(0),
        issued_at: r.get("issued_at"),
        last_heartbeat_at: r.get("last_heartbeat_at"),
        now: r.get("now"),
    }))
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

/// Spends the launch's checkout credential (see `issue_checkout.sql`); the stage run, or none
/// when the token is not live, the credential went out already or the agent has started.
pub async fn issue_checkout(e: impl PgExecutor<'_>, token_sha256: &str) -> Result<Option<Uuid>> {
    sqlx::query_scalar(include_str!("../../queries/run_tokens/issue_checkout.sql"))
        .bind(token_sha256)
        .fetch_optional(e)
        .await
        .map_err(db("run_token::issue_checkout"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_agent_that_beat_and_then_fell_silent_is_stale() {
        let now = Utc::now();
        let at = |secs_ago: i64| Liveness {
            attempt: 0,
            issued_at: now - chrono::Duration::seconds(600),
            last_heartbeat_at: Some(now - chrono::Duration::seconds(secs_ago)),
            now,
        };
        let bound = std::time::Duration::from_secs(90);
        assert!(!at(30).is_stale(bound));
        assert!(!at(90).is_stale(bound));
        assert!(at(91).is_stale(bound));
        let silent = Liveness {
            last_heartbeat_at: None,
            ..at(0)
        };
        assert!(!silent.is_stale(bound), "never beat: the runtime decides");
    }

    #[test]
    fn a_token_never_prints_its_value() {
        let t = RunToken::generate();
        assert!(!format!("{t:?} {t}").contains(t.expose()));
        assert_eq!(t.digest().len(), 64);
    }
}
