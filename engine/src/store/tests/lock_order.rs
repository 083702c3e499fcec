//! The lock order: a run's task row, then its run row, and a run row only under its task row. A
//! transition that waits for a task row therefore holds no run row meanwhile, so a completer flush
//! holding task rows can lock their run rows (its completion, its step inserts' foreign-key checks)
//! without ever waiting for it.

use futures::FutureExt;
use serde_json::json;

use super::*;
use crate::store::{signal, task::Completed};

#[tokio::test]
async fn a_cancel_waits_for_the_task_row_so_a_finishing_flush_never_waits_for_the_run_row() {
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
    let mut flush = pool.begin().await.unwrap();
    hold_task_rows(&mut *flush, &[run_id]).await;
    let cancelling = on_own_connection(&pool, move |mut conn| {
        async move {
            run::terminate(&mut *conn, run_id, "cancelled", &json!({}))
                .await
                .unwrap()
        }
        .boxed()
    })
    .await;
    cancelling.blocked(&pool).await;
    // The completion updates the run row: nobody holds it, so this cannot wait.
    let done = tokio::time::timeout(
        Duration::from_secs(10),
        finish_on(&mut *flush, &c, "succeeded"),
    )
    .await
    .expect("the completion does not wait for the run row")
    .expect("and no deadlock is detected");
    assert!(matches!(done, Completed::Finished(_)), "{done:?}");
    flush.commit().await.unwrap();
    assert_eq!(cancelling.result().await, "already_ended");
    assert_eq!(
        state(&pool, run_id).await,
        st("succeeded", None, None, true)
    );
}

#[tokio::test]
async fn a_signal_waits_for_the_task_row_so_a_step_insert_never_waits_for_the_run_row() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    let mut flush = pool.begin().await.unwrap();
    hold_task_rows(&mut *flush, &[run_id]).await;
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
    // The step insert's foreign-key check takes a key-share lock on the run row.
    let inserted = tokio::time::timeout(
        Duration::from_secs(10),
        write_steps(&mut *flush, &[step_write(run_id, c.epoch, 0)]),
    )
    .await
    .expect("the insert does not wait for the run row")
    .expect("and no deadlock is detected");
    assert_eq!(inserted.len(), 1);
    flush.commit().await.unwrap();
    assert_eq!(signalling.result().await, "stored");
}
