//! `codex exec --json` events (codex 0.171.0): one JSON object per stdout line.
//!
//! Only `turn.failed` fails a turn. An item of type `error` (e.g. "model metadata not found") and
//! a top-level `error` event (e.g. "Reconnecting... 1/5") are warnings.

use serde::Deserialize;
use serde_json::Value;

/// A turn's usage as codex reports it: the thread's running totals (also after a resume).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub(super) struct Usage {
    /// Input tokens.
    #[serde(default)]
    pub(super) input_tokens: i64,
    /// Cached input tokens.
    #[serde(default)]
    pub(super) cached_input_tokens: i64,
    /// Output tokens.
    #[serde(default)]
    pub(super) output_tokens: i64,
    /// Reasoning output tokens.
    #[serde(default)]
    pub(super) reasoning_output_tokens: i64,
}

/// A thread item, as far as the runner cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    /// A message of the agent; the last one is the run's final message.
    AgentMessage {
        /// Its text.
        text: String,
    },
    /// A call of an MCP tool.
    McpToolCall {
        /// Server name.
        server: String,
        /// Tool name.
        tool: String,
        /// `in_progress`, `completed`, `failed`.
        status: String,
    },
    /// A shell command the model ran.
    Command {
        /// Exit code, once it finished.
        exit_code: Option<i64>,
    },
    /// A warning (not fatal).
    Error {
        /// Its message.
        message: String,
    },
    /// Anything else (reasoning, file changes, todo lists…).
    Other {
        /// Its `type`.
        kind: String,
    },
}

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Event {
    /// The thread (session) id: new, or the resumed one.
    ThreadStarted {
        /// The id.
        thread_id: String,
    },
    /// A turn began.
    TurnStarted,
    /// A turn ended well.
    TurnCompleted {
        /// The thread's running totals.
        usage: Usage,
    },
    /// A turn failed: the run fails.
    TurnFailed {
        /// Why.
        message: String,
    },
    /// An item began.
    ItemStarted(Item),
    /// An item changed.
    ItemUpdated(Item),
    /// An item finished.
    ItemCompleted(Item),
    /// A warning of the stream (retries); not fatal.
    Error {
        /// Its message.
        message: String,
    },
    /// An event this runner does not know.
    Other {
        /// Its `type`.
        kind: String,
    },
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn item(v: &Value) -> Item {
    let item = v.get("item").unwrap_or(&Value::Null);
    match item.get("type").and_then(Value::as_str).unwrap_or_default() {
        "agent_message" => Item::AgentMessage {
            text: text(item, "/text"),
        },
        "mcp_tool_call" => Item::McpToolCall {
            server: text(item, "/server"),
            tool: text(item, "/tool"),
            status: text(item, "/status"),
        },
        "command_execution" => Item::Command {
            exit_code: item.get("exit_code").and_then(Value::as_i64),
        },
        "error" => Item::Error {
            message: text(item, "/message"),
        },
        other => Item::Other {
            kind: other.to_owned(),
        },
    }
}

/// Parses one stdout line; `None` for a line that is not a JSON event.
pub(super) fn parse(line: &str) -> Option<Event> {
    let v: Value = serde_json::from_str(line.trim()).ok()?;
    let kind = v.get("type")?.as_str()?;
    Some(match kind {
        "thread.started" => Event::ThreadStarted {
            thread_id: text(&v, "/thread_id"),
        },
        "turn.started" => Event::TurnStarted,
        "turn.completed" => Event::TurnCompleted {
            usage: v
                .get("usage")
                .and_then(|u| Usage::deserialize(u).ok())
                .unwrap_or_default(),
        },
        "turn.failed" => Event::TurnFailed {
            message: text(&v, "/error/message"),
        },
        "item.started" => Event::ItemStarted(item(&v)),
        "item.updated" => Event::ItemUpdated(item(&v)),
        "item.completed" => Event::ItemCompleted(item(&v)),
        "error" => Event::Error {
            message: text(&v, "/message"),
        },
        other => Event::Other {
            kind: other.to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines as codex 0.171.0 printed them against the fake model.
    #[test]
    fn codex_lines_parse_into_events() {
        let check =
            |line: &str, expected: Option<Event>| assert_eq!(parse(line), expected, "{line}");
        check(
            r#"{"type":"thread.started","thread_id":"01a21b0a-dbcb-7140-95dd-f3f731a06805"}"#,
            Some(Event::ThreadStarted {
                thread_id: "01a21b0a-dbcb-7140-95dd-f3f731a06805".into(),
            }),
        );
        check(r#"{"type":"turn.started"}"#, Some(Event::TurnStarted));
        check(
            r#"{"type":"item.completed","item":{"id":"item_0","type":"error","message":"Model metadata for `fake-model` not found."}}"#,
            Some(Event::ItemCompleted(Item::Error {
                message: "Model metadata for `fake-model` not found.".into(),
            })),
        );
        check(
            r#"{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"hello from fake model"}}"#,
            Some(Event::ItemCompleted(Item::AgentMessage {
                text: "hello from fake model".into(),
            })),
        );
        check(
            r#"{"type":"item.started","item":{"id":"item_1","type":"mcp_tool_call","server":"owner","tool":"owner_feedback","arguments":{},"result":null,"error":null,"status":"in_progress"}}"#,
            Some(Event::ItemStarted(Item::McpToolCall {
                server: "owner".into(),
                tool: "owner_feedback".into(),
                status: "in_progress".into(),
            })),
        );
        check(
            r#"{"type":"item.completed","item":{"id":"item_0","type":"command_execution","command":"ls","aggregated_output":"","exit_code":0,"status":"completed"}}"#,
            Some(Event::ItemCompleted(Item::Command { exit_code: Some(0) })),
        );
        check(
            r#"{"type":"turn.completed","usage":{"input_tokens":5265,"cached_input_tokens":7,"cache_write_input_tokens":0,"output_tokens":11,"reasoning_output_tokens":3}}"#,
            Some(Event::TurnCompleted {
                usage: Usage {
                    input_tokens: 5265,
                    cached_input_tokens: 7,
                    output_tokens: 11,
                    reasoning_output_tokens: 3,
                },
            }),
        );
        check(
            r#"{"type":"error","message":"Reconnecting... 1/5 (stream disconnected before completion)"}"#,
            Some(Event::Error {
                message: "Reconnecting... 1/5 (stream disconnected before completion)".into(),
            }),
        );
        check(
            r#"{"type":"turn.failed","error":{"message":"stream disconnected before completion"}}"#,
            Some(Event::TurnFailed {
                message: "stream disconnected before completion".into(),
            }),
        );
        check(
            r#"{"type":"item.completed","item":{"type":"reasoning","text":"…"}}"#,
            Some(Event::ItemCompleted(Item::Other {
                kind: "reasoning".into(),
            })),
        );
        check(
            r#"{"type":"future.event"}"#,
            Some(Event::Other {
                kind: "future.event".into(),
            }),
        );
        check("Reading additional input from stdin...", None);
        check(r#"{"no_type":1}"#, None);
    }
}
