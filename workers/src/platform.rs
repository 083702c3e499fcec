//! Wiring of the domain: policy, GitHub client, local runtime, docs search and platform settings
//! from the configuration, the registry of every workflow kind, and the engine client.

use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;
use workflows::{
    approval::{ApprovalConfig, DatabaseAdmin, Executor, SigningKey},
    docs::{ApiKey, DocsConfig, EmbeddingsConfig, chunk::ChunkBounds},
    github::{ClientConfig, GitHubClient, Token},
    kubernetes::{KubeSettings, KubernetesRuntime},
    platform::{Platform, PlatformConfig},
    policy::{Policy, PolicyConfig},
    runtime::{AgentCommand, LocalRuntime},
};

use crate::config::{Config, RuntimeKind};

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
        callback_key: config
            .callback_secret
            .as_ref()
            .map(|s| SigningKey::new(s.expose())),
        ttl: config.approval_ttl,
        owner_wait: config.mcp_owner_wait,
        secret_namespaces: config.mcp_secret_namespaces.0.clone(),
        database_environments: config.mcp_database_environments.0.clone(),
        ..ApprovalConfig::default()
    }
}

/// Docs indexing and search settings from the configuration, checked (the error names the
/// setting); without an embeddings key they are off.
pub fn docs_config(config: &Config) -> anyhow::Result<DocsConfig> {
    let embeddings = config
        .embeddings_api_key
        .as_ref()
        .map(|key| EmbeddingsConfig {
            batch_size: config.embeddings_batch_size,
            request_timeout: config.embeddings_timeout,
            max_retries: config.embeddings_max_retries,
            ..EmbeddingsConfig::new(
                config.embeddings_url.clone(),
                config.embeddings_model.clone(),
                ApiKey::new(key.expose()),
            )
        });
    let docs = DocsConfig {
        embeddings,
        globs: config.docs_globs.0.clone(),
        chunk: ChunkBounds {
            max_tokens: config.docs_chunk_max_tokens,
            overlap_tokens: config.docs_chunk_overlap_tokens,
            code_max_tokens: config.docs_chunk_max_tokens.saturating_mul(4).min(8_000),
        },
        ef_search: config.docs_ef_search,
        ..DocsConfig::default()
    };
    docs.validate()
        .context("docs search configuration (CK8S_EMBEDDINGS_*, CK8S_DOCS_*)")?;
    Ok(docs)
}

/// This binary's hidden subcommand `subcommand` as the agent: `agent-runner` (the real agent,
/// driving the codex CLI: the default) or `scripted-agent` (tests and `dev --demo` only).
pub fn this_binary(subcommand: &str) -> anyhow::Result<AgentCommand> {
    Ok(AgentCommand {
        program: std::env::current_exe()
            .with_context(|| format!("locate this binary for its {subcommand}"))?,
        args: vec![subcommand.into()],
        env: Vec::new(),
    })
}

/// The agent the local runtime launches: `agent` when given, else `CK8S_AGENT_PROGRAM`, else
/// this binary's `agent-runner` (the real agent).
pub fn agent_command(config: &Config, agent: Option<AgentCommand>) -> anyhow::Result<AgentCommand> {
    match (agent, &config.agent_program) {
        (Some(agent), _) => Ok(agent),
        (None, Some(line)) => Ok(AgentCommand {
            program: line.program.clone(),
            args: line.args.clone(),
            env: Vec::new(),
        }),
        (None, None) => this_binary("agent-runner"),
    }
}

/// How workspaces run git: the platform token reads (clones and fetches), the bot is the author.
pub fn workspace_git(
    bot_login: &str,
    read_token: &workflows::github::Token,
) -> workflows::runtime::GitSettings {
    workflows::runtime::GitSettings {
        read_token: (!read_token.is_blank()).then(|| read_token.clone()),
        user_name: bot_login.to_owned(),
        user_email: format!("{bot_login}@users.noreply.github.com"),
        timeout: std::time::Duration::from_secs(600),
    }
}

/// Builds the platform from the configuration, with the given GitHub client settings.
pub async fn build(config: &Config, pool: PgPool, github: ClientConfig) -> anyhow::Result<Wiring> {
    build_with(config, pool, github, None).await
}

/// Like [`build`], with the agent the local runtime launches given explicitly (e.g. `dev --demo`
/// running `agent-runner` with the codex CLI, or the scripted agent without it). Without one,
/// the agent is `CK8S_AGENT_PROGRAM`, else this binary's `agent-runner`.
pub async fn build_with(
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
    let git = workspace_git(&config.github_bot_login, &github.platform_token);
    let github = Arc::new(GitHubClient::new(github).context("GitHub client configuration")?);
    let program = agent_command(config, agent)?;
    let root = config
        .runtime_root
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("codex-k8s-runs"));
    let (runtime, kube): (Arc<dyn workflows::runtime::AgentRuntime>, _) = match config.runtime {
        RuntimeKind::Local => (
            Arc::new(LocalRuntime::new(root, program, None).with_git(git)),
            None,
        ),
        RuntimeKind::Kubernetes => {
            let runtime = kubernetes_runtime(config).await?;
            let client = runtime.client().clone();
            (Arc::new(runtime), Some(client))
        }
    };
    let executor = executor(config, kube)?;
    let settings = PlatformConfig {
        default_locale: config.default_locale.clone(),
        learning_mode_default: config.learning_mode_default.0,
        console_url: config.console_url.clone(),
        api_url: config.platform_api_url.clone(),
        stage_budget: config.stage_budget,
        runtime_ttl: std::time::Duration::from_secs(config.runtime_ttl_secs),
        review_max_rounds: config.review_max_rounds,
        approval: approval_config(config),
        retention: config.retention(),
        docs: docs_config(config)?,
        ..PlatformConfig::default()
    };
    let platform = Platform::new(pool.clone(), policy, github, settings, runtime);
    if let Some(executor) = executor {
        platform.set_executor(executor);
    }
    let registry = platform.registry()?.with(crate::sample::SampleWorkflow)?;
    let client = engine::Client::new(pool, engine::ClientConfig::default());
    platform.set_client(client.clone());
    Ok(Wiring {
        platform,
        registry,
        client,
    })
}

/// The Kubernetes runtime from `CK8S_KUBE_*`, with a client for the cluster this process runs in
/// (or the one `KUBECONFIG` names). The agent gets the worker's model settings as plain values and
/// its model API key (the variable `CK8S_MODEL_API_KEY_ENV` names) only through a Secret.
pub async fn kubernetes_runtime(config: &Config) -> anyhow::Result<KubernetesRuntime> {
    let image = config
        .kube_runner_image
        .clone()
        .context("CK8S_RUNTIME=kubernetes needs CK8S_KUBE_RUNNER_IMAGE")?;
    let inherited = workflows::runtime::agent_env::inherited(|k| std::env::var(k).ok())
        .context("agent environment (CK8S_MODEL_API_KEY_ENV)")?;
    let key_var = std::env::var("CK8S_MODEL_API_KEY_ENV")
        .ok()
        .map(|v| v.trim().to_owned());
    let (model_key, agent_env): (Vec<_>, Vec<_>) = inherited
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "PATH" | "LANG" | "LC_ALL"))
        .partition(|(k, _)| Some(k) == key_var.as_ref());
    let settings = KubeSettings {
        namespace_prefix: config.kube_namespace_prefix.clone(),
        platform_namespace: config.kube_platform_namespace.clone(),
        platform_port: config.kube_platform_port,
        runner_image: image,
        default_lease: config.kube_namespace_lease,
        part_of: config.kube_part_of.0,
        production_namespace: config.kube_production_namespace.clone(),
        environments: config.guardrail_environments(),
        model_key: model_key
            .into_iter()
            .next()
            .map(|(var, key)| (var, workflows::github::Token::new(key))),
        agent_env,
        ..KubeSettings::default()
    };
    let client = kube::Client::try_default()
        .await
        .context("Kubernetes client (in-cluster service account or KUBECONFIG)")?;
    Ok(KubernetesRuntime::new(client, settings))
}

/// The built-in executor of approved control actions, when it can do anything: with the
/// Kubernetes runtime's client (secret sync, database credentials) or a database server. Without
/// either, approved actions wait for an external executor's callback, as before.
pub fn executor(config: &Config, kube: Option<kube::Client>) -> anyhow::Result<Option<Executor>> {
    let databases = config
        .database_admin_url
        .as_ref()
        .map(|url| DatabaseAdmin::new(url.expose(), config.database_secret_namespaces.0.clone()))
        .transpose()?;
    if kube.is_none() && databases.is_none() {
        return Ok(None);
    }
    let value_key = config
        .secret_sync_key
        .as_ref()
        .map(|k| SigningKey::new(k.expose()));
    let timeout = std::time::Duration::from_secs(30);
    let envs = config.guardrail_environments();
    Ok(Some(Executor::new(
        kube, databases, value_key, envs, timeout,
    )))
}

/// Keeps the docs re-index sweep scheduled when docs search is on (every worker does; the
/// schedule is one row, and an unchanged expression keeps its next tick).
pub async fn schedule_docs(config: &Config, wiring: &Wiring) -> anyhow::Result<()> {
    if wiring.platform.docs.embedder().is_none() {
        tracing::info!("docs search is off: no CK8S_EMBEDDINGS_API_KEY");
        return Ok(());
    }
    workflows::docs::schedule(&wiring.client, &config.docs_index_cron)
        .await
        .with_context(|| {
            format!(
                "schedule the docs sweep (CK8S_DOCS_INDEX_CRON={:?})",
                config.docs_index_cron
            )
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::Cli;

    fn config(args: &[&str]) -> Config {
        let mut argv = vec!["codex-k8s"];
        argv.extend(args);
        argv.push("worker");
        Cli::try_parse_from(argv).unwrap().config
    }

    #[test]
    fn the_default_agent_is_the_agent_runner_and_the_program_setting_takes_arguments() {
        let default = agent_command(&config(&[]), None).unwrap();
        assert_eq!(default.program, std::env::current_exe().unwrap());
        assert_eq!(default.args, ["agent-runner"]);
        let set = agent_command(
            &config(&["--agent-program", "/opt/agent --mode 'two words'"]),
            None,
        )
        .unwrap();
        assert_eq!(set.program, std::path::PathBuf::from("/opt/agent"));
        assert_eq!(set.args, ["--mode", "two words"]);
        let scripted = this_binary("scripted-agent").unwrap();
        let asked = agent_command(&config(&[]), Some(scripted)).unwrap();
        assert_eq!(asked.args, ["scripted-agent"]);
    }
}
