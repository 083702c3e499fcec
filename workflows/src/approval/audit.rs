//! Audit of MCP calls and approvals in `flow_events`, with secrets and free text redacted.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{Result, platform::Platform, store::flow_event};

/// What replaces a redacted value.
pub const REDACTED: &str = "<redacted>";

/// Keys whose values never reach the audit: credentials, and the Owner's free text (which may
/// carry anything the Owner typed).
fn sensitive(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k == "value"
        || k.ends_with("_value")
        || k == "custom_answer"
        || [
            "token",
            "password",
            "passwd",
            "private_key",
            "credential",
            "authorization",
            "api_key",
            "secret_value",
        ]
        .iter()
        .any(|s| k.contains(s))
}

/// A copy of `value` with sensitive fields replaced and run tokens masked wherever they appear.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                let v = if sensitive(k) && !v.is_null() {
                    Value::String(REDACTED.into())
                } else {
                    redact(v)
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        Value::String(s) if s.contains("ck8s_run_") => Value::String(REDACTED.into()),
        other => other.clone(),
    }
}

/// Appends an audit event for a run, redacting its detail.
pub async fn record(p: &Platform, run_id: Option<Uuid>, kind: &str, detail: &Value) -> Result<()> {
    flow_event::insert(&p.pool, run_id, kind, &redact(detail)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_free_text_and_run_tokens_are_redacted_but_names_are_kept() {
        let input = json!({
            "secret_name": "DB_PASSWORD_NAME_IS_FINE",
            "kubernetes_secret": "app-db",
            "value": "hunter2",
            "nested": [{ "api_token": "t0k", "note": "Bearer ck8s_run_abc" }],
            "decision": { "option_id": "yes", "custom_answer": "my home address" },
            "password": null,
        });
        let out = redact(&input);
        assert_eq!(out["secret_name"], "DB_PASSWORD_NAME_IS_FINE");
        assert_eq!(out["kubernetes_secret"], "app-db");
        assert_eq!(out["value"], REDACTED);
        assert_eq!(out["nested"][0]["api_token"], REDACTED);
        assert_eq!(out["nested"][0]["note"], REDACTED);
        assert_eq!(out["decision"]["option_id"], "yes");
        assert_eq!(out["decision"]["custom_answer"], REDACTED);
        assert_eq!(out["password"], Value::Null);
        let text = out.to_string();
        for leaked in ["hunter2", "t0k", "ck8s_run_abc", "home address"] {
            assert!(!text.contains(leaked), "{leaked} in {text}");
        }
    }
}
