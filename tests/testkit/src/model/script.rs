//! What the fake model answers: a list of turns, consumed in order across every request it gets.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Token counts the fake puts in `response.completed` (codex sums them per turn).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// `usage.input_tokens`.
    #[serde(default)]
    pub input_tokens: u64,
    /// `usage.input_tokens_details.cached_tokens`.
    #[serde(default)]
    pub cached_input_tokens: u64,
    /// `usage.output_tokens`.
    #[serde(default)]
    pub output_tokens: u64,
    /// `usage.output_tokens_details.reasoning_tokens`.
    #[serde(default)]
    pub reasoning_output_tokens: u64,
}

impl Usage {
    /// Usage with every count given.
    pub fn new(input: u64, cached: u64, output: u64, reasoning: u64) -> Self {
        Self {
            input_tokens: input,
            cached_input_tokens: cached,
            output_tokens: output,
            reasoning_output_tokens: reasoning,
        }
    }
}

/// One scripted turn of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Turn {
    /// Answer with an assistant message.
    Message {
        /// The message text.
        text: String,
        /// Usage of this response.
        #[serde(default)]
        usage: Usage,
    },
    /// Call a tool, then, once codex sends the tool's output, answer with a message.
    ToolCall {
        /// `mcp__<server>__<tool>` for an MCP tool (sent as tool `<tool>` in namespace
        /// `mcp__<server>`, as codex 0.171.0 expects), or a built-in function such as `exec_command`.
        tool: String,
        /// The call's arguments.
        #[serde(default)]
        arguments: Value,
        /// Usage of the response carrying the call.
        #[serde(default)]
        usage: Usage,
        /// The message answering the tool's output.
        then: String,
        /// Usage of the response carrying that message.
        #[serde(default)]
        then_usage: Usage,
    },
    /// Call a tool, then, once codex sends the tool's output, go on with `next` in the same
    /// conversation turn (another call or the answer): an agent that does several things first.
    Chain {
        /// The tool, named as for [`Turn::ToolCall`].
        tool: String,
        /// The call's arguments.
        #[serde(default)]
        arguments: Value,
        /// What follows the tool's output.
        next: Box<Turn>,
    },
    /// Answer with `response.failed`, code `invalid_prompt`: codex 0.171.0 does not retry it and ends
    /// the turn with `turn.failed` carrying `message` (a `server_error` would be retried 5 times).
    Fail {
        /// The error message.
        message: String,
    },
}

impl Turn {
    /// A message turn without usage.
    pub fn message(text: impl Into<String>) -> Self {
        Turn::Message {
            text: text.into(),
            usage: Usage::default(),
        }
    }

    /// A tool call turn answered by `then` once the tool's output arrives.
    pub fn tool_call(tool: impl Into<String>, arguments: Value, then: impl Into<String>) -> Self {
        Turn::ToolCall {
            tool: tool.into(),
            arguments,
            usage: Usage::default(),
            then: then.into(),
            then_usage: Usage::default(),
        }
    }

    /// A tool call followed, once its output arrives, by `next` in the same conversation turn.
    pub fn chain(tool: impl Into<String>, arguments: Value, next: Turn) -> Self {
        Turn::Chain {
            tool: tool.into(),
            arguments,
            next: Box::new(next),
        }
    }

    /// The same turn with `usage` on its (first) response.
    pub fn with_usage(mut self, value: Usage) -> Self {
        match &mut self {
            Turn::Message { usage, .. } | Turn::ToolCall { usage, .. } => *usage = value,
            Turn::Chain { .. } | Turn::Fail { .. } => {}
        }
        self
    }
}

/// The fake's script: turns in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Script {
    /// The turns, consumed one per conversation turn across all requests.
    pub turns: Vec<Turn>,
}

impl Script {
    /// A script of these turns.
    pub fn new(turns: impl IntoIterator<Item = Turn>) -> Self {
        Self {
            turns: turns.into_iter().collect(),
        }
    }
}

/// A tool name split the way the Responses API carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ToolName {
    /// `mcp__<server>` for MCP tools.
    pub(super) namespace: Option<String>,
    /// The tool's own name.
    pub(super) name: String,
}

impl ToolName {
    /// `mcp__server__tool` → namespace `mcp__server`, name `tool`; anything else is a flat function.
    pub(super) fn parse(full: &str) -> Self {
        if let Some(rest) = full.strip_prefix("mcp__")
            && let Some((server, tool)) = rest.split_once("__")
            && !server.is_empty()
            && !tool.is_empty()
        {
            return Self {
                namespace: Some(format!("mcp__{server}")),
                name: tool.to_owned(),
            };
        }
        Self {
            namespace: None,
            name: full.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn mcp_tool_names_split_into_namespace_and_name() {
        let check = |full: &str, ns: Option<&str>, name: &str| {
            let t = ToolName::parse(full);
            assert_eq!(
                (t.namespace.as_deref(), t.name.as_str()),
                (ns, name),
                "{full}"
            );
        };
        check(
            "mcp__platform__run_status_report",
            Some("mcp__platform"),
            "run_status_report",
        );
        check("mcp__a__b__c", Some("mcp__a"), "b__c");
        check("exec_command", None, "exec_command");
        check("mcp__only", None, "mcp__only");
    }

    #[test]
    fn a_script_reads_from_json() {
        let script: Script = serde_json::from_value(json!({ "turns": [
            { "kind": "message", "text": "hi", "usage": { "input_tokens": 5 } },
            { "kind": "tool_call", "tool": "mcp__p__t", "arguments": { "a": 1 }, "then": "done" },
        ]}))
        .unwrap();
        assert_eq!(
            script.turns,
            vec![
                Turn::message("hi").with_usage(Usage::new(5, 0, 0, 0)),
                Turn::tool_call("mcp__p__t", json!({ "a": 1 }), "done"),
            ]
        );
    }
}
