//! HMAC-SHA256 signatures of outbound requests and the per-request callback tokens.
//!
//! Outbound bodies are signed as `sha256=<hex(HMAC(key, "<unix seconds>.<body>"))>` in
//! [`SIGNATURE_HEADER`], with the seconds in [`TIMESTAMP_HEADER`], so a receiver can refuse
//! replays. A callback token is `HMAC(callback key, "<audience>:<request id>")` in hex: nothing
//! secret is stored, retries of a notification carry the same token, and a token opens only its
//! request. The callback key is platform-only and separate from the signing key (ADR 0016): a
//! receiver of requests, or anyone who learns the signing key, cannot mint a token.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::config::SigningKey;

/// Header with `sha256=<hex>` over `"<timestamp>.<body>"`.
pub const SIGNATURE_HEADER: &str = "x-ck8s-signature";
/// Header with the signing time in unix seconds.
pub const TIMESTAMP_HEADER: &str = "x-ck8s-timestamp";
/// Header naming the event (`approval.requested`, `action.execute`).
pub const EVENT_HEADER: &str = "x-ck8s-event";
/// Header with a stable delivery id (the same on every retry), for receiver-side dedupe.
pub const DELIVERY_HEADER: &str = "x-ck8s-delivery";

/// Who a callback token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The approver answering a request.
    Approver,
    /// The executor reporting the outcome of an approved action.
    Executor,
}

impl Audience {
    fn label(self) -> &'static str {
        match self {
            Audience::Approver => "approver",
            Audience::Executor => "executor",
        }
    }
}

fn mac(key: &SigningKey) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key.bytes()).expect("hmac accepts any key length")
}

/// The signature header value of a body sent at `timestamp`.
pub fn signature(key: &SigningKey, timestamp: i64, body: &[u8]) -> String {
    let mut m = mac(key);
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

/// The callback token of a request for an audience.
pub fn callback_token(key: &SigningKey, audience: Audience, request_id: Uuid) -> String {
    let mut m = mac(key);
    m.update(format!("ck8s-callback:{}:{request_id}", audience.label()).as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Whether a presented token opens the request, compared in constant time.
pub fn token_matches(
    key: &SigningKey,
    audience: Audience,
    request_id: Uuid,
    presented: &str,
) -> bool {
    let Ok(bytes) = hex::decode(presented.trim()) else {
        return false;
    };
    let mut m = mac(key);
    m.update(format!("ck8s-callback:{}:{request_id}", audience.label()).as_bytes());
    m.verify_slice(&bytes).is_ok()
}

/// Hex sha256 of a text (signatures of requests).
pub(crate) fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_token_opens_only_its_request_and_audience() {
        let key = SigningKey::new("k1");
        let id = Uuid::new_v4();
        let token = callback_token(&key, Audience::Approver, id);
        assert!(token_matches(&key, Audience::Approver, id, &token));
        assert!(!token_matches(&key, Audience::Executor, id, &token));
        assert!(!token_matches(
            &key,
            Audience::Approver,
            Uuid::new_v4(),
            &token
        ));
        assert!(!token_matches(
            &SigningKey::new("k2"),
            Audience::Approver,
            id,
            &token
        ));
        assert!(!token_matches(&key, Audience::Approver, id, "not-hex"));
    }

    #[test]
    fn signatures_cover_the_timestamp_and_the_body() {
        let key = SigningKey::new("k");
        let a = signature(&key, 1, b"{}");
        assert!(a.starts_with("sha256=") && a.len() == 7 + 64);
        assert_ne!(a, signature(&key, 2, b"{}"));
        assert_ne!(a, signature(&key, 1, b"{ }"));
        let secret = SigningKey::new("sk-31f9-never-shown");
        assert!(!format!("{secret:?}").contains("31f9"));
    }
}
