//! Cron ticks, fired by the maintenance leader: each due schedule is locked, advanced past now and
//! its run started in one transaction, with an idempotency key naming the tick, so each tick starts
//! at most one run however many processes try. Ticks missed while no worker ran are handled by the
//! schedule's catch-up policy and always leave an event; a schedule that cannot advance is disabled
//! with an event instead of staying due.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

use crate::{
    Result,
    client::{next_tick, parse_cron},
    error::db,
    store::{self, cron_schedule::Due},
};

/// Most missed ticks counted one by one after downtime; beyond it the count says "at least".
const MAX_COUNTED: usize = 10_000;

/// Fires the due ticks of up to `limit` schedules; returns how many runs were started.
pub(crate) async fn fire_due(pool: &PgPool, limit: i64) -> Result<usize> {
    let mut tx = pool.begin().await.map_err(db("cron begin"))?;
    let due = store::cron_schedule::lock_due(&mut *tx, limit).await?;
    let mut started = 0;
    for d in due {
        started += fire(&mut tx, &d).await?;
    }
    tx.commit().await.map_err(db("cron commit"))?;
    Ok(started)
}

/// The due ticks of a schedule: the latest one, how many earlier ones were missed, and the next.
struct Ticks {
    latest: DateTime<Utc>,
    missed: usize,
    next: DateTime<Utc>,
}

fn ticks(expression: &str, first: DateTime<Utc>, now: DateTime<Utc>) -> Result<Ticks> {
    let schedule = parse_cron(expression)?;
    let just = chrono::Duration::milliseconds(1);
    let latest = schedule
        .after(&(now + just))
        .next_back()
        .filter(|t| *t >= first)
        .unwrap_or(first);
    let missed = schedule
        .after(&(first - just))
        .take_while(|t| *t < latest)
        .take(MAX_COUNTED)
        .count();
    Ok(Ticks {
        latest,
        missed,
        next: next_tick(expression, now.max(latest))?,
    })
}

async fn fire(tx: &mut sqlx::PgConnection, d: &Due) -> Result<usize> {
    let s = &d.schedule;
    let ticks = match ticks(&s.expression, s.next_fire_at, d.db_now) {
        Ok(t) => t,
        Err(e) => {
            let reason = format!("cannot advance: {e}");
            tracing::error!(schedule = %s.id, reason, "cron schedule disabled");
            store::cron_schedule::disable(&mut *tx, &s.id, &reason).await?;
            let detail = json!({ "schedule": s.id, "expression": s.expression, "reason": reason });
            store::flow_event::insert_orphan(&mut *tx, "cron_schedule_disabled", &detail).await?;
            return Ok(0);
        }
    };
    if !store::cron_schedule::advance(&mut *tx, &s.id, s.next_fire_at, ticks.next).await? {
        return Ok(0);
    }
    let late_ms = (d.db_now - ticks.latest).num_milliseconds();
    let fire_latest = s.catch_up != "skip" || late_ms <= s.tolerance_ms;
    let skipped = ticks.missed + usize::from(!fire_latest);
    if ticks.missed > 0 || !fire_latest {
        let kind = if s.catch_up == "skip" {
            "cron_ticks_skipped"
        } else {
            "cron_ticks_coalesced"
        };
        let detail = json!({
            "schedule": s.id, "policy": s.catch_up, "count": skipped, "at_least": ticks.missed >= MAX_COUNTED,
            "first": s.next_fire_at, "latest": ticks.latest, "fired": fire_latest.then_some(ticks.latest),
        });
        tracing::warn!(schedule = %s.id, count = skipped, policy = %s.catch_up, "cron ticks missed");
        store::flow_event::insert_orphan(&mut *tx, kind, &detail).await?;
    }
    if !fire_latest {
        return Ok(0);
    }
    let key = format!("cron:{}:{}", s.id, ticks.latest.timestamp_micros());
    let new = store::run::NewRun {
        id: uuid::Uuid::now_v7(),
        kind: &s.kind,
        code_version: u32::try_from(s.code_version).unwrap_or(1),
        queue: &s.queue,
        input: &s.input,
        priority: 0,
        idempotency_key: Some(&key),
        concurrency_keys: &[],
        concurrency_limits: &[],
        budget_ms: None,
        run_at: None,
        trace_parent: None,
    };
    let started = store::run::start(&mut *tx, &new).await?;
    Ok(usize::from(started.created))
}
