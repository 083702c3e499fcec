//! Batched, fenced outcome writes: step outputs and run completions from many attempts are
//! committed together in one transaction (group commit), each accepted only while its lease holds.

use std::{collections::HashSet, sync::Arc};

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::{
    Metrics, Result,
    error::db,
    store::{
        step::{self, NewStep},
        task::{self, Completion},
    },
};

enum Op {
    Step(NewStep, oneshot::Sender<Result<bool, String>>),
    Finish(Completion, oneshot::Sender<Result<bool, String>>),
}

/// Handle to the completer loop. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Completer {
    tx: mpsc::Sender<Op>,
}

/// Most operations committed in one transaction.
const MAX_BATCH: usize = 1000;

/// Flush transactions committing at the same time.
const FLUSHES_IN_FLIGHT: usize = 3;

/// Retries of a flush that hit a deadlock or a serialization failure.
const FLUSH_RETRIES: u32 = 3;

/// Whether the error is a transient conflict (deadlock, serialization failure) worth retrying.
fn is_conflict(e: &crate::Error) -> bool {
    match e {
        crate::Error::Database {
            source: sqlx::Error::Database(db),
            ..
        } => {
            matches!(db.code().as_deref(), Some("40P01" | "40001"))
        }
        _ => false,
    }
}

impl Completer {
    /// Starts the completer loop; it ends when every handle is dropped, after flushing.
    pub(crate) fn spawn(
        pool: sqlx::PgPool,
        metrics: Arc<Metrics>,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(MAX_BATCH * 4);
        let handle = tokio::spawn(run(pool, metrics, rx));
        (Self { tx }, handle)
    }

    /// Commits a step output; Ok(false) when the lease was lost.
    pub(crate) async fn step(&self, s: NewStep) -> Result<bool, String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Op::Step(s, tx))
            .await
            .map_err(|_| "completer stopped".to_owned())?;
        rx.await.map_err(|_| "completer stopped".to_owned())?
    }

    /// Finishes a run; Ok(false) when the lease was lost.
    pub(crate) async fn finish(&self, c: Completion) -> Result<bool, String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Op::Finish(c, tx))
            .await
            .map_err(|_| "completer stopped".to_owned())?;
        rx.await.map_err(|_| "completer stopped".to_owned())?
    }
}

async fn run(pool: sqlx::PgPool, metrics: Arc<Metrics>, mut rx: mpsc::Receiver<Op>) {
    // Up to FLUSHES_IN_FLIGHT transactions commit at once so Postgres can group-commit them; they
    // never deadlock with each other because each locks its rows in run_id order and a run has at
    // most one pending operation.
    let slots = Arc::new(tokio::sync::Semaphore::new(FLUSHES_IN_FLIGHT));
    let mut flushes = tokio::task::JoinSet::new();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
            break;
        }
        let ops = std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH));
        let (pool, metrics) = (pool.clone(), metrics.clone());
        flushes.spawn(async move {
            flush_and_reply(&pool, &metrics, ops).await;
            drop(permit);
        });
        while flushes.try_join_next().is_some() {}
    }
    while flushes.join_next().await.is_some() {}
}

async fn flush_and_reply(pool: &sqlx::PgPool, metrics: &Metrics, ops: Vec<Op>) {
    let (steps, finishes): (Vec<_>, Vec<_>) =
        ops.into_iter().partition(|op| matches!(op, Op::Step(..)));
    let steps: Vec<(NewStep, _)> = steps
        .into_iter()
        .filter_map(|op| match op {
            Op::Step(s, tx) => Some((s, tx)),
            Op::Finish(..) => None,
        })
        .collect();
    let finishes: Vec<(Completion, _)> = finishes
        .into_iter()
        .filter_map(|op| match op {
            Op::Finish(c, tx) => Some((c, tx)),
            Op::Step(..) => None,
        })
        .collect();
    // A deadlock or serialization failure only means "try again": bounded retries.
    let mut outcome = flush(pool, &steps, &finishes).await;
    for attempt in 1..=FLUSH_RETRIES {
        match &outcome {
            Err(e) if is_conflict(e) => {
                tracing::warn!(attempt, error.message = %e, "completer flush conflicted; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(5 * u64::from(attempt))).await;
                outcome = flush(pool, &steps, &finishes).await;
            }
            _ => break,
        }
    }
    match outcome {
        Ok((step_ok, finish_ok)) => {
            let (step_ok, finish_ok): (HashSet<Uuid>, HashSet<Uuid>) = (
                step_ok.into_iter().collect(),
                finish_ok.into_iter().collect(),
            );
            for (s, tx) in steps {
                let _ = tx.send(Ok(step_ok.contains(&s.run_id)));
            }
            for (c, tx) in finishes {
                let accepted = finish_ok.contains(&c.run_id);
                if accepted {
                    metrics.finished(c.status);
                }
                let _ = tx.send(Ok(accepted));
            }
        }
        Err(e) => {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "completer flush failed");
            let msg = e.to_string();
            steps
                .into_iter()
                .for_each(|(_, tx)| drop(tx.send(Err(msg.clone()))));
            finishes
                .into_iter()
                .for_each(|(_, tx)| drop(tx.send(Err(msg.clone()))));
        }
    }
}

async fn flush<A, B>(
    pool: &sqlx::PgPool,
    steps: &[(NewStep, A)],
    finishes: &[(Completion, B)],
) -> Result<(Vec<Uuid>, Vec<Uuid>)> {
    let mut tx = pool.begin().await.map_err(db("completer begin"))?;
    let mut ids: Vec<Uuid> = steps
        .iter()
        .map(|(s, _)| s.run_id)
        .chain(finishes.iter().map(|(c, _)| c.run_id))
        .collect();
    ids.sort();
    ids.dedup();
    task::lock_many(&mut *tx, &ids).await?;
    let step_ok = if steps.is_empty() {
        Vec::new()
    } else {
        step::insert_if_leased_many(&mut *tx, steps.iter().map(|(s, _)| s)).await?
    };
    let mut finish_ok = Vec::new();
    if !finishes.is_empty() {
        let done = task::complete_if_leased_many(&mut *tx, finishes.iter().map(|(c, _)| c)).await?;
        for (_, keys) in done.iter().filter(|(_, k)| !k.is_empty()) {
            crate::store::run::release_slots(&mut *tx, keys).await?;
        }
        finish_ok = done.into_iter().map(|(id, _)| id).collect();
    }
    tx.commit().await.map_err(db("completer commit"))?;
    Ok((step_ok, finish_ok))
}
