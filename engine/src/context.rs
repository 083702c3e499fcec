//! The context a workflow body gets: checkpointed steps, durable sleeps, signal waits, and the
//! deterministic clock and ids. Each call takes the next position (seq) in the run's journal when it
//! is made (not when its future is first polled, so `join!` and `select!` replay in the same order);
//! a position already in the journal returns its stored result without running anything, after
//! checking that the journal holds the same kind of entry with the same name there.

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
    store::{
        self, EntryKind, StepRecord, StepStatus,
        flow_event::NewEvent,
        task::{ReleaseMode, ReleaseParams, Released},
    },
    worker::{Services, StepCommit},
};

/// Longest durable sleep or wait timeout (about ten years): later instants overflow.
const LONGEST: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// How an attempt stopped executing before its workflow returned.
#[derive(Debug, Clone)]
pub(crate) enum Suspension {
    /// The claim was released in the database (retry backoff, sleep, wait); wake locally at this time.
    Released { wake_at: Option<DateTime<Utc>> },
    /// The run is ending (cancelled or timed out meanwhile): run its cleanup under this lease now.
    Ending,
    /// A fenced write was refused: another attempt owns the run now.
    LeaseLost,
    /// The replay found history the code does not expect: park the run with this detail.
    Park(Value),
    /// The run cannot go on (undecodable history, invalid use): fail it.
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
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert(s);
        self.suspended.cancel();
        std::future::pending()
    }

    /// The first journal entry the workflow did not reach, once it has returned: history left over
    /// means the code now does less than the code that wrote it.
    pub(crate) fn leftover(&self) -> Option<Value> {
        let reached = self.next_seq.load(Ordering::Relaxed);
        let (seq, record) = self
            .history
            .iter()
            .filter(|(seq, _)| **seq >= reached)
            .min_by_key(|(seq, _)| **seq)?;
        Some(mismatch(
            *seq,
            "the workflow returned",
            Some((record.kind, &record.name)),
        ))
    }
}

/// The detail of a parked run's nondeterminism: the position, what the code asked for, what the
/// journal holds there.
fn mismatch(seq: i32, expected: &str, found: Option<(EntryKind, &str)>) -> Value {
    json!({
        "code": "nondeterministic",
        "message": format!("the replay diverged from the journal at position {seq}"),
        "position": seq,
        "expected": expected,
        "found": found.map(|(kind, name)| json!({ "kind": kind.as_str(), "name": name })),
    })
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
    seq: i32,
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

    /// A key that is the same for every attempt of this step (run id and position): pass it to
    /// the external calls the step makes, so a retried or re-run step does its effect once.
    pub fn idempotency_key(&self) -> String {
        format!("{}:{}", self.run_id, self.seq)
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

    /// Gives up after this long (fixed when the wait first begins, by the database clock).
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

    /// The recorded entry at `seq`, after checking that it is the same kind of entry with the same
    /// name; a different one parks the run.
    async fn replayed(&self, seq: i32, kind: EntryKind, name: &str) -> Option<StepRecord> {
        let record = self.attempt.history.get(&seq)?.clone();
        if record.kind != kind || record.name != name {
            let expected = format!("{} {name:?}", kind.as_str());
            let detail = mismatch(seq, &expected, Some((record.kind, &record.name)));
            self.suspend(Suspension::Park(detail)).await;
        }
        Some(record)
    }

    async fn suspend(&self, s: Suspension) -> ! {
        match self.attempt.suspend_with(s).await {}
    }

    async fn fatal(&self, code: &str, message: String) -> ! {
        self.suspend(Suspension::Fatal(WorkflowError::new(code, message)))
            .await
    }

    /// A durable write failed (the database is unreachable or kept conflicting): give the attempt
    /// up without failing the run; its lease expires and the run is rescued and replayed.
    async fn abandon(&self, error: String) -> ! {
        tracing::error!(run_id = %self.attempt.run_id, error.message = %error, "durable write failed; attempt abandoned");
        self.suspend(Suspension::LeaseLost).await
    }

    async fn on_release(&self, released: crate::Result<Released>) -> ! {
        match released {
            Ok(Released::Due(at)) => {
                self.suspend(Suspension::Released { wake_at: Some(at) })
                    .await
            }
            Ok(Released::Ending) => self.suspend(Suspension::Ending).await,
            Ok(Released::LeaseLost) => self.suspend(Suspension::LeaseLost).await,
            Err(e) => self.abandon(e.to_string()).await,
        }
    }

    /// Runs a checkpointed step with the default retry policy.
    pub fn step<'s, T, F, Fut>(
        &'s self,
        name: &str,
        body: F,
    ) -> impl Future<Output = Result<T, StepFailed>> + use<'s, T, F, Fut>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, StepError>>,
    {
        self.step_with(name, RetryPolicy::default(), body)
    }

    /// Runs a checkpointed step: once its output is committed it never runs again for this run.
    /// An attempt longer than the policy's timeout is cancelled and counts as a retryable failure.
    /// A retryable error releases the run and retries it after backoff (durably); a terminal error
    /// or exhausted attempts return [`StepFailed`], which is also recorded and replayed.
    pub fn step_with<'s, T, F, Fut>(
        &'s self,
        name: &str,
        policy: RetryPolicy,
        body: F,
    ) -> impl Future<Output = Result<T, StepFailed>> + use<'s, T, F, Fut>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, StepError>>,
    {
        let seq = self.next_seq();
        let name = name.to_owned();
        self.run_step(seq, EntryKind::Step, name, policy, body)
    }

    async fn run_step<T, F, Fut>(
        &self,
        seq: i32,
        kind: EntryKind,
        name: String,
        policy: RetryPolicy,
        body: F,
    ) -> Result<T, StepFailed>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, StepError>>,
    {
        if let Some(record) = self.replayed(seq, kind, &name).await {
            return self.decode_record(record).await;
        }
        if let Err(e) = policy.validate() {
            self.fatal("invalid_policy", format!("step {name}: {e}"))
                .await
        }
        let a = &self.attempt;
        let attempt = if a.failed_seq == Some(seq) {
            a.failed_attempts + 1
        } else {
            1
        };
        let started_at = a.services.db_now();
        let step_ctx = StepContext {
            run_id: a.run_id,
            attempt,
            seq,
            cancel: a.cancel.clone(),
        };
        let span = tracing::info_span!("step", run_id = %a.run_id, step = %name, seq, attempt);
        let timed = tokio::time::timeout(
            policy.timeout,
            AssertUnwindSafe(body(step_ctx)).catch_unwind(),
        )
        .instrument(span)
        .await;
        a.services.metrics.observe_step(
            &name,
            (a.services.db_now() - started_at)
                .to_std()
                .unwrap_or_default(),
        );
        let error = match timed {
            Ok(Ok(Ok(value))) => {
                let output = match serde_json::to_value(&value) {
                    Ok(v) => v,
                    Err(e) => {
                        self.fatal("codec", format!("encode output of step {name}: {e}"))
                            .await
                    }
                };
                let record = StepRecord {
                    kind,
                    name: name.clone(),
                    status: StepStatus::Succeeded,
                    output: Some(output),
                    error: None,
                };
                match self.commit(seq, record, attempt, started_at).await {
                    None => return Ok(value),
                    Some(why) => StepError::Terminal(format!("its output cannot be stored: {why}")),
                }
            }
            Ok(Ok(Err(e))) => e,
            Ok(Err(panic)) => StepError::Retryable(format!("panic: {}", panic_message(&panic))),
            Err(_) => {
                StepError::Retryable(format!("timed out after {} ms", policy.timeout.as_millis()))
            }
        };
        let (message, retry) = match &error {
            StepError::Retryable(m) => (m.clone(), policy.allows_retry_after(attempt)),
            StepError::Terminal(m) => (m.clone(), false),
        };
        if retry {
            let params = ReleaseParams {
                run_id: a.run_id,
                epoch: a.epoch,
                mode: ReleaseMode::Retry,
                delay: policy.delay_after(attempt),
                run_at: None,
                failed_seq: Some(seq),
                failed_attempts: attempt,
                sleep_seq: None,
                event: Some(NewEvent {
                    run_id: a.run_id,
                    kind: "step_retry_scheduled",
                    step_seq: Some(seq),
                    attempt: Some(attempt),
                    detail: json!({ "step": name, "error": message }),
                }),
            };
            self.on_release(store::task::release(&a.services.pool, &params).await)
                .await
        }
        let failed = StepFailed {
            step: name.clone(),
            message,
            attempts: attempt,
        };
        let record = StepRecord {
            kind,
            name,
            status: StepStatus::Failed,
            output: None,
            error: Some(serde_json::to_value(&failed).unwrap_or(Value::Null)),
        };
        if let Some(why) = self.commit(seq, record, attempt, started_at).await {
            self.fatal(
                "unstorable",
                format!("record the failure of step {}: {why}", failed.step),
            )
            .await
        }
        Err(failed)
    }

    /// Commits a journal entry; returns why the database refused it, if it did.
    async fn commit(
        &self,
        seq: i32,
        record: StepRecord,
        attempts: i32,
        started_at: DateTime<Utc>,
    ) -> Option<String> {
        let a = &self.attempt;
        let size = |v: &Option<Value>| v.as_ref().map_or(0, store::json_size);
        let bytes = size(&record.output) + size(&record.error);
        if bytes > a.services.config.max_payload_bytes {
            return Some(format!(
                "it is {bytes} bytes, over the limit of {}",
                a.services.config.max_payload_bytes
            ));
        }
        let write = store::step::NewStep {
            run_id: a.run_id,
            epoch: a.epoch,
            seq,
            record,
            attempts,
            started_at,
            bytes,
        };
        match a.services.completer.step(write).await {
            Ok(StepCommit::Committed) => None,
            Ok(StepCommit::Unstorable(why)) => Some(why),
            Ok(StepCommit::LeaseLost) => self.suspend(Suspension::LeaseLost).await,
            Err(e) => self.abandon(e).await,
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
                        self.fatal("codec", msg).await
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

    /// Sleeps durably: survives restarts and holds no worker while sleeping. The wake-up is fixed
    /// by the database clock when the sleep is first reached.
    pub fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + use<'_> {
        let seq = self.next_seq();
        self.sleep_at(seq, Err(duration))
    }

    /// Sleeps durably until the given instant (from [`WorkflowContext::now`], the database clock).
    pub fn sleep_until(&self, wake_at: DateTime<Utc>) -> impl Future<Output = ()> + use<'_> {
        let seq = self.next_seq();
        self.sleep_at(seq, Ok(wake_at))
    }

    async fn sleep_at(&self, seq: i32, until: Result<DateTime<Utc>, Duration>) {
        let a = &self.attempt;
        let recorded = match self.replayed(seq, EntryKind::Sleep, "sleep").await {
            Some(r) => {
                let wake_at = r.output.as_ref().and_then(|o| o.get("wake_at")).cloned();
                match wake_at.and_then(|w| serde_json::from_value::<DateTime<Utc>>(w).ok()) {
                    Some(w) => Some(w),
                    None => {
                        self.fatal("codec", "sleep record without wake_at".into())
                            .await
                    }
                }
            }
            None => None,
        };
        let (delay, run_at) = match (recorded, until) {
            (Some(w), _) => {
                if w <= a.services.db_now() {
                    return;
                }
                (Duration::ZERO, Some(w))
            }
            (None, Ok(w)) => (Duration::ZERO, Some(w)),
            (None, Err(d)) if d > LONGEST => {
                self.fatal(
                    "invalid_sleep",
                    format!("a sleep of {d:?} is longer than ten years"),
                )
                .await
            }
            (None, Err(d)) => (d, None),
        };
        let params = ReleaseParams {
            run_id: a.run_id,
            epoch: a.epoch,
            mode: ReleaseMode::Sleep,
            delay,
            run_at,
            failed_seq: None,
            failed_attempts: 0,
            sleep_seq: recorded.is_none().then_some(seq),
            event: None,
        };
        self.on_release(store::task::release(&a.services.pool, &params).await)
            .await
    }

    /// Waits for a signal. A signal sent before the wait begins is kept and delivered here; each
    /// signal is delivered to exactly one wait. While waiting the run holds no worker and no
    /// connection; a pausing wait also stops the run's time budget.
    pub fn wait<T: DeserializeOwned>(
        &self,
        wait: Wait,
    ) -> impl Future<Output = Result<WaitOutcome<T>, WorkflowError>> + use<'_, T> {
        let seq = self.next_seq();
        self.wait_at(seq, wait)
    }

    async fn wait_at<T: DeserializeOwned>(
        &self,
        seq: i32,
        wait: Wait,
    ) -> Result<WaitOutcome<T>, WorkflowError> {
        let name = format!("wait:{}", wait.signal);
        if let Some(record) = self.replayed(seq, EntryKind::Wait, &name).await {
            let output = record.output.unwrap_or(Value::Null);
            if let Some(pausing) = output.get("pausing").and_then(Value::as_bool)
                && pausing != wait.pausing
            {
                let expected = format!("wait {name:?} (pausing: {})", wait.pausing);
                let found = format!("{name} (pausing: {pausing})");
                let detail = mismatch(seq, &expected, Some((EntryKind::Wait, &found)));
                self.suspend(Suspension::Park(detail)).await
            }
            return match output.get("signal") {
                Some(payload) => Ok(WaitOutcome::Signal(serde_json::from_value(
                    payload.clone(),
                )?)),
                None => Ok(WaitOutcome::Deadline),
            };
        }
        if wait.timeout.is_some_and(|t| t > LONGEST) {
            self.fatal(
                "invalid_wait",
                "a wait timeout longer than ten years".into(),
            )
            .await
        }
        let a = &self.attempt;
        let params = store::signal::WaitParams {
            run_id: a.run_id,
            epoch: a.epoch,
            seq,
            signal: &wait.signal,
            pausing: wait.pausing,
            timeout: wait.timeout,
        };
        match store::signal::wait(&a.services.pool, &params).await {
            Ok(store::signal::WaitResult::Signalled(payload)) => {
                Ok(WaitOutcome::Signal(serde_json::from_value(payload)?))
            }
            Ok(store::signal::WaitResult::Deadline) => Ok(WaitOutcome::Deadline),
            Ok(store::signal::WaitResult::Waiting) => {
                let wake_at = wait.timeout.map(|t| {
                    a.services.db_now() + chrono::Duration::from_std(t).unwrap_or_default()
                });
                self.suspend(Suspension::Released { wake_at }).await
            }
            Ok(store::signal::WaitResult::Ending) => self.suspend(Suspension::Ending).await,
            Ok(store::signal::WaitResult::Mismatch(found)) => {
                let expected = format!("wait {name:?} (pausing: {})", wait.pausing);
                let found_name = format!(
                    "wait:{} (pausing: {})",
                    found
                        .get("signal")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    found
                        .get("pausing")
                        .and_then(Value::as_bool)
                        .unwrap_or_default()
                );
                let detail = mismatch(seq, &expected, Some((EntryKind::Wait, &found_name)));
                self.suspend(Suspension::Park(detail)).await
            }
            Ok(store::signal::WaitResult::LeaseLost) => self.suspend(Suspension::LeaseLost).await,
            Err(e) => self.abandon(e.to_string()).await,
        }
    }

    /// The current time by the database clock, recorded on first call so replays see the same
    /// instant.
    pub fn now(&self) -> impl Future<Output = DateTime<Utc>> + use<'_> {
        let seq = self.next_seq();
        async move {
            let now = self.attempt.services.db_now();
            self.run_step(
                seq,
                EntryKind::Now,
                "now".into(),
                RetryPolicy::no_retry(),
                |_| async move { Ok(now) },
            )
            .await
            .unwrap_or(now)
        }
    }

    /// A fresh UUID, recorded on first call so replays see the same id.
    pub fn uuid(&self) -> impl Future<Output = Uuid> + use<'_> {
        let seq = self.next_seq();
        async move {
            let id = Uuid::new_v4();
            self.run_step(
                seq,
                EntryKind::Uuid,
                "uuid".into(),
                RetryPolicy::no_retry(),
                |_| async move { Ok(id) },
            )
            .await
            .unwrap_or(id)
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
