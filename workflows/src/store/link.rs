//! Links (`links`): what a stage run touched, one row per (run, kind, target), written as it
//! happens and read by the status comment and the staff inspection.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use crate::error::{Result, db};

/// What a link points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// The Issue the run works on (target: its number).
    Issue,
    /// The pull request of the work branch (target: its number; metadata: `url`).
    PullRequest,
    /// The work branch (target: its name).
    Branch,
    /// A commit the run pushed (target: its sha).
    Commit,
    /// The agent's codex thread (target: the thread id).
    Session,
    /// The runtime handle the agent ran in (target: a directory, a namespace).
    Runtime,
}

impl LinkKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Issue => "issue",
            LinkKind::PullRequest => "pull_request",
            LinkKind::Branch => "branch",
            LinkKind::Commit => "commit",
            LinkKind::Session => "session",
            LinkKind::Runtime => "runtime",
        }
    }
}

/// One stored link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// `issue`, `pull_request`, `branch`, `commit`, `session` or `runtime`.
    pub kind: String,
    /// The target.
    pub target: String,
    /// Extra facts (a pull request's URL).
    pub metadata: serde_json::Value,
    /// When it was first written.
    pub created_at: DateTime<Utc>,
}

/// Records a link; writing the same (run, kind, target) again changes nothing. True when new.
pub async fn insert(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
    kind: LinkKind,
    target: &str,
    metadata: serde_json::Value,
) -> Result<bool> {
    let done = sqlx::query(include_str!("../../queries/links/insert.sql"))
        .bind(run_id)
        .bind(kind.as_str())
        .bind(target)
        .bind(metadata)
        .execute(e)
        .await
        .map_err(db("link::insert"))?;
    Ok(done.rows_affected() == 1)
}

/// A run's links, oldest first.
pub async fn list_for_run(e: impl PgExecutor<'_>, run_id: Uuid) -> Result<Vec<Link>> {
    let rows = sqlx::query(include_str!("../../queries/links/list_for_run.sql"))
        .bind(run_id)
        .fetch_all(e)
        .await
        .map_err(db("link::list_for_run"))?;
    Ok(rows
        .into_iter()
        .map(|r| Link {
            kind: r.get("kind"),
            target: r.get("target"),
            metadata: r.get("metadata"),
            created_at: r.get("created_at"),
        })
        .collect())
}
