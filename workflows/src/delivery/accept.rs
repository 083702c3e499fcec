//! Accepting a delivery: store it and enqueue its routing run in one transaction, so the 202 is
//! sent only once both are durable; a redelivery finds the first row and starts nothing.

use engine::StartOptions;
use serde_json::Value;
use uuid::Uuid;

use super::route::{RouteDelivery, RouteInput};
use crate::{
    error::{Result, db},
    platform::INGRESS_QUEUE,
    store::webhook_delivery::{self, NewDelivery},
};

/// A verified delivery as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct IncomingDelivery<'a> {
    /// `X-GitHub-Delivery`.
    pub delivery_id: &'a str,
    /// `X-GitHub-Event`.
    pub event: &'a str,
    /// The parsed body.
    pub payload: &'a Value,
}

/// What accepting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Stored and queued for routing.
    New,
    /// Seen before: the first delivery's outcome so far.
    Duplicate {
        /// `accepted` until routed, then what routing did.
        outcome: String,
        /// Its reason code.
        reason: Option<String>,
        /// The stage run it started.
        agent_run_id: Option<Uuid>,
    },
}

fn str_at<'a>(payload: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(payload, |v, k| v.get(k))
        .and_then(Value::as_str)
}

/// Stores the delivery and enqueues its routing in one transaction.
pub async fn accept(client: &engine::Client, d: IncomingDelivery<'_>) -> Result<Accepted> {
    let mut tx = client
        .pool()
        .begin()
        .await
        .map_err(db("accept delivery begin"))?;
    let new = NewDelivery {
        delivery_id: d.delivery_id,
        event: d.event,
        action: str_at(d.payload, &["action"]),
        repository: str_at(d.payload, &["repository", "full_name"]),
        sender_login: str_at(d.payload, &["sender", "login"]),
        payload: d.payload,
    };
    if !webhook_delivery::insert(&mut *tx, &new).await? {
        drop(tx);
        let first = webhook_delivery::get(client.pool(), d.delivery_id)
            .await?
            .ok_or_else(|| crate::Error::Corrupt(format!("delivery {} vanished", d.delivery_id)))?;
        return Ok(Accepted::Duplicate {
            outcome: first.outcome,
            reason: first.reason,
            agent_run_id: first.agent_run_id,
        });
    }
    let options = StartOptions {
        queue: Some(INGRESS_QUEUE.into()),
        idempotency_key: Some(format!("delivery:{}", d.delivery_id)),
        ..StartOptions::default()
    };
    let input = RouteInput {
        delivery_id: d.delivery_id.to_owned(),
    };
    client
        .start_with::<RouteDelivery>(&mut *tx, &input, options)
        .await?;
    tx.commit().await.map_err(db("accept delivery commit"))?;
    Ok(Accepted::New)
}
