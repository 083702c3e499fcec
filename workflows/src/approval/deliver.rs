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
    cfg.signing_key.as_ref()?;
    let key = cfg.callback_key.as_ref()?;
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
            tracing::warn!(event = event.name(), %request_id, error.kind = kind(&e), "approval delivery failed");
            StepError::retryable(format!("{} not delivered: {}", event.name(), kind(&e)))
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(status.as_u16());
    }
    let remote = remote_message(response, body).await;
    // In the step, which runs once per attempt: a replay does not repeat the line.
    tracing::warn!(
        event = event.name(),
        %request_id,
        status = status.as_u16(),
        remote_message = remote.as_deref().unwrap_or_default(),
        "approval delivery refused"
    );
    let message = match remote {
        Some(m) => format!("{} refused with HTTP {status}: {m}", event.name()),
        None => format!("{} refused with HTTP {status}", event.name()),
    };
    if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
        Err(StepError::retryable(message))
    } else {
        Err(StepError::terminal(message))
    }
}

/// How much of a refusal's body is read, and how much of its message is kept.
const REMOTE_BODY_BYTES: usize = 4096;
const REMOTE_MESSAGE_CHARS: usize = 200;

/// The remote side's reason for a refusal: `detail`, `message`, `title` or `error` of a JSON body,
/// else its first line; bounded, and with every long string of our own `sent` body (the callback
/// token among them) masked, in case the remote side echoes the request.
async fn remote_message(mut response: reqwest::Response, sent: &Value) -> Option<String> {
    let mut bytes = Vec::new();
    while bytes.len() < REMOTE_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    bytes.truncate(REMOTE_BODY_BYTES);
    let text = String::from_utf8_lossy(&bytes);
    let from_json = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
        ["detail", "message", "title", "error"]
            .iter()
            .find_map(|k| v.get(k).and_then(Value::as_str).map(str::to_owned))
    });
    let line = from_json.unwrap_or_else(|| text.lines().next().unwrap_or_default().to_owned());
    let mut line: String = line.trim().chars().take(REMOTE_MESSAGE_CHARS).collect();
    let mut secrets = Vec::new();
    strings(sent, &mut secrets);
    for secret in secrets.iter().filter(|s| s.len() >= 16) {
        line = line.replace(secret.as_str(), "[redacted]");
    }
    (!line.is_empty()).then_some(line)
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(m) => m.values().for_each(|v| strings(v, out)),
        _ => {}
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::approval::config::SigningKey;

    /// Answers one request with `status` and `body`; returns the URL.
    async fn answer_once(status: &'static str, body: &'static str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/approver", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 16384];
            let _ = socket.read(&mut buf).await;
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(reply.as_bytes()).await.unwrap();
        });
        url
    }

    #[tokio::test]
    async fn a_refused_delivery_names_the_status_and_the_remote_message_but_not_the_token() {
        let cfg = ApprovalConfig {
            signing_key: Some(SigningKey::new("approver-signing-key-for-tests")),
            http_timeout: Duration::from_secs(10),
            ..ApprovalConfig::default()
        };
        let url = answer_once(
            "403 Forbidden",
            r#"{"title":"Forbidden","detail":"unknown tenant; got token cbtok-0123456789abcdef"}"#,
        )
        .await;
        let body = json!({ "callback": { "token": "cbtok-0123456789abcdef" } });
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::new();
        let refused = post(
            &http,
            &cfg,
            &url,
            Event::Requested,
            uuid::Uuid::nil(),
            &body,
        )
        .await
        .unwrap_err();
        let StepError::Terminal(message) = refused else {
            panic!("a 403 is terminal: {refused:?}");
        };
        assert_eq!(
            message,
            "approval.requested refused with HTTP 403 Forbidden: unknown tenant; got token [redacted]"
        );
    }
}
