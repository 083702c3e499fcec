//! Routing and label policy: what a GitHub event means for the stage process.
//!
//! Pure and table-driven: no I/O, no clock. The caller parses the event into [`Event`],
//! looks up [`Facts`], and acts on the [`Decision`] that [`route`] returns.
//! Next steps and their label transitions are pure functions too ([`next_steps`], [`preview`], [`execute`]).
//! Reading a webhook body ([`read_payload`]) and its event ([`parse_event`]) is here too: the
//! fuzz target exercises this crate alone, so it builds without the platform's I/O stack.

mod actor;
mod approval;
mod catalog;
mod config;
mod decision;
mod discussion;
mod error;
mod event;
mod fact;
#[cfg(test)]
mod fixture;
mod label;
mod launch;
mod model;
mod next_step;
mod parse;
mod payload;
mod plan;
mod profile;
mod reason;
mod review;
mod route;
mod runtime;
mod stage;
mod transition;
mod trigger;

pub use actor::{Access, PlatformRole, ProjectRole};
pub use approval::{AgentLabelRequest, route_agent_labels};
pub use catalog::{LabelCatalog, LabelKind, NeedLabel, StateLabel};
pub use config::{LabelConfig, ModelLabelConfig, Policy, PolicyConfig};
pub use decision::{
    CleanupTarget, CommentKind, Decision, LabelChange, RunKind, RunPlan, TriggerSource,
};
pub use error::{Error, Result};
pub use event::{
    Event, EventKind, IssueNumber, Login, PullRequestNumber, RepoFullName, ReviewState, Sender,
    SenderKind, Thread,
};
pub use fact::{Facts, LinkedIssue, LinkedPullRequest, RunRecord};
pub use label::{LabelName, LabelSet};
pub use launch::LaunchProfile;
pub use model::{ModelName, ReasoningEffort};
pub use next_step::{Finished, NextStep, StepIntent, next_steps};
pub use parse::{ParseError, parse_event};
pub use payload::{Payload, PayloadError, read_payload};
pub use profile::{Profile, ProfileSource, Selection};
pub use reason::ReasonCode;
pub use review::ResolverSource;
pub use route::route;
pub use runtime::{
    AccessProfile, BuildRef, ExecutionMode, ModePolicy, Placed, Placement, TargetEnv,
};
pub use stage::{Role, Stage, StageSpec};
pub use transition::{Action, LabelDiff, Preview, execute, preview};
pub use trigger::Trigger;
