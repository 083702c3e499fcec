//! The worker scaler loop: every tick it reads the engine's backlog and the worker Deployment's
//! `scale` subresource, asks [`Scaler`] for a decision and patches `spec.replicas` when it
//! changes. The desired count is also the gauge `codex_k8s_worker_replicas_desired`, the signal an
//! external autoscaler (or KEDA's query, `deploy/keda`) can use instead. One worker at a time
//! scales: the one holding a session advisory lock.

use std::{
    sync::{
        LazyLock,
        atomic::{AtomicI64, AtomicU64},
    },
    time::{Duration, Instant},
};

use k8s_openapi::api::apps::v1::Deployment;
use kube::{
    Api,
    api::{Patch, PatchParams},
};
use prometheus_client::{metrics::gauge::Gauge, registry::Registry};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use super::scaler::{Backlog, Decision, Scaler, ScalerConfig};

/// The advisory lock key of the scaler (`'codex-k8s:scaler'` hashed once, fixed here).
const LOCK_KEY: i64 = 0x636b_3873_6361_6c65;

static DESIRED: LazyLock<Gauge<i64, AtomicI64>> = LazyLock::new(Gauge::default);
static READY_AGE: LazyLock<Gauge<f64, AtomicU64>> = LazyLock::new(Gauge::default);

/// Registers the scaler's gauges (under the registry's prefix, `codex_k8s`).
pub fn register(registry: &mut Registry) {
    registry.register(
        "worker_replicas_desired",
        "Worker replicas the built-in scaler wants from the engine backlog (0 in a process that does not scale, -1 before its first decision)",
        DESIRED.clone(),
    );
    registry.register(
        "worker_backlog_oldest_due_age_seconds",
        "Age of the oldest due task of the scaled queues, as the scaler last read it",
        READY_AGE.clone(),
    );
}

/// What the loop scales and how often.
#[derive(Debug, Clone)]
pub struct ScaleTarget {
    /// The worker Deployment's namespace.
    pub namespace: String,
    /// The worker Deployment.
    pub deployment: String,
    /// The queues whose backlog counts.
    pub queues: Vec<String>,
    /// Time between decisions.
    pub every: Duration,
    /// Timeout of each API call.
    pub call_timeout: Duration,
}

/// Why a tick did not decide.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    /// Reading the backlog failed.
    #[error("read the backlog: {0}")]
    Backlog(#[from] engine::Error),
    /// The Kubernetes API refused or did not answer.
    #[error("{0}")]
    Kube(String),
}

/// One scaler over one Deployment.
pub struct WorkerScaler {
    api: Api<Deployment>,
    target: ScaleTarget,
    scaler: Scaler,
    started: Instant,
}

impl WorkerScaler {
    /// A scaler of `target` through `client`.
    pub fn new(client: kube::Client, target: ScaleTarget, config: ScalerConfig) -> Self {
        DESIRED.set(-1);
        Self {
            api: Api::namespaced(client, &target.namespace),
            target,
            scaler: Scaler::new(config),
            started: Instant::now(),
        }
    }

    async fn call<T>(
        &self,
        what: &str,
        fut: impl Future<Output = kube::Result<T>>,
    ) -> Result<T, ScaleError> {
        match tokio::time::timeout(self.target.call_timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(kube::Error::Api(s))) => Err(ScaleError::Kube(format!(
                "{what}: {} {}: {}",
                s.code, s.reason, s.message
            ))),
            Ok(Err(e)) => Err(ScaleError::Kube(format!("{what}: {e}"))),
            Err(_) => Err(ScaleError::Kube(format!("{what}: no answer in time"))),
        }
    }

    /// One decision at `now` (time since the scaler started) over `backlog`: reads the current
    /// replicas, decides, patches the scale when the decision differs.
    pub async fn tick_with(
        &mut self,
        now: Duration,
        backlog: Backlog,
    ) -> Result<Decision, ScaleError> {
        let name = self.target.deployment.clone();
        let scale = self.call("read scale", self.api.get_scale(&name)).await?;
        let current = scale
            .spec
            .and_then(|s| s.replicas)
            .map_or(0, |r| u32::try_from(r).unwrap_or(0));
        let decision = self.scaler.decide(now, current, backlog);
        DESIRED.set(i64::from(decision.desired));
        READY_AGE.set(backlog.oldest_ready_age_s);
        if decision.desired != current {
            let patch = Patch::Merge(json!({ "spec": { "replicas": decision.desired } }));
            self.call(
                "patch scale",
                self.api.patch_scale(&name, &PatchParams::default(), &patch),
            )
            .await?;
            tracing::info!(deployment = %name, from = current, to = decision.desired, reason = decision.reason, ready = backlog.ready, in_flight = backlog.in_flight, "worker replicas changed");
        }
        Ok(decision)
    }

    /// One decision now over the engine's backlog of the target's queues.
    pub async fn tick(&mut self, engine: &engine::Client) -> Result<Decision, ScaleError> {
        let b = engine.backlog(&self.target.queues).await?;
        let backlog = Backlog {
            ready: b.due,
            oldest_ready_age_s: b.oldest_due_age_s,
            in_flight: b.leased,
        };
        self.tick_with(self.started.elapsed(), backlog).await
    }

    /// Decides every `every` until `shutdown`, while this process holds the scaler lock (another
    /// worker scales meanwhile; the lock goes with this process's connection).
    pub async fn run(mut self, pool: PgPool, engine: engine::Client, shutdown: CancellationToken) {
        let mut lock: Option<PgConnection> = None;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.target.every) => {}
            }
            // A lost lock connection closes its session and with it the lock: take it again.
            if let Some(conn) = lock.as_mut()
                && sqlx::query("select 1").execute(&mut *conn).await.is_err()
            {
                lock = None;
            }
            if lock.is_none() {
                lock = acquire(&pool).await;
                if lock.is_none() {
                    continue;
                }
            }
            if let Err(e) = self.tick(&engine).await {
                tracing::warn!(error.message = %e, "worker scaler tick failed");
            }
        }
    }
}

/// The scaler's session lock on a connection of its own (detached from the pool, so dropping it
/// closes the session and frees the lock), if free.
async fn acquire(pool: &PgPool) -> Option<PgConnection> {
    let mut conn = pool.acquire().await.ok()?.detach();
    let got: bool = sqlx::query_scalar("select pg_try_advisory_lock($1)")
        .bind(LOCK_KEY)
        .fetch_one(&mut conn)
        .await
        .ok()?;
    got.then_some(conn)
}
