//! Races inside a worker process, forced with its test hooks: a cancel notice that arrives between
//! a claim and the attempt's registration, and notices lost while the listener's connection is down.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use engine::{Hooks, RunStatus, StartOptions, WorkerConfig};
use futures::FutureExt;
use serde_json::json;
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::{
    flows::{self, BlockInput, Blocker, Double, Num, PROBE},
    support::*,
};

/// Settings under which only the listener can deliver a notice in time: leases and heartbeats of
/// an hour, a poll of an hour.
fn listener_only(queues: &[(&str, usize)]) -> WorkerConfig {
    WorkerConfig {
        lease: Duration::from_secs(3600),
        heartbeat: Duration::from_secs(1800),
        poll_interval: Duration::from_secs(3600),
        ..fast_config(queues)
    }
}

#[tokio::test]
async fn a_cancel_notice_that_arrives_between_claim_and_registration_still_stops_the_attempt() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let run = client
        .start::<Blocker>(
            &BlockInput {
                sleep_ms: None,
                tag: "t".into(),
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    let noticed = Arc::new(Notify::new());
    let fired = Arc::new(AtomicBool::new(false));
    let (c, n, f) = (client.clone(), noticed.clone(), fired.clone());
    let hooks = Hooks {
        // Claimed, not yet registered: cancel now and hold the registration until the listener
        // has handled the notice.
        after_claim: Some(Arc::new(move |runs| {
            let (c, n, f) = (c.clone(), n.clone(), f.clone());
            async move {
                if runs.contains(&run.id) && !f.swap(true, Ordering::SeqCst) {
                    c.cancel(run.id, "early").await.unwrap();
                    n.notified().await;
                }
            }
            .boxed()
        })),
        cancel_noticed: Some(Arc::new(move |_| {
            let noticed = noticed.clone();
            async move { noticed.notify_one() }.boxed()
        })),
        ..Hooks::default()
    };
    let worker = spawn_worker(
        &pool,
        flows::registry(),
        WorkerConfig {
            hooks,
            ..listener_only(&[("default", 2)])
        },
    );
    let done = wait_finished(&client, run.id, Duration::from_secs(20)).await;
    assert_eq!(done.summary.status, RunStatus::Cancelled);
    assert_eq!(PROBE.count(run.id, "cleanup_cancelled"), 1);
    worker.stop().await;
}

async fn listener_pid(pool: &PgPool) -> i32 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let pid: Option<i32> = sqlx::query_scalar(
            "select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'",
        )
        .fetch_optional(pool)
        .await
        .unwrap();
        if let Some(pid) = pid {
            return pid;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no listener connection"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn after_the_listener_connection_is_killed_starts_are_claimed_and_cancels_reach_their_attempts()
 {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let connected = Arc::new(Notify::new());
    let lost_cancel: Arc<std::sync::Mutex<Option<uuid::Uuid>>> = Default::default();
    let (on_connect, to_cancel, c) = (connected.clone(), lost_cancel.clone(), client.clone());
    let hooks = Hooks {
        listener_connected: Some(Arc::new(move |()| {
            let n = on_connect.clone();
            async move { n.notify_one() }.boxed()
        })),
        // While the connection is down (before the new LISTEN), the run is cancelled: its notice
        // goes nowhere and only the catch-up after reconnecting can find it.
        listener_lost: Some(Arc::new(move |()| {
            let (to_cancel, c) = (to_cancel.clone(), c.clone());
            async move {
                let run = *to_cancel.lock().unwrap();
                if let Some(run) = run {
                    c.cancel(run, "lost notice").await.unwrap();
                }
            }
            .boxed()
        })),
        ..Hooks::default()
    };
    let worker = spawn_worker(
        &pool,
        flows::registry(),
        WorkerConfig {
            hooks,
            ..listener_only(&[("default", 4)])
        },
    );
    connected.notified().await;

    let blocked = client
        .start::<Blocker>(
            &BlockInput {
                sleep_ms: None,
                tag: "b".into(),
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    PROBE
        .wait_for(blocked.id, "work_started", 1, Duration::from_secs(10))
        .await;
    *lost_cancel.lock().unwrap() = Some(blocked.id);
    let pid = listener_pid(&pool).await;
    sqlx::query("select pg_terminate_backend($1)")
        .bind(pid)
        .execute(&pool)
        .await
        .unwrap();
    connected.notified().await;

    let cancelled = wait_finished(&client, blocked.id, Duration::from_secs(20)).await;
    assert_eq!(
        cancelled.summary.status,
        RunStatus::Cancelled,
        "the catch-up found the lost notice"
    );
    assert_eq!(PROBE.count(blocked.id, "cleanup_cancelled"), 1);
    // With a poll of an hour, only the new connection's notification can get this claimed.
    let started = client
        .start::<Double>(&Num { n: 4 }, StartOptions::default())
        .await
        .unwrap();
    let done = wait_finished(&client, started.id, Duration::from_secs(20)).await;
    assert_eq!(done.output, Some(json!(8)));
    worker.stop().await;
}
