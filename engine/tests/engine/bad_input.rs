use std::time::Duration;

use engine::{ClientConfig, Error, RunStatus, StartOptions};
use serde_json::json;

use crate::{
    flows::{self, Double, Num},
    support::*,
};

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_loses_nothing_already_accepted() {
    let pool = fresh_pool().await;
    let client = engine::Client::new(
        pool.clone(),
        flows::registry(),
        ClientConfig {
            max_payload_bytes: 1024,
            ..Default::default()
        },
    );
    let accepted = client
        .start::<Double>(&Num { n: 21 }, StartOptions::default())
        .await
        .unwrap();

    let unknown = client
        .start_raw("no_such_kind", json!({}), StartOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, Error::UnknownKind(ref k) if k == "no_such_kind"),
        "{unknown}"
    );
    assert_eq!(
        unknown.to_string(),
        "unknown workflow kind \"no_such_kind\""
    );

    let malformed = client
        .start_raw(
            "test_double",
            json!({"n": "twelve"}),
            StartOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(malformed, Error::InvalidInput { .. }),
        "{malformed}"
    );
    assert!(
        malformed.to_string().contains("invalid type"),
        "{malformed}"
    );

    let big = json!({ "n": 1, "padding": "x".repeat(4096) });
    let oversize = client
        .start_raw("test_double", big, StartOptions::default())
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
    assert_eq!(rows, 1, "rejected starts leave nothing behind");
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let done = wait_finished(&client, accepted.id, Duration::from_secs(5)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    assert_eq!(done.output, Some(json!(42)));
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
