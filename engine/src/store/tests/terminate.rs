//! `engine_terminate` and the suspensions racing it: a run told to end while its attempt holds the
//! lease is never stranded (waiting with an end reason, no task, its slots held); every later
//! suspension hands it to its cleanup, in either commit order.

use futures::FutureExt;
use serde_json::json;

use super::*;
use crate::store::{
    signal::{self, WaitParams, WaitResult},
    task::{Completed, ReleaseMode, ReleaseParams, Released},
};

fn wait_for(run_id: Uuid, epoch: i64) -> WaitParams<'static> {
    WaitParams {
        run_id,
        epoch,
        seq: 1,
        signal: "go",
        pausing: true,
        timeout: None,
    }
}

fn retry(run_id: Uuid, epoch: i64) -> ReleaseParams<'static> {
    ReleaseParams {
        run_id,
        epoch,
        mode: ReleaseMode::Retry,
        delay: Duration::from_secs(3600),
        run_at: None,
        failed_seq: Some(0),
        failed_attempts: 1,
        sleep_seq: None,
        event: None,
    }
}

async fn cancel(pool: &PgPool, run_id: Uuid) -> String {
    run::terminate(pool, run_id, "cancelled", &json!({"code": "cancelled"}))
        .await
        .unwrap()
}

/// The slot of `issue` (limit 1) is free again and a second run on it is admitted.
async fn key_is_free_for_the_next_run(pool: &PgPool) {
    assert_eq!(active(pool, "issue").await, 0);
    let next = start(
        pool,
        Spec {
            keys: vec![("issue", 1)],
            ..Spec::default()
        },
    )
    .await;
    assert_eq!(state(pool, next).await.task.as_deref(), Some("ready"));
}

#[tokio::test]
async fn a_wait_after_a_cancel_of_a_leased_run_hands_it_to_its_cleanup() {
    let pool = pool().await;
    let run_id = start(
        &pool,
        Spec {
            keys: vec![("issue", 1)],
            budget_ms: Some(60_000),
            ..Spec::default()
        },
    )
    .await;
    let c = claim(&pool).await;
    assert_eq!(cancel(&pool, run_id).await, "terminating");
    // The attempt missed the notice and suspends: it is told to clean up instead, lease kept.
    assert!(matches!(
        signal::wait(&pool, &wait_for(run_id, c.epoch))
            .await
            .unwrap(),
        WaitResult::Ending
    ));
    assert_eq!(
        state(&pool, run_id).await,
        st("pending", Some("cancelled"), Some("leased"), false)
    );
    assert_eq!(
        run::end_if_leased(&pool, run_id, c.epoch, None, &json!({}))
            .await
            .unwrap(),
        run::Ending::Reason("cancelled".into())
    );
    assert!(matches!(
        finish(&pool, &c, "cancelled").await,
        Completed::Finished(_)
    ));
    assert_eq!(
        state(&pool, run_id).await,
        st("cancelled", Some("cancelled"), None, true)
    );
    key_is_free_for_the_next_run(&pool).await;
}

#[tokio::test]
async fn a_retry_sleep_or_success_after_a_cancel_hands_the_run_to_its_cleanup() {
    let pool = pool().await;
    let run_id = start(
        &pool,
        Spec {
            keys: vec![("issue", 1)],
            ..Spec::default()
        },
    )
    .await;
    let c = claim(&pool).await;
    assert_eq!(cancel(&pool, run_id).await, "terminating");
    assert_eq!(
        task::release(&pool, &retry(run_id, c.epoch)).await.unwrap(),
        Released::Ending
    );
    let sleep = ReleaseParams {
        mode: ReleaseMode::Sleep,
        sleep_seq: Some(0),
        ..retry(run_id, c.epoch)
    };
    assert_eq!(
        task::release(&pool, &sleep).await.unwrap(),
        Released::Ending
    );
    assert_eq!(
        finish(&pool, &c, "succeeded").await,
        Completed::Ending("cancelled".into()),
        "a completion after the cancel cannot end the run succeeded"
    );
    // Shutdown hands it back (the next claim cleans up); a cleanup retry releases it too.
    let handback = ReleaseParams {
        mode: ReleaseMode::Handback,
        ..retry(run_id, c.epoch)
    };
    assert!(matches!(
        task::release(&pool, &handback).await.unwrap(),
        Released::Due(_)
    ));
    let again = claim(&pool).await;
    assert_eq!(again.end_reason.as_deref(), Some("cancelled"));
    assert!(matches!(
        finish(&pool, &again, "cancelled").await,
        Completed::Finished(_)
    ));
    key_is_free_for_the_next_run(&pool).await;
}

#[tokio::test]
async fn a_cancel_blocked_behind_a_committing_wait_finds_the_waiting_run_and_readies_its_cleanup() {
    let pool = pool().await;
    let run_id = start(
        &pool,
        Spec {
            keys: vec![("issue", 1)],
            budget_ms: Some(60_000),
            ..Spec::default()
        },
    )
    .await;
    let c = claim(&pool).await;
    let mut wait_tx = pool.begin().await.unwrap();
    assert!(matches!(
        signal::wait(&mut *wait_tx, &wait_for(run_id, c.epoch))
            .await
            .unwrap(),
        WaitResult::Waiting
    ));
    let p2 = pool.clone();
    let cancelling = on_own_connection(&pool, move |mut conn| {
        async move {
            run::terminate(&mut *conn, run_id, "cancelled", &json!({}))
                .await
                .unwrap()
        }
        .boxed()
    })
    .await;
    cancelling.blocked(&p2).await;
    wait_tx.commit().await.unwrap();
    assert_eq!(cancelling.result().await, "terminating");
    assert_eq!(
        state(&pool, run_id).await,
        st("pending", Some("cancelled"), Some("ready"), false)
    );
    let cleanup = claim(&pool).await;
    assert_eq!(cleanup.end_reason.as_deref(), Some("cancelled"));
    assert!(matches!(
        finish(&pool, &cleanup, "cancelled").await,
        Completed::Finished(_)
    ));
    key_is_free_for_the_next_run(&pool).await;
}

#[tokio::test]
async fn a_wait_blocked_behind_a_committing_cancel_is_handed_the_cleanup() {
    let pool = pool().await;
    let run_id = start(
        &pool,
        Spec {
            keys: vec![("issue", 1)],
            ..Spec::default()
        },
    )
    .await;
    let c = claim(&pool).await;
    let mut cancel_tx = pool.begin().await.unwrap();
    assert_eq!(
        run::terminate(&mut *cancel_tx, run_id, "cancelled", &json!({}))
            .await
            .unwrap(),
        "terminating"
    );
    let epoch = c.epoch;
    let waiting = on_own_connection(&pool, move |mut conn| {
        async move {
            signal::wait(&mut *conn, &wait_for(run_id, epoch))
                .await
                .unwrap()
        }
        .boxed()
    })
    .await;
    waiting.blocked(&pool).await;
    cancel_tx.commit().await.unwrap();
    assert!(matches!(waiting.result().await, WaitResult::Ending));
    assert_eq!(
        state(&pool, run_id).await,
        st("pending", Some("cancelled"), Some("leased"), false)
    );
    assert!(matches!(
        finish(&pool, &c, "cancelled").await,
        Completed::Finished(_)
    ));
    key_is_free_for_the_next_run(&pool).await;
}

#[tokio::test]
async fn a_waiting_run_that_is_cancelled_gets_a_ready_cleanup_task_and_refuses_signals() {
    let pool = pool().await;
    let run_id = start(
        &pool,
        Spec {
            keys: vec![("issue", 1)],
            ..Spec::default()
        },
    )
    .await;
    let c = claim(&pool).await;
    assert!(matches!(
        signal::wait(&pool, &wait_for(run_id, c.epoch))
            .await
            .unwrap(),
        WaitResult::Waiting
    ));
    assert_eq!(
        state(&pool, run_id).await,
        st("waiting", None, Some("waiting"), false)
    );
    assert_eq!(cancel(&pool, run_id).await, "terminating");
    assert_eq!(cancel(&pool, run_id).await, "already_ended");
    assert_eq!(
        signal::send(&pool, run_id, "go", &json!(1), None)
            .await
            .unwrap(),
        "run_finished"
    );
    let cleanup = claim(&pool).await;
    assert_eq!(cleanup.end_reason.as_deref(), Some("cancelled"));
    assert!(matches!(
        finish(&pool, &cleanup, "cancelled").await,
        Completed::Finished(_)
    ));
    let waits: Vec<String> =
        sqlx::query_scalar("select outcome from workflow_waits where run_id = $1")
            .bind(run_id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(waits, ["cancelled"]);
    key_is_free_for_the_next_run(&pool).await;
}

#[tokio::test]
async fn cancelling_a_blocked_run_finishes_it_at_once_without_touching_slots() {
    let pool = pool().await;
    let holder = start(
        &pool,
        Spec {
            keys: vec![("issue", 1)],
            ..Spec::default()
        },
    )
    .await;
    let queued = start(
        &pool,
        Spec {
            keys: vec![("issue", 1)],
            ..Spec::default()
        },
    )
    .await;
    assert_eq!(state(&pool, queued).await.task.as_deref(), Some("blocked"));
    assert_eq!(cancel(&pool, queued).await, "finished");
    assert_eq!(
        state(&pool, queued).await,
        st("cancelled", Some("cancelled"), None, true)
    );
    assert_eq!(active(&pool, "issue").await, 1, "the holder keeps its slot");
    let c = claim(&pool).await;
    assert_eq!(c.run_id, holder);
    assert!(matches!(
        finish(&pool, &c, "succeeded").await,
        Completed::Finished(_)
    ));
    assert_eq!(active(&pool, "issue").await, 0);
    assert_eq!(cancel(&pool, Uuid::now_v7()).await, "no_run");
}

#[tokio::test]
async fn the_timeout_sweep_ends_runs_whose_budget_is_spent_whatever_their_task_does() {
    let pool = pool().await;
    let leased = start(
        &pool,
        Spec {
            budget_ms: Some(1),
            ..Spec::default()
        },
    )
    .await;
    let c = claim(&pool).await;
    let waiting = start(
        &pool,
        Spec {
            budget_ms: Some(1),
            ..Spec::default()
        },
    )
    .await;
    let w = claim(&pool).await;
    assert!(matches!(
        signal::wait(
            &pool,
            &WaitParams {
                pausing: false,
                ..wait_for(waiting, w.epoch)
            }
        )
        .await
        .unwrap(),
        WaitResult::Waiting
    ));
    sqlx::query("update workflow_runs set deadline_at = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    let timed_out = run::time_out_expired(&pool, 100).await.unwrap();
    assert_eq!(timed_out.len(), 2);
    assert_eq!(
        state(&pool, leased).await,
        st("pending", Some("timed_out"), Some("leased"), false)
    );
    assert_eq!(
        state(&pool, waiting).await,
        st("pending", Some("timed_out"), Some("ready"), false)
    );
    assert_eq!(
        finish(&pool, &c, "succeeded").await,
        Completed::Ending("timed_out".into()),
        "the budget is a hard limit"
    );
    assert!(
        run::time_out_expired(&pool, 100).await.unwrap().is_empty(),
        "once"
    );
}

#[tokio::test]
async fn a_run_that_succeeds_after_its_deadline_passed_is_timed_out_instead() {
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
    assert_eq!(
        run::end_if_leased(&pool, run_id, c.epoch, Some("timed_out"), &json!({}))
            .await
            .unwrap(),
        run::Ending::NotDue,
        "the database clock decides, not the worker's"
    );
    sqlx::query("update workflow_runs set deadline_at = now() - interval '1 second' where id = $1")
        .bind(run_id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(finish(&pool, &c, "succeeded").await, Completed::Overdue);
    assert_eq!(
        run::end_if_leased(&pool, run_id, c.epoch, Some("timed_out"), &json!({}))
            .await
            .unwrap(),
        run::Ending::Reason("timed_out".into())
    );
    assert!(matches!(
        finish(&pool, &c, "timed_out").await,
        Completed::Finished(_)
    ));
    assert_eq!(
        state(&pool, run_id).await,
        st("timed_out", Some("timed_out"), None, true)
    );
}

#[tokio::test]
async fn a_later_end_reason_never_replaces_an_earlier_one() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    assert_eq!(cancel(&pool, run_id).await, "terminating");
    assert_eq!(
        run::end_if_leased(&pool, run_id, c.epoch, Some("failed"), &json!({}))
            .await
            .unwrap(),
        run::Ending::Reason("cancelled".into())
    );
    assert!(matches!(
        finish(&pool, &c, "cancelled").await,
        Completed::Finished(_)
    ));
    assert_eq!(
        state(&pool, run_id).await,
        st("cancelled", Some("cancelled"), None, true)
    );
}

#[tokio::test]
async fn a_flush_that_waited_for_a_committing_cancel_reports_the_cancel_not_an_overdue_run() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    // The cancel holds the run's task row (and has set its end reason) until it commits.
    let mut cancelling = pool.begin().await.unwrap();
    assert_eq!(
        run::terminate(&mut *cancelling, run_id, "cancelled", &json!({}))
            .await
            .unwrap(),
        "terminating"
    );
    let completion = completion(&c, "succeeded");
    let flushing = on_own_connection(&pool, move |mut conn| {
        async move {
            crate::store::flush::write(&mut *conn, &[], &[&completion])
                .await
                .unwrap()
                .completed
        }
        .boxed()
    })
    .await;
    // The flush's statement started (its snapshot predates the cancel) and waits for the task row.
    flushing.blocked(&pool).await;
    cancelling.commit().await.unwrap();
    let completed = flushing.result().await;
    assert_eq!(
        completed.get(&(run_id, c.epoch)),
        Some(&Completed::Ending("cancelled".into())),
        "the end reason as committed when the flush got the row, not as of its snapshot"
    );
    assert_eq!(state(&pool, run_id).await.task.as_deref(), Some("leased"));
}
