//! The workflow kinds the bench runs on the engine; each reports to the bench through a counter or
//! a channel held by the workflow value.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use engine::prelude::*;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A job: a run whose body returns at once (start + claim + finish, no step).
pub(crate) struct Noop {
    /// Bodies executed.
    pub(crate) done: Arc<AtomicU64>,
}

impl Workflow for Noop {
    const KIND: &'static str = "bench_noop";
    type Input = u64;
    type Output = ();

    async fn run(&self, _: WorkflowContext, _: u64) -> Result<(), WorkflowError> {
        self.done.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Three checkpointed steps with trivial bodies.
pub(crate) struct ThreeSteps {
    /// Bodies that passed their third step.
    pub(crate) done: Arc<AtomicU64>,
}

impl Workflow for ThreeSteps {
    const KIND: &'static str = "bench_three_steps";
    type Input = u64;
    type Output = u64;

    async fn run(&self, ctx: WorkflowContext, input: u64) -> Result<u64, WorkflowError> {
        let a: u64 = ctx.step("a", |_| async move { Ok(input) }).await?;
        let b: u64 = ctx.step("b", |_| async move { Ok(a + 1) }).await?;
        let c: u64 = ctx.step("c", |_| async move { Ok(b + 1) }).await?;
        self.done.fetch_add(1, Ordering::Relaxed);
        Ok(c)
    }
}

/// Reports the instant its body starts, keyed by the sequence number in its input.
pub(crate) struct Ping {
    /// Receives (sequence number, body start).
    pub(crate) started: UnboundedSender<(u64, Instant)>,
}

impl Workflow for Ping {
    const KIND: &'static str = "bench_ping";
    type Input = u64;
    type Output = ();

    async fn run(&self, _: WorkflowContext, seq: u64) -> Result<(), WorkflowError> {
        let _ = self.started.send((seq, Instant::now()));
        Ok(())
    }
}

/// Which process runs a [`Hold`] and so what its step does.
pub(crate) enum HoldRole {
    /// The process that is killed: its step sleeps far longer than the bench waits.
    Doomed,
    /// The rescuing process: its step reports its start, then waits for the gate.
    Rescuer {
        /// Receives (run, step start).
        started: UnboundedSender<(Uuid, Instant)>,
        /// Cancelled when the bench has probed the fence.
        gate: CancellationToken,
    },
}

/// One step named `work` whose output says which process committed it (`doomed` or `rescuer`).
pub(crate) struct Hold {
    /// What the step does in this process.
    pub(crate) role: HoldRole,
}

/// Output of the doomed process's step, which must never be committed.
pub(crate) const DOOMED_OUTPUT: &str = "doomed";

impl Workflow for Hold {
    const KIND: &'static str = "bench_hold";
    type Input = u64;
    type Output = String;

    async fn run(&self, ctx: WorkflowContext, _: u64) -> Result<String, WorkflowError> {
        let run_id = ctx.run_id();
        let output = match &self.role {
            HoldRole::Doomed => {
                ctx.step("work", |_| async move {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(DOOMED_OUTPUT.to_owned())
                })
                .await?
            }
            HoldRole::Rescuer { started, gate } => {
                let (started, gate) = (started.clone(), gate.clone());
                ctx.step("work", |_| async move {
                    let _ = started.send((run_id, Instant::now()));
                    gate.cancelled().await;
                    Ok("rescuer".to_owned())
                })
                .await?
            }
        };
        Ok(output)
    }
}
