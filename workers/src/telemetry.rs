//! Logging setup: an `EnvFilter` from `RUST_LOG` (default `info`), JSON lines in production, and
//! the spans exported over OTLP when an endpoint is configured (see [`crate::trace`]).
//!
//! Libraries that log whole messages at debug or trace (MCP tool arguments and results, HTTP
//! headers and bodies) are held at `info` whatever `RUST_LOG` asks: their lines would bypass the
//! redaction the platform's own lines and audit records apply (an Owner's answer, a token).

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// Targets held at `info` at most, and why: each logs payloads below it.
const CAPPED: [&str; 4] = [
    "rmcp",    // `received request` with the full tool arguments, results
    "hyper",   // headers and bodies at trace
    "h2",      // frames at trace
    "reqwest", // requests at trace
];

/// The filter for a `RUST_LOG` value (default `info,sqlx=warn`), with [`CAPPED`] applied last so
/// that no directive can lower them.
pub fn filter(rust_log: Option<&str>) -> EnvFilter {
    let base = rust_log
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("info,sqlx=warn");
    // A more specific directive (`rmcp::service=debug`) would beat the cap: drop those.
    let capped = |d: &str| {
        let target = d.split(['=', '[']).next().unwrap_or("").trim();
        CAPPED
            .iter()
            .any(|c| target == *c || target.starts_with(&format!("{c}::")))
    };
    let mut directives: String = base
        .split(',')
        .filter(|d| !capped(d))
        .collect::<Vec<_>>()
        .join(",");
    for target in CAPPED {
        directives.push_str(&format!(",{target}=info"));
    }
    EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        eprintln!("RUST_LOG {base:?} is not a valid filter ({e}); logging at info");
        EnvFilter::new(format!(
            "info,sqlx=warn,{}",
            CAPPED.map(|t| format!("{t}=info")).join(",")
        ))
    })
}

/// What [`init`] set up that must be stopped at exit.
#[derive(Debug, Default)]
pub struct Telemetry {
    traces: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes the batched spans (bounded by the exporter's timeout) and stops the exporter.
    pub fn shutdown(self) {
        if let Some(provider) = self.traces
            && let Err(e) = provider.shutdown()
        {
            eprintln!("flushing the trace spans failed: {e}");
        }
    }
}

/// Installs the global subscriber once per process, with the OTLP span export when `traces` is
/// set, and the engine's trace propagation.
pub fn init(format: LogFormat, traces: Option<&crate::trace::Export>) -> anyhow::Result<Telemetry> {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref());
    let provider = traces.map(crate::trace::provider).transpose()?;
    let otel = provider.as_ref().map(crate::trace::layer);
    crate::trace::install();
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let result = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .json()
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .compact()
                    .with_target(false),
            )
            .try_init(),
    };
    if let Err(e) = result {
        eprintln!("tracing already initialised: {e}");
    }
    Ok(Telemetry { traces: provider })
}

#[cfg(test)]
mod tests {
    use testkit::logs::Capture;

    use super::*;

    #[test]
    fn at_debug_and_trace_the_mcp_and_http_libraries_stay_at_info_and_ours_do_not() {
        for level in [
            "debug",
            "trace",
            "rmcp=trace,debug",
            "info,rmcp::service=debug",
            "info,rmcp::service",
        ] {
            let logs = Capture::default();
            let guard = logs.install(filter(Some(level)));
            tracing::debug!(target: "rmcp::service", request = "owner answer: SECRET-1", "received request");
            tracing::trace!(target: "hyper::proto", "authorization: Bearer SECRET-2");
            tracing::info!(target: "rmcp::service", "Service initialized as server");
            tracing::debug!(target: "workers::mcp", "ours at debug");
            drop(guard);
            let text = logs.text();
            assert!(!text.contains("SECRET"), "{level}: {text}");
            assert!(text.contains("Service initialized"), "{level}: {text}");
            let ours = !level.starts_with("info,");
            assert_eq!(text.contains("ours at debug"), ours, "{level}: {text}");
        }
    }
}
