//! Errors of approvals and the MCP control tools, each with a stable code.

use serde::Serialize;

/// How an answer (approver or executor callback) was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// It won: the request is decided (or its outcome recorded) by it.
    Accepted,
    /// The same answer was already recorded (a retry of the winning answer).
    Duplicate,
    /// Another answer won earlier, or the request is past the state the answer is for.
    Stale,
    /// The request expired before the answer arrived.
    Expired,
    /// The answer does not fit the request (unknown option, custom answer not allowed, …).
    Invalid,
    /// The token does not open this request.
    Forged,
    /// The person who answered may not decide in this project.
    Forbidden,
    /// No such request.
    NotFound,
}

impl Classification {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Accepted => "accepted",
            Classification::Duplicate => "duplicate",
            Classification::Stale => "stale",
            Classification::Expired => "expired",
            Classification::Invalid => "invalid",
            Classification::Forged => "forged",
            Classification::Forbidden => "forbidden",
            Classification::NotFound => "not_found",
        }
    }
}

/// What approvals and the control tools fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument is out of bounds; names it.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The argument.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The policy forbids the action (namespace or environment not allowed, …).
    #[error("{0}")]
    NotAllowed(String),
    /// The thing looked up does not exist (or belongs to another project).
    #[error("{0} not found")]
    NotFound(String),
    /// A callback was refused; the classification says why.
    #[error("{reason}")]
    Refused {
        /// The classification.
        classification: Classification,
        /// A sentence for the caller.
        reason: String,
    },
    /// A setting the operation needs is missing.
    #[error("{0} is not configured")]
    NotConfigured(&'static str),
    /// The domain store failed.
    #[error("store")]
    Store(#[from] crate::Error),
    /// The engine refused or failed.
    #[error("workflow engine")]
    Engine(#[from] engine::Error),
    /// GitHub failed.
    #[error("github")]
    GitHub(#[from] crate::github::Error),
}

impl Error {
    /// An invalid-argument error.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// A refused callback.
    pub fn refused(classification: Classification, reason: impl Into<String>) -> Self {
        Error::Refused {
            classification,
            reason: reason.into(),
        }
    }

    /// Stable code for MCP error results and problem types; never renamed.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid_argument",
            Error::NotAllowed(_) => "not_allowed",
            Error::NotFound(_) => "not_found",
            Error::Refused { classification, .. } => classification.as_str(),
            Error::NotConfigured(_) => "not_configured",
            Error::Store(_) | Error::Engine(_) => "internal",
            Error::GitHub(_) => "github_failed",
        }
    }

    /// Whether the caller caused it (its message may be shown); otherwise it is internal.
    pub fn is_caller_error(&self) -> bool {
        !matches!(self, Error::Store(_) | Error::Engine(_) | Error::GitHub(_))
    }
}

/// Result with the approval error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
