//! Tools on the run's own thread: `github_labels` and `run_status_report`.

use rmcp::{
    ErrorData,
    handler::server::{tool::Extension, wrapper::Parameters},
    model::CallToolResult,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Deserialize;
use workflows::approval::{self, LabelAction, LabelsAsk};

use super::{
    reply::reply,
    server::{Caller, PlatformMcp},
};

/// What to do with labels (wire form of [`LabelAction`]).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ActionParam {
    /// Read the labels.
    List,
    /// Add `labels`.
    Add,
    /// Remove `labels`.
    Remove,
    /// Remove `remove_labels` and add `labels` in one request.
    Transition,
}

impl From<ActionParam> for LabelAction {
    fn from(a: ActionParam) -> Self {
        match a {
            ActionParam::List => LabelAction::List,
            ActionParam::Add => LabelAction::Add,
            ActionParam::Remove => LabelAction::Remove,
            ActionParam::Transition => LabelAction::Transition,
        }
    }
}

/// A label request on the run's repository.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabelsParams {
    /// list, add, remove or transition.
    pub(crate) action: ActionParam,
    /// Labels to add (add, transition) or remove (remove).
    #[serde(default)]
    pub(crate) labels: Vec<String>,
    /// Labels to remove (transition).
    #[serde(default)]
    pub(crate) remove_labels: Vec<String>,
    /// The run's Issue (default: the run's own thread); other Issues are refused.
    #[serde(default)]
    pub(crate) issue_number: Option<u64>,
    /// The run's linked pull request (default: the run's own thread); others are refused.
    #[serde(default)]
    pub(crate) pull_request_number: Option<u64>,
}

/// A short status line.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusParams {
    /// What the agent is doing now, 1..100 characters, in the run's locale.
    #[schemars(length(min = 1, max = 100))]
    pub(crate) status: String,
}

#[tool_router(router = label_tools, vis = "pub(crate)")]
impl PlatformMcp {
    /// Lists or changes labels; run-starting labels wait for the Owner's approval.
    #[tool(
        name = "github_labels",
        description = "List, add, remove or transition labels on the run's own Issue or its linked pull request (no other thread). state:* and need:* labels apply at once; run:* (and other run-starting) labels are applied only after the Owner approves (status approval_pending with request_id)."
    )]
    async fn github_labels(
        &self,
        Extension(caller): Extension<Caller>,
        Parameters(p): Parameters<LabelsParams>,
    ) -> Result<CallToolResult, ErrorData> {
        let action: LabelAction = p.action.into();
        let (add, remove) = match action {
            LabelAction::Remove => (Vec::new(), p.labels),
            _ => (p.labels, p.remove_labels),
        };
        let ask = LabelsAsk {
            action,
            issue_number: p.issue_number,
            pull_request_number: p.pull_request_number,
            add,
            remove,
        };
        reply(approval::request_labels(&self.platform, &caller.run, ask).await)
    }

    /// Stores the status line shown in the run's status comment.
    #[tool(
        name = "run_status_report",
        description = "Report a short status line (1..100 characters) for the run's status comment."
    )]
    async fn run_status_report(
        &self,
        Extension(caller): Extension<Caller>,
        Parameters(p): Parameters<StatusParams>,
    ) -> Result<CallToolResult, ErrorData> {
        reply(approval::report_status(&self.platform, &caller.run, &p.status).await)
    }
}
