//! Wiring of the domain: policy, GitHub client, local runtime and platform settings from the
//! configuration, the registry of every workflow kind, and the engine client.

use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;
use workflows::{
    approval::{ApprovalConfig, SigningKey},
    github::{ClientConfig, GitHubClient, Token},
    platform::{Platform, PlatformConfig},
    policy::{Policy, PolicyConfig},
    runtime::{AgentCommand, LocalRuntime},
};

use crate::config::Config;

/// The platform's services, its workflow registry and engine client.
pub struct Wiring {
    /// Shared services of the domain workflows.
    pub platform: Arc<Platform>,
    /// Every workflow kind.
    pub registry: engine::Registry,
    /// The engine client over that registry.
    pub client: engine::Client,
}

/// GitHub client settings from the configuration (tokens are required outside `dev`).
pub fn github_config(config: &Config) -> anyhow::Result<ClientConfig> {
    let platform = config
        .github_platform_token
        .as_ref()
        .context("CK8S_GITHUB_PLATFORM_TOKEN is required")?;
    let bot = config
        .github_bot_token
        .as_ref()
        .context("CK8S_GITHUB_BOT_TOKEN is required")?;
    let mut github = ClientConfig::new(Token::new(platform.expose()), Token::new(bot.expose()));
    github.base_url = config.github_api_url.clone();
    github.bot_login = Some(config.github_bot_login.clone());
    Ok(github)
}

/// Approval settings from the configuration.
pub fn approval_config(config: &Config) -> ApprovalConfig {
    ApprovalConfig {
        approver_url: config.approver_url.clone().filter(|u| !u.trim().is_empty()),
        executor_url: config.executor_url.clone().filter(|u| !u.trim().is_empty()),
        signing_key: config
            .approver_secret
            .as_ref()
            .map(|s| SigningKey::new(s.expose())),
        ttl: config.approval_ttl,
        owner_wait: config.mcp_owner_wait,
        secret_namespaces: config.mcp_secret_namespaces.0.clone(),
        database_environments: config.mcp_database_environments.0.clone(),
        ..ApprovalConfig::default()
    }
}

/// Builds the platform from the configuration, with the given GitHub client settings.
pub fn build(config: &Config, pool: PgPool, github: ClientConfig) -> anyhow::Result<Wiring> {
    build_with(config, pool, github, None)
}

/// Like [`build`], with the agent the local runtime launches given explicitly (e.g. `dev --demo`
/// running `agent-runner` with the codex CLI).
pub fn build_with(
    config: &Config,
    pool: PgPool,
    github: ClientConfig,
    agent: Option<AgentCommand>,
) -> anyhow::Result<Wiring> {
    let policy_config = PolicyConfig {
        bot_login: config.github_bot_login.clone(),
        ..PolicyConfig::default()
    };
    let policy = Policy::new(&policy_config).context("label policy configuration")?;
    let github = GitHubClient::new(github).context("GitHub client configuration")?;
    let program = match (agent, &config.agent_program) {
        (Some(agent), _) => agent,
        (None, Some(p)) => AgentCommand {
            program: p.clone(),
            args: Vec::new(),
            env: Vec::new(),
        },
        (None, None) => AgentCommand {
            program: std::env::current_exe()
                .context("locate this binary for the scripted agent")?,
            args: vec!["scripted-agent".into()],
            env: Vec::new(),
        },
    };
    let root = config
        .runtime_root
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("codex-k8s-runs"));
    let runtime = Arc::new(LocalRuntime::new(root, program, None));
    let settings = PlatformConfig {
        default_locale: config.default_locale.clone(),
        learning_mode_default: config.learning_mode_default.0,
        console_url: config.console_url.clone(),
        api_url: config.platform_api_url.clone(),
        stage_budget: config.stage_budget,
        runtime_ttl: std::time::Duration::from_secs(config.runtime_ttl_secs),
        approval: approval_config(config),
        retention: config.retention(),
        ..PlatformConfig::default()
    };
    let platform = Platform::new(pool.clone(), policy, github, settings, runtime);
    let registry = platform.registry()?.with(crate::sample::SampleWorkflow)?;
    let client = engine::Client::new(pool, engine::ClientConfig::default());
    platform.set_client(client.clone());
    Ok(Wiring {
        platform,
        registry,
        client,
    })
}
