//! `docs_search`: the project's own documentation (README, `docs/`, ADRs of its repositories),
//! searched by meaning.

use rmcp::{
    ErrorData,
    handler::server::{tool::Extension, wrapper::Parameters},
    model::CallToolResult,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Deserialize;
use workflows::docs;

use super::{
    reply::reply,
    server::{Caller, PlatformMcp},
};

fn default_top_k() -> usize {
    5
}

/// A docs search.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    /// What to look for, in natural language (1..2000 characters).
    #[schemars(length(min = 1, max = 2000))]
    pub(crate) query: String,
    /// Chunks to return, 1..20 (default 5).
    #[serde(default = "default_top_k")]
    #[schemars(range(min = 1, max = 20))]
    pub(crate) top_k: usize,
}

#[tool_router(router = docs_tools, vis = "pub(crate)")]
impl PlatformMcp {
    /// The chunks of the project's documents nearest to the query.
    #[tool(
        name = "docs_search",
        description = "Search this project's documentation (README, docs/ and ADRs of its repositories, as on the default branch) by meaning. Returns the closest chunks, best first: repository, path, heading_path, text, score (cosine similarity) and blob_sha."
    )]
    async fn docs_search(
        &self,
        Extension(caller): Extension<Caller>,
        Parameters(p): Parameters<SearchParams>,
    ) -> Result<CallToolResult, ErrorData> {
        reply(docs::search(&self.platform, &caller.run, &p.query, p.top_k).await)
    }
}
