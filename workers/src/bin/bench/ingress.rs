//! `ingress`: signed GitHub deliveries posted over HTTP to the real webhook endpoint (signature
//! check, delivery row and routing run enqueued in one transaction) by concurrent clients on
//! loopback; latency per request and deliveries per second. Routing runs stay queued (no worker):
//! this measures what GitHub waits for.

use std::{sync::Arc, time::Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use testkit::github::FakeGitHub;
use workers::{api, cmd::dev::fake_github_config, config::Secret};
use workflows::{
    github::GitHubClient,
    platform::{Platform, PlatformConfig},
    policy::{Policy, PolicyConfig},
    runtime::{AgentCommand, LocalRuntime},
};

use crate::{Settings, measure, server::Server};

const SECRET: &str = "bench-webhook-secret";
const RECORDED: &str = include_str!("../../demo/issues-labeled.json");

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, settings: Settings) -> Result<Value> {
    let n: usize = if settings.quick { 1_000 } else { 5_000 };
    let concurrency = 16usize;
    let pool = server.engine_db("ingress", 40).await?;
    let github = FakeGitHub::start().await.context("fake github")?;
    let policy = Policy::new(&PolicyConfig::default()).context("policy")?;
    let client = Arc::new(GitHubClient::new(fake_github_config(&github)).context("github client")?);
    let runtime = Arc::new(LocalRuntime::new(
        std::env::temp_dir().join("ck8s-bench-ingress"),
        AgentCommand {
            program: "true".into(),
            args: Vec::new(),
            env: Vec::new(),
        },
        None,
    ));
    let platform = Platform::new(
        pool.clone(),
        policy,
        client,
        PlatformConfig::default(),
        runtime,
    );
    let engine_client = engine::Client::new(pool.clone(), engine::ClientConfig::default());
    platform.set_client(engine_client.clone());
    let state = api::AppState {
        client: engine_client,
        platform,
        webhook_secret: SECRET.parse::<Secret>().map_err(anyhow::Error::msg)?,
        max_body_bytes: 1 << 20,
        staff: api::StaffState::local(pool.clone()),
        metrics: None,
        readiness: workers::health::Readiness::new(pool.clone(), None),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/api/v1/webhooks/github", listener.local_addr()?);
    let stop = tokio_util::sync::CancellationToken::new();
    let serving = tokio::spawn(workers::http::serve_on(
        listener,
        api::app(state),
        stop.clone(),
    ));

    let mut payload: Value = serde_json::from_str(RECORDED)?;
    payload["label"]["name"] = json!("run:dev");
    let body = Arc::new(payload.to_string());
    let signature = Arc::new(api::sign(SECRET.as_bytes(), body.as_bytes()));
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..concurrency {
        let (http, url, body, signature, next) = (
            http.clone(),
            url.clone(),
            body.clone(),
            signature.clone(),
            next.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0u64;
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                let t = Instant::now();
                let sent = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-github-event", "issues")
                    .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
                    .header("x-hub-signature-256", signature.as_str())
                    .body(body.as_str().to_owned())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().as_u16() == 202 => {
                        latencies.push(t.elapsed().as_secs_f64() * 1000.0)
                    }
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::with_capacity(n);
    let mut failures = 0;
    for c in clients {
        let (l, f) = c.await?;
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    stop.cancel();
    serving.await??;
    let stored: i64 = sqlx::query_scalar("select count(*) from webhook_deliveries")
        .fetch_one(&pool)
        .await?;
    let queued: i64 =
        sqlx::query_scalar("select count(*) from workflow_tasks where queue = 'ingress'")
            .fetch_one(&pool)
            .await?;
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    pool.close().await;
    server.drop_db("ingress").await?;
    Ok(json!({
        "deliveries": n,
        "concurrency": concurrency,
        "deliveries_per_s": measure::round1(measure::per_s(latencies.len() as u64, elapsed)),
        "p50_ms": measure::round3(pct(0.50)),
        "p99_ms": measure::round3(pct(0.99)),
        "failed": failures,
        "stored": stored,
        "routing_runs_queued": queued,
    }))
}
