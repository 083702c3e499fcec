//! What the runner tells the platform while codex works: heartbeats, status lines and each
//! turn's token usage. Reports are best effort (bounded retries, then a logged warning), except
//! that a refused heartbeat (the run token is no longer valid: the run ended) stops the run.

use std::{sync::Arc, time::Duration};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{
    client::{Call, CallError, PlatformClient},
    events::Usage,
    wire::{
        self, HEARTBEAT_PATH, HeartbeatReply, STATUS_PATH, StatusReport, USAGE_PATH, UsageReply,
        UsageReport,
    },
};

/// Run statuses after which the runner has nothing left to do.
const ENDED: [&str; 4] = ["succeeded", "failed", "cancelled", "timed_out"];

/// Reports to the platform on behalf of the run.
#[derive(Debug, Clone)]
pub(super) struct Reporter {
    client: Arc<PlatformClient>,
}

impl Reporter {
    /// A reporter over the run's client.
    pub(super) fn new(client: Arc<PlatformClient>) -> Self {
        Self { client }
    }

    /// Reports a short status line (cut to the allowed length); failures are logged.
    pub(super) async fn status(&self, line: &str) {
        let line: String = line
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(wire::MAX_STATUS_CHARS)
            .collect();
        if line.is_empty() {
            return;
        }
        let report = StatusReport {
            status: line.clone(),
        };
        let sent: Result<(), CallError> = self
            .client
            .post_json(Call::new("report status", 3), STATUS_PATH, &report)
            .await;
        match sent {
            Ok(()) => tracing::info!(status = %line, "status reported"),
            Err(e) => tracing::warn!(error.message = %e, "could not report the status"),
        }
    }

    /// Reports a turn's running totals; the platform stores the delta. Failures are logged.
    pub(super) async fn usage(
        &self,
        thread_id: &str,
        turn: i32,
        usage: Usage,
    ) -> Option<UsageReply> {
        let report = UsageReport {
            thread_id: thread_id.to_owned(),
            turn,
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage.cached_input_tokens,
            output_tokens: usage.output_tokens,
            reasoning_output_tokens: usage.reasoning_output_tokens,
        };
        match self
            .client
            .post_json::<_, UsageReply>(Call::new("report token usage", 5), USAGE_PATH, &report)
            .await
        {
            Ok(reply) => {
                tracing::info!(
                    turn,
                    input_tokens = reply.delta.input_tokens,
                    output_tokens = reply.delta.output_tokens,
                    recorded = reply.recorded,
                    "token usage reported"
                );
                Some(reply)
            }
            Err(e) => {
                tracing::warn!(turn, error.message = %e, "could not report token usage");
                None
            }
        }
    }

    /// Sends a heartbeat now and every `every` until `stop`; cancels `ended` when the platform
    /// refuses the token or says the run is over. Each beat is one attempt with a timeout: the
    /// next beat is the retry.
    pub(super) fn heartbeats(
        &self,
        every: Duration,
        stop: CancellationToken,
        ended: CancellationToken,
    ) -> JoinHandle<()> {
        let client = self.client.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let call = Call::new("heartbeat", 1).timeout(every.min(Duration::from_secs(10)));
                match client
                    .post_json::<_, HeartbeatReply>(call, HEARTBEAT_PATH, &serde_json::json!({}))
                    .await
                {
                    Ok(reply) if ENDED.contains(&reply.run_status.as_str()) => {
                        tracing::warn!(run_status = %reply.run_status, "the run is over; stopping");
                        ended.cancel();
                        return;
                    }
                    Ok(_) => tracing::debug!("heartbeat"),
                    Err(e) if matches!(e.status(), Some(401 | 404)) => {
                        tracing::warn!(error.message = %e, "the platform no longer knows this run; stopping");
                        ended.cancel();
                        return;
                    }
                    Err(e) => tracing::warn!(error.message = %e, "heartbeat failed"),
                }
            }
        })
    }
}
