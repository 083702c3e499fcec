//! Errors of docs indexing and search, each with a stable code.

use engine::StepError;

/// What indexing, embedding and search fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is unusable; names it.
    #[error("docs setting {field} is invalid: {reason}")]
    InvalidConfig {
        /// The setting.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// No embeddings provider is configured, so nothing is indexed or searched.
    #[error("docs search is not configured (no embeddings provider)")]
    NotConfigured,
    /// An argument of a search is out of bounds; names it.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The argument.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The provider refused the key (401/403): nothing will work until it is replaced.
    #[error("the embeddings provider refused the api key (http {status})")]
    EmbeddingsBadCredentials {
        /// The status.
        status: u16,
    },
    /// The provider refused the request (a 4xx other than 401, 403, 408, 409 and 429).
    #[error("the embeddings provider refused the request (http {status}): {message}")]
    EmbeddingsRefused {
        /// The status.
        status: u16,
        /// The provider's message, shortened, without the key.
        message: String,
    },
    /// Rate limits, server errors or transport failures lasted through every retry.
    #[error("the embeddings provider failed {attempts} attempts; last: {last}")]
    EmbeddingsUnavailable {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The provider answered with something that is not the expected vectors.
    #[error("the embeddings provider answered unexpectedly: {0}")]
    EmbeddingsBadAnswer(String),
    /// The domain store failed.
    #[error("store")]
    Store(#[from] crate::Error),
}

impl Error {
    /// Stable code for MCP error results; never renamed.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidConfig { .. } => "invalid_config",
            Error::NotConfigured => "not_configured",
            Error::Invalid { .. } => "invalid_argument",
            Error::EmbeddingsBadCredentials { .. } => "embeddings_bad_credentials",
            Error::EmbeddingsRefused { .. } => "embeddings_refused",
            Error::EmbeddingsUnavailable { .. } => "embeddings_unavailable",
            Error::EmbeddingsBadAnswer(_) => "embeddings_bad_answer",
            Error::Store(_) => "internal",
        }
    }

    /// Whether the caller caused it (its message may be shown to an agent).
    pub fn is_caller_error(&self) -> bool {
        matches!(self, Error::Invalid { .. } | Error::NotConfigured)
    }

    /// Whether the embeddings provider failed (shown to an agent as "try again later").
    pub fn is_provider_error(&self) -> bool {
        matches!(
            self,
            Error::EmbeddingsBadCredentials { .. }
                | Error::EmbeddingsRefused { .. }
                | Error::EmbeddingsUnavailable { .. }
                | Error::EmbeddingsBadAnswer(_)
        )
    }

    /// The error as a step failure: transient failures are retried by the step's policy, the
    /// rest stop the step at once.
    pub fn into_step_error(self) -> StepError {
        match self {
            Error::EmbeddingsUnavailable { .. } | Error::Store(_) => StepError::retryable(&self),
            _ => StepError::terminal(&self),
        }
    }
}

/// Result with the docs error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
