//! Lease renewal for every attempt running in this process, in one statement per period.
//! A lease that could not be renewed is lost: its attempt is told to stop. A run being
//! terminated is noticed here too, in case its notification was missed.

use std::{collections::HashMap, sync::Arc};

use tokio_util::sync::CancellationToken;

use super::services::{CancelCause, Services};
use crate::store;

/// Renews leases until `stop`.
pub(crate) async fn run(services: Arc<Services>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(services.config.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        let held = services.held_leases();
        if held.is_empty() {
            continue;
        }
        let lease = services.config.lease.as_secs_f64();
        match store::task::extend_lease_many(&services.pool, &held, lease).await {
            Ok(renewed) => {
                let renewed: HashMap<_, _> = renewed.into_iter().collect();
                for key in &held {
                    match renewed.get(key) {
                        None => services.cancel_attempt(*key, CancelCause::LeaseLost),
                        Some(Some(_end_reason)) => {
                            services.cancel_attempt(*key, CancelCause::Terminated)
                        }
                        Some(None) => {}
                    }
                }
            }
            Err(e) => {
                tracing::error!(error.message = %e, error.cause_chain = ?e, "lease renewal failed")
            }
        }
    }
}
