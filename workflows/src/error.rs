//! Errors of the domain layer.

/// Errors of stage workflows, ingress and their stores.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A database operation failed; names the operation.
    #[error("database operation {op} failed")]
    Database {
        /// The operation.
        op: &'static str,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// The engine refused or failed an operation.
    #[error("workflow engine")]
    Engine(#[from] engine::Error),
    /// A stored record is not what the code expects.
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

/// Result with the domain error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps a database error with the operation that failed.
pub(crate) fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Database { op, source }
}
