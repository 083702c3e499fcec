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

impl Error {
    /// The constraint a database error violated, if that is what failed.
    pub(crate) fn constraint(&self) -> Option<&str> {
        match self {
            Error::Database {
                source: sqlx::Error::Database(d),
                ..
            } => d.constraint(),
            _ => None,
        }
    }
}

/// Result with the domain error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps a database error with the operation that failed.
pub(crate) fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Database { op, source }
}

/// An error with its sources (`list comments of acme/shop#1: github answered 404 Not Found: Not Found`),
/// so a recorded error names the real cause (the code host's status and message, why a
/// connection failed). The one formatter of error chains in the workspace's products.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
