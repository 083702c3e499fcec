//! GitHub calls as checkpointed steps: a rate limit becomes a durable engine sleep until the
//! limit resets (bounded), transient failures are retried by the step policy, bad credentials and
//! other permanent failures fail at once. A step may do other work beside its GitHub calls; that
//! work's failures come classified ([`CallError::Step`]).

use std::future::Future;

use chrono::{DateTime, Utc};
use engine::{StepError, StepFailed, WorkflowContext, WorkflowError};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::error::error_chain as chain;
use crate::github::{Error as GitHubError, Failure};

/// Code of the workflow error after too many rate-limit waits; callers ask for input then.
pub const RATE_LIMITED: &str = "github_rate_limited";
/// Code of the workflow error when GitHub refused the token (401).
pub const BAD_CREDENTIALS: &str = "github_bad_credentials";
/// Code of the workflow error when GitHub refused access without a rate limit (403).
pub const FORBIDDEN: &str = "github_forbidden";
/// Code of the workflow error when GitHub did not find what was asked for, or hid it (404).
pub const NOT_FOUND: &str = "github_not_found";
/// Code of the workflow error when GitHub kept failing (5xx, connection errors) past the retries.
pub const UNAVAILABLE: &str = "github_unavailable";
/// Code of the workflow error when GitHub kept not answering within the client's timeout.
pub const TIMED_OUT: &str = "github_timed_out";
/// Code of the workflow error for any other refusal (422, an undecodable answer).
pub const REFUSED: &str = "github_refused";

/// Ends the recorded error of the last rate-limited try, so the run's error says why it stopped.
const PAST_THE_BOUND: &str = "still rate-limited after";

/// What a GitHub step body can fail with: GitHub itself, or the database beside it.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The GitHub API.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// The platform's own store (retried as transient).
    #[error(transparent)]
    Domain(#[from] crate::Error),
    /// Other work of the step (e.g. an embeddings call), already classified retryable or terminal.
    #[error(transparent)]
    Step(#[from] StepError),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome<T> {
    Done(T),
    RateLimited { retry_at: DateTime<Utc> },
}

/// Runs `call` as step `name`; on a rate limit sleeps durably until it resets and tries again
/// (as `name#1`, `name#2`, … so replays stay deterministic), at most `max_waits` times.
///
/// A GitHub failure logs one line in the step (a replay reads the journal and logs nothing), and a
/// failed step ends the call with a workflow error whose code names the failure class
/// ([`RATE_LIMITED`], [`BAD_CREDENTIALS`], …) and whose message carries GitHub's status and
/// message. The last rate-limited try is a failed step, so a retried run tries it again.
pub async fn call<T, F, Fut>(
    ctx: &WorkflowContext,
    name: &str,
    max_waits: u32,
    call: F,
) -> Result<T, WorkflowError>
where
    T: Serialize + DeserializeOwned,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    for wait in 0..=max_waits {
        let step = if wait == 0 {
            name.to_owned()
        } else {
            format!("{name}#{wait}")
        };
        let outcome: Outcome<T> = ctx
            .step(&step, |_| async {
                match call().await {
                    Ok(v) => Ok(Outcome::Done(v)),
                    Err(CallError::Domain(e)) => Err(StepError::retryable(chain(&e))),
                    Err(CallError::Step(e)) => Err(e),
                    Err(CallError::GitHub(e)) => refused(name, wait, max_waits, &e),
                }
            })
            .await
            .map_err(|failed| workflow_error(&failed))?;
        match outcome {
            Outcome::Done(v) => return Ok(v),
            // Journals written before the last try became a failed step end here.
            Outcome::RateLimited { .. } if wait == max_waits => break,
            Outcome::RateLimited { retry_at } => ctx.sleep_until(retry_at).await,
        }
    }
    Err(WorkflowError::new(
        RATE_LIMITED,
        format!("{name}: GitHub kept rate-limiting after {max_waits} waits"),
    ))
}

/// What a GitHub failure means for the step, with its one log line at the default level.
fn refused<T>(
    name: &str,
    wait: u32,
    max_waits: u32,
    e: &GitHubError,
) -> Result<Outcome<T>, StepError> {
    let failure = e.classify();
    let status = e.status().map(|s| s.as_u16());
    let github_message = e.remote_message().unwrap_or_default();
    match failure {
        Failure::RateLimited { retry_at, .. } if wait < max_waits => {
            tracing::warn!(step = name, %retry_at, status, github_message, "github rate limit: sleeping until it resets");
            Ok(Outcome::RateLimited { retry_at })
        }
        Failure::RateLimited { .. } => {
            tracing::warn!(
                step = name,
                waits = max_waits,
                status,
                github_message,
                "github rate limit past the bound: giving up"
            );
            Err(StepError::terminal(format!(
                "{} ({PAST_THE_BOUND} {max_waits} waits)",
                chain(e)
            )))
        }
        _ => {
            let cause = chain(e);
            tracing::warn!(
                step = name,
                operation = e.code(),
                failure = failure.as_str(),
                status,
                github_message,
                error.message = %cause,
                "github call failed"
            );
            if failure == Failure::Transient {
                Err(StepError::retryable(cause))
            } else {
                Err(StepError::terminal(cause))
            }
        }
    }
}

/// The workflow error of a failed step: a GitHub failure gets the code of its class.
fn workflow_error(failed: &StepFailed) -> WorkflowError {
    let code = code_of(&failed.message).unwrap_or("step_failed");
    WorkflowError::new(code, failed.to_string())
}

/// The failure class of a recorded step error, read back from the text this module records
/// (`…: github answered 401 Unauthorized: Bad credentials (with the bot token)`), so a replay gets
/// the same code as the attempt that failed. None: not a GitHub failure.
///
/// Hazard: the text is the record. Wording changes of [`crate::github::ApiError`] must keep
/// `github answered <status>`, `no answer within` and `request failed before github answered`.
pub fn code_of(recorded: &str) -> Option<&'static str> {
    if recorded.contains(PAST_THE_BOUND) {
        return Some(RATE_LIMITED);
    }
    if let Some(status) = answered_status(recorded) {
        return Some(match status {
            401 => BAD_CREDENTIALS,
            403 => FORBIDDEN,
            404 => NOT_FOUND,
            429 => RATE_LIMITED,
            408 | 500..=599 => UNAVAILABLE,
            _ => REFUSED,
        });
    }
    if recorded.contains("no answer within") && recorded.contains(" token)") {
        return Some(TIMED_OUT);
    }
    if recorded.contains("request failed before github answered") {
        return Some(UNAVAILABLE);
    }
    if recorded.contains("request could not be sent or its answer not decoded") {
        return Some(REFUSED);
    }
    None
}

/// The status in `github answered <status>`, if the text has one.
pub fn answered_status(text: &str) -> Option<u16> {
    text.split("github answered ")
        .nth(1)
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok())
        .filter(|c| (100..600).contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_github_failure_reads_back_as_its_class() {
        let check = |text: &str, code: Option<&str>| assert_eq!(code_of(text), code, "{text}");
        let op = "add reaction eyes to acme/shop#45";
        check(
            &format!(
                "{op}: github answered 401 Unauthorized: Bad credentials (with the bot token)"
            ),
            Some(BAD_CREDENTIALS),
        );
        check(
            &format!(
                "{op}: github answered 403 Forbidden: Resource not accessible by integration (with the bot token)"
            ),
            Some(FORBIDDEN),
        );
        check(
            &format!("{op}: github answered 404 Not Found: Not Found (with the bot token)"),
            Some(NOT_FOUND),
        );
        check(
            &format!("{op}: github answered 502 Bad Gateway: Server Error (with the bot token)"),
            Some(UNAVAILABLE),
        );
        check(
            &format!(
                "{op}: github answered 422 Unprocessable Entity: Validation Failed (with the bot token)"
            ),
            Some(REFUSED),
        );
        check(
            &format!(
                "{op}: github answered 403 Forbidden: API rate limit exceeded (with the bot token) ({PAST_THE_BOUND} 3 waits)"
            ),
            Some(RATE_LIMITED),
        );
        check(
            &format!("{op}: no answer within 30s (with the platform token)"),
            Some(TIMED_OUT),
        );
        check(
            &format!(
                "{op}: request failed before github answered (with the bot token): error trying to connect"
            ),
            Some(UNAVAILABLE),
        );
        check(
            "insert step: pool timed out while waiting for an open connection",
            None,
        );
    }
}
