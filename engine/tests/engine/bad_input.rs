use std::time::Duration;

use engine::{ClientConfig, Error, RunStatus, StartOptions};
use serde_json::json;

use crate::{
    flows::{self, Double, Flaky, FlakyInput, Num},
    support::*,
};

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_loses_nothing_already_accepted() {
    let pool = fresh_pool().await;
    let client = engine::Client::new(
        pool.clone(),
        ClientConfig {
            max_payload_bytes: 1024,
            ..Default::default()
        },
    );
    let accepted = client
        .start::<Double>(&Num { n: 21 }, StartOptions::default())
        .await
        .unwrap();

    let reused = client
        .start::<Double>(
            &Num { n: 21 },
            StartOptions {
                idempotency_key: Some("k".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let conflict = client
        .start::<Double>(
            &Num { n: 22 },
            StartOptions {
                idempotency_key: Some("k".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&conflict, Error::IdempotencyConflict { key, run_id } if key == "k" && *run_id == reused.id),
        "another input under the same key is a typed conflict: {conflict}"
    );
    let other_kind = client
        .start::<Flaky>(
            &FlakyInput::default(),
            StartOptions {
                idempotency_key: Some("k".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(other_kind, Error::IdempotencyConflict { .. }),
        "another kind under the same key is a typed conflict: {other_kind}"
    );
    let same = client
        .start::<Double>(
            &Num { n: 21 },
            StartOptions {
                idempotency_key: Some("k".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((same.id, same.created), (reused.id, false));

    let oversize = client
        .start::<Flaky>(
            &FlakyInput {
                fail_times: 0,
                terminal: false,
                panic: false,
                note: "x".repeat(4096),
            },
            StartOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(oversize, Error::PayloadTooLarge { limit: 1024, .. }),
        "{oversize}"
    );

    let bad_limit = StartOptions {
        concurrency: vec![("k".into(), 0)],
        ..Default::default()
    };
    assert!(matches!(
        client
            .start::<Double>(&Num { n: 1 }, bad_limit)
            .await
            .unwrap_err(),
        Error::InvalidOption {
            name: "concurrency",
            ..
        }
    ));
    let oversize_signal = client
        .signal(accepted.id, "x", json!("y".repeat(2048)), None)
        .await
        .unwrap_err();
    assert!(matches!(oversize_signal, Error::PayloadTooLarge { .. }));

    let rows: i64 = sqlx::query_scalar("select count(*) from workflow_runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 2, "rejected starts leave nothing behind");
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    for id in [accepted.id, reused.id] {
        let done = wait_finished(&client, id, Duration::from_secs(5)).await;
        assert_eq!(done.summary.status, RunStatus::Succeeded);
        assert_eq!(done.output, Some(json!(42)));
    }
    worker.stop().await;
}

#[test]
fn invalid_worker_settings_are_refused_naming_the_setting() {
    let config = engine::WorkerConfig {
        heartbeat: Duration::from_secs(20),
        ..Default::default()
    };
    let err = config.validate().unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidOption {
                name: "heartbeat",
                ..
            }
        ),
        "{err}"
    );
    let config = engine::WorkerConfig {
        queues: vec![],
        ..Default::default()
    };
    assert!(matches!(
        config.validate().unwrap_err(),
        Error::InvalidOption { name: "queues", .. }
    ));
}
