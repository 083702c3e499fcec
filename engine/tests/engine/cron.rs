use std::{collections::BTreeSet, time::Duration};

use serde_json::json;

use crate::{
    flows::{self, Double},
    support::*,
};

#[tokio::test]
async fn a_cron_schedule_fires_once_per_tick_with_three_competing_workers() {
    let pool = fresh_pool().await;
    let client = client(&pool, flows::registry());
    let workers: Vec<_> = (0..3)
        .map(|_| spawn_worker(&pool, flows::registry(), fast_config(&[("default", 4)])))
        .collect();
    client
        .schedule(
            "every-second",
            "* * * * * *",
            <Double as engine::Workflow>::KIND,
            json!({"n": 1}),
            None,
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    for w in workers {
        w.stop().await;
    }
    let keys: Vec<String> = sqlx::query_scalar(
        "select idempotency_key from workflow_runs where kind = 'test_double' order by created_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let ticks: BTreeSet<i64> = keys
        .iter()
        .map(|k| k.rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ticks.len(), keys.len(), "one run per tick: {keys:?}");
    assert!(
        (3..=6).contains(&keys.len()),
        "about one tick per second: {keys:?}"
    );
    let ticks: Vec<i64> = ticks.into_iter().collect();
    assert!(
        ticks.windows(2).all(|w| w[1] - w[0] == 1_000_000),
        "no tick skipped: {ticks:?}"
    );
}
