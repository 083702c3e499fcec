//! Queries on `cron_schedules`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Row};

use crate::error::{Result, db};

/// A schedule row.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    pub(crate) id: String,
    pub(crate) expression: String,
    pub(crate) kind: String,
    pub(crate) queue: String,
    pub(crate) input: Value,
    pub(crate) next_fire_at: DateTime<Utc>,
}

/// Creates or replaces a schedule.
pub(crate) async fn upsert(e: impl PgExecutor<'_>, s: &Schedule) -> Result<()> {
    sqlx::query(include_str!("../../queries/cron_schedules/upsert.sql"))
        .bind(&s.id)
        .bind(&s.expression)
        .bind(&s.kind)
        .bind(&s.queue)
        .bind(&s.input)
        .bind(s.next_fire_at)
        .execute(e)
        .await
        .map_err(db("cron_schedule::upsert"))?;
    Ok(())
}

/// Locks due schedules.
pub(crate) async fn lock_due(e: impl PgExecutor<'_>, limit: i64) -> Result<Vec<Schedule>> {
    let rows = sqlx::query(include_str!("../../queries/cron_schedules/lock_due.sql"))
        .bind(limit)
        .fetch_all(e)
        .await
        .map_err(db("cron_schedule::lock_due"))?;
    Ok(rows
        .into_iter()
        .map(|r| Schedule {
            id: r.get("id"),
            expression: r.get("expression"),
            kind: r.get("kind"),
            queue: r.get("queue"),
            input: r.get("input"),
            next_fire_at: r.get("next_fire_at"),
        })
        .collect())
}

/// Moves a schedule past the tick it fired; false when another worker already did.
pub(crate) async fn advance(
    e: impl PgExecutor<'_>,
    id: &str,
    fired: DateTime<Utc>,
    next: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(include_str!("../../queries/cron_schedules/advance.sql"))
        .bind(id)
        .bind(fired)
        .bind(next)
        .execute(e)
        .await
        .map_err(db("cron_schedule::advance"))?;
    Ok(done.rows_affected() == 1)
}
