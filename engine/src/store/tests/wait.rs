//! `engine_wait` and `engine_signal`: signals kept until waited for and consumed once, the deadline
//! fixed by the database clock when the wait begins, the budget paused and resumed in the same
//! transactions, and a stored wait that differs from what the code asks for reported as a mismatch.

use serde_json::json;

use super::*;
use crate::store::signal::{self, WaitParams, WaitResult};

fn params(run_id: Uuid, epoch: i64, signal: &'static str, pausing: bool) -> WaitParams<'static> {
    WaitParams {
        run_id,
        epoch,
        seq: 0,
        signal,
        pausing,
        timeout: None,
    }
}

#[tokio::test]
async fn a_signal_sent_before_the_wait_is_consumed_by_it_exactly_once() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    assert_eq!(
        signal::send(&pool, run_id, "go", &json!(1), Some("k"))
            .await
            .unwrap(),
        "stored"
    );
    assert_eq!(
        signal::send(&pool, run_id, "go", &json!(1), Some("k"))
            .await
            .unwrap(),
        "duplicate"
    );
    let c = claim(&pool).await;
    match signal::wait(&pool, &params(run_id, c.epoch, "go", false))
        .await
        .unwrap()
    {
        WaitResult::Signalled(p) => assert_eq!(p, json!(1)),
        other => panic!("{other:?}"),
    }
    let next = WaitParams {
        seq: 1,
        ..params(run_id, c.epoch, "go", false)
    };
    assert!(matches!(
        signal::wait(&pool, &next).await.unwrap(),
        WaitResult::Waiting
    ));
    assert_eq!(
        state(&pool, run_id).await,
        st("waiting", None, Some("waiting"), false)
    );
    assert_eq!(
        signal::send(&pool, run_id, "go", &json!(2), None)
            .await
            .unwrap(),
        "woke"
    );
    assert_eq!(
        state(&pool, run_id).await,
        st("pending", None, Some("ready"), false)
    );
    let c = claim(&pool).await;
    match signal::wait(
        &pool,
        &WaitParams {
            seq: 1,
            ..params(run_id, c.epoch, "go", false)
        },
    )
    .await
    .unwrap()
    {
        WaitResult::Signalled(p) => assert_eq!(p, json!(2)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        signal::send(&pool, Uuid::now_v7(), "go", &json!(1), None)
            .await
            .unwrap(),
        "no_run"
    );
}

#[tokio::test]
async fn a_wait_deadline_is_fixed_when_the_wait_begins_and_scheduled_by_the_database_clock() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    let p = WaitParams {
        timeout: Some(Duration::from_secs(3600)),
        ..params(run_id, c.epoch, "go", false)
    };
    assert!(matches!(
        signal::wait(&pool, &p).await.unwrap(),
        WaitResult::Waiting
    ));
    let (deadline, task_at): (DateTime<Utc>, DateTime<Utc>) = sqlx::query_as(
        "select w.deadline_at, t.run_at from workflow_waits w join workflow_tasks t using (run_id) where run_id = $1",
    )
    .bind(run_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(deadline, task_at);
    assert_eq!(
        state(&pool, run_id).await.task.as_deref(),
        Some("scheduled")
    );
    // A replay with another timeout keeps the first deadline.
    sqlx::query("update workflow_tasks set run_at = now() - interval '1 second' where run_id = $1")
        .bind(run_id)
        .execute(&pool)
        .await
        .unwrap();
    let c = claim(&pool).await;
    let replay = WaitParams {
        timeout: Some(Duration::from_millis(1)),
        ..params(run_id, c.epoch, "go", false)
    };
    assert!(matches!(
        signal::wait(&pool, &replay).await.unwrap(),
        WaitResult::Waiting
    ));
    let kept: DateTime<Utc> =
        sqlx::query_scalar("select deadline_at from workflow_waits where run_id = $1")
            .bind(run_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(kept, deadline);
}

#[tokio::test]
async fn a_pausing_wait_stops_the_budget_and_the_signal_restarts_it_with_what_was_left() {
    let pool = pool().await;
    let run_id = start(
        &pool,
        Spec {
            budget_ms: Some(60_000),
            ..Spec::default()
        },
    )
    .await;
    let c = claim(&pool).await;
    assert!(matches!(
        signal::wait(&pool, &params(run_id, c.epoch, "answer", true))
            .await
            .unwrap(),
        WaitResult::Waiting
    ));
    let (since, deadline, spent): (Option<DateTime<Utc>>, Option<DateTime<Utc>>, i64) =
        sqlx::query_as(
            "select active_since, deadline_at, budget_spent_ms from workflow_runs where id = $1",
        )
        .bind(run_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((since, deadline), (None, None), "paused");
    assert!(spent < 60_000);
    assert_eq!(
        signal::send(&pool, run_id, "answer", &json!("yes"), None)
            .await
            .unwrap(),
        "woke"
    );
    let deadline: Option<DateTime<Utc>> =
        sqlx::query_scalar("select deadline_at from workflow_runs where id = $1")
            .bind(run_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(deadline.is_some(), "running again");
    let kinds = event_kinds(&pool, run_id).await;
    assert_eq!(
        kinds,
        [
            "waiting",
            "timer_paused",
            "signal_received",
            "timer_resumed"
        ]
    );
}

#[tokio::test]
async fn a_stored_wait_for_another_signal_or_pausing_flag_is_a_mismatch() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    assert!(matches!(
        signal::wait(&pool, &params(run_id, c.epoch, "x", false))
            .await
            .unwrap(),
        WaitResult::Waiting
    ));
    assert_eq!(
        signal::send(&pool, run_id, "x", &json!(1), None)
            .await
            .unwrap(),
        "woke"
    );
    let c = claim(&pool).await;
    match signal::wait(&pool, &params(run_id, c.epoch, "y", false))
        .await
        .unwrap()
    {
        WaitResult::Mismatch(found) => assert_eq!(found, json!({"signal": "x", "pausing": false})),
        other => panic!("new code waiting for y where x is stored: {other:?}"),
    }
    match signal::wait(&pool, &params(run_id, c.epoch, "x", true))
        .await
        .unwrap()
    {
        WaitResult::Mismatch(found) => assert_eq!(found["pausing"], json!(false)),
        other => panic!("a pausing flag that differs: {other:?}"),
    }
    assert_eq!(
        state(&pool, run_id).await.task.as_deref(),
        Some("leased"),
        "nothing changed"
    );
}
