//! Claims: each task by one claimer, due timers straight from the scheduled index, priorities across
//! ready tasks and due timers, and future timers never claimed early.

use super::*;

async fn make_due(pool: &PgPool, run_id: Uuid) {
    sqlx::query("update workflow_tasks set run_at = now() - interval '1 second' where run_id = $1")
        .bind(run_id)
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_ready_task_is_claimed_by_exactly_one_of_many_concurrent_claimers() {
    let pool = pool().await;
    for _ in 0..20 {
        start_plain(&pool).await;
    }
    let claims = (0..8).map(|i| {
        let pool = pool.clone();
        tokio::spawn(async move {
            let worker = format!("w{i}");
            let p = ClaimParams {
                queue: "q",
                limit: 5,
                worker: &worker,
                lease_secs: 30.0,
            };
            task::claim_available(&pool, &p)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.run_id)
                .collect::<Vec<_>>()
        })
    });
    let mut all: Vec<Uuid> = futures::future::join_all(claims)
        .await
        .into_iter()
        .flat_map(|r| r.unwrap())
        .collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "no task claimed twice");
    assert_eq!(n, 20);
}

#[tokio::test]
async fn a_timer_is_scheduled_not_ready_and_is_claimed_once_due() {
    let pool = pool().await;
    let later = Utc::now() + chrono::Duration::hours(1);
    let timer = start(
        &pool,
        Spec {
            run_at: Some(later),
            ..Spec::default()
        },
    )
    .await;
    assert_eq!(state(&pool, timer).await.task.as_deref(), Some("scheduled"));
    assert!(claim_all(&pool, 10).await.is_empty(), "not before its time");
    let secs = task::wake_up(&pool, "q").await.unwrap().unwrap();
    assert!(
        (3500.0..=3600.0).contains(&secs),
        "the idle claimer sleeps by the database clock: {secs}"
    );
    make_due(&pool, timer).await;
    assert_eq!(claim(&pool).await.run_id, timer);
}

#[tokio::test]
async fn priorities_order_ready_tasks_and_due_timers_together() {
    let pool = pool().await;
    let low = start(
        &pool,
        Spec {
            priority: 0,
            ..Spec::default()
        },
    )
    .await;
    let timer = start(
        &pool,
        Spec {
            priority: 5,
            run_at: Some(Utc::now() + chrono::Duration::hours(1)),
            ..Spec::default()
        },
    )
    .await;
    let high = start(
        &pool,
        Spec {
            priority: 9,
            ..Spec::default()
        },
    )
    .await;
    make_due(&pool, timer).await;
    let order: Vec<Uuid> = claim_all(&pool, 2)
        .await
        .into_iter()
        .map(|c| c.run_id)
        .collect();
    assert_eq!(order.len(), 2);
    assert!(
        order.contains(&high) && order.contains(&timer),
        "the best two: {order:?}"
    );
    assert_eq!(claim(&pool).await.run_id, low);
}

#[tokio::test]
async fn a_claim_reports_the_budget_left_by_the_database_clock() {
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
    assert_eq!(c.run_id, run_id);
    let left = c.remaining_ms.unwrap();
    assert!((50_000..=60_000).contains(&left), "{left}");
    assert!((c.db_now - Utc::now()).num_seconds().abs() < 60);
}

/// The claim says which runs have a journal, so the claimer loads only theirs: a fresh run has
/// none; after a step was committed and the lease was lost, the next claim reports one.
#[tokio::test]
async fn a_claim_reports_which_runs_have_a_journal_to_replay() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let first = claim(&pool).await;
    assert!(!first.has_journal, "a fresh run has no journal");
    write_steps(&pool, &[step_write(run_id, first.epoch, 0)])
        .await
        .unwrap();
    rescue(&pool, run_id).await;
    let second = claim(&pool).await;
    assert_eq!(second.run_id, run_id);
    assert!(second.has_journal, "the committed step is reported");
}
