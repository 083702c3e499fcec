//! `staff`: the staff API's inspection over 100,000 stage runs (4 steps and 3 flow events each):
//! p50/p99 of the runs list (filtered, paginated) and of run detail over HTTP on loopback, the
//! plans of the list queries (each must use an index), and the live event stream's fan-out to
//! 100 subscribers of one busy run (delivery latency, nothing lost).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sqlx::PgPool;
use testkit::github::FakeGitHub;
use workers::{api, cmd::dev::fake_github_config, config::Secret};
use workflows::{
    github::GitHubClient,
    platform::{Platform, PlatformConfig},
    policy::{Policy, PolicyConfig},
    runtime::{AgentCommand, LocalRuntime},
};

use crate::{Settings, measure, server::Server};

const SEED: &str = r#"
insert into projects (slug, name) select 'p' || i, 'Project ' || i from generate_series(1, 5) i;
insert into repositories (project_id, full_name)
select p.id, 'org/' || p.slug || '-r' || j from projects p, generate_series(1, 2) j;
insert into users (email, github_login, is_platform_owner) values ('owner@bench.test', 'owner', true);
create temp table seed as
select gen_random_uuid() as id, g as n,
       (select array_agg(id order by full_name) from repositories)[1 + g % 10] as repository_id,
       now() - make_interval(secs => ($1::int - g) * 6) as created_at,
       (array['succeeded','succeeded','succeeded','failed','cancelled','timed_out','waiting','pending'])[1 + g % 8] as status
from generate_series(1, $1::int) g;
"#;

const FILL: &str = r#"
insert into workflow_runs (id, kind, queue, input, status, end_reason, budget_ms, created_at, updated_at, finished_at, error)
select id, 'stage_run', 'stages', '{}', status,
       case when status in ('failed','cancelled','timed_out') then status end, 14400000, created_at, created_at,
       case when status in ('succeeded','failed','cancelled','timed_out') then created_at + interval '20 minutes' end,
       case when status = 'failed' then jsonb_build_object('step', 'list_comments', 'message', 'failed') end
from seed;
insert into agent_runs (id, project_id, repository_id, kind, trigger, stage, role, execution_mode, access_profile,
                        target_env, model, reasoning, issue_number, thread_kind, thread_number, branch, locale, status, created_at)
select s.id, r.project_id, s.repository_id, 'stage', 'dev', (array['dev','qa','pm','sre'])[1 + s.n % 4], 'dev', 'code_only',
       'candidate', 'candidate', 'gpt', 'medium', 1 + s.n % 5000, 'issue', 1 + s.n % 5000,
       'codex/issue-' || (1 + s.n % 5000), 'en', s.status, s.created_at
from seed s join repositories r on r.id = s.repository_id;
insert into workflow_steps (run_id, seq, name, status, kind, output, error, attempts, started_at, finished_at)
select s.id, q, (array['post_status','prepare','launch_agent','list_comments'])[q + 1],
       case when q = 3 and s.status = 'failed' then 'failed' else 'succeeded' end, 'step',
       case when q = 3 and s.status = 'failed' then null else '{"ok":true}'::jsonb end,
       case when q = 3 and s.status = 'failed' then jsonb_build_object('step', 'list_comments', 'attempts', 3,
            'message', 'list comments of org/x#1: github answered 404 Not Found: Not Found') end,
       1 + (q = 3)::int * 2, s.created_at + make_interval(secs => q * 60), s.created_at + make_interval(secs => q * 60 + 30)
from seed s, generate_series(0, 3) q;
insert into workflow_tasks (run_id, queue, priority, state)
select id, 'stages', 0, case when status = 'waiting' then 'waiting' else 'scheduled' end
from seed where status in ('pending', 'waiting');
insert into flow_events (run_id, kind, detail, created_at)
select s.id, (array['stage_started','agent_launched','stage_finished'])[e], jsonb_build_object('n', e), s.created_at + make_interval(secs => e * 90)
from seed s, generate_series(1, 3) e;
analyze;
"#;

async fn seed(pool: &PgPool, runs: i32) -> Result<()> {
    let mut conn = pool.acquire().await?;
    for statement in SEED.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        let q = sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()));
        let q = if statement.contains("$1") {
            q.bind(runs)
        } else {
            q
        };
        q.execute(&mut *conn)
            .await
            .with_context(|| format!("seed: {statement}"))?;
    }
    for statement in FILL.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&mut *conn)
            .await
            .with_context(|| format!("fill: {statement}"))?;
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

fn summary(mut ms: Vec<f64>) -> Value {
    ms.sort_by(f64::total_cmp);
    json!({
        "requests": ms.len(),
        "p50_ms": measure::round3(percentile(&ms, 0.50)),
        "p99_ms": measure::round3(percentile(&ms, 0.99)),
    })
}

/// The plans of the runs-list query for the filters the API offers (custom plans, real values).
async fn plans(pool: &PgPool) -> Result<Value> {
    let sql = include_str!("../../../../workflows/queries/agent_runs/list_filtered.sql");
    let project: uuid::Uuid = sqlx::query_scalar("select id from projects where slug = 'p1'")
        .fetch_one(pool)
        .await?;
    let repo: uuid::Uuid =
        sqlx::query_scalar("select id from repositories order by full_name limit 1")
            .fetch_one(pool)
            .await?;
    let page_key: (chrono::DateTime<chrono::Utc>, uuid::Uuid) =
        sqlx::query_as("select created_at, id from agent_runs order by created_at desc, id desc offset 500 limit 1")
            .fetch_one(pool)
            .await?;
    let mut out = serde_json::Map::new();
    for (name, project, repo, issue, status, after) in [
        ("all", None, None, None, None, None),
        ("project", Some(project), None, None, None, None),
        (
            "project_failed",
            Some(project),
            None,
            None,
            Some("failed"),
            None,
        ),
        ("repository", None, Some(repo), None, None, None),
        (
            "project_issue",
            Some(project),
            None,
            Some(42i64),
            None,
            None,
        ),
        ("page_11", Some(project), None, None, None, Some(page_key)),
    ] {
        let explain = format!("explain (costs off) {sql}");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(explain))
            .bind(None::<Vec<uuid::Uuid>>)
            .bind(project)
            .bind(repo)
            .bind(issue)
            .bind(None::<i64>)
            .bind(None::<String>)
            .bind(status)
            .bind(None::<String>)
            .bind(None::<chrono::DateTime<chrono::Utc>>)
            .bind(None::<chrono::DateTime<chrono::Utc>>)
            .bind(after.map(|a| a.0))
            .bind(after.map(|a| a.1))
            .bind(51i64)
            .fetch_all(pool)
            .await?;
        let plan = rows.join("\n");
        eprintln!("-- plan of runs list ({name}):\n{plan}");
        let uses_index = plan.contains("Index Scan") || plan.contains("Index Only Scan");
        if !uses_index || plan.contains("Seq Scan on agent_runs") {
            bail!("the runs list ({name}) does not use an index:\n{plan}");
        }
        let first_scan = plan
            .lines()
            .find(|l| l.contains("agent_runs"))
            .map(|l| l.trim().trim_start_matches("->").trim().to_owned());
        out.insert(
            name.into(),
            json!({ "uses_index": uses_index, "agent_runs_scan": first_scan }),
        );
    }
    Ok(Value::Object(out))
}

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, settings: Settings) -> Result<Value> {
    let runs: i32 = if settings.quick { 20_000 } else { 100_000 };
    let requests = if settings.quick { 100 } else { 400 };
    let subscribers = 100usize;
    let events = if settings.quick { 200 } else { 1_000 };
    let pool = server.engine_db("staff", 40).await?;
    let t = Instant::now();
    seed(&pool, runs).await?;
    eprintln!("seeded {runs} runs in {:.1} s", t.elapsed().as_secs_f64());
    let plans = plans(&pool).await?;

    let github = FakeGitHub::start().await.context("fake github")?;
    let policy = Policy::new(&PolicyConfig::default()).context("policy")?;
    let client = Arc::new(GitHubClient::new(fake_github_config(&github)).context("github client")?);
    let runtime = Arc::new(LocalRuntime::new(
        std::env::temp_dir().join("ck8s-bench-staff"),
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
    let staff = api::StaffState::local(pool.clone());
    let owner: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'owner@bench.test'")
            .fetch_one(&pool)
            .await?;
    let token = staff.jwt.issue(owner);
    let state = api::AppState {
        client: engine_client,
        platform,
        webhook_secret: "bench".parse::<Secret>().map_err(anyhow::Error::msg)?,
        max_body_bytes: 1 << 20,
        staff,
        metrics: None,
        readiness: workers::health::Readiness::new(pool.clone(), None),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let stop = tokio_util::sync::CancellationToken::new();
    let serving = tokio::spawn(workers::http::serve_on(
        listener,
        api::app(state),
        stop.clone(),
    ));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let get = |path: String| {
        let (http, token, base) = (http.clone(), token.clone(), base.clone());
        async move {
            let t = Instant::now();
            let res = http
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await?;
            let status = res.status();
            let body: Value = res.json().await?;
            if !status.is_success() {
                bail!("{path}: {status} {body}");
            }
            anyhow::Ok((t.elapsed().as_secs_f64() * 1000.0, body))
        }
    };

    // Runs list: a mix of filters, and pages followed by cursor.
    let filters = [
        "/api/v1/staff/runs?limit=50",
        "/api/v1/staff/runs?project=p1&limit=50",
        "/api/v1/staff/runs?project=p2&status=failed&limit=50",
        "/api/v1/staff/runs?repository=org/p3-r1&limit=50",
        "/api/v1/staff/runs?project=p4&issue=42&limit=50",
        "/api/v1/staff/runs?project=p5&stage=qa&limit=50",
    ];
    let mut list_ms = Vec::new();
    let mut page_ms = Vec::new();
    for i in 0..requests {
        let (ms, _) = get(filters[i % filters.len()].to_owned()).await?;
        list_ms.push(ms);
    }
    for _ in 0..(requests / 10).max(5) {
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let path = match &cursor {
                Some(c) => format!("/api/v1/staff/runs?project=p1&limit=50&cursor={c}"),
                None => "/api/v1/staff/runs?project=p1&limit=50".to_owned(),
            };
            let (ms, body) = get(path).await?;
            page_ms.push(ms);
            cursor = body["next_cursor"].as_str().map(str::to_owned);
        }
    }
    // Run detail of random runs.
    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("select id from agent_runs order by random() limit $1")
            .bind(requests as i64)
            .fetch_all(&pool)
            .await?;
    let mut detail_ms = Vec::new();
    for id in &ids {
        let (ms, body) = get(format!("/api/v1/staff/runs/{id}")).await?;
        if body["steps"].as_array().map(Vec::len) != Some(4) {
            bail!("run detail of {id} lacks its steps: {body}");
        }
        detail_ms.push(ms);
    }

    // SSE fan-out: 100 subscribers of one busy run.
    let busy: uuid::Uuid =
        sqlx::query_scalar("select id from agent_runs where status = 'pending' limit 1")
            .fetch_one(&pool)
            .await?;
    let last_seeded: i64 =
        sqlx::query_scalar("select coalesce(max(id), 0) from flow_events where run_id = $1")
            .bind(busy)
            .fetch_one(&pool)
            .await?;
    let mut subs = Vec::new();
    let ready = Arc::new(tokio::sync::Barrier::new(subscribers + 1));
    for _ in 0..subscribers {
        let (http, token, base, ready) = (http.clone(), token.clone(), base.clone(), ready.clone());
        subs.push(tokio::spawn(async move {
            let mut res = http
                .get(format!("{base}/api/v1/staff/runs/{busy}/events"))
                .bearer_auth(&token)
                .header("last-event-id", last_seeded.to_string())
                .timeout(Duration::from_secs(600))
                .send()
                .await?;
            ready.wait().await;
            let (mut buffer, mut latencies, mut last_id) = (String::new(), Vec::new(), 0i64);
            while latencies.len() < events {
                let Some(chunk) =
                    tokio::time::timeout(Duration::from_secs(60), res.chunk()).await??
                else {
                    bail!("stream ended early");
                };
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) else {
                        continue;
                    };
                    let ev: Value = serde_json::from_str(data.trim())?;
                    let id = ev["id"].as_i64().unwrap_or(0);
                    if id <= last_id {
                        bail!("event {id} repeated or out of order");
                    }
                    last_id = id;
                    if let Some(sent) = ev["detail"]["sent_us"].as_i64() {
                        let now = chrono::Utc::now().timestamp_micros();
                        latencies.push((now - sent) as f64 / 1000.0);
                    }
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    ready.wait().await;
    let t = Instant::now();
    for i in 0..events {
        workflows::store::flow_event::insert(
            &pool,
            Some(busy),
            "agent_progress",
            &json!({ "i": i, "sent_us": chrono::Utc::now().timestamp_micros() }),
        )
        .await?;
        // A busy run: an event every 2 ms.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let written = t.elapsed();
    let mut fanout = Vec::new();
    for s in subs {
        fanout.extend(s.await??);
    }
    let delivered = fanout.len();
    stop.cancel();
    serving.await??;
    pool.close().await;
    server.drop_db("staff").await?;
    Ok(json!({
        "runs": runs,
        "steps": runs * 4,
        "flow_events": runs * 3,
        "runs_list": summary(list_ms),
        "runs_list_pages_1_to_10": summary(page_ms),
        "run_detail": summary(detail_ms),
        "sse_fanout": {
            "subscribers": subscribers,
            "events": events,
            "events_per_s_written": measure::round1(measure::per_s(events as u64, written)),
            "delivered": delivered,
            "expected": subscribers * events,
            "latency": summary(fanout),
        },
        "plans": plans,
    }))
}
