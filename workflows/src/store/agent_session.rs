//! Codex session snapshots (`agent_sessions`) of a run lineage, and what agent runners report on
//! their run (`agent_runs.agent_status`, heartbeats).
//!
//! A lineage is every run of one Issue (`<owner/name>#<issue>`): they share one codex thread, whose
//! rollout file the runner uploads after every turn as the lineage's next version. An upload names
//! the version it replaces, so a runner working from a stale snapshot is refused instead of
//! silently overwriting a newer conversation.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool, Row, postgres::PgRow};
use uuid::Uuid;

use super::agent_run::AgentRun;
use crate::error::{Result, db};

/// The lineage of a run: `<owner/name>#<issue>/<role>` (the thread number for runs without an
/// Issue). The runs of one role on one Issue share a codex thread (a revise resumes the stage's
/// conversation); another role, the reviewer included, starts its own (ADR 0020).
pub fn lineage(run: &AgentRun) -> String {
    format!(
        "{}#{}/{}",
        run.repository,
        run.issue_number.unwrap_or(run.thread_number),
        run.role
    )
}

/// Hex sha256 of a snapshot's content, as stored and checked.
pub fn sha256_hex(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

/// A stored snapshot without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotMeta {
    /// The run that uploaded it.
    pub agent_run_id: Uuid,
    /// Its lineage.
    pub lineage: String,
    /// The codex thread (session) id.
    pub thread_id: String,
    /// Version within the lineage, from 1.
    pub version: i32,
    /// The rollout file name, restored under the same name.
    pub file_name: String,
    /// Hex sha256 of the content.
    pub sha256: String,
    /// Content length.
    pub size_bytes: i64,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

impl SnapshotMeta {
    fn from_row(r: &PgRow) -> Self {
        Self {
            agent_run_id: r.get("agent_run_id"),
            lineage: r.get("lineage"),
            thread_id: r.get("thread_id"),
            version: r.get("version"),
            file_name: r.get("file_name"),
            sha256: r.get("sha256"),
            size_bytes: r.get("size_bytes"),
            created_at: r.get("created_at"),
        }
    }
}

/// A stored snapshot with its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Its metadata.
    pub meta: SnapshotMeta,
    /// The rollout file's bytes.
    pub content: Vec<u8>,
}

/// A snapshot to store as the lineage's next version.
#[derive(Debug, Clone)]
pub struct NewSnapshot<'a> {
    /// The uploading run.
    pub agent_run_id: Uuid,
    /// Its lineage.
    pub lineage: &'a str,
    /// The codex thread id.
    pub thread_id: &'a str,
    /// The version this one replaces (0 when the lineage has none yet).
    pub expected_version: i32,
    /// The rollout file name.
    pub file_name: &'a str,
    /// The rollout file's bytes (their sha256 is computed here).
    pub content: &'a [u8],
    /// How many of the lineage's latest snapshots are kept; older ones are deleted when this one is
    /// stored (retention).
    pub keep: i32,
}

/// What storing a snapshot did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Stored as a new version.
    Stored(SnapshotMeta),
    /// The same content was already stored as the next version by the same run (a retried upload).
    Replayed(SnapshotMeta),
    /// The lineage is not at the expected version: refused.
    Stale {
        /// The lineage's latest version now (0 when it has none).
        current: i32,
    },
}

/// Stores `new` as the lineage's next version, unless the lineage moved past `expected_version`.
/// A retry of an upload that was stored (same run, same content) answers `Replayed`.
pub async fn save(pool: &PgPool, new: &NewSnapshot<'_>) -> Result<Saved> {
    let sha256 = sha256_hex(new.content);
    let size_bytes = new.content.len() as i64;
    let inserted = sqlx::query(include_str!("../../queries/agent_sessions/insert_next.sql"))
        .bind(new.agent_run_id)
        .bind(new.lineage)
        .bind(new.thread_id)
        .bind(new.expected_version)
        .bind(new.file_name)
        .bind(&sha256)
        .bind(size_bytes)
        .bind(new.content)
        .fetch_optional(pool)
        .await;
    let row = match inserted {
        Ok(row) => row,
        // Another upload took the same version between our check and our insert.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => None,
        Err(e) => return Err(db("agent_session::save")(e)),
    };
    if let Some(row) = row {
        sqlx::query(include_str!(
            "../../queries/agent_sessions/prune_superseded.sql"
        ))
        .bind(new.lineage)
        .bind(new.keep.max(1))
        .execute(pool)
        .await
        .map_err(db("agent_session::prune_superseded"))?;
        return Ok(Saved::Stored(SnapshotMeta {
            agent_run_id: new.agent_run_id,
            lineage: new.lineage.to_owned(),
            thread_id: new.thread_id.to_owned(),
            version: row.get("version"),
            file_name: new.file_name.to_owned(),
            sha256,
            size_bytes,
            created_at: row.get("created_at"),
        }));
    }
    let latest = latest_meta(pool, new.lineage).await?;
    Ok(match latest {
        Some(m)
            if m.version == new.expected_version + 1
                && m.sha256 == sha256
                && m.agent_run_id == new.agent_run_id
                && m.thread_id == new.thread_id =>
        {
            Saved::Replayed(m)
        }
        other => Saved::Stale {
            current: other.map_or(0, |m| m.version),
        },
    })
}

/// The lineage's latest snapshot, without content.
pub async fn latest_meta(e: impl PgExecutor<'_>, lineage: &str) -> Result<Option<SnapshotMeta>> {
    let row = sqlx::query(include_str!("../../queries/agent_sessions/latest_meta.sql"))
        .bind(lineage)
        .fetch_optional(e)
        .await
        .map_err(db("agent_session::latest_meta"))?;
    Ok(row.as_ref().map(SnapshotMeta::from_row))
}

/// The lineage's latest snapshot with its content.
pub async fn latest(e: impl PgExecutor<'_>, lineage: &str) -> Result<Option<Snapshot>> {
    let row = sqlx::query(include_str!("../../queries/agent_sessions/latest.sql"))
        .bind(lineage)
        .fetch_optional(e)
        .await
        .map_err(db("agent_session::latest"))?;
    Ok(row.map(|r| Snapshot {
        meta: SnapshotMeta::from_row(&r),
        content: r.get("content"),
    }))
}

/// Records a runner heartbeat on its run and on the token it came with (`token_id`, one launch
/// attempt), where the waiting stage run reads it; returns the run's status (none when the run is
/// gone).
pub async fn heartbeat(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
    token_id: i64,
) -> Result<Option<String>> {
    sqlx::query_scalar(include_str!("../../queries/agent_sessions/heartbeat.sql"))
        .bind(run_id)
        .bind(token_id)
        .fetch_optional(e)
        .await
        .map_err(db("agent_session::heartbeat"))
}
