//! codex-k8s stage workflows and domain policy: label routing, stage runs, GitHub status, prompts,
//! project docs search.
//! Depends on `engine` only; knows nothing of HTTP servers or binaries.

pub mod agent_label;
pub mod approval;
pub mod delivery;
pub mod directory;
pub mod docs;
pub mod environment_sweep;
mod error;
pub mod github;
pub mod github_step;
pub mod kubernetes;
pub mod metrics;
pub mod platform;
/// The label and trigger policy (its own crate: pure, fuzzed alone).
pub use policy;
pub mod prompt;
pub mod provider;
pub mod retention;
pub mod runtime;
pub mod stage;
pub mod store;
#[cfg(test)]
mod test_pool;
pub mod tls;
pub mod transition;
pub mod vault;

pub use error::{Error, Result, error_chain};
