//! The one error type of the policy module.

use super::event::Thread;
use super::reason::ReasonCode;

/// Result alias for the policy module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the policy module can refuse, one variant per failed operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A label name was empty after trimming.
    #[error("label name is empty")]
    EmptyLabel,
    /// A label name was longer than GitHub allows.
    #[error("label name {label:?} is longer than {max} characters")]
    LabelTooLong {
        /// The rejected name.
        label: String,
        /// The limit.
        max: usize,
    },
    /// Two configured labels compare equal, so one of them could never be told apart.
    #[error("label {label:?} is configured both as {first} and as {second}")]
    DuplicateLabel {
        /// The clashing name.
        label: String,
        /// What the name was first configured as.
        first: String,
        /// What the name was configured as again.
        second: String,
    },
    /// A model name was empty after trimming.
    #[error("model name is empty")]
    EmptyModel,
    /// A GitHub login was empty after trimming.
    #[error("login is empty")]
    EmptyLogin,
    /// A repository name was not of the form `owner/name`.
    #[error("repository name {0:?} is not of the form owner/name")]
    InvalidRepository(String),
    /// A next step would add a label that is already there, so GitHub would send no event.
    #[error("label {label} is already on {thread}")]
    TargetAlreadyPresent {
        /// The thread the step targets.
        thread: Thread,
        /// The label that is already present.
        label: String,
    },
    /// The labels changed between the preview and the execute call.
    #[error(
        "labels on {thread} changed since the preview (appeared: {appeared:?}, disappeared: {disappeared:?})"
    )]
    StalePreview {
        /// The thread whose labels changed.
        thread: Thread,
        /// Labels present now that the preview did not see.
        appeared: Vec<String>,
        /// Labels the preview saw that are gone now.
        disappeared: Vec<String>,
    },
    /// The person confirming a next step may not start runs.
    #[error("next step not permitted: {reason}")]
    NextStepNotPermitted {
        /// Why the person may not start runs.
        reason: ReasonCode,
    },
}

impl Error {
    /// Stable snake_case code for API clients; never renamed.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyLabel => "empty_label",
            Self::LabelTooLong { .. } => "label_too_long",
            Self::DuplicateLabel { .. } => "duplicate_label",
            Self::EmptyModel => "empty_model",
            Self::EmptyLogin => "empty_login",
            Self::InvalidRepository(_) => "invalid_repository",
            Self::TargetAlreadyPresent { .. } => "target_already_present",
            Self::StalePreview { .. } => "stale_preview",
            Self::NextStepNotPermitted { .. } => "next_step_not_permitted",
        }
    }
}
