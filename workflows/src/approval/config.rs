//! Settings of approvals and the MCP control tools.

use std::{fmt, time::Duration};

/// A platform secret for HMAC: the request-signing key shared with the approver and executor,
/// or the platform-only key deriving per-request callback tokens. `Debug` never shows it.
#[derive(Clone)]
pub struct SigningKey(String);

impl SigningKey {
    /// A key from its configured value.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The key bytes, for HMAC only.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// Approval settings (part of `PlatformConfig`).
#[derive(Debug, Clone)]
pub struct ApprovalConfig {
    /// Where approval requests are POSTed (the approver adapter); none: nobody is notified and
    /// requests wait for the staff API or expire.
    pub approver_url: Option<String>,
    /// Where approved secret and database actions are POSTed (an external executor); none: the
    /// platform's built-in executor performs them when it has one, else they stay approved until
    /// an executor reports through its callback.
    pub executor_url: Option<String>,
    /// Signs outbound requests (the approver and the executor hold it to verify them); without it
    /// nothing is delivered.
    pub signing_key: Option<SigningKey>,
    /// Derives the per-request callback tokens (see ADR 0016): a platform-only key, separate from
    /// `signing_key`, that neither an agent nor a receiver of requests ever holds; without it no
    /// callback is accepted and nothing is delivered.
    pub callback_key: Option<SigningKey>,
    /// How long a request waits for the Owner before it expires.
    pub ttl: Duration,
    /// How long `owner_feedback_request` blocks before answering "still pending" (below the
    /// agent's MCP tool timeout; codex defaults to 300 s).
    pub owner_wait: Duration,
    /// How often a blocked tool call looks for the answer.
    pub poll_every: Duration,
    /// Timeout of one outbound HTTP request.
    pub http_timeout: Duration,
    /// Attempts of one outbound delivery (approver or executor) or built-in execution, the first
    /// included.
    pub delivery_attempts: i32,
    /// Kubernetes namespaces `secret_sync` may write to.
    pub secret_namespaces: Vec<String>,
    /// Environments `database_lifecycle` may act on.
    pub database_environments: Vec<String>,
}

impl Default for ApprovalConfig {
    fn default() -> Self {
        Self {
            approver_url: None,
            executor_url: None,
            signing_key: None,
            callback_key: None,
            ttl: Duration::from_secs(24 * 3600),
            owner_wait: Duration::from_secs(240),
            poll_every: Duration::from_millis(500),
            http_timeout: Duration::from_secs(10),
            delivery_attempts: 6,
            secret_namespaces: Vec::new(),
            database_environments: vec!["dev".into(), "staging".into(), "production".into()],
        }
    }
}
