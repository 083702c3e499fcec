//! Liveness and readiness through a real Postgres outage: the server is stopped at once (as a
//! crash would) and started again on the same port. Readiness must follow within 2 s each way,
//! the webhook ingress must answer 503 with `Retry-After` at once meanwhile (not after the pool's
//! 10 s acquire timeout), and deliveries are accepted again once the database is back.

use std::{sync::Arc, time::Duration};

use axum::{Router, body::Body, http::Request};
use engine::{Metrics, Worker, WorkerConfig};
use testkit::throwaway::{ThrowawayOptions, ThrowawayPg};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use workers::{health::Readiness, http};

use crate::support::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Bound the issue sets for readiness to follow the database.
const FOLLOW: Duration = Duration::from_secs(2);

async fn get(router: &Router, path: &str) -> (u16, Option<String>, serde_json::Value) {
    let response = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (
        status,
        retry,
        serde_json::from_slice(&bytes).unwrap_or_default(),
    )
}

/// Polls `/readyz` until it answers `want`; returns how long that took.
async fn until_ready_is(router: &Router, want: u16, bound: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (status, _, body) = get(router, "/readyz").await;
        if status == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < bound,
            "/readyz still {status} after {bound:?}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn readiness_follows_a_postgres_outage_within_two_seconds_and_the_ingress_refuses_fast_meanwhile()
 {
    // Durable settings: the stop below is a crash (`-m immediate`), and with fsync and
    // synchronous commit off the server would lose its last commits (the migrations) in it.
    let pg = ThrowawayPg::start(ThrowawayOptions {
        fsync: true,
        ..ThrowawayOptions::default()
    })
    .await
    .expect("postgres");
    let url = pg.url();
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    MIGRATOR.run(&admin).await.unwrap();
    admin.close().await;
    let p = TestPlatform::start(Options {
        database_url: Some(url.clone()),
        ..Options::default()
    })
    .await;
    let stop = CancellationToken::new();
    let _api_monitor = p.readiness.spawn_monitor(stop.clone());
    // A worker of its own, with its readiness served on its own ops router.
    let worker = Worker::new(
        p.pool.clone(),
        p.wiring.registry.clone(),
        WorkerConfig {
            queues: vec![("ingress".into(), 1)],
            ..WorkerConfig::default()
        },
        Arc::new(Metrics::new()),
    )
    .unwrap();
    let worker_readiness = Readiness::new(p.pool.clone(), Some(worker.health()));
    let _worker_monitor = worker_readiness.spawn_monitor(stop.clone());
    let worker_ops = http::ops_router(Arc::new(Metrics::new()), worker_readiness);
    let (status, _, body) = get(&worker_ops, "/readyz").await;
    assert_eq!(
        status, 503,
        "a worker that has not started is not ready: {body}"
    );
    let worker_task = tokio::spawn(worker.run(stop.clone()));

    until_ready_is(&p.router, 200, Duration::from_secs(10)).await;
    until_ready_is(&worker_ops, 200, Duration::from_secs(10)).await;
    let (_, _, body) = get(&p.router, "/readyz").await;
    let names: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["database", "migrations"], "{body}");
    let payload = issue_labeled("owner", "User", 1, "run:dev", &["run:dev"]);
    let (_, status, _) = p.deliver("issues", &payload).await;
    assert_eq!(status, 202, "accepted while the database is up");

    // The outage.
    pg.pause().expect("stop postgres");
    let down_after = until_ready_is(&p.router, 503, FOLLOW).await;
    until_ready_is(&worker_ops, 503, FOLLOW).await;
    assert_eq!(get(&p.router, "/livez").await.0, 200, "alive all along");
    let (status, retry, body) = get(&p.router, "/readyz").await;
    assert_eq!((status, retry.as_deref()), (503, Some("5")), "{body}");
    assert_eq!(body["checks"][0]["name"], "database", "{body}");
    assert_eq!(body["checks"][0]["ok"], false, "{body}");
    let started = Instant::now();
    let body = payload.to_string();
    let (status, problem, content_type) = p
        .post(
            "issues",
            &uuid::Uuid::new_v4().to_string(),
            body.as_bytes(),
            Some(workers::api::sign(SECRET.as_bytes(), body.as_bytes())),
        )
        .await;
    let refused_in = started.elapsed();
    assert_eq!(status, 503, "{problem}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["code"], "unavailable");
    assert!(
        refused_in < FOLLOW,
        "the ingress held the sender {refused_in:?} (the pool would wait 10 s)"
    );

    // The return.
    pg.resume().expect("start postgres again");
    let up_after = until_ready_is(&p.router, 200, FOLLOW).await;
    until_ready_is(&worker_ops, 200, Duration::from_secs(5)).await;
    let (_, status, body) = p.deliver("issues", &payload).await;
    assert_eq!(status, 202, "accepted again: {body}");
    eprintln!(
        "readiness: 503 after {down_after:?}, 200 after {up_after:?}; refused in {refused_in:?}"
    );

    stop.cancel();
    worker_task.await.unwrap().unwrap();
    p.stop().await;
}
