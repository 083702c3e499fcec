//! The embeddings client: an OpenAI-compatible `POST {base}/embeddings`, in batches, with a
//! deadline on every request and a bounded retry (with backoff, honouring `Retry-After`) of rate
//! limits (429), server errors (5xx) and transport failures. The key goes into the
//! `Authorization` header only: it is in no log line, span or error message.

use std::{fmt, time::Duration};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::{Error, Result};

/// Dimensions of every embedding (`doc_chunks.embedding` is `vector(3072)`).
pub const DIMENSIONS: usize = 3072;

/// Longest pause between two attempts, whatever `Retry-After` asks for; a longer limit is left
/// to the step's durable retry.
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// The provider's API key. `Debug` never shows it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key from its configured value.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Settings of the embeddings client.
#[derive(Debug, Clone)]
pub struct EmbeddingsConfig {
    /// API root, e.g. `https://api.openai.com/v1` (the client posts to `{base_url}/embeddings`).
    pub base_url: String,
    /// The model, e.g. `text-embedding-3-large`.
    pub model: String,
    /// The key, sent as a bearer token.
    pub api_key: ApiKey,
    /// Most texts in one request.
    pub batch_size: usize,
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Limit for one whole request, answer included.
    pub request_timeout: Duration,
    /// Retries of one request after a 429, a 5xx or a transport failure (attempts = retries + 1).
    pub max_retries: u32,
    /// Pause before the first retry; doubled for each further one (capped).
    pub initial_backoff: Duration,
}

impl EmbeddingsConfig {
    /// Settings for `base_url` with the defaults: batches of 64, 10 s connect and 60 s request
    /// limits, 4 retries from 500 ms.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>, api_key: ApiKey) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key,
            batch_size: 64,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_retries: 4,
            initial_backoff: Duration::from_millis(500),
        }
    }

    /// Checks the settings; the error names the bad one.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason: &str| {
            Err(Error::InvalidConfig {
                field,
                reason: reason.to_owned(),
            })
        };
        match self.base_url.parse::<http::Uri>() {
            Ok(uri)
                if uri.authority().is_some()
                    && matches!(uri.scheme_str(), Some("http" | "https")) => {}
            _ => return bad("embeddings.base_url", "is not an absolute http(s) url"),
        }
        if self.model.trim().is_empty() {
            return bad("embeddings.model", "is empty");
        }
        if self.api_key.expose().trim().is_empty() {
            return bad("embeddings.api_key", "is empty");
        }
        if !(1..=2048).contains(&self.batch_size) {
            return bad("embeddings.batch_size", "must be 1..2048");
        }
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return bad("embeddings.request_timeout", "is zero");
        }
        if self.max_retries > 10 {
            return bad("embeddings.max_retries", "must be at most 10");
        }
        if self.initial_backoff > MAX_PAUSE {
            return bad("embeddings.initial_backoff", "is longer than 30 s");
        }
        Ok(())
    }
}

/// What embedding texts cost: requests sent, texts embedded, input tokens the provider counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Requests answered with vectors.
    pub requests: u32,
    /// Texts embedded.
    pub inputs: u32,
    /// Input tokens, as the provider reported them.
    pub input_tokens: u64,
}

impl Usage {
    /// Adds another usage to this one.
    pub fn add(&mut self, other: Usage) {
        self.requests += other.requests;
        self.inputs += other.inputs;
        self.input_tokens += other.input_tokens;
    }
}

/// Vectors of some texts, in the texts' order, and what they cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    /// One vector of [`DIMENSIONS`] per text.
    pub vectors: Vec<Vec<f32>>,
    /// The cost.
    pub usage: Usage,
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Item>,
    #[serde(default)]
    usage: Option<AnswerUsage>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct AnswerUsage {
    #[serde(default)]
    prompt_tokens: u64,
}

/// Why one attempt failed, and whether another may succeed.
enum Attempt {
    Retry {
        why: String,
        pause: Option<Duration>,
    },
    Fail(Error),
}

/// The embeddings client. Cheap to clone.
#[derive(Clone)]
pub struct Embedder {
    http: reqwest::Client,
    url: String,
    config: EmbeddingsConfig,
}

impl fmt::Debug for Embedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Embedder")
            .field("url", &self.url)
            .field("model", &self.config.model)
            .finish_non_exhaustive()
    }
}

/// A provider's refusal, short, with the key taken out (some providers quote the key they got).
fn scrub(message: &str, key: &ApiKey) -> String {
    let key = key.expose();
    let text: String = message.chars().take(300).collect();
    if key.len() >= 8 && text.contains(key) {
        text.replace(key, "<redacted>")
    } else {
        text
    }
}

/// The delay a 429 asks for: `retry-after-ms`, else `retry-after` in seconds.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let secs = get("retry-after-ms")
        .map(|ms| ms / 1000.0)
        .or_else(|| get("retry-after"))?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

impl Embedder {
    /// The client for `config` (checked first).
    pub fn new(config: EmbeddingsConfig) -> Result<Self> {
        config.validate()?;
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| Error::InvalidConfig {
                field: "embeddings",
                reason: format!("http client: {e}"),
            })?;
        let url = format!("{}/embeddings", config.base_url.trim_end_matches('/'));
        Ok(Self { http, url, config })
    }

    /// The model vectors are made with (stored beside each vector).
    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// Embeds `texts` in requests of at most the batch size, in order.
    #[tracing::instrument(level = "debug", skip_all, fields(texts = texts.len(), model = %self.config.model))]
    pub async fn embed(&self, texts: &[String]) -> Result<Embedded> {
        let mut vectors = Vec::with_capacity(texts.len());
        let mut usage = Usage::default();
        for batch in texts.chunks(self.config.batch_size) {
            let (mut v, tokens) = self.request(batch).await?;
            vectors.append(&mut v);
            usage.add(Usage {
                requests: 1,
                inputs: batch.len() as u32,
                input_tokens: tokens,
            });
        }
        Ok(Embedded { vectors, usage })
    }

    /// One batch, retried within the bounds.
    async fn request(&self, batch: &[String]) -> Result<(Vec<Vec<f32>>, u64)> {
        let mut retries = 0;
        loop {
            let (last, hint) = match self.attempt(batch).await {
                Ok(done) => return Ok(done),
                Err(Attempt::Fail(e)) => return Err(e),
                Err(Attempt::Retry { why, pause }) => (why, pause),
            };
            if retries >= self.config.max_retries {
                return Err(Error::EmbeddingsUnavailable {
                    attempts: retries + 1,
                    last,
                });
            }
            let backoff = self.config.initial_backoff * 2u32.pow(retries.min(16));
            let pause = hint.unwrap_or(backoff).min(MAX_PAUSE);
            retries += 1;
            tracing::debug!(retries, ?pause, error.message = %last, "retrying embeddings request");
            tokio::time::sleep(pause).await;
        }
    }

    async fn attempt(&self, batch: &[String]) -> Result<(Vec<Vec<f32>>, u64), Attempt> {
        let body = json!({
            "model": self.config.model,
            "input": batch,
            "dimensions": DIMENSIONS,
            "encoding_format": "float",
        });
        let sent = self
            .http
            .post(&self.url)
            .bearer_auth(self.config.api_key.expose())
            .timeout(self.config.request_timeout)
            .json(&body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                return Err(Attempt::Retry {
                    why: format!("request failed: {}", e.without_url()),
                    pause: None,
                });
            }
        };
        let status = response.status();
        if status.is_success() {
            let answer: Answer = response.json().await.map_err(|e| {
                if e.is_timeout() || e.is_body() {
                    Attempt::Retry {
                        why: format!("reading the answer failed: {}", e.without_url()),
                        pause: None,
                    }
                } else {
                    Attempt::Fail(Error::EmbeddingsBadAnswer(e.without_url().to_string()))
                }
            })?;
            return self.vectors(answer, batch.len()).map_err(Attempt::Fail);
        }
        let pause = retry_after(response.headers());
        let message = response
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let message = scrub(&message, &self.config.api_key);
        match status.as_u16() {
            401 | 403 => Err(Attempt::Fail(Error::EmbeddingsBadCredentials {
                status: status.as_u16(),
            })),
            408 | 409 | 429 | 500..=599 => Err(Attempt::Retry {
                why: format!("provider answered {status}: {message}"),
                pause,
            }),
            code => Err(Attempt::Fail(Error::EmbeddingsRefused {
                status: code,
                message,
            })),
        }
    }

    fn vectors(&self, answer: Answer, expected: usize) -> Result<(Vec<Vec<f32>>, u64)> {
        let bad = |m: String| Err(Error::EmbeddingsBadAnswer(m));
        if answer.data.len() != expected {
            return bad(format!(
                "{} vectors for {expected} texts",
                answer.data.len()
            ));
        }
        let mut slots: Vec<Option<Vec<f32>>> = vec![None; expected];
        for item in answer.data {
            if item.embedding.len() != DIMENSIONS {
                return bad(format!(
                    "a vector of {} dimensions, not {DIMENSIONS}",
                    item.embedding.len()
                ));
            }
            if !item.embedding.iter().all(|x| x.is_finite()) {
                return bad("a vector with a non-finite value".into());
            }
            match slots.get_mut(item.index) {
                Some(slot @ None) => *slot = Some(item.embedding),
                _ => return bad(format!("index {} twice or out of range", item.index)),
            }
        }
        let tokens = answer.usage.map_or(0, |u| u.prompt_tokens);
        Ok((slots.into_iter().flatten().collect(), tokens))
    }
}
