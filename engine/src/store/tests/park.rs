//! Parking: a parked run gives its slots back (a run waiting on its key is admitted), keeps its
//! signals, stops its budget clock, is unparked (again behind its keys) or cancelled by an operator,
//! and a worker that knows its kind at its version unparks it by itself. A failed run is re-opened
//! from its failed step.

use serde_json::json;

use super::*;
use crate::store::{StepStatus, signal, step, task::Completed};

async fn park(pool: &PgPool, c: &Claimed, code: &str) {
    let detail = json!({"code": code, "message": "test"});
    assert!(task::park(pool, c.run_id, c.epoch, &detail).await.unwrap());
}

#[tokio::test]
async fn a_parked_run_gives_its_slots_back_keeps_its_signals_and_resumes_behind_its_keys() {
    let pool = pool().await;
    let parked = start(
        &pool,
        Spec {
            keys: vec![("issue", 1)],
            budget_ms: Some(60_000),
            ..Spec::default()
        },
    )
    .await;
    let waiting = start(
        &pool,
        Spec {
            keys: vec![("issue", 1)],
            ..Spec::default()
        },
    )
    .await;
    let c = claim(&pool).await;
    park(&pool, &c, "nondeterministic").await;
    assert_eq!(
        state(&pool, parked).await,
        st("parked", None, Some("parked"), false)
    );
    assert_eq!(
        state(&pool, waiting).await.task.as_deref(),
        Some("ready"),
        "its slot went to the next run"
    );
    let clock: Option<DateTime<Utc>> =
        sqlx::query_scalar("select deadline_at from workflow_runs where id = $1")
            .bind(parked)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(clock, None, "no budget spent while parked");
    assert_eq!(
        signal::send(&pool, parked, "go", &json!(1), None)
            .await
            .unwrap(),
        "stored"
    );
    assert!(
        claim_all(&pool, 10)
            .await
            .iter()
            .all(|c| c.run_id != parked),
        "never claimed while parked"
    );
    assert_eq!(
        task::unpark(&pool, parked, "operator").await.unwrap(),
        "blocked",
        "the key is taken"
    );
    assert_eq!(active(&pool, "issue").await, 1);
    assert!(task::check_slots(&pool).await.unwrap().is_empty());
    assert_eq!(
        task::unpark(&pool, parked, "operator").await.unwrap(),
        "not_parked"
    );
    let kinds = event_kinds(&pool, parked).await;
    assert_eq!(kinds, ["parked", "signal_received", "unparked"]);
}

#[tokio::test]
async fn a_parked_run_can_be_cancelled_and_its_cleanup_runs_without_slots() {
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
    park(&pool, &c, "unknown_kind").await;
    assert_eq!(active(&pool, "issue").await, 0);
    assert_eq!(
        run::terminate(&pool, run_id, "cancelled", &json!({}))
            .await
            .unwrap(),
        "terminating"
    );
    let cleanup = claim(&pool).await;
    assert_eq!(cleanup.end_reason.as_deref(), Some("cancelled"));
    assert!(
        matches!(finish(&pool, &cleanup, "cancelled").await, Completed::Finished(keys) if keys.is_empty())
    );
    assert_eq!(active(&pool, "issue").await, 0, "nothing given back twice");
    assert!(orphan_events(&pool, "slot_drift").await.is_empty());
}

#[tokio::test]
async fn a_worker_that_knows_the_kind_at_the_runs_version_unparks_it() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    park(&pool, &c, "unknown_kind").await;
    let other = start_plain(&pool).await;
    let o = claim(&pool).await;
    park(&pool, &o, "nondeterministic").await;
    assert_eq!(
        task::unpark_known(&pool, &[("k".into(), 0)], 10)
            .await
            .unwrap(),
        0,
        "too old a version"
    );
    assert_eq!(
        task::unpark_known(&pool, &[("other".into(), 1)], 10)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        task::unpark_known(&pool, &[("k".into(), 1)], 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(state(&pool, run_id).await.task.as_deref(), Some("ready"));
    assert_eq!(
        state(&pool, other).await.status,
        "parked",
        "a nondeterministic replay waits for an operator"
    );
}

#[tokio::test]
async fn a_failed_run_is_reopened_from_its_failed_step_keeping_the_earlier_journal() {
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
    let mut failed = step_write(run_id, c.epoch, 1);
    failed.record.status = StepStatus::Failed;
    write_steps(&pool, &[step_write(run_id, c.epoch, 0), failed])
        .await
        .unwrap();
    assert_eq!(
        run::end_if_leased(
            &pool,
            run_id,
            c.epoch,
            Some("failed"),
            &json!({"code": "step_failed"})
        )
        .await
        .unwrap(),
        run::Ending::Reason("failed".into())
    );
    assert!(matches!(
        finish(&pool, &c, "failed").await,
        Completed::Finished(_)
    ));
    assert_eq!(active(&pool, "issue").await, 0);
    assert_eq!(run::reopen(&pool, run_id).await.unwrap(), "reopened");
    assert_eq!(
        state(&pool, run_id).await,
        st("pending", None, Some("ready"), false)
    );
    assert_eq!(active(&pool, "issue").await, 1, "admitted again");
    let history = step::list_for_runs(&pool, &[run_id]).await.unwrap();
    assert_eq!(
        history[&run_id].keys().copied().collect::<Vec<_>>(),
        [0],
        "the failed step is gone"
    );
    assert_eq!(
        run::reopen(&pool, run_id).await.unwrap(),
        "not_retryable",
        "it is not failed now"
    );
}
