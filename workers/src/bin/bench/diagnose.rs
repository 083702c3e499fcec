//! `--diagnose`: loads pg_stat_statements into the throwaway server (restarting it once) and
//! prints each workload's most expensive statements on stderr.

use std::{path::Path, process::Command};

use anyhow::{Context, Result, bail};
use sqlx::{PgPool, Row};
use testkit::throwaway::ThrowawayPg;

use crate::server::{self, Server};

/// Preloads pg_stat_statements (tracking statements inside functions too) and restarts the server.
pub(crate) async fn enable(pg: &ThrowawayPg) -> Result<()> {
    let admin = server::pool(&pg.url(), 1).await?;
    for sql in [
        "alter system set shared_preload_libraries = 'pg_stat_statements'",
        "alter system set track_io_timing = on",
    ] {
        sqlx::query(sql).execute(&admin).await.context(sql)?;
    }
    admin.close().await;
    restart(pg)?;
    let admin = server::pool(&pg.url(), 1).await?;
    for sql in [
        "create extension if not exists pg_stat_statements",
        "alter system set pg_stat_statements.track = 'all'",
        "alter system set pg_stat_statements.track_planning = on",
        "select pg_reload_conf()",
    ] {
        sqlx::query(sql).execute(&admin).await.context(sql)?;
    }
    admin.close().await;
    eprintln!("diagnose: pg_stat_statements enabled");
    Ok(())
}

fn restart(pg: &ThrowawayPg) -> Result<()> {
    let pg_ctl = pg.bindir().join("pg_ctl");
    let log = pg.data_dir().join("server.log");
    let as_root = std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    let mut cmd = if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&pg_ctl);
        c
    } else {
        Command::new(&pg_ctl)
    };
    let data: &Path = pg.data_dir();
    let out = cmd
        .arg("-D")
        .arg(data)
        .args(["-w", "-t", "30", "-m", "fast", "-l"])
        .arg(&log)
        .arg("restart")
        .current_dir("/")
        .output()
        .context("run pg_ctl restart")?;
    if !out.status.success() {
        bail!(
            "pg_ctl restart failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Clears the statement statistics (no-op without `--diagnose`).
pub(crate) async fn reset(server: &Server) -> Result<()> {
    if server.diagnose {
        sqlx::query("select pg_stat_statements_reset()")
            .execute(server.admin())
            .await
            .context("reset pg_stat_statements")?;
    }
    Ok(())
}

/// Prints the top statements of `database` since the last reset (no-op without `--diagnose`).
pub(crate) async fn report(server: &Server, database: &str) -> Result<()> {
    if !server.diagnose {
        return Ok(());
    }
    let rows = sqlx::query(
        "select s.calls, s.total_exec_time, s.mean_exec_time, s.plans, s.total_plan_time,
                s.rows, s.shared_blks_hit,
                s.shared_blks_read, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 160) as query
         from pg_stat_statements s join pg_database d on d.oid = s.dbid
         where d.datname = $1
         order by s.total_exec_time desc limit 15",
    )
    .bind(database)
    .fetch_all(server.admin())
    .await
    .context("read pg_stat_statements")?;
    eprintln!(
        "  top statements in {database} (calls, total ms, mean ms, plans, plan ms, rows, blks hit/read):"
    );
    for r in rows {
        eprintln!(
            "    {:>7} {:>9.1} {:>8.3} {:>7} {:>8.1} {:>8} {:>9}/{:<7} {}",
            r.get::<i64, _>("calls"),
            r.get::<f64, _>("total_exec_time"),
            r.get::<f64, _>("mean_exec_time"),
            r.get::<i64, _>("plans"),
            r.get::<f64, _>("total_plan_time"),
            r.get::<i64, _>("rows"),
            r.get::<i64, _>("shared_blks_hit"),
            r.get::<i64, _>("shared_blks_read"),
            r.get::<String, _>("query"),
        );
    }
    Ok(())
}

/// Prints the plan of the engine's claim query for `limit` tasks on `pool`, rolled back (no-op
/// without `--diagnose`).
pub(crate) async fn explain_claim(
    server: &Server,
    pool: &PgPool,
    claim_sql: &str,
    limit: i64,
) -> Result<()> {
    if !server.diagnose {
        return Ok(());
    }
    let mut tx = pool.begin().await.context("begin explain")?;
    let sql = format!("explain (analyze, buffers) {claim_sql}");
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(crate::engine_side::QUEUE)
        .bind(limit)
        .bind("bench-explain")
        .bind(10.0_f64)
        .fetch_all(&mut *tx)
        .await
        .context("explain claim")?;
    tx.rollback().await.context("roll back explain")?;
    eprintln!("  claim plan:\n    {}", plan.join("\n    "));
    Ok(())
}

/// Prints the plan of the completer's flush finishing 50 just-claimed runs, all rolled back
/// (no-op without `--diagnose`).
pub(crate) async fn explain_complete(server: &Server, pool: &PgPool) -> Result<()> {
    if !server.diagnose {
        return Ok(());
    }
    let complete = include_str!("../../../../engine/queries/completer/flush.sql");
    let mut tx = pool.begin().await.context("begin explain")?;
    let claimed = sqlx::query(crate::backlog::CLAIM_SQL)
        .bind(crate::engine_side::QUEUE)
        .bind(50_i64)
        .bind("bench-explain")
        .bind(10.0_f64)
        .fetch_all(&mut *tx)
        .await
        .context("claim for explain")?;
    let done: Vec<serde_json::Value> = claimed
        .iter()
        .map(|r| {
            serde_json::json!({ "run_id": r.get::<uuid::Uuid, _>("run_id"),
                "epoch": r.get::<i64, _>("epoch"), "status": "succeeded", "output": null, "error": null })
        })
        .collect();
    let ids: Vec<uuid::Uuid> = claimed.iter().map(|r| r.get("run_id")).collect();
    let sql = format!("explain (analyze, buffers) {complete}");
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(serde_json::Value::Array(vec![]))
        .bind(serde_json::Value::Array(done))
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await
        .context("explain complete")?;
    tx.rollback().await.context("roll back explain")?;
    eprintln!("  complete plan:\n    {}", plan.join("\n    "));
    // The plan a prepared flush settles on after five executions, which is what the drain runs.
    let sql = format!("explain (generic_plan) {complete}");
    let generic: Vec<String> = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
        .context("explain generic complete")?
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    eprintln!("  complete generic plan:\n    {}", generic.join("\n    "));
    Ok(())
}
