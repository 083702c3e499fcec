//! An agent's outcome as the stage run decides it, from what outlives the worker that launched
//! the agent: the outcome the agent reported through the runner API (`agent_outcomes`, per launch
//! attempt), the exit status its runtime recorded, and its heartbeats.
//!
//! Rules, in order:
//! - a reported outcome wins over the runtime's exit status;
//! - without one, the runtime's exit status counts, but an exit status of 0 without the agent's
//!   result is no success;
//! - while the runtime says the agent runs, an agent that sent a heartbeat in this attempt and
//!   then none for [`STALE_AFTER_BEATS`] heartbeat periods is treated as gone (and stopped).

use engine::{StepError, WorkflowError};
use serde_json::json;
use uuid::Uuid;

use super::workflow::AGENT_EVENT;
use crate::{
    platform::Platform,
    runtime::{AgentOutput, AgentState, Workspace},
    store::{
        agent_outcome::{self, NewOutcome, Recorded},
        run_token,
    },
};

/// Heartbeat periods of silence after which a running agent counts as gone.
pub const STALE_AFTER_BEATS: u32 = 3;

/// Why a reported outcome was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::Error),
    /// Waking the stage run failed (the outcome is stored; the next probe reads it).
    #[error("signal the stage run: {0}")]
    Signal(#[source] engine::Error),
}

/// Records the outcome an agent reports for its launch attempt and wakes its stage run (engine
/// signal `agent_event` with the same idempotency key as the runtime's exit signal of that
/// attempt, so the run wakes once).
pub async fn report(p: &Platform, new: &NewOutcome<'_>) -> Result<Recorded, ReportError> {
    let recorded = agent_outcome::record(&p.pool, new).await?;
    let first = match &recorded {
        Recorded::Stored(o) | Recorded::Replayed(o) | Recorded::Conflict(o) => o,
        Recorded::Stale => return Ok(recorded),
    };
    let event = json!({ "kind": "exited", "code": first.exit_code });
    let key = exit_signal_key(new.attempt);
    // Woken, kept for its wait, a duplicate of the runtime's exit signal, or the run ended
    // meanwhile: each is fine.
    p.client()
        .signal(new.agent_run_id, AGENT_EVENT, event, Some(&key))
        .await
        .map_err(ReportError::Signal)?;
    Ok(recorded)
}

/// The idempotency key of the signal that an attempt's agent exited.
pub fn exit_signal_key(attempt: u32) -> String {
    format!("agent_exited:{attempt}")
}

/// Looks at the agent of `attempt`: a reported outcome first, then the runtime, then the
/// heartbeats of a running agent.
pub(super) async fn probe(
    p: &Platform,
    ws: &Workspace,
    run_id: Uuid,
    attempt: u32,
) -> Result<AgentState, StepError> {
    if let Some(o) = agent_outcome::get(&p.pool, run_id, attempt)
        .await
        .map_err(StepError::retryable)?
    {
        return Ok(AgentState::Exited { code: o.exit_code });
    }
    let state = p.runtime.probe(ws).await.map_err(StepError::retryable)?;
    if state != AgentState::Running {
        return Ok(state);
    }
    let liveness = run_token::get_liveness(&p.pool, run_id, None)
        .await
        .map_err(StepError::retryable)?;
    let bound = p.config.agent_heartbeat_every * STALE_AFTER_BEATS;
    match liveness {
        Some(l) if l.attempt == attempt && l.is_stale(bound) => {
            tracing::warn!(%run_id, attempt, last_heartbeat_at = ?l.last_heartbeat_at, stale_after_secs = bound.as_secs(), "the agent stopped sending heartbeats: treated as gone");
            // Gone for good: a stalled agent must not wake up beside its relaunched successor.
            p.runtime.stop(ws).await.map_err(StepError::retryable)?;
            Ok(AgentState::Gone)
        }
        _ => Ok(AgentState::Running),
    }
}

/// What the agent produced, with the reported outcome of `attempt` (if any) over the runtime's:
/// `exit_code` is the code the run is judged by (`exited` is the one the wait saw).
pub(super) async fn collect(
    p: &Platform,
    ws: &Workspace,
    run_id: Uuid,
    attempt: u32,
    exited: i32,
) -> Result<AgentOutput, StepError> {
    let mut output = p.runtime.collect(ws).await.map_err(StepError::retryable)?;
    output.exit_code = exited;
    if let Some(o) = agent_outcome::get(&p.pool, run_id, attempt)
        .await
        .map_err(StepError::retryable)?
    {
        output.exit_code = o.exit_code;
        output.final_message = o.final_message.or(output.final_message);
        output.pull_request = o.pull_request.or(output.pull_request);
        output.result_found = true;
    }
    Ok(output)
}

/// Fails the run unless the agent succeeded: exit status 0 and a result.
pub(super) fn verdict(output: &AgentOutput) -> Result<(), WorkflowError> {
    match output.exit_code {
        0 if output.result_found => Ok(()),
        0 => Err(WorkflowError::new(
            "agent_no_result",
            "the agent exited with code 0 but reported no result",
        )),
        -1 if output.infrastructure_failure.is_some() => Err(WorkflowError::new(
            "agent_infrastructure_failed",
            format!(
                "the agent's host failed it ({}) and relaunching did not help",
                output.infrastructure_failure.as_deref().unwrap_or_default()
            ),
        )),
        -1 => Err(WorkflowError::new(
            "agent_failed",
            "the agent exited with code -1 (it vanished: no exit status was recorded, or it sent no heartbeat for too long)",
        )),
        code => Err(WorkflowError::new(
            "agent_failed",
            format!("the agent exited with code {code}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(exit_code: i32, result_found: bool) -> AgentOutput {
        AgentOutput {
            exit_code,
            final_message: None,
            changed_files: Vec::new(),
            pull_request: None,
            result_found,
            log_tail: None,
            infrastructure_failure: None,
        }
    }

    #[test]
    fn a_vanished_agent_names_the_hosts_failure_when_there_was_one() {
        let mut killed = output(-1, false);
        killed.infrastructure_failure = Some("OOMKilled".into());
        let e = verdict(&killed).unwrap_err();
        assert_eq!(e.code, "agent_infrastructure_failed");
        assert!(e.message.contains("OOMKilled"), "{}", e.message);
        assert_eq!(
            verdict(&output(-1, false)).unwrap_err().code,
            "agent_failed"
        );
    }

    #[test]
    fn only_an_exit_of_zero_with_a_result_is_a_success() {
        assert!(verdict(&output(0, true)).is_ok());
        assert_eq!(
            verdict(&output(0, false)).unwrap_err().code,
            "agent_no_result"
        );
        assert_eq!(verdict(&output(3, true)).unwrap_err().code, "agent_failed");
        assert_eq!(
            verdict(&output(-1, false)).unwrap_err().code,
            "agent_failed"
        );
    }
}
