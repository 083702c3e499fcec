//! Outbound deliveries of the universal HTTP contract: the approval request to the approver and
//! the approved action to the executor, as signed JSON (see `sign`). One attempt per call; the
//! approval flow's step policy retries (bounded, with backoff).

use engine::StepError;
use serde_json::{Value, json};

use super::{
    config::ApprovalConfig,
    model::Approval,
    sign::{self, Audience},
};
use crate::store::agent_run::AgentRun;

/// Version of the envelopes (and of the callback bodies).
pub const SCHEMA_VERSION: &str = "ck8s-approval-v1";
/// Path of the approver callback.
pub const APPROVER_CALLBACK_PATH: &str = "/api/v1/mcp/approver/callback";
/// Path of the executor callback.
pub const EXECUTOR_CALLBACK_PATH: &str = "/api/v1/mcp/executor/callback";

/// Which delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// A new request for the approver.
    Requested,
    /// An approved action for the executor.
    Execute,
}

impl Event {
    fn name(self) -> &'static str {
        match self {
            Event::Requested => "approval.requested",
            Event::Execute => "action.execute",
        }
    }
}

/// The JSON body of a delivery (it holds the callback token: never store or log it).
pub(crate) fn envelope(
    event: Event,
    a: &Approval,
    run: &AgentRun,
    cfg: &ApprovalConfig,
    api_url: &str,
) -> Option<Value> {
    let key = cfg.signing_key.as_ref()?;
    let (audience, path) = match event {
        Event::Requested => (Audience::Approver, APPROVER_CALLBACK_PATH),
        Event::Execute => (Audience::Executor, EXECUTOR_CALLBACK_PATH),
    };
    Some(json!({
        "schema_version": SCHEMA_VERSION,
        "event": event.name(),
        "request_id": a.id,
        "kind": a.kind,
        "tool": a.tool,
        "project_id": a.project_id,
        "run": {
            "id": run.id, "repository": run.repository, "thread_kind": run.thread_kind,
            "thread_number": run.thread_number, "stage": run.stage, "role": run.role,
        },
        "request": a.request,
        "state": a.state,
        "expires_at": a.expires_at,
        "decided_by": a.decided_by,
        "decision": a.decision,
        "callback": {
            "url": format!("{}{path}", api_url.trim_end_matches('/')),
            "token": sign::callback_token(key, audience, a.id),
        },
    }))
}

/// POSTs a signed body once: 2xx is delivered, 408/429/5xx and transport errors are retryable,
/// any other answer is terminal (retrying a refused delivery cannot help).
pub(crate) async fn post(
    http: &reqwest::Client,
    cfg: &ApprovalConfig,
    url: &str,
    event: Event,
    request_id: uuid::Uuid,
    body: &Value,
) -> Result<u16, StepError> {
    let key = cfg
        .signing_key
        .as_ref()
        .ok_or_else(|| StepError::terminal("no signing key configured"))?;
    let bytes = serde_json::to_vec(body).map_err(StepError::terminal)?;
    let timestamp = chrono::Utc::now().timestamp();
    let response = http
        .post(url)
        .timeout(cfg.http_timeout)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(sign::EVENT_HEADER, event.name())
        .header(
            sign::DELIVERY_HEADER,
            format!("{request_id}:{}", event.name()),
        )
        .header(sign::TIMESTAMP_HEADER, timestamp.to_string())
        .header(
            sign::SIGNATURE_HEADER,
            sign::signature(key, timestamp, &bytes),
        )
        .body(bytes)
        .send()
        .await
        // No URL or body in the message: the body holds the callback token.
        .map_err(|e| {
            StepError::retryable(format!("{} not delivered: {}", event.name(), kind(&e)))
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(status.as_u16());
    }
    let message = format!("{} refused with HTTP {}", event.name(), status.as_u16());
    if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
        Err(StepError::retryable(message))
    } else {
        Err(StepError::terminal(message))
    }
}

fn kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    }
}
