//! The API server's own metrics: webhook deliveries per event and answer, the ingress latency,
//! and MCP tool calls per tool and result. Process-wide families, registered by
//! [`crate::metrics::platform_registry`].
//!
//! Labels are bounded: the event through [`workflows::metrics::event_label`] (unknown names are
//! `other`, so a forged header cannot add series), the answer from a fixed list, a tool name only
//! when the tool is registered (else `other`).

use std::{sync::LazyLock, time::Instant};

use axum::{extract::Request, http::StatusCode, middleware::Next, response::Response};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::{Registry, Unit},
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    event: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    tool: String,
    result: &'static str,
}

/// A histogram family built with its buckets.
type IngressHistograms = Family<OutcomeLabel, Histogram, fn() -> Histogram>;

fn ingress_histogram() -> Histogram {
    // 1 ms to about 16 s: a delivery is one transaction; 10 s was the pool timeout of old.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 15,
    ))
}

static DELIVERIES: LazyLock<Family<DeliveryLabels, Counter>> = LazyLock::new(Family::default);
static INGRESS: LazyLock<IngressHistograms> =
    LazyLock::new(|| Family::new_with_constructor(ingress_histogram as fn() -> Histogram));
static MCP_CALLS: LazyLock<Family<ToolLabels, Counter>> = LazyLock::new(Family::default);

/// What the ingress answered, as a label.
fn ingress_outcome(status: StatusCode) -> &'static str {
    match status.as_u16() {
        202 => "accepted",
        200 => "duplicate",
        401 => "refused",
        413 => "too_large",
        400 | 415 | 422 => "malformed",
        503 => "unavailable",
        500..=599 => "error",
        _ => "other",
    }
}

/// Middleware of the webhook route: counts each delivery by event and answer and times it.
pub(super) async fn measure_ingress(request: Request, next: Next) -> Response {
    let event = request
        .headers()
        .get("x-github-event")
        .and_then(|v| v.to_str().ok())
        .map_or("other", |e| workflows::metrics::event_label(e.trim()));
    let started = Instant::now();
    let response = next.run(request).await;
    let outcome = ingress_outcome(response.status());
    DELIVERIES
        .get_or_create(&DeliveryLabels { event, outcome })
        .inc();
    INGRESS
        .get_or_create(&OutcomeLabel { outcome })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// How an MCP tool call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ToolResult {
    /// The tool answered a result.
    Ok,
    /// The tool answered a tool-level error (`isError`: the caller's mistake or an upstream).
    ToolError,
    /// The tool is not available to the calling run.
    Refused,
    /// A protocol error (invalid parameters, internal error).
    ProtocolError,
}

impl ToolResult {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ToolError => "tool_error",
            Self::Refused => "refused",
            Self::ProtocolError => "protocol_error",
        }
    }
}

/// Counts one MCP tool call; `registered` says whether `tool` names a registered tool (else the
/// label is `other`).
pub(crate) fn mcp_call(tool: &str, registered: bool, result: ToolResult) {
    let tool = if registered { tool } else { "other" };
    MCP_CALLS
        .get_or_create(&ToolLabels {
            tool: tool.to_owned(),
            result: result.as_str(),
        })
        .inc();
}

/// Registers the API server's families.
pub(crate) fn register(registry: &mut Registry) {
    registry.register(
        "webhook_deliveries",
        "Webhook deliveries received, per event and answer (accepted, duplicate, refused, too_large, malformed, unavailable, error)",
        DELIVERIES.clone(),
    );
    registry.register_with_unit(
        "webhook_ingress_duration",
        "Time from a delivery's arrival to the ingress's answer, per answer",
        Unit::Seconds,
        INGRESS.clone(),
    );
    registry.register(
        "mcp_tool_calls",
        "MCP tool calls, per registered tool and result (ok, tool_error, refused, protocol_error)",
        MCP_CALLS.clone(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_a_fixed_set() {
        assert_eq!(ingress_outcome(StatusCode::ACCEPTED), "accepted");
        assert_eq!(ingress_outcome(StatusCode::OK), "duplicate");
        assert_eq!(ingress_outcome(StatusCode::UNAUTHORIZED), "refused");
        assert_eq!(
            ingress_outcome(StatusCode::SERVICE_UNAVAILABLE),
            "unavailable"
        );
        assert_eq!(ingress_outcome(StatusCode::BAD_GATEWAY), "error");
        assert_eq!(ingress_outcome(StatusCode::IM_A_TEAPOT), "other");
    }
}
