//! The context a workflow body gets: checkpointed steps, durable sleeps, signal waits, and the
//! deterministic clock and ids. Each call takes the next position (seq) in the run's step history;
//! a position already in the history returns its stored result without running anything.

use std::{
    collections::HashMap,
    future::Future,
    panic::AssertUnwindSafe,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI32, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use futures::FutureExt;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::{
    RetryPolicy, StepError, StepFailed, WorkflowError,
    store::{self, StepRecord, StepStatus},
    worker::Services,
};

/// How an attempt stopped executing before its workflow returned.
#[derive(Debug, Clone)]
pub(crate) enum Suspension {
    /// The claim was released in the database (retry backoff, sleep, wait); wake locally at this time.
    Released { wake_at: Option<DateTime<Utc>> },
    /// A fenced write was refused: another attempt owns the run now.
    LeaseLost,
    /// The run cannot go on (replay mismatch, undecodable history): fail it.
    Fatal(WorkflowError),
}

/// Per-attempt state shared by the context and the executor.
pub(crate) struct Attempt {
    pub(crate) run_id: Uuid,
    pub(crate) epoch: i64,
    pub(crate) history: HashMap<i32, StepRecord>,
    pub(crate) failed_seq: Option<i32>,
    pub(crate) failed_attempts: i32,
    pub(crate) next_seq: AtomicI32,
    pub(crate) suspension: Mutex<Option<Suspension>>,
    /// Cancelled when the attempt suspends; the executor then drops the workflow future.
    pub(crate) suspended: CancellationToken,
    /// Cancelled when the attempt must stop (run terminated, lease lost, shutdown).
    pub(crate) cancel: CancellationToken,
    pub(crate) services: Arc<Services>,
}

impl Attempt {
    fn suspend_with(
        &self,
        s: Suspension,
    ) -> impl Future<Output = std::convert::Infallible> + use<> {
        self.suspension
            .lock()
            .expect("suspension lock")
            .get_or_insert(s);
        self.suspended.cancel();
        std::future::pending()
    }
}

/// What a workflow body uses to do durable work. Cheap to clone.
#[derive(Clone)]
pub struct WorkflowContext {
    attempt: Arc<Attempt>,
}

/// What a step body gets: no workflow context, so steps cannot nest or wait.
#[derive(Clone, Debug)]
pub struct StepContext {
    /// The run this step belongs to.
    pub run_id: Uuid,
    /// 1-based attempt number of this step.
    pub attempt: i32,
    cancel: CancellationToken,
}

impl StepContext {
    /// Resolves when the run is cancelled, timed out, lost its lease or the worker shuts down;
    /// a long step should stop then (its future is dropped anyway).
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await
    }

    /// Whether the attempt has been told to stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// A wait for a named signal.
#[derive(Debug, Clone)]
pub struct Wait {
    signal: String,
    timeout: Option<Duration>,
    pausing: bool,
}

impl Wait {
    /// Waits for the signal with this name.
    pub fn signal(name: impl Into<String>) -> Self {
        Self {
            signal: name.into(),
            timeout: None,
            pausing: false,
        }
    }

    /// Gives up after this long (fixed when the wait first begins).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Stops the run's time budget while waiting (owner answers, approvals).
    pub fn pausing(mut self) -> Self {
        self.pausing = true;
        self
    }
}

/// The result of a wait.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitOutcome<T> {
    /// The signal arrived with this payload.
    Signal(T),
    /// The wait's timeout passed first.
    Deadline,
}

impl WorkflowContext {
    pub(crate) fn new(attempt: Arc<Attempt>) -> Self {
        Self { attempt }
    }

    /// The id of the run.
    pub fn run_id(&self) -> Uuid {
        self.attempt.run_id
    }

    fn next_seq(&self) -> i32 {
        self.attempt.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// The recorded entry at `seq`, checking that the workflow asks for the same step as before.
    async fn replayed(&self, seq: i32, name: &str) -> Option<StepRecord> {
        let record = self.attempt.history.get(&seq)?.clone();
        if record.name != name {
            let err = WorkflowError::new(
                "nondeterminism",
                format!(
                    "step {seq} is {:?} in the history but the workflow asked for {name:?}",
                    record.name
                ),
            );
            self.attempt.suspend_with(Suspension::Fatal(err)).await;
        }
        Some(record)
    }

    async fn fatal(&self, err: WorkflowError) -> ! {
        match self.attempt.suspend_with(Suspension::Fatal(err)).await {}
    }

    /// A durable write failed (the database is unreachable or kept conflicting): give the attempt
    /// up without failing the run; its lease expires and the run is rescued and replayed.
    async fn abandon(&self, error: String) -> ! {
        tracing::error!(run_id = %self.attempt.run_id, error.message = %error, "durable write failed; attempt abandoned");
        self.lease_lost().await
    }

    async fn lease_lost(&self) -> ! {
        match self.attempt.suspend_with(Suspension::LeaseLost).await {}
    }

    async fn released(&self, wake_at: Option<DateTime<Utc>>) -> ! {
        match self
            .attempt
            .suspend_with(Suspension::Released { wake_at })
            .await {}
    }

    /// Runs a checkpointed step with the default retry policy.
    pub async fn step<T, F, Fut>(&self, name: &str, body: F) -> Result<T, StepFailed>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, StepError>>,
    {
        self.step_with(name, RetryPolicy::default(), body).await
    }

    /// Runs a checkpointed step: once its output is committed it never runs again for this run.
    /// A retryable error releases the run and retries it after backoff (durably); a terminal error
    /// or exhausted attempts return [`StepFailed`], which is also recorded and replayed.
    pub async fn step_with<T, F, Fut>(
        &self,
        name: &str,
        policy: RetryPolicy,
        body: F,
    ) -> Result<T, StepFailed>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, StepError>>,
    {
        let seq = self.next_seq();
        if let Some(record) = self.replayed(seq, name).await {
            return self.decode_record(record).await;
        }
        let a = &self.attempt;
        let attempt = if a.failed_seq == Some(seq) {
            a.failed_attempts + 1
        } else {
            1
        };
        let started_at = Utc::now();
        let step_ctx = StepContext {
            run_id: a.run_id,
            attempt,
            cancel: a.cancel.clone(),
        };
        let span = tracing::info_span!("step", run_id = %a.run_id, step = name, seq, attempt);
        let result = AssertUnwindSafe(body(step_ctx))
            .catch_unwind()
            .instrument(span)
            .await;
        a.services
            .metrics
            .observe_step(name, (Utc::now() - started_at).to_std().unwrap_or_default());
        let error = match result {
            Ok(Ok(value)) => {
                let output = match serde_json::to_value(&value) {
                    Ok(v) => v,
                    Err(e) => {
                        self.fatal(WorkflowError::new(
                            "codec",
                            format!("encode output of step {name}: {e}"),
                        ))
                        .await
                    }
                };
                let record = StepRecord {
                    name: name.to_owned(),
                    status: StepStatus::Succeeded,
                    output: Some(output),
                    error: None,
                };
                self.commit(seq, record, attempt, started_at).await;
                return Ok(value);
            }
            Ok(Err(e)) => e,
            Err(panic) => StepError::Retryable(format!("panic: {}", panic_message(&panic))),
        };
        let (message, retry) = match &error {
            StepError::Retryable(m) => (m.clone(), policy.allows_retry_after(attempt)),
            StepError::Terminal(m) => (m.clone(), false),
        };
        if retry {
            let run_at = Utc::now() + policy.delay_after(attempt);
            let params = store::task::ReleaseParams {
                run_id: a.run_id,
                epoch: a.epoch,
                run_at,
                failed_seq: Some(seq),
                failed_attempts: attempt,
            };
            let event = store::flow_event::NewEvent {
                run_id: a.run_id,
                kind: "step_retry_scheduled",
                step_seq: Some(seq),
                attempt: Some(attempt),
                detail: json!({ "step": name, "error": message, "retry_at": run_at }),
            };
            match store::task::release_with_event(&a.services.pool, &params, &event).await {
                Ok(true) => self.released(Some(run_at)).await,
                Ok(false) => self.lease_lost().await,
                Err(e) => self.abandon(e.to_string()).await,
            }
        }
        let failed = StepFailed {
            step: name.to_owned(),
            message,
            attempts: attempt,
        };
        let record = StepRecord {
            name: name.to_owned(),
            status: StepStatus::Failed,
            output: None,
            error: Some(serde_json::to_value(&failed).unwrap_or(Value::Null)),
        };
        self.commit(seq, record, attempt, started_at).await;
        Err(failed)
    }

    async fn commit(&self, seq: i32, record: StepRecord, attempts: i32, started_at: DateTime<Utc>) {
        let a = &self.attempt;
        if let Some(size) = record.output.as_ref().map(|v| v.to_string().len())
            && size > a.services.config.max_payload_bytes
        {
            let msg = format!(
                "output of step {} is {size} bytes, over the limit",
                record.name
            );
            self.fatal(WorkflowError::new("payload_too_large", msg))
                .await;
        }
        let write = store::step::NewStep {
            run_id: a.run_id,
            epoch: a.epoch,
            seq,
            record,
            attempts,
            started_at,
        };
        match a.services.completer.step(write).await {
            Ok(true) => {}
            Ok(false) => self.lease_lost().await,
            Err(e) => self.abandon(e.to_string()).await,
        }
    }

    async fn decode_record<T: DeserializeOwned>(
        &self,
        record: StepRecord,
    ) -> Result<T, StepFailed> {
        match record.status {
            StepStatus::Succeeded => {
                match serde_json::from_value(record.output.unwrap_or(Value::Null)) {
                    Ok(v) => Ok(v),
                    Err(e) => {
                        let msg = format!("decode stored output of step {}: {e}", record.name);
                        self.fatal(WorkflowError::new("codec", msg)).await
                    }
                }
            }
            StepStatus::Failed => {
                let failed = record
                    .error
                    .and_then(|e| serde_json::from_value::<StepFailed>(e).ok());
                Err(failed.unwrap_or(StepFailed {
                    step: record.name,
                    message: "failed".into(),
                    attempts: 0,
                }))
            }
        }
    }

    /// Sleeps durably: survives restarts and holds no worker while sleeping.
    pub async fn sleep(&self, duration: Duration) {
        let wake_at = Utc::now() + duration;
        self.sleep_until_inner(wake_at).await
    }

    /// Sleeps durably until the given instant.
    pub async fn sleep_until(&self, wake_at: DateTime<Utc>) {
        self.sleep_until_inner(wake_at).await
    }

    async fn sleep_until_inner(&self, proposed: DateTime<Utc>) {
        let seq = self.next_seq();
        let a = &self.attempt;
        let (wake_at, record) = match self.replayed(seq, "sleep").await {
            Some(r) => {
                let wake_at = r.output.as_ref().and_then(|o| o.get("wake_at")).cloned();
                match wake_at.and_then(|w| serde_json::from_value::<DateTime<Utc>>(w).ok()) {
                    Some(w) => (w, None),
                    None => {
                        self.fatal(WorkflowError::new("codec", "sleep record without wake_at"))
                            .await
                    }
                }
            }
            None => (proposed, Some(json!({ "wake_at": proposed }))),
        };
        if wake_at <= Utc::now() && record.is_none() {
            return;
        }
        let params = store::task::ReleaseParams {
            run_id: a.run_id,
            epoch: a.epoch,
            run_at: wake_at,
            failed_seq: None,
            failed_attempts: 0,
        };
        match store::task::release_for_sleep(&a.services.pool, &params, seq, record).await {
            Ok(true) => self.released(Some(wake_at)).await,
            Ok(false) => self.lease_lost().await,
            Err(e) => self.abandon(e.to_string()).await,
        }
    }

    /// Waits for a signal. A signal sent before the wait begins is kept and delivered here; each
    /// signal is delivered to exactly one wait. While waiting the run holds no worker and no
    /// connection; a pausing wait also stops the run's time budget.
    pub async fn wait<T: DeserializeOwned>(
        &self,
        wait: Wait,
    ) -> Result<WaitOutcome<T>, WorkflowError> {
        let seq = self.next_seq();
        let name = format!("wait:{}", wait.signal);
        if let Some(record) = self.replayed(seq, &name).await {
            let output = record.output.unwrap_or(Value::Null);
            return match output.get("signal") {
                Some(payload) => Ok(WaitOutcome::Signal(serde_json::from_value(
                    payload.clone(),
                )?)),
                None => Ok(WaitOutcome::Deadline),
            };
        }
        let a = &self.attempt;
        let deadline = wait.timeout.map(|t| Utc::now() + t);
        let params = store::signal::WaitParams {
            run_id: a.run_id,
            epoch: a.epoch,
            seq,
            signal: &wait.signal,
            pausing: wait.pausing,
            deadline,
        };
        match store::signal::wait(&a.services.pool, &params).await {
            Ok(store::signal::WaitResult::Signalled(payload)) => {
                Ok(WaitOutcome::Signal(serde_json::from_value(payload)?))
            }
            Ok(store::signal::WaitResult::Deadline) => Ok(WaitOutcome::Deadline),
            Ok(store::signal::WaitResult::Waiting) => self.released(deadline).await,
            Ok(store::signal::WaitResult::LeaseLost) => self.lease_lost().await,
            Err(e) => self.abandon(e.to_string()).await,
        }
    }

    /// The current time, recorded on first call so replays see the same instant.
    pub async fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        match self
            .step_with("now", RetryPolicy::no_retry(), |_| async move { Ok(now) })
            .await
        {
            Ok(t) => t,
            Err(_) => now,
        }
    }

    /// A fresh UUID, recorded on first call so replays see the same id.
    pub async fn uuid(&self) -> Uuid {
        let id = Uuid::new_v4();
        match self
            .step_with("uuid", RetryPolicy::no_retry(), |_| async move { Ok(id) })
            .await
        {
            Ok(u) => u,
            Err(_) => id,
        }
    }
}

/// The message of a caught panic payload.
pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}
