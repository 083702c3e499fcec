//! Fuzzes what the webhook ingress does with bytes a sender controls, after the signature: read
//! the body into a storable JSON object, parse it as the delivery's event, and route it through the
//! label policy under the most and least privileged facts. Nothing may panic, and an accepted
//! payload must hold no NUL (Postgres's jsonb refuses it).
//!
//! Input: the `X-GitHub-Event` name, a newline, then the body (see `corpus/webhook_payload/`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use policy::{
    Access, Facts, PlatformRole, Policy, PolicyConfig, ProjectRole, parse_event, read_payload, route,
};

/// Whether any string or key in `value` holds U+0000 (looking at the text would be wrong: an
/// escaped backslash followed by `u0000` is a legal, storable string).
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let (event, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"issues"[..], data),
    };
    let Ok(event) = std::str::from_utf8(event) else {
        return;
    };
    let Ok(payload) = read_payload(body) else {
        return;
    };
    assert!(!holds_nul(&payload.value), "a stored payload holds no NUL");
    let Ok(event) = parse_event(event, &payload.value) else {
        return;
    };
    let policy = Policy::new(&PolicyConfig::default()).expect("the default policy is valid");
    let owner = Facts {
        access: Access::User {
            platform: Some(PlatformRole::Owner),
            project: Some(ProjectRole::Admin),
        },
        repository_bound: true,
        ..Facts::default()
    };
    for facts in [Facts::default(), owner] {
        let _ = route(&policy, &event, &facts);
    }
});
