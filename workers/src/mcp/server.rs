//! The MCP server handler: resolves the calling run (its token was checked by the HTTP layer),
//! shows and admits only the tools its role and stage allow, audits every call, and routes the
//! call to its tool; every call is counted per tool and result.

use std::sync::Arc;

use rmcp::{
    ErrorData, RoleServer, ServerHandler,
    handler::server::{router::tool::ToolRouter, tool::ToolCallContext},
    model::{
        CallToolRequestParams, CallToolResponse, ListToolsResult, PaginatedRequestParams,
        ServerCapabilities, ServerConfig, Tool,
    },
    service::RequestContext,
};
use serde_json::{Value, json};
use workflows::{approval, platform::Platform, store::agent_run::AgentRun};

use super::access::Scope;
use crate::api::{
    RunCaller,
    metrics::{self, ToolResult},
};

/// Audited results larger than this are summarized (session contents, long lists).
const MAX_AUDITED_RESULT: usize = 2000;

/// The calling run, handed to tools as an extension.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// Its record.
    pub(crate) run: Arc<AgentRun>,
}

/// The MCP service of the platform: one instance per request (stateless streamable HTTP).
#[derive(Clone)]
pub(crate) struct PlatformMcp {
    pub(crate) platform: Arc<Platform>,
    tools: ToolRouter<Self>,
}

impl PlatformMcp {
    /// The service over the platform's services with every tool group.
    pub(crate) fn new(platform: Arc<Platform>) -> Self {
        Self {
            platform,
            tools: Self::feedback_tools()
                + Self::control_tools()
                + Self::label_tools()
                + Self::self_improve_tools()
                + Self::docs_tools(),
        }
    }

    /// The calling run, from the run token the HTTP layer verified.
    async fn caller(&self, ctx: &RequestContext<RoleServer>) -> Result<Caller, ErrorData> {
        let run_id = ctx
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<RunCaller>())
            .map(|c| c.run_id)
            .ok_or_else(|| ErrorData::invalid_request("no run token", None))?;
        let run = approval::run(&self.platform, run_id).await.map_err(|e| {
            tracing::error!(%run_id, error.message = %e, "could not load the calling run");
            ErrorData::internal_error("internal error", None)
        })?;
        Ok(Caller { run: Arc::new(run) })
    }

    async fn audit(&self, run: &AgentRun, kind: &str, detail: Value) {
        if let Err(e) = approval::audit(&self.platform, Some(run.id), kind, &detail).await {
            tracing::error!(run_id = %run.id, error.message = %e, "could not audit an MCP call");
        }
    }
}

fn summary(response: &Result<CallToolResponse, ErrorData>) -> Value {
    match response {
        Ok(CallToolResponse::Complete(r)) => {
            let result = r.structured_content.clone().unwrap_or(Value::Null);
            let size = result.to_string().len();
            let result = if size > MAX_AUDITED_RESULT {
                json!({ "omitted_bytes": size })
            } else {
                result
            };
            json!({ "is_error": r.is_error.unwrap_or(false), "result": result })
        }
        Ok(_) => json!({ "is_error": false, "result": "incomplete" }),
        Err(e) => json!({ "is_error": true, "protocol_error": e.message }),
    }
}

impl ServerHandler for PlatformMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(rmcp::model::Implementation::new(
                "codex-k8s",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "codex-k8s platform tools for this run. Control actions wait for the Owner's \
                 approval; owner_feedback_request blocks until the Owner answers or reports \
                 pending."
                    .to_owned(),
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = self.caller(&ctx).await?;
        let scope = Scope::of(&caller.run);
        let tools: Vec<Tool> = self
            .tools
            .list_all()
            .into_iter()
            .filter(|t| scope.allows(&t.name))
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        mut ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = self.caller(&ctx).await?;
        let tool = request.name.to_string();
        let arguments = Value::Object(request.arguments.clone().unwrap_or_default());
        let registered = self.tools.has_route(&tool);
        let visible = Scope::of(&caller.run).allows(&tool) && registered;
        let called = json!({
            "tool": tool,
            "arguments": arguments,
            "decision": if visible { "admitted" } else { "refused: not available to this run" },
        });
        self.audit(&caller.run, "mcp_tool_called", called).await;
        if !visible {
            metrics::mcp_call(&tool, registered, ToolResult::Refused);
            return Err(ErrorData::invalid_params(
                format!("tool {tool:?} is not available to this run"),
                None,
            ));
        }
        let run = caller.run.clone();
        ctx.extensions.insert(caller);
        let response = self
            .tools
            .call(ToolCallContext::new(self, request, ctx))
            .await;
        let result = match &response {
            Ok(CallToolResponse::Complete(r)) if r.is_error.unwrap_or(false) => {
                ToolResult::ToolError
            }
            Ok(_) => ToolResult::Ok,
            Err(_) => ToolResult::ProtocolError,
        };
        metrics::mcp_call(&tool, registered, result);
        let mut completed = summary(&response);
        completed["tool"] = json!(tool);
        self.audit(&run, "mcp_tool_completed", completed).await;
        response
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.get(name).cloned()
    }
}
