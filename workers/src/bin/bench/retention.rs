//! `retention`: how fast one worker process deletes finished history, against the target of
//! 1,000,000 finished runs a day. Finished engine runs (each with 3 journal entries, 2 flow events
//! and a signal) older than the retention are loaded, then a real worker (its maintenance leader)
//! prunes them; the domain's stage runs (with token, session snapshot and usage rows) are pruned by
//! the retention workflow's own statements.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use engine::Registry;
use serde_json::{Value, json};
use workflows::retention::{self, Class};

use crate::{
    Settings,
    engine_side::{self, RunningWorker},
    measure::round1,
    server::Server,
};

/// Finished runs a day the process must keep up with.
const TARGET_PER_DAY: f64 = 1_000_000.0;

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, settings: Settings) -> Result<Value> {
    let n: i64 = if settings.quick { 50_000 } else { 200_000 };
    let pool = server.engine_db("retention", 20).await?;
    let t = Instant::now();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "insert into workflow_runs (id, kind, queue, input, status, output, finished_at, created_at)
           select gen_random_uuid(), 'old', 'bench', '0', 'succeeded', '1', now() - interval '40 days', now() - interval '40 days'
           from generate_series(1, {n});
         insert into workflow_steps (run_id, seq, kind, name, status, output, attempts, started_at, finished_at)
           select r.id, s, 'step', 'step' || s, 'succeeded', '{{\"v\": 1}}', 1, r.finished_at, r.finished_at
           from workflow_runs r, generate_series(0, 2) s where r.kind = 'old';
         insert into flow_events (run_id, kind, detail, created_at)
           select r.id, k, '{{}}', r.finished_at from workflow_runs r, unnest(array['waiting', 'signal_received']) k where r.kind = 'old';
         insert into workflow_signals (run_id, name, payload, consumed_seq, consumed_at)
           select id, 'go', '1', 1, finished_at from workflow_runs where kind = 'old';
         insert into flow_events (kind, detail, created_at)
           select 'slot_drift', '{{}}', now() - interval '40 days' from generate_series(1, {n} / 10);
         insert into projects (id, slug, name) values ('00000000-0000-0000-0000-000000000001', 'p', 'P');
         insert into repositories (id, project_id, full_name) values ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000001', 'acme/shop');
         insert into agent_runs (id, project_id, repository_id, kind, role, execution_mode, access_profile,
             target_env, model, reasoning, thread_kind, thread_number, branch, locale, status, finished_at)
           select id, '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', 'stage', 'dev',
             'code_only', 'candidate', 'ai', 'm', 'r', 'issue', 1, 'b', 'en', 'succeeded', finished_at
           from workflow_runs where kind = 'old';
         insert into run_tokens (agent_run_id, token_sha256, expires_at, revoked_at)
           select id, id::text, finished_at, finished_at from agent_runs;
         insert into agent_sessions (agent_run_id, lineage, thread_id, version, file_name, sha256, size_bytes, content)
           select id, id::text, 't', 1, 'f', 's', 512, decode(repeat('ab', 512), 'hex') from agent_runs;
         insert into token_usage (agent_run_id, thread_id, turn, model, input_tokens, cached_input_tokens,
             output_tokens, reasoning_output_tokens, total_tokens)
           select id, 't', 1, 'm', 1, 0, 1, 0, 2 from agent_runs;"
    )))
    .execute(&pool)
    .await
    .context("load finished history")?;
    sqlx::raw_sql("vacuum analyze").execute(&pool).await?;
    eprintln!(
        "  loaded {n} finished runs with their history in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // The engine's share: a real worker, whose maintenance leader prunes while it is behind.
    let t = Instant::now();
    let worker = RunningWorker::spawn(&pool, Registry::new(), engine_side::worker_config(4, None))?;
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let left: i64 = sqlx::query_scalar("select count(*) from workflow_runs where kind = 'old'")
            .fetch_one(&pool)
            .await?;
        if left == 0 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{left} runs still not pruned after 900 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let engine_s = t.elapsed().as_secs_f64();
    worker.stop().await?;
    let orphans: i64 = sqlx::query_scalar("select count(*) from flow_events where run_id is null")
        .fetch_one(&pool)
        .await?;
    anyhow::ensure!(orphans == 0, "{orphans} run-less events not pruned");

    // The domain's share: the retention workflow's statements, unbounded budget.
    let t = Instant::now();
    let cut = chrono::Utc::now() - chrono::Duration::days(30);
    let mut domain_rows = 0;
    for class in [Class::AgentRuns, Class::RunTokens] {
        domain_rows += retention::prune(&pool, class, cut, Duration::from_secs(900)).await?;
    }
    let domain_s = t.elapsed().as_secs_f64();
    let left: i64 = sqlx::query_scalar("select count(*) from agent_runs")
        .fetch_one(&pool)
        .await?;
    anyhow::ensure!(left == 0, "{left} stage runs not pruned");
    pool.close().await;

    let engine_per_s = n as f64 / engine_s;
    let domain_per_s = n as f64 / domain_s;
    let needed = TARGET_PER_DAY / 86_400.0;
    eprintln!(
        "  engine: {n} runs pruned in {engine_s:.1} s ({engine_per_s:.0}/s); domain: {n} stage runs in {domain_s:.1} s ({domain_per_s:.0}/s); needed {needed:.1}/s"
    );
    Ok(json!({
        "finished_runs": n,
        "engine_runs_pruned_per_s": round1(engine_per_s),
        "engine_runs_pruned_per_day": (engine_per_s * 86_400.0).round(),
        "domain_stage_runs_pruned_per_s": round1(domain_per_s),
        "domain_rows_deleted": domain_rows,
        "needed_per_s": round1(needed),
        "headroom_engine": round1(engine_per_s / needed),
        "headroom_domain": round1(domain_per_s / needed),
    }))
}
