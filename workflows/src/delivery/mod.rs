//! GitHub deliveries: accepted atomically with the run that routes them, then routed by the pure
//! policy and applied (start a stage run, comment, label, record).

mod accept;
mod apply;
mod comment;
mod facts;
mod parse;
mod payload;
mod replay;
mod route;

pub use accept::{Accepted, IncomingDelivery, accept};
pub use parse::{ParseError, parse_event};
pub use payload::{Payload, PayloadError, read_payload};
pub use route::RouteDelivery;
