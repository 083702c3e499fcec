//! Errors of the engine's API, of steps and of workflows.

use serde::{Deserialize, Serialize};

/// Errors returned by the engine's client, worker and store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No workflow of this kind is registered.
    #[error("unknown workflow kind {0:?}")]
    UnknownKind(String),
    /// The input does not match the workflow's input type.
    #[error("invalid input for workflow {kind:?}: {message}")]
    InvalidInput {
        /// The workflow kind.
        kind: String,
        /// What the decoder said.
        message: String,
    },
    /// A payload (input, signal, step output) is larger than allowed.
    #[error("payload of {size} bytes exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// Serialized size.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// An option is out of range; names the option.
    #[error("invalid option {name}: {message}")]
    InvalidOption {
        /// The option.
        name: &'static str,
        /// Why it is invalid.
        message: String,
    },
    /// The run does not exist.
    #[error("run {0} not found")]
    RunNotFound(uuid::Uuid),
    /// The run is in a transition that did not settle within a few tries; try again.
    #[error("run {0} is busy; try again")]
    Busy(uuid::Uuid),
    /// A start reused the idempotency key of a run with another kind or input.
    #[error("idempotency key {key:?} belongs to run {run_id}, of another kind or input")]
    IdempotencyConflict {
        /// The key.
        key: String,
        /// The run that holds it.
        run_id: uuid::Uuid,
    },
    /// A cron expression could not be parsed.
    #[error("invalid cron expression {expression:?}")]
    InvalidCron {
        /// The expression.
        expression: String,
        /// Parser error.
        #[source]
        source: cron::error::Error,
    },
    /// Serializing or deserializing a payload failed.
    #[error("encode or decode a payload")]
    Codec(#[source] serde_json::Error),
    /// A database operation failed; names the operation.
    #[error("database operation {op} failed")]
    Database {
        /// The operation.
        op: &'static str,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// Applying migrations failed.
    #[error("apply migrations")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// Result with the engine's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps a database error with the operation that failed.
pub(crate) fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Database { op, source }
}

/// Error returned by a step body: retryable under the step's policy, or terminal.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StepError {
    /// Try again after backoff, up to the policy's maximum attempts.
    #[error("{0}")]
    Retryable(String),
    /// Do not retry; the step fails now.
    #[error("{0}")]
    Terminal(String),
}

impl StepError {
    /// A retryable error from anything displayable.
    pub fn retryable(e: impl std::fmt::Display) -> Self {
        StepError::Retryable(e.to_string())
    }
    /// A terminal error from anything displayable.
    pub fn terminal(e: impl std::fmt::Display) -> Self {
        StepError::Terminal(e.to_string())
    }
}

/// A step that failed for good (terminal error or attempts exhausted), as recorded in its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("step {step} failed after {attempts} attempt(s): {message}")]
pub struct StepFailed {
    /// The step name.
    pub step: String,
    /// The last error message.
    pub message: String,
    /// Attempts made.
    pub attempts: i32,
}

/// Why a workflow run failed; stored as the run's error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct WorkflowError {
    /// A stable, machine-readable code (snake_case).
    pub code: String,
    /// Human-readable reason.
    pub message: String,
}

impl WorkflowError {
    /// A workflow error with a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<StepFailed> for WorkflowError {
    fn from(e: StepFailed) -> Self {
        WorkflowError::new("step_failed", e.to_string())
    }
}

impl From<serde_json::Error> for WorkflowError {
    fn from(e: serde_json::Error) -> Self {
        WorkflowError::new("codec", e.to_string())
    }
}
