//! GitHub calls as checkpointed steps: a rate limit becomes a durable engine sleep until the
//! limit resets (bounded), transient failures are retried by the step policy, bad credentials and
//! other permanent failures fail at once.

use std::future::Future;

use chrono::{DateTime, Utc};
use engine::{StepError, WorkflowContext, WorkflowError};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::github::{Error as GitHubError, Failure};

/// Code of the workflow error after too many rate-limit waits; callers ask for input then.
pub const RATE_LIMITED: &str = "github_rate_limited";

/// What a GitHub step body can fail with: GitHub itself, or the database beside it.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The GitHub API.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// The platform's own store (retried as transient).
    #[error(transparent)]
    Domain(#[from] crate::Error),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome<T> {
    Done(T),
    RateLimited { retry_at: DateTime<Utc> },
}

/// Runs `call` as step `name`; on a rate limit sleeps durably until it resets and tries again
/// (as `name#1`, `name#2`, … so replays stay deterministic), at most `max_waits` times.
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
                    Err(CallError::GitHub(e)) => match e.classify() {
                        Failure::RateLimited { retry_at, .. } => {
                            Ok(Outcome::RateLimited { retry_at })
                        }
                        Failure::Transient => Err(StepError::retryable(chain(&e))),
                        _ => Err(StepError::terminal(chain(&e))),
                    },
                }
            })
            .await?;
        match outcome {
            Outcome::Done(v) => return Ok(v),
            Outcome::RateLimited { retry_at } => {
                tracing::warn!(step = name, %retry_at, "github rate limit: sleeping until it resets");
                ctx.sleep_until(retry_at).await;
            }
        }
    }
    Err(WorkflowError::new(
        RATE_LIMITED,
        format!("{name}: GitHub kept rate-limiting after {max_waits} waits"),
    ))
}

/// An error with its sources (`list comments of acme/shop#1: github answered 404 Not Found: Not Found`),
/// so a step's recorded error names the real cause: the code host's status and message.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
