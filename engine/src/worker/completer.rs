//! Batched, fenced outcome writes: step outputs and run completions from many attempts are
//! committed together in one statement (one round trip, one transaction; group commit across the
//! flushes in flight), each accepted only while its lease holds.
//!
//! A batch is bounded by count and by bytes. A flush that fails for a transient reason (conflict,
//! lost connection) is retried with backoff, a bounded number of times; one that fails on its data
//! is bisected until the operation that cannot be stored is alone, and only that operation fails,
//! so no innocent run is re-executed.

use std::{sync::Arc, time::Duration};

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::{
    Hooks, Metrics, Result,
    error::db,
    store::{
        flush,
        step::NewStep,
        task::{Completed, Completion},
    },
};

/// What became of a step output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StepCommit {
    /// Committed under the attempt's lease.
    Committed,
    /// The lease was gone; nothing was written.
    LeaseLost,
    /// The database refused this output (why); the other outputs of its batch were committed.
    Unstorable(String),
}

/// What became of a completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FinishCommit {
    /// Written (or refused) as the store says.
    Done(Completed),
    /// The database refused this output (why).
    Unstorable(String),
}

/// A failed flush, as the attempt sees it: it abandons the attempt, which is rescued later.
pub(crate) type FlushError = String;

enum Op {
    Step(NewStep, oneshot::Sender<Result<StepCommit, FlushError>>),
    Finish(
        Completion,
        oneshot::Sender<Result<FinishCommit, FlushError>>,
    ),
}

impl Op {
    fn run_id(&self) -> Uuid {
        match self {
            Op::Step(s, _) => s.run_id,
            Op::Finish(c, _) => c.run_id,
        }
    }

    fn key(&self) -> (Uuid, i64) {
        match self {
            Op::Step(s, _) => (s.run_id, s.epoch),
            Op::Finish(c, _) => (c.run_id, c.epoch),
        }
    }

    /// Size of what the operation writes, roughly (its payloads plus the row).
    fn bytes(&self) -> usize {
        256 + match self {
            Op::Step(s, _) => s.bytes,
            Op::Finish(c, _) => c.bytes,
        }
    }
}

/// Handle to the completer loop. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Completer {
    tx: mpsc::Sender<Op>,
}

/// Most operations committed in one transaction.
const MAX_BATCH: usize = 1000;

/// Most bytes of outputs committed in one transaction (far below Postgres's 1 GB parameter limit).
const MAX_BATCH_BYTES: usize = 32 << 20;

/// Flush transactions committing at the same time.
const FLUSHES_IN_FLIGHT: usize = 3;

/// Retries of a flush that failed for a transient reason, and the first backoff (doubled each time):
/// about 3 s in all, well inside a lease.
const FLUSH_RETRIES: u32 = 6;
const FLUSH_BACKOFF: Duration = Duration::from_millis(50);

/// How a failed flush is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// Deadlock, serialization failure, lost connection, pool timeout: try the same batch again.
    Transient,
    /// Something in the batch cannot be stored: isolate it.
    Data,
    /// Anything else: give the batch up (its attempts are rescued later).
    Other,
}

fn classify(e: &crate::Error) -> Failure {
    let crate::Error::Database { source, .. } = e else {
        return Failure::Other;
    };
    match source {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => Failure::Transient,
        sqlx::Error::Database(d) => match d.code().as_deref() {
            Some("40P01" | "40001") => Failure::Transient,
            Some(c) if c.starts_with("08") || c.starts_with("57P") => Failure::Transient,
            Some(c) if c.starts_with("22") || c.starts_with("54") => Failure::Data,
            _ => Failure::Other,
        },
        _ => Failure::Other,
    }
}

impl Completer {
    /// Starts the completer loop; it ends when every handle is dropped, after flushing.
    pub(crate) fn spawn(
        pool: sqlx::PgPool,
        metrics: Arc<Metrics>,
        hooks: Hooks,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(MAX_BATCH * 4);
        let handle = tokio::spawn(run(pool, metrics, hooks, rx));
        (Self { tx }, handle)
    }

    /// Commits a step output.
    pub(crate) async fn step(&self, s: NewStep) -> Result<StepCommit, FlushError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Op::Step(s, tx))
            .await
            .map_err(|_| "completer stopped".to_owned())?;
        rx.await.map_err(|_| "completer stopped".to_owned())?
    }

    /// Finishes a run.
    pub(crate) async fn finish(&self, c: Completion) -> Result<FinishCommit, FlushError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Op::Finish(c, tx))
            .await
            .map_err(|_| "completer stopped".to_owned())?;
        rx.await.map_err(|_| "completer stopped".to_owned())?
    }
}

async fn run(pool: sqlx::PgPool, metrics: Arc<Metrics>, hooks: Hooks, mut rx: mpsc::Receiver<Op>) {
    // Up to FLUSHES_IN_FLIGHT flushes commit at once so Postgres can group-commit them; they never
    // deadlock with each other because each locks its task rows in run id order before any run
    // row, and a run row is only ever locked under its task row. A flush slot is taken before the
    // batch is: what arrives while every slot is busy joins the next batch, so under load batches
    // grow instead of queueing up as many small flushes.
    let slots = Arc::new(tokio::sync::Semaphore::new(FLUSHES_IN_FLIGHT));
    let mut flushes = tokio::task::JoinSet::new();
    let mut received = Vec::with_capacity(MAX_BATCH);
    loop {
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        if rx.recv_many(&mut received, MAX_BATCH).await == 0 {
            break;
        }
        let mut permit = Some(permit);
        for ops in split_by_bytes(std::mem::take(&mut received)) {
            let permit = match permit.take() {
                Some(p) => p,
                None => slots
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("semaphore never closed"),
            };
            let (pool, metrics, hooks) = (pool.clone(), metrics.clone(), hooks.clone());
            flushes.spawn(async move {
                flush_and_reply(&pool, &metrics, &hooks, ops).await;
                drop(permit);
            });
            while flushes.try_join_next().is_some() {}
        }
    }
    while flushes.join_next().await.is_some() {}
}

/// Cuts a batch into chunks of at most MAX_BATCH_BYTES (an oversized operation goes alone).
fn split_by_bytes(ops: Vec<Op>) -> Vec<Vec<Op>> {
    let mut chunks = vec![Vec::new()];
    let mut bytes = 0;
    for op in ops {
        let size = op.bytes();
        let current = chunks.last_mut().expect("never empty");
        if !current.is_empty() && bytes + size > MAX_BATCH_BYTES {
            chunks.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        chunks.last_mut().expect("never empty").push(op);
    }
    chunks
}

/// The outcome of one operation of a flush.
enum Outcome {
    Step(StepCommit),
    Finish(FinishCommit),
}

async fn flush_and_reply(pool: &sqlx::PgPool, metrics: &Metrics, hooks: &Hooks, ops: Vec<Op>) {
    match flush_isolating(pool, hooks, &ops).await {
        Ok(outcomes) => {
            for (op, outcome) in ops.into_iter().zip(outcomes) {
                match (op, outcome) {
                    (Op::Step(_, tx), Outcome::Step(o)) => drop(tx.send(Ok(o))),
                    (Op::Finish(c, tx), Outcome::Finish(o)) => {
                        if matches!(o, FinishCommit::Done(Completed::Finished(_))) {
                            metrics.finished(c.status);
                        }
                        drop(tx.send(Ok(o)));
                    }
                    _ => unreachable!("outcomes follow their operations"),
                }
            }
        }
        Err(e) => {
            tracing::error!(error.message = %e, error.cause_chain = ?e, operations = ops.len(), "completer flush failed");
            let msg = e.to_string();
            for op in ops {
                match op {
                    Op::Step(_, tx) => drop(tx.send(Err(msg.clone()))),
                    Op::Finish(_, tx) => drop(tx.send(Err(msg.clone()))),
                }
            }
        }
    }
}

/// Flushes the batch, bisecting on data errors until every unstorable operation is alone; each
/// such operation is reported unstorable and everything else is committed.
async fn flush_isolating(pool: &sqlx::PgPool, hooks: &Hooks, ops: &[Op]) -> Result<Vec<Outcome>> {
    let mut outcomes: Vec<Option<Outcome>> = ops.iter().map(|_| None).collect();
    let mut pending: Vec<std::ops::Range<usize>> = Vec::with_capacity(8);
    pending.push(0..ops.len());
    while let Some(range) = pending.pop() {
        match flush_retrying(pool, hooks, &ops[range.clone()]).await {
            Ok(done) => {
                for (i, o) in range.zip(done) {
                    outcomes[i] = Some(o);
                }
            }
            Err(e) if classify(&e) == Failure::Data => {
                if range.len() == 1 {
                    let why = e.to_string()
                        + &match &e {
                            crate::Error::Database { source, .. } => format!(": {source}"),
                            _ => String::new(),
                        };
                    outcomes[range.start] = Some(match &ops[range.start] {
                        Op::Step(..) => Outcome::Step(StepCommit::Unstorable(why)),
                        Op::Finish(..) => Outcome::Finish(FinishCommit::Unstorable(why)),
                    });
                } else {
                    let mid = range.start + range.len() / 2;
                    pending.push(mid..range.end);
                    pending.push(range.start..mid);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.expect("every operation has an outcome"))
        .collect())
}

/// Flushes with bounded retries (exponential backoff) of transient failures.
async fn flush_retrying(pool: &sqlx::PgPool, hooks: &Hooks, ops: &[Op]) -> Result<Vec<Outcome>> {
    let mut backoff = FLUSH_BACKOFF;
    let mut attempt = 0;
    loop {
        match flush(pool, hooks, ops).await {
            Err(e) if classify(&e) == Failure::Transient && attempt < FLUSH_RETRIES => {
                attempt += 1;
                tracing::warn!(attempt, error.message = %e, "completer flush failed for a transient reason; retrying");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            other => return other,
        }
    }
}

async fn flush(pool: &sqlx::PgPool, hooks: &Hooks, ops: &[Op]) -> Result<Vec<Outcome>> {
    // The test hook's input is only built when a hook is set (this is the hot path).
    if hooks.poison_flush.is_some()
        && hooks.poisons(&ops.iter().map(Op::run_id).collect::<Vec<_>>())
    {
        sqlx::query("select 1 / 0")
            .execute(pool)
            .await
            .map_err(db("completer injected fault"))?;
    }
    let steps: Vec<&NewStep> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Step(s, _) => Some(s),
            Op::Finish(..) => None,
        })
        .collect();
    let completions: Vec<&Completion> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Finish(c, _) => Some(c),
            Op::Step(..) => None,
        })
        .collect();
    // One statement, so one round trip and its own transaction (see flush.sql for the lock order).
    let mut flushed = flush::write(pool, &steps, &completions).await?;
    Ok(ops
        .iter()
        .map(|op| match op {
            Op::Step(..) => Outcome::Step(if flushed.accepted.contains(&op.key()) {
                StepCommit::Committed
            } else {
                StepCommit::LeaseLost
            }),
            Op::Finish(..) => Outcome::Finish(FinishCommit::Done(
                flushed
                    .completed
                    .remove(&op.key())
                    .unwrap_or(Completed::LeaseLost),
            )),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::tests::{self as fixture, Spec};

    fn step_op(s: NewStep) -> (Op, oneshot::Receiver<Result<StepCommit, FlushError>>) {
        let (tx, rx) = oneshot::channel();
        (Op::Step(s, tx), rx)
    }

    async fn claimed_runs(pool: &sqlx::PgPool, n: usize) -> Vec<crate::store::task::Claimed> {
        for _ in 0..n {
            fixture::start(pool, Spec::default()).await;
        }
        let claimed = fixture::claim_all(pool, n as i64).await;
        assert_eq!(claimed.len(), n);
        claimed
    }

    #[tokio::test]
    async fn one_unstorable_output_fails_only_its_own_step_and_the_batch_is_committed() {
        let pool = fixture::pool().await;
        let claimed = claimed_runs(&pool, 50).await;
        let bad = claimed[17].run_id;
        let (ops, replies): (Vec<Op>, Vec<_>) = claimed
            .iter()
            .map(|c| {
                let mut s = fixture::step_write(c.run_id, c.epoch, 0);
                if c.run_id == bad {
                    // jsonb cannot hold a NUL character.
                    s.record.output = Some(json!({ "text": "before\u{0}after" }));
                }
                step_op(s)
            })
            .unzip();
        flush_and_reply(&pool, &Metrics::new(), &Hooks::default(), ops).await;
        for (c, reply) in claimed.iter().zip(replies) {
            let reply = reply.await.unwrap().unwrap();
            if c.run_id == bad {
                let StepCommit::Unstorable(why) = reply else {
                    panic!("{reply:?}")
                };
                assert!(
                    why.contains("unsupported Unicode escape") || why.contains("\\u0000"),
                    "{why}"
                );
            } else {
                assert_eq!(reply, StepCommit::Committed, "an innocent run is committed");
            }
        }
        let committed: i64 = sqlx::query_scalar("select count(*) from workflow_steps")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(committed, 49);
    }

    #[tokio::test]
    async fn a_flush_that_fails_on_its_data_is_bisected_to_the_one_operation() {
        let pool = fixture::pool().await;
        let claimed = claimed_runs(&pool, 20).await;
        let poisoned = claimed[5].run_id;
        let flushes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = flushes.clone();
        let hooks = Hooks {
            poison_flush: Some(Arc::new(move |runs: &[Uuid]| {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                runs.contains(&poisoned)
            })),
            ..Hooks::default()
        };
        let (ops, replies): (Vec<Op>, Vec<_>) = claimed
            .iter()
            .map(|c| step_op(fixture::step_write(c.run_id, c.epoch, 0)))
            .unzip();
        flush_and_reply(&pool, &Metrics::new(), &hooks, ops).await;
        let mut unstorable = Vec::new();
        for (c, reply) in claimed.iter().zip(replies) {
            match reply.await.unwrap().unwrap() {
                StepCommit::Committed => {}
                StepCommit::Unstorable(_) => unstorable.push(c.run_id),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(unstorable, [poisoned]);
        let tries = flushes.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            tries <= 2 * 5 + 1,
            "bisection, not one flush per operation: {tries}"
        );
    }

    #[test]
    fn a_batch_is_cut_by_bytes_and_an_oversized_operation_goes_alone() {
        let big = |n: usize| {
            let mut s = fixture::step_write(Uuid::now_v7(), 1, 0);
            s.bytes = n;
            step_op(s).0
        };
        let chunks = split_by_bytes(vec![
            big(10 << 20),
            big(10 << 20),
            big(10 << 20),
            big(40 << 20),
            big(10),
        ]);
        let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
        assert_eq!(sizes, [3, 1, 1]);
    }
}
