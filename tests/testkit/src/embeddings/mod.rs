//! A fake of the OpenAI embeddings API on 127.0.0.1: `POST /v1/embeddings` answered with
//! deterministic vectors ([`embed`], a seeded hash projection of the words, so similar texts are
//! near). It checks the bearer key, records every request (never the key) and answers injected
//! failures ([`EmbeddingFault`]) the way the real API does (429 with `Retry-After`, 5xx, stalls).

mod projection;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub use projection::{cosine, embed, words};

/// Dimensions the fake answers with when a request names none (text-embedding-3-large's).
pub const DEFAULT_DIMENSIONS: usize = 3072;

/// Largest request body the fake reads.
const MAX_BODY_BYTES: usize = 16 << 20;

/// Which key a request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySeen {
    /// The fake's key.
    Valid,
    /// Another key (answered 401).
    Wrong,
    /// No `Authorization` header (answered 401).
    Missing,
}

/// One request as the fake received it; the key itself is never kept.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingRequest {
    /// `model` of the body.
    pub model: String,
    /// The texts to embed.
    pub inputs: Vec<String>,
    /// `dimensions` of the body, if given.
    pub dimensions: Option<usize>,
    /// Which key it carried.
    pub key: KeySeen,
    /// Whether it was answered with vectors (not a fault or a refusal).
    pub served: bool,
}

/// A failure the fake answers with instead of vectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbeddingFault {
    /// This status with OpenAI's error body (e.g. 500, 503, 400).
    Status(u16),
    /// 429 "Rate limit reached" with `retry-after` (seconds) and `retry-after-ms`.
    TooManyRequests {
        /// The hint.
        retry_after: Duration,
    },
    /// Waits this long, then answers normally (to exercise client timeouts).
    Stall(Duration),
}

#[derive(Debug, Default)]
struct Shared {
    key: String,
    requests: Vec<EmbeddingRequest>,
    faults: Vec<(EmbeddingFault, u32)>,
}

type SharedState = Arc<Mutex<Shared>>;

fn lock(state: &SharedState) -> MutexGuard<'_, Shared> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake provider; stops when dropped.
#[derive(Debug)]
pub struct FakeEmbeddings {
    addr: SocketAddr,
    state: SharedState,
    stop: CancellationToken,
}

impl FakeEmbeddings {
    /// Serves on a free port of 127.0.0.1 with a fresh key.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(Shared {
            key: format!("sk-fake-{}", uuid::Uuid::new_v4().simple()),
            ..Shared::default()
        }));
        let app = Router::new()
            .route("/v1/embeddings", post(embeddings))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(state.clone());
        let stop = CancellationToken::new();
        let until = stop.clone();
        tokio::spawn(async move {
            let serving = axum::serve(listener, app)
                .with_graceful_shutdown(async move { until.cancelled().await });
            if let Err(e) = serving.await {
                tracing::warn!(error.message = %e, "fake embeddings server stopped");
            }
        });
        Ok(Self { addr, state, stop })
    }

    /// The provider base URL (`http://127.0.0.1:<port>/v1`; clients post to `{base}/embeddings`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The key the fake accepts.
    pub fn api_key(&self) -> String {
        lock(&self.state).key.clone()
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<EmbeddingRequest> {
        lock(&self.state).requests.clone()
    }

    /// Texts answered with vectors so far (what a real provider would bill).
    pub fn embedded(&self) -> usize {
        let state = lock(&self.state);
        state
            .requests
            .iter()
            .filter(|r| r.served)
            .map(|r| r.inputs.len())
            .sum()
    }

    /// Answers the next `times` requests with `fault`.
    pub fn fail_next(&self, fault: EmbeddingFault, times: u32) {
        lock(&self.state).faults.push((fault, times));
    }
}

impl Drop for FakeEmbeddings {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn error(status: StatusCode, message: &str, kind: &str) -> Response {
    let body =
        json!({ "error": { "message": message, "type": kind, "param": null, "code": null } });
    (status, Json(body)).into_response()
}

fn inputs_of(body: &Value) -> Option<Vec<String>> {
    match body.get("input")? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

async fn embeddings(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let dimensions = body
        .get("dimensions")
        .and_then(Value::as_u64)
        .map(|d| d as usize);
    let inputs = inputs_of(&body);
    let (key, fault) = {
        let mut shared = lock(&state);
        let key = match &presented {
            None => KeySeen::Missing,
            Some(k) if *k == shared.key => KeySeen::Valid,
            Some(_) => KeySeen::Wrong,
        };
        let fault = if key == KeySeen::Valid {
            shared
                .faults
                .iter_mut()
                .find(|(_, n)| *n > 0)
                .map(|(f, n)| {
                    *n -= 1;
                    f.clone()
                })
        } else {
            None
        };
        shared.faults.retain(|(_, n)| *n > 0);
        let served = key == KeySeen::Valid
            && inputs.is_some()
            && !matches!(
                fault,
                Some(EmbeddingFault::Status(_) | EmbeddingFault::TooManyRequests { .. })
            );
        shared.requests.push(EmbeddingRequest {
            model: model.clone(),
            inputs: inputs.clone().unwrap_or_default(),
            dimensions,
            key,
            served,
        });
        (key, fault)
    };
    match (key, &presented) {
        // Like the real API, the refusal quotes the key it got: clients must not log it.
        (KeySeen::Wrong, Some(k)) => {
            let message = format!("Incorrect API key provided: {k}.");
            return error(StatusCode::UNAUTHORIZED, &message, "invalid_request_error");
        }
        (KeySeen::Missing, _) | (KeySeen::Wrong, None) => {
            let message = "You didn't provide an API key.";
            return error(StatusCode::UNAUTHORIZED, message, "invalid_request_error");
        }
        (KeySeen::Valid, _) => {}
    }
    match fault {
        Some(EmbeddingFault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error(
                status,
                "The server had an error processing your request.",
                "server_error",
            );
        }
        Some(EmbeddingFault::TooManyRequests { retry_after }) => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests.",
                "requests",
            );
            let h = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().to_string()) {
                h.insert("retry-after", v);
            }
            if let Ok(v) = HeaderValue::from_str(&retry_after.as_millis().to_string()) {
                h.insert("retry-after-ms", v);
            }
            return response;
        }
        Some(EmbeddingFault::Stall(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    let Some(inputs) = inputs else {
        return error(
            StatusCode::BAD_REQUEST,
            "'input' must be a string or an array of strings.",
            "invalid_request_error",
        );
    };
    let dims = dimensions.unwrap_or(DEFAULT_DIMENSIONS);
    let tokens: usize = inputs.iter().map(|t| words(t).count().max(1)).sum();
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| json!({ "object": "embedding", "index": index, "embedding": embed(text, dims) }))
        .collect();
    Json(json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": { "prompt_tokens": tokens, "total_tokens": tokens },
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn post(fake: &FakeEmbeddings, key: &str, body: Value) -> (u16, Value) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let r = reqwest::Client::new()
            .post(format!("{}/embeddings", fake.base_url()))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    #[tokio::test]
    async fn it_answers_deterministic_vectors_checks_the_key_and_serves_faults() {
        let fake = FakeEmbeddings::start().await.unwrap();
        let body = json!({ "model": "m", "input": ["a b", "c"], "dimensions": 16 });
        let (status, answer) = post(&fake, &fake.api_key(), body.clone()).await;
        assert_eq!(status, 200);
        let first: Vec<f32> =
            serde_json::from_value(answer["data"][0]["embedding"].clone()).unwrap();
        assert_eq!(first, embed("a b", 16));
        assert_eq!(answer["data"][1]["index"], 1);
        assert_eq!(answer["usage"]["prompt_tokens"], 3);

        let (status, answer) = post(&fake, "sk-wrong-key", body.clone()).await;
        assert_eq!(status, 401);
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("sk-wrong-key")
        );

        fake.fail_next(
            EmbeddingFault::TooManyRequests {
                retry_after: Duration::from_secs(2),
            },
            1,
        );
        assert_eq!(post(&fake, &fake.api_key(), body.clone()).await.0, 429);
        assert_eq!(post(&fake, &fake.api_key(), body).await.0, 200);

        let keys: Vec<KeySeen> = fake.requests().iter().map(|r| r.key).collect();
        assert_eq!(
            keys,
            [
                KeySeen::Valid,
                KeySeen::Wrong,
                KeySeen::Valid,
                KeySeen::Valid
            ]
        );
        assert_eq!(fake.embedded(), 4);
    }
}
