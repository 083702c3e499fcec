//! Queries on `webhook_deliveries`.

use serde_json::Value;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use crate::error::{Result, db};

/// A delivery to store.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    /// `X-GitHub-Delivery`.
    pub delivery_id: &'a str,
    /// `X-GitHub-Event`.
    pub event: &'a str,
    /// `action`, if any.
    pub action: Option<&'a str>,
    /// `repository.full_name`, if any.
    pub repository: Option<&'a str>,
    /// `sender.login`, if any.
    pub sender_login: Option<&'a str>,
    /// The payload.
    pub payload: &'a Value,
}

/// Stores a delivery; false when it was already stored (a redelivery).
pub async fn insert(e: impl PgExecutor<'_>, d: &NewDelivery<'_>) -> Result<bool> {
    let row = sqlx::query(include_str!("../../queries/webhook_deliveries/insert.sql"))
        .bind(d.delivery_id)
        .bind(d.event)
        .bind(d.action)
        .bind(d.repository)
        .bind(d.sender_login)
        .bind(d.payload)
        .fetch_optional(e)
        .await
        .map_err(db("webhook_delivery::insert"))?;
    Ok(row.is_some())
}

/// A stored delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `X-GitHub-Delivery`.
    pub delivery_id: String,
    /// `X-GitHub-Event`.
    pub event: String,
    /// The payload.
    pub payload: Value,
    /// What routing did (`accepted` until routed).
    pub outcome: String,
    /// The reason code of the outcome.
    pub reason: Option<String>,
    /// The stage run it started.
    pub agent_run_id: Option<Uuid>,
}

/// One delivery by id.
pub async fn get(e: impl PgExecutor<'_>, delivery_id: &str) -> Result<Option<Delivery>> {
    let row = sqlx::query(include_str!("../../queries/webhook_deliveries/get.sql"))
        .bind(delivery_id)
        .fetch_optional(e)
        .await
        .map_err(db("webhook_delivery::get"))?;
    Ok(row.map(|r| Delivery {
        delivery_id: r.get("delivery_id"),
        event: r.get("event"),
        payload: r.get("payload"),
        outcome: r.get("outcome"),
        reason: r.get("reason"),
        agent_run_id: r.get("agent_run_id"),
    }))
}

/// What routing did with a delivery.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    /// The delivery.
    pub delivery_id: &'a str,
    /// `run_started`, `ignored`, `conflict`, …
    pub outcome: &'a str,
    /// Stable reason code.
    pub reason: Option<&'a str>,
    /// The routing run.
    pub routing_run_id: Uuid,
    /// The stage run started, if any.
    pub agent_run_id: Option<Uuid>,
}

/// Records the outcome; the first outcome of a delivery is counted in the metrics.
pub async fn record_outcome(e: impl PgExecutor<'_>, o: &Outcome<'_>) -> Result<()> {
    let row = sqlx::query(include_str!(
        "../../queries/webhook_deliveries/record_outcome.sql"
    ))
    .bind(o.delivery_id)
    .bind(o.outcome)
    .bind(o.reason)
    .bind(o.routing_run_id)
    .bind(o.agent_run_id)
    .fetch_optional(e)
    .await
    .map_err(db("webhook_delivery::record_outcome"))?;
    if let Some(row) = row {
        let previous: String = row.get("previous");
        if previous == "accepted" {
            let event: String = row.get("event");
            crate::metrics::delivery_routed(&event, o.outcome);
        }
    }
    Ok(())
}
