//! GitHub REST integration: the client a stage run talks through.
//!
//! Two tokens: the platform token reads Issues and pull requests, the bot token says everything
//! the bot says (comments, labels, reactions); repository files (trees, blobs) are read with
//! the platform token. Every call has a deadline and a bounded retry;
//! [`Error::classify`] tells the durable layer above whether to wait, retry or give up.

mod actions_secret;
mod client;
mod comment;
mod error;
mod hooks;
mod issue;
pub(crate) mod metrics;
mod pull;
mod rate_limit;
mod repository;
#[cfg(test)]
mod tests;
mod token;
mod tree;

pub use actions_secret::{ActionsSecretWrite, seal};
pub use client::{ClientConfig, DEFAULT_BASE_URL, GitHubClient};
pub use comment::Comment;
pub use error::{ApiError, Error, Result};
pub use hooks::{WebhookSetup, WebhookSpec};
pub use issue::{Issue, IssueState, Reaction};
pub use pull::{NewPullRequest, PullRequest};
pub use rate_limit::{Failure, RateLimitKind};
pub use repository::Repository;
pub use token::{Identity, Token};
pub use tree::{Tree, TreeFile};
