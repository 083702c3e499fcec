//! The worker runtime, split the way River splits its queue: a claimer per queue (fetch loop and
//! slots), an executor (one attempt: replay, steps, panic capture, cancellation), a completer
//! (batched, fenced outcome writes), a heartbeat (lease renewal), a listener (one LISTEN connection
//! per process) and maintenance (rescue, timeouts, cron, metrics, retention).

mod claimer;
mod completer;
mod config;
mod executor;
mod heartbeat;
mod listener;
mod maintenance;
mod runtime;
mod services;

pub use config::WorkerConfig;
pub use runtime::Worker;
pub(crate) use services::Services;
