//! `engine_release`: each mode hands the task back due at the right time (by the database clock),
//! records what it must in the same transaction, and a sleep's wake-up is recorded once.

use serde_json::json;

use super::*;
use crate::store::{
    flow_event::NewEvent,
    step,
    task::{ReleaseMode, ReleaseParams, Released},
};

fn params(run_id: Uuid, epoch: i64, mode: ReleaseMode, delay: Duration) -> ReleaseParams<'static> {
    ReleaseParams {
        run_id,
        epoch,
        mode,
        delay,
        run_at: None,
        failed_seq: None,
        failed_attempts: 0,
        sleep_seq: None,
        event: None,
    }
}

async fn task_row(pool: &PgPool, run_id: Uuid) -> (String, DateTime<Utc>, Option<i32>, i32, i32) {
    sqlx::query_as("select state, run_at, failed_seq, failed_attempts, skips from workflow_tasks where run_id = $1")
        .bind(run_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sleep_records_its_wake_up_and_is_due_then() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    let sleep = ReleaseParams {
        sleep_seq: Some(0),
        ..params(
            run_id,
            c.epoch,
            ReleaseMode::Sleep,
            Duration::from_secs(3600),
        )
    };
    let Released::Due(at) = task::release(&pool, &sleep).await.unwrap() else {
        panic!()
    };
    let (state, run_at, ..) = task_row(&pool, run_id).await;
    assert_eq!((state.as_str(), run_at), ("scheduled", at));
    let history = step::list_for_runs(&pool, &[run_id]).await.unwrap();
    let record = &history[&run_id][&0];
    assert_eq!(
        (record.kind, record.name.as_str()),
        (EntryKind::Sleep, "sleep")
    );
    let recorded: DateTime<Utc> =
        serde_json::from_value(record.output.clone().unwrap()["wake_at"].clone()).unwrap();
    assert_eq!(recorded, at, "the recorded wake-up is the one scheduled");
}

#[tokio::test]
async fn a_retry_counts_its_attempt_and_writes_its_event_in_the_same_transaction() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    let retry = ReleaseParams {
        failed_seq: Some(2),
        failed_attempts: 3,
        event: Some(NewEvent {
            run_id,
            kind: "step_retry_scheduled",
            step_seq: Some(2),
            attempt: Some(3),
            detail: json!({"error": "again"}),
        }),
        ..params(run_id, c.epoch, ReleaseMode::Retry, Duration::ZERO)
    };
    assert!(matches!(
        task::release(&pool, &retry).await.unwrap(),
        Released::Due(_)
    ));
    let (state, _, failed_seq, attempts, _) = task_row(&pool, run_id).await;
    assert_eq!(
        (state.as_str(), failed_seq, attempts),
        ("ready", Some(2), 3),
        "no delay: ready at once"
    );
    let detail: serde_json::Value = sqlx::query_scalar(
        "select detail from flow_events where run_id = $1 and kind = 'step_retry_scheduled'",
    )
    .bind(run_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(detail["error"], "again");
    assert!(
        detail["run_at"].is_string(),
        "the event says when the retry is due"
    );
    let c = claim(&pool).await;
    assert_eq!((c.failed_seq, c.failed_attempts), (Some(2), 3));
}

#[tokio::test]
async fn a_skip_counts_toward_parking_and_a_handback_is_due_at_once() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    for expected in 1..=2 {
        let c = claim(&pool).await;
        assert_eq!(c.skips, expected - 1);
        let skip = params(run_id, c.epoch, ReleaseMode::Skip, Duration::ZERO);
        assert!(matches!(
            task::release(&pool, &skip).await.unwrap(),
            Released::Due(_)
        ));
        assert_eq!(task_row(&pool, run_id).await.4, expected);
    }
    assert!(
        event_kinds(&pool, run_id).await.is_empty(),
        "a skip writes no event"
    );
    let c = claim(&pool).await;
    let back = params(
        run_id,
        c.epoch,
        ReleaseMode::Handback,
        Duration::from_secs(3600),
    );
    assert!(matches!(
        task::release(&pool, &back).await.unwrap(),
        Released::Due(_)
    ));
    assert_eq!(
        task_row(&pool, run_id).await.0,
        "ready",
        "a handback ignores any delay"
    );
}

#[tokio::test]
async fn an_ending_run_that_this_worker_cannot_run_is_handed_back_for_one_that_can() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    run::terminate(&pool, run_id, "cancelled", &json!({}))
        .await
        .unwrap();
    let skip = params(run_id, c.epoch, ReleaseMode::Skip, Duration::from_secs(30));
    assert!(
        matches!(task::release(&pool, &skip).await.unwrap(), Released::Due(_)),
        "its cleanup needs a worker that knows its kind: not kept leased here"
    );
    assert_eq!(task_row(&pool, run_id).await.0, "scheduled");
}
