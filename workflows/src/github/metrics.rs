//! Code-host call metrics, counted where every call passes ([`super::GitHubClient::call`]): calls
//! per operation and answer, and rate-limit answers per operation and limit (each makes the step
//! that made the call wait durably, or ask for `need:input` past its bound).
//!
//! The operation is a fixed name per client method (`get_issue`, `add_labels`, …), never a URL;
//! the status is `2xx` for a success, the HTTP status code GitHub answered with, or `timeout` /
//! `transport` when no answer came.

use std::sync::LazyLock;

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};

use super::rate_limit::{Failure, RateLimitKind};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    operation: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RateLimitLabels {
    operation: &'static str,
    limit: &'static str,
}

static CALLS: LazyLock<Family<CallLabels, Counter>> = LazyLock::new(Family::default);
static RATE_LIMITED: LazyLock<Family<RateLimitLabels, Counter>> = LazyLock::new(Family::default);

/// The label of an HTTP status: its code when it is a valid one, else `other`.
fn status_label(status: http::StatusCode) -> &'static str {
    const CODES: &[(u16, &str)] = &[
        (400, "400"),
        (401, "401"),
        (403, "403"),
        (404, "404"),
        (409, "409"),
        (410, "410"),
        (422, "422"),
        (429, "429"),
        (500, "500"),
        (502, "502"),
        (503, "503"),
        (504, "504"),
    ];
    if let Some((_, label)) = CODES.iter().find(|(c, _)| *c == status.as_u16()) {
        return label;
    }
    match status.as_u16() {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    }
}

/// Counts one answered (or timed-out) HTTP call of `operation`.
pub(crate) fn call_succeeded(operation: &'static str) {
    CALLS
        .get_or_create(&CallLabels {
            operation,
            status: "2xx",
        })
        .inc();
}

/// Counts one failed HTTP call of `operation`, and a rate-limit answer as such.
pub(crate) fn call_failed(
    operation: &'static str,
    status: Option<http::StatusCode>,
    failure: Failure,
    timed_out: bool,
) {
    let status = match status {
        Some(status) => status_label(status),
        None if timed_out => "timeout",
        None => "transport",
    };
    CALLS.get_or_create(&CallLabels { operation, status }).inc();
    if let Failure::RateLimited { kind, .. } = failure {
        let limit = match kind {
            RateLimitKind::Primary => "primary",
            RateLimitKind::Secondary => "secondary",
        };
        RATE_LIMITED
            .get_or_create(&RateLimitLabels { operation, limit })
            .inc();
    }
}

/// Registers the code-host families.
pub(crate) fn register(registry: &mut Registry) {
    registry.register(
        "github_calls",
        "HTTP calls to the code host, per operation and status (2xx, the error code, timeout, transport)",
        CALLS.clone(),
    );
    registry.register(
        "github_rate_limited",
        "Code-host answers that were rate limits, per operation and limit (primary, secondary); each makes its step wait",
        RATE_LIMITED.clone(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_codes_or_classes() {
        let s = |c: u16| status_label(http::StatusCode::from_u16(c).unwrap());
        assert_eq!(s(401), "401");
        assert_eq!(s(201), "2xx");
        assert_eq!(s(418), "4xx");
        assert_eq!(s(599), "5xx");
        assert_eq!(s(999), "other");
    }
}
