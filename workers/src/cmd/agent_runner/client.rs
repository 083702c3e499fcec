//! The runner's HTTP client of the platform API: the run token as bearer, a timeout on every
//! call and bounded retries with backoff for failures that may pass (connection errors,
//! timeouts, 5xx, 429). A refusal (other 4xx) is returned at once with its problem type.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::{Serialize, de::DeserializeOwned};
use tracing::Instrument;

use crate::config::Secret;

/// Connect timeout of every call.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Timeout of a small call.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Timeout of a snapshot transfer (up to 32 MiB).
pub(super) const TRANSFER_TIMEOUT: Duration = Duration::from_secs(120);
/// First retry delay; doubled per attempt, capped at [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest retry delay.
const MAX_BACKOFF: Duration = Duration::from_secs(4);

/// Why a platform call failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum CallError {
    /// The platform refused the call (4xx other than 429).
    #[error("{what}: refused with {status} ({code}): {detail}")]
    Refused {
        /// The call.
        what: &'static str,
        /// HTTP status.
        status: u16,
        /// The problem type's last segment, e.g. `stale-session`.
        code: String,
        /// The problem detail.
        detail: String,
    },
    /// Every attempt failed with a passing failure.
    #[error("{what}: platform unavailable after {attempts} attempt(s): {last}")]
    Unavailable {
        /// The call.
        what: &'static str,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The answer was not what the API promises.
    #[error("{what}: unexpected answer: {detail}")]
    Invalid {
        /// The call.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl CallError {
    /// The HTTP status of a refusal.
    pub(super) fn status(&self) -> Option<u16> {
        match self {
            CallError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A call: what it is (for logs), how often to try it, its timeout.
#[derive(Debug, Clone, Copy)]
pub(super) struct Call {
    /// Name in logs and errors.
    pub(super) what: &'static str,
    /// Attempts at most (1: no retry).
    pub(super) attempts: u32,
    /// Timeout of one attempt.
    pub(super) timeout: Duration,
}

impl Call {
    /// A small call tried up to `attempts` times.
    pub(super) fn new(what: &'static str, attempts: u32) -> Self {
        Self {
            what,
            attempts: attempts.max(1),
            timeout: CALL_TIMEOUT,
        }
    }

    /// The same call with another timeout per attempt.
    pub(super) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// The platform API as the run sees it.
#[derive(Debug, Clone)]
pub(super) struct PlatformClient {
    http: reqwest::Client,
    base: String,
    token: Secret,
}

fn backoff(attempt: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << attempt.min(8))
        .min(MAX_BACKOFF)
}

async fn refusal(what: &'static str, response: Response) -> CallError {
    let status = response.status().as_u16();
    let problem: serde_json::Value = response.json().await.unwrap_or_default();
    let code = problem
        .get("type")
        .and_then(|t| t.as_str())
        .and_then(|t| t.rsplit('/').next())
        .unwrap_or("unknown")
        .to_owned();
    let detail = problem
        .get("detail")
        .and_then(|d| d.as_str())
        .unwrap_or_default()
        .to_owned();
    CallError::Refused {
        what,
        status,
        code,
        detail,
    }
}

impl PlatformClient {
    /// A client of the platform at `base` (no trailing slash) acting with `token`.
    pub(super) fn new(base: &str, token: Secret) -> Result<Self, CallError> {
        workflows::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TRANSFER_TIMEOUT)
            .build()
            .map_err(|e| CallError::Invalid {
                what: "build the HTTP client",
                detail: e.to_string(),
            })?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token,
        })
    }

    /// A request to `path` (with query) that [`PlatformClient::send`] completes.
    pub(super) fn request(&self, method: Method, path_and_query: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path_and_query}", self.base))
    }

    /// Sends the request `build` makes, with the token, retrying passing failures; a success
    /// (2xx) comes back, anything else is an error.
    pub(super) async fn send(
        &self,
        call: Call,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, CallError> {
        let span = tracing::info_span!("platform_call", call = call.what);
        self.send_in_span(call, build).instrument(span).await
    }

    async fn send_in_span(
        &self,
        call: Call,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, CallError> {
        let mut last = String::new();
        for attempt in 0..call.attempts {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt - 1)).await;
            }
            let sent = crate::trace::inject(build())
                .bearer_auth(self.token.expose())
                .timeout(call.timeout)
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => return Ok(r),
                Ok(r)
                    if r.status().is_server_error()
                        || r.status() == StatusCode::TOO_MANY_REQUESTS =>
                {
                    last = format!("status {}", r.status().as_u16());
                }
                Ok(r) => return Err(refusal(call.what, r).await),
                // reqwest errors name the URL, never the bearer header.
                Err(e) => last = e.to_string(),
            }
            tracing::debug!(call = call.what, attempt, error.message = %last, "platform call failed; retrying");
        }
        Err(CallError::Unavailable {
            what: call.what,
            attempts: call.attempts,
            last,
        })
    }

    /// `GET path` → JSON.
    pub(super) async fn get_json<T: DeserializeOwned>(
        &self,
        call: Call,
        path: &str,
    ) -> Result<T, CallError> {
        let response = self.send(call, || self.request(Method::GET, path)).await?;
        response.json().await.map_err(|e| CallError::Invalid {
            what: call.what,
            detail: e.to_string(),
        })
    }

    /// `POST path` with a JSON body → JSON answer (`()` for none).
    pub(super) async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        call: Call,
        path: &str,
        body: &B,
    ) -> Result<T, CallError> {
        let response = self
            .send(call, || self.request(Method::POST, path).json(body))
            .await?;
        let bytes = response.bytes().await.map_err(|e| CallError::Invalid {
            what: call.what,
            detail: e.to_string(),
        })?;
        let bytes = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map_err(|e| CallError::Invalid {
            what: call.what,
            detail: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(10), MAX_BACKOFF);
    }

    #[tokio::test]
    async fn a_refusal_is_not_retried_and_a_dead_platform_is_retried_a_bounded_number_of_times() {
        use axum::{Router, http::StatusCode, routing::get};
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counted = hits.clone();
        let app = Router::new().route(
            "/refuse",
            get(move || {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async {
                    (
                        StatusCode::CONFLICT,
                        r#"{"type":"https://codex-k8s.dev/problems/stale-session","detail":"d"}"#,
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = PlatformClient::new(&format!("http://{addr}"), "t".parse().unwrap()).unwrap();
        let err = client
            .get_json::<serde_json::Value>(Call::new("refuse", 3), "/refuse")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CallError::Refused { status: 409, code, .. } if code == "stale-session"),
            "{err}"
        );
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);

        let dead = PlatformClient::new("http://127.0.0.1:1", "t".parse().unwrap()).unwrap();
        let err = dead
            .get_json::<serde_json::Value>(Call::new("dead", 2), "/x")
            .await
            .unwrap_err();
        assert!(
            matches!(err, CallError::Unavailable { attempts: 2, .. }),
            "{err}"
        );
    }
}
