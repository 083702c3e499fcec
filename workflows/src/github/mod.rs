//! GitHub REST integration: the client a stage run talks through.
//!
//! Two tokens: the platform token reads Issues and pull requests, the bot token says everything
//! the bot says (comments, labels, reactions). Every call has a deadline and a bounded retry;
//! [`Error::classify`] tells the durable layer above whether to wait, retry or give up.

mod client;
mod comment;
mod error;
mod issue;
mod pull;
mod rate_limit;
#[cfg(test)]
mod tests;
mod token;

pub use client::{ClientConfig, DEFAULT_BASE_URL, GitHubClient};
pub use comment::Comment;
pub use error::{ApiError, Error, Result};
pub use issue::{Issue, IssueState, Reaction};
pub use pull::PullRequest;
pub use rate_limit::{Failure, RateLimitKind};
pub use token::{Identity, Token};
