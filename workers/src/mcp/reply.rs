//! Turns a domain result into an MCP tool result: caller errors become tool-level errors the
//! agent can read (`isError` with a stable code); internal failures are logged here once and
//! reach the agent only as "internal error".

use rmcp::{ErrorData, model::CallToolResult};
use serde_json::{Value, json};
use workflows::approval;

/// The tool result of a domain call.
pub(crate) fn reply(result: approval::Result<Value>) -> Result<CallToolResult, ErrorData> {
    match result {
        Ok(value) => Ok(CallToolResult::structured(value)),
        Err(e) if e.is_caller_error() => Ok(CallToolResult::structured_error(json!({
            "error": { "code": e.code(), "message": e.to_string() },
        }))),
        Err(approval::Error::GitHub(e)) => {
            tracing::warn!(error.message = %e, "a GitHub call of an MCP tool failed");
            Ok(CallToolResult::structured_error(json!({
                "error": { "code": "github_failed", "message": "the GitHub call failed; try again later" },
            })))
        }
        Err(e) => {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "an MCP tool failed");
            Err(ErrorData::internal_error("internal error", None))
        }
    }
}
