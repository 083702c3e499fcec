//! Retention of domain rows, one policy with the engine's (docs/runbook.md, "Retention"): a cron
//! workflow deletes stage runs finished longer ago than `finished` (with their run tokens, session
//! snapshots, token usage and approvals), redacts webhook payloads older than `payloads` (they hold
//! personal data), deletes deliveries older than `finished` and run tokens expired or revoked for a
//! day. Session snapshots beyond the latest `snapshots_kept` per lineage go when a new one is stored.
//! The engine prunes its own runs, journals and run-less events by the same `finished` age.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use engine::{
    CatchUp, Client, RetryPolicy, ScheduleOptions, StepError, Workflow, WorkflowContext,
    WorkflowError,
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::{error::db, platform::Platform};

/// Rows per statement.
const BATCH: i64 = 2_000;
/// Work per class per tick; what is left goes to the next tick (every minute).
const BUDGET: Duration = Duration::from_secs(20);
/// The schedule: every minute; a tick missed while no worker ran is skipped, the next one catches up.
const EVERY_MINUTE: &str = "0 * * * * *";

/// How long domain rows are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionConfig {
    /// Finished runs (engine and stage), their audit trail, and deliveries.
    pub finished: Duration,
    /// Webhook payloads, which hold personal data.
    pub payloads: Duration,
    /// Session snapshots kept per lineage (the latest ones).
    pub snapshots_kept: i32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            finished: Duration::from_secs(30 * 24 * 3600),
            payloads: Duration::from_secs(7 * 24 * 3600),
            snapshots_kept: 3,
        }
    }
}

/// The cron workflow that applies the policy.
pub struct Retention {
    platform: Arc<Platform>,
}

impl Retention {
    /// The workflow over the platform's database and settings.
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }

    /// Schedules it (idempotent: a re-registration keeps the due tick).
    pub async fn schedule(client: &Client) -> engine::Result<()> {
        let options = ScheduleOptions {
            catch_up: CatchUp::Skip {
                tolerance: Duration::from_secs(60),
            },
            ..ScheduleOptions::default()
        };
        client
            .schedule::<Self>("retention", EVERY_MINUTE, &RetentionInput {}, options)
            .await
    }
}

/// No input: the settings are the platform's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RetentionInput {}

/// Rows each class removed in one tick.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pruned {
    /// Finished stage runs deleted.
    pub agent_runs: u64,
    /// Webhook payloads redacted.
    pub payloads: u64,
    /// Webhook deliveries deleted.
    pub deliveries: u64,
    /// Run tokens deleted.
    pub run_tokens: u64,
}

/// One class of rows: its query, and the age its cut is computed from.
#[derive(Debug, Clone, Copy)]
pub enum Class {
    /// Finished stage runs.
    AgentRuns,
    /// Webhook payloads.
    Payloads,
    /// Webhook deliveries.
    Deliveries,
    /// Run tokens.
    RunTokens,
}

impl Class {
    fn sql(self) -> &'static str {
        match self {
            Class::AgentRuns => include_str!("../queries/agent_runs/prune_finished.sql"),
            Class::Payloads => include_str!("../queries/webhook_deliveries/redact_payloads.sql"),
            Class::Deliveries => include_str!("../queries/webhook_deliveries/prune.sql"),
            Class::RunTokens => include_str!("../queries/run_tokens/prune.sql"),
        }
    }

    fn age(self, c: &RetentionConfig) -> Duration {
        match self {
            Class::AgentRuns | Class::Deliveries => c.finished,
            Class::Payloads => c.payloads,
            Class::RunTokens => Duration::from_secs(24 * 3600),
        }
    }
}

/// Applies one class in batches for up to `budget`; returns the rows it touched.
pub async fn prune(
    pool: &PgPool,
    class: Class,
    before: DateTime<Utc>,
    budget: Duration,
) -> crate::Result<u64> {
    let started = std::time::Instant::now();
    let mut total = 0;
    loop {
        let done = sqlx::query(class.sql())
            .bind(before)
            .bind(BATCH)
            .execute(pool)
            .await
            .map_err(db("retention::prune"))?
            .rows_affected();
        total += done;
        if done < BATCH as u64 || started.elapsed() >= budget {
            return Ok(total);
        }
    }
}

impl Workflow for Retention {
    const KIND: &'static str = "retention";
    type Input = RetentionInput;
    type Output = Pruned;

    async fn run(&self, ctx: WorkflowContext, _: RetentionInput) -> Result<Pruned, WorkflowError> {
        let now = ctx.now().await;
        let config = self.platform.config.retention.clone();
        let mut pruned = Pruned::default();
        for (class, slot) in [
            (Class::AgentRuns, &mut pruned.agent_runs),
            (Class::Payloads, &mut pruned.payloads),
            (Class::Deliveries, &mut pruned.deliveries),
            (Class::RunTokens, &mut pruned.run_tokens),
        ] {
            let age =
                chrono::Duration::from_std(class.age(&config)).unwrap_or(chrono::TimeDelta::MAX);
            let before = now
                .checked_sub_signed(age)
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            let pool = self.platform.pool.clone();
            let name = format!("prune_{class:?}").to_lowercase();
            *slot = ctx
                .step_with(&name, RetryPolicy::default(), move |_| async move {
                    prune(&pool, class, before, BUDGET)
                        .await
                        .map_err(StepError::retryable)
                })
                .await?;
        }
        if pruned != Pruned::default() {
            tracing::info!(?pruned, "retention pruned domain rows");
        }
        Ok(pruned)
    }
}

#[cfg(test)]
mod tests {
    use testkit::test_database::TestDatabases;
    use tokio::sync::OnceCell;
    use uuid::Uuid;

    use super::*;

    static DATABASES: OnceCell<TestDatabases> = OnceCell::const_new();
    static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

    async fn pool() -> PgPool {
        let dbs = DATABASES
            .get_or_init(|| async {
                TestDatabases::start(&MIGRATOR)
                    .await
                    .expect("test databases")
            })
            .await;
        PgPool::connect(&dbs.fresh().await.expect("fresh database"))
            .await
            .expect("connect")
    }

    async fn exec(pool: &PgPool, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(pool)
            .await
            .unwrap();
    }

    async fn count(pool: &PgPool, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
            .fetch_one(pool)
            .await
            .unwrap()
    }

    /// A stage run finished `days` ago, with a token, a session snapshot, usage and an approval.
    async fn stage_run(pool: &PgPool, repo: Uuid, project: Uuid, days: i32) -> Uuid {
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into agent_runs (id, project_id, repository_id, kind, role, execution_mode, access_profile,
                 target_env, model, reasoning, thread_kind, thread_number, branch, locale, status, finished_at)
             values ($1, $2, $3, 'stage', 'dev', 'code_only', 'candidate', 'ai', 'm', 'r', 'issue', 1, 'b', 'en',
                 'succeeded', now() - make_interval(days => $4));
             ",
        )
        .bind(id)
        .bind(project)
        .bind(repo)
        .bind(days)
        .execute(pool)
        .await
        .unwrap();
        for sql in [
            "insert into run_tokens (agent_run_id, token_sha256, expires_at) values ($1, $1::text, now() + interval '1 day')",
            "insert into agent_sessions (agent_run_id, lineage, thread_id, version, file_name, sha256, size_bytes, content)
             values ($1, $1::text, 't', 1, 'f', 's', 1, 'x')",
            "insert into token_usage (agent_run_id, thread_id, turn, model, input_tokens, cached_input_tokens,
                 output_tokens, reasoning_output_tokens, total_tokens) values ($1, 't', 1, 'm', 1, 0, 1, 0, 2)",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).execute(pool).await.unwrap();
        }
        id
    }

    #[tokio::test]
    async fn each_class_goes_by_its_age_and_nothing_younger_or_live_goes_with_it() {
        let pool = pool().await;
        let (project, repo) = (Uuid::now_v7(), Uuid::now_v7());
        exec(&pool, &format!("insert into projects (id, slug, name) values ('{project}', 'p', 'P');
            insert into repositories (id, project_id, full_name) values ('{repo}', '{project}', 'acme/shop');")).await;
        let old = stage_run(&pool, repo, project, 40).await;
        let recent = stage_run(&pool, repo, project, 1).await;
        exec(
            &pool,
            &format!(
                "update agent_runs set finished_at = null, status = 'running' where id = '{recent}'"
            ),
        )
        .await;
        exec(&pool, "insert into webhook_deliveries (delivery_id, event, payload, received_at) values
            ('d-old', 'issues', '{\"sender\": {\"email\": \"a@b.c\"}}', now() - interval '40 days'),
            ('d-week', 'issues', '{\"sender\": {\"email\": \"a@b.c\"}}', now() - interval '10 days'),
            ('d-new', 'issues', '{\"sender\": {\"email\": \"a@b.c\"}}', now());
            ").await;
        exec(
            &pool,
            &format!(
                "insert into run_tokens (agent_run_id, token_sha256, expires_at)
            values ('{recent}', 'expired', now() - interval '2 days')"
            ),
        )
        .await;
        let config = RetentionConfig::default();
        let now = Utc::now();
        let cut = |class: Class| now - chrono::Duration::from_std(class.age(&config)).unwrap();
        let budget = Duration::from_secs(10);
        assert_eq!(
            prune(&pool, Class::AgentRuns, cut(Class::AgentRuns), budget)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            prune(&pool, Class::Payloads, cut(Class::Payloads), budget)
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            prune(&pool, Class::Deliveries, cut(Class::Deliveries), budget)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            prune(&pool, Class::RunTokens, cut(Class::RunTokens), budget)
                .await
                .unwrap(),
            1
        );
        let runs: Vec<Uuid> = sqlx::query_scalar("select id from agent_runs")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(
            runs,
            [recent],
            "the old run went, the live one stayed: {old}"
        );
        for table in ["agent_sessions", "token_usage", "run_tokens"] {
            assert_eq!(
                count(&pool, table).await,
                1,
                "{table}: only the live run's row is left"
            );
        }
        let payloads: Vec<(String, serde_json::Value)> = sqlx::query_as(
            "select delivery_id, payload from webhook_deliveries order by delivery_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(payloads.len(), 2);
        assert_eq!(
            payloads[0],
            (
                "d-new".into(),
                serde_json::json!({"sender": {"email": "a@b.c"}})
            )
        );
        assert_eq!(
            payloads[1],
            ("d-week".into(), serde_json::json!({"redacted": true}))
        );
        assert_eq!(
            prune(&pool, Class::Payloads, cut(Class::Payloads), budget)
                .await
                .unwrap(),
            0,
            "once"
        );
    }
}
