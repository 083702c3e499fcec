//! The worker runtime, split the way River splits its queue: a claimer per queue (fetch loop and
//! slots), an executor (one attempt: replay, steps, panic capture, cancellation), a completer
//! (batched, fenced outcome writes), a heartbeat (lease renewal), a listener (one LISTEN connection
//! per process) and maintenance (by one elected leader: rescue, timeouts, cron, slot accounting,
//! retention; by every process: queue metrics and unparking known kinds).

mod claimer;
mod completer;
mod config;
mod cron;
mod executor;
mod health;
mod heartbeat;
mod listener;
mod maintenance;
mod runtime;
mod services;
mod slot;
#[cfg(test)]
mod tests;

pub(crate) use completer::StepCommit;
pub use config::WorkerConfig;
pub use health::{HealthState, WorkerHealth};
pub use runtime::Worker;
pub(crate) use services::Services;
