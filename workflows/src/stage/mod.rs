//! Stage runs: the workflow of one `run:*` label (or pre-review, or discussion), its status
//! comment and its prompt.

pub mod comment;
mod prompt;
mod shape;
mod workflow;

pub use workflow::{
    AGENT_EVENT, AgentEvent, ReleaseInput, ReleaseRuntime, StageInput, StageOutput, StageRun,
};
