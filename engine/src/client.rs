//! The engine's client API: start runs, send signals, cancel, schedule, and (in `inspect`) look.

use std::{str::FromStr, time::Duration};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    Error, Registry, Result, Workflow,
    store::{self, cron_schedule::Schedule},
};

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
    registry: Registry,
    config: ClientConfig,
}

impl Client {
    /// A client over a pool, knowing the given workflow kinds.
    pub fn new(pool: PgPool, registry: Registry, config: ClientConfig) -> Self {
        Self {
            pool,
            registry,
            config,
        }
    }

    /// The pool this client uses.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Starts a typed workflow.
    pub async fn start<W: Workflow>(
        &self,
        input: &W::Input,
        options: StartOptions,
    ) -> Result<StartedRun> {
        let input = serde_json::to_value(input).map_err(Error::Codec)?;
        self.start_raw(W::KIND, input, options).await
    }

    /// Starts a workflow by kind name with a JSON input, validated against the kind's input type.
    pub async fn start_raw(
        &self,
        kind: &str,
        input: Value,
        options: StartOptions,
    ) -> Result<StartedRun> {
        self.start_raw_with(&self.pool, kind, input, options).await
    }

    /// Like [`Client::start_raw`], inside the caller's transaction (or on any executor), so a
    /// caller can store its own record and enqueue the run atomically.
    pub async fn start_raw_with<'e>(
        &self,
        executor: impl sqlx::PgExecutor<'e>,
        kind: &str,
        input: Value,
        options: StartOptions,
    ) -> Result<StartedRun> {
        self.validate(kind, &input)?;
        if options
            .concurrency
            .iter()
            .any(|(key, limit)| *limit < 1 || key.is_empty())
        {
            return Err(Error::InvalidOption {
                name: "concurrency",
                message: "keys must be non-empty and limits at least 1".into(),
            });
        }
        let mut concurrency = options.concurrency.clone();
        concurrency.sort();
        concurrency.dedup_by(|a, b| a.0 == b.0);
        let (concurrency_keys, concurrency_limits): (Vec<String>, Vec<i32>) =
            concurrency.into_iter().unzip();
        let budget_ms = options.budget.map(|b| b.as_millis().max(1) as i64);
        let queue = options
            .queue
            .as_deref()
            .unwrap_or(&self.config.default_queue);
        let new = store::run::NewRun {
            id: Uuid::now_v7(),
            kind,
            queue,
            input: &input,
            priority: options.priority,
            idempotency_key: options.idempotency_key.as_deref(),
            concurrency_keys: &concurrency_keys,
            concurrency_limits: &concurrency_limits,
            budget_ms,
            run_at: options.run_at,
        };
        let (id, created) = store::run::start(executor, &new).await?;
        Ok(StartedRun { id, created })
    }

    /// Starts many runs of one kind in one statement (no concurrency keys or budgets); returns how many
    /// were created. For bulk loads and benchmarks.
    pub async fn start_many_raw(
        &self,
        kind: &str,
        inputs: &[Value],
        queue: Option<&str>,
    ) -> Result<i64> {
        let queue = queue.unwrap_or(&self.config.default_queue);
        let mut rows = Vec::with_capacity(inputs.len());
        for input in inputs {
            self.validate(kind, input)?;
            rows.push(json!({ "id": Uuid::now_v7(), "kind": kind, "queue": queue, "input": input, "priority": 0 }));
        }
        store::run::start_many(&self.pool, Value::Array(rows)).await
    }

    fn validate(&self, kind: &str, input: &Value) -> Result<()> {
        let workflow = self
            .registry
            .get(kind)
            .ok_or_else(|| Error::UnknownKind(kind.to_owned()))?;
        self.check_size(input)?;
        workflow
            .validate(input)
            .map_err(|message| Error::InvalidInput {
                kind: kind.to_owned(),
                message,
            })
    }

    fn check_size(&self, value: &Value) -> Result<()> {
        let size = value.to_string().len();
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

    /// Cancels a run: its running step is told to stop, then its cleanup runs and it ends `cancelled`.
    pub async fn cancel(&self, run_id: Uuid, reason: &str) -> Result<TerminateOutcome> {
        let detail = json!({ "code": "cancelled", "message": reason });
        let outcome = store::run::terminate(&self.pool, run_id, "cancelled", &detail).await?;
        match outcome.as_str() {
            "terminating" => Ok(TerminateOutcome::Terminating),
            "finished" => Ok(TerminateOutcome::Finished),
            "already_ended" => Ok(TerminateOutcome::AlreadyEnded),
            _ => Err(Error::RunNotFound(run_id)),
        }
    }

    /// Creates or replaces a cron schedule (6- or 7-field expression, seconds first, UTC): each tick
    /// starts one run of `kind` with `input`, exactly once however many workers run.
    pub async fn schedule(
        &self,
        id: &str,
        expression: &str,
        kind: &str,
        input: Value,
        queue: Option<&str>,
    ) -> Result<()> {
        self.validate(kind, &input)?;
        let next_fire_at = next_tick(expression, Utc::now())?;
        let schedule = Schedule {
            id: id.to_owned(),
            expression: expression.to_owned(),
            kind: kind.to_owned(),
            queue: queue.unwrap_or(&self.config.default_queue).to_owned(),
            input,
            next_fire_at,
        };
        store::cron_schedule::upsert(&self.pool, &schedule).await
    }
}

/// The first tick of a cron expression strictly after `after`.
pub(crate) fn next_tick(expression: &str, after: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let schedule = cron::Schedule::from_str(expression).map_err(|source| Error::InvalidCron {
        expression: expression.to_owned(),
        source,
    })?;
    schedule
        .after(&after)
        .next()
        .ok_or_else(|| Error::InvalidOption {
            name: "cron",
            message: format!("{expression:?} never fires"),
        })
}
