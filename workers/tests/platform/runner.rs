//! The agent runner end to end: the real `codex` CLI (pinned 0.171.0, installed by
//! tests/npm-install.sh) runs turns against the scripted fake model, and `codex-k8s agent-runner`
//! reports to the platform's runner endpoints; plus the endpoints' refusals.

use std::{path::PathBuf, process::Output, time::Duration};

use axum::{
    body::Body,
    http::{Method, Request},
};
use engine::RunStatus;
use serde_json::{Value, json};
use sqlx::Row;
use testkit::model::{FakeModel, Script, Turn, Usage};
use tower::ServiceExt;
use uuid::Uuid;
use workflows::{
    runtime::AgentCommand,
    store::{
        agent_run,
        agent_session::sha256_hex,
        run_token::{self, RunToken},
    },
};

use crate::support::*;

/// The codex binary: the native one of the npm package, else its launcher.
fn codex_bin() -> PathBuf {
    let tests = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/node_modules");
    let native = PathBuf::from(tests)
        .join("@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex");
    let launcher = PathBuf::from(tests).join(".bin/codex");
    [native, launcher]
        .into_iter()
        .find(|p| p.exists())
        .expect("run tests/npm-install.sh: @openai/codex 0.171.0 is missing")
}

const RUNNER: &str = env!("CARGO_BIN_EXE_codex-k8s");

/// A platform whose API is served over HTTP, with a fake model; the local runtime runs
/// `codex-k8s agent-runner` when `stages` is on.
struct Setup {
    p: TestPlatform,
    fake: FakeModel,
    api_url: String,
}

impl Setup {
    /// Stops the worker and closes the test database's connections (the next tests need them).
    async fn finish(self) {
        let pool = self.p.pool.clone();
        self.p.stop().await;
        pool.close().await;
    }
}

async fn setup(script: Script, stages: bool) -> Setup {
    setup_with(script, stages, None).await
}

async fn setup_with(
    script: Script,
    stages: bool,
    approval: Option<workflows::approval::ApprovalConfig>,
) -> Setup {
    setup_budget(script, stages, approval, Duration::from_secs(600)).await
}

async fn setup_budget(
    script: Script,
    stages: bool,
    approval: Option<workflows::approval::ApprovalConfig>,
    stage_budget: Duration,
) -> Setup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = format!("http://{}", listener.local_addr().unwrap());
    let fake = FakeModel::start(script).await.unwrap();
    let command = AgentCommand {
        program: PathBuf::from(RUNNER),
        args: vec!["agent-runner".into()],
        env: vec![
            ("CK8S_CODEX_BIN".into(), codex_bin().display().to_string()),
            ("CK8S_MODEL_BASE_URL".into(), fake.base_url()),
            ("RUST_LOG".into(), "debug".into()),
        ],
    };
    let queues = if stages {
        vec![("ingress", 4), ("stages", 2)]
    } else {
        vec![("ingress", 4)]
    };
    let p = TestPlatform::start(Options {
        queues,
        agent: Some((command, api_url.clone())),
        approval,
        stage_budget,
        // These tests script the model turn by turn: no reviewer run takes a turn.
        review_max_rounds: 0,
        ..Options::default()
    })
    .await;
    let router = p.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Setup { p, fake, api_url }
}

/// Routes a `run:dev` label on `issue`; the stage run's id.
async fn start_dev_run(p: &TestPlatform, issue: u64, labels: &[&str]) -> Uuid {
    // The label is on the Issue when its event is routed (routing reads the current labels).
    p.github.add_labels("acme/shop", issue, &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", issue, "run:dev", labels),
        )
        .await;
    let (outcome, reason, run) = p.routed(&id).await;
    assert_eq!(outcome, "run_started", "{reason:?}");
    run.unwrap()
}

/// A stage run on `issue` that stays queued (no stage worker), with a token the test holds.
async fn queued_run(p: &TestPlatform, issue: u64) -> (Uuid, RunToken) {
    p.github
        .add_issue("acme/shop", issue, "Add search", &["run:dev"]);
    let run = start_dev_run(p, issue, &["run:dev"]).await;
    (run, token_for(p, run).await)
}

async fn token_for(p: &TestPlatform, run: Uuid) -> RunToken {
    let token = RunToken::generate();
    run_token::insert(
        &p.pool,
        run,
        &token,
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    token
}

/// Another run of the same lineage (same Issue), as a revise would be.
async fn sibling_run(p: &TestPlatform, run: Uuid) -> (Uuid, RunToken) {
    let mut sibling = agent_run::get(&p.pool, run).await.unwrap().unwrap();
    sibling.id = Uuid::now_v7();
    sibling.delivery_id = None;
    agent_run::insert(&p.pool, &sibling).await.unwrap();
    (sibling.id, token_for(p, sibling.id).await)
}

/// Calls the API; returns status, content type and body bytes.
async fn call(
    p: &TestPlatform,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, String, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let response = p
        .router
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap();
    (status, content_type, bytes.to_vec())
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// Runs `codex-k8s agent-runner` in a fresh work directory of the test; returns its output and
/// that directory (with `result.json` and `codex-home`).
async fn run_runner(
    s: &Setup,
    token: &str,
    prompt: &str,
    extra: &[(&str, &str)],
) -> (Output, PathBuf) {
    let dir =
        s.p.runtime_root
            .join(format!("direct-{}", Uuid::new_v4().simple()));
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(dir.join("prompt.md"), prompt).unwrap();
    let output = tokio::process::Command::new(RUNNER)
        .arg("agent-runner")
        .current_dir(&repo)
        .env("RUST_LOG", "debug")
        .env("CK8S_PLATFORM_URL", &s.api_url)
        .env("CK8S_RUN_TOKEN", token)
        .env("CK8S_CODEX_BIN", codex_bin())
        .env("CK8S_MODEL_BASE_URL", s.fake.base_url())
        .env("CK8S_PROMPT_FILE", dir.join("prompt.md"))
        .env("CK8S_RESULT_FILE", dir.join("result.json"))
        .envs(extra.iter().copied())
        .stdin(std::process::Stdio::null())
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("the runner finishes")
        .unwrap();
    (output, dir)
}

fn logs(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `(turn, input, cached, output, reasoning, total, run)` rows of a thread, in turn order.
async fn usage_rows(p: &TestPlatform, thread: &str) -> Vec<(i32, i64, i64, i64, i64, i64, Uuid)> {
    sqlx::query(
        "select turn, input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens,
                total_tokens, agent_run_id
         from token_usage where thread_id = $1 order by turn",
    )
    .bind(thread)
    .fetch_all(&p.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            r.get(6),
        )
    })
    .collect()
}

/// `(version, thread_id, file_name, sha256, content)` of a lineage's snapshots, oldest first.
async fn snapshots(p: &TestPlatform, lineage: &str) -> Vec<(i32, String, String, String, Vec<u8>)> {
    sqlx::query(
        "select version, thread_id, file_name, sha256, content from agent_sessions
         where lineage = $1 order by version",
    )
    .bind(lineage)
    .fetch_all(&p.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
    .collect()
}

fn status_comment(p: &TestPlatform, issue: u64) -> String {
    p.github
        .comments("acme/shop", issue)
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| b.contains("codex-k8s:run-status"))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_stage_run_with_codex_records_usage_and_a_snapshot_and_posts_the_final_message() {
    let s = setup(
        Script::new([
            Turn::message("Implemented the search box.").with_usage(Usage::new(1200, 200, 80, 30))
        ]),
        true,
    )
    .await;
    let p = &s.p;
    p.github
        .add_issue("acme/shop", 60, "Add search", &["run:dev"]);
    let run = start_dev_run(p, 60, &["run:dev"]).await;
    let done = p.finished(run, Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    assert_eq!(
        done.output.as_ref().unwrap()["final_message"],
        "Implemented the search box."
    );
    assert_eq!(
        done.output.as_ref().unwrap()["changed_files"],
        json!([]),
        "codex keeps its home and sessions out of the repository"
    );
    assert!(
        status_comment(p, 60).contains("Implemented the search box."),
        "{}",
        status_comment(p, 60)
    );

    let requests = s.fake.requests();
    assert_eq!(requests.len(), 1, "one model request for one turn");
    let thread = requests[0].thread_id().unwrap().to_owned();
    let prompt = requests[0].messages().last().unwrap().1.clone();
    assert!(
        prompt.contains("Add search"),
        "the rendered prompt: {prompt}"
    );
    let model: String = sqlx::query_scalar("select model from agent_runs where id = $1")
        .bind(run)
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert_eq!(requests[0].body["model"], model.as_str());

    assert_eq!(
        usage_rows(p, &thread).await,
        [(0, 1200, 200, 80, 30, 1280, run)]
    );
    let snaps = snapshots(p, "acme/shop#60/dev").await;
    assert!(!snaps.is_empty(), "a snapshot was uploaded");
    let (_, snap_thread, file_name, sha, content) = snaps.last().unwrap();
    assert_eq!(snap_thread, &thread);
    assert!(
        file_name.starts_with("rollout-") && file_name.ends_with(&format!("{thread}.jsonl")),
        "{file_name}"
    );
    assert_eq!(sha, &sha256_hex(content));
    assert!(String::from_utf8_lossy(content).contains("Implemented the search box."));
    let agent_status: Option<String> =
        sqlx::query_scalar("select agent_status from agent_runs where id = $1")
            .bind(run)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert_eq!(agent_status.as_deref(), Some("codex finished"));
    for r in &requests {
        let seen = format!("{:?} {}", r.headers, r.body);
        assert!(!seen.contains("ck8s_run_"), "a run token reached the model");
    }
    s.finish().await;
}

#[tokio::test]
async fn the_next_run_of_a_lineage_resumes_the_codex_thread_and_stores_usage_deltas() {
    let s = setup(
        Script::new([
            Turn::message("First: added the search box.").with_usage(Usage::new(1000, 100, 50, 10)),
            Turn::message("Second: fixed the review remarks.")
                .with_usage(Usage::new(2000, 300, 70, 20)),
        ]),
        true,
    )
    .await;
    let p = &s.p;
    p.github
        .add_issue("acme/shop", 61, "Add search", &["run:dev"]);
    let first = start_dev_run(p, 61, &["run:dev"]).await;
    let done = p.finished(first, Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    let second = start_dev_run(p, 61, &["state:in-review", "run:dev"]).await;
    let done = p.finished(second, Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    assert_eq!(
        done.output.as_ref().unwrap()["final_message"],
        "Second: fixed the review remarks."
    );

    let requests = s.fake.requests();
    assert_eq!(requests.len(), 2);
    let thread = requests[0].thread_id().unwrap().to_owned();
    assert_eq!(
        requests[1].thread_id(),
        Some(thread.as_str()),
        "same codex thread"
    );
    let first_prompt = requests[0].messages().last().unwrap().clone();
    let resumed = requests[1].messages();
    assert!(
        resumed.contains(&first_prompt),
        "the resumed request carries the first prompt"
    );
    assert!(
        resumed.contains(&(
            "assistant".to_owned(),
            "First: added the search box.".to_owned()
        )),
        "the resumed request carries the first answer: {resumed:#?}"
    );

    // codex reports running totals on resume (3000 = 1000 + 2000); the platform stores deltas.
    assert_eq!(
        usage_rows(p, &thread).await,
        [
            (0, 1000, 100, 50, 10, 1050, first),
            (1, 2000, 300, 70, 20, 2070, second)
        ]
    );
    let snaps = snapshots(p, "acme/shop#61/dev").await;
    let versions: Vec<i32> = snaps.iter().map(|s| s.0).collect();
    assert_eq!(
        versions,
        (1..=versions.len() as i32).collect::<Vec<_>>(),
        "versions count up"
    );
    let (_, _, _, sha, latest) = snaps.last().unwrap();
    assert_eq!(sha, &sha256_hex(latest));
    let text = String::from_utf8_lossy(latest);
    assert!(text.contains("First: added the search box.") && text.contains("Second: fixed"));
    s.finish().await;
}

#[tokio::test]
async fn snapshot_uploads_are_versioned_and_a_stale_one_is_refused_with_409() {
    let s = setup(Script::default(), false).await;
    let p = &s.p;
    let (run, token) = queued_run(p, 62).await;
    let token = token.expose();
    let thread = "01a21cc8-1139-7ae1-a9d1-b4f21fafb8e9";
    let file = format!("rollout-2026-11-27T11-33-23-{thread}.jsonl");
    let put = |expected: i32, content: &'static [u8], sha: Option<String>| {
        let sha = sha.unwrap_or_else(|| sha256_hex(content));
        let uri = format!(
            "/api/v1/runner/sessions?thread_id={thread}&file_name={file}&expected_version={expected}&sha256={sha}"
        );
        async move { call(p, Method::PUT, &uri, Some(token), content.to_vec()).await }
    };

    let (status, ..) = call(
        p,
        Method::GET,
        "/api/v1/runner/sessions/latest",
        Some(token),
        vec![],
    )
    .await;
    assert_eq!(status, 404, "no snapshot yet");
    let (status, _, body) = put(0, b"turn one\n", None).await;
    assert_eq!(status, 201);
    assert_eq!(json_of(&body)["version"], 1);
    let (status, _, body) = put(0, b"turn one\n", None).await;
    assert_eq!(
        (status, json_of(&body)["replayed"].clone()),
        (200, json!(true)),
        "a retried upload is a replay"
    );
    let (status, content_type, body) = put(0, b"another turn one\n", None).await;
    assert_eq!(status, 409);
    assert_eq!(content_type, "application/problem+json");
    let problem = json_of(&body);
    assert_eq!(
        problem["type"],
        "https://codex-k8s.dev/problems/stale-session"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("at version 1"),
        "{problem}"
    );
    let (status, _, body) = put(1, b"turn one\nturn two\n", None).await;
    assert_eq!((status, json_of(&body)["version"].clone()), (201, json!(2)));
    let (status, _, body) = put(2, b"x", Some("0".repeat(64))).await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));

    let (status, _, body) = call(
        p,
        Method::GET,
        "/api/v1/runner/sessions/latest",
        Some(token),
        vec![],
    )
    .await;
    assert_eq!(
        (status, body.as_slice()),
        (200, &b"turn one\nturn two\n"[..])
    );
    let (_, _, body) = call(
        p,
        Method::GET,
        "/api/v1/runner/context",
        Some(token),
        vec![],
    )
    .await;
    let ctx = json_of(&body);
    assert_eq!(ctx["run_id"], run.to_string());
    assert_eq!(ctx["lineage"], "acme/shop#62/dev");
    assert_eq!(ctx["mcp_url"], format!("{}/mcp", s.api_url));
    assert_eq!(ctx["session"]["version"], 2);
    assert_eq!(ctx["session"]["file_name"], file.as_str());
    // Retention keeps the latest three snapshots of a lineage.
    for (expected, content) in [
        (
            2,
            &b"three
"[..],
        ),
        (
            3, b"four
",
        ),
        (
            4, b"five
",
        ),
    ] {
        let (status, ..) = put(expected, content, None).await;
        assert_eq!(status, 201);
    }
    let versions: Vec<i32> = sqlx::query_scalar(
        "select version from agent_sessions where lineage = 'acme/shop#62/dev' order by version",
    )
    .fetch_all(&p.pool)
    .await
    .unwrap();
    assert_eq!(
        versions,
        [3, 4, 5],
        "older snapshots are pruned when a new one is stored"
    );
    assert_eq!(
        ctx["prompt"],
        Value::Null,
        "not rendered: the run is queued"
    );

    let bad_name = format!(
        "/api/v1/runner/sessions?thread_id={thread}&file_name=rollout-renamed.jsonl&expected_version=2&sha256={}",
        sha256_hex(b"x")
    );
    let (status, content_type, _) =
        call(p, Method::PUT, &bad_name, Some(token), b"x".to_vec()).await;
    assert_eq!(
        (status, content_type.as_str()),
        (400, "application/problem+json")
    );
    let huge = vec![b'x'; (32 << 20) + 1];
    let uri = format!(
        "/api/v1/runner/sessions?thread_id={thread}&file_name={file}&expected_version=2&sha256={}",
        sha256_hex(&huge)
    );
    let (status, ..) = call(p, Method::PUT, &uri, Some(token), huge).await;
    assert_eq!(status, 413);
    s.finish().await;
}

#[tokio::test]
async fn usage_reports_become_per_turn_deltas_idempotently() {
    let s = setup(Script::default(), false).await;
    let p = &s.p;
    let (first, token) = queued_run(p, 63).await;
    let (second, token2) = sibling_run(p, first).await;
    let thread = "01a21cc8-0000-7000-8000-000000000063";
    let report = |turn: i32, totals: [i64; 4]| {
        json!({
            "thread_id": thread, "turn": turn, "input_tokens": totals[0], "cached_input_tokens": totals[1],
            "output_tokens": totals[2], "reasoning_output_tokens": totals[3],
        })
        .to_string()
        .into_bytes()
    };
    let post = |token: &RunToken, body: Vec<u8>| {
        let token = token.expose().to_owned();
        async move { call(p, Method::POST, "/api/v1/runner/usage", Some(&token), body).await }
    };
    let (t1, t2) = (&token, &token2);

    let (status, _, body) = post(t1, report(0, [1000, 100, 50, 10])).await;
    assert_eq!(status, 201);
    assert_eq!(
        json_of(&body)["delta"],
        json!({ "input_tokens": 1000, "cached_input_tokens": 100, "output_tokens": 50, "reasoning_output_tokens": 10, "total_tokens": 1050 })
    );
    let (status, _, body) = post(t1, report(0, [1000, 100, 50, 10])).await;
    assert_eq!(
        (status, json_of(&body)["recorded"].clone()),
        (200, json!(false))
    );
    // The next run resumes the thread: codex reports the thread's running totals.
    let (status, _, body) = post(t2, report(1, [3000, 300, 150, 30])).await;
    assert_eq!(status, 201);
    assert_eq!(json_of(&body)["delta"]["input_tokens"], 2000);
    assert_eq!(
        usage_rows(p, thread).await,
        [
            (0, 1000, 100, 50, 10, 1050, first),
            (1, 2000, 200, 100, 20, 2100, second)
        ]
    );
    let (status, content_type, _) = post(t1, report(-1, [1, 1, 1, 1])).await;
    assert_eq!(
        (status, content_type.as_str()),
        (400, "application/problem+json")
    );
    let (status, _, body) = post(t1, b"{not json".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(
        json_of(&body)["type"],
        "https://codex-k8s.dev/problems/malformed-json"
    );
    s.finish().await;
}

#[tokio::test]
async fn runner_endpoints_refuse_missing_bad_and_revoked_tokens_with_problem_json() {
    let s = setup(Script::default(), false).await;
    let p = &s.p;
    let (run, token) = queued_run(p, 64).await;
    let routes = [
        (Method::GET, "/api/v1/runner/context"),
        (Method::POST, "/api/v1/runner/heartbeat"),
        (Method::POST, "/api/v1/runner/status"),
        (Method::POST, "/api/v1/runner/usage"),
        (Method::PUT, "/api/v1/runner/sessions"),
        (Method::GET, "/api/v1/runner/sessions/latest"),
    ];
    for (method, uri) in &routes {
        for (presented, code) in [
            (None, "missing-run-token"),
            (Some("ck8s_run_not-a-token"), "bad-run-token"),
        ] {
            let (status, content_type, body) =
                call(p, method.clone(), uri, presented, b"{}".to_vec()).await;
            assert_eq!(
                (status, content_type.as_str()),
                (401, "application/problem+json"),
                "{method} {uri}"
            );
            assert_eq!(
                json_of(&body)["type"],
                format!("https://codex-k8s.dev/problems/{code}")
            );
        }
    }
    let (status, _, body) = call(
        p,
        Method::POST,
        "/api/v1/runner/heartbeat",
        Some(token.expose()),
        vec![],
    )
    .await;
    assert_eq!(
        (status, json_of(&body)["run_status"].clone()),
        (200, json!("pending"))
    );
    let (status, ..) = call(
        p,
        Method::POST,
        "/api/v1/runner/status",
        Some(token.expose()),
        json!({ "status": "x".repeat(201) })
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(status, 400);
    run_token::revoke_for_run(&p.pool, run).await.unwrap();
    let (status, _, body) = call(
        p,
        Method::GET,
        "/api/v1/runner/context",
        Some(token.expose()),
        vec![],
    )
    .await;
    assert_eq!(
        (status, json_of(&body)["type"].clone()),
        (401, json!("https://codex-k8s.dev/problems/bad-run-token"))
    );
    s.finish().await;
}

#[tokio::test]
async fn the_runner_logs_no_token_hides_it_from_shell_commands_and_fails_fast_on_a_bad_one() {
    let s = setup(
        Script::new([Turn::tool_call(
            "exec_command",
            json!({ "cmd": "env | grep ^CK8S_ | sort" }),
            "I looked at the environment.",
        )
        .with_usage(Usage::new(10, 0, 5, 0))]),
        false,
    )
    .await;
    let p = &s.p;
    let (run, token) = queued_run(p, 65).await;
    // An unknown model makes codex emit an `item.type == "error"` warning: not fatal.
    sqlx::query("update agent_runs set model = 'fake-model-x' where id = $1")
        .bind(run)
        .execute(&p.pool)
        .await
        .unwrap();
    // codex logs at debug level too: the token must not show up there either.
    let (output, dir) = run_runner(
        &s,
        token.expose(),
        "Look at the environment.",
        &[("CK8S_CODEX_LOG", "debug")],
    )
    .await;
    let log = logs(&output);
    assert!(output.status.success(), "{log}");
    assert!(
        log.contains("codex warning") && log.contains("fake-model-x"),
        "{log}"
    );
    assert!(
        !log.contains(token.expose()),
        "the run token is in the runner's log"
    );
    assert!(log.contains("session snapshot uploaded"), "{log}");
    let result = json_of(&std::fs::read(dir.join("result.json")).unwrap());
    assert_eq!(result["final_message"], "I looked at the environment.");

    // The model's shell command ran without the token, but with the rest of the environment.
    let requests = s.fake.requests();
    assert_eq!(requests.len(), 2, "the call, then the answer to its output");
    let (_, shell_output) = requests[1].tool_outputs().pop().unwrap();
    let shell_output = shell_output.to_string();
    assert!(
        shell_output.contains("CK8S_PLATFORM_URL="),
        "{shell_output}"
    );
    assert!(!shell_output.contains("CK8S_RUN_TOKEN"), "{shell_output}");
    assert_eq!(
        requests[0].messages().last().unwrap().1,
        "Look at the environment."
    );
    let status: Option<String> =
        sqlx::query_scalar("select agent_status from agent_runs where id = $1")
            .bind(run)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert_eq!(status.as_deref(), Some("codex finished"));

    let bad = "ck8s_run_0123456789abcdef-not-issued";
    let started = std::time::Instant::now();
    let (output, _) = run_runner(&s, bad, "anything", &[]).await;
    let log = logs(&output);
    assert!(!output.status.success());
    assert!(log.contains("bad-run-token"), "{log}");
    assert!(!log.contains(bad), "{log}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a refusal is not retried"
    );
    assert_eq!(s.fake.requests().len(), 2, "codex never started");
    s.finish().await;
}

#[tokio::test]
async fn a_failed_codex_turn_fails_the_runner_and_says_why() {
    let s = setup(
        Script::new([Turn::Fail {
            message: "the model refused".into(),
        }]),
        false,
    )
    .await;
    let p = &s.p;
    let (run, token) = queued_run(p, 66).await;
    let (output, dir) = run_runner(&s, token.expose(), "Do the task.", &[]).await;
    let log = logs(&output);
    assert!(!output.status.success(), "{log}");
    assert!(log.contains("the model refused"), "{log}");
    let result = json_of(&std::fs::read(dir.join("result.json")).unwrap());
    assert_eq!(result["final_message"], Value::Null);
    let status: Option<String> =
        sqlx::query_scalar("select agent_status from agent_runs where id = $1")
            .bind(run)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert!(status.unwrap().contains("the model refused"));
    s.finish().await;
}

/// Needs the platform MCP server (`workers/src/mcp`) and its `run_status_report` tool.
#[tokio::test]
async fn codex_reaches_the_platform_mcp_server_with_the_run_token() {
    let s = setup(
        Script::new([Turn::tool_call(
            "mcp__platform__run_status_report",
            json!({ "status": "Reading the code." }),
            "Reported my status.",
        )]),
        false,
    )
    .await;
    let (_, token) = queued_run(&s.p, 67).await;
    let (output, dir) = run_runner(&s, token.expose(), "Report your status.", &[]).await;
    let log = logs(&output);
    assert!(output.status.success(), "{log}");
    let result = json_of(&std::fs::read(dir.join("result.json")).unwrap());
    assert_eq!(result["final_message"], "Reported my status.");
    let requests = s.fake.requests();
    let namespaces: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "namespace")
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        namespaces.contains(&"mcp__platform"),
        "codex listed the platform's tools with the run token: {namespaces:?}"
    );
    let (_, tool_output) = requests[1].tool_outputs().pop().unwrap();
    let tool_output = tool_output.to_string();
    assert!(
        tool_output.contains("Reading the code.") && !tool_output.contains("401"),
        "the tool ran for the run: {tool_output}"
    );
    s.finish().await;
}

#[tokio::test]
async fn the_runner_stops_codex_when_its_run_ends_on_the_platform() {
    let s = setup(
        Script::new([Turn::tool_call(
            "exec_command",
            json!({ "cmd": "sleep 25", "yield_time_ms": 30000 }),
            "done sleeping",
        )]),
        false,
    )
    .await;
    let (run, token) = queued_run(&s.p, 68).await;
    let started = std::time::Instant::now();
    let revoke = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while s.fake.requests().is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "codex never asked the model"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The run ends (as the stage's cleanup does): its token is revoked.
        run_token::revoke_for_run(&s.p.pool, run).await.unwrap();
    };
    let ((output, dir), ()) = tokio::join!(
        run_runner(
            &s,
            token.expose(),
            "Sleep a while.",
            &[("CK8S_HEARTBEAT_SECS", "1")]
        ),
        revoke
    );
    let log = logs(&output);
    assert!(!output.status.success(), "{log}");
    assert!(log.contains("the run ended on the platform"), "{log}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "codex was stopped before its command finished"
    );
    assert!(
        dir.join("result.json").exists(),
        "the result is still written"
    );
    s.finish().await;
}

/// The runner process and its codex child, for killing the "pod".
fn agent_processes(runner_pid: &str) -> Vec<String> {
    let mut pids = vec![runner_pid.to_owned()];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(1));
        if ppid == Some(runner_pid) {
            pids.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    pids
}

#[tokio::test]
async fn a_runner_killed_while_the_owner_is_asked_is_relaunched_with_the_answer_and_resumes_its_thread()
 {
    use workflows::approval::{
        ApprovalConfig, ApproverAnswer, Audience, SigningKey, Verdict, answer, callback_token,
    };
    let key = "resume-test-callback-key";
    let question = json!({
        "question": "Postgres or OpenSearch?",
        "options": [{ "id": "pg", "label": "Postgres" }, { "id": "os", "label": "OpenSearch" }],
        "allow_custom": false
    });
    let script = Script::new([Turn::tool_call(
        "mcp__platform__owner_feedback_request",
        question,
        "Done with the Owner's choice.",
    )]);
    let approval = ApprovalConfig {
        signing_key: Some(SigningKey::new("runner-test-request-signing-key")),
        callback_key: Some(SigningKey::new(key)),
        owner_wait: Duration::from_secs(60),
        poll_every: Duration::from_millis(100),
        ..ApprovalConfig::default()
    };
    let Setup {
        p,
        fake,
        api_url: _,
    } = setup_with(script, true, Some(approval)).await;
    p.github.add_issue("acme/shop", 95, "task", &["run:dev"]);
    let run = start_dev_run(&p, 95, &["run:dev"]).await;
    // The tool call blocks: the Owner has been asked.
    let request_id = asked_owner(&p, run).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // kill -9 of the runner (and its codex): the pod is gone.
    let runner_pid =
        std::fs::read_to_string(p.runtime_root.join(run.to_string()).join("agent.pid")).unwrap();
    for pid in agent_processes(runner_pid.trim()) {
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting = p.wiring.client.get_run(run).await.unwrap();
    assert!(
        !waiting.summary.status.is_terminal(),
        "the run waits for the answer: {waiting:#?}"
    );
    // The Owner answers through the approver contract; the run relaunches the runner.
    let token = callback_token(&SigningKey::new(key), Audience::Approver, request_id);
    let ans = ApproverAnswer {
        request_id,
        decision: Verdict::Approved,
        by: "owner".into(),
        option_id: Some("pg".into()),
        custom_answer: None,
        reason: None,
    };
    answer(&p.wiring.platform, &token, ans).await.unwrap();
    let done = p.finished(run, Duration::from_secs(60)).await;
    assert_eq!(
        done.summary.status,
        engine::RunStatus::Succeeded,
        "{done:#?}"
    );
    assert!(
        done.steps.iter().any(|s| s.name == "relaunch_agent_1"),
        "relaunched"
    );
    let threads: std::collections::HashSet<String> = fake
        .requests()
        .iter()
        .filter_map(|r| r.thread_id().map(str::to_owned))
        .collect();
    assert_eq!(
        threads.len(),
        1,
        "the relaunched runner continued the same codex thread"
    );
    let requests = fake.requests();
    let first_prompt = requests[0]
        .messages()
        .into_iter()
        .find(|(role, _)| role == "user")
        .expect("a prompt")
        .1;
    let last = requests.last().unwrap().messages();
    assert!(
        last.iter()
            .any(|(role, text)| role == "user" && *text == first_prompt),
        "the resumed request carries the earlier conversation"
    );
    assert!(
        last.iter()
            .any(|(role, text)| role == "user" && text.contains("previous process stopped")),
        "and the resume note"
    );
    let paused: i64 = done.waits.iter().filter_map(|w| w.paused_ms).sum();
    assert!(
        paused >= 2500,
        "the budget was paused while nobody could answer: {:#?}",
        done.waits
    );
    p.stop().await;
}

#[tokio::test]
async fn codex_asks_the_owner_and_a_5s_budget_survives_an_8s_answer_through_the_approver_callback()
{
    use workflows::approval::{
        APPROVER_CALLBACK_PATH, ApprovalConfig, Audience, SigningKey, callback_token,
    };
    let key = "callback-test-callback-key";
    let question = json!({
        "question": "Ship on Friday?",
        "options": [{ "id": "yes", "label": "Yes" }, { "id": "no", "label": "No" }],
        "allow_custom": false
    });
    let script = Script::new([Turn::tool_call(
        "mcp__platform__owner_feedback_request",
        question,
        "Shipping on Monday then.",
    )
    .with_usage(Usage::new(1200, 0, 30, 5))]);
    let approval = ApprovalConfig {
        signing_key: Some(SigningKey::new("runner-test-request-signing-key")),
        callback_key: Some(SigningKey::new(key)),
        owner_wait: Duration::from_secs(60),
        poll_every: Duration::from_millis(100),
        ..ApprovalConfig::default()
    };
    let Setup { p, fake, api_url } =
        setup_budget(script, true, Some(approval), Duration::from_secs(5)).await;
    p.github.add_issue("acme/shop", 96, "task", &["run:dev"]);
    let run = start_dev_run(&p, 96, &["run:dev"]).await;
    let request_id = asked_owner(&p, run).await;
    // The Owner takes 8 s: longer than the whole 5 s budget, which is paused meanwhile.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let token = callback_token(&SigningKey::new(key), Audience::Approver, request_id);
    let answer = json!({ "request_id": request_id, "decision": "approved", "by": "owner", "option_id": "no" });
    let response = reqwest::Client::new()
        .post(format!("{api_url}{APPROVER_CALLBACK_PATH}"))
        .bearer_auth(token)
        .json(&answer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let done = p.finished(run, Duration::from_secs(60)).await;
    assert_eq!(
        done.summary.status,
        engine::RunStatus::Succeeded,
        "{done:#?}"
    );
    assert!(
        done.budget_spent_ms.unwrap() < 5000,
        "spent {:?}",
        done.budget_spent_ms
    );
    // Codex got the answer as the tool's output.
    let outputs: Vec<_> = fake
        .requests()
        .iter()
        .flat_map(|r| r.tool_outputs())
        .collect();
    let answered = |out: &Value| {
        out.as_str()
            .unwrap_or_default()
            .contains(r#""option_id":"no""#)
    };
    assert!(outputs.iter().any(|(_, out)| answered(out)), "{outputs:?}");
    let usage: i64 = sqlx::query_scalar(
        "select coalesce(sum(input_tokens), 0)::bigint from token_usage where agent_run_id = $1",
    )
    .bind(run)
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert!(usage >= 1200, "token usage stored: {usage}");
    let snapshots: i64 = sqlx::query_scalar("select count(*) from agent_sessions where agent_run_id = $1 and sha256 = encode(sha256(content), 'hex')")
        .bind(run)
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert!(snapshots >= 1, "rollout snapshot stored with its sha256");
    p.stop().await;
}

/// Waits until the run's agent has asked the Owner (its approval request is open); its id.
async fn asked_owner(p: &TestPlatform, run: Uuid) -> Uuid {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let id: Option<Uuid> = sqlx::query_scalar(
            "select id from approvals where agent_run_id = $1 and state = 'requested'",
        )
        .bind(run)
        .fetch_optional(&p.pool)
        .await
        .unwrap();
        if let Some(id) = id {
            return id;
        }
        if tokio::time::Instant::now() > deadline {
            let r = p.wiring.client.get_run(run).await.unwrap();
            panic!(
                "the agent never asked the Owner: {:?} {:?}",
                r.summary.status, r.error
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
