//! `POST /api/v1/webhooks/github`: verify the signature over the raw bytes, store the delivery and
//! enqueue its routing in one transaction, answer. Routing happens in a workflow.

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{FromRequest, Request, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use workflows::delivery::{Accepted, IncomingDelivery, accept, read_payload};

use super::{ApiError, AppState};

/// Where GitHub posts deliveries (the repository webhook's URL is the public base plus this).
pub const INGRESS_PATH: &str = "/api/v1/webhooks/github";

/// The webhook route.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(INGRESS_PATH, post(receive))
        .route_layer(axum::middleware::from_fn(super::metrics::measure_ingress))
}

/// A delivery whose signature checked out, with its parsed body.
pub(super) struct VerifiedDelivery {
    delivery_id: String,
    event: String,
    payload: Value,
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .ok_or(ApiError::BadHeader(name))
}

/// Checks `sha256=<hex>` against HMAC-SHA256 of the body, in constant time.
fn verify(secret: &[u8], body: &[u8], signature: &str) -> Result<(), ApiError> {
    let hex_sig = signature
        .strip_prefix("sha256=")
        .ok_or(ApiError::BadSignature)?;
    let expected = hex::decode(hex_sig).map_err(|_| ApiError::BadSignature)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret).map_err(|e| ApiError::Internal(e.into()))?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| ApiError::BadSignature)
}

impl FromRequest<AppState> for VerifiedDelivery {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let signature = parts
            .headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or(ApiError::MissingSignature)?;
        let body: Bytes = axum::body::to_bytes(Body::new(body), state.max_body_bytes)
            .await
            .map_err(|_| ApiError::TooLarge(state.max_body_bytes))?;
        verify(state.webhook_secret.expose().as_bytes(), &body, &signature)?;
        let event = header(&parts.headers, "x-github-event")?.to_owned();
        let delivery_id = header(&parts.headers, "x-github-delivery")?.to_owned();
        let payload = read_payload(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
        if payload.nul_replaced > 0 {
            tracing::warn!(
                delivery_id = %delivery_id,
                replaced = payload.nul_replaced,
                "the payload held NUL characters, which Postgres cannot store: replaced with U+FFFD"
            );
        }
        let payload = payload.value;
        Ok(Self {
            delivery_id,
            event,
            payload,
        })
    }
}

#[tracing::instrument(skip_all, fields(delivery_id = %delivery.delivery_id, event = %delivery.event))]
async fn receive(
    State(state): State<AppState>,
    delivery: VerifiedDelivery,
) -> Result<impl IntoResponse, ApiError> {
    // Known down: answer now rather than after the pool's acquire timeout.
    if let Some(why) = state.readiness.database_down() {
        return Err(ApiError::Unavailable(format!(
            "the database is unreachable ({why})"
        )));
    }
    let incoming = IncomingDelivery {
        delivery_id: &delivery.delivery_id,
        event: &delivery.event,
        payload: &delivery.payload,
    };
    let accepted = accept(&state.client, incoming)
        .await
        .map_err(unavailable_or_internal)?;
    Ok(match accepted {
        Accepted::New => (
            StatusCode::ACCEPTED,
            Json(
                json!({ "status": "accepted", "delivery_id": delivery.delivery_id, "duplicate": false }),
            ),
        ),
        Accepted::Duplicate {
            outcome,
            reason,
            agent_run_id,
        } => (
            StatusCode::OK,
            Json(json!({
                "status": "duplicate",
                "delivery_id": delivery.delivery_id,
                "duplicate": true,
                "first_outcome": outcome,
                "reason": reason,
                "agent_run_id": agent_run_id,
            })),
        ),
    })
}

/// A lost or unreachable database is a 503 the sender may retry; anything else is ours.
fn unavailable_or_internal(e: workflows::Error) -> ApiError {
    let unreachable = std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .any(|e| {
        e.downcast_ref::<sqlx::Error>().is_some_and(|e| {
            matches!(
                e,
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
            )
        })
    });
    if unreachable {
        ApiError::Unavailable("the database did not answer".into())
    } else {
        ApiError::Internal(e.into())
    }
}

/// Signs a body as GitHub does (`sha256=<hex>`): for `dev --demo`, tests and the load benchmark.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("hmac accepts any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_and_secret() {
        let sig = sign(b"s3cret", b"{\"a\":1}");
        assert!(verify(b"s3cret", b"{\"a\":1}", &sig).is_ok());
        assert!(matches!(
            verify(b"s3cret", b"{\"a\":2}", &sig),
            Err(ApiError::BadSignature)
        ));
        assert!(matches!(
            verify(b"other", b"{\"a\":1}", &sig),
            Err(ApiError::BadSignature)
        ));
        assert!(matches!(
            verify(b"s3cret", b"{}", "sha1=abc"),
            Err(ApiError::BadSignature)
        ));
        assert!(matches!(
            verify(b"s3cret", b"{}", "sha256=zz"),
            Err(ApiError::BadSignature)
        ));
    }
}
