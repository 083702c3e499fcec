//! The workflow trait authors implement, and the registry of kinds a worker or client knows.

use std::{collections::HashMap, future::Future, sync::Arc};

use futures::{FutureExt, future::BoxFuture};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use uuid::Uuid;

use crate::{Result, RetryPolicy, StepError, WorkflowContext, WorkflowError};

/// A durable workflow: a deterministic function of checkpointed steps, plus a cleanup.
///
/// `run` must be deterministic given its input and the outputs of its steps: clock, randomness and
/// I/O go through the context (`ctx.step`, `ctx.now`, `ctx.uuid`), because a run replays from the
/// start after every crash, restart or wait. `KIND` and step names are persisted: renaming one is a
/// migration.
pub trait Workflow: Send + Sync + 'static {
    /// The persisted kind name.
    const KIND: &'static str;
    /// The code version, stored on every run this code starts. Raise it when a change would replay
    /// old runs differently; a worker never replays a run started by newer code than its own (it
    /// hands the run back, and parks it after a bound), and a replay that finds history it does
    /// not expect parks the run instead of failing it.
    const VERSION: u32 = 1;
    /// The run's input.
    type Input: Serialize + DeserializeOwned + Send + 'static;
    /// The run's output.
    type Output: Serialize + DeserializeOwned + Send + 'static;

    /// The workflow body.
    fn run(
        &self,
        ctx: WorkflowContext,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self::Output, WorkflowError>> + Send;

    /// Runs once when the run ends failed, cancelled or timed out (e.g. to release a runtime).
    /// It is retried under [`Workflow::cleanup_policy`] and must be idempotent.
    fn cleanup(
        &self,
        run_id: Uuid,
        input: Self::Input,
        reason: EndReason,
    ) -> impl Future<Output = Result<(), StepError>> + Send {
        let _ = (run_id, input, reason);
        async { Ok(()) }
    }

    /// Retry policy of the cleanup.
    fn cleanup_policy(&self) -> RetryPolicy {
        RetryPolicy::default()
    }
}

/// Why a run ended without succeeding; its cleanup is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The workflow returned an error or a step kept crashing its worker.
    Failed,
    /// Someone cancelled the run.
    Cancelled,
    /// The run's time budget is spent.
    TimedOut,
}

impl EndReason {
    /// The stored name, which is also the run's final status.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Failed => "failed",
            EndReason::Cancelled => "cancelled",
            EndReason::TimedOut => "timed_out",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "failed" => Some(EndReason::Failed),
            "cancelled" => Some(EndReason::Cancelled),
            "timed_out" => Some(EndReason::TimedOut),
            _ => None,
        }
    }
}

/// Type-erased workflow, as the worker runs it.
pub(crate) trait ErasedWorkflow: Send + Sync {
    fn run(
        self: Arc<Self>,
        ctx: WorkflowContext,
        input: Value,
    ) -> BoxFuture<'static, std::result::Result<Value, WorkflowError>>;
    fn cleanup(
        self: Arc<Self>,
        run_id: Uuid,
        input: Value,
        reason: EndReason,
    ) -> BoxFuture<'static, std::result::Result<(), StepError>>;
    fn cleanup_policy(&self) -> RetryPolicy;
    fn version(&self) -> u32;
}

struct Erased<W>(W);

impl<W: Workflow> ErasedWorkflow for Erased<W> {
    fn run(
        self: Arc<Self>,
        ctx: WorkflowContext,
        input: Value,
    ) -> BoxFuture<'static, std::result::Result<Value, WorkflowError>> {
        async move {
            let input: W::Input = serde_json::from_value(input)?;
            let output = self.0.run(ctx, input).await?;
            Ok(serde_json::to_value(output)?)
        }
        .boxed()
    }

    fn cleanup(
        self: Arc<Self>,
        run_id: Uuid,
        input: Value,
        reason: EndReason,
    ) -> BoxFuture<'static, std::result::Result<(), StepError>> {
        async move {
            let input: W::Input = serde_json::from_value(input).map_err(StepError::terminal)?;
            self.0.cleanup(run_id, input, reason).await
        }
        .boxed()
    }

    fn cleanup_policy(&self) -> RetryPolicy {
        self.0.cleanup_policy()
    }

    fn version(&self) -> u32 {
        W::VERSION
    }
}

/// The workflow kinds a client may start and a worker may run.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: HashMap<&'static str, Arc<dyn ErasedWorkflow>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a workflow kind (builder style); fails when its cleanup policy is invalid.
    pub fn with<W: Workflow>(mut self, workflow: W) -> Result<Self> {
        self.register(workflow)?;
        Ok(self)
    }

    /// Adds a workflow kind; a later registration of the same kind replaces the earlier one.
    /// Fails when its cleanup policy is invalid, so a bad policy stops the worker at start.
    pub fn register<W: Workflow>(&mut self, workflow: W) -> Result<()> {
        workflow.cleanup_policy().validate()?;
        self.kinds.insert(W::KIND, Arc::new(Erased(workflow)));
        Ok(())
    }

    /// Whether the kind is registered.
    pub fn contains(&self, kind: &str) -> bool {
        self.kinds.contains_key(kind)
    }

    pub(crate) fn get(&self, kind: &str) -> Option<Arc<dyn ErasedWorkflow>> {
        self.kinds.get(kind).cloned()
    }

    /// Every registered kind with its code version.
    pub(crate) fn versions(&self) -> Vec<(String, i32)> {
        self.kinds
            .iter()
            .map(|(k, w)| {
                (
                    (*k).to_owned(),
                    i32::try_from(w.version()).unwrap_or(i32::MAX),
                )
            })
            .collect()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.kinds.keys()).finish()
    }
}
