//! The runner's last word: its outcome (exit status, final message, pull request) reported to the
//! platform before the process exits, where any worker can read it. Bounded retries; a failure is
//! logged and the runtime's exit status is what the platform has left.

use std::time::Duration;

use super::{
    client::{Call, CallError, PlatformClient},
    wire::{OUTCOME_PATH, OutcomeReply, OutcomeReport},
};
use crate::config::Secret;

/// Attempts at most of one outcome report.
const ATTEMPTS: u32 = 5;
/// Timeout of one attempt.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Reports the outcome with the run's client; returns the platform's answer.
pub(super) async fn report(
    client: &PlatformClient,
    outcome: &OutcomeReport,
) -> Result<OutcomeReply, CallError> {
    let call = Call::new("report the outcome", ATTEMPTS).timeout(TIMEOUT);
    let sent: Result<OutcomeReply, CallError> = client.post_json(call, OUTCOME_PATH, outcome).await;
    match &sent {
        Ok(reply) => tracing::info!(
            exit_code = outcome.exit_code,
            attempt = reply.attempt,
            recorded = reply.recorded,
            "outcome reported"
        ),
        Err(e) => tracing::warn!(error.message = %e, "could not report the outcome"),
    }
    sent
}

/// Reports an outcome for the run of `token` at `platform_url` (for agents other than the runner,
/// e.g. the scripted agent).
pub async fn report_to(
    platform_url: &str,
    token: Secret,
    outcome: &OutcomeReport,
) -> anyhow::Result<OutcomeReply> {
    let client = PlatformClient::new(platform_url, token)?;
    Ok(report(&client, outcome).await?)
}
