//! Maintenance runs in one elected leader at a time; when it stops, another process takes over.

use std::{sync::Arc, time::Duration};

use engine::{Metrics, Worker};
use tokio_util::sync::CancellationToken;

use crate::{flows, support::*};

fn is_leader(metrics: &Metrics) -> bool {
    metrics
        .encode()
        .lines()
        .any(|l| l == "codex_k8s_maintenance_leader 1")
}

#[tokio::test]
async fn one_of_three_workers_leads_maintenance_and_another_takes_over_when_it_stops() {
    let pool = fresh_pool().await;
    let mut workers = Vec::new();
    for _ in 0..3 {
        let metrics = Arc::new(Metrics::new());
        let worker = Worker::new(
            pool.clone(),
            flows::registry(),
            fast_config(&[("default", 2)]),
            metrics.clone(),
        )
        .unwrap();
        let stop = CancellationToken::new();
        let handle = tokio::spawn(worker.run(stop.clone()));
        workers.push((metrics, stop, handle));
    }
    let leaders = |workers: &[(Arc<Metrics>, CancellationToken, _)]| {
        workers.iter().filter(|(m, _, _)| is_leader(m)).count()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while leaders(&workers) != 1 {
        assert!(tokio::time::Instant::now() < deadline, "no single leader");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let holders: i64 = sqlx::query_scalar("select count(*) from engine_leaders")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(holders, 1);
    let leader = workers.iter().position(|(m, _, _)| is_leader(m)).unwrap();
    let (_, stop, handle) = workers.remove(leader);
    stop.cancel();
    handle.await.unwrap().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while leaders(&workers) != 1 {
        assert!(tokio::time::Instant::now() < deadline, "nobody took over");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for (_, stop, handle) in workers {
        stop.cancel();
        handle.await.unwrap().unwrap();
    }
}
