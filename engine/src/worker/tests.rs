//! Races between the worker's writers (completer, heartbeat, rescue, waits, signals) and
//! cancellation on the same run, repeated many times on real connections: with one lock order
//! everywhere, the database never detects a deadlock (read from `pg_stat_database` after every
//! connection of the run has closed, so its statistics are flushed).

use std::sync::Arc;

use serde_json::json;
use sqlx::postgres::PgPoolOptions;

use super::completer::{Completer, FinishCommit};
use crate::{
    Hooks, Metrics,
    store::{
        run, signal,
        task::{self, Completed},
        tests::{self as fixture, Spec},
    },
};

const ROUNDS: usize = 1000;

/// A pool of its own on the test's database, closed before the deadlock count is read.
async fn racing_pool(pool: &sqlx::PgPool) -> sqlx::PgPool {
    PgPoolOptions::new()
        .max_connections(8)
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap()
}

async fn keyed(pool: &sqlx::PgPool) -> uuid::Uuid {
    fixture::start(
        pool,
        Spec {
            keys: vec![("issue", 1)],
            ..Spec::default()
        },
    )
    .await
}

fn is_deadlock(e: &crate::Error) -> bool {
    matches!(e, crate::Error::Database { source: sqlx::Error::Database(d), .. } if d.code().as_deref() == Some("40P01"))
}

async fn assert_no_deadlock(admin: &sqlx::PgPool, racing: sqlx::PgPool, before: i64, what: &str) {
    racing.close().await;
    let after = fixture::deadlocks(admin).await;
    assert_eq!(after - before, 0, "{what}: the database detected deadlocks");
}

#[tokio::test]
async fn finishing_versus_cancelling_the_same_run_a_thousand_times_never_deadlocks() {
    let admin = fixture::pool().await;
    let before = fixture::deadlocks(&admin).await;
    let pool = racing_pool(&admin).await;
    let (completer, _task) =
        Completer::spawn(pool.clone(), Arc::new(Metrics::new()), Hooks::default());
    let (mut finished, mut cancelled) = (0, 0);
    for _ in 0..ROUNDS {
        let run_id = keyed(&pool).await;
        let c = fixture::claim(&pool).await;
        let detail = json!({});
        let (finish, cancel) = tokio::join!(
            completer.finish(fixture::completion(&c, "succeeded")),
            run::terminate(&pool, run_id, "cancelled", &detail),
        );
        let cancel = cancel.map_err(|e| {
            assert!(!is_deadlock(&e), "deadlock: {e}");
            e
        });
        match (finish.unwrap(), cancel.unwrap().as_str()) {
            (FinishCommit::Done(Completed::Finished(_)), "already_ended") => finished += 1,
            (FinishCommit::Done(Completed::Ending(reason)), "terminating") => {
                assert_eq!(reason, "cancelled");
                let outcome = completer
                    .finish(fixture::completion(&c, "cancelled"))
                    .await
                    .unwrap();
                assert!(matches!(
                    outcome,
                    FinishCommit::Done(Completed::Finished(_))
                ));
                cancelled += 1;
            }
            other => panic!("status and end reason disagree: {other:?}"),
        }
        assert_eq!(fixture::active(&pool, "issue").await, 0);
    }
    assert_eq!(finished + cancelled, ROUNDS);
    drop(completer);
    assert_no_deadlock(&admin, pool, before, "finish versus cancel").await;
    println!(
        "finish versus cancel: {finished} finished first, {cancelled} cancelled first, 0 deadlocks"
    );
}

#[tokio::test]
async fn renewing_rescuing_waiting_and_signalling_versus_cancelling_never_deadlocks() {
    let admin = fixture::pool().await;
    let before = fixture::deadlocks(&admin).await;
    let pool = racing_pool(&admin).await;
    for round in 0..ROUNDS / 4 {
        let run_id = keyed(&pool).await;
        let c = fixture::claim(&pool).await;
        let wait = signal::WaitParams {
            run_id,
            epoch: c.epoch,
            seq: 0,
            signal: "go",
            pausing: true,
            timeout: None,
        };
        let step = fixture::step_write(run_id, c.epoch, 1);
        if round % 2 == 1 {
            fixture::expire(&pool, run_id).await;
        }
        let (lease, payload, detail, steps) =
            ([(run_id, c.epoch)], json!(round), json!({}), [step]);
        let (renew, rescue, waited, signalled, stepped, cancel) = tokio::join!(
            task::extend_lease_many(&pool, &lease, 30.0),
            task::rescue_expired(&pool, 3, 10),
            signal::wait(&pool, &wait),
            signal::send(&pool, run_id, "go", &payload, None),
            crate::store::tests::write_steps(&pool, &steps),
            run::terminate(&pool, run_id, "cancelled", &detail),
        );
        let failed = [
            renew.err(),
            rescue.err(),
            waited.err(),
            signalled.err(),
            stepped.err(),
            cancel.err(),
        ]
        .into_iter()
        .flatten()
        .map(|e| format!("{e:?} (deadlock: {})", is_deadlock(&e)))
        .collect::<Vec<_>>();
        assert!(failed.is_empty(), "round {round}: {failed:?}");
        // Whatever interleaving happened, the run can be ended and its slot comes back.
        let s = fixture::state(&pool, run_id).await;
        assert_eq!(s.end_reason.as_deref(), Some("cancelled"), "{s:?}");
        let c = if s.task.as_deref() == Some("leased") {
            c
        } else {
            fixture::claim(&pool).await
        };
        let end = run::end_if_leased(&pool, run_id, c.epoch, None, &json!({}))
            .await
            .unwrap();
        if end == run::Ending::Reason("cancelled".into()) {
            assert!(matches!(
                fixture::finish(&pool, &c, "cancelled").await,
                Completed::Finished(_)
            ));
        }
        assert_eq!(fixture::state(&pool, run_id).await.status, "cancelled");
        assert_eq!(fixture::active(&pool, "issue").await, 0);
    }
    assert_no_deadlock(&admin, pool, before, "writers versus cancel").await;
}
