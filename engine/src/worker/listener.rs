//! The process's single LISTEN connection: `codex_k8s_ready` (payload: queue) wakes that queue's
//! claimer; `codex_k8s_cancel` (payload: run id) tells a local attempt its run is ending.

use std::{sync::Arc, time::Duration};

use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use super::services::{CancelCause, Services};

/// Channel announcing ready work.
pub(crate) const READY_CHANNEL: &str = "codex_k8s_ready";
/// Channel announcing run termination.
pub(crate) const CANCEL_CHANNEL: &str = "codex_k8s_cancel";

/// Listens until `stop`; reconnects on failure and then wakes every claimer (notices may be lost).
pub(crate) async fn run(services: Arc<Services>, stop: CancellationToken) {
    loop {
        let mut listener = match connect(&services).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error.message = %e, "listen connection failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = stop.cancelled() => return,
                }
            }
        };
        services.wake_all();
        loop {
            let note = tokio::select! {
                n = listener.recv() => n,
                _ = stop.cancelled() => return,
            };
            match note {
                Ok(n) if n.channel() == READY_CHANNEL => services.wake(n.payload()),
                Ok(n) => {
                    if let Ok(run_id) = n.payload().parse() {
                        services.cancel_attempt(run_id, CancelCause::Terminated);
                    }
                }
                Err(e) => {
                    tracing::warn!(error.message = %e, "listen connection lost; reconnecting");
                    break;
                }
            }
        }
    }
}

async fn connect(services: &Services) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(&services.pool).await?;
    listener.listen_all([READY_CHANNEL, CANCEL_CHANNEL]).await?;
    Ok(listener)
}
