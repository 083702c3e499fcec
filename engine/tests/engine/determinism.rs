//! Positions are taken when a context call is made, not when its future is first polled: steps
//! created in one order and polled in another replay with the same positions.

use std::time::Duration;

use engine::{RunStatus, StartOptions};

use crate::{
    flows::{self, Empty, Fanout},
    support::*,
};

#[tokio::test]
async fn steps_polled_in_a_random_order_keep_the_positions_they_were_created_with() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(Fanout).unwrap()),
        fast_config(&[("default", 8)]),
    );
    let mut runs = Vec::new();
    for _ in 0..10 {
        runs.push(
            client
                .start::<Fanout>(&Empty {}, StartOptions::default())
                .await
                .unwrap()
                .id,
        );
    }
    for id in runs {
        let done = wait_finished(&client, id, Duration::from_secs(20)).await;
        assert_eq!(
            done.summary.status,
            RunStatus::Succeeded,
            "{:?}",
            done.parked
        );
        let expected: Vec<u32> = (0..10).chain(0..10).collect();
        assert_eq!(done.output, Some(serde_json::json!(expected)));
        for step in done.steps.iter().filter(|s| s.kind == "step") {
            let round = step.seq / 11;
            let i = step.seq % 11;
            assert_eq!(
                step.name,
                format!("s{round}-{i}"),
                "position {} holds its creation order",
                step.seq
            );
        }
    }
    worker.stop().await;
}
