//! Read routing: inspection reads go to a streaming replica (`DATABASE_READ_URL`, one or more),
//! everything else to the primary.
//!
//! Nothing here assumes one replica or asynchronous replication: each read asks a replica, in
//! turn, whether it is in recovery, how far behind it is and — when the caller wrote recently —
//! whether it has replayed the caller's last write (its WAL position, taken from the primary
//! after the write). A replica that is unreachable, lagging beyond `max_lag`, or behind the
//! caller's own write is skipped; with none left the read goes to the primary. Every fallback is
//! logged (replica index and reason, never a URL) and counted
//! (`codex_k8s_replica_fallbacks_total{reason}`).

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};
use sqlx::{PgPool, Row};
use uuid::Uuid;

/// How long a caller's write keeps routing its reads through the write-position check.
const OWN_WRITE_WINDOW: Duration = Duration::from_secs(300);
/// Bound of one replica health check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabel {
    target: &'static str,
}

/// Where one read went.
#[derive(Clone)]
pub struct ReadTarget {
    /// The pool to read from.
    pub pool: PgPool,
    /// An engine client over that pool (run inspection).
    pub client: engine::Client,
    /// The replica's index, none for the primary.
    pub replica: Option<usize>,
}

struct Replica {
    pool: PgPool,
    client: engine::Client,
}

/// The read router.
pub struct Reads {
    primary: ReadTarget,
    replicas: Vec<Replica>,
    max_lag: Duration,
    next: AtomicUsize,
    own_writes: Mutex<HashMap<Uuid, (String, Instant)>>,
    fallbacks: Family<ReasonLabel, Counter>,
    reads: Family<TargetLabel, Counter>,
    registry: Arc<Registry>,
}

impl Reads {
    /// Routes over `primary` and `replicas` (possibly none).
    pub fn new(primary: PgPool, replicas: Vec<PgPool>, max_lag: Duration) -> Self {
        let config = engine::ClientConfig::default;
        let fallbacks = Family::<ReasonLabel, Counter>::default();
        let reads = Family::<TargetLabel, Counter>::default();
        let mut registry = Registry::with_prefix("codex_k8s");
        registry.register(
            "replica_fallbacks",
            "Inspection reads that fell back to the primary, per reason",
            fallbacks.clone(),
        );
        registry.register(
            "inspection_reads",
            "Inspection reads per target",
            reads.clone(),
        );
        Self {
            primary: ReadTarget {
                client: engine::Client::new(primary.clone(), config()),
                pool: primary,
                replica: None,
            },
            replicas: replicas
                .into_iter()
                .map(|pool| Replica {
                    client: engine::Client::new(pool.clone(), config()),
                    pool,
                })
                .collect(),
            max_lag,
            next: AtomicUsize::new(0),
            own_writes: Mutex::new(HashMap::new()),
            fallbacks,
            reads,
            registry: Arc::new(registry),
        }
    }

    /// Everything on the primary.
    pub fn primary_only(primary: PgPool) -> Self {
        Self::new(primary, Vec::new(), Duration::from_secs(10))
    }

    /// The primary pool.
    pub fn primary(&self) -> &PgPool {
        &self.primary.pool
    }

    /// The router's metrics (served on `/metrics`).
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.clone()
    }

    /// How many reads fell back to the primary so far, for any reason.
    pub fn fallback_count(&self) -> u64 {
        [
            "unreachable",
            "lagging",
            "behind_own_write",
            "not_a_replica",
        ]
        .iter()
        .map(|r| {
            self.fallbacks
                .get_or_create(&ReasonLabel { reason: r })
                .get()
        })
        .sum()
    }

    /// Inspection reads served so far: `(by a replica, by the primary)`.
    pub fn served(&self) -> (u64, u64) {
        let get = |target| self.reads.get_or_create(&TargetLabel { target }).get();
        (get("replica"), get("primary"))
    }

    fn pending_write(&self, caller: Uuid) -> Option<String> {
        let mut writes = self.own_writes.lock().unwrap_or_else(|e| e.into_inner());
        writes.retain(|_, (_, at)| at.elapsed() < OWN_WRITE_WINDOW);
        writes.get(&caller).map(|(lsn, _)| lsn.clone())
    }

    /// Records that `caller` wrote: its reads must see the primary's current WAL position.
    pub async fn note_write(&self, caller: Uuid) {
        if self.replicas.is_empty() {
            return;
        }
        let lsn = tokio::time::timeout(
            CHECK_TIMEOUT,
            sqlx::query_scalar::<_, String>("select pg_current_wal_insert_lsn()::text")
                .fetch_one(&self.primary.pool),
        )
        .await;
        let mut writes = self.own_writes.lock().unwrap_or_else(|e| e.into_inner());
        match lsn {
            Ok(Ok(lsn)) => {
                writes.insert(caller, (lsn, Instant::now()));
            }
            // Unknown position: route this caller to the primary for the window.
            _ => {
                writes.insert(caller, ("FFFFFFFF/FFFFFFFF".into(), Instant::now()));
            }
        }
    }

    async fn check(&self, replica: &Replica, lsn: Option<&str>) -> Result<(), &'static str> {
        let query = sqlx::query(
            "select pg_is_in_recovery() as in_recovery,
                    case when pg_last_wal_receive_lsn() is not distinct from pg_last_wal_replay_lsn() then 0
                         else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0) end::float8 as lag_secs,
                    ($1::pg_lsn is null or pg_last_wal_replay_lsn() >= $1::pg_lsn) as caught_up",
        )
        .bind(lsn);
        let row = match tokio::time::timeout(CHECK_TIMEOUT, query.fetch_one(&replica.pool)).await {
            Ok(Ok(row)) => row,
            _ => return Err("unreachable"),
        };
        if !row.get::<bool, _>("in_recovery") {
            return Err("not_a_replica");
        }
        if row.get::<f64, _>("lag_secs") > self.max_lag.as_secs_f64() {
            return Err("lagging");
        }
        if !row.get::<bool, _>("caught_up") {
            return Err("behind_own_write");
        }
        Ok(())
    }

    /// Where an inspection read of `caller` goes now.
    pub async fn for_inspection(&self, caller: Uuid) -> ReadTarget {
        if self.replicas.is_empty() {
            return self.primary.clone();
        }
        let lsn = self.pending_write(caller);
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.replicas.len() {
            let index = (start + i) % self.replicas.len();
            let replica = &self.replicas[index];
            match self.check(replica, lsn.as_deref()).await {
                Ok(()) => {
                    if lsn.is_some() {
                        let mut writes = self.own_writes.lock().unwrap_or_else(|e| e.into_inner());
                        writes.remove(&caller);
                    }
                    self.reads
                        .get_or_create(&TargetLabel { target: "replica" })
                        .inc();
                    return ReadTarget {
                        pool: replica.pool.clone(),
                        client: replica.client.clone(),
                        replica: Some(index),
                    };
                }
                Err(reason) => {
                    tracing::warn!(replica = index, reason, "inspection read skips a replica");
                    self.fallbacks.get_or_create(&ReasonLabel { reason }).inc();
                }
            }
        }
        self.reads
            .get_or_create(&TargetLabel { target: "primary" })
            .inc();
        self.primary.clone()
    }
}
