//! One attempt of a run: replay the workflow over its history, run the next steps, and end in
//! exactly one of: finished, suspended (claim released), lease lost, cleanup, or handed back.
//! Panics become failed attempts; they never kill the worker.

use std::{
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, atomic::AtomicI32},
};

use chrono::Utc;
use futures::FutureExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::services::{ActiveAttempt, CancelCause, Services};
use crate::{
    EndReason, RetryPolicy, StepError, WorkflowContext, WorkflowError,
    context::{Attempt, Suspension, panic_message},
    store::{self, StepRecord, flow_event::NewEvent, task::Claimed},
    workflow::ErasedWorkflow,
};

/// Seq under which cleanup retries are counted.
const CLEANUP_SEQ: i32 = -1;

/// Runs one claimed attempt to its end.
pub(crate) async fn execute(
    services: Arc<Services>,
    claimed: Claimed,
    history: std::collections::HashMap<i32, StepRecord>,
) {
    let span = tracing::info_span!("attempt", run_id = %claimed.run_id, kind = %claimed.kind, epoch = claimed.epoch);
    let run_id = claimed.run_id;
    async {
        let cancel = CancellationToken::new();
        services
            .active
            .lock()
            .expect("active attempts lock")
            .insert(
                run_id,
                ActiveAttempt {
                    epoch: claimed.epoch,
                    cancel: cancel.clone(),
                    cause: None,
                    in_cleanup: false,
                },
            );
        run_attempt(&services, claimed, history, cancel).await;
        services
            .active
            .lock()
            .expect("active attempts lock")
            .remove(&run_id);
    }
    .instrument(span)
    .await
}

fn cause_of(services: &Services, run_id: uuid::Uuid) -> Option<CancelCause> {
    services
        .active
        .lock()
        .expect("active attempts lock")
        .get(&run_id)
        .and_then(|a| a.cause)
}

async fn run_attempt(
    services: &Arc<Services>,
    claimed: Claimed,
    history: std::collections::HashMap<i32, StepRecord>,
    cancel: CancellationToken,
) {
    let Some(workflow) = services.registry.get(&claimed.kind) else {
        // Another deployment may know this kind: hand it back for later and say why.
        let detail = json!({ "code": "unknown_kind", "kind": claimed.kind, "worker": services.config.worker_id });
        release(
            services,
            &claimed,
            Utc::now() + chrono::Duration::seconds(30),
            "attempt_skipped",
            detail,
        )
        .await;
        return;
    };
    if let Some(reason) = claimed.end_reason.as_deref().and_then(EndReason::parse) {
        cleanup(services, &claimed, workflow, reason).await;
        return;
    }
    let attempt = Arc::new(Attempt {
        run_id: claimed.run_id,
        epoch: claimed.epoch,
        history,
        failed_seq: claimed.failed_seq,
        failed_attempts: claimed.failed_attempts,
        next_seq: AtomicI32::new(0),
        suspension: Mutex::new(None),
        suspended: CancellationToken::new(),
        cancel: cancel.clone(),
        services: services.clone(),
    });
    let ctx = WorkflowContext::new(attempt.clone());
    let body = AssertUnwindSafe(workflow.clone().run(ctx, claimed.input.clone())).catch_unwind();
    let deadline = async {
        match claimed.deadline_at {
            Some(at) => tokio::time::sleep((at - Utc::now()).to_std().unwrap_or_default()).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        _ = attempt.suspended.cancelled() => {
            let suspension = attempt.suspension.lock().expect("suspension lock").clone();
            match suspension {
                Some(Suspension::Released { wake_at }) => schedule_wake(services, &claimed, wake_at),
                Some(Suspension::Fatal(err)) => fail(services, &claimed, workflow, err).await,
                Some(Suspension::LeaseLost) | None => {
                    tracing::warn!(run_id = %claimed.run_id, "lease lost; attempt abandoned");
                }
            }
        }
        _ = cancel.cancelled() => on_cancel(services, &claimed, workflow).await,
        _ = deadline => {
            let detail = json!({ "code": "budget_exhausted", "message": "the run spent its time budget" });
            match store::run::terminate(&services.pool, claimed.run_id, "timed_out", &detail).await {
                Ok(_) => cleanup(services, &claimed, workflow, EndReason::TimedOut).await,
                Err(e) => tracing::error!(error.message = %e, "time out run"),
            }
        }
        result = body => match result {
            Ok(Ok(output)) => finish(services, &claimed, "succeeded", Some(output), None).await,
            Ok(Err(err)) => fail(services, &claimed, workflow, err).await,
            Err(panic) => {
                let message = format!("panic: {}", panic_message(&panic));
                retry_later(services, &claimed, attempt.next_seq.load(std::sync::atomic::Ordering::Relaxed), &message).await;
            }
        },
    }
}

async fn on_cancel(services: &Arc<Services>, claimed: &Claimed, workflow: Arc<dyn ErasedWorkflow>) {
    match cause_of(services, claimed.run_id) {
        Some(CancelCause::Terminated) => {
            // The run is ending: find out why and run its cleanup under this lease.
            let reason = match store::run::get(&services.pool, claimed.run_id).await {
                Ok(Some(row)) => {
                    use sqlx::Row;
                    row.get::<Option<String>, _>("end_reason")
                        .as_deref()
                        .and_then(EndReason::parse)
                }
                _ => None,
            };
            cleanup(
                services,
                claimed,
                workflow,
                reason.unwrap_or(EndReason::Cancelled),
            )
            .await;
        }
        Some(CancelCause::Shutdown) => {
            let detail = json!({ "cause": CancelCause::Shutdown.as_str(), "worker": services.config.worker_id });
            release(services, claimed, Utc::now(), "attempt_cancelled", detail).await;
        }
        Some(CancelCause::LeaseLost) | None => {
            tracing::warn!(run_id = %claimed.run_id, "lease lost; attempt stopped");
        }
    }
}

/// The workflow returned an error (or cannot go on): mark the run failing, then clean up.
async fn fail(
    services: &Arc<Services>,
    claimed: &Claimed,
    workflow: Arc<dyn ErasedWorkflow>,
    err: WorkflowError,
) {
    let error = serde_json::to_value(&err).unwrap_or(Value::Null);
    match store::run::fail_if_leased(&services.pool, claimed.run_id, claimed.epoch, &error).await {
        Ok(_) => cleanup(services, claimed, workflow, EndReason::Failed).await,
        Err(e) => tracing::error!(error.message = %e, "mark run failed"),
    }
}

/// Runs the workflow's cleanup, then ends the run with the reason as its status.
async fn cleanup(
    services: &Arc<Services>,
    claimed: &Claimed,
    workflow: Arc<dyn ErasedWorkflow>,
    reason: EndReason,
) {
    let cancel = CancellationToken::new();
    if let Some(a) = services
        .active
        .lock()
        .expect("active attempts lock")
        .get_mut(&claimed.run_id)
    {
        a.in_cleanup = true;
        if a.cause == Some(CancelCause::Terminated) {
            a.cause = None;
            a.cancel = cancel.clone();
        }
    }
    let attempt = if claimed.failed_seq == Some(CLEANUP_SEQ) {
        claimed.failed_attempts + 1
    } else {
        1
    };
    let policy: RetryPolicy = workflow.cleanup_policy();
    let body = AssertUnwindSafe(workflow.cleanup(claimed.run_id, claimed.input.clone(), reason))
        .catch_unwind();
    let result = tokio::select! {
        r = body => r,
        _ = cancel.cancelled() => {
            if cause_of(services, claimed.run_id) == Some(CancelCause::Shutdown) {
                let detail = json!({ "cause": CancelCause::Shutdown.as_str(), "phase": "cleanup" });
                release(services, claimed, Utc::now(), "attempt_cancelled", detail).await;
            }
            return;
        }
    };
    let error = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(panic) => Some(StepError::Retryable(format!(
            "panic: {}",
            panic_message(&panic)
        ))),
    };
    if let Some(e) = error {
        let retry = matches!(e, StepError::Retryable(_)) && policy.allows_retry_after(attempt);
        if retry {
            let run_at = Utc::now() + policy.delay_after(attempt);
            let params = store::task::ReleaseParams {
                run_id: claimed.run_id,
                epoch: claimed.epoch,
                run_at,
                failed_seq: Some(CLEANUP_SEQ),
                failed_attempts: attempt,
            };
            let event = NewEvent {
                run_id: claimed.run_id,
                kind: "cleanup_retry_scheduled",
                step_seq: Some(CLEANUP_SEQ),
                attempt: Some(attempt),
                detail: json!({ "error": e.to_string(), "retry_at": run_at }),
            };
            if let Err(err) = store::task::release_with_event(&services.pool, &params, &event).await
            {
                tracing::error!(error.message = %err, "schedule cleanup retry");
            }
            schedule_wake(services, claimed, Some(run_at));
            return;
        }
        let event = NewEvent {
            run_id: claimed.run_id,
            kind: "cleanup_failed",
            step_seq: Some(CLEANUP_SEQ),
            attempt: Some(attempt),
            detail: json!({ "error": e.to_string() }),
        };
        if let Err(err) = store::flow_event::insert(&services.pool, &event).await {
            tracing::error!(error.message = %err, "record cleanup failure");
        }
    }
    finish(services, claimed, reason.as_str(), None, None).await;
}

async fn finish(
    services: &Services,
    claimed: &Claimed,
    status: &'static str,
    output: Option<Value>,
    error: Option<Value>,
) {
    let completion = store::task::Completion {
        run_id: claimed.run_id,
        epoch: claimed.epoch,
        status,
        output,
        error,
    };
    match services.completer.finish(completion).await {
        Ok(true) => tracing::debug!(run_id = %claimed.run_id, status, "run finished"),
        Ok(false) => tracing::warn!(run_id = %claimed.run_id, "lease lost before finish"),
        Err(e) => tracing::error!(run_id = %claimed.run_id, error.message = %e, "finish run"),
    }
}

/// A panic outside any step: retry the attempt after backoff, counted against the next step.
async fn retry_later(services: &Arc<Services>, claimed: &Claimed, seq: i32, message: &str) {
    let policy = RetryPolicy::default();
    let attempt = if claimed.failed_seq == Some(seq) {
        claimed.failed_attempts + 1
    } else {
        1
    };
    let run_at = Utc::now() + policy.delay_after(attempt);
    let params = store::task::ReleaseParams {
        run_id: claimed.run_id,
        epoch: claimed.epoch,
        run_at,
        failed_seq: Some(seq),
        failed_attempts: attempt,
    };
    let event = NewEvent {
        run_id: claimed.run_id,
        kind: "attempt_panicked",
        step_seq: Some(seq),
        attempt: Some(attempt),
        detail: json!({ "error": message, "retry_at": run_at }),
    };
    if let Err(e) = store::task::release_with_event(&services.pool, &params, &event).await {
        tracing::error!(error.message = %e, "schedule retry after panic");
    }
    schedule_wake(services, claimed, Some(run_at));
}

/// Hands the task back as ready at `run_at`, with an audit event.
async fn release(
    services: &Services,
    claimed: &Claimed,
    run_at: chrono::DateTime<Utc>,
    kind: &str,
    detail: Value,
) {
    let params = store::task::ReleaseParams {
        run_id: claimed.run_id,
        epoch: claimed.epoch,
        run_at,
        failed_seq: None,
        failed_attempts: 0,
    };
    let event = NewEvent {
        run_id: claimed.run_id,
        kind,
        step_seq: None,
        attempt: None,
        detail,
    };
    if let Err(e) = store::task::release_with_event(&services.pool, &params, &event).await {
        tracing::error!(error.message = %e, "hand task back");
    }
}

/// Wakes this process's claimer when a released task becomes due (other processes poll).
fn schedule_wake(
    services: &Arc<Services>,
    claimed: &Claimed,
    wake_at: Option<chrono::DateTime<Utc>>,
) {
    let Some(at) = wake_at else { return };
    // Weak: a pending wake-up must not keep a stopped worker's services alive.
    let services = Arc::downgrade(services);
    let queue = claimed.queue.clone();
    tokio::spawn(async move {
        tokio::time::sleep((at - Utc::now()).to_std().unwrap_or_default()).await;
        if let Some(services) = services.upgrade() {
            services.wake(&queue);
        }
    });
}
