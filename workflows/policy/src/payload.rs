//! Reading a webhook body into a JSON object Postgres can store: the first step of the ingress
//! for any bytes a sender controls (fuzzed by `fuzz/fuzz_targets/webhook_payload.rs`).

use serde_json::Value;

/// A body read as a JSON object, with the count of NUL characters replaced in it.
#[derive(Debug)]
pub struct Payload {
    /// The object, NUL-free.
    pub value: Value,
    /// How many U+0000 characters became U+FFFD (jsonb cannot hold U+0000).
    pub nul_replaced: usize,
}

/// Why a body is not a payload.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON at all (serde's message, with line and column).
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but not an object.
    #[error("the payload is not a JSON object")]
    NotObject,
}

/// Parses `body` as a JSON object and replaces the NUL characters in its strings and keys.
pub fn read_payload(body: &[u8]) -> Result<Payload, PayloadError> {
    let mut value: Value = serde_json::from_slice(body)?;
    if !value.is_object() {
        return Err(PayloadError::NotObject);
    }
    let nul_replaced = replace_nul(&mut value);
    Ok(Payload {
        value,
        nul_replaced,
    })
}

/// Replaces every U+0000 in the value's strings and keys with U+FFFD, so the delivery is kept
/// rather than failing for good; returns how many were replaced.
fn replace_nul(value: &mut Value) -> usize {
    fn clean(s: &str) -> (String, usize) {
        let n = s.matches('\0').count();
        (s.replace('\0', "\u{FFFD}"), n)
    }
    match value {
        Value::String(s) if s.contains('\0') => {
            let (cleaned, n) = clean(s);
            *s = cleaned;
            n
        }
        Value::Array(items) => items.iter_mut().map(replace_nul).sum(),
        Value::Object(map) => {
            let mut replaced = 0;
            if map.keys().any(|k| k.contains('\0')) {
                let entries = std::mem::take(map);
                for (key, v) in entries {
                    let (key, n) = clean(&key);
                    replaced += n;
                    map.insert(key, v);
                }
            }
            replaced + map.values_mut().map(replace_nul).sum::<usize>()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_in_strings_and_keys_are_replaced_and_counted() {
        let p =
            read_payload(br#"{"a\u0000": ["x\u0000y", {"b": "\u0000\u0000"}], "n": 1}"#).unwrap();
        assert_eq!(p.nul_replaced, 4);
        assert_eq!(
            p.value,
            serde_json::json!({"a\u{FFFD}": ["x\u{FFFD}y", {"b": "\u{FFFD}\u{FFFD}"}], "n": 1})
        );
        assert!(!p.value.to_string().contains("\\u0000"));
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_text_not_a_nul() {
        let p = read_payload(br#"{"login": "\\u0000"}"#).unwrap();
        assert_eq!(p.nul_replaced, 0);
        assert_eq!(p.value["login"], "\\u0000");
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_refused() {
        assert!(matches!(read_payload(b"[1]"), Err(PayloadError::NotObject)));
        assert!(matches!(read_payload(b"{"), Err(PayloadError::Json(_))));
    }
}
