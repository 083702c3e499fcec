//! Read-only lookups for `run:self-improve`: runs, their events, and codex sessions of the
//! project.

use rmcp::{
    ErrorData,
    handler::server::{tool::Extension, wrapper::Parameters},
    model::CallToolResult,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Deserialize;
use workflows::approval;

use super::{
    reply::reply,
    server::{Caller, PlatformMcp},
};

fn default_limit() -> i64 {
    20
}

fn default_lookup_limit() -> i64 {
    5
}

/// A page of runs.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Page number, from 0.
    #[serde(default)]
    pub(crate) page: i64,
    /// Runs per page, 1..50 (default 20).
    #[serde(default = "default_limit")]
    pub(crate) limit: i64,
}

/// One thread to look up.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LookupParams {
    /// The Issue (give this or pull_request_number).
    #[serde(default)]
    pub(crate) issue_number: Option<i64>,
    /// The pull request (give this or issue_number).
    #[serde(default)]
    pub(crate) pull_request_number: Option<i64>,
    /// Runs to return, 1..10 (default 5).
    #[serde(default = "default_lookup_limit")]
    pub(crate) limit: i64,
}

/// A run whose session to read.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionParams {
    /// A run of this project.
    pub(crate) run_id: uuid::Uuid,
}

#[tool_router(router = self_improve_tools, vis = "pub(crate)")]
impl PlatformMcp {
    /// Runs of the project, newest first.
    #[tool(
        name = "self_improve_runs_list",
        description = "List the project's runs, newest first (id, stage, status, agent status, thread), paged."
    )]
    async fn self_improve_runs_list(
        &self,
        Extension(caller): Extension<Caller>,
        Parameters(p): Parameters<ListParams>,
    ) -> Result<CallToolResult, ErrorData> {
        reply(approval::runs(&self.platform, &caller.run, None, None, p.limit, p.page).await)
    }

    /// Runs of one Issue or pull request with their events.
    #[tool(
        name = "self_improve_run_lookup",
        description = "Look up the runs of one Issue or pull request with their latest flow events (what happened and why)."
    )]
    async fn self_improve_run_lookup(
        &self,
        Extension(caller): Extension<Caller>,
        Parameters(p): Parameters<LookupParams>,
    ) -> Result<CallToolResult, ErrorData> {
        let run = &caller.run;
        let (issue, pr, limit) = (p.issue_number, p.pull_request_number, p.limit);
        reply(approval::run_lookup(&self.platform, run, issue, pr, limit).await)
    }

    /// The newest codex session snapshot of a run.
    #[tool(
        name = "self_improve_session_get",
        description = "Read the newest codex session snapshot (rollout JSONL, up to 256 KiB) of a run of this project."
    )]
    async fn self_improve_session_get(
        &self,
        Extension(caller): Extension<Caller>,
        Parameters(p): Parameters<SessionParams>,
    ) -> Result<CallToolResult, ErrorData> {
        reply(approval::session(&self.platform, &caller.run, p.run_id).await)
    }
}
