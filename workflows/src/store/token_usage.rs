//! Token usage of agent runs (`token_usage`), one row per turn, stored as deltas.
//!
//! codex reports a turn's usage as the running total of its thread, and a resumed thread keeps
//! counting from its earlier runs, so each turn's row is the reported total minus what the
//! thread's earlier turns already stored (computed under a per-thread lock).

use sqlx::{PgPool, Row, postgres::PgRow};
use uuid::Uuid;

use crate::error::{Result, db};

/// Token counts, either running totals (as reported) or one turn's delta (as stored).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenCounts {
    /// Input tokens.
    pub input_tokens: i64,
    /// Input tokens served from the prompt cache (part of `input_tokens`).
    pub cached_input_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Reasoning tokens (part of `output_tokens`).
    pub reasoning_output_tokens: i64,
}

impl TokenCounts {
    /// Input plus output tokens.
    pub fn total(&self) -> i64 {
        self.input_tokens + self.output_tokens
    }
}

/// One turn's running totals, as a runner reports them.
#[derive(Debug, Clone)]
pub struct TurnReport<'a> {
    /// The run.
    pub agent_run_id: Uuid,
    /// The codex thread.
    pub thread_id: &'a str,
    /// The turn's number within the thread (the runner counts them; the key of idempotency).
    pub turn: i32,
    /// The model the run uses.
    pub model: &'a str,
    /// The thread's running totals after this turn.
    pub totals: TokenCounts,
}

/// What recording a turn did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// False when the turn was already recorded (a repeated report); `delta` is then the stored one.
    pub new: bool,
    /// The turn's stored delta.
    pub delta: TokenCounts,
}

fn counts(r: &PgRow) -> TokenCounts {
    TokenCounts {
        input_tokens: r.get("input_tokens"),
        cached_input_tokens: r.get("cached_input_tokens"),
        output_tokens: r.get("output_tokens"),
        reasoning_output_tokens: r.get("reasoning_output_tokens"),
    }
}

/// Stores a turn's usage as its delta against the thread's earlier turns; idempotent per
/// (run, thread, turn).
pub async fn record_turn(pool: &PgPool, report: &TurnReport<'_>) -> Result<Recorded> {
    let op = "token_usage::record_turn";
    let mut tx = pool.begin().await.map_err(db(op))?;
    sqlx::query(include_str!("../../queries/token_usage/lock_thread.sql"))
        .bind(report.thread_id)
        .execute(&mut *tx)
        .await
        .map_err(db(op))?;
    let t = report.totals;
    let inserted = sqlx::query(include_str!("../../queries/token_usage/insert_delta.sql"))
        .bind(report.agent_run_id)
        .bind(report.thread_id)
        .bind(report.turn)
        .bind(report.model)
        .bind(t.input_tokens)
        .bind(t.cached_input_tokens)
        .bind(t.output_tokens)
        .bind(t.reasoning_output_tokens)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db(op))?;
    let recorded = match inserted {
        Some(row) => Recorded {
            new: true,
            delta: counts(&row),
        },
        None => {
            let row = sqlx::query(include_str!("../../queries/token_usage/get_turn.sql"))
                .bind(report.agent_run_id)
                .bind(report.thread_id)
                .bind(report.turn)
                .fetch_one(&mut *tx)
                .await
                .map_err(db(op))?;
            Recorded {
                new: false,
                delta: counts(&row),
            }
        }
    };
    tx.commit().await.map_err(db(op))?;
    Ok(recorded)
}
