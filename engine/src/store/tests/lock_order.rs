//! The lock order holds against the implicit locks too: a step insert under a held task lock takes
//! a key-share lock on its run row (the foreign key), which a transition holding that run row must
//! not block, or the two would deadlock.

use futures::FutureExt;
use serde_json::json;

use super::*;
use crate::store::{signal, step};

#[tokio::test]
async fn a_step_insert_under_a_held_task_lock_never_waits_for_a_transition_holding_the_run_row() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    // The completer's flush: it holds the task row ...
    let mut flush = pool.begin().await.unwrap();
    task::lock_many(&mut *flush, &[run_id]).await.unwrap();
    // ... while a signal takes the run row and waits for the task row.
    let signalling = on_own_connection(&pool, move |mut conn| {
        async move {
            signal::send(&mut *conn, run_id, "go", &json!(1), None)
                .await
                .unwrap()
        }
        .boxed()
    })
    .await;
    signalling.blocked(&pool).await;
    // The flush's step insert checks its foreign key against the run row the signal holds.
    let inserted = tokio::time::timeout(
        Duration::from_secs(10),
        step::insert_if_leased_many(&mut *flush, &[step_write(run_id, c.epoch, 0)]),
    )
    .await
    .expect("the insert does not wait for the run row")
    .expect("and no deadlock is detected");
    assert_eq!(inserted.len(), 1);
    flush.commit().await.unwrap();
    assert_eq!(signalling.result().await, "stored");
}
