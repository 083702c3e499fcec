//! `engine_start`: idempotency by key (a conflicting kind or input is reported), blocked behind
//! full keys, and a delayed start's budget clock starting when the run becomes claimable.

use serde_json::json;

use super::*;

fn new<'a>(input: &'a serde_json::Value, kind: &'a str, key: &'a str) -> run::NewRun<'a> {
    run::NewRun {
        id: Uuid::now_v7(),
        kind,
        code_version: 3,
        queue: "q",
        input,
        priority: 0,
        idempotency_key: Some(key),
        concurrency_keys: &[],
        concurrency_limits: &[],
        budget_ms: None,
        run_at: None,
        trace_parent: None,
    }
}

#[tokio::test]
async fn a_repeated_key_returns_the_first_run_and_flags_another_kind_or_input() {
    let pool = pool().await;
    let a = json!({"n": 1});
    let b = json!({"n": 2});
    let first = run::start(&pool, &new(&a, "k", "key")).await.unwrap();
    assert!(first.created && !first.conflict);
    let again = run::start(&pool, &new(&a, "k", "key")).await.unwrap();
    assert_eq!(
        (again.id, again.created, again.conflict),
        (first.id, false, false)
    );
    let other_input = run::start(&pool, &new(&b, "k", "key")).await.unwrap();
    assert_eq!((other_input.id, other_input.conflict), (first.id, true));
    let other_kind = run::start(&pool, &new(&a, "other", "key")).await.unwrap();
    assert_eq!((other_kind.id, other_kind.conflict), (first.id, true));
    let version: i32 = sqlx::query_scalar("select code_version from workflow_runs where id = $1")
        .bind(first.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(version, 3, "the code version that started it is stored");
}

#[tokio::test]
async fn a_delayed_start_with_a_budget_does_not_time_out_before_it_runs() {
    let pool = pool().await;
    let at = Utc::now() + chrono::Duration::hours(1);
    let run_id = start(
        &pool,
        Spec {
            run_at: Some(at),
            budget_ms: Some(1_000),
            ..Spec::default()
        },
    )
    .await;
    let (since, deadline): (DateTime<Utc>, DateTime<Utc>) =
        sqlx::query_as("select active_since, deadline_at from workflow_runs where id = $1")
            .bind(run_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        (since - at).num_milliseconds().abs() < 5,
        "the clock starts at run_at"
    );
    assert_eq!((deadline - since).num_milliseconds(), 1_000);
    assert!(run::time_out_expired(&pool, 100).await.unwrap().is_empty());
    assert_eq!(
        state(&pool, run_id).await,
        st("pending", None, Some("scheduled"), false)
    );
}

#[tokio::test]
async fn a_blocked_run_starts_its_clock_at_admission() {
    let pool = pool().await;
    let holder = start(
        &pool,
        Spec {
            keys: vec![("k", 1)],
            ..Spec::default()
        },
    )
    .await;
    let queued = start(
        &pool,
        Spec {
            keys: vec![("k", 1)],
            budget_ms: Some(1_000),
            ..Spec::default()
        },
    )
    .await;
    let clock: Option<DateTime<Utc>> =
        sqlx::query_scalar("select deadline_at from workflow_runs where id = $1")
            .bind(queued)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(clock, None, "no clock while queued behind its key");
    let c = claim(&pool).await;
    assert_eq!(c.run_id, holder);
    finish(&pool, &c, "succeeded").await;
    let clock: Option<DateTime<Utc>> =
        sqlx::query_scalar("select deadline_at from workflow_runs where id = $1")
            .bind(queued)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(clock.is_some());
    assert_eq!(event_kinds(&pool, queued).await, ["admitted"]);
}

#[tokio::test]
async fn a_runs_trace_parent_is_stored_at_start_and_returned_with_every_claim() {
    let pool = pool().await;
    let input = json!({});
    let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let traced = run::NewRun {
        trace_parent: Some(parent.into()),
        idempotency_key: None,
        ..new(&input, "k", "")
    };
    let started = run::start(&pool, &traced).await.unwrap();
    let c = claim(&pool).await;
    assert_eq!(c.run_id, started.id);
    assert_eq!(c.trace_parent.as_deref(), Some(parent));
    // A rescued or handed-back attempt is claimed again with the same parent: the lease ends here.
    sqlx::query(
        "update workflow_tasks set state = 'ready', epoch = null, worker = null where run_id = $1",
    )
    .bind(started.id)
    .execute(&pool)
    .await
    .unwrap();
    let again = claim(&pool).await;
    assert!(again.epoch > c.epoch);
    assert_eq!(again.trace_parent.as_deref(), Some(parent));
}
