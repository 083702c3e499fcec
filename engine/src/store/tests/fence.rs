//! Every fenced write of a stale attempt is refused; a finished run cannot be finished again.

use serde_json::{Value, json};

use super::*;
use crate::store::{
    self, flow_event, signal, step,
    task::{Completed, ReleaseMode, ReleaseParams, Released},
};

fn release(run_id: Uuid, epoch: i64, mode: ReleaseMode) -> ReleaseParams<'static> {
    ReleaseParams {
        run_id,
        epoch,
        mode,
        delay: Duration::from_secs(60),
        run_at: None,
        failed_seq: None,
        failed_attempts: 0,
        sleep_seq: None,
        event: None,
    }
}

#[tokio::test]
async fn every_fenced_write_of_a_stale_attempt_is_refused() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let stale = claim(&pool).await;
    assert_eq!(
        write_steps(&pool, &[step_write(run_id, stale.epoch, 0)])
            .await
            .unwrap()
            .len(),
        1
    );
    rescue(&pool, run_id).await;
    let fresh = claim(&pool).await;
    assert_ne!(fresh.epoch, stale.epoch);

    // The stale attempt: step output, heartbeat, every release, wait, end, park, finish: all refused.
    assert!(
        write_steps(&pool, &[step_write(run_id, stale.epoch, 1)])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        task::extend_lease_many(&pool, &[(run_id, stale.epoch)], 30.0)
            .await
            .unwrap()
            .is_empty()
    );
    for mode in [
        ReleaseMode::Retry,
        ReleaseMode::Sleep,
        ReleaseMode::Skip,
        ReleaseMode::CleanupRetry,
        ReleaseMode::Handback,
    ] {
        assert_eq!(
            task::release(&pool, &release(run_id, stale.epoch, mode))
                .await
                .unwrap(),
            Released::LeaseLost,
            "{mode:?}"
        );
    }
    let wait = signal::WaitParams {
        run_id,
        epoch: stale.epoch,
        seq: 1,
        signal: "x",
        pausing: false,
        timeout: None,
    };
    assert!(matches!(
        signal::wait(&pool, &wait).await.unwrap(),
        signal::WaitResult::LeaseLost
    ));
    for reason in [None, Some("failed"), Some("timed_out")] {
        assert_eq!(
            run::end_if_leased(&pool, run_id, stale.epoch, reason, &json!({}))
                .await
                .unwrap(),
            run::Ending::LeaseLost
        );
    }
    assert!(
        !task::park(&pool, run_id, stale.epoch, &json!({"code": "x"}))
            .await
            .unwrap()
    );
    let event = store::flow_event::NewEvent {
        run_id,
        kind: "cleanup_failed",
        step_seq: None,
        attempt: None,
        detail: Value::Null,
    };
    assert!(
        !flow_event::insert_if_leased(&pool, stale.epoch, &event)
            .await
            .unwrap()
    );
    assert_eq!(
        finish(&pool, &stale, "succeeded").await,
        Completed::LeaseLost
    );
    assert_eq!(
        state(&pool, run_id).await,
        st("pending", None, Some("leased"), false)
    );

    // The fresh attempt goes on; the stale step 1 never landed.
    assert_eq!(
        write_steps(&pool, &[step_write(run_id, fresh.epoch, 1)])
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        finish(&pool, &fresh, "succeeded").await,
        Completed::Finished(_)
    ));
    let output: Value = sqlx::query_scalar("select output from workflow_runs where id = $1")
        .bind(run_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(output, json!("succeeded"));
    let history = step::list_for_runs(&pool, &[run_id]).await.unwrap();
    assert_eq!(history[&run_id][&1].output, Some(json!(1)));
    assert_eq!(
        state(&pool, run_id).await,
        st("succeeded", None, None, true)
    );
}

#[tokio::test]
async fn a_finished_run_cannot_be_finished_extended_or_claimed_again() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    assert!(matches!(
        finish(&pool, &c, "succeeded").await,
        Completed::Finished(_)
    ));
    assert_eq!(finish(&pool, &c, "succeeded").await, Completed::LeaseLost);
    assert!(
        task::extend_lease_many(&pool, &[(run_id, c.epoch)], 30.0)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        claim_all(&pool, 10).await.is_empty(),
        "nothing left to claim"
    );
}

#[tokio::test]
async fn a_completion_with_a_status_its_run_does_not_allow_is_refused() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    let c = claim(&pool).await;
    // No end reason: only `succeeded` finishes it.
    assert_eq!(
        finish(&pool, &c, "cancelled").await,
        Completed::Ending(String::new())
    );
    assert_eq!(
        state(&pool, run_id).await,
        st("pending", None, Some("leased"), false)
    );
    assert!(matches!(
        finish(&pool, &c, "succeeded").await,
        Completed::Finished(_)
    ));
}
