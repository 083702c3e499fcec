//! The Responses API server-sent events the fake sends: the full sequence of a real response
//! (created, output item added, deltas, done, completed), one output item per response.

use serde_json::{Value, json};

use super::script::{ToolName, Usage};

/// The one output item of a response.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Output {
    /// An assistant message.
    Message {
        /// Item id.
        id: String,
        /// Text.
        text: String,
    },
    /// A function call.
    Call {
        /// Item id.
        id: String,
        /// The call id codex answers with `function_call_output`.
        call_id: String,
        /// Tool.
        tool: ToolName,
        /// Arguments as a JSON string.
        arguments: String,
    },
}

impl Output {
    fn item(&self, done: bool) -> Value {
        let status = if done { "completed" } else { "in_progress" };
        match self {
            Output::Message { id, text } => {
                let content = if done {
                    json!([{ "type": "output_text", "text": text, "annotations": [] }])
                } else {
                    json!([])
                };
                json!({ "type": "message", "id": id, "role": "assistant", "status": status, "content": content })
            }
            Output::Call {
                id,
                call_id,
                tool,
                arguments,
            } => {
                let mut item = json!({
                    "type": "function_call", "id": id, "call_id": call_id, "name": tool.name,
                    "arguments": if done { arguments.as_str() } else { "" }, "status": status,
                });
                if let Some(ns) = &tool.namespace {
                    item["namespace"] = json!(ns);
                }
                item
            }
        }
    }
}

fn usage_json(u: &Usage) -> Value {
    json!({
        "input_tokens": u.input_tokens,
        "input_tokens_details": { "cached_tokens": u.cached_input_tokens },
        "output_tokens": u.output_tokens,
        "output_tokens_details": { "reasoning_tokens": u.reasoning_output_tokens },
        "total_tokens": u.input_tokens + u.output_tokens,
    })
}

/// The events of one successful response, as `(type, data)`.
pub(super) fn response(response_id: &str, output: &Output, usage: &Usage) -> Vec<(String, Value)> {
    let mut events = vec![(
        "response.created",
        json!({ "response": { "id": response_id, "object": "response", "status": "in_progress", "output": [] } }),
    )];
    events.push((
        "response.output_item.added",
        json!({ "output_index": 0, "item": output.item(false) }),
    ));
    match output {
        Output::Message { id, text } => {
            let part = json!({ "type": "output_text", "text": text, "annotations": [] });
            let at = json!({ "item_id": id, "output_index": 0, "content_index": 0 });
            let with = |extra: Value| {
                let mut v = at.clone();
                if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
                    v.extend(extra.clone());
                }
                v
            };
            events.push((
                "response.content_part.added",
                with(json!({ "part": { "type": "output_text", "text": "", "annotations": [] } })),
            ));
            events.push(("response.output_text.delta", with(json!({ "delta": text }))));
            events.push(("response.output_text.done", with(json!({ "text": text }))));
            events.push(("response.content_part.done", with(json!({ "part": part }))));
        }
        Output::Call { id, arguments, .. } => {
            events.push((
                "response.function_call_arguments.delta",
                json!({ "item_id": id, "output_index": 0, "delta": arguments }),
            ));
            events.push((
                "response.function_call_arguments.done",
                json!({ "item_id": id, "output_index": 0, "arguments": arguments }),
            ));
        }
    }
    events.push((
        "response.output_item.done",
        json!({ "output_index": 0, "item": output.item(true) }),
    ));
    events.push((
        "response.completed",
        json!({ "response": {
            "id": response_id, "object": "response", "status": "completed",
            "output": [output.item(true)], "usage": usage_json(usage),
        }}),
    ));
    events.into_iter().map(|(t, d)| (t.to_owned(), d)).collect()
}

/// The events of a failed response.
pub(super) fn failed(response_id: &str, message: &str) -> Vec<(String, Value)> {
    vec![
        (
            "response.created".to_owned(),
            json!({ "response": { "id": response_id, "object": "response", "status": "in_progress", "output": [] } }),
        ),
        (
            "response.failed".to_owned(),
            json!({ "response": {
                "id": response_id, "object": "response", "status": "failed", "output": [],
                "error": { "code": "invalid_prompt", "message": message },
            }}),
        ),
    ]
}

/// Renders events as an SSE body: `event: <type>` and `data: <json with the same type>` per event.
pub(super) fn render(events: &[(String, Value)]) -> String {
    let mut out = String::new();
    for (seq, (kind, data)) in events.iter().enumerate() {
        let mut data = data.clone();
        data["type"] = json!(kind);
        data["sequence_number"] = json!(seq);
        out.push_str(&format!("event: {kind}\ndata: {data}\n\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(events: &[(String, Value)]) -> Vec<&str> {
        events.iter().map(|(t, _)| t.as_str()).collect()
    }

    #[test]
    fn a_message_response_has_the_full_event_sequence_and_usage() {
        let out = Output::Message {
            id: "msg_1".into(),
            text: "hi".into(),
        };
        let events = response("resp_1", &out, &Usage::new(10, 2, 5, 1));
        assert_eq!(
            types(&events),
            [
                "response.created",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        let done = &events[6].1["item"];
        assert_eq!(done["content"][0]["text"], "hi");
        let usage = &events[7].1["response"]["usage"];
        assert_eq!(usage["input_tokens_details"]["cached_tokens"], 2);
        assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 1);
        assert_eq!(usage["total_tokens"], 15);
    }

    #[test]
    fn an_mcp_call_carries_its_namespace() {
        let out = Output::Call {
            id: "fc_1".into(),
            call_id: "call_1".into(),
            tool: ToolName::parse("mcp__platform__ask"),
            arguments: "{}".into(),
        };
        let events = response("resp_1", &out, &Usage::default());
        let item = &events[events.len() - 2].1["item"];
        assert_eq!(
            (&item["name"], &item["namespace"], &item["call_id"]),
            (&json!("ask"), &json!("mcp__platform"), &json!("call_1"))
        );
        let body = render(&events);
        assert!(body.starts_with("event: response.created\ndata: {"));
        assert!(body.contains("\"type\":\"response.function_call_arguments.done\""));
    }
}
