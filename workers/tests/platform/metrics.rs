//! `/metrics` of the API server and of the worker after real traffic (a delivery that starts a
//! stage run against the fake GitHub, a rate-limited and a refused code-host call, MCP calls, an
//! approval from request to applied, a forged and an unknown-event delivery), parsed by the
//! Prometheus project's own parser (`prometheus_client`, PyPI, through
//! `tests/prometheus-parse.sh`): both scrapes parse in the text and the OpenMetrics formats,
//! every series named in the runbook's table is there with its labels and moved, and no label
//! holds an id, a URL path or a long number.
//!
//! The API server and the worker run in this one test process, so their process-wide families
//! (the domain's and the API's) show the same counts in both scrapes, and other tests of this
//! binary add to them: each check is on how much a series grew, never on its absolute value.

use std::{collections::HashMap, time::Duration};

use axum::{body::Body, http::Request};
use serde_json::{Value, json};
use testkit::github::Fault;
use tower::ServiceExt;
use workflows::approval;

use crate::{mcp::Mcp, support::*};

/// One parsed sample: its name with its labels, and its value.
type Samples = HashMap<(String, Vec<(String, String)>), f64>;

/// Both scrapes, parsed by `prometheus_client`; fails on a parse error or an unbounded label.
async fn parse(serve: &str, worker: &str) -> (Samples, Samples, Value) {
    let dir = std::env::temp_dir().join(format!("ck8s-metrics-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (serve_path, worker_path) = (dir.join("serve.txt"), dir.join("worker.txt"));
    std::fs::write(&serve_path, serve).unwrap();
    std::fs::write(&worker_path, worker).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/prometheus-parse.sh");
    let out = tokio::process::Command::new(script)
        .arg(&serve_path)
        .arg(&worker_path)
        .output()
        .await
        .expect("run tests/prometheus-parse.sh (python3 with venv is needed)");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let parsed: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "the parser printed no report:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(
        parsed["problems"],
        json!([]),
        "prometheus_client refused a scrape.\nserve:\n{serve}\nworker:\n{worker}"
    );
    assert!(out.status.success());
    let samples = |path: &std::path::Path| -> Samples {
        parsed["files"][path.to_str().unwrap()]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let mut labels: Vec<(String, String)> = s["labels"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect();
                labels.sort();
                let name = s["name"].as_str().unwrap().to_owned();
                ((name, labels), s["value"].as_f64().unwrap())
            })
            .collect()
    };
    (samples(&serve_path), samples(&worker_path), parsed)
}

fn value(samples: &Samples, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut labels: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    labels.sort();
    samples.get(&(name.to_owned(), labels)).copied()
}

/// Asserts the series exists after and grew by at least `by` since before.
fn moved(before: &Samples, after: &Samples, name: &str, labels: &[(&str, &str)], by: f64) {
    let now = value(after, name, labels).unwrap_or_else(|| {
        let mut names: Vec<_> = after
            .keys()
            .filter(|(n, _)| n.starts_with(name.trim_end_matches("_total")))
            .collect();
        names.sort();
        panic!("no series {name}{labels:?}; of that name: {names:#?}")
    });
    let was = value(before, name, labels).unwrap_or(0.0);
    assert!(
        now - was >= by,
        "{name}{labels:?} moved from {was} to {now}, expected at least +{by}"
    );
}

async fn scrape_serve(m: &Mcp) -> String {
    reqwest::get(format!("{}/metrics", m.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn scrape_worker(m: &Mcp) -> String {
    let ops = workers::http::ops_router(
        m.worker_metrics.clone(),
        workers::health::Readiness::new(m.base.pool.clone(), None),
    );
    let response = ops
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Posts a delivery to the served API, signed unless `forged`; returns its id and status.
async fn post(m: &Mcp, event: &str, payload: &Value, forged: bool) -> (String, u16) {
    let id = uuid::Uuid::new_v4().to_string();
    let body = payload.to_string();
    let signature = if forged {
        api_sign(b"not-the-secret", body.as_bytes())
    } else {
        api_sign(SECRET.as_bytes(), body.as_bytes())
    };
    let status = reqwest::Client::new()
        .post(format!("{}/api/v1/webhooks/github", m.url))
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", &id)
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (id, status)
}

fn api_sign(secret: &[u8], body: &[u8]) -> String {
    workers::api::sign(secret, body)
}

#[tokio::test]
async fn serve_and_worker_expose_bounded_series_that_move_with_real_traffic_and_parse() {
    let m = Mcp::start(None).await;
    let (serve_before, worker_before, _) =
        parse(&scrape_serve(&m).await, &scrape_worker(&m).await).await;

    // A delivery that starts a dev run; its pickup reaction is rate limited once (a 429 with
    // Retry-After 1 s), so the step waits durably and tries again.
    m.base
        .github
        .add_issue("acme/shop", 40, "Add search", &["run:dev"]);
    m.base.github.fail_next(
        http::Method::POST,
        "/repos/acme/shop/issues/40/reactions",
        Fault::TooManyRequests {
            retry_after: Duration::from_secs(1),
        },
        1,
    );
    let payload = issue_labeled("owner", "User", 40, "run:dev", &["run:dev"]);
    let (delivery, status) = post(&m, "issues", &payload, false).await;
    assert_eq!(status, 202);
    // A forged one, and a signed one of an event the platform does not know (its name holds a
    // number that must not become a label).
    assert_eq!(post(&m, "issues", &payload, true).await.1, 401);
    assert_eq!(
        post(&m, "workflow_job_98765", &json!({"action": "x"}), false)
            .await
            .1,
        202
    );

    // MCP: a tool that answers, one whose GitHub call is refused with 401, an unknown tool; and
    // an approval of an agent's run label, from requested to applied.
    m.base.github.add_issue("acme/shop", 41, "task", &[]);
    let (_, token) = m.run("dev", Some("dev"), 41).await;
    let listed = m
        .call(&token, "github_labels", json!({ "action": "list" }))
        .await;
    assert!(listed["structured"]["labels"].is_array(), "{listed}");
    m.base.github.fail_next(
        http::Method::GET,
        "/repos/acme/shop/issues/41/labels",
        Fault::BadCredentials,
        1,
    );
    let refused = m
        .call(&token, "github_labels", json!({ "action": "list" }))
        .await;
    assert_eq!(refused["isError"], true, "{refused}");
    let unknown = m.call(&token, "no_such_tool_31337", json!({})).await;
    assert!(unknown["error"].is_object(), "{unknown}");
    let asked = m
        .call(
            &token,
            "github_labels",
            json!({ "action": "add", "labels": ["run:qa"] }),
        )
        .await;
    assert_eq!(asked["structured"]["status"], "approval_pending", "{asked}");
    let request = asked["structured"]["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let callback_token = m.delivery("/approver", &request).await["callback"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = m
        .callback(
            approval::APPROVER_CALLBACK_PATH,
            &callback_token,
            json!({ "request_id": request, "decision": "approved", "by": "owner" }),
        )
        .await;
    assert_eq!(status, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !m
        .base
        .github
        .labels("acme/shop", 41)
        .contains(&"run:qa".to_owned())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the approved label was not applied"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The stage run ends (the scripted agent succeeds).
    let (outcome, _, run) = m.base.routed(&delivery).await;
    assert_eq!(outcome, "run_started");
    let done = m
        .base
        .finished(run.unwrap(), Duration::from_secs(120))
        .await;
    assert_eq!(
        done.summary.status,
        engine::RunStatus::Succeeded,
        "{done:#?}"
    );
    // The approval's `applied` is written by its flow run on the worker; wait for its state.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let state: String = sqlx::query_scalar("select state from approvals where id = $1::uuid")
            .bind(&request)
            .fetch_one(&m.base.pool)
            .await
            .unwrap();
        if state == "applied" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "approval {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The queue gauges and the parked count are refreshed every 5 s by the maintenance loop.
    let worker_text = loop {
        let text = scrape_worker(&m).await;
        if text.contains("codex_k8s_queue_depth{") {
            break text;
        }
        assert!(tokio::time::Instant::now() < deadline + Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let serve_text = scrape_serve(&m).await;
    let (serve, worker, _) = parse(&serve_text, &worker_text).await;

    // The API server: deliveries by event and answer, the ingress latency, refusals, MCP calls
    // by tool and result, approvals by kind and state.
    let (sb, s) = (&serve_before, &serve);
    let deliveries = "codex_k8s_webhook_deliveries_total";
    moved(
        sb,
        s,
        deliveries,
        &[("event", "issues"), ("outcome", "accepted")],
        1.0,
    );
    moved(
        sb,
        s,
        deliveries,
        &[("event", "issues"), ("outcome", "refused")],
        1.0,
    );
    moved(
        sb,
        s,
        deliveries,
        &[("event", "other"), ("outcome", "accepted")],
        1.0,
    );
    let ingress = "codex_k8s_webhook_ingress_duration_seconds_count";
    moved(sb, s, ingress, &[("outcome", "accepted")], 2.0);
    moved(sb, s, ingress, &[("outcome", "refused")], 1.0);
    assert!(
        value(
            s,
            "codex_k8s_webhook_ingress_duration_seconds_bucket",
            &[("outcome", "accepted"), ("le", "+Inf")]
        )
        .is_some(),
        "the histogram has buckets"
    );
    let refusals = "codex_k8s_unauthenticated_refusals_total";
    moved(sb, s, refusals, &[("reason", "bad-signature")], 1.0);
    let tools = "codex_k8s_mcp_tool_calls_total";
    moved(
        sb,
        s,
        tools,
        &[("tool", "github_labels"), ("result", "ok")],
        2.0,
    );
    moved(
        sb,
        s,
        tools,
        &[("tool", "github_labels"), ("result", "tool_error")],
        1.0,
    );
    moved(
        sb,
        s,
        tools,
        &[("tool", "other"), ("result", "refused")],
        1.0,
    );
    let approvals = "codex_k8s_approvals_total";
    for state in ["requested", "approved", "applied"] {
        moved(
            sb,
            s,
            approvals,
            &[("kind", "labels"), ("state", state)],
            1.0,
        );
    }
    assert!(
        value(s, "codex_k8s_readiness_check", &[("check", "database")]).is_some(),
        "readiness is a series"
    );

    // The worker: routing, code-host calls and rate limits, agent runs by stage and outcome with
    // their duration, the engine's claims, step latency, rescues, parked runs and slot drift.
    let (wb, w) = (&worker_before, &worker);
    let routed = "codex_k8s_deliveries_routed_total";
    moved(
        wb,
        w,
        routed,
        &[("event", "issues"), ("outcome", "run_started")],
        1.0,
    );
    let calls = "codex_k8s_github_calls_total";
    moved(
        wb,
        w,
        calls,
        &[("operation", "add_reaction"), ("status", "429")],
        1.0,
    );
    moved(
        wb,
        w,
        calls,
        &[("operation", "add_reaction"), ("status", "2xx")],
        1.0,
    );
    moved(
        wb,
        w,
        calls,
        &[("operation", "list_issue_labels"), ("status", "401")],
        1.0,
    );
    moved(
        wb,
        w,
        calls,
        &[("operation", "create_comment"), ("status", "2xx")],
        1.0,
    );
    let limited = "codex_k8s_github_rate_limited_total";
    moved(
        wb,
        w,
        limited,
        &[("operation", "add_reaction"), ("limit", "secondary")],
        1.0,
    );
    let finished = [
        ("kind", "stage"),
        ("stage", "dev"),
        ("outcome", "succeeded"),
    ];
    moved(wb, w, "codex_k8s_agent_runs_finished_total", &finished, 1.0);
    moved(
        wb,
        w,
        "codex_k8s_agent_run_duration_seconds_count",
        &finished,
        1.0,
    );
    moved(
        wb,
        w,
        "codex_k8s_claims_total",
        &[("queue", "ingress")],
        2.0,
    );
    moved(wb, w, "codex_k8s_claims_total", &[("queue", "stages")], 1.0);
    moved(
        wb,
        w,
        "codex_k8s_runs_finished_total",
        &[("status", "succeeded")],
        1.0,
    );
    let steps = "codex_k8s_step_duration_seconds_count";
    moved(wb, w, steps, &[("step", "load_run")], 1.0);
    // The rate-limited reaction's second try (`pickup_reaction#1`) shares its step's series.
    moved(wb, w, steps, &[("step", "pickup_reaction")], 2.0);
    for gauge in [
        "codex_k8s_lease_rescues_total",
        "codex_k8s_slot_drift_total",
    ] {
        assert_eq!(value(w, gauge, &[]), Some(0.0), "{gauge}");
    }
    assert_eq!(value(w, "codex_k8s_parked_runs", &[]), Some(0.0));
    assert!(value(w, "codex_k8s_queue_depth", &[("queue", "stages")]).is_some());
    assert!(
        value(
            w,
            "codex_k8s_queue_oldest_ready_age_seconds",
            &[("queue", "ingress")]
        )
        .is_some()
    );

    // Bounded: no label holds the delivery id, the run id, the unknown event's name, a tool name
    // that is not registered, or a numbered step (the parser checked ids, paths and numbers).
    for text in [&serve_text, &worker_text] {
        for needle in [
            delivery.as_str(),
            &run.unwrap().to_string(),
            "workflow_job_98765",
            "no_such_tool_31337",
            "pickup_reaction#",
        ] {
            assert!(!text.contains(needle), "{needle} in a scrape:\n{text}");
        }
    }
    // The API server runs no worker: it serves no engine family (zeroes would read as an idle
    // worker), the worker does.
    for engine_family in ["codex_k8s_claims_total", "codex_k8s_runs_finished_total"] {
        assert!(
            !serve_text.contains(engine_family),
            "{engine_family} in serve's scrape"
        );
        assert!(
            worker_text.contains(engine_family),
            "{engine_family} in the worker's scrape"
        );
    }
    for ((name, labels), _) in serve.iter().chain(worker.iter()) {
        for (k, v) in labels {
            assert!(
                k == "le" || !v.ends_with(|c: char| c.is_ascii_digit()) || k == "status",
                "{name}: label {k}={v} ends with a number"
            );
        }
    }
    m.stop().await;
}
