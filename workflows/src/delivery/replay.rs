//! Replay safety: the identity of the GitHub event a delivery carries, independent of its
//! `X-GitHub-Delivery` id. A captured body re-sent under fresh delivery ids has the same identity,
//! so it starts at most one run; a new label event (GitHub stamps the thread's `updated_at` anew
//! on every label change) has a new one.

use serde_json::Value;
use sha2::{Digest, Sha256};

fn text<'a>(payload: &'a Value, path: &str) -> Option<&'a str> {
    path.split('.')
        .try_fold(payload, |v, key| v.get(key))
        .and_then(Value::as_str)
}

fn number(payload: &Value, path: &str) -> Option<String> {
    path.split('.')
        .try_fold(payload, |v, key| v.get(key))
        .and_then(Value::as_u64)
        .map(|n| n.to_string())
}

/// The event's own identity (thread, label and the event's time, or the object GitHub created),
/// hashed; `None` when the payload carries none of them (the delivery id is then all there is).
pub(crate) fn event_key(event: &str, payload: &Value) -> Option<String> {
    let action = text(payload, "action").unwrap_or("");
    let repo = text(payload, "repository.full_name")?;
    let parts: Vec<String> = match (event, action) {
        ("issues", "labeled") => vec![
            number(payload, "issue.number")?,
            text(payload, "label.name")?.trim().to_owned(),
            text(payload, "issue.updated_at")?.to_owned(),
        ],
        ("pull_request", "labeled") => vec![
            number(payload, "pull_request.number")?,
            text(payload, "label.name")?.trim().to_owned(),
            text(payload, "pull_request.updated_at")?.to_owned(),
        ],
        ("pull_request_review", "submitted") => vec![number(payload, "review.id")?],
        ("issue_comment", "created") => vec![number(payload, "comment.id")?],
        _ => return None,
    };
    let identity = format!("{event}:{action}:{repo}:{}", parts.join(":")).to_lowercase();
    Some(hex::encode(Sha256::digest(identity.as_bytes())))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn labeled(label: &str, updated_at: &str) -> Value {
        json!({
            "action": "labeled",
            "issue": { "number": 7, "updated_at": updated_at },
            "label": { "name": label },
            "repository": { "full_name": "Acme/Shop" },
            "sender": { "login": "owner", "type": "User" }
        })
    }

    #[test]
    fn the_same_event_has_the_same_key_and_another_event_another() {
        let key = |p: &Value| event_key("issues", p).unwrap();
        let one = key(&labeled("run:dev", "2026-12-01T10:00:00Z"));
        assert_eq!(one, key(&labeled("run:dev", "2026-12-01T10:00:00Z")));
        assert_eq!(one, key(&labeled(" RUN:DEV", "2026-12-01T10:00:00Z")));
        assert_ne!(one, key(&labeled("run:dev", "2026-12-01T10:00:01Z")));
        assert_ne!(one, key(&labeled("run:qa", "2026-12-01T10:00:00Z")));
        assert_ne!(
            one,
            event_key("pull_request", &labeled("run:dev", "2026-12-01T10:00:00Z"))
                .unwrap_or_default()
        );
    }

    #[test]
    fn events_without_an_identity_have_no_key() {
        let mut p = labeled("run:dev", "x");
        p["issue"].as_object_mut().unwrap().remove("updated_at");
        assert_eq!(event_key("issues", &p), None);
        assert_eq!(event_key("push", &labeled("run:dev", "x")), None);
    }
}
