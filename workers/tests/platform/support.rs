//! Test fixtures: a throwaway Postgres per test process with a migrated template, a fresh database
//! per test, the local fake GitHub, the real API router and a worker over the domain registry.

use std::{path::PathBuf, sync::Arc, time::Duration};

use axum::{Router, body::Body, http::Request};
use engine::{Metrics, Worker, WorkerConfig};
use serde_json::Value;
use sqlx::{PgPool, postgres::PgPoolOptions};
use testkit::{embeddings::FakeEmbeddings, github::FakeGitHub, test_database::TestDatabases};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use workers::{
    api, cmd::dev::fake_github_config, config::Secret, health::Readiness, platform::Wiring,
};
use workflows::{
    docs::{ApiKey, DocsConfig, EmbeddingsConfig},
    platform::{Platform, PlatformConfig},
    policy::{Policy, PolicyConfig},
    runtime::{AgentCommand, LocalRuntime},
    store::directory::{self, NewProject, NewUser},
};

/// The webhook secret of test platforms.
pub const SECRET: &str = "test-webhook-secret";
/// The platform bot's login.
pub const BOT: &str = "codex-bot";

static DATABASES: OnceCell<TestDatabases> = OnceCell::const_new();
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A fresh migrated database: its pool and URL.
pub async fn fresh_database() -> (PgPool, String) {
    let dbs = DATABASES
        .get_or_init(|| async {
            TestDatabases::start(&MIGRATOR)
                .await
                .expect("test databases")
        })
        .await;
    let url = dbs.fresh().await.expect("fresh database");
    let pool = PgPoolOptions::new()
        .max_connections(30)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&url)
        .await
        .expect("connect");
    (pool, url)
}

/// Docs search against the fake embeddings provider, with short retry pauses.
pub fn docs_config(fake: &FakeEmbeddings) -> DocsConfig {
    let embeddings = EmbeddingsConfig {
        initial_backoff: Duration::from_millis(5),
        ..EmbeddingsConfig::new(
            fake.base_url(),
            "text-embedding-3-large",
            ApiKey::new(fake.api_key()),
        )
    };
    DocsConfig {
        embeddings: Some(embeddings),
        ..DocsConfig::default()
    }
}

/// One platform under test.
pub struct TestPlatform {
    pub pool: PgPool,
    /// The database's URL.
    #[allow(dead_code)]
    pub url: String,
    /// The staff API's state (JWT keys, vault, read routing).
    pub staff: Arc<api::StaffState>,
    pub github: FakeGitHub,
    pub embeddings: FakeEmbeddings,
    pub wiring: Wiring,
    pub router: Router,
    pub runtime_root: PathBuf,
    /// The API's readiness (no monitor runs unless a test spawns it).
    pub readiness: Readiness,
    pub project_id: uuid::Uuid,
    shutdown: CancellationToken,
    worker: Option<tokio::task::JoinHandle<engine::Result<()>>>,
}

/// How to build a test platform.
pub struct Options {
    /// Queues the worker serves; none: no worker (routing and runs stay queued).
    pub queues: Vec<(&'static str, usize)>,
    /// The scripted agent's script (`CK8S_AGENT_SCRIPT`).
    pub agent_script: Option<String>,
    /// Stage budget.
    pub stage_budget: Duration,
    /// Another agent program, with the platform API URL agents get (the test serves the router
    /// there); none: the scripted agent.
    pub agent: Option<(AgentCommand, String)>,
    /// Approval settings (signing key, owner wait); default: none configured.
    pub approval: Option<workflows::approval::ApprovalConfig>,
    /// How long finished runs keep their workspace.
    pub runtime_ttl: Duration,
    /// Use this (migrated) database instead of a fresh one of the shared test server.
    pub database_url: Option<String>,
    /// A git server holding `acme/shop`: workspaces are checkouts of it (the fake GitHub names
    /// its clone URL; the platform token may read it). None: seed-less empty workspaces.
    pub git: Option<Arc<testkit::git::GitServer>>,
    /// Staff API state built over the platform's pool; default: `StaffState::local`.
    pub staff: Option<Box<dyn FnOnce(PgPool) -> Arc<api::StaffState> + Send>>,
    /// How often a waiting stage run probes its agent (default 2 s).
    pub probe_every: Duration,
    /// The agents' heartbeat period (a silent agent is gone after three).
    pub heartbeat_every: Duration,
    /// Where run directories live; default: a fresh temporary directory.
    pub runtime_root: Option<PathBuf>,
    /// GitHub client settings (e.g. another process's fake); default: this platform's fake.
    pub github: Option<workflows::github::ClientConfig>,
    /// Active runs the project `acme` allows at once.
    pub max_active_runs: i32,
    /// Reviewer pre-review rounds; 0 switches the gate off (tests of other parts).
    pub review_max_rounds: u32,
    /// Another runtime (e.g. Kubernetes against the fake API server); default: the local one.
    pub runtime: Option<Arc<dyn workflows::runtime::AgentRuntime>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            queues: vec![("ingress", 8), ("stages", 4)],
            agent_script: None,
            stage_budget: Duration::from_secs(600),
            agent: None,
            approval: None,
            runtime_ttl: Duration::ZERO,
            staff: None,
            database_url: None,
            probe_every: Duration::from_secs(2),
            heartbeat_every: Duration::from_secs(30),
            runtime_root: None,
            github: None,
            max_active_runs: 2,
            git: None,
            review_max_rounds: 2,
            runtime: None,
        }
    }
}

/// The recorded example payloads of `@octokit/webhooks-examples` (installed by tests/npm-install.sh).
pub fn example(event: &str, action: Option<&str>) -> Value {
    static INDEX: std::sync::LazyLock<Vec<Value>> = std::sync::LazyLock::new(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/node_modules/@octokit/webhooks-examples/api.github.com/index.json"
        );
        let raw = std::fs::read_to_string(path)
            .expect("run tests/npm-install.sh: @octokit/webhooks-examples is missing");
        serde_json::from_str(&raw).expect("examples index")
    });
    let entry = INDEX
        .iter()
        .find(|e| e["name"] == event)
        .unwrap_or_else(|| panic!("no examples for {event}"));
    let examples = entry["examples"].as_array().unwrap();
    match examples
        .iter()
        .find(|x| action.is_none_or(|a| x["action"] == a))
    {
        Some(found) => found.clone(),
        // The package has no example of every action (e.g. issues.closed): take a recorded
        // payload of the same event and set its action.
        None => {
            let mut other = examples[0].clone();
            other["action"] = action.unwrap_or_default().into();
            other
        }
    }
}

impl TestPlatform {
    /// A platform with an owner `owner`, a project `acme` (2 slots) bound to `acme/shop`.
    pub async fn start(options: Options) -> Self {
        workflows::tls::install_crypto_provider();
        let (pool, url) = match &options.database_url {
            Some(url) => {
                let pool = PgPoolOptions::new()
                    .max_connections(30)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await
                    .expect("connect");
                (pool, url.clone())
            }
            None => fresh_database().await,
        };
        let github = FakeGitHub::start().await.expect("fake github");
        let embeddings = FakeEmbeddings::start().await.expect("fake embeddings");
        let mut gh = options
            .github
            .clone()
            .unwrap_or_else(|| fake_github_config(&github));
        gh.bot_login = Some(BOT.into());
        let policy = Policy::new(&PolicyConfig {
            bot_login: BOT.into(),
            ..PolicyConfig::default()
        })
        .expect("policy");
        let client = workflows::github::GitHubClient::new(gh).expect("github client");
        let runtime_root = options.runtime_root.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("ck8s-test-{}", uuid::Uuid::new_v4().simple()))
        });
        let mut env = Vec::new();
        if let Some(script) = &options.agent_script {
            env.push(("CK8S_AGENT_SCRIPT".to_owned(), script.clone()));
        }
        let command = AgentCommand {
            program: PathBuf::from(env!("CARGO_BIN_EXE_codex-k8s")),
            args: vec!["scripted-agent".into()],
            env,
        };
        let (command, api_url) = options
            .agent
            .unwrap_or((command, PlatformConfig::default().api_url));
        let mut runtime = LocalRuntime::new(runtime_root.clone(), command, None);
        if let Some(git) = &options.git {
            github.set_clone_url("acme/shop", &git.clone_url("acme/shop"));
            let read = github.platform_token().to_owned();
            git.grant_token("platform", &read, testkit::git::Access::Read);
            runtime = runtime.with_git(workers::platform::workspace_git(
                BOT,
                &workflows::github::Token::new(read),
            ));
        }
        let runtime: Arc<dyn workflows::runtime::AgentRuntime> = match options.runtime.clone() {
            Some(other) => other,
            None => Arc::new(runtime),
        };
        let config = PlatformConfig {
            stage_budget: options.stage_budget,
            agent_probe_every: options.probe_every,
            agent_heartbeat_every: options.heartbeat_every,
            console_url: "https://console.example".into(),
            api_url,
            approval: options.approval.clone().unwrap_or_default(),
            runtime_ttl: options.runtime_ttl,
            docs: docs_config(&embeddings),
            review_max_rounds: options.review_max_rounds,
            ..PlatformConfig::default()
        };
        let platform = Platform::new(pool.clone(), policy, Arc::new(client), config, runtime);
        let registry = platform.registry().expect("valid registry");
        let engine_client = engine::Client::new(pool.clone(), engine::ClientConfig::default());
        platform.set_client(engine_client.clone());
        let wiring = Wiring {
            platform,
            registry,
            client: engine_client,
        };
        let staff = match options.staff {
            Some(build) => build(pool.clone()),
            None => api::StaffState::local(pool.clone()),
        };
        let readiness = Readiness::new(pool.clone(), None);
        let state = api::AppState {
            client: wiring.client.clone(),
            platform: wiring.platform.clone(),
            webhook_secret: SECRET.parse::<Secret>().unwrap(),
            max_body_bytes: 1 << 20,
            staff: staff.clone(),
            metrics: None,
            readiness: readiness.clone(),
        };
        let router = api::app(state);
        let owner = directory::upsert_user(
            &pool,
            &NewUser {
                email: "owner@acme.test",
                github_login: "owner",
                owner: true,
                admin: false,
            },
        )
        .await
        .unwrap();
        let project_id = directory::upsert_project(
            &pool,
            &NewProject {
                slug: "acme",
                name: "Acme",
                locale: None,
                learning_mode_default: None,
                max_active_runs: options.max_active_runs,
            },
        )
        .await
        .unwrap();
        directory::upsert_member(&pool, project_id, owner, "admin")
            .await
            .unwrap();
        directory::bind_repository(&pool, project_id, "acme/shop", "main")
            .await
            .unwrap();
        let mut platform = Self {
            pool,
            url,
            staff,
            github,
            embeddings,
            wiring,
            router,
            runtime_root,
            readiness,
            project_id,
            shutdown: CancellationToken::new(),
            worker: None,
        };
        if !options.queues.is_empty() {
            platform.start_worker(&options.queues);
        }
        platform
    }

    /// Starts the (one) worker of this platform on the given queues.
    pub fn start_worker(&mut self, queues: &[(&str, usize)]) {
        let config = WorkerConfig {
            queues: queues.iter().map(|(q, n)| (q.to_string(), *n)).collect(),
            lease: Duration::from_secs(5),
            heartbeat: Duration::from_secs(1),
            poll_interval: Duration::from_millis(200),
            maintenance_interval: Duration::from_millis(200),
            shutdown_grace: Duration::from_secs(2),
            ..WorkerConfig::default()
        };
        let worker = Worker::new(
            self.pool.clone(),
            self.wiring.registry.clone(),
            config,
            Arc::new(Metrics::new()),
        )
        .unwrap();
        self.worker = Some(tokio::spawn(worker.run(self.shutdown.clone())));
    }

    /// Adds a user with a project role (`read`, `read_write`, `admin`) or a platform flag.
    pub async fn add_user(&self, login: &str, role: Option<&str>, admin: bool) {
        let email = format!("{login}@acme.test");
        let id = directory::upsert_user(
            &self.pool,
            &NewUser {
                email: &email,
                github_login: login,
                owner: false,
                admin,
            },
        )
        .await
        .unwrap();
        if let Some(role) = role {
            directory::upsert_member(&self.pool, self.project_id, id, role)
                .await
                .unwrap();
        }
    }

    /// A staff JWT for the user with this email.
    pub async fn token_for(&self, email: &str) -> String {
        let user = workflows::store::directory::get_user_by_email(&self.pool, email)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no user {email}"));
        self.staff.jwt.issue(user.id)
    }

    /// Calls the staff API through the real router; returns status, JSON body and content type.
    pub async fn staff_call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value, String) {
        let (status, body, headers) = self.staff_call_headers(method, path, token, body).await;
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, body, content_type)
    }

    /// Calls the staff API through the real router; returns status, JSON body and headers.
    pub async fn staff_call_headers(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value, axum::http::HeaderMap) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let response = self
            .router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
            headers,
        )
    }

    /// Posts a delivery through the real router; returns status and body.
    pub async fn post(
        &self,
        event: &str,
        delivery_id: &str,
        body: &[u8],
        signature: Option<String>,
    ) -> (u16, Value, String) {
        let mut req = Request::post("/api/v1/webhooks/github")
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", delivery_id);
        if let Some(sig) = signature {
            req = req.header("x-hub-signature-256", sig);
        }
        let response = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body.to_vec())).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            content_type,
        )
    }

    /// Signs and posts a payload.
    pub async fn deliver(&self, event: &str, payload: &Value) -> (String, u16, Value) {
        let id = uuid::Uuid::new_v4().to_string();
        let body = payload.to_string();
        let (status, json, _) = self
            .post(
                event,
                &id,
                body.as_bytes(),
                Some(api::sign(SECRET.as_bytes(), body.as_bytes())),
            )
            .await;
        (id, status, json)
    }

    /// Waits until the delivery is routed; returns (outcome, reason, agent_run_id).
    pub async fn routed(&self, delivery_id: &str) -> (String, Option<String>, Option<uuid::Uuid>) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let d = workflows::store::webhook_delivery::get(&self.pool, delivery_id)
                .await
                .unwrap()
                .expect("stored");
            if d.outcome != "accepted" {
                return (d.outcome, d.reason, d.agent_run_id);
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "delivery {delivery_id} not routed"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until an engine run ends.
    pub async fn finished(&self, run_id: uuid::Uuid, timeout: Duration) -> engine::RunDetail {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let run = self.wiring.client.get_run(run_id).await.unwrap();
            if run.summary.status.is_terminal() {
                return run;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "run not finished: {run:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the reviewer pre-review that stage run `run` started has ended.
    pub async fn reviewed(&self, run: uuid::Uuid) -> engine::RunDetail {
        let reviewer: uuid::Uuid =
            sqlx::query_scalar("select reviewer_run_id from reviews where stage_run_id = $1")
                .bind(run)
                .fetch_one(&self.pool)
                .await
                .expect("the run started a pre-review");
        self.finished(reviewer, Duration::from_secs(60)).await
    }

    /// Stops the worker.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(w) = self.worker.take() {
            w.await.unwrap().unwrap();
        }
        self.pool.close().await;
        let _ = std::fs::remove_dir_all(&self.runtime_root);
    }
}

/// A fresh `updated_at` per call: a time now, plus a counter so two calls never share it.
pub fn event_time() -> String {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(n as i64);
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An `issues.labeled` example from `acme/shop` by `sender` adding `label`, with `labels` on the Issue.
pub fn issue_labeled(
    sender: &str,
    sender_type: &str,
    issue: u64,
    label: &str,
    labels: &[&str],
) -> Value {
    let mut p = example("issues", Some("labeled"));
    p["repository"]["full_name"] = "acme/shop".into();
    p["repository"]["name"] = "shop".into();
    p["sender"]["login"] = sender.into();
    p["sender"]["type"] = sender_type.into();
    p["issue"]["number"] = issue.into();
    // GitHub stamps the thread anew on every label event: each built event is a new one.
    p["issue"]["updated_at"] = event_time().into();
    let template = p["label"].clone();
    let named = |name: &str| {
        let mut l = template.clone();
        l["name"] = name.into();
        l
    };
    p["label"] = named(label);
    p["issue"]["labels"] = Value::Array(labels.iter().map(|l| named(l)).collect());
    p
}

/// A stage (or, without a stage, reviewer) run row of `acme/shop` #`issue`, `full-env`, running.
pub fn agent_run_row(
    binding: &workflows::store::directory::Binding,
    role: &str,
    stage: Option<&str>,
    issue: i64,
) -> workflows::store::agent_run::AgentRun {
    workflows::store::agent_run::AgentRun {
        id: uuid::Uuid::now_v7(),
        project_id: binding.project_id,
        repository_id: binding.repository_id,
        repository: "acme/shop".into(),
        delivery_id: None,
        kind: if stage.is_some() { "stage" } else { "reviewer" }.into(),
        trigger: stage.map(str::to_owned),
        stage: stage.map(str::to_owned),
        role: role.into(),
        execution_mode: "full_env".into(),
        access_profile: "candidate".into(),
        target_env: "candidate".into(),
        model: "gpt-5".into(),
        reasoning: "medium".into(),
        model_from_label: false,
        reasoning_from_label: false,
        issue_number: Some(issue),
        pull_request_number: None,
        thread_kind: "issue".into(),
        thread_number: issue,
        branch: format!("codex/issue-{issue}"),
        locale: "en".into(),
        learning_mode: false,
        status: "running".into(),
        status_comment_id: None,
    }
}
