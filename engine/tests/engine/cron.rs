//! Cron schedules against real workers: one run per tick with competing workers, no tick skipped
//! silently after downtime, a re-registered schedule keeps its due tick, a broken one is disabled.

use std::{collections::BTreeSet, time::Duration};

use engine::{CatchUp, ScheduleOptions};
use serde_json::Value;
use sqlx::PgPool;

use crate::{
    flows::{self, Double, Num},
    support::*,
};

/// Tick times (µs) of the runs a schedule started, from their idempotency keys.
async fn fired_ticks(pool: &PgPool, schedule: &str) -> Vec<i64> {
    let keys: Vec<String> = sqlx::query_scalar(
        "select idempotency_key from workflow_runs where idempotency_key like $1 order by 1",
    )
    .bind(format!("cron:{schedule}:%"))
    .fetch_all(pool)
    .await
    .unwrap();
    let ticks: BTreeSet<i64> = keys
        .iter()
        .map(|k| k.rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ticks.len(), keys.len(), "one run per tick: {keys:?}");
    ticks.into_iter().collect()
}

async fn cron_events(pool: &PgPool, kind: &str) -> Vec<Value> {
    sqlx::query_scalar(
        "select detail from flow_events where kind = $1 and run_id is null order by id",
    )
    .bind(kind)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Polls until `check` holds, or panics after 20 s.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_cron_schedule_fires_once_per_tick_with_three_competing_workers_and_skips_none() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let workers: Vec<_> = (0..3)
        .map(|_| spawn_worker(&pool, flows::registry(), fast_config(&[("default", 4)])))
        .collect();
    client
        .schedule::<Double>(
            "every-second",
            "* * * * * *",
            &Num { n: 1 },
            ScheduleOptions::default(),
        )
        .await
        .unwrap();
    eventually("four ticks fired", || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from workflow_runs where kind = 'test_double'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
            >= 4
    })
    .await;
    for w in workers {
        w.stop().await;
    }
    let ticks = fired_ticks(&pool, "every-second").await;
    assert!(
        ticks.windows(2).all(|w| w[1] - w[0] == 1_000_000),
        "consecutive ticks, none skipped: {ticks:?}"
    );
    assert!(cron_events(&pool, "cron_ticks_coalesced").await.is_empty());
}

/// Simulates downtime: the schedule's next tick is put an hour in the past.
async fn as_if_down_for_an_hour(pool: &PgPool, schedule: &str) {
    sqlx::query(
        "update cron_schedules set next_fire_at = date_trunc('minute', now()) - interval '1 hour' where id = $1",
    )
    .bind(schedule)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn ticks_missed_during_downtime_fire_once_or_are_skipped_by_policy_and_never_silently() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let minutely = "0 * * * * *";
    client
        .schedule::<Double>(
            "fire-once",
            minutely,
            &Num { n: 1 },
            ScheduleOptions::default(),
        )
        .await
        .unwrap();
    let skip = ScheduleOptions {
        catch_up: CatchUp::Skip {
            tolerance: Duration::from_secs(5),
        },
        ..Default::default()
    };
    client
        .schedule::<Double>("skip", minutely, &Num { n: 2 }, skip)
        .await
        .unwrap();
    as_if_down_for_an_hour(&pool, "fire-once").await;
    as_if_down_for_an_hour(&pool, "skip").await;
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 4)]));
    eventually("both schedules handled their missed ticks", || async {
        !cron_events(&pool, "cron_ticks_coalesced").await.is_empty()
            && !cron_events(&pool, "cron_ticks_skipped").await.is_empty()
    })
    .await;
    worker.stop().await;

    let coalesced = cron_events(&pool, "cron_ticks_coalesced").await;
    assert_eq!(coalesced.len(), 1, "{coalesced:?}");
    let fired = fired_ticks(&pool, "fire-once").await;
    assert_eq!(
        fired.len(),
        1,
        "one run for all the missed ticks: {fired:?}"
    );
    assert!(
        coalesced[0]["count"].as_i64().unwrap() >= 59,
        "the event counts the hour of missed ticks: {coalesced:?}"
    );
    assert_eq!(
        coalesced[0]["fired"], coalesced[0]["latest"],
        "the run is for the latest tick"
    );

    let skipped = cron_events(&pool, "cron_ticks_skipped").await;
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0]["count"].as_i64().unwrap() >= 59, "{skipped:?}");
    let late = fired_ticks(&pool, "skip").await;
    assert_eq!(
        late.len(),
        usize::from(!skipped[0]["fired"].is_null()),
        "only a tick within the tolerance fires: {skipped:?}"
    );
    let next_due: bool = sqlx::query_scalar(
        "select bool_and(next_fire_at > now() - interval '1 minute') from cron_schedules",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(next_due, "both schedules moved past the downtime");
}

#[tokio::test]
async fn registering_a_schedule_again_keeps_its_due_tick() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let hourly = "0 0 * * * *";
    client
        .schedule::<Double>("boot", hourly, &Num { n: 1 }, ScheduleOptions::default())
        .await
        .unwrap();
    as_if_down_for_an_hour(&pool, "boot").await;
    let due: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("select next_fire_at from cron_schedules where id = 'boot'")
            .fetch_one(&pool)
            .await
            .unwrap();
    // What every process does at boot.
    client
        .schedule::<Double>("boot", hourly, &Num { n: 1 }, ScheduleOptions::default())
        .await
        .unwrap();
    let kept: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("select next_fire_at from cron_schedules where id = 'boot'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(kept, due, "the due tick survives a re-registration");
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 4)]));
    eventually("the due tick fired", || async {
        !fired_ticks(&pool, "boot").await.is_empty()
    })
    .await;
    worker.stop().await;
}

#[tokio::test]
async fn a_schedule_that_cannot_advance_is_disabled_with_an_event_and_others_still_fire() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    // A year that has passed: due now (set below), never again.
    client
        .schedule::<Double>(
            "past",
            "0 0 0 1 1 * 2030",
            &Num { n: 1 },
            ScheduleOptions::default(),
        )
        .await
        .unwrap();
    sqlx::query("update cron_schedules set expression = '0 0 0 1 1 * 2020', next_fire_at = now() - interval '1 day' where id = 'past'")
        .execute(&pool)
        .await
        .unwrap();
    client
        .schedule::<Double>(
            "fine",
            "* * * * * *",
            &Num { n: 2 },
            ScheduleOptions::default(),
        )
        .await
        .unwrap();
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 4)]));
    eventually(
        "the broken schedule is disabled and the other fires",
        || async {
            !cron_events(&pool, "cron_schedule_disabled")
                .await
                .is_empty()
                && !fired_ticks(&pool, "fine").await.is_empty()
        },
    )
    .await;
    worker.stop().await;
    let (disabled, reason): (bool, Option<String>) = sqlx::query_as(
        "select disabled_at is not null, disabled_reason from cron_schedules where id = 'past'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(disabled);
    assert!(reason.unwrap().contains("cannot advance"));
}
