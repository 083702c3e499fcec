//! A durable workflow engine on Postgres.
//!
//! A workflow run is a function of checkpointed steps: each step's output is committed once and
//! returned from storage when the run replays after a crash, restart or wait. Workers claim runs
//! with fenced leases, so a worker that lost its lease can never overwrite a rescued run.
//! The engine knows nothing of GitHub or Kubernetes; see `docs/architecture.md`.

mod client;
mod clock;
mod context;
mod error;
mod hooks;
mod inspect;
mod metrics;
mod retry;
mod store;
mod trace;
mod worker;
mod workflow;

pub use client::{
    Backlog, CatchUp, Client, ClientConfig, RetryOutcome, ScheduleOptions, SignalOutcome,
    StartOptions, StartedRun, TerminateOutcome,
};
pub use clock::{Clock, SystemClock};
pub use context::{StepContext, Wait, WaitOutcome, WorkflowContext};
pub use error::{Error, Result, StepError, StepFailed, WorkflowError};
#[doc(hidden)]
pub use hooks::{Hook, Hooks, Poison};
pub use inspect::{
    EventView, RunDetail, RunFilter, RunPage, RunStatus, RunSummary, StepView, WaitView,
};
pub use metrics::Metrics;
pub use retry::RetryPolicy;
pub use trace::{TracePropagation, current_trace_parent, install_trace_propagation};
pub use worker::{HealthState, Worker, WorkerConfig, WorkerHealth};
pub use workflow::{EndReason, Registry, Workflow};

/// What a workflow author imports.
pub mod prelude {
    pub use crate::{
        EndReason, RetryPolicy, StepContext, StepError, StepFailed, Wait, WaitOutcome, Workflow,
        WorkflowContext, WorkflowError,
    };
}
