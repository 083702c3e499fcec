//! A real worker process is killed with SIGKILL mid-step; its runs are rescued and finished once.

use std::{process::Stdio, time::Duration};

use engine::{RunStatus, StartOptions, WorkerConfig};

use crate::{
    flows::{self, BlockInput, Blocker, PROBE},
    support::*,
};

const CHILD_ENV: &str = "CK8S_TEST_CHILD_DATABASE_URL";

#[tokio::test]
#[ignore = "entry point of the child worker process that crash tests kill; run by them with CK8S_TEST_CHILD_DATABASE_URL"]
async fn child_worker() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let config = WorkerConfig {
        lease: Duration::from_secs(2),
        heartbeat: Duration::from_millis(500),
        ..fast_config(&[("crash", 8)])
    };
    let worker = spawn_worker(&pool, flows::registry(), config);
    // Until killed.
    let _ = worker.handle.await;
}

#[tokio::test]
async fn a_worker_killed_mid_step_has_its_runs_rescued_and_finished_exactly_once() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let url: String = {
        let db: String = sqlx::query_scalar("select current_database()")
            .fetch_one(&pool)
            .await
            .unwrap();
        let port: i32 = sqlx::query_scalar("select current_setting('port')::int")
            .fetch_one(&pool)
            .await
            .unwrap();
        format!("postgres://postgres@127.0.0.1:{port}/{db}")
    };
    let opts = StartOptions {
        queue: Some("crash".into()),
        ..Default::default()
    };
    let mut runs = Vec::new();
    for i in 0..6 {
        // The step sleeps long enough to be killed in the middle.
        runs.push(
            client
                .start::<Blocker>(
                    &BlockInput {
                        sleep_ms: Some(1500),
                        tag: format!("r{i}"),
                    },
                    opts.clone(),
                )
                .await
                .unwrap()
                .id,
        );
    }
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "crash::child_worker", "--nocapture"])
        .env(CHILD_ENV, &url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Wait until the child holds every run mid-step.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let leased: i64 =
            sqlx::query_scalar("select count(*) from workflow_tasks where state = 'leased'")
                .fetch_one(&pool)
                .await
                .unwrap();
        if leased == 6 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "child never claimed the runs"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("crash", 8)]));
    for id in &runs {
        let done = wait_finished(&client, *id, Duration::from_secs(15)).await;
        assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
        assert_eq!(done.steps.len(), 1);
        let rescued = done.events.iter().position(|e| e.kind == "lease_rescued");
        let finished = done.events.iter().position(|e| e.kind == "succeeded");
        assert!(
            rescued < finished && rescued.is_some(),
            "rescued, then finished: {:?}",
            done.events
        );
        // This process ran the step once: the killed attempt's work was never committed.
        assert_eq!(PROBE.count(*id, "work_done"), 1);
    }
    // How fast the rescue is belongs to `bench` (workload `rescue`), not to this test.
    let tasks: i64 = sqlx::query_scalar("select count(*) from workflow_tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tasks, 0);
    worker.stop().await;
}
