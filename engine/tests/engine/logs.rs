//! What an operator reads at the default level: exactly one `run ended` line per run, with its
//! kind, status and (unless it succeeded) the reason's code. The test runs on one thread, so the
//! worker's tasks log into this test's subscriber.

use std::time::Duration;

use engine::StartOptions;
use testkit::logs::Capture;
use tracing_subscriber::EnvFilter;

use crate::{flows::*, support::*};

#[tokio::test(flavor = "current_thread")]
async fn each_run_end_is_one_line_at_info_with_kind_status_and_reason() {
    let logs = Capture::default();
    let _default = logs.install(EnvFilter::new("info"));
    let pool = fresh_pool().await;
    let worker = spawn_worker(&pool, registry(), fast_config(&[("default", 4)]));
    let client = client(&pool);
    let ok = client
        .start::<Double>(&Num { n: 2 }, StartOptions::default())
        .await
        .unwrap();
    let bad = client
        .start::<Flaky>(
            &FlakyInput {
                fail_times: 1,
                terminal: true,
                panic: false,
                note: String::new(),
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    for id in [ok.id, bad.id] {
        wait_finished(&client, id, Duration::from_secs(20)).await;
    }
    worker.stop().await;
    let text = logs.text();
    let ended = logs.with_message("run ended");
    let of = |id: uuid::Uuid| -> Vec<&serde_json::Value> {
        ended
            .iter()
            .filter(|l| l["fields"]["run_id"] == id.to_string())
            .collect()
    };
    let (ok_lines, bad_lines) = (of(ok.id), of(bad.id));
    assert_eq!(ok_lines.len(), 1, "{text}");
    assert_eq!(ok_lines[0]["fields"]["kind"], "test_double");
    assert_eq!(ok_lines[0]["fields"]["status"], "succeeded");
    assert_eq!(bad_lines.len(), 1, "{text}");
    assert_eq!(bad_lines[0]["level"], "INFO");
    assert_eq!(bad_lines[0]["fields"]["status"], "failed");
    assert_eq!(bad_lines[0]["fields"]["reason"], "step_failed", "{text}");
}
