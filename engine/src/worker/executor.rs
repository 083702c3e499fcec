//! One attempt of a run: replay the workflow over its journal, run the next steps, and end in
//! exactly one of: finished, suspended (claim released), parked, lease lost, cleanup, or handed back.
//! Panics become failed attempts; they never kill the worker. Every transition the attempt makes is
//! fenced by its epoch, and its cleanup runs only while it holds the lease.

use std::{
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, atomic::AtomicI32},
    time::Duration,
};

use futures::FutureExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{
    completer::FinishCommit,
    services::{AttemptKey, CancelCause, Registration, Services},
    slot::{NotStarted, Slot},
};
use crate::{
    EndReason, StepError, WorkflowContext, WorkflowError,
    context::{Attempt, Suspension, panic_message},
    store::{
        self, StepRecord,
        flow_event::NewEvent,
        run::Ending,
        task::{Claimed, Completed, Completion, ReleaseMode, ReleaseParams, Released},
    },
    workflow::ErasedWorkflow,
};

/// Seq under which cleanup retries are counted.
const CLEANUP_SEQ: i32 = -1;

/// How long a run this worker cannot run waits before it is offered again.
const SKIP_DELAY: Duration = Duration::from_secs(30);

/// Runs one claimed, registered attempt to its end in its queue slot; the registration is dropped
/// (and the attempt removed from the table) however it ends.
pub(crate) async fn execute(
    services: Arc<Services>,
    claimed: Claimed,
    history: std::collections::HashMap<i32, StepRecord>,
    cancel: CancellationToken,
    registration: Registration,
    slot: Slot,
) {
    let span = tracing::info_span!("attempt", run_id = %claimed.run_id, kind = %claimed.kind, epoch = claimed.epoch);
    crate::trace::attach(&span, claimed.trace_parent.as_deref());
    async {
        let _registration = registration;
        let attempt = Executor {
            services: &services,
            claimed: &claimed,
            slot: &slot,
        };
        attempt.run(history, cancel).await;
    }
    .instrument(span)
    .await
}

struct Executor<'a> {
    services: &'a Arc<Services>,
    claimed: &'a Claimed,
    /// Given back while the run's end is committed, taken again before a cleanup runs.
    slot: &'a Slot,
}

impl Executor<'_> {
    fn key(&self) -> AttemptKey {
        (self.claimed.run_id, self.claimed.epoch)
    }

    async fn run(
        &self,
        history: std::collections::HashMap<i32, StepRecord>,
        cancel: CancellationToken,
    ) {
        let c = self.claimed;
        let Some(workflow) = self.services.registry.get(&c.kind) else {
            let detail = json!({ "code": "unknown_kind", "message": format!("no worker here knows the workflow kind {:?}", c.kind), "kind": c.kind });
            self.skip(detail).await;
            return;
        };
        let version = workflow.version();
        if i64::from(c.code_version) > i64::from(version) {
            let detail = json!({
                "code": "code_version_ahead",
                "message": format!("the run was started by code version {} of {:?}; this worker has version {version}", c.code_version, c.kind),
                "kind": c.kind, "run_version": c.code_version, "worker_version": version,
            });
            self.skip(detail).await;
            return;
        }
        if let Some(reason) = c.end_reason.as_deref().and_then(EndReason::parse) {
            self.cleanup(workflow, reason).await;
            return;
        }
        let waited = match self.slot.start(&cancel).await {
            Ok(waited) => waited,
            Err(NotStarted::Cancelled) => return self.on_cancel(workflow).await,
            Err(NotStarted::ShuttingDown) => return self.hand_back("queued").await,
        };
        let attempt = Arc::new(Attempt {
            run_id: c.run_id,
            epoch: c.epoch,
            history,
            failed_seq: c.failed_seq,
            failed_attempts: c.failed_attempts,
            next_seq: AtomicI32::new(0),
            suspension: Mutex::new(None),
            suspended: CancellationToken::new(),
            cancel: cancel.clone(),
            services: self.services.clone(),
        });
        let ctx = WorkflowContext::new(attempt.clone());
        let body = AssertUnwindSafe(workflow.clone().run(ctx, c.input.clone())).catch_unwind();
        // The budget kept running while the attempt waited for its slot.
        let mut budget_left = c
            .remaining_ms
            .map(|ms| Duration::from_millis(ms.max(0) as u64).saturating_sub(waited));
        tokio::pin!(body);
        loop {
            let deadline = async {
                match budget_left {
                    Some(left) => tokio::time::sleep(left).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = attempt.suspended.cancelled() => {
                    let suspension = attempt.suspension.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
                    match suspension {
                        Some(Suspension::Released { wake_at }) => self.schedule_wake(wake_at),
                        Some(Suspension::Ending) => self.clean_up_for_end(workflow).await,
                        Some(Suspension::Park(detail)) => self.park(detail).await,
                        Some(Suspension::Fatal(err)) => self.fail(workflow, err).await,
                        Some(Suspension::LeaseLost) | None => {
                            tracing::warn!(run_id = %c.run_id, "lease lost; attempt abandoned");
                        }
                    }
                    return;
                }
                _ = cancel.cancelled() => {
                    self.on_cancel(workflow).await;
                    return;
                }
                _ = deadline => {
                    let detail = json!({ "code": "budget_exhausted", "message": "the run spent its time budget" });
                    match store::run::end_if_leased(&self.services.pool, c.run_id, c.epoch, Some("timed_out"), &detail).await {
                        // The database clock says there is time left: wait for it.
                        Ok(Ending::NotDue) => budget_left = Some(Duration::from_millis(100)),
                        Ok(ending) => {
                            self.clean_up_after(workflow, ending).await;
                            return;
                        }
                        Err(e) => {
                            tracing::error!(error.message = %e, "time out run");
                            return;
                        }
                    }
                }
                result = &mut body => {
                    match result {
                        Ok(outcome) => match attempt.leftover() {
                            Some(detail) => self.park(detail).await,
                            None => match outcome {
                                Ok(output) => self.succeed(workflow, output).await,
                                Err(err) => self.fail(workflow, err).await,
                            },
                        },
                        Err(panic) => {
                            let message = format!("panic: {}", panic_message(&panic));
                            let seq = attempt.next_seq.load(std::sync::atomic::Ordering::Relaxed);
                            self.retry_after_panic(workflow, seq, &message).await;
                        }
                    }
                    return;
                }
            }
        }
    }

    /// This worker cannot run the run: hand it back for a worker that can, and park it after the
    /// configured number of hand-backs (its slots are given back; inspection says why).
    async fn skip(&self, detail: Value) {
        let c = self.claimed;
        if c.skips + 1 >= self.services.config.max_skips {
            self.park(detail).await;
            return;
        }
        let params = ReleaseParams {
            run_id: c.run_id,
            epoch: c.epoch,
            mode: ReleaseMode::Skip,
            delay: SKIP_DELAY,
            run_at: None,
            failed_seq: None,
            failed_attempts: 0,
            sleep_seq: None,
            event: None,
        };
        if let Err(e) = store::task::release(&self.services.pool, &params).await {
            tracing::error!(error.message = %e, "hand back a run this worker cannot run");
        }
    }

    async fn park(&self, detail: Value) {
        let c = self.claimed;
        let code = detail
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("parked")
            .to_owned();
        match store::task::park(&self.services.pool, c.run_id, c.epoch, &detail).await {
            Ok(true) => {
                self.services.metrics.parked(&code);
                tracing::warn!(run_id = %c.run_id, reason = %code, detail = %detail, "run parked");
            }
            Ok(false) => tracing::warn!(run_id = %c.run_id, "lease lost before parking"),
            Err(e) => tracing::error!(run_id = %c.run_id, error.message = %e, "park run"),
        }
    }

    async fn on_cancel(&self, workflow: Arc<dyn ErasedWorkflow>) {
        match self.services.cause_of(self.key()) {
            Some(CancelCause::Terminated) => self.clean_up_for_end(workflow).await,
            Some(CancelCause::Shutdown) => self.hand_back("run").await,
            Some(CancelCause::LeaseLost) | None => {
                tracing::warn!(run_id = %self.claimed.run_id, "lease lost; attempt stopped");
            }
        }
    }

    /// The run is ending: learn its reason under this lease and run its cleanup.
    async fn clean_up_for_end(&self, workflow: Arc<dyn ErasedWorkflow>) {
        let c = self.claimed;
        match store::run::end_if_leased(&self.services.pool, c.run_id, c.epoch, None, &Value::Null)
            .await
        {
            Ok(ending) => self.clean_up_after(workflow, ending).await,
            Err(e) => tracing::error!(error.message = %e, "read the end reason of a run"),
        }
    }

    async fn clean_up_after(&self, workflow: Arc<dyn ErasedWorkflow>, ending: Ending) {
        match ending {
            Ending::Reason(reason) => match EndReason::parse(&reason) {
                Some(reason) => self.cleanup(workflow, reason).await,
                None => tracing::error!(reason, "unknown end reason"),
            },
            Ending::LeaseLost => {
                tracing::warn!(run_id = %self.claimed.run_id, "lease lost; no cleanup by this attempt")
            }
            Ending::None | Ending::NotDue => {
                tracing::warn!(run_id = %self.claimed.run_id, "told to end, but the run has no end reason")
            }
        }
    }

    /// The workflow returned an error (or cannot go on): mark the run failing under this lease,
    /// then clean up for whatever reason the run ends with.
    async fn fail(&self, workflow: Arc<dyn ErasedWorkflow>, err: WorkflowError) {
        let c = self.claimed;
        let error = serde_json::to_value(&err).unwrap_or(Value::Null);
        match store::run::end_if_leased(
            &self.services.pool,
            c.run_id,
            c.epoch,
            Some("failed"),
            &error,
        )
        .await
        {
            Ok(ending) => self.clean_up_after(workflow, ending).await,
            Err(e) => tracing::error!(error.message = %e, "mark run failed"),
        }
    }

    async fn succeed(&self, workflow: Arc<dyn ErasedWorkflow>, output: Value) {
        match self.finish("succeeded", Some(output)).await {
            Some(FinishCommit::Done(Completed::Ending(reason))) => {
                self.clean_up_after(workflow, Ending::Reason(reason)).await
            }
            Some(FinishCommit::Done(Completed::Overdue)) => {
                let detail = json!({ "code": "budget_exhausted", "message": "the run spent its time budget before it finished" });
                let c = self.claimed;
                match store::run::end_if_leased(
                    &self.services.pool,
                    c.run_id,
                    c.epoch,
                    Some("timed_out"),
                    &detail,
                )
                .await
                {
                    Ok(ending) => self.clean_up_after(workflow, ending).await,
                    Err(e) => tracing::error!(error.message = %e, "time out run"),
                }
            }
            Some(FinishCommit::Unstorable(why)) => {
                let err = WorkflowError::new(
                    "unstorable",
                    format!("the run's output cannot be stored: {why}"),
                );
                self.fail(workflow, err).await
            }
            Some(FinishCommit::Done(Completed::Finished(_) | Completed::LeaseLost)) | None => {}
        }
    }

    /// Runs the workflow's cleanup under this lease, then ends the run with the reason as status.
    async fn cleanup(&self, workflow: Arc<dyn ErasedWorkflow>, reason: EndReason) {
        let c = self.claimed;
        self.slot.hold().await;
        let cancel = self.services.enter_cleanup(self.key());
        let attempt = if c.failed_seq == Some(CLEANUP_SEQ) {
            c.failed_attempts + 1
        } else {
            1
        };
        let policy = std::panic::catch_unwind(AssertUnwindSafe(|| workflow.cleanup_policy()))
            .ok()
            .filter(|p| p.validate().is_ok())
            .unwrap_or_default();
        let body =
            AssertUnwindSafe(workflow.cleanup(c.run_id, c.input.clone(), reason)).catch_unwind();
        let result = tokio::select! {
            r = tokio::time::timeout(policy.timeout, body) => r,
            _ = cancel.cancelled() => {
                if self.services.cause_of(self.key()) == Some(CancelCause::Shutdown) {
                    self.hand_back("cleanup").await;
                }
                return;
            }
        };
        let error = match result {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(e))) => Some(e),
            Ok(Err(panic)) => Some(StepError::Retryable(format!(
                "panic: {}",
                panic_message(&panic)
            ))),
            Err(_) => Some(StepError::Retryable(format!(
                "timed out after {} ms",
                policy.timeout.as_millis()
            ))),
        };
        if let Some(e) = error {
            let retry = matches!(e, StepError::Retryable(_)) && policy.allows_retry_after(attempt);
            if retry {
                let params = ReleaseParams {
                    run_id: c.run_id,
                    epoch: c.epoch,
                    mode: ReleaseMode::CleanupRetry,
                    delay: policy.delay_after(attempt),
                    run_at: None,
                    failed_seq: Some(CLEANUP_SEQ),
                    failed_attempts: attempt,
                    sleep_seq: None,
                    event: Some(NewEvent {
                        run_id: c.run_id,
                        kind: "cleanup_retry_scheduled",
                        step_seq: Some(CLEANUP_SEQ),
                        attempt: Some(attempt),
                        detail: json!({ "error": e.to_string() }),
                    }),
                };
                match store::task::release(&self.services.pool, &params).await {
                    Ok(Released::Due(at)) => self.schedule_wake(Some(at)),
                    Ok(_) => {
                        tracing::warn!(run_id = %c.run_id, "lease lost before the cleanup retry")
                    }
                    Err(err) => tracing::error!(error.message = %err, "schedule cleanup retry"),
                }
                return;
            }
            let event = NewEvent {
                run_id: c.run_id,
                kind: "cleanup_failed",
                step_seq: Some(CLEANUP_SEQ),
                attempt: Some(attempt),
                detail: json!({ "error": e.to_string() }),
            };
            match store::flow_event::insert_if_leased(&self.services.pool, c.epoch, &event).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(run_id = %c.run_id, "lease lost during cleanup");
                    return;
                }
                Err(err) => tracing::error!(error.message = %err, "record cleanup failure"),
            }
        }
        match self.finish(reason.as_str(), None).await {
            Some(FinishCommit::Done(Completed::Finished(_) | Completed::LeaseLost)) | None => {}
            Some(other) => {
                tracing::error!(run_id = %c.run_id, outcome = ?other, "cleanup finish refused")
            }
        }
    }

    /// Writes the run's final status through the completer; returns what happened (none when the
    /// write itself failed, which leaves the run to be rescued).
    async fn finish(&self, status: &'static str, output: Option<Value>) -> Option<FinishCommit> {
        let c = self.claimed;
        let completion = Completion {
            run_id: c.run_id,
            epoch: c.epoch,
            status,
            bytes: output.as_ref().map_or(0, store::json_size),
            output,
            error: None,
        };
        let committed = self
            .slot
            .released_while(self.services.completer.finish(completion))
            .await;
        match committed {
            Ok(done) => {
                match &done {
                    FinishCommit::Done(Completed::Finished(_)) => self.log_end(status).await,
                    FinishCommit::Done(Completed::LeaseLost) => {
                        tracing::warn!(run_id = %c.run_id, "lease lost before finish")
                    }
                    _ => {}
                }
                Some(done)
            }
            Err(e) => {
                tracing::error!(run_id = %c.run_id, error.message = %e, "finish run");
                None
            }
        }
    }

    /// The one line a run's end gets at the default level: kind, status and, unless it
    /// succeeded, the stored reason's code (read once: ends other than success are rare).
    async fn log_end(&self, status: &'static str) {
        let c = self.claimed;
        if status == "succeeded" {
            tracing::info!(run_id = %c.run_id, kind = %c.kind, status, "run ended");
            return;
        }
        let reason: Option<String> =
            sqlx::query_scalar("select error->>'code' from workflow_runs where id = $1")
                .bind(c.run_id)
                .fetch_optional(&self.services.pool)
                .await
                .ok()
                .flatten();
        let reason = reason.as_deref().unwrap_or(status);
        tracing::info!(run_id = %c.run_id, kind = %c.kind, status, reason, "run ended");
    }

    /// A panic outside any step: retried after backoff, counted against the next position, up to
    /// the configured panic policy's attempts; then the run fails.
    async fn retry_after_panic(&self, workflow: Arc<dyn ErasedWorkflow>, seq: i32, message: &str) {
        let c = self.claimed;
        let policy = self.services.config.panic_policy;
        let attempt = if c.failed_seq == Some(seq) {
            c.failed_attempts + 1
        } else {
            1
        };
        if !policy.allows_retry_after(attempt) {
            let err = WorkflowError::new(
                "panic",
                format!("the workflow panicked outside a step {attempt} times: {message}"),
            );
            self.fail(workflow, err).await;
            return;
        }
        let params = ReleaseParams {
            run_id: c.run_id,
            epoch: c.epoch,
            mode: ReleaseMode::Retry,
            delay: policy.delay_after(attempt),
            run_at: None,
            failed_seq: Some(seq),
            failed_attempts: attempt,
            sleep_seq: None,
            event: Some(NewEvent {
                run_id: c.run_id,
                kind: "attempt_panicked",
                step_seq: Some(seq),
                attempt: Some(attempt),
                detail: json!({ "error": message }),
            }),
        };
        match store::task::release(&self.services.pool, &params).await {
            Ok(Released::Due(at)) => self.schedule_wake(Some(at)),
            Ok(Released::Ending) => self.clean_up_for_end(workflow).await,
            Ok(Released::LeaseLost) => {}
            Err(e) => tracing::error!(error.message = %e, "schedule retry after panic"),
        }
    }

    /// Hands the run back at once (shutdown), with an audit event.
    async fn hand_back(&self, phase: &str) {
        let c = self.claimed;
        let params = ReleaseParams {
            run_id: c.run_id,
            epoch: c.epoch,
            mode: ReleaseMode::Handback,
            delay: Duration::ZERO,
            run_at: None,
            failed_seq: None,
            failed_attempts: 0,
            sleep_seq: None,
            event: Some(NewEvent {
                run_id: c.run_id,
                kind: "attempt_cancelled",
                step_seq: None,
                attempt: None,
                detail: json!({ "cause": CancelCause::Shutdown.as_str(), "phase": phase, "worker": self.services.config.worker_id }),
            }),
        };
        if let Err(e) = store::task::release(&self.services.pool, &params).await {
            tracing::error!(error.message = %e, "hand task back");
        }
    }

    /// Wakes this process's claimer when a released task becomes due (other processes poll).
    fn schedule_wake(&self, wake_at: Option<chrono::DateTime<chrono::Utc>>) {
        let Some(at) = wake_at else { return };
        let delay = self.services.until(at);
        // Weak: a pending wake-up must not keep a stopped worker's services alive.
        let services = Arc::downgrade(self.services);
        let queue = self.claimed.queue.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(services) = services.upgrade() {
                services.wake(&queue);
            }
        });
    }
}
