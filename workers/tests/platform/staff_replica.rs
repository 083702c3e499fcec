//! Read routing against a real streaming replica: a second throwaway server made with
//! `pg_basebackup -R` from the same binaries. Inspection reads go to it, a caller sees its own
//! writes (from the primary while the replica has not replayed them), and the API stays up when
//! the replica is stopped.

use std::time::Duration;

use testkit::throwaway::{ThrowawayOptions, ThrowawayPg};
use workers::api::staff::{jwt::JwtKeys, reads::Reads};

use crate::support::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[tokio::test]
async fn inspection_reads_go_to_the_replica_a_caller_sees_its_own_writes_and_a_stopped_replica_falls_back()
 {
    let primary = ThrowawayPg::start(ThrowawayOptions::default())
        .await
        .expect("primary");
    let url = primary.url();
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    MIGRATOR.run(&admin).await.unwrap();
    let replica = primary.start_replica().await.expect("a streaming replica");
    let replica_url = replica.url();
    let replica_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy(&replica_url)
        .unwrap();
    let in_recovery: bool = sqlx::query_scalar("select pg_is_in_recovery()")
        .fetch_one(&replica_pool)
        .await
        .unwrap();
    assert!(in_recovery, "the second server is a hot standby");
    let routed = replica_pool.clone();
    let mut p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        database_url: Some(url.clone()),
        staff: Some(Box::new(move |pool| {
            workers::api::StaffState::new(
                JwtKeys::generate("t", Duration::from_secs(900)),
                None,
                None,
                Reads::new(pool, vec![routed], Duration::from_secs(300)),
            )
        })),
        ..Options::default()
    })
    .await;
    p.add_user("watcher", Some("read"), false).await;
    p.github
        .add_issue("acme/shop", 5, "replicated", &["run:dev"]);
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 5, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&delivery).await.2.expect("a stage run");
    let owner = p.token_for("owner@acme.test").await;
    let watcher = p.token_for("watcher@acme.test").await;

    // 1. Reads go to the replica once it has the run.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, page, _) = p
            .staff_call(
                "GET",
                "/api/v1/staff/runs?project=acme",
                Some(&watcher),
                None,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        if page["items"].as_array().is_some_and(|i| !i.is_empty()) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replica never showed the run"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (by_replica, by_primary) = p.staff.reads.served();
    assert!(
        by_replica > 0 && by_primary == 0,
        "replica {by_replica}, primary {by_primary}"
    );

    // 2. With replay paused the replica falls behind: the caller who wrote reads its write from
    // the primary, another caller keeps reading the (stale) replica.
    sqlx::query("select pg_wal_replay_pause()")
        .execute(&replica_pool)
        .await
        .unwrap();
    let (status, outcome, _) = p
        .staff_call(
            "POST",
            &format!("/api/v1/staff/runs/{run}/cancel"),
            Some(&owner),
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(status, 200, "{outcome}");
    let (_, mine, _) = p
        .staff_call(
            "GET",
            &format!("/api/v1/staff/runs/{run}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(
        mine["engine"]["end_reason"], "cancelled",
        "the writer sees its own write: {mine}"
    );
    let (_, theirs, _) = p
        .staff_call(
            "GET",
            &format!("/api/v1/staff/runs/{run}"),
            Some(&watcher),
            None,
        )
        .await;
    assert_eq!(
        theirs["engine"]["end_reason"],
        serde_json::Value::Null,
        "the replica is behind: {theirs}"
    );
    assert!(p.staff.reads.fallback_count() >= 1);
    sqlx::query("select pg_wal_replay_resume()")
        .execute(&replica_pool)
        .await
        .unwrap();

    // 3. A stopped replica: reads fall back to the primary, logged and counted; the API stays up.
    drop(replica);
    let before = p.staff.reads.fallback_count();
    let (status, page, _) = p
        .staff_call(
            "GET",
            "/api/v1/staff/runs?project=acme",
            Some(&watcher),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    assert!(p.staff.reads.fallback_count() > before);
    let (_, metrics, _) = p.staff_call("GET", "/metrics", None, None).await;
    assert!(
        metrics
            .as_str()
            .unwrap_or_default()
            .contains("codex_k8s_replica_fallbacks_total"),
        "{metrics}"
    );
    p.start_worker(&[("stages", 1)]);
    p.stop().await;
    admin.close().await;
}
