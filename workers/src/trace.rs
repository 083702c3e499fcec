//! Traces: OpenTelemetry export over OTLP (HTTP/protobuf) when configured, and the W3C trace
//! context handed across process and durable boundaries (ADR 0023).
//!
//! The `tracing` spans are the traces: [`layer`] feeds them to a batch exporter. The context
//! crosses the durable boundary through the engine's stored `traceparent` ([`install`] gives the
//! engine the functions that read and set it), reaches agents as `TRACEPARENT`, and comes back on
//! the runner API as a `traceparent` header.

use std::{collections::HashMap, time::Duration};

use opentelemetry::{
    Context,
    propagation::TextMapPropagator,
    trace::{TraceContextExt, TracerProvider as _},
};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// How long one OTLP export request may take.
pub const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The W3C header and the agent's variable that carry the trace context.
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// Where and as whom spans are exported (from `OTEL_EXPORTER_OTLP_*` and `OTEL_SERVICE_NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The traces endpoint itself (`…/v1/traces`).
    pub endpoint: String,
    /// The `service.name` resource attribute.
    pub service_name: String,
}

impl Export {
    /// The export of the configured endpoints: the traces endpoint as given, else the base
    /// endpoint with `/v1/traces` appended (the OTLP convention); none when neither is set.
    pub fn from_endpoints(
        base: Option<&str>,
        traces: Option<&str>,
        service_name: &str,
    ) -> Option<Self> {
        let endpoint = match (traces, base) {
            (Some(traces), _) => traces.to_owned(),
            (None, Some(base)) => format!("{}/v1/traces", base.trim_end_matches('/')),
            (None, None) => return None,
        };
        Some(Self {
            endpoint,
            service_name: service_name.to_owned(),
        })
    }
}

/// Checks an OTLP endpoint at start: an absolute `http` or `https` URL with a host.
pub fn parse_endpoint(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The tracer provider of an [`Export`]: a batch span processor over the OTLP HTTP/protobuf
/// exporter with [`EXPORT_TIMEOUT`]. Shut it down at exit to flush what is batched.
pub fn provider(export: &Export) -> anyhow::Result<SdkTracerProvider> {
    // The exporter's HTTP client is the workspace's reqwest, whose rustls needs the provider.
    workflows::tls::install_crypto_provider();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(export.endpoint.clone())
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|e| {
            anyhow::anyhow!("build the OTLP span exporter for {}: {e}", export.endpoint)
        })?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(export.service_name.clone())
                .build(),
        )
        .build())
}

/// The layer that turns this process's spans into OpenTelemetry spans of `provider`.
pub fn layer<S>(
    provider: &SdkTracerProvider,
) -> tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::SdkTracer>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("codex-k8s"))
}

/// Gives the engine the functions that read and set span parents as `traceparent` strings.
pub fn install() {
    engine::install_trace_propagation(engine::TracePropagation { current, attach });
}

/// The current span's context as a `traceparent`; none outside a (sampled or not) valid trace.
pub fn current() -> Option<String> {
    let cx = tracing::Span::current().context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    carrier.remove(TRACEPARENT_HEADER)
}

/// Makes `span` (not entered yet) a child of `traceparent`; an unparsable value is ignored.
pub fn attach(span: &tracing::Span, traceparent: &str) {
    let Some(cx) = extract(traceparent) else {
        return;
    };
    if let Err(e) = span.set_parent(cx) {
        tracing::debug!(error.message = %e, "cannot set a span's trace parent");
    }
}

fn extract(traceparent: &str) -> Option<Context> {
    let carrier = HashMap::from([(TRACEPARENT_HEADER.to_owned(), traceparent.trim().to_owned())]);
    let cx = TraceContextPropagator::new().extract(&carrier);
    cx.span().span_context().is_valid().then_some(cx)
}

/// Makes `span` a child of the `TRACEPARENT` this process was started with (an agent's).
pub fn continue_from_env(span: &tracing::Span) {
    if let Ok(parent) = std::env::var(workflows::runtime::agent_env::TRACEPARENT) {
        attach(span, &parent);
    }
}

/// Adds the current span's `traceparent` header to an outgoing request.
pub fn inject(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    match current() {
        Some(parent) => request.header(TRACEPARENT_HEADER, parent),
        None => request,
    }
}

/// Axum middleware: the request is handled in a span continuing the caller's `traceparent`
/// header (the runner API: an agent's calls join its run's trace).
pub async fn continue_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let span = tracing::info_span!("runner_api", path = %request.uri().path());
    if let Some(parent) = request
        .headers()
        .get(TRACEPARENT_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        attach(&span, parent);
    }
    next.run(request).instrument(span).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_must_be_an_http_url_and_the_traces_path_is_appended_to_the_base_only() {
        assert_eq!(
            parse_endpoint("http://127.0.0.1:4318/").as_deref(),
            Ok("http://127.0.0.1:4318")
        );
        for bad in ["127.0.0.1:4318", "ftp://collector", "not a url", "http://"] {
            assert!(parse_endpoint(bad).is_err(), "{bad}");
        }
        let base = Export::from_endpoints(Some("http://c:4318"), None, "svc").unwrap();
        assert_eq!(base.endpoint, "http://c:4318/v1/traces");
        let own =
            Export::from_endpoints(Some("http://c:4318"), Some("http://t:1/x"), "svc").unwrap();
        assert_eq!(own.endpoint, "http://t:1/x");
        assert_eq!(Export::from_endpoints(None, None, "svc"), None);
    }

    #[test]
    fn a_malformed_traceparent_is_ignored() {
        assert!(extract("garbage").is_none());
        assert!(extract("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").is_some());
    }
}
