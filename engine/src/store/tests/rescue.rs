//! `engine_rescue` and `engine_abandon`: expired leases return to ready, a run busy elsewhere is
//! skipped (never waited for) and rescued by the next sweep, a crash loop is stopped and its cleanup
//! runs, and a cleanup that keeps crashing is abandoned with its slots given back.

use futures::FutureExt;

use super::*;
use crate::store::task::Completed;

#[tokio::test]
async fn an_expired_lease_is_rescued_with_an_event_and_a_live_one_is_not() {
    let pool = pool().await;
    let dead = start_plain(&pool).await;
    let live = start_plain(&pool).await;
    let claimed = claim_all(&pool, 10).await;
    assert_eq!(claimed.len(), 2);
    expire(&pool, dead).await;
    let rescued = task::rescue_expired(&pool, 3, 10).await.unwrap();
    assert_eq!(rescued.iter().map(|r| r.run_id).collect::<Vec<_>>(), [dead]);
    assert_eq!(rescued[0].outcome, "rescued");
    assert_eq!(state(&pool, dead).await.task.as_deref(), Some("ready"));
    assert_eq!(state(&pool, live).await.task.as_deref(), Some("leased"));
    assert_eq!(event_kinds(&pool, dead).await, ["lease_rescued"]);
}

#[tokio::test]
async fn a_rescue_skips_a_run_whose_row_is_held_and_never_waits_for_it() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    claim(&pool).await;
    expire(&pool, run_id).await;
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("select 1 from workflow_runs where id = $1 for no key update")
        .bind(run_id)
        .execute(&mut *holder)
        .await
        .unwrap();
    let sweeping = on_own_connection(&pool, |mut conn| {
        async move { task::rescue_expired(&mut *conn, 3, 10).await.unwrap() }.boxed()
    })
    .await;
    assert!(
        sweeping.result().await.is_empty(),
        "skipped without waiting"
    );
    holder.commit().await.unwrap();
    assert_eq!(
        task::rescue_expired(&pool, 3, 10).await.unwrap().len(),
        1,
        "the next sweep"
    );
}

#[tokio::test]
async fn a_run_that_keeps_crashing_its_worker_is_failed_then_its_cleanup_abandoned() {
    let pool = pool().await;
    let run_id = start(
        &pool,
        Spec {
            keys: vec![("k", 1)],
            ..Spec::default()
        },
    )
    .await;
    let mut outcomes = Vec::new();
    for _ in 0..6 {
        claim(&pool).await;
        expire(&pool, run_id).await;
        let rescued = task::rescue_expired(&pool, 3, 10).await.unwrap();
        outcomes.push(rescued[0].outcome.clone());
        if rescued[0].outcome == "abandoned" {
            break;
        }
    }
    assert_eq!(
        outcomes,
        [
            "rescued",
            "rescued",
            "rescued",
            "crash_loop",
            "rescued",
            "abandoned"
        ]
    );
    assert_eq!(
        state(&pool, run_id).await,
        st("failed", Some("failed"), None, true)
    );
    assert_eq!(
        active(&pool, "k").await,
        0,
        "an abandoned run gives its slots back"
    );
    let kinds = event_kinds(&pool, run_id).await;
    assert!(
        kinds.contains(&"failed".to_owned()) && kinds.ends_with(&["cleanup_abandoned".to_owned()]),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn step_progress_resets_the_crash_count() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    for seq in 0..6 {
        let c = claim(&pool).await;
        crate::store::tests::write_steps(&pool, &[step_write(run_id, c.epoch, seq)])
            .await
            .unwrap();
        expire(&pool, run_id).await;
        assert_eq!(
            task::rescue_expired(&pool, 3, 10).await.unwrap()[0].outcome,
            "rescued"
        );
    }
    let c = claim(&pool).await;
    assert!(matches!(
        finish(&pool, &c, "succeeded").await,
        Completed::Finished(_)
    ));
}
