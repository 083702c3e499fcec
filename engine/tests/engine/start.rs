use std::{collections::HashSet, time::Duration};

use engine::{RunFilter, RunStatus, StartOptions};

use crate::{
    flows::{self, Double, Num},
    support::*,
};

#[tokio::test]
async fn fifty_concurrent_starts_with_one_idempotency_key_make_one_run() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let starts = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            let opts = StartOptions {
                idempotency_key: Some("delivery-1".into()),
                ..Default::default()
            };
            client.start::<Double>(&Num { n: 7 }, opts).await.unwrap()
        })
    });
    let results: Vec<_> = futures::future::join_all(starts)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let ids: HashSet<_> = results.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(results.iter().filter(|r| r.created).count(), 1);
    let rows: i64 = sqlx::query_scalar("select count(*) from workflow_runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn runs_are_listed_newest_first_with_filters_and_a_cursor() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 4)]));
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(
            client
                .start::<Double>(&Num { n }, StartOptions::default())
                .await
                .unwrap()
                .id,
        );
    }
    for id in &ids {
        wait_finished(&client, *id, Duration::from_secs(5)).await;
    }
    let mut seen = Vec::new();
    let mut filter = RunFilter {
        kind: Some("test_double".into()),
        status: Some(RunStatus::Succeeded),
        limit: Some(3),
        ..Default::default()
    };
    loop {
        let page = client.list_runs(&filter).await.unwrap();
        seen.extend(page.runs.iter().map(|r| r.id));
        match page.next_cursor {
            Some(c) => filter.cursor = Some(c),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids);
    let none = client
        .list_runs(&RunFilter {
            status: Some(RunStatus::Failed),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.runs.is_empty());
    worker.stop().await;
}
