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

/// The staff API's JWT keys from the configuration (`generate` makes one up when none is set).
pub fn jwt_keys(
    config: &Config,
    generate: bool,
) -> anyhow::Result<crate::api::staff::jwt::JwtKeys> {
    use crate::api::staff::jwt::JwtKeys;
    match &config.jwt_keys {
        Some(keys) => JwtKeys::parse(
            keys.expose(),
            config.jwt_signing_kid.as_deref(),
            config.jwt_ttl,
        )
        .context("CK8S_JWT_KEYS"),
        None if generate => Ok(JwtKeys::generate("dev", config.jwt_ttl)),
        None => anyhow::bail!("CK8S_JWT_KEYS is required (kid=secret of 32+ bytes)"),
    }
}

/// The repository token vault from the configuration, if keys are set.
pub fn vault(config: &Config) -> anyhow::Result<Option<workflows::vault::Vault>> {
    config
        .token_keys
        .as_ref()
        .map(|keys| workflows::vault::Vault::parse(keys.expose(), config.token_key_id.as_deref()))
        .transpose()
        .context("CK8S_TOKEN_KEYS")
}

/// The staff API's state: JWT keys, token vault, GitHub OAuth and read routing over `pool`.
/// Replica pools connect lazily, so a replica that is down at start only makes reads fall back.
pub fn staff_state(
    config: &Config,
    pool: PgPool,
    jwt: crate::api::staff::jwt::JwtKeys,
    vault: Option<workflows::vault::Vault>,
) -> anyhow::Result<Arc<crate::api::StaffState>> {
    use crate::api::staff::{oauth::OAuthConfig, reads::Reads};
    let oauth = match (
        &config.github_oauth_client_id,
        &config.github_oauth_client_secret,
    ) {
        (Some(id), Some(secret)) => Some(OAuthConfig {
            client_id: id.clone(),
            client_secret: secret.clone(),
            web_url: config.github_oauth_url.clone(),
            api_url: config
                .github_oauth_api_url
                .clone()
                .unwrap_or_else(|| config.github_api_url.clone()),
            redirect_url: config.github_oauth_redirect_url.clone().unwrap_or_else(|| {
                format!(
                    "{}/api/v1/staff/auth/github/callback",
                    config.platform_api_url.trim_end_matches('/')
                )
            }),
        }),
        (None, None) => None,
        _ => anyhow::bail!(
            "CK8S_GITHUB_OAUTH_CLIENT_ID and CK8S_GITHUB_OAUTH_CLIENT_SECRET go together"
        ),
    };
    let mut replicas = Vec::new();
    if let Some(urls) = &config.database_read_url {
        for (i, url) in urls
            .expose()
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .enumerate()
        {
            let replica = sqlx::postgres::PgPoolOptions::new()
                .max_connections(config.db_max_connections)
                .acquire_timeout(std::time::Duration::from_secs(2))
                .connect_lazy(url)
                .with_context(|| format!("DATABASE_READ_URL entry {i} is not a Postgres URL"))?;
            replicas.push(replica);
        }
    }
    let reads = Reads::new(pool, replicas, config.replica_max_lag);
    Ok(crate::api::StaffState::new(jwt, vault, oauth, reads))
}
