//! The services every domain workflow shares, built once per process by the binary.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use sqlx::PgPool;

use crate::{docs::Docs, policy::Policy, provider::RepositoryProvider, runtime::AgentRuntime};

/// Queue of delivery routing runs (short, many).
pub const INGRESS_QUEUE: &str = "ingress";
/// Queue of stage runs (long, few).
pub const STAGE_QUEUE: &str = "stages";
/// Queue of docs indexing runs and their sweep (background, a few at a time).
pub const DOCS_QUEUE: &str = "docs";

/// Platform settings the workflows read.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Locale when the project has none: `ru` or `en`.
    pub default_locale: String,
    /// Learning mode when neither member nor project sets it.
    pub learning_mode_default: bool,
    /// Base URL of the staff console, for next-step links.
    pub console_url: String,
    /// Base URL at which agents reach the platform API (runner endpoints, `/mcp`).
    pub api_url: String,
    /// Time budget of a stage run (paused while the agent waits for the Owner).
    pub stage_budget: Duration,
    /// How often a waiting stage run checks on its agent when no event arrives.
    pub agent_probe_every: Duration,
    /// How often agents send heartbeats (given to them as `CK8S_HEARTBEAT_SECS`); a running agent
    /// silent for three periods is treated as gone at the next probe.
    pub agent_heartbeat_every: Duration,
    /// Rate-limit waits one GitHub operation may take before asking for input.
    pub github_rate_limit_waits: u32,
    /// How long a finished run's runtime (workspace, namespace) is kept for inspection or reuse;
    /// zero releases it at once.
    pub runtime_ttl: Duration,
    /// Approvals of the MCP control tools: approver and executor, allow lists, waits.
    pub approval: crate::approval::ApprovalConfig,
    /// How long domain rows are kept (the engine's runs follow the same `finished` age).
    pub retention: crate::retention::RetentionConfig,
    /// Docs indexing and search: the embeddings provider, globs, chunk bounds.
    pub docs: crate::docs::DocsConfig,
    /// Reviewer pre-reviews per stage lineage before a `changes_requested` verdict asks the
    /// Owner (`need:input`) instead of starting another revise; 0 switches the pre-review off
    /// (only tests of other parts do; `CK8S_REVIEW_MAX_ROUNDS` refuses 0).
    pub review_max_rounds: u32,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            default_locale: "en".into(),
            learning_mode_default: false,
            console_url: "http://127.0.0.1:8080".into(),
            api_url: "http://127.0.0.1:8080".into(),
            stage_budget: Duration::from_secs(4 * 3600),
            agent_probe_every: Duration::from_secs(30),
            agent_heartbeat_every: Duration::from_secs(30),
            github_rate_limit_waits: 3,
            runtime_ttl: Duration::ZERO,
            approval: crate::approval::ApprovalConfig::default(),
            retention: crate::retention::RetentionConfig::default(),
            docs: crate::docs::DocsConfig::default(),
            review_max_rounds: 2,
        }
    }
}

/// Shared services of the domain workflows.
pub struct Platform {
    /// The database.
    pub pool: PgPool,
    /// Label policy.
    pub policy: Policy,
    /// The code host (GitHub over octocrab in production).
    pub code_host: Arc<dyn RepositoryProvider>,
    /// Settings.
    pub config: PlatformConfig,
    /// Where agents run.
    pub runtime: Arc<dyn AgentRuntime>,
    /// Docs indexing and search services (off without an embeddings provider).
    pub docs: Docs,
    client: OnceLock<engine::Client>,
    executor: OnceLock<crate::approval::Executor>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Platform {
    /// Services without an engine client yet (the client needs the registry built from these).
    ///
    /// Docs settings that do not validate switch docs indexing and search off (logged); the
    /// binary validates them before, so that a bad setting stops it instead.
    pub fn new(
        pool: PgPool,
        policy: Policy,
        code_host: Arc<dyn RepositoryProvider>,
        config: PlatformConfig,
        runtime: Arc<dyn AgentRuntime>,
    ) -> Arc<Self> {
        let docs = Docs::new(&config.docs).unwrap_or_else(|e| {
            tracing::error!(error.message = %e, "docs settings are invalid: docs search is off");
            Docs::disabled()
        });
        Arc::new(Self {
            pool,
            policy,
            code_host,
            config,
            runtime,
            docs,
            client: OnceLock::new(),
            executor: OnceLock::new(),
        })
    }

    /// Sets the engine client once the registry exists.
    pub fn set_client(&self, client: engine::Client) {
        let _ = self.client.set(client);
    }

    /// Sets the built-in executor of approved control actions (once; later calls are ignored).
    pub fn set_executor(&self, executor: crate::approval::Executor) {
        let _ = self.executor.set(executor);
    }

    /// The built-in executor, when the binary configured one.
    pub fn executor(&self) -> Option<&crate::approval::Executor> {
        self.executor.get()
    }

    /// The engine client.
    ///
    /// # Panics
    /// If called before [`Platform::set_client`]; the binary sets it before starting workers.
    pub fn client(&self) -> &engine::Client {
        self.client
            .get()
            .expect("engine client set before workers start")
    }

    /// Every domain workflow, for the worker's registry; fails on an invalid cleanup policy.
    pub fn registry(self: &Arc<Self>) -> engine::Result<engine::Registry> {
        engine::Registry::new()
            .with(crate::delivery::RouteDelivery::new(self.clone()))?
            .with(crate::stage::StageRun::new(self.clone()))?
            .with(crate::stage::ReleaseRuntime::new(self.clone()))?
            .with(crate::agent_label::AgentLabels::new(self.clone()))?
            .with(crate::approval::ApprovalFlow::new(self.clone()))?
            .with(crate::retention::Retention::new(self.clone()))?
            .with(crate::environment_sweep::EnvironmentSweep::new(
                self.clone(),
            ))?
            .with(crate::docs::DocsIndex::new(self.clone()))?
            .with(crate::docs::DocsSweep::new(self.clone()))
    }
}
