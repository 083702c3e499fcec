//! The HTTP side: `POST /v1/responses` answers the next scripted turn as SSE; every request
//! (any path) is recorded first.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex, PoisonError},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::Value;

use super::{
    RecordedRequest,
    script::{Script, ToolName, Turn, Usage},
    sse::{self, Output},
};

/// Largest request body the fake reads (codex resends the whole history every time).
const MAX_BODY_BYTES: usize = 64 << 20;

/// What answers a call's output.
#[derive(Debug)]
enum Then {
    /// This message ends the conversation turn.
    Message(String, Usage),
    /// This scripted turn follows in the same conversation turn.
    Turn(Turn),
}

/// A call the fake made and whose output it waits for.
#[derive(Debug)]
struct Pending {
    call_id: String,
    tool: ToolName,
    arguments: String,
    usage: Usage,
    then: Then,
}

/// The fake's mutable state; the lock is never held across an await.
#[derive(Debug, Default)]
pub(super) struct Shared {
    turns: VecDeque<Turn>,
    pending: Option<Pending>,
    responses: u64,
    pub(super) requests: Vec<RecordedRequest>,
}

/// State shared by the handlers and the `FakeModel` handle.
pub(super) type SharedState = Arc<Mutex<Shared>>;

/// The state for a script.
pub(super) fn state(script: Script) -> SharedState {
    Arc::new(Mutex::new(Shared {
        turns: script.turns.into(),
        ..Shared::default()
    }))
}

/// Locks the state (a panicked holder leaves it consistent: every update is a single step).
pub(super) fn lock(state: &SharedState) -> std::sync::MutexGuard<'_, Shared> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The router.
pub(super) fn router(state: SharedState) -> Router {
    Router::new()
        .route("/v1/responses", post(responses))
        .fallback(unknown)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

fn record(state: &SharedState, uri: &Uri, headers: &HeaderMap, body: &[u8]) {
    let headers: BTreeMap<String, String> = headers
        .iter()
        .filter(|(name, _)| *name != header::AUTHORIZATION)
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = serde_json::from_slice(body).unwrap_or(Value::Null);
    lock(state).requests.push(RecordedRequest {
        path: uri.path().to_owned(),
        headers,
        body,
    });
}

async fn unknown(State(state): State<SharedState>, uri: Uri, headers: HeaderMap, body: Bytes) {
    record(&state, &uri, &headers, &body);
}

/// The call id of the last input item when it is a `function_call_output`.
fn answered_call(body: &Value) -> Option<&str> {
    let last = body.get("input")?.as_array()?.last()?;
    (last.get("type")? == "function_call_output")
        .then(|| last.get("call_id")?.as_str())
        .flatten()
}

/// What the next response carries, advancing the script.
fn next(shared: &mut Shared, body: &Value) -> Result<(Output, Usage), String> {
    shared.responses += 1;
    let n = shared.responses;
    if let Some(pending) = &shared.pending {
        if answered_call(body) != Some(pending.call_id.as_str()) {
            // The same request again (codex retried it): the same call again.
            return Ok((
                Output::Call {
                    id: format!("fc_{n}"),
                    call_id: pending.call_id.clone(),
                    tool: pending.tool.clone(),
                    arguments: pending.arguments.clone(),
                },
                pending.usage,
            ));
        }
        let answered = shared.pending.take().expect("pending");
        match answered.then {
            Then::Message(text, usage) => {
                return Ok((
                    Output::Message {
                        id: format!("msg_{n}"),
                        text,
                    },
                    usage,
                ));
            }
            Then::Turn(turn) => shared.turns.push_front(turn),
        }
    }
    let call = |tool: String, arguments: Value, usage: Usage, then: Then| {
        let pending = Pending {
            call_id: format!("call_{n}"),
            tool: ToolName::parse(&tool),
            arguments: arguments.to_string(),
            usage,
            then,
        };
        let output = Output::Call {
            id: format!("fc_{n}"),
            call_id: pending.call_id.clone(),
            tool: pending.tool.clone(),
            arguments: pending.arguments.clone(),
        };
        (pending, output)
    };
    match shared.turns.pop_front() {
        Some(Turn::Message { text, usage }) => Ok((
            Output::Message {
                id: format!("msg_{n}"),
                text,
            },
            usage,
        )),
        Some(Turn::ToolCall {
            tool,
            arguments,
            usage,
            then,
            then_usage,
        }) => {
            let (pending, output) = call(tool, arguments, usage, Then::Message(then, then_usage));
            shared.pending = Some(pending);
            Ok((output, usage))
        }
        Some(Turn::Chain {
            tool,
            arguments,
            next,
        }) => {
            let usage = Usage::default();
            let (pending, output) = call(tool, arguments, usage, Then::Turn(*next));
            shared.pending = Some(pending);
            Ok((output, usage))
        }
        Some(Turn::Fail { message }) => Err(message),
        None => Ok((
            Output::Message {
                id: format!("msg_{n}"),
                text: "fake model: the script has no more turns".into(),
            },
            Usage::default(),
        )),
    }
}

async fn responses(
    State(state): State<SharedState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&state, &uri, &headers, &body);
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "the body is not JSON").into_response();
    };
    let events = {
        let mut shared = lock(&state);
        let response_id = format!("resp_{}", shared.responses + 1);
        match next(&mut shared, &request) {
            Ok((output, usage)) => sse::response(&response_id, &output, &usage),
            Err(message) => sse::failed(&response_id, &message),
        }
    };
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from(sse::render(&events)),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reply(shared: &mut Shared, body: Value) -> Output {
        next(shared, &body).unwrap().0
    }

    #[test]
    fn a_tool_call_is_answered_once_its_output_arrives_then_the_script_goes_on() {
        let state = state(Script::new([
            Turn::tool_call("mcp__platform__ask", json!({ "q": 1 }), "after the tool"),
            Turn::message("second turn"),
        ]));
        let mut shared = lock(&state);
        let call = reply(&mut shared, json!({ "input": [{ "type": "message" }] }));
        let Output::Call { call_id, tool, .. } = call else {
            panic!("{call:?}")
        };
        assert_eq!(tool.namespace.as_deref(), Some("mcp__platform"));
        // A retry without the output gets the same call again.
        let again = reply(&mut shared, json!({ "input": [{ "type": "message" }] }));
        assert!(matches!(again, Output::Call { call_id: ref c, .. } if *c == call_id));
        let answered = json!({ "input": [{ "type": "function_call_output", "call_id": call_id }] });
        assert!(
            matches!(reply(&mut shared, answered), Output::Message { text, .. } if text == "after the tool")
        );
        assert!(
            matches!(reply(&mut shared, json!({ "input": [] })), Output::Message { text, .. } if text == "second turn")
        );
        assert!(
            matches!(reply(&mut shared, json!({ "input": [] })), Output::Message { text, .. } if text.contains("no more turns"))
        );
    }

    #[test]
    fn a_chain_makes_its_calls_one_after_another_then_answers() {
        let state = state(Script::new([
            Turn::chain(
                "mcp__platform__ask",
                json!({ "q": 1 }),
                Turn::tool_call("exec_command", json!({ "cmd": "true" }), "both done"),
            ),
            Turn::message("next turn"),
        ]));
        let mut shared = lock(&state);
        let first = reply(&mut shared, json!({ "input": [{ "type": "message" }] }));
        let Output::Call { call_id, .. } = first else {
            panic!("{first:?}")
        };
        let answered = json!({ "input": [{ "type": "function_call_output", "call_id": call_id }] });
        let second = reply(&mut shared, answered);
        let Output::Call { call_id, tool, .. } = second else {
            panic!("{second:?}")
        };
        assert_eq!(tool.name, "exec_command");
        let answered = json!({ "input": [{ "type": "function_call_output", "call_id": call_id }] });
        assert!(
            matches!(reply(&mut shared, answered), Output::Message { text, .. } if text == "both done")
        );
        assert!(
            matches!(reply(&mut shared, json!({ "input": [] })), Output::Message { text, .. } if text == "next turn")
        );
    }
}
