//! The engine's client API: start runs, send signals, cancel, schedule, and (in `inspect`) look.

use std::{str::FromStr, time::Duration};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    Error, Result, Workflow,
    error::db,
    store::{self, cron_schedule::Schedule},
};

/// The work waiting in some queues, as [`Client::backlog`] reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backlog {
    /// Tasks due now (ready, or scheduled and due).
    pub due: u64,
    /// Age of the oldest due task in seconds (0 when none is due).
    pub oldest_due_age_s: f64,
    /// Tasks leased by workers now.
    pub leased: u64,
}

/// Limits the client enforces on what it accepts.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Largest serialized input, signal payload or step output (default 1 MiB).
    pub max_payload_bytes: usize,
    /// Queue of runs started without one (default `default`).
    pub default_queue: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            max_payload_bytes: 1 << 20,
            default_queue: "default".into(),
        }
    }
}

/// How to start a run.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// The queue (default: the client's default queue).
    pub queue: Option<String>,
    /// Higher runs first (default 0).
    pub priority: i16,
    /// A second start with this key returns the first run instead of creating one.
    pub idempotency_key: Option<String>,
    /// Concurrency keys with their limits: the run is admitted only when every key has a free slot
    /// (e.g. one per Issue branch and two per project); later runs wait without delaying other keys.
    pub concurrency: Vec<(String, i32)>,
    /// The run's time budget, counted only while it is active (pausing waits stop it).
    pub budget: Option<Duration>,
    /// Not before this instant.
    pub run_at: Option<DateTime<Utc>>,
    /// The W3C `traceparent` every attempt of the run continues (ADR 0023); default: the current
    /// span's, through the installed [`crate::TracePropagation`].
    pub trace_parent: Option<String>,
}

/// A started (or found) run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StartedRun {
    /// The run id.
    pub id: Uuid,
    /// False when an existing run with the same idempotency key was returned.
    pub created: bool,
}

/// What happened to a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalOutcome {
    /// The run was waiting for it and is woken.
    Woke,
    /// Kept until the run waits for it.
    Stored,
    /// A signal with the same idempotency key was already sent.
    Duplicate,
    /// The run has ended; the signal was not kept.
    RunFinished,
}

/// What happened to a cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminateOutcome {
    /// The run's step is told to stop and its cleanup runs next.
    Terminating,
    /// The run never started (it waited for a concurrency slot): ended at once.
    Finished,
    /// The run had already ended or is ending.
    AlreadyEnded,
}

/// Starts, signals, cancels and inspects runs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) pool: PgPool,
    config: ClientConfig,
}

impl Client {
    /// A client over a pool.
    pub fn new(pool: PgPool, config: ClientConfig) -> Self {
        Self { pool, config }
    }

    /// The pool this client uses.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Starts a run of `W` with its input.
    pub async fn start<W: Workflow>(
        &self,
        input: &W::Input,
        options: StartOptions,
    ) -> Result<StartedRun> {
        self.start_with::<W>(&self.pool, input, options).await
    }

    /// Starts a run of `W` inside the caller's transaction (or on any executor), so a caller can
    /// store its own record and enqueue the run atomically.
    ///
    /// A second start with the same idempotency key returns the first run (`created: false`) when
    /// kind and input agree, and [`Error::IdempotencyConflict`] when they do not.
    pub async fn start_with<'e, W: Workflow>(
        &self,
        executor: impl sqlx::PgExecutor<'e>,
        input: &W::Input,
        options: StartOptions,
    ) -> Result<StartedRun> {
        let input = serde_json::to_value(input).map_err(Error::Codec)?;
        self.check_size(&input)?;
        let mut concurrency = options.concurrency.clone();
        if concurrency
            .iter()
            .any(|(key, limit)| *limit < 1 || key.is_empty())
        {
            return Err(Error::InvalidOption {
                name: "concurrency",
                message: "keys must be non-empty and limits at least 1".into(),
            });
        }
        concurrency.sort();
        concurrency.dedup_by(|a, b| a.0 == b.0);
        let (concurrency_keys, concurrency_limits): (Vec<String>, Vec<i32>) =
            concurrency.into_iter().unzip();
        let budget_ms = options
            .budget
            .map(|b| i64::try_from(b.as_millis().max(1)))
            .transpose()
            .map_err(|_| Error::InvalidOption {
                name: "budget",
                message: "too large".into(),
            })?;
        let queue = options
            .queue
            .as_deref()
            .unwrap_or(&self.config.default_queue);
        let new = store::run::NewRun {
            id: Uuid::now_v7(),
            kind: W::KIND,
            code_version: W::VERSION,
            queue,
            input: &input,
            priority: options.priority,
            idempotency_key: options.idempotency_key.as_deref(),
            concurrency_keys: &concurrency_keys,
            concurrency_limits: &concurrency_limits,
            budget_ms,
            run_at: options.run_at,
            trace_parent: crate::trace::storable(
                options
                    .trace_parent
                    .clone()
                    .or_else(crate::current_trace_parent),
            ),
        };
        let started = store::run::start(executor, &new).await?;
        if started.conflict {
            return Err(Error::IdempotencyConflict {
                key: options.idempotency_key.unwrap_or_default(),
                run_id: started.id,
            });
        }
        Ok(StartedRun {
            id: started.id,
            created: started.created,
        })
    }

    /// Starts many runs of `W` in one statement (no concurrency keys, budgets or idempotency keys);
    /// returns how many were created. For bulk loads and benchmarks.
    pub async fn start_many<W: Workflow>(
        &self,
        inputs: &[W::Input],
        queue: Option<&str>,
    ) -> Result<i64> {
        let queue = queue.unwrap_or(&self.config.default_queue);
        let mut rows = Vec::with_capacity(inputs.len());
        for input in inputs {
            let input = serde_json::to_value(input).map_err(Error::Codec)?;
            self.check_size(&input)?;
            rows.push(json!({
                "id": Uuid::now_v7(), "kind": W::KIND, "code_version": W::VERSION,
                "queue": queue, "input": input, "priority": 0,
            }));
        }
        store::run::start_many(&self.pool, Value::Array(rows)).await
    }

    fn check_size(&self, value: &Value) -> Result<()> {
        let size = store::json_size(value);
        if size > self.config.max_payload_bytes {
            return Err(Error::PayloadTooLarge {
                size,
                limit: self.config.max_payload_bytes,
            });
        }
        Ok(())
    }

    /// Sends a named signal with a JSON payload to a run. With an idempotency key, a repeated send
    /// is reported as a duplicate and changes nothing.
    pub async fn signal(
        &self,
        run_id: Uuid,
        name: &str,
        payload: Value,
        idempotency_key: Option<&str>,
    ) -> Result<SignalOutcome> {
        self.check_size(&payload)?;
        let outcome =
            store::signal::send(&self.pool, run_id, name, &payload, idempotency_key).await?;
        match outcome.as_str() {
            "woke" => Ok(SignalOutcome::Woke),
            "stored" => Ok(SignalOutcome::Stored),
            "duplicate" => Ok(SignalOutcome::Duplicate),
            "run_finished" => Ok(SignalOutcome::RunFinished),
            _ => Err(Error::RunNotFound(run_id)),
        }
    }

    /// Whether a run waits behind its concurrency keys (another run holds the slot it needs).
    pub async fn is_blocked(&self, run_id: Uuid) -> Result<bool> {
        store::task::is_blocked(&self.pool, run_id).await
    }

    /// The backlog of `queues` now: what a worker autoscaler sizes the worker pool by.
    pub async fn backlog(&self, queues: &[String]) -> Result<Backlog> {
        let (due, oldest, leased) = store::task::backlog(&self.pool, queues).await?;
        Ok(Backlog {
            due: u64::try_from(due).unwrap_or(0),
            oldest_due_age_s: oldest.max(0.0),
            leased: u64::try_from(leased).unwrap_or(0),
        })
    }

    /// Cancels a run: its running step is told to stop, then its cleanup runs and it ends `cancelled`.
    pub async fn cancel(&self, run_id: Uuid, reason: &str) -> Result<TerminateOutcome> {
        let detail = json!({ "code": "cancelled", "message": reason });
        let mut outcome = store::run::terminate(&self.pool, run_id, "cancelled", &detail).await?;
        // `busy`: the run was re-opened at this very moment and its new task is held; a few tries.
        let mut backoff = Duration::from_millis(10);
        for _ in 0..5 {
            if outcome != "busy" {
                break;
            }
            tokio::time::sleep(backoff).await;
            backoff *= 2;
            outcome = store::run::terminate(&self.pool, run_id, "cancelled", &detail).await?;
        }
        match outcome.as_str() {
            "terminating" => Ok(TerminateOutcome::Terminating),
            "finished" => Ok(TerminateOutcome::Finished),
            "already_ended" => Ok(TerminateOutcome::AlreadyEnded),
            "busy" => Err(Error::Busy(run_id)),
            _ => Err(Error::RunNotFound(run_id)),
        }
    }

    /// Retries a run once its cause is fixed: a parked run (new code deployed, kind registered)
    /// leaves parking; a failed run is re-opened from its last failed step (that journal entry and
    /// the later ones are removed, the rest is kept). Either is admitted again behind its
    /// concurrency keys and replays. Cancelled and timed-out runs are not retried.
    pub async fn retry(&self, run_id: Uuid) -> Result<RetryOutcome> {
        let mut outcome = store::task::unpark(&self.pool, run_id, "operator").await?;
        if outcome == "not_parked" {
            outcome = store::run::reopen(&self.pool, run_id).await?;
        }
        match outcome.as_str() {
            "unparked" | "reopened" => Ok(RetryOutcome::Resumed),
            "blocked" => Ok(RetryOutcome::Blocked),
            "not_parked" | "not_retryable" => Ok(RetryOutcome::NotRetryable),
            _ => Err(Error::RunNotFound(run_id)),
        }
    }

    /// Creates or replaces a cron schedule (6- or 7-field expression, seconds first, UTC): each tick
    /// starts one run of `W` with `input`, at most once however many workers run. Replacing a
    /// schedule with the same expression keeps its next tick, so a restart never skips a due tick.
    pub async fn schedule<W: Workflow>(
        &self,
        id: &str,
        expression: &str,
        input: &W::Input,
        options: ScheduleOptions,
    ) -> Result<()> {
        let input = serde_json::to_value(input).map_err(Error::Codec)?;
        self.check_size(&input)?;
        parse_cron(expression)?;
        let (catch_up, tolerance_ms) = match options.catch_up {
            CatchUp::FireOnce => ("fire_once", 60_000),
            CatchUp::Skip { tolerance } => (
                "skip",
                i64::try_from(tolerance.as_millis())
                    .unwrap_or(i64::MAX)
                    .max(1),
            ),
        };
        let mut tx = self.pool.begin().await.map_err(db("schedule begin"))?;
        let next_fire_at = match store::cron_schedule::get_for_update(&mut *tx, id).await? {
            Some((existing, _)) if existing.expression == expression => existing.next_fire_at,
            Some((existing, now)) => next_tick(expression, existing.last_fired_at.unwrap_or(now))?,
            None => next_tick(expression, store::run::now(&mut *tx).await?)?,
        };
        let schedule = Schedule {
            id: id.to_owned(),
            expression: expression.to_owned(),
            kind: W::KIND.to_owned(),
            code_version: i32::try_from(W::VERSION).unwrap_or(i32::MAX),
            queue: options
                .queue
                .unwrap_or_else(|| self.config.default_queue.clone()),
            input,
            next_fire_at,
            catch_up: catch_up.to_owned(),
            tolerance_ms,
        };
        store::cron_schedule::upsert(&mut *tx, &schedule).await?;
        tx.commit().await.map_err(db("schedule commit"))
    }
}

/// How a cron schedule treats ticks missed while no worker ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CatchUp {
    /// Fire one run for all the missed ticks (the latest), with an event counting them.
    #[default]
    FireOnce,
    /// Fire a tick only if it is late by at most `tolerance`; skipped ticks leave an event.
    Skip {
        /// How late a tick may fire.
        tolerance: Duration,
    },
}

/// How to schedule.
#[derive(Debug, Clone, Default)]
pub struct ScheduleOptions {
    /// The queue of the runs (default: the client's default queue).
    pub queue: Option<String>,
    /// What to do with ticks missed while no worker ran.
    pub catch_up: CatchUp,
}

/// What a retry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryOutcome {
    /// It is ready again and replays from its journal.
    Resumed,
    /// It waits for a slot of its concurrency keys first.
    Blocked,
    /// It is neither parked nor failed (it runs, succeeded, was cancelled or timed out).
    NotRetryable,
}

/// Parses a cron expression.
pub(crate) fn parse_cron(expression: &str) -> Result<cron::Schedule> {
    cron::Schedule::from_str(expression).map_err(|source| Error::InvalidCron {
        expression: expression.to_owned(),
        source,
    })
}

/// The first tick of a cron expression strictly after `after`.
pub(crate) fn next_tick(expression: &str, after: DateTime<Utc>) -> Result<DateTime<Utc>> {
    parse_cron(expression)?
        .after(&after)
        .next()
        .ok_or_else(|| Error::InvalidOption {
            name: "cron",
            message: format!("{expression:?} never fires"),
        })
}
