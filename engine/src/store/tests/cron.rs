//! Cron store transitions: a due schedule is locked by one sweeper at a time, advancing is guarded by
//! the tick that was due, and a disabled schedule is never due.

use futures::FutureExt;
use serde_json::json;

use super::*;
use crate::store::cron_schedule::{self, Schedule};

fn schedule(id: &str, next: DateTime<Utc>) -> Schedule {
    Schedule {
        id: id.into(),
        expression: "* * * * * *".into(),
        kind: "k".into(),
        code_version: 1,
        queue: "q".into(),
        input: json!({}),
        next_fire_at: next,
        catch_up: "fire_once".into(),
        tolerance_ms: 60_000,
    }
}

#[tokio::test]
async fn a_due_schedule_is_locked_by_one_sweeper_and_advanced_once() {
    let pool = pool().await;
    let due = Utc::now() - chrono::Duration::seconds(5);
    cron_schedule::upsert(&pool, &schedule("s", due))
        .await
        .unwrap();
    let mut first = pool.begin().await.unwrap();
    let locked = cron_schedule::lock_due(&mut *first, 10).await.unwrap();
    assert_eq!(locked.len(), 1);
    let second = on_own_connection(&pool, |mut conn| {
        async move { cron_schedule::lock_due(&mut *conn, 10).await.unwrap().len() }.boxed()
    })
    .await;
    assert_eq!(second.result().await, 0, "skipped, not waited for");
    let fired = locked[0].schedule.next_fire_at;
    let next = Utc::now() + chrono::Duration::seconds(1);
    assert!(
        cron_schedule::advance(&mut *first, "s", fired, next)
            .await
            .unwrap()
    );
    assert!(
        !cron_schedule::advance(&mut *first, "s", fired, next)
            .await
            .unwrap(),
        "guarded by the due tick"
    );
    first.commit().await.unwrap();
    assert!(cron_schedule::lock_due(&pool, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_disabled_schedule_is_never_due() {
    let pool = pool().await;
    cron_schedule::upsert(
        &pool,
        &schedule("broken", Utc::now() - chrono::Duration::days(1)),
    )
    .await
    .unwrap();
    cron_schedule::disable(&pool, "broken", "cannot advance")
        .await
        .unwrap();
    assert!(cron_schedule::lock_due(&pool, 10).await.unwrap().is_empty());
    // Registering it again with the same expression keeps it disabled; a new expression re-enables it.
    cron_schedule::upsert(
        &pool,
        &schedule("broken", Utc::now() - chrono::Duration::days(1)),
    )
    .await
    .unwrap();
    assert!(cron_schedule::lock_due(&pool, 10).await.unwrap().is_empty());
    let mut fixed = schedule("broken", Utc::now() - chrono::Duration::days(1));
    fixed.expression = "0 * * * * *".into();
    cron_schedule::upsert(&pool, &fixed).await.unwrap();
    assert_eq!(cron_schedule::lock_due(&pool, 10).await.unwrap().len(), 1);
}
