//! GitHub deliveries: accepted atomically with the run that routes them, then routed by the pure
//! policy and applied (start a stage run, comment, label, record).

mod accept;
mod apply;
mod comment;
mod facts;
mod replay;
mod route;

pub use accept::{Accepted, IncomingDelivery, accept};

/// The events a repository's webhook delivers to the ingress (what routing acts on).
pub const SUBSCRIBED_EVENTS: [&str; 5] = [
    "issues",
    "issue_comment",
    "pull_request",
    "pull_request_review",
    "push",
];
pub use policy::{ParseError, Payload, PayloadError, parse_event, read_payload};
pub use route::RouteDelivery;
