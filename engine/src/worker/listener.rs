//! The process's single LISTEN connection: `codex_k8s_ready` (payload: queue) wakes that queue's
//! claimer; `codex_k8s_cancel` (payload: run id) tells a local attempt its run is ending.
//!
//! Notifications sent while the connection is down are lost, so every (re)connection wakes every
//! claimer and re-checks which runs held here are ending, after LISTEN is active again: a notice is
//! then either delivered or found by the re-check.

use std::{sync::Arc, time::Duration};

use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use super::services::{CancelCause, Services};
use crate::store;

/// Channel announcing ready work.
pub(crate) const READY_CHANNEL: &str = "codex_k8s_ready";
/// Channel announcing run termination.
pub(crate) const CANCEL_CHANNEL: &str = "codex_k8s_cancel";

/// Listens until `stop`; reconnects on failure and then catches up on what may have been missed.
pub(crate) async fn run(services: Arc<Services>, stop: CancellationToken) {
    loop {
        let mut active = match connect(&services).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error.message = %e, "listen connection failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = stop.cancelled() => return,
                }
            }
        };
        catch_up(&services).await;
        services.health.set_listening(true);
        // `try_recv` answers None when the connection was lost (eager reconnection is off, so that
        // the catch-up runs on a fresh connection after LISTEN): `recv` would hide the loss.
        loop {
            let note = tokio::select! {
                n = active.try_recv() => n,
                _ = stop.cancelled() => return,
            };
            match note {
                Ok(Some(n)) if n.channel() == READY_CHANNEL => services.wake(n.payload()),
                Ok(Some(n)) => {
                    if let Ok(run_id) = n.payload().parse() {
                        services.cancel_run(run_id, CancelCause::Terminated);
                        services.config.hooks.cancel_noticed(run_id).await;
                    }
                }
                Ok(None) => {
                    services.health.set_listening(false);
                    tracing::warn!("listen connection lost; reconnecting and catching up");
                    services.config.hooks.listener_lost().await;
                    break;
                }
                Err(e) => {
                    services.health.set_listening(false);
                    tracing::warn!(error.message = %e, "listen connection failed; reconnecting");
                    break;
                }
            }
        }
    }
}

async fn connect(services: &Services) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(&services.pool).await?;
    listener.eager_reconnect(false);
    listener.listen_all([READY_CHANNEL, CANCEL_CHANNEL]).await?;
    Ok(listener)
}

/// After (re)connecting: wake every claimer and tell attempts whose run is ending.
async fn catch_up(services: &Services) {
    services.wake_all();
    let running: Vec<uuid::Uuid> = services.running().into_iter().map(|(run, _)| run).collect();
    if !running.is_empty() {
        match store::run::ending_among(&services.pool, &running).await {
            Ok(ending) => ending
                .into_iter()
                .for_each(|run| services.cancel_run(run, CancelCause::Terminated)),
            Err(e) => tracing::warn!(error.message = %e, "re-check of ending runs failed"),
        }
    }
    services.config.hooks.listener_connected().await;
}
