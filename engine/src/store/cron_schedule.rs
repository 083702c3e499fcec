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
    pub(crate) code_version: i32,
    pub(crate) queue: String,
    pub(crate) input: Value,
    pub(crate) next_fire_at: DateTime<Utc>,
    /// `fire_once` or `skip`.
    pub(crate) catch_up: String,
    pub(crate) tolerance_ms: i64,
}

/// A due schedule with the database clock it was read at.
#[derive(Debug, Clone)]
pub(crate) struct Due {
    pub(crate) schedule: Schedule,
    pub(crate) db_now: DateTime<Utc>,
}

/// What an upsert keeps of an existing schedule.
#[derive(Debug, Clone)]
pub(crate) struct Existing {
    pub(crate) expression: String,
    pub(crate) next_fire_at: DateTime<Utc>,
    pub(crate) last_fired_at: Option<DateTime<Utc>>,
}

/// Creates or replaces a schedule.
pub(crate) async fn upsert(e: impl PgExecutor<'_>, s: &Schedule) -> Result<()> {
    sqlx::query(include_str!("../../queries/cron_schedules/upsert.sql"))
        .bind(&s.id)
        .bind(&s.expression)
        .bind(&s.kind)
        .bind(s.code_version)
        .bind(&s.queue)
        .bind(&s.input)
        .bind(s.next_fire_at)
        .bind(&s.catch_up)
        .bind(s.tolerance_ms)
        .execute(e)
        .await
        .map_err(db("cron_schedule::upsert"))?;
    Ok(())
}

/// The schedule's current row, locked, and the database clock.
pub(crate) async fn get_for_update(
    e: impl PgExecutor<'_>,
    id: &str,
) -> Result<Option<(Existing, DateTime<Utc>)>> {
    let row = sqlx::query(include_str!(
        "../../queries/cron_schedules/get_for_update.sql"
    ))
    .bind(id)
    .fetch_optional(e)
    .await
    .map_err(db("cron_schedule::get_for_update"))?;
    Ok(row.map(|r| {
        (
            Existing {
                expression: r.get("expression"),
                next_fire_at: r.get("next_fire_at"),
                last_fired_at: r.get("last_fired_at"),
            },
            r.get("db_now"),
        )
    }))
}

/// Locks due schedules.
pub(crate) async fn lock_due(e: impl PgExecutor<'_>, limit: i64) -> Result<Vec<Due>> {
    let rows = sqlx::query(include_str!("../../queries/cron_schedules/lock_due.sql"))
        .bind(limit)
        .fetch_all(e)
        .await
        .map_err(db("cron_schedule::lock_due"))?;
    Ok(rows
        .into_iter()
        .map(|r| Due {
            schedule: Schedule {
                id: r.get("id"),
                expression: r.get("expression"),
                kind: r.get("kind"),
                code_version: r.get("code_version"),
                queue: r.get("queue"),
                input: r.get("input"),
                next_fire_at: r.get("next_fire_at"),
                catch_up: r.get("catch_up"),
                tolerance_ms: r.get("tolerance_ms"),
            },
            db_now: r.get("db_now"),
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

/// Disables a schedule that cannot advance.
pub(crate) async fn disable(e: impl PgExecutor<'_>, id: &str, reason: &str) -> Result<()> {
    sqlx::query(include_str!("../../queries/cron_schedules/disable.sql"))
        .bind(id)
        .bind(reason)
        .execute(e)
        .await
        .map_err(db("cron_schedule::disable"))?;
    Ok(())
}
