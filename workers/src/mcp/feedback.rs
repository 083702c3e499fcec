//! Tools that talk to the Owner: `owner_feedback_request` and `approval_status`.

use rmcp::{
    ErrorData,
    handler::server::{tool::Extension, wrapper::Parameters},
    model::CallToolResult,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use workflows::approval::{self, FeedbackAsk, FeedbackOption};

use super::{
    reply::reply,
    server::{Caller, PlatformMcp},
};

/// One answer the Owner can pick.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OptionParam {
    /// Stable id returned when the Owner picks it (1..64 of `[A-Za-z0-9_-]`).
    pub(crate) id: String,
    /// What the Owner reads (1..200 characters).
    pub(crate) label: String,
}

/// A question for the Owner.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedbackParams {
    /// The question, self-contained (1..2000 characters).
    #[schemars(length(min = 1, max = 2000))]
    pub(crate) question: String,
    /// Up to 10 answers to choose from.
    #[serde(default)]
    pub(crate) options: Vec<OptionParam>,
    /// Whether the Owner may answer in their own words instead.
    #[serde(default)]
    pub(crate) allow_custom: bool,
}

/// A request to look up.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusParams {
    /// The `request_id` a tool returned.
    pub(crate) request_id: uuid::Uuid,
}

#[tool_router(router = feedback_tools, vis = "pub(crate)")]
impl PlatformMcp {
    /// Asks the Owner and blocks until the answer (or "pending" after the wait limit: ask the
    /// same question again to keep waiting; an answer given meanwhile is returned at once).
    #[tool(
        name = "owner_feedback_request",
        description = "Ask the Owner a question with options (and optionally a custom answer) and wait for the answer. Returns status answered (option_id / custom_answer), denied, expired, or pending (ask the same question again to keep waiting)."
    )]
    async fn owner_feedback_request(
        &self,
        cancel: CancellationToken,
        Extension(caller): Extension<Caller>,
        Parameters(p): Parameters<FeedbackParams>,
    ) -> Result<CallToolResult, ErrorData> {
        let ask = FeedbackAsk {
            question: p.question,
            options: p
                .options
                .into_iter()
                .map(|o| FeedbackOption {
                    id: o.id,
                    label: o.label,
                })
                .collect(),
            allow_custom: p.allow_custom,
        };
        reply(
            approval::request_feedback(&self.platform, &caller.run, ask, cancel)
                .await
                .map(|o| o.to_json()),
        )
    }

    /// The state, answer and outcome of a request of this project.
    #[tool(
        name = "approval_status",
        description = "Look up an approval or feedback request by request_id: its state (requested, approved, denied, expired, applied, failed), the Owner's answer and the executor's outcome."
    )]
    async fn approval_status(
        &self,
        Extension(caller): Extension<Caller>,
        Parameters(p): Parameters<StatusParams>,
    ) -> Result<CallToolResult, ErrorData> {
        reply(approval::approval_status(&self.platform, &caller.run, p.request_id).await)
    }
}
