//! Trace context across the durable boundary (ADR 0023).
//!
//! A run carries an opaque W3C `traceparent` (`workflow_runs.trace_parent`), taken from the span
//! that started it; every attempt of the run opens its span as a child of it, on any worker and
//! after any crash. The engine does not know the tracing backend: the binary installs a
//! [`TracePropagation`] that reads the current span's context and parents a span, and without
//! one the engine carries nothing.

use std::sync::OnceLock;

/// How the binary's tracing backend reads and sets span parents, as W3C `traceparent` strings.
#[derive(Debug, Clone, Copy)]
pub struct TracePropagation {
    /// The current span's context as a `traceparent`; none outside a sampled trace.
    pub current: fn() -> Option<String>,
    /// Makes a span that has not been entered yet a child of the `traceparent`.
    pub attach: fn(&tracing::Span, &str),
}

static PROPAGATION: OnceLock<TracePropagation> = OnceLock::new();

/// Installs the process's propagation once; false when one was already installed.
pub fn install_trace_propagation(propagation: TracePropagation) -> bool {
    PROPAGATION.set(propagation).is_ok()
}

/// The current span's context as a W3C `traceparent`, when a propagation is installed and the
/// current span is part of a trace.
pub fn current_trace_parent() -> Option<String> {
    PROPAGATION.get().and_then(|p| (p.current)())
}

/// Makes `span` (not entered yet) a child of `trace_parent`, when a propagation is installed.
pub(crate) fn attach(span: &tracing::Span, trace_parent: Option<&str>) {
    if let (Some(p), Some(parent)) = (PROPAGATION.get(), trace_parent) {
        (p.attach)(span, parent);
    }
}

/// The longest `traceparent` the engine stores (version 00 is 55 characters; later versions may
/// append fields); a longer value is dropped, not stored.
pub(crate) const MAX_TRACE_PARENT: usize = 256;

/// A `traceparent` worth storing: non-empty, printable ASCII and not too long.
pub(crate) fn storable(trace_parent: Option<String>) -> Option<String> {
    trace_parent.filter(|t| {
        !t.is_empty() && t.len() <= MAX_TRACE_PARENT && t.bytes().all(|b| b.is_ascii_graphic())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_printable_trace_parents_are_stored() {
        let ok = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assert_eq!(storable(Some(ok.into())).as_deref(), Some(ok));
        assert_eq!(storable(Some(String::new())), None);
        assert_eq!(storable(Some("a b".into())), None);
        assert_eq!(storable(Some("x".repeat(MAX_TRACE_PARENT + 1))), None);
        assert_eq!(storable(None), None);
    }
}
