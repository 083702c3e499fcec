//! Traces over OTLP (ADR 0023): a platform process (ingress, routing and stage workers, the
//! runner API) exports to an in-process OTLP receiver; one signed `run:dev` delivery must give one
//! trace holding the ingress span, the routing run's and the stage run's attempt and step spans,
//! the GitHub call spans, and the spans of the agent process (launched with `TRACEPARENT`) and of
//! the runner API calls it made, all linked into one tree.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, extract::State, http::StatusCode, routing::post};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest, common::v1::any_value::Value as AnyValue,
};
use prost::Message;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use workers::{config::LogFormat, trace::Export};
use workflows::github::{ClientConfig, Token};

use crate::{outcome::scripted_agent, support::*};

const CHILD_ENV: &str = "CK8S_TEST_TRACES_CHILD";
const ISSUE: u64 = 611;

/// One span as the receiver decoded it.
#[derive(Debug, Clone)]
struct Span {
    trace_id: String,
    span_id: String,
    parent: Option<String>,
    name: String,
    service: String,
    attributes: HashMap<String, String>,
}

/// An OTLP/HTTP receiver on 127.0.0.1: `POST /v1/traces` with a protobuf
/// `ExportTraceServiceRequest`; keeps every span.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Span>>>,
}

fn text(v: Option<&opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        Some(AnyValue::DoubleValue(d)) => d.to_string(),
        _ => String::new(),
    }
}

async fn export(State(r): State<Receiver>, body: Bytes) -> StatusCode {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut spans = r.spans.lock().unwrap();
    for resource in request.resource_spans {
        let service = resource
            .resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
            .map(|a| text(a.value.as_ref()))
            .unwrap_or_default();
        for scope in resource.scope_spans {
            for s in scope.spans {
                spans.push(Span {
                    trace_id: hex::encode(&s.trace_id),
                    span_id: hex::encode(&s.span_id),
                    parent: (!s.parent_span_id.is_empty()).then(|| hex::encode(&s.parent_span_id)),
                    name: s.name.clone(),
                    service: service.clone(),
                    attributes: s
                        .attributes
                        .iter()
                        .map(|a| (a.key.clone(), text(a.value.as_ref())))
                        .collect(),
                });
            }
        }
    }
    StatusCode::OK
}

impl Receiver {
    async fn start() -> (Self, String) {
        let receiver = Self::default();
        let app = Router::new()
            .route("/v1/traces", post(export))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn spans(&self) -> Vec<Span> {
        self.spans.lock().unwrap().clone()
    }
}

/// What the platform process needs to join the test's database and fake GitHub.
#[derive(Serialize, Deserialize)]
struct ChildConfig {
    database_url: String,
    github_url: String,
    platform_token: String,
    bot_token: String,
    runtime_root: PathBuf,
    /// Where the child writes the URL its API listens at.
    addr_file: PathBuf,
    otlp_endpoint: String,
}

fn script() -> serde_json::Value {
    json!({
        "steps": [
            { "write_file": { "path": "NOTES.md", "content": "# Notes\n\nTraced.\n" } },
            { "report_outcome": 0 }
        ],
        "final_message": "done, in one trace"
    })
}

#[tokio::test]
#[ignore = "entry point of the platform process the trace test starts; run by it with CK8S_TEST_TRACES_CHILD"]
async fn traced_platform() {
    let Ok(raw) = std::env::var(CHILD_ENV) else {
        return;
    };
    let c: ChildConfig = serde_json::from_str(&raw).unwrap();
    let export = Export::from_endpoints(Some(&c.otlp_endpoint), None, "codex-k8s").unwrap();
    let telemetry = workers::telemetry::init(LogFormat::Json, Some(&export)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = format!("http://{}", listener.local_addr().unwrap());
    let github = ClientConfig {
        base_url: c.github_url.clone(),
        retry_backoff: Duration::from_millis(10),
        ..ClientConfig::new(Token::new(c.platform_token), Token::new(c.bot_token))
    };
    let platform = TestPlatform::start(Options {
        agent: Some((scripted_agent(&script()), api_url.clone())),
        database_url: Some(c.database_url.clone()),
        runtime_root: Some(c.runtime_root.clone()),
        github: Some(github),
        review_max_rounds: 0,
        ..Options::default()
    })
    .await;
    let router = platform.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    std::fs::write(&c.addr_file, &api_url).unwrap();
    // Until SIGTERM; a child whose parent vanished gives up after ten minutes.
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::time::sleep(Duration::from_secs(600)) => {}
    }
    platform.stop().await;
    tokio::task::spawn_blocking(move || telemetry.shutdown())
        .await
        .unwrap();
}

/// The trace id of a W3C `traceparent`.
fn trace_id_of(traceparent: &str) -> &str {
    traceparent.split('-').nth(1).unwrap_or_default()
}

#[tokio::test]
async fn one_delivery_is_one_trace_from_ingress_through_routing_the_stage_run_github_and_the_agent()
{
    let (receiver, otlp) = Receiver::start().await;
    // This process holds the database and the fake GitHub; the platform under test is the child.
    let p = TestPlatform::start(Options {
        queues: vec![],
        ..Options::default()
    })
    .await;
    p.github.add_issue("acme/shop", ISSUE, "task", &["run:dev"]);
    let dir = std::env::temp_dir().join(format!("ck8s-traces-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let addr_file = dir.join("addr");
    let config = ChildConfig {
        database_url: p.url.clone(),
        github_url: p.github.base_url().to_owned(),
        platform_token: p.github.platform_token().to_owned(),
        bot_token: p.github.bot_token().to_owned(),
        runtime_root: p.runtime_root.clone(),
        addr_file: addr_file.clone(),
        otlp_endpoint: otlp.clone(),
    };
    let log = std::fs::File::create(dir.join("child.log")).unwrap();
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "traces::traced_platform",
            "--nocapture",
        ])
        .env(CHILD_ENV, serde_json::to_string(&config).unwrap())
        // The agents it launches inherit the endpoint from the allow-list.
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let api_url = loop {
        if let Ok(url) = std::fs::read_to_string(&addr_file)
            && !url.is_empty()
        {
            break url;
        }
        assert!(
            tokio::time::Instant::now() < deadline && child.try_wait().unwrap().is_none(),
            "the platform process never listened: {}",
            std::fs::read_to_string(dir.join("child.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let body = issue_labeled("owner", "User", ISSUE, "run:dev", &["run:dev"]).to_string();
    let delivery = Uuid::new_v4().to_string();
    let answer = reqwest::Client::new()
        .post(format!("{api_url}/api/v1/webhooks/github"))
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", &delivery)
        .header(
            "x-hub-signature-256",
            workers::api::sign(SECRET.as_bytes(), body.as_bytes()),
        )
        .body(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 202);
    let (outcome, reason, stage) = p.routed(&delivery).await;
    assert_eq!(outcome, "run_started", "{reason:?}");
    let stage = stage.unwrap();
    let done = p.finished(stage, Duration::from_secs(120)).await;
    assert_eq!(
        done.summary.status,
        engine::RunStatus::Succeeded,
        "{done:#?}"
    );
    // The routing run and the stage run carry the ingress trace in the database.
    let traced: Vec<(Uuid, String, Option<String>)> = sqlx::query_as(
        "select id, kind, trace_parent from workflow_runs where kind in ('github_delivery', 'stage_run')",
    )
    .fetch_all(&p.pool)
    .await
    .unwrap();
    assert_eq!(traced.len(), 2, "{traced:?}");
    let parents: Vec<&str> = traced
        .iter()
        .map(|(_, _, t)| t.as_deref().expect("every run keeps its trace parent"))
        .collect();
    let trace = trace_id_of(parents[0]).to_owned();
    assert!(
        parents.iter().all(|t| trace_id_of(t) == trace),
        "{traced:?}"
    );

    // Stop gracefully: the process flushes its batched spans before it exits.
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let exited = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("the platform process stops within 60 s of SIGTERM")
        .unwrap();
    assert!(
        exited.success(),
        "{exited:?}: {}",
        std::fs::read_to_string(dir.join("child.log")).unwrap_or_default()
    );

    let run_of = |s: &Span| s.attributes.get("run_id").cloned().unwrap_or_default();
    let wanted = |spans: &[Span]| {
        let ours: Vec<&Span> = spans.iter().filter(|s| s.trace_id == trace).collect();
        let has = |name: &str, run: Option<Uuid>| {
            ours.iter()
                .any(|s| s.name == name && run.is_none_or(|r| run_of(s) == r.to_string()))
        };
        traced
            .iter()
            .all(|(run, _, _)| has("attempt", Some(*run)) && has("step", Some(*run)))
            && has("receive", None)
            && has("github_call", None)
            && has("scripted_agent", None)
            && has("platform_call", None)
            && has("runner_api", None)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !wanted(&receiver.spans()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the trace is incomplete: {:#?}",
            receiver
                .spans()
                .iter()
                .filter(|s| s.trace_id == trace)
                .map(|s| format!(
                    "{} {} {:?}",
                    s.name,
                    run_of(s),
                    s.attributes.get("operation")
                ))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let spans: Vec<Span> = receiver
        .spans()
        .into_iter()
        .filter(|s| s.trace_id == trace)
        .collect();
    // One tree: the ingress span is the only root, every other parent is in the trace.
    let ids: HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let roots: Vec<&Span> = spans.iter().filter(|s| s.parent.is_none()).collect();
    assert_eq!(roots.len(), 1, "{roots:#?}");
    assert_eq!(roots[0].name, "receive");
    for s in &spans {
        if let Some(parent) = &s.parent {
            assert!(
                ids.contains(parent.as_str()),
                "{} has no parent in the trace: {s:#?}",
                s.name
            );
        }
    }
    // The stage run's attempts continue the routing step that started it, not a new root.
    let step_ids: HashSet<&str> = spans
        .iter()
        .filter(|s| s.name == "step")
        .map(|s| s.span_id.as_str())
        .collect();
    let stage_attempt = spans
        .iter()
        .find(|s| s.name == "attempt" && run_of(s) == stage.to_string())
        .unwrap();
    assert!(
        step_ids.contains(stage_attempt.parent.as_deref().unwrap()),
        "{stage_attempt:#?}"
    );
    // Code-host calls name their operation and outcome; the agent's span came from the agent.
    let github: Vec<&Span> = spans.iter().filter(|s| s.name == "github_call").collect();
    assert!(
        github.iter().all(
            |s| s.attributes.get("operation").is_some_and(|o| !o.is_empty())
                && s.attributes.contains_key("outcome")
        ),
        "{github:#?}"
    );
    assert!(spans.iter().all(|s| s.service == "codex-k8s"));
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "trace {trace}: {} spans, {} github calls, {} step spans",
        spans.len(),
        github.len(),
        step_ids.len()
    );
}
