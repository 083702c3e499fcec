//! codex-k8s stage workflows and domain policy: label routing, stage runs, GitHub status, prompts.
//! Depends on `engine` only; knows nothing of HTTP servers or binaries.

pub mod agent_label;
pub mod approval;
pub mod delivery;
pub mod directory;
mod error;
pub mod github;
pub mod github_step;
pub mod platform;
pub mod policy;
pub mod prompt;
pub mod retention;
pub mod runtime;
pub mod stage;
pub mod store;
pub mod tls;
pub mod transition;
pub mod vault;

pub use error::{Error, Result};
