//! Conformance of the fenced store functions: the happy path, the lost race (a stale epoch after a
//! rescue) and the wrong state, against a real Postgres.

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::{
    StepRecord, StepStatus, run, signal,
    step::{self, NewStep},
    task::{self, ClaimParams, Completion, ReleaseParams},
};
use crate::test_database::TestDatabases;

static DATABASES: OnceCell<TestDatabases> = OnceCell::const_new();
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

async fn pool() -> PgPool {
    let dbs = DATABASES
        .get_or_init(|| async {
            TestDatabases::start(&MIGRATOR)
                .await
                .expect("test databases")
        })
        .await;
    PgPool::connect(&dbs.fresh().await.expect("fresh database"))
        .await
        .expect("connect")
}

async fn started(pool: &PgPool) -> Uuid {
    let input = json!({});
    let new = run::NewRun {
        id: Uuid::now_v7(),
        kind: "k",
        queue: "q",
        input: &input,
        priority: 0,
        idempotency_key: None,
        concurrency_keys: &[],
        concurrency_limits: &[],
        budget_ms: None,
        run_at: None,
    };
    run::start(pool, &new).await.unwrap().0
}

async fn claim(pool: &PgPool) -> task::Claimed {
    let p = ClaimParams {
        queue: "q",
        limit: 10,
        worker: "w",
        lease_secs: 30.0,
    };
    let mut claimed = task::claim_available(pool, &p).await.unwrap();
    assert_eq!(claimed.len(), 1);
    claimed.remove(0)
}

fn step_write(run_id: Uuid, epoch: i64, seq: i32) -> NewStep {
    NewStep {
        run_id,
        epoch,
        seq,
        record: StepRecord {
            name: "s".into(),
            status: StepStatus::Succeeded,
            output: Some(json!(seq)),
            error: None,
        },
        attempts: 1,
        started_at: Utc::now(),
    }
}

/// Expires the lease and rescues it, as the maintenance sweep would.
async fn rescue(pool: &PgPool, run_id: Uuid) {
    sqlx::query("update workflow_tasks set lease_expires_at = now() - interval '1 second' where run_id = $1")
        .bind(run_id)
        .execute(pool)
        .await
        .unwrap();
    let rescued = task::rescue_expired(pool, 3, 10).await.unwrap();
    assert_eq!(rescued.len(), 1);
}

#[tokio::test]
async fn every_fenced_write_of_a_stale_attempt_is_refused() {
    let pool = pool().await;
    let run_id = started(&pool).await;
    let stale = claim(&pool).await;
    assert_eq!(
        step::insert_if_leased_many(&pool, &[step_write(run_id, stale.epoch, 0)])
            .await
            .unwrap(),
        vec![run_id]
    );
    rescue(&pool, run_id).await;
    let fresh = claim(&pool).await;
    assert_ne!(fresh.epoch, stale.epoch);

    // The stale attempt: step output, heartbeat, release, wait, finish: all refused.
    assert!(
        step::insert_if_leased_many(&pool, &[step_write(run_id, stale.epoch, 1)])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !step::insert_if_leased(&pool, run_id, stale.epoch, 1, "sleep", &json!({}))
            .await
            .unwrap()
    );
    assert!(
        task::extend_lease_many(&pool, &[(run_id, stale.epoch)], 30.0)
            .await
            .unwrap()
            .is_empty()
    );
    let release = ReleaseParams {
        run_id,
        epoch: stale.epoch,
        run_at: Utc::now(),
        failed_seq: None,
        failed_attempts: 0,
    };
    assert!(!task::release_if_leased(&pool, &release).await.unwrap());
    let wait = signal::WaitParams {
        run_id,
        epoch: stale.epoch,
        seq: 1,
        signal: "x",
        pausing: false,
        deadline: None,
    };
    assert!(matches!(
        signal::wait(&pool, &wait).await.unwrap(),
        signal::WaitResult::LeaseLost
    ));
    assert!(
        !run::fail_if_leased(&pool, run_id, stale.epoch, &json!({}))
            .await
            .unwrap()
    );
    let done = Completion {
        run_id,
        epoch: stale.epoch,
        status: "succeeded",
        output: Some(json!("stale")),
        error: None,
    };
    assert!(
        task::complete_if_leased_many(&pool, &[done])
            .await
            .unwrap()
            .is_empty()
    );

    // The fresh attempt goes on; the stale step 1 never landed.
    assert_eq!(
        step::insert_if_leased_many(&pool, &[step_write(run_id, fresh.epoch, 1)])
            .await
            .unwrap(),
        vec![run_id]
    );
    assert_eq!(
        task::extend_lease_many(&pool, &[(run_id, fresh.epoch)], 30.0)
            .await
            .unwrap()
            .len(),
        1
    );
    let done = Completion {
        run_id,
        epoch: fresh.epoch,
        status: "succeeded",
        output: Some(json!("fresh")),
        error: None,
    };
    assert_eq!(
        task::complete_if_leased_many(&pool, &[done])
            .await
            .unwrap()
            .len(),
        1
    );
    let output: serde_json::Value =
        sqlx::query_scalar("select output from workflow_runs where id = $1")
            .bind(run_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(output, json!("fresh"));
    let history = step::list_for_runs(&pool, &[run_id]).await.unwrap();
    assert_eq!(history[&run_id][&1].output, Some(json!(1)));
}

#[tokio::test]
async fn a_finished_run_cannot_be_finished_or_extended_again() {
    let pool = pool().await;
    let run_id = started(&pool).await;
    let c = claim(&pool).await;
    let done = || Completion {
        run_id,
        epoch: c.epoch,
        status: "succeeded",
        output: None,
        error: None,
    };
    assert_eq!(
        task::complete_if_leased_many(&pool, &[done()])
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        task::complete_if_leased_many(&pool, &[done()])
            .await
            .unwrap()
            .is_empty(),
        "wrong state: already finished"
    );
    assert!(
        task::extend_lease_many(&pool, &[(run_id, c.epoch)], 30.0)
            .await
            .unwrap()
            .is_empty()
    );
    let p = ClaimParams {
        queue: "q",
        limit: 10,
        worker: "w",
        lease_secs: 30.0,
    };
    assert!(
        task::claim_available(&pool, &p).await.unwrap().is_empty(),
        "nothing left to claim"
    );
}

#[tokio::test]
async fn a_ready_task_is_claimed_by_exactly_one_of_many_concurrent_claimers() {
    let pool = pool().await;
    for _ in 0..20 {
        started(&pool).await;
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
