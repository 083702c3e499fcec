//! The MCP server and the approval flow, end to end: the real API served on a port, the MCP
//! reference client (`tests/mcp-conformance.mjs`, `@modelcontextprotocol/sdk`) as the agent, a
//! fake approver/executor that checks signatures, answers through the real callbacks.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, http::HeaderMap, routing::post};
use engine::{Metrics, Worker, WorkerConfig};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use workers::api;
use workflows::{
    approval::{self, ApprovalConfig, SigningKey},
    github::GitHubClient,
    kubernetes::guardrails::Environments,
    platform::{Platform, PlatformConfig},
    policy::{Policy, PolicyConfig},
    runtime::{AgentCommand, LocalRuntime},
    store::{
        agent_run, directory,
        run_token::{self, RunToken},
    },
};

use crate::support::*;

const KEY: &str = "approver-signing-key-for-tests";
/// The platform-only key of callback tokens.
const CALLBACK_KEY: &str = "platform-callback-key-for-tests";
/// The built-in executor's key for deterministic secret values.
const SYNC_KEY: &str = "secret-sync-key-for-tests";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/mcp-conformance.mjs");

/// What the fake approver/executor received: (path, headers, body).
type Received = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

/// A platform with approvals configured, served on a port, with a fake approver and executor.
pub(crate) struct Mcp {
    pub(crate) base: TestPlatform,
    pub(crate) url: String,
    /// The served platform.
    pub(crate) platform: Arc<Platform>,
    /// The worker's engine metrics (its `/metrics` with `workers::http::ops_router`).
    pub(crate) worker_metrics: Arc<Metrics>,
    received: Received,
    shutdown: CancellationToken,
    worker: tokio::task::JoinHandle<engine::Result<()>>,
}

async fn fake_approver(received: Received) -> String {
    let record = |path: &'static str, r: Received| {
        post(move |headers: HeaderMap, body: Bytes| async move {
            r.lock().unwrap().push((path.to_owned(), headers, body));
            "ok"
        })
    };
    let app = Router::new()
        .route("/approver", record("/approver", received.clone()))
        .route("/executor", record("/executor", received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

impl Mcp {
    pub(crate) async fn start(agent_script: Option<Value>) -> Self {
        Self::start_with(agent_script, Duration::from_secs(3600)).await
    }

    async fn start_with(agent_script: Option<Value>, ttl: Duration) -> Self {
        Self::start_inner(agent_script, ttl, None).await
    }

    /// A platform whose approved actions the built-in executor performs, through `kube` (the
    /// fake API server) and the test's own Postgres server; credentials of `dev` go to `acme-dev`.
    pub(crate) async fn start_with_executor(kube: kube::Client) -> Self {
        Self::start_inner(None, Duration::from_secs(3600), Some(kube)).await
    }

    async fn start_inner(
        agent_script: Option<Value>,
        ttl: Duration,
        builtin: Option<kube::Client>,
    ) -> Self {
        let base = TestPlatform::start(Options {
            queues: vec![],
            ..Options::default()
        })
        .await;
        let received = Received::default();
        let fake = fake_approver(received.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut gh = workers::cmd::dev::fake_github_config(&base.github);
        gh.bot_login = Some(BOT.into());
        let policy = Policy::new(&PolicyConfig {
            bot_login: BOT.into(),
            ..PolicyConfig::default()
        })
        .unwrap();
        let env = agent_script
            .map(|s| vec![("CK8S_AGENT_SCRIPT".to_owned(), s.to_string())])
            .unwrap_or_default();
        let command = AgentCommand {
            program: PathBuf::from(env!("CARGO_BIN_EXE_codex-k8s")),
            args: vec!["scripted-agent".into()],
            env,
        };
        let runtime = Arc::new(LocalRuntime::new(base.runtime_root.clone(), command, None));
        let config = PlatformConfig {
            agent_probe_every: Duration::from_secs(2),
            api_url: url.clone(),
            approval: ApprovalConfig {
                approver_url: Some(format!("{fake}/approver")),
                executor_url: builtin.is_none().then(|| format!("{fake}/executor")),
                signing_key: Some(SigningKey::new(KEY)),
                callback_key: Some(SigningKey::new(CALLBACK_KEY)),
                owner_wait: Duration::from_secs(15),
                poll_every: Duration::from_millis(100),
                delivery_attempts: 3,
                secret_namespaces: vec!["acme-dev".into()],
                ttl,
                ..ApprovalConfig::default()
            },
            docs: docs_config(&base.embeddings),
            ..PlatformConfig::default()
        };
        let github = Arc::new(GitHubClient::new(gh).unwrap());
        let platform = Platform::new(base.pool.clone(), policy, github, config, runtime);
        if let Some(kube) = builtin {
            let namespaces = [("dev".to_owned(), "acme-dev".to_owned())].into();
            // An ordinary admin role, as in production: CREATEDB and CREATEROLE, no superuser.
            let admin = format!("executor_admin_{}", Uuid::new_v4().simple());
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "create role {admin} login createdb createrole"
            )))
            .execute(&base.pool)
            .await
            .unwrap();
            let url = base
                .url
                .replacen("://postgres@", &format!("://{admin}@"), 1);
            assert_ne!(url, base.url, "the test server's URL names its user");
            let databases = approval::DatabaseAdmin::new(&url, namespaces).unwrap();
            platform.set_executor(approval::Executor::new(
                Some(kube),
                Some(databases),
                Some(SigningKey::new(SYNC_KEY)),
                // `acme-dev` counts as ai-staging: the platform's own Secrets there are view-only.
                Environments {
                    staging: vec!["acme-dev".into()],
                    prod: Vec::new(),
                },
                Duration::from_secs(10),
            ));
        }
        let registry = platform.registry().expect("valid registry");
        let served = platform.clone();
        let client = engine::Client::new(base.pool.clone(), Default::default());
        platform.set_client(client.clone());
        let router = api::app(api::AppState {
            client,
            platform: platform.clone(),
            webhook_secret: SECRET.parse().unwrap(),
            max_body_bytes: 1 << 20,
            staff: api::StaffState::local(base.pool.clone()),
            metrics: None,
            readiness: workers::health::Readiness::new(base.pool.clone(), None),
        });
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        let config = WorkerConfig {
            queues: vec![
                ("ingress".into(), 4),
                ("stages".into(), 2),
                ("docs".into(), 2),
                ("default".into(), 4),
            ],
            lease: Duration::from_secs(5),
            heartbeat: Duration::from_secs(1),
            poll_interval: Duration::from_millis(100),
            maintenance_interval: Duration::from_millis(200),
            shutdown_grace: Duration::from_secs(2),
            ..WorkerConfig::default()
        };
        let worker_metrics = Arc::new(Metrics::new());
        let worker = Worker::new(base.pool.clone(), registry, config, worker_metrics.clone());
        let worker = tokio::spawn(worker.unwrap().run(shutdown.clone()));
        Self {
            base,
            url,
            platform: served,
            worker_metrics,
            received,
            shutdown,
            worker,
        }
    }

    /// An agent run row of `acme/shop` #`issue` with a role and stage, and a live token for it.
    pub(crate) async fn run(&self, role: &str, stage: Option<&str>, issue: i64) -> (Uuid, String) {
        let binding = directory::binding(&self.base.pool, "acme/shop")
            .await
            .unwrap()
            .unwrap();
        let run = agent_run_row(&binding, role, stage, issue);
        agent_run::insert(&self.base.pool, &run).await.unwrap();
        (run.id, self.token(run.id).await)
    }

    async fn token(&self, run: Uuid) -> String {
        let token = RunToken::generate();
        let expires = chrono::Utc::now() + chrono::Duration::hours(1);
        run_token::insert(&self.base.pool, run, &token, expires)
            .await
            .unwrap();
        token.expose().to_owned()
    }

    /// Runs the reference client script; returns its JSON line.
    async fn node(&self, token: &str, args: &[&str]) -> Value {
        let out = tokio::process::Command::new("node")
            .arg(SCRIPT)
            .args(args)
            .env("MCP_URL", format!("{}/mcp", self.url))
            .env("MCP_TOKEN", token)
            .output()
            .await
            .expect("node (and tests/npm-install.sh) are needed");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(line).unwrap_or_else(|_| {
            panic!(
                "{args:?}: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    pub(crate) async fn call(&self, token: &str, tool: &str, args: Value) -> Value {
        self.node(token, &["call", tool, &args.to_string()]).await
    }

    /// Waits for a signed delivery to `path` about `request_id`; checks its signature.
    pub(crate) async fn delivery(&self, path: &str, request_id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let found = self.received.lock().unwrap().iter().find_map(|(p, h, b)| {
                let body: Value = serde_json::from_slice(b).ok()?;
                (p == path && body["request_id"] == request_id)
                    .then(|| (h.clone(), b.clone(), body))
            });
            if let Some((headers, bytes, body)) = found {
                let get = |h: &str| headers.get(h).unwrap().to_str().unwrap().to_owned();
                let ts: i64 = get(approval::TIMESTAMP_HEADER).parse().unwrap();
                let expected = approval::signature(&SigningKey::new(KEY), ts, &bytes);
                assert_eq!(get(approval::SIGNATURE_HEADER), expected, "signed body");
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no delivery to {path} for {request_id}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// POSTs a callback; returns (status, body).
    pub(crate) async fn callback(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn events(&self, run: Uuid) -> Vec<(String, Value)> {
        sqlx::query_as("select kind, detail from flow_events where run_id = $1 order by id")
            .bind(run)
            .fetch_all(&self.base.pool)
            .await
            .unwrap()
    }

    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        self.worker.await.unwrap().unwrap();
        self.base.stop().await;
    }
}

#[tokio::test]
async fn the_reference_client_finds_a_conformant_server() {
    let m = Mcp::start(None).await;
    let (_, token) = m.run("dev", Some("dev"), 10).await;
    let report = m.node(&token, &["conformance"]).await;
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["checks"].as_array().unwrap().len(), 11, "{report:#}");
    m.stop().await;
}

#[tokio::test]
async fn each_run_sees_only_the_tools_its_role_and_stage_allow() {
    let m = Mcp::start(None).await;
    let tools = |v: Value| -> Vec<String> { serde_json::from_value(v["tools"].clone()).unwrap() };
    let (_, reviewer) = m.run("reviewer", None, 11).await;
    let (_, dev_on_ops) = m.run("dev", Some("ops"), 12).await;
    let (_, km) = m.run("km", Some("self_improve"), 13).await;
    let (_, dev_on_dev) = m.run("dev", Some("dev"), 14).await;
    let (_, sre_on_repair) = m.run("sre", Some("ai_repair"), 15).await;
    // A dev run is no operator: it sees the common tools and no control tool.
    let seen = tools(m.node(&dev_on_dev, &["list"]).await);
    assert!(
        seen.iter().any(|t| t == "github_labels")
            && !seen
                .iter()
                .any(|t| t == "secret_sync" || t == "database_lifecycle"),
        "{seen:?}"
    );
    let refused = m
        .call(
            &dev_on_dev,
            "database_lifecycle",
            json!({ "action": "describe", "environment": "dev", "database": "shop" }),
        )
        .await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not available"),
        "{refused}"
    );
    let seen = tools(m.node(&sre_on_repair, &["list"]).await);
    assert!(
        seen.iter().any(|t| t == "secret_sync") && seen.iter().any(|t| t == "database_lifecycle"),
        "{seen:?}"
    );
    let seen = tools(m.node(&reviewer, &["list"]).await);
    assert!(
        !seen
            .iter()
            .any(|t| t == "secret_sync" || t.starts_with("self_improve")),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|t| t == "owner_feedback_request"),
        "{seen:?}"
    );
    let seen = tools(m.node(&dev_on_ops, &["list"]).await);
    assert!(
        seen.iter().any(|t| t == "secret_sync") && seen.iter().any(|t| t == "database_lifecycle"),
        "{seen:?}"
    );
    let seen = tools(m.node(&km, &["list"]).await);
    assert!(
        seen.iter().any(|t| t == "self_improve_session_get")
            && !seen.contains(&"secret_sync".to_owned()),
        "{seen:?}"
    );
    // A hidden tool is refused as unavailable, and the refusal is audited.
    let args = json!({ "secret_name": "X", "namespace": "acme-dev", "kubernetes_secret": "x", "mode": "deterministic" });
    let refused = m.call(&reviewer, "secret_sync", args).await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not available"),
        "{refused}"
    );
    // Bad arguments: a clear tool error, with the argument named.
    let bad = m
        .call(
            &dev_on_ops,
            "database_lifecycle",
            json!({ "action": "drop", "environment": "dev", "database": "x" }),
        )
        .await;
    assert!(
        bad["isError"] == true && bad["text"].as_str().unwrap().contains("drop"),
        "{bad}"
    );
    let bad = m.call(&dev_on_ops, "secret_sync", json!({ "secret_name": "API_KEY", "namespace": "kube-system", "kubernetes_secret": "x", "mode": "deterministic" })).await;
    assert_eq!(bad["structured"]["error"]["code"], "not_allowed", "{bad}");
    let bad = m
        .call(
            &dev_on_ops,
            "database_lifecycle",
            json!({ "action": "delete", "environment": "dev", "database": "shop" }),
        )
        .await;
    assert_eq!(
        bad["structured"]["error"]["code"], "invalid_argument",
        "{bad}"
    );
    m.stop().await;
}

#[tokio::test]
async fn owner_feedback_blocks_until_the_owner_answers_while_the_stage_run_pauses() {
    let script = json!({ "steps": [{ "sleep_ms": 9000 }], "final_message": "done" });
    let m = Mcp::start(Some(script)).await;
    m.base
        .github
        .add_issue("acme/shop", 60, "Add search", &["run:dev"]);
    let payload = issue_labeled("owner", "User", 60, "run:dev", &["run:dev"]).to_string();
    let sent = reqwest::Client::new()
        .post(format!("{}/api/v1/webhooks/github", m.url))
        .header("x-github-event", "issues")
        .header("x-github-delivery", "mcp-feedback-60")
        .header(
            "x-hub-signature-256",
            api::sign(SECRET.as_bytes(), payload.as_bytes()),
        )
        .body(payload)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 202);
    let run = m.base.routed("mcp-feedback-60").await.2.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !m
        .base
        .wiring
        .client
        .get_run(run)
        .await
        .unwrap()
        .steps
        .iter()
        .any(|s| s.name == "comment_started")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the agent never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = m.token(run).await;
    let ask = json!({
        "question": "Ship the search behind a flag?",
        "options": [{ "id": "yes", "label": "Yes" }, { "id": "no", "label": "No" }],
        "allow_custom": true,
    });
    let asking = {
        let (url, token) = (m.url.clone(), token.clone());
        tokio::spawn(async move {
            let out = tokio::process::Command::new("node")
                .args([SCRIPT, "call", "owner_feedback_request", &ask.to_string()])
                .env("MCP_URL", format!("{url}/mcp"))
                .env("MCP_TOKEN", token)
                .output()
                .await
                .unwrap();
            serde_json::from_slice::<Value>(&out.stdout).unwrap()
        })
    };
    let request = loop {
        let id: Option<Uuid> =
            sqlx::query_scalar("select id from approvals where agent_run_id = $1")
                .bind(run)
                .fetch_optional(&m.base.pool)
                .await
                .unwrap();
        if let Some(id) = id {
            break id.to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let notified = m.delivery("/approver", &request).await;
    assert_eq!(notified["kind"], "feedback");
    assert_eq!(notified["request"]["options"][0]["id"], "yes");
    let wait_state: Option<String> =
        sqlx::query_scalar("select wait_state from agent_runs where id = $1")
            .bind(run)
            .fetch_one(&m.base.pool)
            .await
            .unwrap();
    assert_eq!(
        wait_state.as_deref(),
        Some("mcp"),
        "the run waits for the Owner"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let token_cb = notified["callback"]["token"].as_str().unwrap();
    let answer = json!({ "request_id": request, "decision": "approved", "by": "owner", "option_id": "yes", "custom_answer": "ship it, passphrase tulip-7731" });
    let (status, body) = m
        .callback(approval::APPROVER_CALLBACK_PATH, token_cb, answer)
        .await;
    assert_eq!(
        (status, &body["classification"]),
        (200, &json!("accepted")),
        "{body}"
    );
    let result = asking.await.unwrap();
    assert_eq!(result["structured"]["status"], "answered", "{result}");
    assert_eq!(result["structured"]["option_id"], "yes");
    assert_eq!(
        result["structured"]["custom_answer"],
        "ship it, passphrase tulip-7731"
    );
    let done = m.base.finished(run, Duration::from_secs(30)).await;
    assert_eq!(
        done.summary.status,
        engine::RunStatus::Succeeded,
        "{done:#?}"
    );
    let steps: Vec<&str> = done.steps.iter().map(|s| s.name.as_str()).collect();
    assert!(
        steps.iter().any(|s| s.starts_with("comment_waiting_")),
        "{steps:?}"
    );
    assert!(
        steps.iter().any(|s| s.starts_with("comment_resumed_")),
        "{steps:?}"
    );
    let paused: i64 = done
        .waits
        .iter()
        .filter(|w| w.pausing)
        .filter_map(|w| w.paused_ms)
        .sum();
    assert!(
        paused >= 1000,
        "the budget paused while waiting: {:#?}",
        done.waits
    );
    // Audited: the call with its arguments, the decision and the result; no token, no free text.
    let events = m.events(run).await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    for kind in [
        "mcp_tool_called",
        "approval_requested",
        "run_wait_paused",
        "approval_notified",
        "approval_decided",
        "run_wait_resumed",
        "approval_applied",
        "mcp_tool_completed",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let called = &events
        .iter()
        .find(|(k, _)| k == "mcp_tool_called")
        .unwrap()
        .1;
    assert_eq!(
        called["arguments"]["question"],
        "Ship the search behind a flag?"
    );
    let all = serde_json::to_string(&events).unwrap();
    for leak in [token.as_str(), token_cb, "tulip-7731"] {
        assert!(!all.contains(leak), "{leak} leaked into flow_events");
    }
    m.stop().await;
}

#[tokio::test]
async fn duplicate_stale_expired_forged_and_foreign_answers_are_refused_with_reasons() {
    let m = Mcp::start(None).await;
    m.base.add_user("stranger", Some("read_write"), false).await;
    let (run, token) = m.run("sre", Some("ops"), 20).await;
    let args = json!({ "secret_name": "DB_PASSWORD", "namespace": "acme-dev", "kubernetes_secret": "shop-db", "mode": "kubernetes_to_github", "idempotency_key": "db-pw-1" });
    let opened = m.call(&token, "secret_sync", args.clone()).await["structured"].clone();
    assert_eq!(opened["status"], "approval_pending", "{opened}");
    let id = opened["request_id"].as_str().unwrap().to_owned();
    let again = m.call(&token, "secret_sync", args.clone()).await["structured"].clone();
    assert_eq!(
        (&again["request_id"], &again["reused"]),
        (&json!(id), &json!(true)),
        "idempotent"
    );
    let cb = m.delivery("/approver", &id).await["callback"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = approval::APPROVER_CALLBACK_PATH;
    let answer =
        |by: &str, decision: &str| json!({ "request_id": id, "decision": decision, "by": by });
    let problem = |(status, body): (u16, Value)| {
        (
            status,
            body["type"]
                .as_str()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned(),
            body,
        )
    };
    let forged = problem(m.callback(path, "00ff", answer("owner", "approved")).await);
    assert_eq!(
        (forged.0, forged.1.as_str()),
        (401, "bad-callback-token"),
        "{}",
        forged.2
    );
    let invalid = problem(
        m.callback(
            path,
            &cb,
            json!({ "request_id": id, "decision": "approved", "by": "owner", "option_id": "yes" }),
        )
        .await,
    );
    assert_eq!(
        (invalid.0, invalid.1.as_str()),
        (422, "invalid-answer"),
        "{}",
        invalid.2
    );
    let foreign = problem(m.callback(path, &cb, answer("stranger", "approved")).await);
    assert_eq!(
        (foreign.0, foreign.1.as_str()),
        (403, "approver-not-allowed"),
        "{}",
        foreign.2
    );
    let (status, won) = m.callback(path, &cb, answer("owner", "approved")).await;
    assert_eq!((status, &won["state"]), (200, &json!("approved")), "{won}");
    let duplicate = problem(m.callback(path, &cb, answer("owner", "approved")).await);
    assert_eq!(
        (duplicate.0, duplicate.1.as_str()),
        (409, "approval-duplicate"),
        "{}",
        duplicate.2
    );
    let stale = problem(m.callback(path, &cb, answer("owner", "denied")).await);
    assert_eq!(
        (stale.0, stale.1.as_str()),
        (409, "approval-stale"),
        "{}",
        stale.2
    );
    assert!(
        stale.2["detail"]
            .as_str()
            .unwrap()
            .contains("already decided"),
        "{}",
        stale.2
    );
    // The approved action goes to the executor, whose report closes it (once).
    let handed = m.delivery("/executor", &id).await;
    assert_eq!(handed["request"]["secret_name"], "DB_PASSWORD");
    let exec = handed["callback"]["token"].as_str().unwrap().to_owned();
    let report = json!({ "request_id": id, "outcome": "applied", "detail": "synced" });
    assert_eq!(
        m.callback(approval::EXECUTOR_CALLBACK_PATH, &cb, report.clone())
            .await
            .0,
        401,
        "tokens are per audience"
    );
    assert_eq!(
        m.callback(approval::EXECUTOR_CALLBACK_PATH, &exec, report.clone())
            .await
            .0,
        200
    );
    let repeat = problem(
        m.callback(approval::EXECUTOR_CALLBACK_PATH, &exec, report)
            .await,
    );
    assert_eq!(
        (repeat.0, repeat.1.as_str()),
        (409, "approval-duplicate"),
        "{}",
        repeat.2
    );
    let replay = m.call(&token, "secret_sync", args).await["structured"].clone();
    assert_eq!(
        (&replay["status"], &replay["reused"]),
        (&json!("applied"), &json!(true)),
        "{replay}"
    );
    let status = m
        .call(&token, "approval_status", json!({ "request_id": id }))
        .await;
    assert_eq!(status["structured"]["state"], "applied", "{status}");
    // An answer after the deadline is refused as expired, and the request expires.
    let db = m
        .call(
            &token,
            "database_lifecycle",
            json!({ "action": "create", "environment": "dev", "database": "shop_search" }),
        )
        .await;
    let late = db["structured"]["request_id"].as_str().unwrap().to_owned();
    let late_cb = m.delivery("/approver", &late).await["callback"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query(
        "update approvals set expires_at = now() - interval '1 second' where id = $1::uuid",
    )
    .bind(&late)
    .execute(&m.base.pool)
    .await
    .unwrap();
    let expired = problem(
        m.callback(
            path,
            &late_cb,
            json!({ "request_id": late, "decision": "approved", "by": "owner" }),
        )
        .await,
    );
    assert_eq!(
        (expired.0, expired.1.as_str()),
        (409, "approval-expired"),
        "{}",
        expired.2
    );
    let refused = m
        .events(run)
        .await
        .iter()
        .filter(|(k, _)| k == "approval_callback_refused")
        .count();
    assert!(refused >= 5, "refusals are audited: {refused}");
    m.stop().await;
}

#[tokio::test]
async fn an_agents_run_label_is_applied_on_github_only_after_the_owner_approves() {
    let m = Mcp::start(None).await;
    m.base.github.add_issue("acme/shop", 30, "task", &[]);
    let (_, token) = m.run("dev", Some("dev"), 30).await;
    let direct = m
        .call(
            &token,
            "github_labels",
            json!({ "action": "add", "labels": ["need:qa"] }),
        )
        .await;
    assert_eq!(direct["structured"]["status"], "applied", "{direct}");
    let asked = m
        .call(
            &token,
            "github_labels",
            json!({ "action": "add", "labels": ["run:qa", "state:in-review"] }),
        )
        .await;
    assert_eq!(asked["structured"]["status"], "approval_pending", "{asked}");
    let id = asked["structured"]["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cb = m.delivery("/approver", &id).await["callback"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !m
        .base
        .github
        .labels("acme/shop", 30)
        .contains(&"state:in-review".to_owned())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "direct labels apply at once"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !m.base
            .github
            .labels("acme/shop", 30)
            .contains(&"run:qa".to_owned()),
        "run:* waits"
    );
    let listed = m
        .call(&token, "github_labels", json!({ "action": "list" }))
        .await;
    assert!(
        !listed["structured"]["labels"]
            .to_string()
            .contains("run:qa"),
        "{listed}"
    );
    let (status, _) = m
        .callback(
            approval::APPROVER_CALLBACK_PATH,
            &cb,
            json!({ "request_id": id, "decision": "approved", "by": "owner" }),
        )
        .await;
    assert_eq!(status, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !m
        .base
        .github
        .labels("acme/shop", 30)
        .contains(&"run:qa".to_owned())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "approved labels apply"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = m
        .call(&token, "approval_status", json!({ "request_id": id }))
        .await;
    assert_eq!(status["structured"]["state"], "applied", "{status}");
    m.stop().await;
}

#[tokio::test]
async fn github_labels_acts_only_on_the_runs_own_issue_and_linked_pull_request() {
    let m = Mcp::start(None).await;
    m.base.github.add_issue("acme/shop", 31, "mine", &[]);
    m.base
        .github
        .add_issue("acme/shop", 32, "its pull request", &[]);
    m.base
        .github
        .add_issue("acme/shop", 2, "someone else's", &["state:in-review"]);
    let (run, token) = m.run("dev", Some("dev"), 31).await;
    agent_run::set_pull_request(&m.base.pool, run, 32)
        .await
        .unwrap();
    for (args, target) in [
        (
            json!({ "action": "add", "labels": ["need:qa"], "issue_number": 2 }),
            2,
        ),
        (
            json!({ "action": "remove", "labels": ["state:in-review"], "pull_request_number": 2 }),
            2,
        ),
        (json!({ "action": "list", "issue_number": 3 }), 3),
    ] {
        let refused = m.call(&token, "github_labels", args.clone()).await;
        assert_eq!(refused["isError"], true, "{args}: {refused}");
        assert_eq!(
            refused["structured"]["error"]["code"], "not_allowed",
            "{refused}"
        );
        let message = refused["structured"]["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("#31")
                && message.contains("#32")
                && message.contains(&format!("#{target}")),
            "the refusal names the allowed numbers and the asked one: {message}"
        );
    }
    assert_eq!(m.base.github.labels("acme/shop", 2), ["state:in-review"]);
    // Its own Issue and its linked pull request are fine.
    let own = m
        .call(
            &token,
            "github_labels",
            json!({ "action": "add", "labels": ["need:qa"], "issue_number": 31 }),
        )
        .await;
    assert_eq!(own["structured"]["status"], "applied", "{own}");
    assert_eq!(m.base.github.labels("acme/shop", 31), ["need:qa"]);
    let linked = m
        .call(
            &token,
            "github_labels",
            json!({ "action": "list", "pull_request_number": 32 }),
        )
        .await;
    assert_eq!(linked["structured"]["status"], "listed", "{linked}");
    assert_eq!(m.base.github.labels("acme/shop", 2), ["state:in-review"]);
    m.stop().await;
}

#[tokio::test]
async fn self_improve_runs_read_runs_events_and_sessions_of_their_project_only() {
    let m = Mcp::start(None).await;
    let (target, dev) = m.run("dev", Some("dev"), 40).await;
    let (_, km) = m.run("km", Some("self_improve"), 41).await;
    m.call(
        &dev,
        "run_status_report",
        json!({ "status": "writing tests" }),
    )
    .await;
    let listed = m
        .call(&km, "self_improve_runs_list", json!({ "limit": 5 }))
        .await;
    let runs = listed["structured"]["runs"].as_array().unwrap().clone();
    assert!(
        runs.iter()
            .any(|r| r["run_id"] == json!(target) && r["agent_status"] == "writing tests"),
        "{listed}"
    );
    let lookup = m
        .call(
            &km,
            "self_improve_run_lookup",
            json!({ "issue_number": 40 }),
        )
        .await;
    let events = lookup["structured"]["runs"][0]["events"].to_string();
    assert!(events.contains("mcp_tool_called"), "{lookup}");
    let missing = m
        .call(&km, "self_improve_session_get", json!({ "run_id": target }))
        .await;
    assert_eq!(
        missing["structured"]["error"]["code"], "not_found",
        "{missing}"
    );
    sqlx::query("insert into agent_sessions (agent_run_id, lineage, thread_id, version, file_name, sha256, size_bytes, content) values ($1, 'acme/shop#40/dev', 'th-1', 1, 'rollout-1.jsonl', 'x', 2, '{}'::bytea)")
        .bind(target)
        .execute(&m.base.pool)
        .await
        .unwrap();
    let session = m
        .call(&km, "self_improve_session_get", json!({ "run_id": target }))
        .await;
    assert_eq!(session["structured"]["thread_id"], "th-1", "{session}");
    m.stop().await;
}

async fn wait_state(m: &Mcp, run: Uuid) -> Option<String> {
    sqlx::query_scalar("select wait_state from agent_runs where id = $1")
        .bind(run)
        .fetch_one(&m.base.pool)
        .await
        .unwrap()
}

async fn open_request(m: &Mcp, run: Uuid) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let id: Option<Uuid> =
            sqlx::query_scalar("select id from approvals where agent_run_id = $1")
                .bind(run)
                .fetch_optional(&m.base.pool)
                .await
                .unwrap();
        if let Some(id) = id {
            return id.to_string();
        }
        assert!(tokio::time::Instant::now() < deadline, "no request opened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_answer_given_after_the_caller_hung_up_is_returned_when_the_question_is_asked_again() {
    let m = Mcp::start(None).await;
    let (run, token) = m.run("dev", Some("dev"), 50).await;
    let ask =
        json!({ "question": "Which database?", "options": [{ "id": "pg", "label": "Postgres" }] });
    let mut caller = tokio::process::Command::new("node")
        .args([SCRIPT, "call", "owner_feedback_request", &ask.to_string()])
        .env("MCP_URL", format!("{}/mcp", m.url))
        .env("MCP_TOKEN", &token)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let id = open_request(&m, run).await;
    let cb = m.delivery("/approver", &id).await["callback"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(wait_state(&m, run).await.as_deref(), Some("mcp"));
    caller.kill().await.unwrap();
    // The hung-up call still resumes the run (noticed at the next keep-alive ping).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(12);
    while wait_state(&m, run).await.is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run stayed paused"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answer =
        json!({ "request_id": id, "decision": "approved", "by": "owner", "option_id": "pg" });
    let (status, _) = m
        .callback(approval::APPROVER_CALLBACK_PATH, &cb, answer)
        .await;
    assert_eq!(status, 200);
    let kept = m
        .call(&token, "approval_status", json!({ "request_id": id }))
        .await;
    assert_eq!(
        kept["structured"]["state"], "approved",
        "kept until delivered: {kept}"
    );
    let again = m.call(&token, "owner_feedback_request", ask).await;
    assert_eq!(again["structured"]["status"], "answered", "{again}");
    assert_eq!(again["structured"]["request_id"], json!(id));
    assert_eq!(again["structured"]["option_id"], "pg");
    let delivered = m
        .call(&token, "approval_status", json!({ "request_id": id }))
        .await;
    assert_eq!(delivered["structured"]["state"], "applied", "{delivered}");
    let kinds: Vec<String> = m.events(run).await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "run_wait_paused").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "run_wait_resumed").count(),
        1,
        "{kinds:?}"
    );
    m.stop().await;
}

#[tokio::test]
async fn an_unanswered_question_expires_and_the_tool_says_so() {
    let m = Mcp::start_with(None, Duration::from_secs(2)).await;
    let (run, token) = m.run("pm", Some("intake"), 51).await;
    let ask = json!({ "question": "Anyone there?", "allow_custom": true });
    let closed = m.call(&token, "owner_feedback_request", ask).await;
    assert_eq!(closed["structured"]["status"], "expired", "{closed}");
    assert_eq!(wait_state(&m, run).await, None);
    let id = closed["structured"]["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cb = m.delivery("/approver", &id).await["callback"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let late =
        json!({ "request_id": id, "decision": "approved", "by": "owner", "custom_answer": "late" });
    let (status, body) = m
        .callback(approval::APPROVER_CALLBACK_PATH, &cb, late)
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["classification"], "expired", "{body}");
    m.stop().await;
}

#[tokio::test]
async fn an_expired_approval_of_an_agents_run_label_ends_its_waiting_run_at_once() {
    let m = Mcp::start_with(None, Duration::from_secs(2)).await;
    m.base.github.add_issue("acme/shop", 53, "task", &[]);
    let (_, token) = m.run("dev", Some("dev"), 53).await;
    let asked = m
        .call(
            &token,
            "github_labels",
            json!({ "action": "add", "labels": ["run:qa"] }),
        )
        .await;
    assert_eq!(asked["structured"]["status"], "approval_pending", "{asked}");
    let id: Uuid = asked["structured"]["request_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let target: Uuid = sqlx::query_scalar("select target_run_id from approvals where id = $1")
        .bind(id)
        .fetch_one(&m.base.pool)
        .await
        .unwrap();
    // The request expires after 2 s; its labels run ends then, not after its own 72 h.
    let done = m.base.finished(target, Duration::from_secs(90)).await;
    assert_eq!(
        done.output,
        Some(json!({ "outcome": "expired" })),
        "{done:#?}"
    );
    assert!(
        !m.base
            .github
            .labels("acme/shop", 53)
            .contains(&"run:qa".to_owned())
    );
    m.stop().await;
}

#[tokio::test]
async fn docs_search_through_the_reference_client_finds_the_projects_chunk_and_never_another_projects()
 {
    let m = Mcp::start(None).await;
    let pool = &m.base.pool;
    let github = &m.base.github;
    github.put_file(
        "acme/shop",
        "docs/runbook.md",
        "# Runbook\n\n## Webhook secret\n\nRotate the webhook secret with the platform owner.\n\n\
         ## Backups\n\nNightly backups are kept seven days.\n",
    );
    github.put_file("acme/shop", "README.md", "# Shop\n\nSells things online.\n");
    // Another project whose document matches the query even better.
    let globex = directory::upsert_project(
        pool,
        &directory::NewProject {
            slug: "globex",
            name: "Globex",
            locale: None,
            learning_mode_default: None,
            max_active_runs: 1,
        },
    )
    .await
    .unwrap();
    let globex_repo = directory::bind_repository(pool, globex, "globex/site", "main")
        .await
        .unwrap();
    github.put_file(
        "globex/site",
        "README.md",
        "# Site\n\n## Webhook secret\n\nHow do I rotate the webhook secret? Rotate the webhook secret.\n",
    );
    let acme_repo = directory::binding(pool, "acme/shop")
        .await
        .unwrap()
        .unwrap()
        .repository_id;
    for repository_id in [acme_repo, globex_repo] {
        let input = workflows::docs::IndexInput {
            repository_id,
            trigger: "manual".into(),
            head_sha: None,
        };
        let key = format!("test:{repository_id}");
        let started = workflows::docs::start_index(&m.base.wiring.client, pool, &input, key)
            .await
            .unwrap();
        let run = m.base.finished(started.id, Duration::from_secs(30)).await;
        assert_eq!(run.summary.status, engine::RunStatus::Succeeded, "{run:#?}");
    }
    let (run, token) = m.run("reviewer", None, 71).await;

    let tools: Vec<String> =
        serde_json::from_value(m.node(&token, &["list"]).await["tools"].clone()).unwrap();
    assert!(tools.contains(&"docs_search".to_owned()), "{tools:?}");
    let query = json!({ "query": "how do I rotate the webhook secret", "top_k": 3 });
    let found = m.call(&token, "docs_search", query).await;

    assert_eq!(found["isError"], false, "{found}");
    let results = found["structured"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{found:#}");
    let best = &results[0];
    assert_eq!(best["path"], "docs/runbook.md", "{found:#}");
    assert_eq!(best["heading_path"], json!(["Runbook", "Webhook secret"]));
    assert!(
        best["text"]
            .as_str()
            .unwrap()
            .contains("Rotate the webhook secret")
    );
    assert!(best["score"].as_f64().unwrap() > results[1]["score"].as_f64().unwrap());
    assert_eq!(best["blob_sha"].as_str().unwrap().len(), 40);
    assert!(
        results.iter().all(|r| r["repository"] == "acme/shop"),
        "another project's chunk: {found:#}"
    );
    // The other project's chunk is nearer still: only the project filter kept it out.
    let q = testkit::embeddings::embed("how do I rotate the webhook secret", 3072);
    let theirs = workflows::docs::store::doc_chunk::search_exact(
        pool,
        &workflows::docs::store::doc_chunk::SearchParams {
            project_id: globex,
            embedding: &q,
            limit: 1,
        },
    )
    .await
    .unwrap();
    assert!(
        theirs[0].score > best["score"].as_f64().unwrap(),
        "{theirs:?}"
    );
    // A bad argument is a tool error with a code; every call is audited like the other tools.
    let bad = m
        .call(&token, "docs_search", json!({ "query": "  " }))
        .await;
    assert_eq!(
        bad["structured"]["error"]["code"], "invalid_argument",
        "{bad}"
    );
    let events = m.events(run).await;
    let called = events
        .iter()
        .filter(|(k, d)| k == "mcp_tool_called" && d["tool"] == "docs_search")
        .count();
    let completed = events
        .iter()
        .filter(|(k, d)| k == "mcp_tool_completed" && d["tool"] == "docs_search")
        .count();
    assert_eq!((called, completed), (2, 2), "{events:#?}");
    m.stop().await;
}

#[tokio::test]
async fn protocol_errors_follow_the_specification_401_challenge_parse_error_and_invalid_params() {
    let m = Mcp::start(None).await;
    let (_, token) = m.run("dev", Some("dev"), 61).await;
    let http = reqwest::Client::new();
    let post = |token: Option<&str>, body: &str| {
        let mut r = http
            .post(format!("{}/mcp", m.url))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_owned());
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();
    for (token, challenge) in [
        (None, "Bearer"),
        (Some("not-a-token"), r#"Bearer error="invalid_token""#),
    ] {
        let r = post(token, &list).await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["www-authenticate"], challenge);
    }
    let r = post(Some(&token), "{\"jsonrpc\": \"2.0\", \"id\": 1,")
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32700, "{body}");
    assert_eq!(body["id"], Value::Null);
    let call = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": {"name": "run_status_report", "arguments": "status=ok"}});
    let r = post(Some(&token), &call.to_string()).await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32602, "{body}");
    assert_eq!(body["id"], 9);
    m.stop().await;
}

#[tokio::test]
async fn forged_callbacks_are_counted_and_sampled_never_written_one_row_each() {
    let m = Mcp::start(None).await;
    let rows = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from flow_events where kind = 'approval_callback_refused'",
        )
        .fetch_one(&m.base.pool)
        .await
        .unwrap()
    };
    let before = rows().await;
    for _ in 0..200 {
        let body = json!({ "request_id": Uuid::now_v7(), "decision": "approved", "by": "x" });
        let (status, _) = m
            .callback(approval::APPROVER_CALLBACK_PATH, "00ff", body)
            .await;
        assert_eq!(status, 401);
    }
    assert_eq!(rows().await, before, "no row per forged callback");
    let metrics = reqwest::get(format!("{}/metrics", m.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let counted: f64 = metrics
        .lines()
        .find(|l| {
            l.starts_with("codex_k8s_unauthenticated_refusals_total")
                && l.contains("reason=\"bad-callback-token\"")
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no refusal counter in:\n{metrics}"));
    assert!(counted >= 200.0, "{counted}");
    m.stop().await;
}
