//! Logging setup: an `EnvFilter` from `RUST_LOG` (default `info`), JSON lines in production.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// Installs the global subscriber once per process.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let registry = tracing_subscriber::registry().with(filter);
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
}
