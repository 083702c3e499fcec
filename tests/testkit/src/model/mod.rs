//! A scripted fake of the OpenAI Responses API on 127.0.0.1, speaking what the real `codex` CLI
//! (0.171.0) needs: `POST /v1/responses` answered with SSE (`response.created`, the output item
//! events, `response.completed` with usage). Tests and `dev` point codex's model provider at
//! [`FakeModel::base_url`].
//!
//! The script is a list of turns consumed in order across every request: a message, or a call of
//! a tool (MCP tools as `mcp__<server>__<tool>`) answered with a message once codex sends the
//! tool's output. Every request is recorded, so a test can check what codex sent, e.g. that a
//! resumed thread carries the earlier conversation.

mod script;
mod server;
mod sse;

use std::{collections::BTreeMap, net::SocketAddr};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use script::{Script, Turn, Usage};

/// A request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Request path, e.g. `/v1/responses`.
    pub path: String,
    /// Headers with lowercase names (`authorization` is not kept).
    pub headers: BTreeMap<String, String>,
    /// The JSON body (`null` when it was not JSON).
    pub body: Value,
}

impl RecordedRequest {
    /// The codex thread the request belongs to (its `thread-id` header).
    pub fn thread_id(&self) -> Option<&str> {
        self.headers.get("thread-id").map(String::as_str)
    }

    /// `(role, text)` of every message in the request's `input`, in order.
    pub fn messages(&self) -> Vec<(String, String)> {
        let Some(input) = self.body.get("input").and_then(Value::as_array) else {
            return Vec::new();
        };
        input
            .iter()
            .filter(|item| item.get("type").and_then(Value::as_str) == Some("message"))
            .map(|item| {
                let role = item.get("role").and_then(Value::as_str).unwrap_or_default();
                let text: Vec<&str> = item
                    .get("content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|part| part.get("text").and_then(Value::as_str))
                    .collect();
                (role.to_owned(), text.join("\n"))
            })
            .collect()
    }

    /// `(call_id, output)` of every `function_call_output` item in the request's `input`.
    pub fn tool_outputs(&self) -> Vec<(String, Value)> {
        let Some(input) = self.body.get("input").and_then(Value::as_array) else {
            return Vec::new();
        };
        input
            .iter()
            .filter(|item| item.get("type").and_then(Value::as_str) == Some("function_call_output"))
            .map(|item| {
                let call = item
                    .get("call_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                (
                    call.to_owned(),
                    item.get("output").cloned().unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// A running fake model; stops when dropped.
#[derive(Debug)]
pub struct FakeModel {
    addr: SocketAddr,
    state: server::SharedState,
    stop: CancellationToken,
}

impl FakeModel {
    /// Serves `script` on a free port of 127.0.0.1.
    pub async fn start(script: Script) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = server::state(script);
        let stop = CancellationToken::new();
        let app = server::router(state.clone());
        let until = stop.clone();
        tokio::spawn(async move {
            let serving = axum::serve(listener, app)
                .with_graceful_shutdown(async move { until.cancelled().await });
            if let Err(e) = serving.await {
                tracing::warn!(error.message = %e, "fake model server stopped");
            }
        });
        Ok(Self { addr, state, stop })
    }

    /// The provider base URL for codex (`http://127.0.0.1:<port>/v1`; codex posts to `{base}/responses`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        server::lock(&self.state).requests.clone()
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn it_answers_over_http_with_sse_and_records_the_request() {
        let fake = FakeModel::start(Script::new([
            Turn::message("hello").with_usage(Usage::new(7, 1, 3, 0))
        ]))
        .await
        .unwrap();
        let body = json!({ "model": "m", "input": [
            { "type": "message", "role": "user", "content": [{ "type": "input_text", "text": "hi" }] }
        ]});
        let _ = rustls::crypto::ring::default_provider().install_default();
        let response = reqwest::Client::new()
            .post(format!("{}/responses", fake.base_url()))
            .header("thread-id", "t-1")
            .header("authorization", "Bearer not-recorded")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        let text = response.text().await.unwrap();
        assert!(text.contains("event: response.completed"), "{text}");
        assert!(text.contains("\"input_tokens\":7"), "{text}");
        let requests = fake.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].thread_id(), Some("t-1"));
        assert_eq!(requests[0].messages(), [("user".into(), "hi".into())]);
        assert!(!requests[0].headers.contains_key("authorization"));
    }
}
