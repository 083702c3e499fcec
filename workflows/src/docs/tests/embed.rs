//! The embeddings client against the fake provider: batching, bounded retries of 429/5xx,
//! refusals that are not retried, and a key that never reaches a log line or an error.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use testkit::embeddings::{EmbeddingFault, FakeEmbeddings, KeySeen, embed};

use super::support::{REPO, document, embeddings_config, start};
use crate::docs::{ApiKey, DIMENSIONS, Embedder, EmbeddingsConfig, Error};

async fn fake() -> (FakeEmbeddings, EmbeddingsConfig) {
    crate::tls::install_crypto_provider();
    let fake = FakeEmbeddings::start().await.unwrap();
    let config = embeddings_config(&fake);
    (fake, config)
}

fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("text number {i}")).collect()
}

#[tokio::test]
async fn texts_are_embedded_in_batches_in_order_with_their_usage() {
    let (fake, config) = fake().await;
    let embedder = Embedder::new(EmbeddingsConfig {
        batch_size: 3,
        ..config
    })
    .unwrap();

    let out = embedder.embed(&texts(7)).await.unwrap();

    assert_eq!(out.vectors.len(), 7);
    assert_eq!(out.vectors[5], embed("text number 5", DIMENSIONS));
    let sizes: Vec<usize> = fake.requests().iter().map(|r| r.inputs.len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.dimensions == Some(DIMENSIONS))
    );
    assert_eq!((out.usage.requests, out.usage.inputs), (3, 7));
    assert_eq!(
        out.usage.input_tokens, 21,
        "three words a text, as the fake counts"
    );
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_until_they_pass() {
    let (fake, config) = fake().await;
    let embedder = Embedder::new(config).unwrap();
    let hint = Duration::from_millis(10);
    fake.fail_next(EmbeddingFault::TooManyRequests { retry_after: hint }, 1);
    fake.fail_next(EmbeddingFault::Status(503), 2);

    let out = embedder.embed(&texts(2)).await.unwrap();

    assert_eq!(out.vectors.len(), 2);
    assert_eq!(fake.requests().len(), 4, "429, 503, 503, then vectors");
    assert_eq!(out.usage.requests, 1, "only answered requests count");
}

#[tokio::test]
async fn retries_are_bounded_and_then_the_failure_is_retryable_for_the_step() {
    let (fake, config) = fake().await;
    let embedder = Embedder::new(EmbeddingsConfig {
        max_retries: 2,
        ..config
    })
    .unwrap();
    fake.fail_next(EmbeddingFault::Status(500), 10);

    let err = embedder.embed(&texts(1)).await.unwrap_err();

    assert!(
        matches!(err, Error::EmbeddingsUnavailable { attempts: 3, .. }),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 3);
    assert!(matches!(
        err.into_step_error(),
        engine::StepError::Retryable(_)
    ));
}

#[tokio::test]
async fn a_slow_provider_times_out_and_counts_as_a_failed_attempt() {
    let (fake, config) = fake().await;
    let embedder = Embedder::new(EmbeddingsConfig {
        request_timeout: Duration::from_millis(200),
        max_retries: 1,
        ..config
    })
    .unwrap();
    fake.fail_next(EmbeddingFault::Stall(Duration::from_secs(3)), 1);

    let out = embedder.embed(&texts(1)).await.unwrap();

    assert_eq!(out.vectors.len(), 1);
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn refusals_and_a_bad_key_are_not_retried() {
    let (fake, config) = fake().await;
    let embedder = Embedder::new(config.clone()).unwrap();
    fake.fail_next(EmbeddingFault::Status(400), 1);
    let err = embedder.embed(&texts(1)).await.unwrap_err();
    assert!(
        matches!(err, Error::EmbeddingsRefused { status: 400, .. }),
        "{err:?}"
    );
    assert!(matches!(
        err.into_step_error(),
        engine::StepError::Terminal(_)
    ));

    let wrong = Embedder::new(EmbeddingsConfig {
        api_key: ApiKey::new("sk-not-the-key-0123456789"),
        ..config
    })
    .unwrap();
    let err = wrong.embed(&texts(1)).await.unwrap_err();
    assert!(
        matches!(err, Error::EmbeddingsBadCredentials { status: 401 }),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 2, "one request each");
    assert_eq!(fake.requests()[1].key, KeySeen::Wrong);
}

#[tokio::test]
async fn a_provider_outage_longer_than_the_client_retries_is_retried_by_the_step() {
    let t = start().await;
    t.github
        .put_file(REPO, "README.md", &document("Shop", "checkout", 1));
    // 4 client retries: the first attempt fails five times, the step's second attempt passes.
    t.embeddings.fail_next(EmbeddingFault::Status(502), 5);

    let out = t.index().await;

    assert_eq!(out.embedded, 1);
    let run_events: i64 =
        sqlx::query_scalar("select count(*) from flow_events where kind = 'step_retry_scheduled'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(run_events, 1, "one durable retry of the batch step");
    assert_eq!(t.embeddings.requests().len(), 6);
    t.stop().await;
}

/// Collects everything a subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_api_key_is_in_no_log_line_and_no_error() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (fake, config) = fake().await;
    let key = fake.api_key();
    let embedder = Embedder::new(config.clone()).unwrap();
    fake.fail_next(EmbeddingFault::Status(500), 1);
    embedder.embed(&texts(2)).await.unwrap();
    // A key the provider refuses: the fake quotes it in its answer, as OpenAI does.
    let wrong_key = format!("{key}-revoked");
    let wrong = Embedder::new(EmbeddingsConfig {
        api_key: ApiKey::new(wrong_key.clone()),
        ..config.clone()
    })
    .unwrap();
    let refused = wrong.embed(&texts(1)).await.unwrap_err();
    tracing::error!(error.message = %refused, error.cause_chain = ?refused, "logged like a handler would");
    fake.fail_next(EmbeddingFault::Status(400), 1);
    let other = embedder.embed(&texts(1)).await.unwrap_err();
    tracing::error!(error.message = %other, error.cause_chain = ?other, "logged like a handler would");
    tracing::debug!(?embedder, ?config, "the client and its settings");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("retrying embeddings request"),
        "logs were captured: {logs}"
    );
    for secret in [&key, &wrong_key] {
        assert!(!logs.contains(secret.as_str()), "key in logs:\n{logs}");
        for shown in [
            format!("{refused} {refused:?}"),
            format!("{other} {other:?}"),
        ] {
            assert!(!shown.contains(secret.as_str()), "{shown}");
        }
    }
    assert!(format!("{config:?}").contains("ApiKey(<redacted>)"));
}
