//! The one error type of the prompt module.

/// Result alias for the prompt module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the prompt module can refuse or fail at, one variant per operation.
///
/// No variant carries prompt text or a template body: a message must never echo a secret back.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A prompt text looked like a credential (the kind of credential, never the text).
    #[error("text looks like a {kind}")]
    SecretLike {
        /// What it looked like, e.g. `github token`.
        kind: &'static str,
    },
    /// A prompt text had a line break where one line is expected.
    #[error("text must be a single line")]
    TextNotOneLine,
    /// A prompt text was longer than allowed.
    #[error("text is longer than {max} characters")]
    TextTooLong {
        /// The limit.
        max: usize,
    },
    /// The platform learning-mode default was neither empty nor a boolean word.
    #[error("invalid learning mode default {0:?} (expected empty, true or false)")]
    ParseLearningDefault(
        /// The configured value.
        String,
    ),
    /// Neither an override nor a seed exists for the role and kind, in any locale of the chain.
    #[error("no prompt template for role {role} and kind {kind}")]
    TemplateMissing {
        /// The role's wire name.
        role: String,
        /// The kind's wire name.
        kind: String,
    },
    /// A template failed to compile or render (an undefined variable, a syntax error).
    #[error("render prompt template {template}")]
    Render {
        /// Which template: `task` (the role body) or an envelope path.
        template: String,
        /// What minijinja said.
        #[source]
        source: minijinja::Error,
    },
    /// A rendered prompt contained something that looks like a credential.
    #[error("rendered prompt contains what looks like a {kind}")]
    SecretInOutput {
        /// What it looked like.
        kind: &'static str,
    },
    /// An override body was empty or only whitespace.
    #[error("template body is empty")]
    EmptyBody,
    /// An override body was larger than the table allows.
    #[error("template body is longer than {max} characters")]
    BodyTooLarge {
        /// The limit.
        max: usize,
    },
    /// A new version was written without saying why.
    #[error("change reason is empty")]
    EmptyChangeReason,
    /// The active version is not the one the caller based the change on (a concurrent edit or rollback).
    #[error("template version conflict: expected active version {expected:?}, found {actual:?}")]
    VersionConflict {
        /// The active version the caller expected; `None` means none.
        expected: Option<i32>,
        /// The active version found; `None` means none.
        actual: Option<i32>,
    },
    /// The version to activate does not exist for this key.
    #[error("template version {version} not found")]
    VersionNotFound {
        /// The requested version.
        version: i32,
    },
    /// A stored row held a value this build does not know; names the column.
    #[error("stored prompt template has an unknown {column}")]
    DecodeRow {
        /// The column.
        column: &'static str,
    },
    /// A database operation failed; names the operation.
    #[error("database operation {op} failed")]
    Database {
        /// The operation.
        op: &'static str,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
}

impl Error {
    /// Stable snake_case code for API clients; never renamed.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SecretLike { .. } => "secret_like_text",
            Self::TextNotOneLine => "text_not_one_line",
            Self::TextTooLong { .. } => "text_too_long",
            Self::ParseLearningDefault(_) => "invalid_learning_default",
            Self::TemplateMissing { .. } => "template_missing",
            Self::Render { .. } => "template_render_failed",
            Self::SecretInOutput { .. } => "secret_in_prompt",
            Self::EmptyBody => "empty_template_body",
            Self::BodyTooLarge { .. } => "template_body_too_large",
            Self::EmptyChangeReason => "empty_change_reason",
            Self::VersionConflict { .. } => "template_version_conflict",
            Self::VersionNotFound { .. } => "template_version_not_found",
            Self::DecodeRow { .. } => "template_row_invalid",
            Self::Database { .. } => "database_error",
        }
    }
}

/// Wraps a database error with the operation that failed.
pub(crate) fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Database { op, source }
}
