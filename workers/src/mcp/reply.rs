//! Turns a domain result into an MCP tool result: caller errors become tool-level errors the
//! agent can read (`isError` with a stable code); failures of an upstream service (GitHub, the
//! embeddings provider) become a "try again later" tool error; internal failures are logged here
//! once and reach the agent only as "internal error".

use rmcp::{ErrorData, model::CallToolResult};
use serde_json::{Value, json};
use workflows::{approval, docs};

/// How a domain failure is shown to the agent.
pub(crate) enum Shown {
    /// The caller's mistake: its stable code and message.
    Caller(&'static str),
    /// An upstream service failed: a code and a sentence that say so, no detail.
    Upstream(&'static str, &'static str),
    /// Anything else.
    Internal,
}

/// A domain error a tool can return.
pub(crate) trait ToolFailure: std::error::Error {
    /// How it is shown.
    fn shown(&self) -> Shown;
}

impl ToolFailure for approval::Error {
    fn shown(&self) -> Shown {
        match self {
            e if e.is_caller_error() => Shown::Caller(e.code()),
            approval::Error::GitHub(_) => {
                Shown::Upstream("github_failed", "the GitHub call failed; try again later")
            }
            _ => Shown::Internal,
        }
    }
}

impl ToolFailure for docs::Error {
    fn shown(&self) -> Shown {
        match self {
            e if e.is_caller_error() => Shown::Caller(e.code()),
            e if e.is_provider_error() => Shown::Upstream(
                "embeddings_failed",
                "the embeddings provider failed; try again later",
            ),
            _ => Shown::Internal,
        }
    }
}

/// The tool result of a domain call.
pub(crate) fn reply<E: ToolFailure>(result: Result<Value, E>) -> Result<CallToolResult, ErrorData> {
    let e = match result {
        Ok(value) => return Ok(CallToolResult::structured(value)),
        Err(e) => e,
    };
    match e.shown() {
        Shown::Caller(code) => Ok(CallToolResult::structured_error(json!({
            "error": { "code": code, "message": e.to_string() },
        }))),
        Shown::Upstream(code, message) => {
            tracing::warn!(error.message = %e, error.code = code, "an upstream call of an MCP tool failed");
            Ok(CallToolResult::structured_error(json!({
                "error": { "code": code, "message": message },
            })))
        }
        Shown::Internal => {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "an MCP tool failed");
            Err(ErrorData::internal_error("internal error", None))
        }
    }
}
