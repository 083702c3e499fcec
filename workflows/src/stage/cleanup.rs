//! The cleanup of a stage run that failed, was cancelled or timed out.
//!
//! Local bookkeeping comes first and never waits on GitHub: the run's tokens are revoked, its
//! mirror says how it ended and why (`agent_runs.status`, `failure`), its runtime is released;
//! the engine gives its slots back when the cleanup returns, whatever GitHub did. Then GitHub: the
//! thread gets `need:input` when GitHub kept rate-limiting past the bound, or when a reviewer run
//! failed or timed out (the pre-review gate has no verdict: the Owner decides, and the pull request
//! loses `need:reviewer`), and the status comment says why the run ended and what the Owner can
//! do. A GitHub refusal is logged once and returned with its cause (status and GitHub's message):
//! retried only when a retry can help (5xx, rate limits), so a revoked token ends the cleanup at
//! once, its cause in the `cleanup_failed` event.

use engine::{EndReason, StepError};
use uuid::Uuid;

use super::{
    comment::{self, Outcome, Phase, StatusView},
    failure::Cause,
    links, review_gate, workflow,
};
use crate::{
    github::Error as GitHubError,
    platform::Platform,
    policy::NeedLabel,
    store::{agent_run, link, run_token},
};

fn retryable(e: impl std::fmt::Display) -> StepError {
    StepError::retryable(e)
}

/// Ends stage run `run_id` for `reason` (see the module's comment).
pub(super) async fn run(p: &Platform, run_id: Uuid, reason: EndReason) -> Result<(), StepError> {
    let Some(run) = agent_run::get(&p.pool, run_id).await.map_err(retryable)? else {
        return Ok(());
    };
    let error = p.client().get_run(run_id).await.map_err(retryable)?.error;
    let cause = Cause::of_run_error(error.as_ref());
    run_token::revoke_for_run(&p.pool, run_id)
        .await
        .map_err(retryable)?;
    let failure = cause.as_ref().map(Cause::record);
    agent_run::set_ended(&p.pool, run_id, reason.as_str(), failure.as_deref())
        .await
        .map_err(retryable)?;
    let ws = p
        .runtime
        .prepare(&workflow::spec(&run, String::new()))
        .await
        .map_err(retryable)?;
    p.runtime.release(&ws).await.map_err(retryable)?;

    let mut refused = Vec::new();
    let thread = run.thread_number as u64;
    // A pre-review cancelled by a person was ended on purpose; one that failed leaves the gate open.
    let gate_unresolved = run.kind == "reviewer" && reason != EndReason::Cancelled;
    let catalog = p.policy.catalog();
    if gate_unresolved && let Some(pr) = run.pull_request_number {
        let reviewer = catalog.need(NeedLabel::Reviewer).as_str();
        if let Err(e) = p
            .code_host
            .remove_label(&run.repository, pr as u64, reviewer)
            .await
        {
            refused.push(logged(run_id, e));
        }
    }
    if gate_unresolved || cause.as_ref().is_some_and(Cause::asks_for_input) {
        let label = catalog.need(NeedLabel::Input).as_str().to_owned();
        if let Err(e) = p
            .code_host
            .add_labels(&run.repository, thread, std::slice::from_ref(&label))
            .await
        {
            refused.push(logged(run_id, e));
        }
    }
    let ru = run.locale == "ru";
    let hints: Vec<&str> = gate_unresolved
        .then(|| review_gate::unresolved_hint(ru))
        .into_iter()
        .chain(cause.as_ref().and_then(|c| c.hint(ru)))
        .collect();
    let view = StatusView {
        run: &run,
        phase: Phase::Finished,
        outcome: Some(Outcome {
            status: reason.as_str().into(),
            detail: cause.as_ref().map(|c| c.detail(ru)),
            hint: (!hints.is_empty()).then(|| hints.join(" ")),
        }),
        next_steps: &[],
        console_url: &p.config.console_url,
    };
    let links = link::list_for_run(&p.pool, run_id)
        .await
        .unwrap_or_default();
    let body = format!("{}{}", comment::render(&view), links::render(&run, &links));
    match p
        .code_host
        .upsert_status_comment(
            &run.repository,
            thread,
            run.status_comment_id.map(|i| i as u64),
            &comment::marker(&run),
            &body,
        )
        .await
    {
        Ok(c) => agent_run::set_status_comment(&p.pool, run_id, c.id as i64)
            .await
            .map_err(retryable)?,
        Err(e) => refused.push(logged(run_id, e)),
    }
    if refused.is_empty() {
        return Ok(());
    }
    let retry = refused.iter().any(|e| e.classify().is_retryable());
    let causes = refused
        .iter()
        .map(|e| crate::error_chain(e))
        .collect::<Vec<_>>()
        .join("; ");
    Err(if retry {
        StepError::retryable(causes)
    } else {
        StepError::terminal(causes)
    })
}

/// The one log line of a GitHub call the cleanup could not make.
fn logged(run_id: Uuid, e: GitHubError) -> GitHubError {
    e.log(run_id, "stage cleanup");
    e
}
