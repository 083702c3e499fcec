//! Concurrency slots: admission and release are exact, a blocked run cancelled while a slot is
//! released leaks nothing, no run waits behind runs blocked on other keys, and drift is recorded and
//! repaired rather than hidden.

use futures::FutureExt;
use serde_json::json;

use super::*;
use crate::store::task::Completed;

async fn keyed(pool: &PgPool, keys: &[(&'static str, i32)]) -> Uuid {
    start(
        pool,
        Spec {
            keys: keys.to_vec(),
            ..Spec::default()
        },
    )
    .await
}

#[tokio::test]
async fn a_blocked_run_cancelled_while_a_slot_is_released_leaks_no_slot() {
    let pool = pool().await;
    let holder = keyed(&pool, &[("issue", 1)]).await;
    let queued = keyed(&pool, &[("issue", 1)]).await;
    let c = claim(&pool).await;
    assert_eq!(c.run_id, holder);
    // "Cancel a closed thread's runs": the cancel of the queued run holds its rows ...
    let mut cancel_tx = pool.begin().await.unwrap();
    assert_eq!(
        run::terminate(&mut *cancel_tx, queued, "cancelled", &json!({}))
            .await
            .unwrap(),
        "finished"
    );
    // ... while the holder finishes and releases its slot: the queued run is skipped, not waited for.
    let pool2 = pool.clone();
    let finishing = tokio::spawn(async move { finish(&pool2, &c, "succeeded").await });
    let outcome = tokio::time::timeout(Duration::from_secs(20), finishing)
        .await
        .expect("the release does not wait for the cancel's row locks")
        .unwrap();
    assert!(matches!(outcome, Completed::Finished(_)));
    cancel_tx.commit().await.unwrap();
    assert_eq!(
        active(&pool, "issue").await,
        0,
        "no slot held by a finished run"
    );
    assert_eq!(
        state(&pool, queued).await,
        st("cancelled", Some("cancelled"), None, true)
    );
    assert!(
        task::check_slots(&pool).await.unwrap().is_empty(),
        "no drift to repair"
    );
    let next = keyed(&pool, &[("issue", 1)]).await;
    assert_eq!(state(&pool, next).await.task.as_deref(), Some("ready"));
}

#[tokio::test]
async fn a_cancel_that_waits_for_an_admission_finds_the_admitted_run_and_its_slot_is_freed_once() {
    let pool = pool().await;
    let holder = keyed(&pool, &[("issue", 1)]).await;
    let queued = keyed(&pool, &[("issue", 1)]).await;
    let c = claim(&pool).await;
    assert_eq!(c.run_id, holder);
    let mut finish_tx = pool.begin().await.unwrap();
    let done = finish_on(&mut *finish_tx, &c, "succeeded").await.unwrap();
    assert!(matches!(done, Completed::Finished(_)), "{done:?}");
    let cancelling = on_own_connection(&pool, move |mut conn| {
        async move {
            run::terminate(&mut *conn, queued, "cancelled", &json!({}))
                .await
                .unwrap()
        }
        .boxed()
    })
    .await;
    cancelling.blocked(&pool).await;
    finish_tx.commit().await.unwrap();
    assert_eq!(
        cancelling.result().await,
        "terminating",
        "admitted meanwhile: it cleans up"
    );
    assert_eq!(
        active(&pool, "issue").await,
        1,
        "held by the admitted, ending run"
    );
    let cleanup = claim(&pool).await;
    assert_eq!(
        (cleanup.run_id, cleanup.end_reason.as_deref()),
        (queued, Some("cancelled"))
    );
    assert!(matches!(
        finish(&pool, &cleanup, "cancelled").await,
        Completed::Finished(_)
    ));
    assert_eq!(active(&pool, "issue").await, 0);
    assert!(task::check_slots(&pool).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_run_whose_keys_are_free_is_admitted_past_a_thousand_runs_blocked_on_another_key() {
    let pool = pool().await;
    // `busy` stays full; `project` is full until its holder finishes.
    let busy_holder = keyed(&pool, &[("busy", 1)]).await;
    let project_holder = keyed(&pool, &[("project", 1)]).await;
    for _ in 0..1000 {
        keyed(&pool, &[("busy", 1), ("project", 1)]).await;
    }
    let free = keyed(&pool, &[("project", 1)]).await;
    assert_eq!(state(&pool, free).await.task.as_deref(), Some("blocked"));
    let claimed = claim_all(&pool, 10).await;
    let project = claimed.iter().find(|c| c.run_id == project_holder).unwrap();
    assert!(claimed.iter().any(|c| c.run_id == busy_holder));
    assert!(matches!(
        finish(&pool, project, "succeeded").await,
        Completed::Finished(_)
    ));
    assert_eq!(
        state(&pool, free).await.task.as_deref(),
        Some("ready"),
        "admitted although a thousand older runs share the released key"
    );
    assert_eq!(active(&pool, "project").await, 1);
    assert_eq!(active(&pool, "busy").await, 1);
    let still_blocked: i64 =
        sqlx::query_scalar("select count(*) from workflow_tasks where state = 'blocked'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(still_blocked, 1000);
}

#[tokio::test]
async fn a_release_without_a_slot_taken_is_recorded_as_drift_not_hidden() {
    let pool = pool().await;
    keyed(&pool, &[("k", 2)]).await;
    let c = claim(&pool).await;
    sqlx::query("update concurrency_keys set active = 0 where id = 'k'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(matches!(
        finish(&pool, &c, "succeeded").await,
        Completed::Finished(_)
    ));
    assert_eq!(active(&pool, "k").await, 0, "never negative");
    let drift = orphan_events(&pool, "slot_drift").await;
    assert_eq!(
        drift,
        [json!({"code": "release_without_slot", "keys": ["k"]})]
    );
}

#[tokio::test]
async fn the_slot_check_repairs_drift_both_ways_and_admits_what_it_freed() {
    let pool = pool().await;
    let a = keyed(&pool, &[("over", 1)]).await;
    let blocked = keyed(&pool, &[("over", 1)]).await;
    keyed(&pool, &[("under", 3)]).await;
    keyed(&pool, &[("under", 3)]).await;
    // A leaked slot on `over` (its holder finished without giving it back) ...
    let c = claim_all(&pool, 10)
        .await
        .into_iter()
        .find(|c| c.run_id == a)
        .unwrap();
    sqlx::query("delete from workflow_tasks where run_id = $1")
        .bind(c.run_id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update workflow_runs set status = 'succeeded', finished_at = now() where id = $1")
        .bind(c.run_id)
        .execute(&pool)
        .await
        .unwrap();
    // ... and a count below what its holders hold on `under`.
    sqlx::query("update concurrency_keys set active = 0 where id = 'under'")
        .execute(&pool)
        .await
        .unwrap();
    let mut repaired = task::check_slots(&pool).await.unwrap();
    repaired.sort_by(|x, y| x.key.cmp(&y.key));
    assert_eq!(
        repaired,
        [
            task::SlotDrift {
                key: "over".into(),
                recorded: 1,
                actual: 0
            },
            task::SlotDrift {
                key: "under".into(),
                recorded: 0,
                actual: 2
            },
        ]
    );
    assert_eq!(orphan_events(&pool, "slot_drift").await.len(), 2);
    assert_eq!(
        state(&pool, blocked).await.task.as_deref(),
        Some("ready"),
        "the freed slot is used"
    );
    assert_eq!(active(&pool, "over").await, 1);
    assert!(
        task::check_slots(&pool).await.unwrap().is_empty(),
        "nothing left to repair"
    );
}

#[tokio::test]
async fn concurrent_starts_and_finishes_on_one_key_keep_exact_counts() {
    let pool = pool().await;
    let starts = (0..40).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move { keyed(&pool, &[("shared", 3)]).await })
    });
    futures::future::join_all(starts).await;
    assert_eq!(active(&pool, "shared").await, 3);
    let mut finished = 0;
    loop {
        let claimed = claim_all(&pool, 10).await;
        if claimed.is_empty() {
            break;
        }
        assert!(claimed.len() <= 3, "never more than the limit at once");
        let finishes = claimed.into_iter().map(|c| {
            let pool = pool.clone();
            tokio::spawn(async move { finish(&pool, &c, "succeeded").await })
        });
        finished += futures::future::join_all(finishes).await.len();
    }
    assert_eq!(finished, 40);
    assert_eq!(active(&pool, "shared").await, 0);
    assert!(task::check_slots(&pool).await.unwrap().is_empty());
}

#[tokio::test]
async fn one_flush_finishing_two_runs_of_one_key_gives_back_both_slots() {
    let pool = pool().await;
    let first = keyed(&pool, &[("issue", 2)]).await;
    let second = keyed(&pool, &[("issue", 2)]).await;
    let waiting = keyed(&pool, &[("issue", 2)]).await;
    assert_eq!(active(&pool, "issue").await, 2);
    let claimed = claim_all(&pool, 10).await;
    assert_eq!(claimed.len(), 2);
    let done: Vec<_> = claimed.iter().map(|c| completion(c, "succeeded")).collect();
    let done: Vec<_> = done.iter().collect();
    let flushed = crate::store::flush::write(&pool, &[], &done).await.unwrap();
    for id in [first, second] {
        assert!(
            flushed.completed.iter().any(|((run, _), outcome)| *run == id
                && matches!(outcome, Completed::Finished(keys) if keys == &["issue".to_string()])),
            "{flushed:?}"
        );
    }
    // Two slots back, then one taken by the run that was waiting for it.
    assert_eq!(active(&pool, "issue").await, 1);
    assert_eq!(state(&pool, waiting).await.task.as_deref(), Some("ready"));
    assert!(
        task::check_slots(&pool).await.unwrap().is_empty(),
        "no drift"
    );
}
