//! The staff API as `runs` calls it: the bearer token from `CK8S_API_TOKEN`, a timeout on every
//! call, bounded retries of reads that may pass (a refused connection, a timeout, 502/503/504),
//! and answers (de)serialized with the generated wire types, so drift from the contract is a
//! build or parse error. A refusal comes back as the API's `application/problem+json`.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::{
    api::staff::wire,
    config::{ApiUrl, Secret},
};

/// Connect timeout of every call.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts of a read (GET) at most.
const READ_ATTEMPTS: u32 = 3;
/// First retry delay of a read; doubled per attempt.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// Why a staff API call failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum CallError {
    /// The API refused the call with problem details.
    #[error("{}: {}", .problem.title, .problem.detail.as_deref().unwrap_or("(no detail)"))]
    Refused {
        /// The call.
        what: &'static str,
        /// The problem, as the API sent it (or made up from the status when the body was not one).
        problem: Box<wire::Problem>,
    },
    /// No answer: the server cannot be reached, or did not answer in time.
    #[error("{what}: no answer from the staff API after {attempts} attempt(s): {last}")]
    Unreachable {
        /// The call.
        what: &'static str,
        /// Attempts made.
        attempts: u32,
        /// The last failure (reqwest names the URL, never the bearer header).
        last: String,
    },
    /// The answer is not what the contract promises.
    #[error("{what}: the answer does not match the API contract: {detail}")]
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
            CallError::Refused { problem, .. } => u16::try_from(problem.status).ok(),
            _ => None,
        }
    }
}

/// A page request of `list_runs`.
#[derive(Debug, Clone, Default)]
pub(super) struct ListQuery {
    /// Project slug.
    pub(super) project: Option<String>,
    /// Status.
    pub(super) status: Option<wire::RunStatus>,
    /// Issue number.
    pub(super) issue: Option<i64>,
    /// Page size.
    pub(super) limit: Option<i64>,
    /// The previous page's `next_cursor`.
    pub(super) cursor: Option<String>,
}

impl ListQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(p) = &self.project {
            out.push(("project", p.clone()));
        }
        if let Some(s) = self.status {
            out.push(("status", s.to_string()));
        }
        if let Some(i) = self.issue {
            out.push(("issue", i.to_string()));
        }
        if let Some(l) = self.limit {
            out.push(("limit", l.to_string()));
        }
        if let Some(c) = &self.cursor {
            out.push(("cursor", c.clone()));
        }
        out
    }
}

/// The staff API client.
#[derive(Debug, Clone)]
pub(super) struct StaffClient {
    http: reqwest::Client,
    base: String,
    token: Secret,
    timeout: Duration,
}

/// The problem of a refusal; a body that is not problem details becomes one from the status.
async fn refusal(what: &'static str, response: Response) -> CallError {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let problem = serde_json::from_str::<wire::Problem>(&text).unwrap_or_else(|_| wire::Problem {
        code: "unknown".into(),
        detail: None,
        errors: Vec::new(),
        status: i64::from(status.as_u16()),
        title: status.canonical_reason().unwrap_or("HTTP error").to_owned(),
        type_: "about:blank".into(),
    });
    CallError::Refused {
        what,
        problem: Box::new(problem),
    }
}

fn passing(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    )
}

impl StaffClient {
    /// A client of the staff API at `base` acting with `token`; `timeout` bounds each call.
    pub(super) fn new(base: &ApiUrl, token: Secret, timeout: Duration) -> Result<Self, CallError> {
        workflows::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| CallError::Invalid {
                what: "build the HTTP client",
                detail: e.to_string(),
            })?;
        Ok(Self {
            http,
            base: base.0.as_str().trim_end_matches('/').to_owned(),
            token,
            timeout,
        })
    }

    /// How long one call may take.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.token.expose())
    }

    /// Sends what `build` makes up to `attempts` times (retrying only failures that may pass);
    /// a 2xx answer comes back, a refusal is an error.
    async fn send(
        &self,
        what: &'static str,
        attempts: u32,
        timeout: Option<Duration>,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, CallError> {
        let mut last = String::new();
        for attempt in 0..attempts {
            if attempt > 0 {
                tokio::time::sleep(FIRST_BACKOFF.saturating_mul(1 << (attempt - 1))).await;
            }
            let mut request = build();
            if let Some(t) = timeout {
                request = request.timeout(t);
            }
            match request.send().await {
                Ok(r) if r.status().is_success() => return Ok(r),
                Ok(r) if passing(r.status()) && attempt + 1 < attempts => {
                    last = format!("status {}", r.status().as_u16());
                }
                Ok(r) => return Err(refusal(what, r).await),
                Err(e) => last = workflows::error_chain(&e),
            }
            tracing::debug!(call = what, attempt, error.message = %last, "staff API call failed");
        }
        Err(CallError::Unreachable {
            what,
            attempts,
            last,
        })
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
        query: &[(&'static str, String)],
    ) -> Result<T, CallError> {
        let path = if query.is_empty() {
            path.to_owned()
        } else {
            let encoded = serde_urlencoded::to_string(query).map_err(|e| CallError::Invalid {
                what,
                detail: e.to_string(),
            })?;
            format!("{path}?{encoded}")
        };
        let response = self
            .send(what, READ_ATTEMPTS, Some(self.timeout), || {
                self.request(Method::GET, &path)
            })
            .await?;
        decode(what, response).await
    }

    async fn post_json<T: DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T, CallError> {
        // Not retried: the caller sees the one answer (an unknown outcome is reported as such).
        let response = self
            .send(what, 1, Some(self.timeout), || {
                self.request(Method::POST, path).json(&body)
            })
            .await?;
        decode(what, response).await
    }

    /// `list_runs`.
    pub(super) async fn list_runs(&self, query: &ListQuery) -> Result<wire::RunPage, CallError> {
        self.get_json("list runs", "/api/v1/staff/runs", &query.pairs())
            .await
    }

    /// `get_run`.
    pub(super) async fn get_run(&self, id: Uuid) -> Result<wire::RunDetail, CallError> {
        self.get_json("get the run", &format!("/api/v1/staff/runs/{id}"), &[])
            .await
    }

    /// `cancel_run`.
    pub(super) async fn cancel_run(
        &self,
        id: Uuid,
        reason: Option<wire::CancelRequestReason>,
    ) -> Result<wire::RunActionResult, CallError> {
        let body = serde_json::to_value(wire::CancelRequest { reason }).map_err(|e| {
            CallError::Invalid {
                what: "cancel the run",
                detail: e.to_string(),
            }
        })?;
        self.post_json(
            "cancel the run",
            &format!("/api/v1/staff/runs/{id}/cancel"),
            body,
        )
        .await
    }

    /// `retry_run`.
    pub(super) async fn retry_run(&self, id: Uuid) -> Result<wire::RunActionResult, CallError> {
        self.post_json(
            "retry the run",
            &format!("/api/v1/staff/runs/{id}/retry"),
            serde_json::json!({}),
        )
        .await
    }

    /// `stream_run_events` from after `last_event_id`: the open response, once its headers are
    /// in (within the call timeout); the body is read by [`super::sse::EventStream`].
    pub(super) async fn open_events(
        &self,
        id: Uuid,
        last_event_id: Option<i64>,
    ) -> Result<Response, CallError> {
        let what = "open the event stream";
        let path = format!("/api/v1/staff/runs/{id}/events");
        let build = || {
            let r = self
                .request(Method::GET, &path)
                .header(reqwest::header::ACCEPT, "text/event-stream");
            match last_event_id {
                Some(last) => r.header("last-event-id", last.to_string()),
                None => r,
            }
        };
        // No total timeout (the stream lives as long as the run); the headers get the call's.
        match tokio::time::timeout(self.timeout, self.send(what, 1, None, build)).await {
            Ok(answer) => answer,
            Err(_) => Err(CallError::Unreachable {
                what,
                attempts: 1,
                last: format!("no answer within {} s", self.timeout.as_secs_f64()),
            }),
        }
    }
}

async fn decode<T: DeserializeOwned>(
    what: &'static str,
    response: Response,
) -> Result<T, CallError> {
    let bytes = response.bytes().await.map_err(|e| CallError::Unreachable {
        what,
        attempts: 1,
        last: workflows::error_chain(&e),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| CallError::Invalid {
        what,
        detail: e.to_string(),
    })
}
