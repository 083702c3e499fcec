//! Where agents run. A stage run prepares a workspace, launches its agent there, probes it,
//! collects what it produced and releases the workspace; `LocalRuntime` does this with a child
//! process on this machine (dev and tests), a Kubernetes runtime does it with a Job.

pub mod agent_env;
mod environment;
mod git;
mod local;
mod supervisor;

pub use git::{GitError, GitSettings, changed_files, git as run_git};

pub use environment::{
    EnvironmentDeletion, EnvironmentView, JobView, PodView, RevealedValue, SecretLookup,
    SecretReveal, SecretView, ValueEncoding,
};
pub use local::{AgentCommand, LocalRuntime};

use std::collections::HashSet;

use crate::policy::{AccessProfile, ExecutionMode};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a runtime operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// Preparing the workspace failed.
    #[error("prepare workspace: {0}")]
    Prepare(String),
    /// Starting the agent failed.
    #[error("launch agent: {0}")]
    Launch(String),
    /// Reading the agent's results failed.
    #[error("collect results: {0}")]
    Collect(String),
    /// Stopping or releasing failed.
    #[error("release runtime: {0}")]
    Release(String),
    /// Removing leftover environments failed.
    #[error("clean up environments: {0}")]
    Cleanup(String),
    /// Reading a run's environment failed.
    #[error("inspect environment: {0}")]
    Inspect(String),
}

/// A prepared workspace, as the stage run records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    /// Runtime-specific handle (a directory, a namespace).
    pub handle: String,
    /// The checked-out repository the agent works in, when the runtime exposes one.
    pub repo_dir: Option<String>,
    /// The commit the work branch started from, when the workspace is a git checkout: the base
    /// of the write-scope diff.
    #[serde(default)]
    pub base_commit: Option<String>,
}

/// The repository a workspace checks out: where from, and the branch a new work branch starts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkout {
    /// The clone URL (no credential in it).
    pub clone_url: String,
    /// The default branch.
    pub default_branch: String,
}

/// What to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentSpec {
    /// The stage run.
    pub run_id: Uuid,
    /// `owner/name`.
    pub repository: String,
    /// Work branch.
    pub branch: String,
    /// The rendered prompt.
    pub prompt: String,
    /// Model.
    pub model: String,
    /// Reasoning effort.
    pub reasoning: String,
    /// Agent role.
    pub role: String,
    /// Environment only the agent sees (its run token, the platform URL). Never serialized.
    #[serde(skip)]
    pub env: Vec<(String, String)>,
    /// What to check out; none: the runtime's seed directory (or an empty one).
    #[serde(default)]
    pub checkout: Option<Checkout>,
    /// Launch attempt: a higher attempt than the last one starts the agent again (after it died
    /// while its run waited); the same attempt again starts nothing new.
    #[serde(default)]
    pub attempt: u32,
    /// Who the run is for and how it may act; runtimes that isolate runs (Kubernetes) need it.
    #[serde(default)]
    pub scope: Option<RunScope>,
}

/// The run's place in the project: what a cluster runtime names and isolates its namespace by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunScope {
    /// The project.
    pub project_id: Uuid,
    /// The Issue or pull request number the run works on.
    pub thread: u64,
    /// `full-env` (a namespace per issue and role) or `code-only` (the project's namespace).
    pub mode: ExecutionMode,
    /// What the agent may do in its namespace.
    pub profile: AccessProfile,
}

/// A launched agent: where it runs, and (for runtimes that can) a future resolving to its exit
/// code, so the stage run hears of the exit without waiting for its next probe.
pub struct Launched {
    /// Runtime-specific id of the agent (pid, Job name).
    pub agent: String,
    /// Resolves when the agent exits.
    pub exited: Option<BoxFuture<'static, i32>>,
}

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum AgentState {
    /// Still running.
    Running,
    /// Exited with this code.
    Exited {
        /// Exit code.
        code: i32,
    },
    /// Gone without a recorded exit (its host died).
    Gone,
}

/// What the agent produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentOutput {
    /// Exit code (-1 when it vanished).
    pub exit_code: i32,
    /// The agent's final message, if it wrote one.
    pub final_message: Option<String>,
    /// Files added, changed or removed in the repository, relative paths.
    pub changed_files: Vec<String>,
    /// Pull request the agent opened or updated, if it reported one.
    pub pull_request: Option<u64>,
    /// Whether the agent left its result (final message, pull request) for the runtime to read;
    /// an exit status of 0 without a result (here or reported to the platform) is no success.
    #[serde(default)]
    pub result_found: bool,
    /// The last lines of the agent's log, kept with the run for inspection (cluster runtimes).
    #[serde(default)]
    pub log_tail: Option<String>,
    /// Why the agent's host failed it (OOMKilled, Evicted, node lost...), when the failure was
    /// the infrastructure's and not the agent's: the workflow may launch it again.
    #[serde(default)]
    pub infrastructure_failure: Option<String>,
}

/// A place where agents run.
pub trait AgentRuntime: Send + Sync {
    /// Creates (or finds, when called again) the run's workspace.
    fn prepare<'a>(&'a self, spec: &'a AgentSpec)
    -> BoxFuture<'a, Result<Workspace, RuntimeError>>;
    /// Starts the agent in the workspace (a second call while it runs starts nothing new).
    fn launch<'a>(
        &'a self,
        ws: &'a Workspace,
        spec: &'a AgentSpec,
    ) -> BoxFuture<'a, Result<Launched, RuntimeError>>;
    /// Looks at the agent.
    fn probe<'a>(&'a self, ws: &'a Workspace) -> BoxFuture<'a, Result<AgentState, RuntimeError>>;
    /// Reads what the agent produced.
    fn collect<'a>(&'a self, ws: &'a Workspace)
    -> BoxFuture<'a, Result<AgentOutput, RuntimeError>>;
    /// Stops the agent if it runs (idempotent).
    fn stop<'a>(&'a self, ws: &'a Workspace) -> BoxFuture<'a, Result<(), RuntimeError>>;
    /// Releases the workspace (idempotent).
    fn release<'a>(&'a self, ws: &'a Workspace) -> BoxFuture<'a, Result<(), RuntimeError>>;
    /// Removes what outlived its runs: environments whose lease ran out before `now` and whose
    /// (project, thread) has no run in `active`. Nothing outlives a run of a runtime without
    /// leases (the default).
    fn sweep<'a>(
        &'a self,
        now: DateTime<Utc>,
        active: &'a HashSet<(Uuid, u64)>,
    ) -> BoxFuture<'a, Result<Swept, RuntimeError>> {
        let _ = (now, active);
        Box::pin(async { Ok(Swept::default()) })
    }
    /// Removes the environments of an Issue or pull request of `project` that closed.
    fn thread_closed<'a>(
        &'a self,
        project: Uuid,
        thread: u64,
    ) -> BoxFuture<'a, Result<Swept, RuntimeError>> {
        let _ = (project, thread);
        Box::pin(async { Ok(Swept::default()) })
    }
    /// The name of the environment a run of `role` with `scope` uses (a namespace), without
    /// asking anyone; none for a runtime without environments (the default).
    fn environment_name(&self, role: &str, scope: RunScope) -> Option<String> {
        let _ = (role, scope);
        None
    }
    /// The environment the run `run_id` of `role` with `scope` has, for inspection; none for a
    /// runtime whose runs have no environment beyond their workspace (the default).
    fn environment<'a>(
        &'a self,
        run_id: Uuid,
        role: &'a str,
        scope: RunScope,
    ) -> BoxFuture<'a, Result<Option<EnvironmentView>, RuntimeError>> {
        let _ = (run_id, role, scope);
        Box::pin(async { Ok(None) })
    }
    /// Deletes the environment of a run of `role` with `scope` now, under the guardrails,
    /// unless `in_use` (asked after the environment was read) says a run still uses it; none
    /// for a runtime without environments (the default).
    fn delete_environment<'a>(
        &'a self,
        role: &'a str,
        scope: RunScope,
        in_use: BoxFuture<'a, Result<bool, String>>,
    ) -> BoxFuture<'a, Result<Option<EnvironmentDeletion>, RuntimeError>> {
        let _ = (role, scope, in_use);
        Box::pin(async { Ok(None) })
    }
    /// Reads the values of the Secret `name` in the environment of the run `run_id` of `role`
    /// with `scope`, for an explicit reveal by a permitted person (the caller audits it); none
    /// for a runtime without environments (the default).
    fn reveal_secret<'a>(
        &'a self,
        run_id: Uuid,
        role: &'a str,
        scope: RunScope,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<SecretLookup>, RuntimeError>> {
        let _ = (run_id, role, scope, name);
        Box::pin(async { Ok(None) })
    }
}

/// What one cleanup did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swept {
    /// Environments deleted.
    pub deleted: Vec<String>,
    /// Environments kept, each with why.
    pub kept: Vec<(String, String)>,
}
