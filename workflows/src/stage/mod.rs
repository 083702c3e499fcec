//! Stage runs: the workflow of one `run:*` label (or pre-review, or discussion), its status
//! comment and its prompt.

mod cancel;
pub mod checkout_grant;
mod child;
mod cleanup;
pub mod comment;
mod environment;
mod failure;
mod links;
pub mod outcome;
mod prompt;
pub mod pull_request;
pub mod push_grant;
mod retry;
mod review_gate;
mod shape;
mod verdict;
mod workflow;

pub use cancel::{CancelError, cancel};
pub use environment::{
    EnvironmentError, delete_environment, environment, environment_name, reveal_secret,
};
pub use retry::{Retried, RetryError, retry};
pub use workflow::{
    AGENT_EVENT, AgentEvent, ReleaseInput, ReleaseRuntime, StageInput, StageOutput, StageRun,
};
