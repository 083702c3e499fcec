//! `CODEX_HOME`: its `config.toml` (the model provider, the run's model and reasoning, the
//! platform MCP server) and its `sessions` directory.
//!
//! The run token reaches codex only as an environment variable named in the config
//! (`bearer_token_env_var`), and the shell environment policy keeps it out of the commands the
//! model runs. Analytics and the features that call OpenAI or GitHub at startup are off: with
//! them, codex 0.171.0 exports metrics to `ab.chatgpt.com` and syncs plugins from GitHub.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde::Serialize;

use super::wire::RunContext;

/// The model provider id; a resumed session must be resumed under the same id.
pub(super) const PROVIDER_ID: &str = "ck8s";
/// The platform MCP server's name (codex calls its tools `mcp__platform__<tool>`).
pub(super) const MCP_SERVER: &str = "platform";
/// The variable holding the run token (the MCP bearer token).
pub(super) const TOKEN_VAR: &str = "CK8S_RUN_TOKEN";
/// Seconds codex waits for the MCP server's initialize and tools/list.
const MCP_STARTUP_TIMEOUT_SECS: u64 = 30;

/// What the config needs beyond the run's context.
#[derive(Debug, Clone)]
pub(super) struct HomeSettings<'a> {
    /// Responses API base URL.
    pub(super) model_base_url: &'a str,
    /// The variable holding the model API key, if one is needed.
    pub(super) model_api_key_env: Option<&'a str>,
    /// codex's per-call MCP timeout.
    pub(super) mcp_tool_timeout_secs: u64,
}

#[derive(Debug, Serialize)]
struct Provider<'a> {
    name: &'a str,
    base_url: &'a str,
    wire_api: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    env_key: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct McpServer<'a> {
    url: &'a str,
    bearer_token_env_var: &'a str,
    startup_timeout_sec: u64,
    tool_timeout_sec: u64,
    default_tools_approval_mode: &'a str,
}

#[derive(Debug, Serialize)]
struct ShellPolicy<'a> {
    exclude: Vec<&'a str>,
}

#[derive(Debug, Serialize)]
struct Analytics {
    enabled: bool,
}

/// Features that only reach out to OpenAI and GitHub hosts at startup (curated plugins,
/// ChatGPT apps); a pod has no use for them.
#[derive(Debug, Serialize)]
struct Features {
    plugins: bool,
    apps: bool,
}

/// `config.toml`; scalars come before tables, as TOML needs.
#[derive(Debug, Serialize)]
struct CodexConfig<'a> {
    model: &'a str,
    model_provider: &'a str,
    model_reasoning_effort: &'a str,
    model_providers: BTreeMap<&'a str, Provider<'a>>,
    mcp_servers: BTreeMap<&'a str, McpServer<'a>>,
    shell_environment_policy: ShellPolicy<'a>,
    analytics: Analytics,
    features: Features,
}

/// The `config.toml` text for a run.
pub(super) fn render(ctx: &RunContext, s: &HomeSettings<'_>) -> String {
    let mut exclude = vec![TOKEN_VAR];
    exclude.extend(s.model_api_key_env);
    let config = CodexConfig {
        model: &ctx.model,
        model_provider: PROVIDER_ID,
        model_reasoning_effort: &ctx.reasoning,
        model_providers: BTreeMap::from([(
            PROVIDER_ID,
            Provider {
                name: "codex-k8s model provider",
                base_url: s.model_base_url,
                wire_api: "responses",
                env_key: s.model_api_key_env,
            },
        )]),
        mcp_servers: BTreeMap::from([(
            MCP_SERVER,
            McpServer {
                url: &ctx.mcp_url,
                bearer_token_env_var: TOKEN_VAR,
                startup_timeout_sec: MCP_STARTUP_TIMEOUT_SECS,
                tool_timeout_sec: s.mcp_tool_timeout_secs,
                default_tools_approval_mode: "approve",
            },
        )]),
        shell_environment_policy: ShellPolicy { exclude },
        analytics: Analytics { enabled: false },
        features: Features {
            plugins: false,
            apps: false,
        },
    };
    toml::to_string(&config).expect("the codex config serialises")
}

/// The sessions directory under a codex home.
pub(super) fn sessions_dir(home: &Path) -> PathBuf {
    home.join("sessions")
}

/// Creates the codex home with its sessions directory and writes its `config.toml`.
pub(super) fn prepare(home: &Path, ctx: &RunContext, s: &HomeSettings<'_>) -> std::io::Result<()> {
    std::fs::create_dir_all(sessions_dir(home))?;
    std::fs::write(home.join("config.toml"), render(ctx, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_names_provider_model_mcp_server_and_hides_the_token_from_shells() {
        let ctx: RunContext = serde_json::from_value(serde_json::json!({
            "run_id": uuid::Uuid::nil(), "repository": "acme/shop", "branch": "b", "model": "gpt-5.5",
            "reasoning": "xhigh", "role": "dev", "stage": "dev", "issue_number": 1,
            "pull_request_number": null, "prompt": null, "mcp_url": "http://p:8080/mcp",
            "lineage": "acme/shop#1", "session": null,
        }))
        .unwrap();
        let text = render(
            &ctx,
            &HomeSettings {
                model_base_url: "http://127.0.0.1:9/v1",
                model_api_key_env: None,
                mcp_tool_timeout_secs: 3600,
            },
        );
        let parsed: toml::Value = toml::from_str(&text).unwrap();
        let expected: toml::Value = toml::from_str(
            r#"
            model = "gpt-5.5"
            model_provider = "ck8s"
            model_reasoning_effort = "xhigh"
            [model_providers.ck8s]
            name = "codex-k8s model provider"
            base_url = "http://127.0.0.1:9/v1"
            wire_api = "responses"
            [mcp_servers.platform]
            url = "http://p:8080/mcp"
            bearer_token_env_var = "CK8S_RUN_TOKEN"
            startup_timeout_sec = 30
            tool_timeout_sec = 3600
            default_tools_approval_mode = "approve"
            [shell_environment_policy]
            exclude = ["CK8S_RUN_TOKEN"]
            [analytics]
            enabled = false
            [features]
            plugins = false
            apps = false
            "#,
        )
        .unwrap();
        assert_eq!(parsed, expected, "{text}");

        let with_key = render(
            &ctx,
            &HomeSettings {
                model_base_url: "https://api.openai.com/v1",
                model_api_key_env: Some("OPENAI_API_KEY"),
                mcp_tool_timeout_secs: 60,
            },
        );
        let parsed: toml::Value = toml::from_str(&with_key).unwrap();
        assert_eq!(
            parsed["model_providers"]["ck8s"]["env_key"].as_str(),
            Some("OPENAI_API_KEY")
        );
        assert_eq!(
            parsed["shell_environment_policy"]["exclude"],
            toml::Value::Array(vec!["CK8S_RUN_TOKEN".into(), "OPENAI_API_KEY".into()])
        );
    }
}
